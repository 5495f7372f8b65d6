"""Property tests: whatever bytes arrive, the archive checker answers with a listing or a
`VerdictError`, never another exception, never a hang, never a write outside the target.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dfab.archive import ArchiveListing, inspect_bytes, pack_directory
from dfab.archive.extract import extract_bytes
from dfab.archive.names import normalize_name
from dfab.contracts.reasons import VerdictError
from dfab.settings import ArchiveSettings

LIMITS = ArchiveSettings(max_archive_bytes=512 * 1024, max_unpacked_bytes=2 * 1024 * 1024)
FUZZ = settings(
    max_examples=300,
    deadline=timedelta(seconds=2),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _harness_dir(root: Path) -> Path:
    (root / "pkg" / "sub").mkdir(parents=True)
    (root / "harness.toml").write_text('[harness]\nname = "x"\n')
    (root / "generate.py").write_text("import pkg\nprint('generate')\n" * 5)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "sub" / ("long_" * 30 + ".py")).write_text("VALUE = 1\n" * 30)
    (root / "pkg" / "data.json").write_text('{"k": [1, 2, 3]}\n' * 40)
    (root / "donn\u00e9es.txt").write_text("caf\u00e9\n")
    return root


def _seeds() -> dict[str, tuple[bytes, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        src = _harness_dir(Path(tmp) / "h")
        seeds = {
            "pack-zip": (pack_directory(src, "zip"), "zip"),
            "pack-tgz": (pack_directory(src, "tar.gz"), "tar.gz"),
        }
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            for path in sorted(src.rglob("*")):
                zf.write(path, path.relative_to(src).as_posix())
        seeds["stored-zip"] = (buf.getvalue(), "zip")
        for label, fmt in (("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT)):
            buf = io.BytesIO()
            with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
                tf.add(src, arcname=".")
            seeds[f"raw-tar-{label}"] = (buf.getvalue(), "tar")
    return seeds


SEEDS = _seeds()


def _check(data: bytes, fmt: str | None) -> ArchiveListing | None:
    try:
        listing = inspect_bytes(data, LIMITS, declared_format=fmt)  # type: ignore[arg-type]
    except VerdictError as verdict:
        assert verdict.reason.message
        return None
    assert isinstance(listing, ArchiveListing)
    assert listing.unpacked_bytes <= LIMITS.max_unpacked_bytes
    assert len(listing.entries) <= LIMITS.max_entries
    return listing


def _extract_stays_inside(data: bytes, listing: ArchiveListing) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        dest = base / "jail" / "out"
        dest.parent.mkdir()
        extract_bytes(data, dest, LIMITS, listing)
        assert sorted(os.listdir(base)) == ["jail"]
        assert sorted(os.listdir(base / "jail")) == ["out"]
        real = os.path.realpath(dest)
        found = {p.relative_to(dest).as_posix() for p in dest.rglob("*")}
        for entry in listing.entries:
            assert entry.name in found
            target = dest / entry.name
            assert os.path.realpath(target).startswith(real + os.sep)
            assert not target.is_symlink()
            if not entry.is_dir:
                assert target.stat().st_size == entry.size


def test_seeds_are_accepted() -> None:
    for label, (data, kind) in SEEDS.items():
        blob = gzip.compress(data, mtime=0) if kind == "tar" else data
        fmt = "tar.gz" if kind == "tar" else kind
        assert _check(blob, fmt) is not None, label


@FUZZ
@given(st.binary(max_size=4096), st.sampled_from([None, "zip", "tar.gz"]))
def test_random_bytes(data: bytes, fmt: str | None) -> None:
    _check(data, fmt)


@FUZZ
@given(st.binary(max_size=2048), st.sampled_from([b"PK\x03\x04", b"\x1f\x8b\x08\x00", b""]))
def test_random_bytes_behind_magic(tail: bytes, magic: bytes) -> None:
    _check(magic + tail, None)


_OPS = st.one_of(
    st.tuples(st.just("flip"), st.floats(0, 1), st.integers(0, 7)),
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(0)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.integers(0, 255)),
    st.tuples(st.just("set"), st.floats(0, 1), st.sampled_from([0, 0xFF, 0x7F, 0x80, 0x2F])),
    st.tuples(st.just("delete"), st.floats(0, 1), st.integers(1, 64)),
)


def _mutate(data: bytes, ops: list[tuple[str, float, int]], tail_bias: bool) -> bytes:
    out = bytearray(data)
    for op, where, arg in ops:
        if not out:
            break
        span = min(len(out), 600) if tail_bias else len(out)
        pos = len(out) - span + min(int(where * span), span - 1)
        if op == "flip":
            out[pos] ^= 1 << arg
        elif op == "truncate":
            del out[pos:]
        elif op == "insert":
            out[pos:pos] = bytes([arg])
        elif op == "set":
            out[pos] = arg
        else:
            del out[pos : pos + arg]
    return bytes(out)


@FUZZ
@given(
    st.sampled_from(sorted(SEEDS)),
    st.lists(_OPS, min_size=1, max_size=6),
    st.booleans(),
    st.sampled_from([None, "declared"]),
)
def test_mutated_archives(
    seed: str, ops: list[tuple[str, float, int]], tail_bias: bool, detect: str | None
) -> None:
    data, kind = SEEDS[seed]
    mutated = _mutate(data, ops, tail_bias)
    if kind == "tar":  # mutate the tar itself, so the header parser (not zlib) sees it
        mutated, kind = gzip.compress(mutated, mtime=0), "tar.gz"
    listing = _check(mutated, kind if detect else None)
    if listing is not None:
        _extract_stays_inside(mutated, listing)


@FUZZ
@given(st.binary(max_size=300), st.booleans())
def test_name_policy_never_escapes(raw: bytes, is_dir: bool) -> None:
    try:
        name = normalize_name(raw, is_dir=is_dir)
    except VerdictError:
        return
    if name is None:
        return
    assert name and not name.startswith("/") and "\\" not in name
    assert ".." not in name.split("/") and "" not in name.split("/")
    assert os.path.normpath(os.path.join("/jail", name)).startswith("/jail/")
    assert all(ord(c) >= 0x20 for c in name)
