"""End to end on the loopback stack: `dfab keygen`, `dfab check`, `dfab submit`, `dfab status`.

The local server runs moto in server mode (S3, SQS, DynamoDB, Step Functions executing
the deployed definition), the deployed API handler on 127.0.0.1, and the deployed
validate handler fed from the S3 -> SQS notification. The CLI runs as a separate
process and talks to it over HTTP only, uploading through the presigned POST.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from e2e_support import SMALL, dfab, hotkey_file_fixture, quick_server_fixture, serving  # noqa: F401 (fixtures)

from conftest import EXAMPLE_HARNESS, bwrap_usable
from dfab.intake import hotkeys, ss58
from dfab.intake.client import signed_request
from dfab.local.server import LocalServer, NotLoopback
from dfab.settings import Settings


def _harness(root: Path, manifest_extra: str = "") -> Path:
    root.mkdir()
    (root / "harness.toml").write_text(
        '[harness]\nname = "t"\nversion = "0.1.0"\nentrypoint = "generate.py"\n'
        'description = "test"\n' + manifest_extra
    )
    (root / "generate.py").write_text("raise SystemExit(0)\n")
    return root


# -- commands that need no server ---------------------------------------------------------


def test_keygen_writes_a_private_wallet_file(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    proc = dfab("keygen", "--out", str(path))
    assert proc.returncode == 0, proc.stderr
    address = proc.stdout.strip()
    ss58.decode(address, 42)
    assert path.stat().st_mode & 0o777 == 0o600
    assert hotkeys.from_wallet_file(path).address() == address
    again = dfab("keygen", "--out", str(path))
    assert again.returncode == 2 and "refusing to overwrite" in again.stderr
    assert path.stat().st_size > 0


def test_check_prints_the_verdict(tmp_path: Path) -> None:
    proc = dfab("check", str(EXAMPLE_HARNESS), "--json")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "accepted"
    assert doc["harness"]["name"] == "example-harness"

    bad = _harness(tmp_path / "bad", manifest_extra='dependencies = ["numpy"]\n')
    proc = dfab("check", str(bad), "--json")
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["verdict"] == "rejected"
    assert doc["reason"]["class"] == "DEPENDENCY_NOT_ALLOWED"

    human = dfab("check", str(bad))
    assert human.returncode == 1 and "DEPENDENCY_NOT_ALLOWED" in human.stdout

    missing = dfab("check", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and missing.stderr.startswith("dfab: error:")


def test_submit_usage_errors(tmp_path: Path) -> None:
    proc = dfab("submit", str(EXAMPLE_HARNESS), "--api", "http://127.0.0.1:9")
    assert proc.returncode == 2
    assert "no hotkey" in proc.stderr and "Traceback" not in proc.stderr
    key = tmp_path / "k.json"
    hotkeys.write_wallet_file(hotkeys.generate(), key)
    proc = dfab(
        "submit", str(EXAMPLE_HARNESS), "--api", "http://127.0.0.1:9", "--hotkey-file", str(key)
    )
    assert proc.returncode == 2
    assert "cannot reach the API" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2


def test_status_of_an_unknown_submission(quick_server: LocalServer) -> None:
    proc = dfab("status", "20990101T000000-000000000000", "--api", quick_server.api_url)
    assert proc.returncode == 2
    assert proc.stderr.startswith("dfab: error:") and "NOT_FOUND" in proc.stderr


def test_serve_command_starts_answers_and_stops() -> None:
    with serving() as info:
        assert info["api_url"].startswith("http://127.0.0.1:")
        reply = requests.get(f"{info['api_url']}/submissions/unknown-id", timeout=30)
        assert reply.status_code == 404 and reply.json()["code"] == "NOT_FOUND"


def test_server_binds_loopback_only() -> None:
    with pytest.raises(NotLoopback):
        LocalServer(Settings(), host="0.0.0.0")


# -- the loopback server, without the sandbox ---------------------------------------------


def test_rejected_upload_ends_rejected_without_running(
    quick_server: LocalServer, hotkey_file: tuple[Path, str], tmp_path: Path
) -> None:
    bad = _harness(tmp_path / "bad", manifest_extra="bogus = 1\n")
    api = quick_server.api_url
    # Locally `dfab submit` refuses to send what `dfab check` rejects...
    proc = dfab("submit", str(bad), "--api", api, "--hotkey-file", str(hotkey_file[0]), "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout)["verdict"] == "rejected"
    # ...and the validator rejects it on its own when the miner skips that check.
    proc = dfab(
        "submit", str(bad), "--api", api, "--hotkey-file", str(hotkey_file[0]),
        "--skip-check", "--json", "--poll", "0.3", "--timeout", "120",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["status"] == "REJECTED" and doc["final"] is True
    assert doc["reason"]["class"] == "MANIFEST_INVALID"
    assert [e["status"] for e in doc["timeline"]] == ["PENDING_UPLOAD", "VALIDATING", "REJECTED"]
    assert doc["report"]["score"] == 0.0


def test_server_refuses_forged_and_replayed_requests(quick_server: LocalServer) -> None:
    key = hotkeys.generate()
    body = signed_request(key, b"PK\x05\x06" + bytes(18), "zip").model_dump(mode="json")
    url = f"{quick_server.api_url}/submissions"
    forged = requests.post(url, json={**body, "size": 23}, timeout=30)
    assert forged.status_code == 401 and forged.json()["code"] == "BAD_SIGNATURE"
    first = requests.post(url, json=body, timeout=30)
    assert first.status_code == 201, first.text
    # The presigned POST points at the loopback storage server.
    assert first.json()["upload"]["url"].startswith(quick_server.moto_url)
    replay = requests.post(url, json=body, timeout=30)
    assert replay.status_code == 409 and replay.json()["code"] == "NONCE_REUSED"
    fresh = signed_request(key, b"PK\x05\x06" + bytes(18), "zip").model_dump(mode="json")
    busy = requests.post(url, json=fresh, timeout=30)
    assert busy.status_code == 409 and busy.json()["code"] == "EVALUATION_IN_FLIGHT"
    missing = requests.get(f"{quick_server.api_url}/submissions/nope-{secrets.token_hex(4)}")
    assert missing.status_code == 404 and missing.json()["code"] == "NOT_FOUND"


# -- the whole flow, with the sandbox -----------------------------------------------------


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer(Settings.model_validate(SMALL)) as s:
        yield s


def _get(api: str, sid: str) -> dict[str, Any]:
    reply = requests.get(f"{api}/submissions/{sid}", timeout=30)
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.mark.sandbox
@pytest.mark.skipif(not bwrap_usable(), reason="bubblewrap is not installed")
def test_submit_follows_to_completed(server: LocalServer, hotkey_file: tuple[Path, str]) -> None:
    key_path, address = hotkey_file
    api = server.api_url
    started = time.time()
    proc = dfab(
        "submit", str(EXAMPLE_HARNESS), "--api", api, "--hotkey-file", str(key_path),
        "--json", "--poll", "0.5", "--timeout", "540",
    )  # fmt: skip
    doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
    assert proc.returncode == 0, (proc.stderr, doc.get("reason"))
    sid = doc["submission_id"]
    assert doc["hotkey"] == address
    assert doc["status"] == "COMPLETED" and doc["final"] is True

    # The API shows the whole timeline, in order, with timestamps.
    view = _get(api, sid)
    statuses = [e["status"] for e in view["timeline"]]
    assert statuses == [
        "PENDING_UPLOAD", "VALIDATING", "QUEUED", "GENERATING", "SCORING", "COMPLETED",
    ]  # fmt: skip
    stamps = [e["at"] for e in view["timeline"]]
    assert stamps == sorted(stamps)
    assert stamps[0] >= time.strftime("%Y-%m-%dT%H:%M", time.gmtime(started - 60))
    assert view["harness"] == {"name": "example-harness", "version": "0.1.0"}
    report = view["report"]
    assert report["status"] == "COMPLETED" and report["score"] > 0
    assert report["dataset"]["valid"] == 24

    # What was uploaded through the presigned POST is exactly what was signed.
    s3 = boto3.client("s3", region_name=server.resources.region)
    uploaded = s3.get_object(Bucket=server.resources.bucket, Key=f"uploads/{address}/{sid}.zip")[
        "Body"
    ].read()
    assert hashlib.sha256(uploaded).hexdigest() == view["archive"]["sha256"]
    assert len(uploaded) == view["archive"]["size"]

    # The execution that ran is the deployed definition, named by the submission id.
    sfn = boto3.client("stepfunctions", region_name=server.resources.region)
    arn = server.resources.state_machine_arn or ""
    execution = sfn.describe_execution(
        executionArn=arn.replace(":stateMachine:", ":execution:") + f":{sid}"
    )
    assert execution["status"] == "SUCCEEDED"

    status = dfab("status", sid, "--api", api, "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["status"] == "COMPLETED"
    human = dfab("status", sid, "--api", api)
    assert human.returncode == 0 and "COMPLETED" in human.stdout
