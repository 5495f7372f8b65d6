"""Archive safety cost: refusing a >1 TB overlap bomb, and validating real harnesses.

`python -m bench.archive [--runs 7]` prints JSON:

- `bomb`: a quoted-overlap zip bomb (David Fifield's construction, 450 entries sharing
  one deflate kernel, > 1 TB declared) handed to `inspect_archive`. Wall time is the
  median of N runs; memory is measured in a fresh child interpreter both as the peak
  RSS delta (`resource.getrusage(RUSAGE_SELF).ru_maxrss` after minus before the calls)
  and as the tracemalloc peak of one call.
- `zip` / `tar_gz`: an accepted ~5 MiB, 500-entry harness archive. Medians of
  `inspect_archive` and of inspect+extract, against merely listing it with
  `zipfile.ZipFile(...).infolist()` / `tarfile.open(...).getmembers()` in the same run,
  plus, for scale, stdlib code doing the same amount of decompression (reading every
  zip member; `tarfile.extractall`).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dfab.archive import extract_archive, inspect_archive
from dfab.contracts.reasons import VerdictError
from dfab.settings import ArchiveSettings

SETTINGS = ArchiveSettings()
TARGET_BOMB_MS = 20.0
TARGET_BOMB_MB = 50.0
TARGET_INSPECT_RATIO = 3.0

# ----------------------------------------------------------------------- bomb


class _Bits:
    """LSB-first deflate bit writer; Huffman codes are written MSB-first."""

    def __init__(self) -> None:
        self.out, self.acc, self.n = bytearray(), 0, 0

    def put(self, value: int, count: int) -> None:
        self.acc |= value << self.n
        self.n += count
        while self.n >= 8:
            self.out.append(self.acc & 0xFF)
            self.acc >>= 8
            self.n -= 8

    def code(self, value: int, length: int) -> None:
        self.put(int(f"{value:0{length}b}"[::-1], 2), length)

    def zeros(self, count: int) -> None:
        first = min(count, (8 - self.n) % 8)
        self.put(0, first)
        self.out += bytes((count - first) // 8)
        self.put(0, (count - first) % 8)

    def finish(self) -> bytes:
        return bytes(self.out + (bytes([self.acc]) if self.n else b""))


def _zero_kernel(matches: int) -> bytes:
    """Final dynamic-Huffman deflate block: 1 + 258*matches zero bytes at ~1032:1.

    Only literal 0, end-of-block and length 258 (1-bit code) exist, with one 1-bit
    distance code, so each (258, distance 1) match costs two zero bits.
    """
    b = _Bits()
    for value, count in ((1, 1), (2, 2), (29, 5), (0, 5), (14, 4)):
        b.put(value, count)  # final, dynamic, 286 lit/len codes, 1 distance, 18 CL codes
    lengths = {18: 1, 1: 2, 2: 2}
    for sym in (16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1):
        b.put(lengths.get(sym, 0), 3)
    cl = {18: (0, 1), 1: (2, 2), 2: (3, 2)}
    for sym, run in ((2, 0), (18, 138), (18, 117), (2, 0), (18, 28), (1, 0), (1, 0)):
        b.code(*cl[sym])
        if run:
            b.put(run - 11, 7)
    b.code(0b10, 2)  # literal 0
    b.zeros(2 * matches)
    b.code(0b11, 2)  # end of block
    return b.finish()


def overlap_bomb(files: int = 450, matches: int = 9_700_000) -> tuple[bytes, int]:
    """Quoted-overlap zip: entry i's deflate data quotes later local headers (stored
    blocks) and ends in the shared kernel, so entries overlap; returns (zip, declared)."""
    kernel = _zero_kernel(matches)
    names = [f"f{i:04d}.txt".encode() for i in range(files)]
    hlen = 30 + len(names[0])
    csize, usize = [0] * files, [0] * files
    csize[-1], usize[-1] = len(kernel), 1 + 258 * matches
    for i in range(files - 2, -1, -1):
        csize[i], usize[i] = 5 + hlen + csize[i + 1], hlen + usize[i + 1]
    out, offsets = bytearray(), []
    for i in range(files):
        offsets.append(len(out))
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 33, 0, csize[i], usize[i], 9, 0)
        out += names[i]
        if i < files - 1:
            out += struct.pack("<BHH", 0, hlen, hlen ^ 0xFFFF)
    out += kernel
    cd_at = len(out)
    for i in range(files):
        out += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, 0, 8, 0, 33, 0, csize[i], usize[i],
            9, 0, 0, 0, 0, 0o100644 << 16, offsets[i],
        )  # fmt: skip
        out += names[i]
    out += struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, files, files, len(out) - cd_at, cd_at, 0)
    return bytes(out), sum(usize)


def _times_ms(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    return round(statistics.median(_times_ms(fn, runs)), 3)


def _reject(path: Path) -> str:
    try:
        inspect_archive(path, SETTINGS, declared_format="zip")
    except VerdictError as verdict:
        return verdict.reason.reason_class.value
    raise AssertionError("the bomb was accepted")


def _child_bomb(path: Path, runs: int) -> dict[str, Any]:
    """Runs in a fresh interpreter, so ru_maxrss reflects only this work."""
    before_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    reason = _reject(path)
    times = _times_ms(lambda: _reject(path), runs)
    after_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    _reject(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "reason": reason,
        "median_ms": round(statistics.median(times), 3),
        "min_ms": round(min(times), 3),
        "peak_rss_before_mb": round(before_kib / 1024, 1),
        "peak_rss_after_mb": round(after_kib / 1024, 1),
        "peak_rss_delta_mb": round((after_kib - before_kib) / 1024, 2),
        "tracemalloc_peak_mb": round(peak / 2**20, 2),
    }


def bench_bomb(work: Path, runs: int) -> dict[str, Any]:
    data, declared = overlap_bomb()
    path = work / "bomb.zip"
    path.write_bytes(data)
    child = subprocess.run(
        [sys.executable, "-m", "bench.archive", "--child-bomb", str(path), "--runs", str(runs)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(child.stdout)
    result.update(
        {
            "archive_bytes": len(data),
            "entries": 450,
            "declared_unpacked_bytes": declared,
            "memory_method": "fresh child interpreter: ru_maxrss (a high-water mark) before "
            "and after the calls, so the delta is how far rejecting raised the process peak; "
            "plus the tracemalloc peak of one call (Python allocations, incl. the file bytes)",
            "meets_targets": result["median_ms"] < TARGET_BOMB_MS
            and result["peak_rss_delta_mb"] < TARGET_BOMB_MB,
        }
    )
    return result


# ------------------------------------------------------------------- harness

_VOCAB_RNG = random.Random(11)
_VOCAB = [
    "".join(
        _VOCAB_RNG.choice("abcdefghijklmnopqrstuvwxyz_") for _ in range(_VOCAB_RNG.randint(3, 12))
    )
    for _ in range(3000)
]
_KEYWORDS = ["def", "return", "self", "import", "for", "in", "if", "else", "None", "class"]


def _source(rng: random.Random, size: int) -> bytes:
    lines: list[str] = []
    total = 0
    while total < size:
        indent = "    " * rng.randint(0, 3)
        words = [rng.choice(_VOCAB if rng.random() < 0.7 else _KEYWORDS) for _ in range(8)]
        line = f"{indent}{' '.join(words)}  # {rng.getrandbits(40):x}\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()[:size]


def make_harness(root: Path, entries: int = 500, dirs: int = 20) -> dict[str, int]:
    """`entries` files and directories; sized so the zip lands near 5 MiB."""
    rng = random.Random(5)
    files = entries - dirs
    unpacked = 0
    for d in range(dirs):
        (root / f"pkg{d:02d}").mkdir(parents=True)
    for i in range(files):
        size = rng.randint(7_000, 32_000)
        data = _source(rng, size) if i % 10 else rng.randbytes(size // 3)
        path = root / f"pkg{i % dirs:02d}" / f"module_{i:03d}.py"
        path.write_bytes(data)
        unpacked += len(data)
    return {"files": files, "dirs": dirs, "unpacked_bytes": unpacked}


def _zip(src: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            zf.write(p, p.relative_to(src).as_posix())


def _tgz(src: Path, path: Path) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for p in sorted(src.rglob("*")):
            tf.add(p, p.relative_to(src).as_posix(), recursive=False)


def _extract_once(path: Path, work: Path) -> None:
    dest = work / "dest"
    extract_archive(path, dest, SETTINGS)
    shutil.rmtree(dest)


def _zip_read_all(path: Path) -> None:
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            zf.read(info)


def _tar_list(path: Path) -> None:
    with tarfile.open(path, "r:gz") as tf:
        tf.getmembers()


def _tar_extract_all(path: Path, work: Path) -> None:
    dest = work / "tardest"
    with tarfile.open(path, "r:gz") as tf:
        tf.extractall(dest, filter="data")
    shutil.rmtree(dest)


def bench_harness(work: Path, runs: int) -> dict[str, Any]:
    src = work / "harness"
    shape = make_harness(src)
    results: dict[str, Any] = {}
    for fmt, build in (("zip", _zip), ("tar.gz", _tgz)):
        path = work / f"harness.{fmt}"
        build(src, path)
        listing = inspect_archive(path, SETTINGS)
        if fmt == "zip":
            baseline = _median_ms(lambda p=path: zipfile.ZipFile(p).infolist(), runs)
            stdlib_same_work = _median_ms(lambda p=path: _zip_read_all(p), runs)
            same_work_label = "zipfile_read_all_members_ms"
        else:
            baseline = _median_ms(lambda p=path: _tar_list(p), runs)
            stdlib_same_work = _median_ms(lambda p=path: _tar_extract_all(p, work), runs)
            same_work_label = "tarfile_extractall_data_filter_ms"
        inspect_ms = _median_ms(lambda p=path: inspect_archive(p, SETTINGS), runs)
        extract_ms = _median_ms(lambda p=path: _extract_once(p, work), runs)
        results[fmt.replace(".", "_")] = {
            "archive_bytes": path.stat().st_size,
            "entries": len(listing.entries),
            "unpacked_bytes": listing.unpacked_bytes,
            "stdlib_list_ms": baseline,
            same_work_label: stdlib_same_work,
            "inspect_ms": inspect_ms,
            "inspect_extract_ms": extract_ms,
            "inspect_vs_list": round(inspect_ms / baseline, 2),
            "inspect_extract_vs_list": round(extract_ms / baseline, 2),
            "inspect_vs_stdlib_same_work": round(inspect_ms / stdlib_same_work, 2),
            "meets_3x_target": inspect_ms / baseline <= TARGET_INSPECT_RATIO,
        }
    results["harness_shape"] = shape
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.archive")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per measurement")
    parser.add_argument("--child-bomb", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_bomb is not None:
        print(json.dumps(_child_bomb(args.child_bomb, args.runs)))
        return 0
    with tempfile.TemporaryDirectory(prefix="dfab-bench-archive-") as tmp:
        work = Path(tmp)
        report = {
            "python": sys.version.split()[0],
            "runs": args.runs,
            "bomb": bench_bomb(work, args.runs),
            **bench_harness(work, args.runs),
            "targets": {
                "bomb_ms": TARGET_BOMB_MS,
                "bomb_rss_mb": TARGET_BOMB_MB,
                "inspect_vs_list": TARGET_INSPECT_RATIO,
            },
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
