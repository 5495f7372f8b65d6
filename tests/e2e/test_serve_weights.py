"""The results API on the loopback stack: token-checked GET /weights, leaderboard, health.

`LocalServer` serves template.yaml's routes: the deployed authorizer runs in front of
GET /weights with its hash list in (moto's) SSM, the deployed API function behind every
route. The CLI (`dfab serve`, `dfab weights`, `dfab leaderboard`) talks HTTP only. The
last test is the whole round trip: submit -> COMPLETED -> GET /weights lists the miner.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import requests
from e2e_support import SMALL, dfab, hotkey_file_fixture, quick_server_fixture, serving  # noqa: F401 (fixtures)

from conftest import EXAMPLE_HARNESS, bwrap_usable
from dfab.api.auth import token_hash
from dfab.local.server import LocalServer
from dfab.settings import Settings


def _weights(api: str, token: str | None, scheme: str = "Bearer") -> requests.Response:
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return requests.get(f"{api}/weights", headers=headers, timeout=30)


def test_weights_need_the_token_over_http(quick_server: LocalServer) -> None:
    api, token = quick_server.api_url, quick_server.weights_token
    assert token
    missing = _weights(api, None)
    assert missing.status_code == 401
    assert missing.json()["code"] == "UNAUTHORIZED"
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert _weights(api, token, scheme="Basic").status_code == 401
    assert _weights(api, "short").status_code == 401
    wrong = _weights(api, "x" * 43)
    assert wrong.status_code == 403 and wrong.json()["code"] == "FORBIDDEN"
    ok = _weights(api, token)
    assert ok.status_code == 200, ok.text
    assert ok.json()["weights"] == [] and ok.json()["challenge"] == "data-fabrication"

    # Rotation: add the new token's hash, switch, remove the old one.
    new = "rotated-" + "n" * 40
    quick_server.set_weights_token_hashes([token_hash(token), token_hash(new)])
    assert _weights(api, token).status_code == 200
    assert _weights(api, new).status_code == 200
    quick_server.set_weights_token_hashes([token_hash(new)])
    assert _weights(api, new).status_code == 200
    assert _weights(api, token).status_code == 403


def test_public_routes_and_gateway_errors(quick_server: LocalServer) -> None:
    api = quick_server.api_url
    ping = requests.get(f"{api}/ping", timeout=30)
    assert ping.status_code == 200 and ping.json()["ok"] is True
    board = requests.get(f"{api}/leaderboard", timeout=30)
    assert board.status_code == 200 and board.json()["entries"] == []
    health = requests.get(f"{api}/health", timeout=30).json()
    # (S3's test event of the notification setup may be in flight right after start.)
    assert set(health["queues"]["uploads"]) == {"visible", "in_flight", "delayed"}
    assert health["queues"]["dead_letter"]["visible"] == 0
    assert health["executions"] == {"running": 0, "capped": False}
    assert health["problems"] == []
    # Unknown routes and methods: API Gateway's own answer, in the API's error shape.
    for method, path in (("GET", "/nope"), ("DELETE", "/weights"), ("GET", "/miners")):
        reply = requests.request(method, f"{api}{path}", timeout=30)
        assert reply.status_code == 404, (method, path)
        assert reply.json() == {"code": "NOT_FOUND", "message": "no such route"}


def test_serve_prints_and_writes_the_token_and_cli_reads_weights(tmp_path: Path) -> None:
    token_file = tmp_path / "weights.token"
    with serving("--weights-token-file", str(token_file)) as info:
        api, token = info["api_url"], info["weights_token"]
        assert token_file.read_text().strip() == token
        assert token_file.stat().st_mode & 0o777 == 0o600
        assert _weights(api, token).status_code == 200

        out = dfab("weights", "--api", api, "--token-file", str(token_file), "--json")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["weights"] == []
        human = dfab("weights", "--api", api, "--token-file", str(token_file))
        assert human.returncode == 0 and "0 miners" in human.stdout
        bad = tmp_path / "bad.token"
        bad.write_text("y" * 40 + "\n")
        refused = dfab("weights", "--api", api, "--token-file", str(bad))
        assert refused.returncode == 2 and "403 FORBIDDEN" in refused.stderr
        assert "Traceback" not in refused.stderr
        none = dfab("weights", "--api", api)
        assert none.returncode == 2 and "no token" in none.stderr

        board = dfab("leaderboard", "--api", api, "--json", "--all")
        assert board.returncode == 0, board.stderr
        assert json.loads(board.stdout)["entries"] == []


def test_serve_accepts_given_hashes(tmp_path: Path) -> None:
    hashes = tmp_path / "hashes"
    hashes.write_text(f"# mine\nsha256:{token_hash('my-own-token-' + 'z' * 20)}\n")
    with serving("--weights-token-hashes", str(hashes)) as info:
        assert info["weights_token"] is None
        assert _weights(info["api_url"], "my-own-token-" + "z" * 20).status_code == 200
    broken = tmp_path / "broken"
    broken.write_text("not-a-hash\n")
    out = dfab("serve", "--port", "0", "--weights-token-hashes", str(broken), timeout=120)
    assert out.returncode == 2 and "not SHA-256" in out.stderr


# -- the whole round trip, with the sandbox -----------------------------------------------


@pytest.mark.sandbox
@pytest.mark.skipif(not bwrap_usable(), reason="bubblewrap is not installed")
def test_submit_completes_and_weights_list_the_miner(
    tmp_path: Path, hotkey_file: tuple[Path, str]
) -> None:
    key_path, address = hotkey_file
    with LocalServer(Settings.model_validate(SMALL)) as server:
        api, token = server.api_url, server.weights_token
        assert token
        token_file = tmp_path / "token"
        token_file.write_text(token + "\n")
        proc = dfab(
            "submit", str(EXAMPLE_HARNESS), "--api", api, "--hotkey-file", str(key_path),
            "--json", "--poll", "0.5", "--timeout", "540",
        )  # fmt: skip
        doc = json.loads(proc.stdout) if proc.stdout.strip() else {}
        assert proc.returncode == 0, (proc.stderr[-2000:], doc.get("reason"))
        assert doc["status"] == "COMPLETED"
        sid, score = doc["submission_id"], doc["report"]["score"]

        status = dfab("status", sid, "--api", api, "--json")
        assert status.returncode == 0 and json.loads(status.stdout)["status"] == "COMPLETED"

        # What Platform reads: the miner, with the completed evaluation's score.
        reply = _weights(api, token)
        assert reply.status_code == 200, reply.text
        weights = reply.json()["weights"]
        assert [(w["hotkey"], w["submission_id"]) for w in weights] == [(address, sid)]
        assert weights[0]["score"] == pytest.approx(score)
        assert _weights(api, None).status_code == 401

        cli = dfab("weights", "--api", api, "--token-file", str(token_file), "--json")
        assert cli.returncode == 0, cli.stderr
        assert json.loads(cli.stdout)["weights"] == weights
        board = dfab("leaderboard", "--api", api, "--json")
        assert board.returncode == 0, board.stderr
        (entry,) = json.loads(board.stdout)["entries"]
        assert (entry["rank"], entry["hotkey"], entry["submission_id"]) == (1, address, sid)

        miner = requests.get(f"{api}/miners/{address}", timeout=30).json()
        assert miner["best"]["submission_id"] == sid
        assert [s["status"] for s in miner["submissions"]] == ["COMPLETED"]
        started = time.monotonic()
        health = requests.get(f"{api}/health", timeout=30).json()
        assert time.monotonic() - started < 10
        assert health["last_hour"]["counts"]["COMPLETED"] == 1
        assert health["stages"]["generation"]["count"] == 1
        assert health["last_completion_at"]
