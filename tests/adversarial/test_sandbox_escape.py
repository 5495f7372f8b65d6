"""The escape suite (issue 3): hostile harnesses and hostile verification blocks.

Each probe tries one way out or one way to exhaust the host. It prints `ESCAPED ...`
if it got anywhere, and the run must be classified with the expected exit reason.
After every run the host must be as it was: no process carrying the run's marker in
its argv, no file outside the test's temporary directory, no leftover cgroup or mount.
The same probes run as generation harnesses and as verification blocks.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dfab.contracts.dataset import Verification
from dfab.generation import run_generation
from dfab.sandbox.cgroups import live_cgroups
from dfab.sandbox.runtime import checkout_root
from dfab.settings import Settings, VerificationSettings
from dfab.verification import run_verification_blocks
from sandbox_support import skip_without_bwrap, tight_limits

LIMITS = tight_limits(
    wall_timeout_s=8,
    max_processes=24,
    max_open_files=64,
    max_output_mb=4,
    max_workdir_mb=16,
    max_log_mb=2,
)
SECRET = "AKIA-ESCAPE-" + uuid.uuid4().hex

pytestmark = [pytest.mark.sandbox, skip_without_bwrap(LIMITS)]

# Every probe is the body of one script; `MARK`, `PORT`, `HOST_PID`, `CHECKOUT` and
# `SECRET` are defined above it, `escaped(msg)` records a success of the attacker.
PRELUDE = """
import os, sys, socket, signal, time, subprocess
def escaped(msg):
    print("ESCAPED", msg, flush=True)
def finish():
    out = os.environ.get("DF_OUTPUT_PATH")
    if out:
        open(out, "w").write("{}\\n")
"""

PROBES: dict[str, str] = {
    "tcp_loopback": """
for host in ("127.0.0.1", "localhost", "::1"):
    try:
        s = socket.create_connection((host, PORT), timeout=2)
        escaped(f"connected to {host}:{PORT}")
        s.close()
    except OSError:
        pass
finish()
""",
    "dns": """
for name in ("example.com", "amazonaws.com", "localhost.localdomain"):
    try:
        socket.getaddrinfo(name, 443)
        if name != "localhost.localdomain":
            escaped(f"resolved {name}")
    except OSError:
        pass
try:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"x", ("8.8.8.8", 53))
    escaped("sent a UDP datagram off-box")
except OSError:
    pass
finish()
""",
    "read_secrets": """
targets = ["/etc/shadow", "/etc/passwd", "/root", "/root/.ssh", "/home",
           CHECKOUT + "/pyproject.toml", CHECKOUT + "/layers", CHECKOUT + "/.git"]
runtime = (sys.base_prefix, sys.prefix)
for t in targets:
    try:
        if t == "/root":  # only the skeleton leading to the interpreter may be there
            for dirpath, _, files in os.walk(t):
                inside = any(dirpath.startswith(r) for r in runtime)
                if not inside and (files or not any(r.startswith(dirpath) for r in runtime)):
                    escaped(f"found {dirpath} under /root")
        elif os.path.isdir(t):
            os.listdir(t)
            escaped(f"listed {t}")
        else:
            open(t).read()
            escaped(f"read {t}")
    except OSError:
        pass
for pid in ["self", "1"] + [p for p in os.listdir("/proc") if p.isdigit()]:
    for name in ("environ", "cmdline"):
        try:
            if SECRET in open(f"/proc/{pid}/{name}", errors="replace").read():
                escaped(f"secret in /proc/{pid}/{name}")
        except OSError:
            pass
try:
    open("/proc/1/mem", "rb").read(1)
    escaped("read pid 1's memory")
except OSError:
    pass
if SECRET in repr(dict(os.environ)) or any(k.startswith("AWS") for k in os.environ):
    escaped("caller environment leaked")
finish()
""",
    "write_outside": """
for d in ["/", "/tmp/..", "/usr", "/etc", "/var/tmp", "/root", CHECKOUT,
          os.path.dirname(sys.executable), os.path.dirname(os.getcwd()) + "/..",
          "/proc/sys/kernel"]:
    try:
        with open(os.path.join(d, MARK), "w") as f:
            f.write("x")
        escaped(f"wrote into {d}")
    except OSError:
        pass
open("/tmp/" + MARK, "w").write("private tmp only")
finish()
""",
    "fork_bomb": """
children = []
while True:
    pid = os.fork()
    if pid == 0:
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(60)", MARK])
    children.append(pid)
""",
    "oom": """
hog = []
while True:
    hog.append(bytearray(16 * 1024 * 1024))
""",
    "cpu_spin": """
while True:
    pass
""",
    "endless_stdout": """
chunk = "y" * 65536
while True:
    sys.stdout.write(chunk)
""",
    "endless_file": """
with open(os.path.join(os.environ.get("DF_WORK_DIR", "."), "fill.bin"), "wb") as f:
    while True:
        f.write(b"z" * (1 << 20))
""",
    "many_files": """
i = 0
while True:
    with open(f"f{i}.bin", "wb") as f:
        f.write(b"z" * (1 << 20))
    i += 1
""",
    "daemon": """
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(300)", MARK])
    os._exit(0)
time.sleep(0.3)
finish()
""",
    "signal_supervisor": """
for target in (HOST_PID, os.getppid(), 1):
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(target, sig)
            if target == HOST_PID:
                escaped(f"signalled host pid {target}")
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGTERM)
except OSError:
    pass
finish()
""",
    "namespaces": """
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER, CLONE_NEWNET = 0x10000000, 0x40000000
if libc.unshare(CLONE_NEWNET) == 0:
    escaped("created a network namespace without privileges")
if libc.unshare(CLONE_NEWUSER) == 0:
    escaped("created a user namespace (root inside it)")
