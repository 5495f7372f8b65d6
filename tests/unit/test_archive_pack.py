"""`pack_directory`: reproducible, normalized archives that our own checks accept."""

from __future__ import annotations

import io
import os
import tarfile
import zipfile
from pathlib import Path

import pytest

from dfab.archive import PackError, extract_archive, inspect_bytes, pack_directory
from dfab.contracts.reasons import ReasonClass
from dfab.settings import ArchiveSettings

FORMATS = ("zip", "tar.gz")


def make_tree(root: Path, *, reverse: bool = False) -> Path:
    files = {
        "harness.toml": b'[harness]\nname = "p"\n',
        "generate.py": b"print('hi')\n",
        "pkg/__init__.py": b"",
        "pkg/core.py": b"VALUE = 42\n" * 50,
        "data/seed.jsonl": b'{"a": 1}\n' * 30,
        "caf\u00e9/\u00e9t\u00e9.txt": "d\u00e9j\u00e0 vu\n".encode(),
        "deep/" + "x" * 90 + "/" + "y" * 90 + ".py": b"Y = 1\n",
    }
    root.mkdir(parents=True)
    for rel in sorted(files, reverse=reverse):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel])
    (root / "empty").mkdir()
    (root / "generate.py").chmod(0o755)
    return root


def add_junk(root: Path) -> None:
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "generate.cpython-311.pyc").write_bytes(b"junk")
    (root / "pkg" / "core.pyc").write_bytes(b"junk")
    (root / ".git").mkdir()
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr\n")
    (root / ".venv-sandbox").mkdir()
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    (root / "pkg" / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_content_same_bytes(tmp_path: Path, fmt: str) -> None:
    a = make_tree(tmp_path / "a")
    b = make_tree(tmp_path / "b", reverse=True)
    add_junk(b)
    os.utime(b / "pkg" / "core.py", (1, 1))
    (b / "pkg" / "core.py").chmod(0o600)
    (b / "generate.py").chmod(0o700)  # any exec bit -> 0o755
    assert pack_directory(a, fmt) == pack_directory(b, fmt)  # type: ignore[arg-type]
    (b / "pkg" / "core.py").write_bytes(b"VALUE = 43\n" * 50)
    assert pack_directory(a, fmt) != pack_directory(b, fmt)  # type: ignore[arg-type]


def test_zip_layout_is_normalized(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    add_junk(src)
    data = pack_directory(src, "zip")
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert not any(
            part in ("__pycache__", ".git", ".venv", ".venv-sandbox", ".DS_Store")
            for n in names
            for part in n.split("/")
        )
        assert not any(n.endswith(".pyc") for n in names)
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.extra == b""
            assert info.create_system == 3
            mode = info.external_attr >> 16
            if info.is_dir():
                assert mode == 0o040755
            elif info.filename == "generate.py":
                assert mode == 0o100755
            else:
                assert mode == 0o100644
        assert "empty/" in names
        assert names.index("pkg/") < names.index("pkg/__init__.py")


def test_tar_layout_is_normalized(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    add_junk(src)
    data = pack_directory(src, "tar.gz")
    assert data[4:8] == b"\0\0\0\0"  # gzip mtime 0
    with tarfile.open(fileobj=io.BytesIO(data)) as tf:
        members = tf.getmembers()
        for m in members:
            assert (m.mtime, m.uid, m.gid, m.uname, m.gname) == (0, 0, 0, "", "")
            assert m.isdir() or m.isfile()
            expected = 0o755 if m.isdir() or m.name == "generate.py" else 0o644
            assert m.mode == expected
        names = [m.name for m in members]
    with zipfile.ZipFile(io.BytesIO(pack_directory(src, "zip"))) as zf:
        assert names == [i.filename.rstrip("/") for i in zf.infolist()]  # same sorted walk
    assert names.index("pkg") < names.index("pkg/__init__.py") < names.index("pkg/core.py")
    assert not any(n.endswith(".pyc") or ".git" in n.split("/") for n in names)


@pytest.mark.parametrize("fmt", FORMATS)
def test_packed_archive_passes_and_round_trips(tmp_path: Path, fmt: str) -> None:
    src = make_tree(tmp_path / "h")
    add_junk(src)
    data = pack_directory(src, fmt)  # type: ignore[arg-type]
    listing = inspect_bytes(data, ArchiveSettings(), declared_format=fmt)  # type: ignore[arg-type]
    path = tmp_path / f"h.{fmt}"
    path.write_bytes(data)
    dest = tmp_path / "out"
    assert extract_archive(path, dest, ArchiveSettings()) == listing
    for entry in listing.entries:
        if not entry.is_dir:
            assert (dest / entry.name).read_bytes() == (src / entry.name).read_bytes()
    assert (dest / "empty").is_dir()
    assert not (dest / "__pycache__").exists()


def test_refuses_symlinks(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    (src / "link.py").symlink_to(src / "generate.py")
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.LINK
    assert "link.py" in str(caught.value)


def test_refuses_directory_symlinks(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    (src / "pkg" / "up").symlink_to(tmp_path)
    with pytest.raises(PackError) as caught:
        pack_directory(src, "tar.gz")
    assert caught.value.reason_class == ReasonClass.LINK


def test_refuses_special_files(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    os.mkfifo(src / "pipe")
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.SPECIAL_FILE


def test_refuses_names_the_validator_would_reject(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    (src / "README.md").write_text("a")
    (src / "readme.md").write_text("b")
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.NAME_COLLISION
    (src / "readme.md").unlink()
    (src / "vendor.whl").write_bytes(b"x")
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.NESTED_ARCHIVE
    (src / "vendor.whl").unlink()
    (src / "blob.bin").write_bytes(b"PK\x03\x04" + bytes(40))
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.NESTED_ARCHIVE
    (src / "blob.bin").unlink()
    (src / os.fsdecode(b"bad\xff.py")).write_text("x")
    with pytest.raises(PackError) as caught:
        pack_directory(src)
    assert caught.value.reason_class == ReasonClass.BAD_NAME


def test_rejects_unknown_format_and_missing_dir(tmp_path: Path) -> None:
    src = make_tree(tmp_path / "h")
    with pytest.raises(ValueError, match="unknown archive format"):
        pack_directory(src, "rar")  # type: ignore[arg-type]
    with pytest.raises(PackError):
        pack_directory(tmp_path / "missing")
