"""Base code: fingerprints of the published example harness, which never count as copying.

Every miner may start from `examples/harness` (`dfab init` copies it), so its
fingerprints are removed before any comparison. The Lambda layer does not ship the
examples directory, hence a packaged snapshot (`data/base_fingerprints.json`); a unit
test fails when it no longer matches the example, and this module rebuilds it:

    python -m dfab.originality.base --write
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import zlib
from array import array
from functools import cache
from pathlib import Path

from dfab.originality.fingerprint import fingerprint_harness
from dfab.originality.params import FORMAT_VERSION

SNAPSHOT = Path(__file__).with_name("data") / "base_fingerprints.json"


def encode_set(values: frozenset[int]) -> str:
    arr = array("Q", sorted(values))
    if sys.byteorder == "big":
        arr.byteswap()
    return base64.b64encode(zlib.compress(arr.tobytes(), 9)).decode("ascii")


def decode_set(text: str) -> frozenset[int]:
    arr = array("Q")
    arr.frombytes(zlib.decompress(base64.b64decode(text)))
    if sys.byteorder == "big":
        arr.byteswap()
    return frozenset(arr)


def build_snapshot(harnesses: dict[str, Path]) -> dict[str, object]:
    """Snapshot document of the union of the fingerprints of `harnesses` (name -> dir)."""
    union: set[int] = set()
    sources: dict[str, str] = {}
    for name, root in sorted(harnesses.items()):
        fp = fingerprint_harness(root)
        union |= fp.distinct
        sources[name] = fp.exact_hash
    return {
        "format_version": FORMAT_VERSION,
        "sources": sources,
        "count": len(union),
        "fingerprints": encode_set(frozenset(union)),
    }


@cache
def base_fingerprints() -> frozenset[int]:
    """The packaged base fingerprints (empty if the snapshot is missing)."""
    if not SNAPSHOT.is_file():
        return frozenset()
    doc = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if doc.get("format_version") != FORMAT_VERSION:
        raise RuntimeError(
            f"{SNAPSHOT} was built for fingerprint format {doc.get('format_version')}, this code "
            f"uses {FORMAT_VERSION}: run `python -m dfab.originality.base --write`"
        )
    return decode_set(str(doc["fingerprints"]))


def example_harness() -> Path:
    from dfab.local.project import project_root

    return project_root() / "examples" / "harness"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild the packaged base fingerprints.")
    parser.add_argument("--write", action="store_true", help="write the snapshot file")
    args = parser.parse_args(argv)
    doc = build_snapshot({"examples/harness": example_harness()})
    if args.write:
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        SNAPSHOT.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(f"wrote {SNAPSHOT} ({doc['count']} fingerprints)")
    else:
        print(json.dumps({k: v for k, v in doc.items() if k != "fingerprints"}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