if libc.syscall(250, 0, 0, 0, 0, 0) != -1:  # keyctl (x86-64), the host-wide keyring
    escaped("reached the kernel keyring")
try:
    os.setuid(0)
    escaped("became root")
except OSError:
    pass
for tool in ("/usr/bin/sudo", "/usr/bin/su", "/bin/mount"):
    if os.path.exists(tool):
        r = subprocess.run([tool, "--help"], capture_output=True)
finish()
""",
}

#: probe -> (generation exit reason, verification outcome)
EXPECTED: dict[str, tuple[str, str]] = {
    "tcp_loopback": ("ok", "pass"),
    "dns": ("ok", "pass"),
    "read_secrets": ("ok", "pass"),
    "write_outside": ("ok", "pass"),
    "fork_bomb": ("process_limit", "error"),
    "oom": ("memory_limit", "error"),
    "cpu_spin": ("cpu_limit", "error"),
    "endless_stdout": ("output_limit", "error"),
    "endless_file": ("output_limit", "error"),
    "many_files": ("output_limit", "error"),
    "daemon": ("ok", "pass"),
    "signal_supervisor": ("ok", "pass"),
    "namespaces": ("ok", "pass"),
}


@dataclass
class Listener:
    port: int
    connections: list[tuple[str, int]]


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """A TCP server on the host's loopback that no sandboxed code may reach."""
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    srv.settimeout(0.2)
    seen: list[tuple[str, int]] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, addr = srv.accept()
            except OSError:
                continue
            seen.append(addr)
            conn.close()

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    yield Listener(srv.getsockname()[1], seen)
    stop.set()
    t.join(2)
    srv.close()


@pytest.fixture
def host(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Isolates the run's temp files in `tmp_path`; checks the host afterwards."""
    marker = f"dfab-escape-{uuid.uuid4().hex}"
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", SECRET)
    boxes = tmp_path / "boxes"
    boxes.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(boxes))
    yield marker
    assert _marked_processes(marker) == [], "a process of the run outlived it"
    for d in ("/tmp", "/var/tmp", "/dev/shm", "/root", "/", str(checkout_root())):
        assert not (Path(d) / marker).exists(), f"the run left {d}/{marker} on the host"
    assert list(boxes.iterdir()) == [], "the run's box was not removed"
    assert str(boxes) not in Path("/proc/self/mounts").read_text(), "a box is still mounted"
    assert live_cgroups() == set(), "the run's cgroups were not removed"


def _marked_processes(marker: str) -> list[int]:
    deadline = time.monotonic() + 2
    while True:
        found = []
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                with contextlib.suppress(OSError):
                    if marker.encode() in (p / "cmdline").read_bytes():
                        found.append(int(p.name))
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def _script(probe: str, marker: str, port: int) -> str:
    head = (
        f"MARK = {marker!r}\nPORT = {port}\nHOST_PID = {os.getpid()}\n"
        f"CHECKOUT = {str(checkout_root())!r}\nSECRET = {SECRET!r}\n"
    )
    return head + PRELUDE + PROBES[probe]


MANIFEST = """[harness]
name = "probe"
version = "0.1.0"
entrypoint = "generate.py"
description = "escape probe"
"""


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_generation_contains(probe: str, host: str, listener: Listener, tmp_path: Path) -> None:
    harness = tmp_path / "harness"
    harness.mkdir()
    (harness / "harness.toml").write_text(MANIFEST)
    (harness / "generate.py").write_text(_script(probe, host, listener.port))
    out = tmp_path / "out.jsonl"
    result = run_generation(harness, out, count=1, seed=1, settings=Settings(sandbox=LIMITS))
    assert "ESCAPED" not in result.stdout_tail, result.stdout_tail
    assert listener.connections == []
    expected = EXPECTED[probe][0]
    assert result.exit_reason == expected, (result.detail, result.stderr_tail[-800:])
    if expected != "ok":
        reason = result.failure_reason()
        assert reason is not None and reason.reason_class.startswith("HARNESS_")
    assert result.stdout_bytes + result.stderr_bytes <= (LIMITS.max_log_mb + 1) * 1024 * 1024


@pytest.mark.parametrize("probe", sorted(PROBES))
def test_verification_contains(probe: str, host: str, listener: Listener) -> None:
    block = Verification(
        kind="command",
        files={"probe.py": _script(probe, host, listener.port)},
        command=["python", "probe.py"],
        timeout_s=8,
        solution_files=["probe.py"],
    )
    settings = Settings(sandbox=LIMITS, verification=VerificationSettings(max_total_s=30))
    report = run_verification_blocks([("c1", block)], settings)
    [res] = report.results
    assert "ESCAPED" not in res.stdout_tail, res.stdout_tail
    assert listener.connections == []
    assert res.outcome == EXPECTED[probe][1], (res.detail, res.stderr_tail[-800:])
    if res.outcome == "error":
        assert res.exit_reason == EXPECTED[probe][0]


@pytest.mark.parametrize("probe", ["tcp_loopback", "read_secrets"])
def test_probes_do_detect_an_escape_without_the_sandbox(
    probe: str, host: str, listener: Listener, capsys: pytest.CaptureFixture[str]
) -> None:
    """Control: unsandboxed, the same probes succeed, so their silence above means something."""
    from dfab.sandbox import UnsafeRunner
    from dfab.sandbox.runner import RunSpec

    runner = UnsafeRunner(LIMITS)
    assert "WARNING" in capsys.readouterr().err
    with runner.box() as box:
        (box.path / "probe.py").write_text(_script(probe, host, listener.port))
        res = runner.run(box, RunSpec(argv=["python", "probe.py"]))
    assert "ESCAPED" in res.stdout_tail, res
