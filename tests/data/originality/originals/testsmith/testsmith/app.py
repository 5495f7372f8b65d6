"""Reads the runtime contract and drives the dialog for every requested line."""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from testsmith.catalog import SUBJECTS
from testsmith.dialog import Dialog
from testsmith.runner import Runner


def _flag(name: str) -> str | None:
    if name in sys.argv:
        i = sys.argv.index(name)
        return sys.argv[i + 1] if i + 1 < len(sys.argv) else None
    return None


@dataclass
class App:
    output: Path
    count: int
    seed: int
    work_dir: Path

    @classmethod
    def from_environment(cls) -> App:
        output = _flag("--output") or os.environ["DF_OUTPUT_PATH"]
        count = _flag("--count") or os.environ.get("DF_NUM_CONVERSATIONS", "5")
        seed = _flag("--seed") or os.environ.get("DF_SEED", "1")
        work = _flag("--work-dir") or os.environ.get("DF_WORK_DIR") or "."
        return cls(Path(output), int(count), int(seed), Path(work))

    def run(self) -> int:
        rng = random.Random(self.seed)
        runner = Runner(self.work_dir)
        lines = []
        attempts = 0
        while len(lines) < self.count and attempts < self.count * 5:
            attempts += 1
            subject = rng.choice(SUBJECTS)
            line = Dialog(rng, runner).build(subject, f"ts-{self.seed}-{len(lines)}")
            if line is not None:
                lines.append(line)
        if len(lines) < self.count:
            print("testsmith: not enough passing suites", file=sys.stderr)
            return 1
        self.output.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
        return 0
