"""Command line: the runtime contract's flags and variables, then the writer loop."""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

from sqlfix.bugs import BUGS
from sqlfix.convo import build_conversation
from sqlfix.schema import make_schema


def _options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="sqlfix")
    parser.add_argument("--output", default=os.environ.get("DF_OUTPUT_PATH"))
    parser.add_argument(
        "--count", type=int, default=int(os.environ.get("DF_NUM_CONVERSATIONS", "10"))
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("DF_SEED", "0")))
    parser.add_argument("--work-dir", default=os.environ.get("DF_WORK_DIR", "."))
    opts = parser.parse_args(argv)
    if not opts.output:
        parser.error("--output is required")
    return opts


def run(argv: list[str]) -> int:
    opts = _options(argv)
    rng = random.Random(opts.seed)
    written = 0
    with Path(opts.output).open("w", encoding="utf-8") as out:
        while written < opts.count:
            schema = make_schema(rng)
            bug = rng.choice(BUGS)
            conversation = build_conversation(rng, schema, bug, f"sqlfix-{opts.seed}-{written}")
            if conversation is None:
                continue
            out.write(json.dumps(conversation) + "\n")
            written += 1
    return 0
