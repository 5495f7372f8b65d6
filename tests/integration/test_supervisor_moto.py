"""The sandbox task protocol end to end against moto: prepare, run, read the results.

moto's `mock_aws` serves S3 and also answers the supervisor's `requests` calls to the
presigned URLs, exactly as the local flow uses it; the harness itself runs in the real
bubblewrap sandbox.
"""

from __future__ import annotations

import io
import json
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from dfab.settings import GenerationSettings, SandboxSettings, Settings, VerificationSettings
from dfab.storage import keys
from dfab.supervisor import TASK_URL_ENV, prepare_task, run_task_from_environment
from sandbox_support import bwrap_unusable

BUCKET = "dfab-test"
SUB = "sub-0001"

MANIFEST = """\
[harness]
name = "tiny"
version = "0.1.0"
entrypoint = "generate.py"
description = "Writes one conversation per requested line."
"""

GENERATE = r"""
import argparse, json, os, random
p = argparse.ArgumentParser()
p.add_argument("--output"); p.add_argument("--count", type=int)
p.add_argument("--seed", type=int); p.add_argument("--work-dir")
a = p.parse_args()
assert a.output == os.environ["DF_OUTPUT_PATH"] and str(a.seed) == os.environ["DF_SEED"]
assert not os.path.exists(a.output) and os.path.isdir(os.path.dirname(a.output))
rng = random.Random(a.seed)
with open(a.output, "w") as f:
    for i in range(a.count):
        n = rng.randint(1, 99)
        code = f"def f():\n    return {n}\n"
        want = n if i % 2 == 0 else n + 1
        test = f"from sol import f\n\ndef test_f():\n    assert f() == {want}\n"
        cmd = ["python", "-m", "pytest", "-q", "-p", "no:cacheprovider"]
        line = {"schema_version": 1, "id": f"c{i}",
                "messages": [{"role": "user", "content": "write f"},
                             {"role": "assistant", "content": "```python\n" + code + "```"}],
                "verification": {"kind": "command", "files": {"sol.py": code, "test_sol.py": test},
                                 "command": cmd, "timeout_s": 30, "solution_files": ["sol.py"]}}
        f.write(json.dumps(line) + "\n")
"""

FAILING = "import sys\nprint('about to fail', file=sys.stderr)\nsys.exit(3)\n"


pytestmark = [
    pytest.mark.sandbox,
    pytest.mark.skipif(
        bwrap_unusable(SandboxSettings()) is not None,
        reason="bubblewrap cannot create a sandbox here",
    ),
]


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text)
    return buf.getvalue()


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _settings(**sandbox: Any) -> Settings:
    return Settings(
        sandbox=SandboxSettings(wall_timeout_s=60, memory_mb=512, **sandbox),
        generation=GenerationSettings(num_conversations=4, probe_conversations=2),
        verification=VerificationSettings(max_total_s=60),
    )


def _run_in_thread(env: dict[str, str]) -> int:
    """The lead's local flow runs the task function in a worker thread; do the same."""
    out: list[int] = []
    t = threading.Thread(target=lambda: out.append(run_task_from_environment(env)))
    t.start()
    t.join(120)
    assert not t.is_alive()
    return out[0]


def _task_env(prepared: dict[str, Any]) -> dict[str, str]:
    [override] = prepared["overrides"]["ContainerOverrides"]
    assert override["Name"] == "sandbox"
    [var] = override["Environment"]
    assert var["Name"] == TASK_URL_ENV
    return {var["Name"]: var["Value"]}


def _get_json(s3: Any, key: str) -> dict[str, Any]:
    return json.loads(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())


def _upload(s3: Any, files: dict[str, str]) -> str:
    key = keys.archive_key("5Fhotkey", SUB, "zip")
    s3.put_object(Bucket=BUCKET, Key=key, Body=_zip(files))
    return key


def _prepare(
    s3: Any, key: str, settings: Settings, seed: int, task: str = "generate", **extra: Any
) -> dict[str, Any]:
    """`prepare_task` for this test's submission and its zip archive at `key`."""
    return prepare_task(
        s3,
        BUCKET,
        SUB,
        task,
        archive_key=key,
        archive_format="zip",
        settings=settings,
        seed=seed,
        **extra,
    )


def _run(prepared: dict[str, Any]) -> None:
    """Run the prepared task as the worker thread would; the supervisor must exit 0."""
    assert _run_in_thread(_task_env(prepared)) == 0


def _generate(s3: Any, key: str, settings: Settings, seed: int) -> dict[str, Any]:
    """Prepare and run a generate task; return its result document."""
    _run(_prepare(s3, key, settings, seed))
    return _get_json(s3, keys.generation_result_key(SUB))


def test_generate_uploads_dataset_and_result(s3: Any) -> None:
    key = _upload(s3, {"harness.toml": MANIFEST, "generate.py": GENERATE})
    settings = _settings()
    prepared = _prepare(s3, key, settings, seed=42)
    assert prepared["timeout_s"] >= settings.sandbox.wall_timeout_s
    assert len(json.dumps(prepared["overrides"])) < 8192

    _run(prepared)

    result = _get_json(s3, keys.generation_result_key(SUB))
    assert result["exit_reason"] == "ok", result
    assert result["submission_id"] == SUB and result["seed"] == 42 and result["count"] == 4
    assert result["output_lines"] == 4 and result["reason"] is None
    assert result["upload"] == "put"
    body = s3.get_object(Bucket=BUCKET, Key=keys.dataset_key(SUB))["Body"].read()
    assert len(body.splitlines()) == 4 and result["output_bytes"] == len(body)
    # The envelope was burnt after reading: its URL is now useless to anyone.
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="tasks/").get("Contents", [])
    assert listed == []
    # The probe: a second, small run with another seed, kept for scoring.
    probe = result["probe"]
    assert probe["exit_reason"] == "ok" and probe["uploaded"] is True
    assert probe["seed"] != 42 and probe["count"] == settings.generation.probe_conversations
    probe_body = s3.get_object(Bucket=BUCKET, Key=keys.probe_dataset_key(SUB))["Body"].read()
    assert len(probe_body.splitlines()) == probe["count"]
    assert probe_body.splitlines()[0] != body.splitlines()[0]  # the seed changed the data


