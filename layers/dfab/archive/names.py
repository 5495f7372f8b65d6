"""The one entry-name policy shared by zip and tar.

A name is accepted only if every extractor on every OS would agree on where it lands
and that it stays inside the target directory; anything else is refused rather than
"sanitized", because silent renaming would make the listing lie about the content.
"""

from __future__ import annotations

import re
import unicodedata

from dfab.contracts.reasons import ReasonClass, VerdictError

MAX_NAME_BYTES = 1024
MAX_COMPONENT_BYTES = 255
MAX_DEPTH = 32

# C0, DEL and C1 controls, plus invisible/bidi formatting characters that make a name
# display differently from what it is (e.g. U+202E turns "evil\u202eyp.sh" into "evilhs.py").
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
_DRIVE = re.compile(r"^[A-Za-z]:")


def show(raw: bytes | str, limit: int = 160) -> str:
    """A printable, bounded rendering of an untrusted name for error messages."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    shown = repr(text)
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"


def _pair(a: str, b: str) -> tuple[str, str]:
    """Two colliding names, escaped when they would print identically (NFC vs NFD)."""
    if a != b and unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b):
        return ascii(a), ascii(b)
    return show(a), show(b)


def _bad(reason: ReasonClass, raw: bytes | str, why: str) -> VerdictError:
    return VerdictError(reason, f"entry {show(raw)} {why}")


def normalize_name(raw: bytes, *, is_dir: bool) -> str | None:
    """Validate an entry name and return its canonical relative path.

    Returns None for the archive root itself (`./` as written by `tar -C dir .`).
    A trailing `/` is stripped from directory names only; the caller decides what a
    trailing slash on a non-directory means for its format.
    """
    if not raw:
        raise _bad(ReasonClass.BAD_NAME, raw, "has an empty name; give every entry a name")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(
            ReasonClass.BAD_NAME, raw, "is not valid UTF-8; rename it using UTF-8 characters"
        ) from exc
    if _CONTROL.search(text):
        raise _bad(
            ReasonClass.BAD_NAME,
            raw,
            "contains NUL, control or invisible formatting characters; rename it",
        )
    if "\\" in text:
        raise _bad(
            ReasonClass.PATH_TRAVERSAL,
            raw,
            "contains a backslash; use '/' as the separator and create the archive on "
            "a POSIX system or with `dfab pack`",
        )
    if text.startswith("/"):
        raise _bad(
            ReasonClass.PATH_TRAVERSAL,
            raw,
            "is an absolute path; store paths relative to the harness root",
        )
    if _DRIVE.match(text):
        raise _bad(
            ReasonClass.PATH_TRAVERSAL,
            raw,
            "starts with a drive letter; store paths relative to the harness root",
        )
    body = text[:-1] if is_dir and text.endswith("/") else text
    parts = body.split("/")
    while parts and parts[0] == ".":
        parts.pop(0)
    if not parts:
        return None
    for part in parts:
        if part == "..":
            raise _bad(
                ReasonClass.PATH_TRAVERSAL,
                raw,
                "has a '..' component and could leave the archive root; remove it",
            )
        if part in ("", "."):
            raise _bad(
                ReasonClass.BAD_NAME,
                raw,
                "has an empty or '.' path component (like 'a//b' or 'a/./b'); store the plain path",
            )
        if len(part.encode("utf-8")) > MAX_COMPONENT_BYTES:
            raise _bad(
                ReasonClass.BAD_NAME,
                raw,
                f"has a path component longer than {MAX_COMPONENT_BYTES} bytes; shorten it",
            )
    if len(parts) > MAX_DEPTH:
        raise _bad(ReasonClass.BAD_NAME, raw, f"is nested deeper than {MAX_DEPTH} directories")
    name = "/".join(parts)
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise _bad(ReasonClass.BAD_NAME, raw, f"is longer than {MAX_NAME_BYTES} bytes")
    return name


def fold(name: str) -> str:
    """Collision key: equal for names a case-insensitive or normalizing filesystem merges."""
    if name.isascii():
        return name.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFC", name).casefold())


class NameRegistry:
    """Detects duplicates and file/directory conflicts among normalized names.

    Keys are folded (case + NFC), so `README.md`/`readme.md` and NFC/NFD spellings of
    the same name collide; a directory must be spelled one way throughout.
    """

    __slots__ = ("_dirs", "_explicit", "_files")

    def __init__(self) -> None:
        self._files: dict[str, str] = {}
        self._dirs: dict[str, str] = {}  # folded key -> spelling, explicit or implied
        self._explicit: set[str] = set()

    @property
    def directories(self) -> int:
        """Distinct directories extraction will create (explicit or implied)."""
        return len(self._dirs)

    def add(self, name: str, *, is_dir: bool) -> None:
        key = fold(name)
        spelled = name.split("/")
        folded = key.split("/")
        for depth in range(1, len(spelled)):
            pkey = "/".join(folded[:depth])
            pname = "/".join(spelled[:depth])
            if pkey in self._files:
                raise _bad(
                    ReasonClass.NAME_COLLISION,
                    name,
                    f"is inside {show(self._files[pkey])}, which is a file; "
                    "a path cannot be both a file and a directory",
                )
            self._claim_dir(pkey, pname, name)
        if key in self._files:
            mine, other = _pair(name, self._files[key])
            what = "is a directory named like file" if is_dir else "duplicates file"
            raise VerdictError(
                ReasonClass.NAME_COLLISION,
                f"entry {mine} {what} {other} (names compared after case folding and "
                "Unicode NFC normalization); keep only one of them",
            )
        if is_dir:
            if key in self._explicit:
                raise _bad(
                    ReasonClass.NAME_COLLISION,
                    name,
                    "appears twice (same name after case folding and NFC normalization)",
                )
            self._claim_dir(key, name, name)
            self._explicit.add(key)
        else:
            if key in self._dirs:
                raise _bad(
                    ReasonClass.NAME_COLLISION,
                    name,
                    f"is a file but {show(self._dirs[key])} is a directory holding "
                    "other entries; rename one of them",
                )
            self._files[key] = name

    def _claim_dir(self, key: str, spelling: str, entry: str) -> None:
        known = self._dirs.get(key)
        if known is None:
            self._dirs[key] = spelling
        elif known != spelling:
            mine, other = _pair(spelling, known)
            raise _bad(
                ReasonClass.NAME_COLLISION,
                entry,
                f"uses directory {mine}, which collides with {other} "
                "(same name after case folding and NFC normalization); use one spelling",
            )
