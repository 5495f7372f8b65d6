"""`run_task_from_environment`: what the sandbox image runs (and the local flow, in a thread).

generate: fetch the archive, re-run archive safety while extracting, run the harness,
upload the dataset, upload the generation result. verify: fetch the dataset, pick the
sampled conversations' `verification` blocks, run them, upload the report.

A result document is ALWAYS uploaded, also when the harness failed or the archive was
refused, and the exit status is 0 whenever it was: the state machine's next step reads
the document and decides. A non-zero exit means the infrastructure itself failed.
Secrets (the envelope's presigned URLs) never reach the child: its environment is an
allowlist, the envelope is deleted right after it is read, and in the container the
supervisor is non-dumpable so a same-uid child cannot read its memory.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dfab.contracts.dataset import Verification
from dfab.contracts.reasons import Reason, ReasonClass, VerdictError
from dfab.generation import GenerationResult, not_run, run_generation
from dfab.generation.run import now_iso
from dfab.sandbox import (
    BwrapSandbox,
    ContainerSandbox,
    Sandbox,
    SandboxUnavailable,
    get_sandbox,
)
from dfab.sandbox.process import protect_supervisor
from dfab.settings import Settings
from dfab.supervisor import transfer
from dfab.supervisor.envelope import TASK_URL_ENV, TaskEnvelope
from dfab.verification import BlockResult, run_verification_blocks

log = logging.getLogger("dfab.supervisor")
BACKEND_ENV = "DFAB_SANDBOX_BACKEND"  # set by the image: "auto" | "bwrap" | "container"
SCRATCH_ENV = "DFAB_SCRATCH_DIR"
EXIT_OK = 0
EXIT_INFRA = 1
EXIT_NO_TASK = 2
_MAX_ENVELOPE = 1 << 20


def _extract(archive: Path, dest: Path, env: TaskEnvelope) -> None:
    """Archive safety again, inside the task (dfab.archive is the one implementation)."""
    from dfab.archive import extract_archive

    extract_archive(archive, dest, env.archive, declared_format=env.archive_format)


def _settings(env: TaskEnvelope, environ: Mapping[str, str]) -> Settings:
    sandbox = env.sandbox
    backend = environ.get(BACKEND_ENV)
    if backend in ("container", "auto"):
        # In the image the interpreter is the image's own; a validator path means nothing.
        sandbox = sandbox.model_copy(update={"backend": "container", "runtime_python": None})
    elif backend == "bwrap":
        sandbox = sandbox.model_copy(update={"backend": "bwrap"})
    return Settings(sandbox=sandbox, archive=env.archive, verification=env.verification)


def _sandbox(settings: Settings, environ: Mapping[str, str]) -> Sandbox:
    if environ.get(BACKEND_ENV) == "auto":
        try:
            return BwrapSandbox(settings.sandbox.model_copy(update={"backend": "bwrap"}))
        except SandboxUnavailable as exc:
            log.info("bubblewrap unusable in this container (%s); using rlimits only", exc)
            return ContainerSandbox(settings.sandbox)
    return get_sandbox(settings.sandbox)


def _generate(
    env: TaskEnvelope, settings: Settings, scratch: Path, environ: Mapping[str, str]
) -> dict[str, Any]:
    started = now_iso()

    def failed(reason: Reason) -> dict[str, Any]:
        doc = not_run(
            reason, seed=env.seed, count=env.count, started_at=started, finished_at=now_iso()
        )
        return doc.dump()

    archive = scratch / f"harness.{env.archive_format}"
    try:
        transfer.get_to_file(
            env.harness_url,
            archive,
            max_bytes=env.archive.max_archive_bytes,
            what="harness archive",
        )
    except transfer.TooLarge as exc:
        return failed(Reason(reason_class=ReasonClass.TOO_LARGE, message=str(exc)))
    harness = scratch / "harness"
    try:
        _extract(archive, harness, env)
        sandbox = _sandbox(settings, environ)
        output = scratch / "dataset.jsonl"
        result: GenerationResult = run_generation(
            harness, output, count=env.count, seed=env.seed, settings=settings, sandbox=sandbox
        )
    except VerdictError as exc:
        return failed(exc.reason)
    except SandboxUnavailable as exc:
        return failed(Reason(reason_class=ReasonClass.SANDBOX_UNAVAILABLE, message=str(exc)[:4000]))
    doc = result.dump()
    if result.ok:
        assert env.dataset_upload is not None
        doc["upload"] = transfer.upload_file(env.dataset_upload, output)
        if env.probe is not None:
            doc["probe"] = _probe(env, harness, scratch, settings, sandbox)
    return doc


def _probe(
    env: TaskEnvelope, harness: Path, scratch: Path, settings: Settings, sandbox: Sandbox
) -> dict[str, Any]:
    """Run the harness again, small, with another seed; keep its output for scoring.

    A failing probe does not fail the submission (the main run succeeded); the scorer
    reads what happened from this summary.
    """
    assert env.probe is not None
    output = scratch / "probe.jsonl"
    result = run_generation(
        harness,
        output,
        count=env.probe.count,
        seed=env.probe.seed,
        settings=settings,
        sandbox=sandbox,
    )
    summary: dict[str, Any] = {
        "seed": env.probe.seed,
        "count": env.probe.count,
        "exit_reason": result.exit_reason,
        "output_lines": result.output_lines,
        "output_sha256": result.output_sha256,
        "uploaded": False,
    }
    if result.ok and output.stat().st_size <= env.probe.max_bytes:
        transfer.put_bytes(env.probe.put_url, output.read_bytes(), what="probe upload")
        summary["uploaded"] = True
    return summary


def _sampled_blocks(
    path: Path, ids: list[str]
) -> tuple[list[tuple[str, Verification]], list[BlockResult]]:
    """The sampled ids' blocks in sample order; ids without a usable block become errors."""
    wanted = set(ids)
    found: dict[str, Verification | str] = {}
    with path.open("rb") as f:
        for raw in f:
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            cid = obj.get("id") if isinstance(obj, dict) else None
            if not isinstance(cid, str) or cid not in wanted or cid in found:
                continue
            try:
                found[cid] = Verification.model_validate(obj.get("verification"))
            except ValueError as exc:
                found[cid] = f"its verification block is invalid: {str(exc)[:300]}"
    blocks: list[tuple[str, Verification]] = []
    errors: list[BlockResult] = []
    for cid in ids:
        item = found.get(cid, "no line with this id in the dataset")
        if isinstance(item, Verification):
            blocks.append((cid, item))
        else:
            errors.append(BlockResult(conversation_id=cid, outcome="error", detail=item))
    return blocks, errors


