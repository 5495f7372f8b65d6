"""shellmedic: shell-script debugging conversations (quoting, exit codes, pipelines)."""

import json
import os
import random
import sys

import scenarios
from render import transcript


def parse_args(argv):
    values = {
        "output": os.environ.get("DF_OUTPUT_PATH"),
        "count": os.environ.get("DF_NUM_CONVERSATIONS", "20"),
        "seed": os.environ.get("DF_SEED", "7"),
        "work-dir": os.environ.get("DF_WORK_DIR", "."),
    }
    it = iter(argv)
    for arg in it:
        if arg.startswith("--") and arg[2:] in values:
            values[arg[2:]] = next(it, None)
    if not values["output"]:
        raise SystemExit("shellmedic: --output is required")
    return values["output"], int(values["count"]), int(values["seed"])


def main(argv):
    output, count, seed = parse_args(argv)
    rng = random.Random(seed)
    registry = scenarios.registered()
    with open(output, "w", encoding="utf-8") as fh:
        for n in range(count):
            cls = registry[n % len(registry)] if n < len(registry) else rng.choice(registry)
            case = cls(rng)
            record = transcript(case, f"shell-{seed}-{n}")
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