def test_failing_harness_still_leaves_a_result_document(s3: Any) -> None:
    key = _upload(s3, {"harness.toml": MANIFEST, "generate.py": FAILING})
    result = _generate(s3, key, _settings(), seed=1)
    assert result["exit_reason"] == "exit_code" and result["exit_code"] == 3
    assert result["reason"]["class"] == "HARNESS_EXIT"
    assert "about to fail" in result["reason"]["message"]
    missing = s3.list_objects_v2(Bucket=BUCKET, Prefix=keys.dataset_key(SUB))
    assert missing.get("KeyCount", 0) == 0


def test_unsafe_archive_is_refused_inside_the_task(s3: Any) -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("harness.toml", MANIFEST)
        z.writestr("../escape.py", "print('x')")
    key = keys.archive_key("5Fhotkey", SUB, "zip")
    s3.put_object(Bucket=BUCKET, Key=key, Body=buf.getvalue())
    result = _generate(s3, key, _settings(), seed=1)
    assert result["exit_reason"] == "not_run"
    assert result["reason"]["class"] == "PATH_TRAVERSAL"


def test_large_output_goes_up_in_parts(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from dfab.supervisor import envelope, prepare

    part = 5 * 1024 * 1024
    monkeypatch.setattr(envelope, "PART_SIZE", part)
    monkeypatch.setattr(prepare, "PART_SIZE", part)
    big = (
        "import os\nwith open(os.environ['DF_OUTPUT_PATH'], 'w') as f:\n"
        "    for i in range(int(os.environ['DF_NUM_CONVERSATIONS'])):\n"
        '        f.write(\'{"id": "c%d", "pad": "%s"}\\n\' % (i, \'x\' * 4000))\n'
    )
    key = _upload(s3, {"harness.toml": MANIFEST, "generate.py": big})
    settings = _settings(max_output_mb=32).model_copy(
        update={"generation": GenerationSettings(num_conversations=3000)}
    )
    result = _generate(s3, key, settings, seed=1)
    assert result["exit_reason"] == "ok" and result["upload"] == "multipart", result
    head = s3.head_object(Bucket=BUCKET, Key=keys.dataset_key(SUB))
    assert head["ContentLength"] == result["output_bytes"] > part


def test_verify_runs_the_sampled_blocks(s3: Any) -> None:
    key = _upload(s3, {"harness.toml": MANIFEST, "generate.py": GENERATE})
    settings = _settings()
    _run(_prepare(s3, key, settings, seed=7))
    _run(_prepare(s3, key, settings, seed=7, task="verify", sample_ids=["c0", "c1", "nope"]))
    report = _get_json(s3, keys.verification_result_key(SUB))
    outcomes = {r["conversation_id"]: r["outcome"] for r in report["results"]}
    assert outcomes == {"c0": "pass", "c1": "fail", "nope": "error"}, report
    assert report["summary"]["pass"] == 1 and report["sample_ids"] == ["c0", "c1", "nope"]


def test_missing_task_url_is_an_infrastructure_error() -> None:
    assert run_task_from_environment({}) == 2


def test_image_entrypoint_in_container_mode() -> None:
    """The image's entrypoint as its own process, in the container backend (no bwrap),
    against a moto server on loopback: what a Fargate task does, minus Fargate."""
    import os
    import socket
    import subprocess
    import sys
    import tempfile

    from moto.server import ThreadedMotoServer

    if os.geteuid() != 0 or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root (drops to the sandbox uid) and /usr/bin/python3")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=f"http://127.0.0.1:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        s3.create_bucket(Bucket=BUCKET)
        key = _upload(s3, {"harness.toml": MANIFEST, "generate.py": GENERATE})
        prepared = _prepare(s3, key, _settings(), seed=3)
        # The dropped uid must traverse to the boxes: not under pytest's 0700 tmp_path.
        scratch = Path(tempfile.mkdtemp(prefix="dfab-test-scratch-", dir="/tmp"))
        scratch.chmod(0o711)
        env = {
            "PATH": "/usr/bin:/bin",
            "DFAB_SANDBOX_BACKEND": "container",
            "DFAB_SANDBOX_PYTHON": "/usr/bin/python3",
            "DFAB_SCRATCH_DIR": str(scratch),
            "TMPDIR": str(scratch),
            "AWS_SECRET_ACCESS_KEY": "must-not-leak",
            **_task_env(prepared),
        }
        entry = Path(__file__).resolve().parents[2] / "sandbox_image" / "entrypoint.py"
        proc = subprocess.run(
            [sys.executable, str(entry)], env=env, capture_output=True, text=True, timeout=120
        )
        assert proc.returncode == 0, proc.stderr[-2000:]
        result = _get_json(s3, keys.generation_result_key(SUB))
        assert result["exit_reason"] == "ok", (result["detail"], result["stderr_tail"])
        assert result["isolation"] == "container" and result["output_lines"] == 4
        assert s3.head_object(Bucket=BUCKET, Key=keys.dataset_key(SUB))["ContentLength"] > 0
        assert list(scratch.iterdir()) == []
        scratch.rmdir()
    finally:
        server.stop()
