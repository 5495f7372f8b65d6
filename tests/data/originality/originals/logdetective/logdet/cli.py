"""Contract handling: flags override environment variables."""

import argparse
import os

from logdet.pipeline import write_all


def entry() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--output")
    ap.add_argument("--count", type=int)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--work-dir")
    ns = ap.parse_args()
    output = ns.output or os.environ.get("DF_OUTPUT_PATH")
    count = ns.count if ns.count is not None else int(os.environ.get("DF_NUM_CONVERSATIONS", "8"))
    seed = ns.seed if ns.seed is not None else int(os.environ.get("DF_SEED", "0"))
    if output is None:
        print("logdetective: no output path", file=os.sys.stderr)
        return 2
    return write_all(output, count, seed)
