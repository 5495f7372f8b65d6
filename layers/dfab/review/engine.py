"""`review_harness`: the static review of an unpacked harness, file by file.

Order: the package (manifest, entrypoint, compiled or native files), the limits (total
code size, nesting depth), then every rule over every parsed file. Findings carry the
configured severity; the caller rejects on any critical one (REVIEW_CRITICAL).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dfab.contracts.allowlist import RUNTIME_ALLOWLIST
from dfab.contracts.manifest import MANIFEST_NAME, check_dependencies, parse_manifest
from dfab.contracts.reasons import VerdictError
from dfab.review.catalog import RULES
from dfab.review.models import Finding, ReviewReport
from dfab.review.rules import FileChecker
from dfab.review.settings import ReviewSettings
from dfab.review.source import harness_files, load_sources, read_entrypoint

_BYTECODE = (".pyc", ".pyo")
_NATIVE = (".so", ".pyd", ".dll", ".dylib")


class _Collector:
    def __init__(self, settings: ReviewSettings) -> None:
        self.settings = settings
        self.findings: dict[tuple[str, str, int, str], Finding] = {}

    def add(self, rule: str, path: str, line: int, message: str, col: int = 0) -> None:
        key = (rule, path, line, message)
        if key in self.findings:
            return
        self.findings[key] = Finding(
            rule=rule,
            severity=self.settings.severity_of(rule),
            path=path,
            line=line,
            col=col,
            message=message,
            fix=RULES[rule].fix,
        )

    def sorted(self) -> list[Finding]:
        return sorted(
            self.findings.values(),
            key=lambda f: (-f.severity.rank, f.path, f.line, f.col, f.rule),
        )


def _manifest(root: Path, out: _Collector) -> None:
    """The package-level checks: manifest valid, entrypoint present, dependencies allowed."""
    path = root / MANIFEST_NAME
    if not path.is_file():
        out.add("manifest.invalid", MANIFEST_NAME, 0, f"no {MANIFEST_NAME} at the harness root")
        return
    try:
        manifest = parse_manifest(path.read_bytes())
    except VerdictError as exc:
        out.add("manifest.invalid", MANIFEST_NAME, 0, exc.reason.message)
        return
    entry = root / manifest.harness.entrypoint
    if entry.is_symlink() or not entry.is_file():
        out.add(
            "entrypoint.missing",
            MANIFEST_NAME,
            0,
            f"entrypoint {manifest.harness.entrypoint!r} is not a file in the harness",
        )
    try:
        check_dependencies(manifest, RUNTIME_ALLOWLIST)
    except VerdictError as exc:
        out.add("manifest.dependency", MANIFEST_NAME, 0, exc.reason.message)


def review_harness(
    root: Path, settings: ReviewSettings, *, skip_dirs: Iterable[str] = ()
) -> ReviewReport:
    """Review every `.py` file under `root` (an unpacked harness); never runs its code.

    `skip_dirs` names directories to ignore (the CLI passes the ones `pack_directory`
    leaves out, so a local check sees what the archive will hold).
    """
    out = _Collector(settings)
    _manifest(root, out)
    files = harness_files(root, skip_dirs)
    for rel in files:
        lower = rel.lower()
        if lower.endswith(_BYTECODE):
            out.add("compiled.bytecode", rel, 0, "compiled Python bytecode cannot be reviewed")
        elif lower.endswith(_NATIVE):
            out.add("native.binary", rel, 0, "native library")
    py_files = [rel for rel in files if rel.endswith(".py")]
    total = sum((root / rel).stat().st_size for rel in py_files)
    if total > settings.max_code_bytes:
        out.add(
            "limits.code_size",
            ".",
            0,
            f"{total} bytes of Python code; the limit is {settings.max_code_bytes} "
            "(only the files within the limit were reviewed)",
        )
    sources = load_sources(root, py_files, settings.max_ast_depth, settings.max_code_bytes)
    entrypoint = read_entrypoint(root)
    deepest = 0
    for src in sources:
        deepest = max(deepest, src.depth)
        if src.tree is None:
            if src.depth > settings.max_ast_depth:
                out.add(
                    "limits.ast_depth",
                    src.rel,
                    src.error_line,
                    f"{src.error}; the limit is {settings.max_ast_depth}",
                )
            elif src.rel == entrypoint:
                out.add("entrypoint.syntax", src.rel, src.error_line, src.error or "unparseable")
            elif src.error and src.error.startswith("not valid source"):
                out.add("source.encoding", src.rel, 0, src.error)
            else:
                out.add("source.syntax", src.rel, src.error_line, src.error or "unparseable")
            continue
        for hit in FileChecker(src.tree, settings).hits():
            out.add(hit.rule, src.rel, hit.line, hit.message, hit.col)
    return ReviewReport(
        files_reviewed=sum(1 for s in sources if s.ok),
        code_bytes=total,
        max_ast_depth=deepest,
        findings=out.sorted(),
    )
