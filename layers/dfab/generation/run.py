"""The generation step: run a harness per the runtime contract (CONTRACTS.md §2).

Layout of a run's box (seen inside the bwrap sandbox under /sandbox):

    harness/   a copy of the unpacked harness, the working directory
    work/      DF_WORK_DIR, scratch
    output/    the output's directory; DF_OUTPUT_PATH = output/dataset.jsonl (absent at start)

Only the output file leaves the box, copied without following links, and only when
the run ended `ok`.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from dfab.contracts.manifest import MANIFEST_NAME, parse_manifest
from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.contracts.runtime import RuntimeContract
from dfab.generation.result import GenerationResult, from_sandbox
from dfab.sandbox import RunSpec, Sandbox, get_sandbox
from dfab.sandbox.fs import NotRegularFile, open_regular
from dfab.settings import Settings

OUTPUT_REL = "output/dataset.jsonl"
_SKIP = shutil.ignore_patterns(".git", "__pycache__", ".venv", "*.pyc")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def read_entrypoint(harness_dir: Path) -> str:
    """The manifest's entrypoint, checked to be a regular file inside the harness."""
    try:
        with open_regular(harness_dir, MANIFEST_NAME) as fd:
            text = os.read(fd, 1 << 20)
    except NotRegularFile as exc:
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID, f"no usable {MANIFEST_NAME}: {exc}"
        ) from exc
    entry = parse_manifest(text).harness.entrypoint
    try:
        with open_regular(harness_dir, entry):
            pass
    except NotRegularFile as exc:
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID, f"the entrypoint {entry} is not usable: {exc}"
        ) from exc
    return entry


def _copy_output(box_path: Path, dest: Path, max_bytes: int) -> tuple[int, int, str]:
    """Copy the output out of the box: (bytes, lines, sha256); never follows a link."""
    digest = hashlib.sha256()
    lines = 0
    size = 0
    last = b"\n"
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(dest.name + ".part")
    with open_regular(box_path, OUTPUT_REL) as fd, tmp.open("wb") as out:
        os.set_blocking(fd, True)
        while size < max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes - size))
            if not chunk:
                break
            out.write(chunk)
            digest.update(chunk)
            lines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    if last != b"\n":
        lines += 1
    tmp.replace(dest)
    return size, lines, digest.hexdigest()


def run_generation(
    harness_dir: Path,
    output_path: Path,
    *,
    count: int,
    seed: int,
    settings: Settings,
    sandbox: Sandbox | None = None,
) -> GenerationResult:
    """Run the harness in `harness_dir` and copy its dataset to `output_path`.

    Raises `VerdictError(MANIFEST_INVALID)` when there is nothing runnable and
    `SandboxUnavailable` when no sandbox can be made; every other outcome, good or bad,
    is the returned document (`failure_reason()` says why it failed).
    """
    entry = read_entrypoint(harness_dir)
    sb = sandbox if sandbox is not None else get_sandbox(settings.sandbox)
    limits = sb.settings
    output_path.unlink(missing_ok=True)
    started = now_iso()
    with sb.box() as box:
        shutil.copytree(harness_dir, box.path / "harness", symlinks=True, ignore=_SKIP)
        (box.path / "work").mkdir()
        (box.path / "output").mkdir()
        contract = RuntimeContract(
            output_path=box.inner(OUTPUT_REL),
            num_conversations=count,
            seed=seed,
            work_dir=box.inner("work"),
        )
        spec = RunSpec(
            argv=contract.argv(entry), cwd="harness", env=contract.env(), watch_file=OUTPUT_REL
        )
        res = sb.run(box, spec)
        lines = digest = None
        if res.ok:
            _, lines, digest = _copy_output(
                box.path, output_path, limits.max_output_mb * 1024 * 1024
            )
    return from_sandbox(
        res,
        seed=seed,
        count=count,
        entrypoint=entry,
        started_at=started,
        finished_at=now_iso(),
        limits=limits.model_dump(mode="json"),
        output_lines=lines,
        output_sha256=digest,
    )