def _verify(
    env: TaskEnvelope, settings: Settings, scratch: Path, environ: Mapping[str, str]
) -> dict[str, Any]:
    assert env.dataset_url is not None
    dataset = scratch / "dataset.jsonl"
    transfer.get_to_file(
        env.dataset_url, dataset, max_bytes=env.sandbox.max_output_mb * 1024 * 1024, what="dataset"
    )
    blocks, errors = _sampled_blocks(dataset, env.sample_ids)
    try:
        sandbox = _sandbox(settings, environ)
    except SandboxUnavailable as exc:
        reason = Reason(reason_class=ReasonClass.SANDBOX_UNAVAILABLE, message=str(exc)[:4000])
        return _not_run_doc(env, reason, now_iso())
    report = run_verification_blocks(blocks, settings, sandbox)
    doc = report.model_copy(update={"results": report.results + errors}).dump()
    doc["exit_reason"] = "ok"
    doc["sample_ids"] = env.sample_ids
    return doc


def _not_run_doc(env: TaskEnvelope, reason: Reason, started: str) -> dict[str, Any]:
    """The document of a task that could not run its harness or blocks at all."""
    if env.mode == "generate":
        return not_run(
            reason, seed=env.seed, count=env.count, started_at=started, finished_at=now_iso()
        ).dump()
    return {
        "schema_version": 1,
        "exit_reason": "not_run",
        "reason": reason.dump(),
        "started_at": started,
        "finished_at": now_iso(),
        "results": [],
    }


def _scratch_root(environ: Mapping[str, str]) -> str | None:
    return environ.get(SCRATCH_ENV) or None


def run_task_from_environment(environ: Mapping[str, str]) -> int:
    """Do the task named by `environ["DFAB_TASK_URL"]`; 0 once a result document is stored."""
    url = environ.get(TASK_URL_ENV)
    if not url:
        print(f"dfab-supervisor: {TASK_URL_ENV} is not set", file=sys.stderr)
        return EXIT_NO_TASK
    try:
        env = TaskEnvelope.model_validate(
            transfer.get_json(url, max_bytes=_MAX_ENVELOPE, what="task envelope")
        )
    except (transfer.TransferError, ValueError) as exc:
        print(f"dfab-supervisor: cannot read the task envelope: {exc}", file=sys.stderr)
        return EXIT_INFRA
    if env.envelope_delete_url:
        try:
            transfer.delete(env.envelope_delete_url, what="delete task envelope")
        except transfer.TransferError as exc:
            log.warning("could not delete the task envelope: %s", exc)
    settings = _settings(env, environ)
    started = now_iso()
    try:
        with tempfile.TemporaryDirectory(prefix="dfab-task-", dir=_scratch_root(environ)) as tmp:
            scratch = Path(tmp)
            if env.mode == "generate":
                doc = _generate(env, settings, scratch, environ)
            else:
                doc = _verify(env, settings, scratch, environ)
    except Exception as exc:  # infrastructure: still try to leave a document behind
        log.exception("sandbox task failed")
        reason = Reason(
            reason_class=ReasonClass.INTERNAL, message=f"sandbox task error: {exc}"[:4000]
        )
        _upload_result(env, _not_run_doc(env, reason, started))
        return EXIT_INFRA
    return EXIT_OK if _upload_result(env, doc) else EXIT_INFRA


def _upload_result(env: TaskEnvelope, doc: dict[str, Any]) -> bool:
    doc = {"submission_id": env.submission_id, "mode": env.mode, **doc}
    try:
        transfer.put_bytes(env.result_put_url, json.dumps(doc).encode(), what="result document")
    except transfer.TransferError as exc:
        print(f"dfab-supervisor: cannot store the result document: {exc}", file=sys.stderr)
        return False
    return True


def main() -> int:
    """The image's entrypoint: the task's URL from the environment, then scrub it."""
    protect_supervisor()
    environ = dict(os.environ)
    os.environ.pop(TASK_URL_ENV, None)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    return run_task_from_environment(environ)
