"""Sandbox limits: each limit enforced, each with its own exit reason, and the helpers.

Pure parts (classification, tails, status decoding, hostile-file helpers, cgroup file
parsing) run everywhere; runs in the real sandbox are marked `sandbox`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from dfab.sandbox import BwrapSandbox, RunSpec, SandboxUnavailable, get_sandbox
from dfab.sandbox import box as box_module
from dfab.sandbox.cgroups import _join, _keyed, live_cgroups
from dfab.sandbox.classify import RunFacts, classify
from dfab.sandbox.env import harness_env
from dfab.sandbox.fs import NotRegularFile, copy_regular, open_regular, tree_usage
from dfab.sandbox.runner import _decode_status, _Tail
from dfab.settings import SandboxSettings
from sandbox_support import skip_without_bwrap, tight_limits

MIB = 1024 * 1024
SMALL = tight_limits()
requires_bwrap = skip_without_bwrap(SMALL)


# --------------------------------------------------------------------------- pure


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (RunFacts(exit_code=0, signal=None), "ok"),
        (RunFacts(exit_code=0, signal=None, output_state="missing"), "output_invalid"),
        (RunFacts(exit_code=0, signal=None, output_state="a FIFO"), "output_invalid"),
        (
            RunFacts(
                exit_code=0,
                signal=None,
                output_state="regular",
                output_bytes=11,
                max_output_bytes=10,
            ),
            "output_limit",
        ),
        (RunFacts(exit_code=3, signal=None), "exit_code"),
        (RunFacts(exit_code=None, signal=15), "killed"),
        (RunFacts(exit_code=None, signal=9, oom_kills=1), "memory_limit"),
        (RunFacts(exit_code=None, signal=int(signal.SIGXCPU)), "cpu_limit"),
        (RunFacts(exit_code=None, signal=9, cpu_s=5.0, cpu_limit_s=5.0), "cpu_limit"),
        (RunFacts(exit_code=None, signal=9, cpu_s=1.0, cpu_limit_s=5.0), "killed"),
        (RunFacts(exit_code=None, signal=int(signal.SIGXFSZ)), "output_limit"),
        (RunFacts(exit_code=1, signal=None, stderr_tail="OSError: [Errno 27]"), "output_limit"),
        (RunFacts(exit_code=1, signal=None, workdir_full=True), "output_limit"),
        (RunFacts(exit_code=1, signal=None, pids_limit_hits=2), "process_limit"),
        (
            RunFacts(
                exit_code=1,
                signal=None,
                nproc_rlimit=True,
                stderr_tail="BlockingIOError: [Errno 11] Resource temporarily unavailable",
            ),
            "process_limit",
        ),
        (RunFacts(exit_code=1, signal=None, stderr_tail="Too many open files"), "open_files_limit"),
        (
            RunFacts(exit_code=1, signal=None, memory_rlimit=True, stderr_tail="MemoryError"),
            "memory_limit",
        ),
        # Without an rlimit in force, a harness's own "MemoryError" is just a failure.
        (RunFacts(exit_code=1, signal=None, stderr_tail="MemoryError"), "exit_code"),
        (RunFacts(exit_code=None, signal=9, enforced="timeout"), "timeout"),
    ],
)
def test_classify(facts: RunFacts, reason: str) -> None:
    assert classify(facts)[0] == reason


def test_a_harness_cannot_talk_itself_into_ok() -> None:
    facts = RunFacts(exit_code=1, signal=None, stderr_tail="exited 0 ok")
    assert classify(facts)[0] == "exit_code"
    # A limit the supervisor enforced wins over everything the run says or did.
    assert classify(RunFacts(exit_code=0, signal=None, enforced="output_limit"))[0] == (
        "output_limit"
    )


def test_signal_deaths_through_bwrap_are_128_plus_n() -> None:
    assert _decode_status(137 << 8, True) == (None, 9)
    assert _decode_status(137 << 8, False) == (137, None)
    assert _decode_status(3 << 8, True) == (3, None)
    assert _decode_status(int(signal.SIGKILL), False) == (None, 9)


def test_tail_keeps_memory_bounded() -> None:
    tail = _Tail(1000)
    for _ in range(10_000):
        tail.add(b"x" * 999 + b"\n")
    assert tail.total == 10_000_000
    assert len(tail.buf) <= 2000
    assert len(tail.text()) == 1000


def test_environment_is_an_allowlist() -> None:
    env = harness_env("/rt/bin", "/tmp", {"DF_SEED": "1"})
    assert env["PATH"].startswith("/rt/bin:")
    assert env["DF_SEED"] == "1" and env["PYTHONHASHSEED"] == "0"
    assert not any(k.startswith("AWS") for k in env)
    with pytest.raises(ValueError, match="AWS_SECRET_ACCESS_KEY"):
        harness_env("/rt/bin", "/tmp", {"AWS_SECRET_ACCESS_KEY": "x"})


def test_open_regular_refuses_links_fifos_and_missing(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_text("data")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    (tmp_path / "real" / "flink").symlink_to(tmp_path / "real" / "f")
    os.mkfifo(tmp_path / "real" / "fifo")
    with open_regular(tmp_path, "real/f") as fd:
        assert os.read(fd, 10) == b"data"
    for rel in ("link/f", "real/flink", "real/fifo", "real/missing", "real", "../x", "/etc"):
        with pytest.raises(NotRegularFile), open_regular(tmp_path, rel):
            pass
    dest = tmp_path / "copy"
    assert copy_regular(tmp_path, "real/f", dest, max_bytes=2) == 2
    assert dest.read_text() == "da"


def test_tree_usage_counts_blocks_not_sparse_sizes_and_hard_links_once(tmp_path: Path) -> None:
    with (tmp_path / "sparse").open("wb") as f:
        f.truncate(1 << 30)
    (tmp_path / "dense").write_bytes(b"x" * (1 << 20))
    os.link(tmp_path / "dense", tmp_path / "hard")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "l").symlink_to("/usr")
    used, entries = tree_usage(tmp_path)
    assert (1 << 20) <= used < (1 << 20) + 64 * 1024
    assert entries == 5


def test_cgroup_file_parsing() -> None:
    assert _keyed("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", "oom_kill") == 3
    assert _keyed("max 0\n", "max") == 0 and _keyed(None, "max") == 0
    assert _join("/", "/sys/fs/cgroup/memory", "/a/b") == Path("/sys/fs/cgroup/memory/a/b")
    assert _join("/a", "/sys/fs/cgroup/memory", "/a/b") == Path("/sys/fs/cgroup/memory/b")
    assert _join("/x", "/sys/fs/cgroup/memory", "/a/b") is None


def test_seccomp_filter_is_well_formed() -> None:
    from dfab.sandbox.seccomp import build_filter

    for machine in ("x86_64", "aarch64", "arm64"):
        prog = build_filter(machine)
        assert prog is not None and len(prog) % 8 == 0 and 16 < len(prog) // 8 < 256
    assert build_filter("riscv64") is None


def test_get_sandbox_explains_how_to_install_bubblewrap(monkeypatch: pytest.MonkeyPatch) -> None:
    import dfab.sandbox.bwrap as bwrap_module

    monkeypatch.setattr(bwrap_module.shutil, "which", lambda *a, **k: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        get_sandbox(SandboxSettings())


def test_get_sandbox_reports_a_missing_interpreter(tmp_path: Path) -> None:
    with pytest.raises(SandboxUnavailable, match=r"scripts/setup\.sh"):
        get_sandbox(SandboxSettings(runtime_python=str(tmp_path / "nope" / "python")))


# --------------------------------------------------------------------------- sandbox


@pytest.fixture
def boxes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    import tempfile

    d = tmp_path / "boxes"
    d.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(d))
    yield d
    assert list(d.iterdir()) == []
    assert live_cgroups() == set()


def _run(code: str, *, watch: bool = False, **limits: object):  # type: ignore[no-untyped-def]
    settings = SMALL.model_copy(update=limits)
    sb = BwrapSandbox(settings)
    with sb.box() as box:
        (box.path / "out").mkdir()
        spec = RunSpec(
            argv=["python", "-c", textwrap.dedent(code)], watch_file="out/x" if watch else None
        )
        return sb.run(box, spec)


LIMIT_CASES = {
    "wall": ("import time; time.sleep(60)", {"wall_timeout_s": 2}, "timeout"),
    "wall_with_streams_closed": (
        "import os, time\nos.close(1); os.close(2)\ntime.sleep(60)",
        {"wall_timeout_s": 2},
        "timeout",
    ),
    "cpu": ("while True: pass", {}, "cpu_limit"),
    "cpu_total_across_processes": (
        """
        import os
        for _ in range(2):
            if os.fork() == 0:
                while True: pass
        os.wait()
        """,
        {"cpu_time_s": 2},
        "cpu_limit",
    ),
    "memory_cgroup": (
        "x = []\nwhile True: x.append(bytearray(8 << 20))",
        {},
        "memory_limit",
    ),
    "memory_rlimit": (
        "x = []\nwhile True: x.append(bytearray(8 << 20))",
        {"use_cgroups": False},
        "memory_limit",
    ),
    "processes_cgroup": ("import os\nwhile True: os.fork()", {}, "process_limit"),
    "processes_rlimit": (
        "import os\nwhile True: os.fork()",
        {"use_cgroups": False},
        "process_limit",
    ),
    "open_files": ("fs = [open('/dev/null') for _ in range(100)]", {}, "open_files_limit"),
    "file_size": ("open('big', 'wb').write(b'x' * (9 << 20))", {}, "output_limit"),
    "total_written": (
        "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (1 << 20)); i += 1",
        {},
        "output_limit",
    ),
    "stdout": ("import sys\nwhile True: sys.stdout.write('y' * 65536)", {}, "output_limit"),
    "signal": ("import os, signal; os.kill(os.getpid(), signal.SIGTERM)", {}, "killed"),
    "exit": ("raise SystemExit(7)", {}, "exit_code"),
}


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.parametrize("case", sorted(LIMIT_CASES))
@pytest.mark.usefixtures("boxes")
def test_each_limit_has_its_own_exit_reason(case: str) -> None:
    code, limits, reason = LIMIT_CASES[case]
    res = _run(code, **limits)
    assert res.exit_reason == reason, (res.detail, res.stderr_tail[-500:])
    assert res.stdout_bytes + res.stderr_bytes < 2 * MIB
    if limits.get("use_cgroups") is False:
        assert res.memory_enforcement == "rlimit_as"
        assert res.process_enforcement == "rlimit_nproc"


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("open('../out/x', 'w').write('{}\\n')", "ok"),
        ("pass", "output_invalid"),
        ("import os; os.mkfifo('../out/x')", "output_invalid"),
        ("import os; os.symlink('/etc/passwd', '../out/x')", "output_invalid"),
        ("import os; os.mkdir('../out/x')", "output_invalid"),
        ("open('../out/x', 'wb').write(b'x' * (3 << 20))", "output_limit"),
    ],
)
def test_output_file_checks(code: str, reason: str) -> None:
    settings = SMALL
    sb = BwrapSandbox(settings)
    with sb.box() as box:
        (box.path / "out").mkdir()
        (box.path / "h").mkdir()
        res = sb.run(box, RunSpec(argv=["python", "-c", code], cwd="h", watch_file="out/x"))
    assert res.exit_reason == reason, res.detail


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
def test_workdir_limit_is_polled_where_no_tmpfs_can_be_mounted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(box_module, "_mount_tmpfs", lambda *a: False)
    code = "i = 0\nwhile True:\n    open(f'f{i}', 'wb').write(b'x' * (1 << 20)); i += 1"
    res = _run(code)
    assert res.workdir_enforcement == "poll"
    assert res.exit_reason == "output_limit"


@pytest.mark.sandbox
@requires_bwrap
@pytest.mark.usefixtures("boxes")
def test_result_reports_usage_and_enforcement() -> None:
    res = _run("x = bytearray(40 << 20); print('done')")
    assert res.exit_reason == "ok" and res.stdout_tail == "done\n"
    assert res.isolation == "bwrap" and res.memory_enforcement.startswith(("cgroup", "rlimit"))
    assert res.peak_memory_mb is not None and res.peak_memory_mb >= 40
    assert res.cpu_s is not None and res.duration_s > 0


def test_container_backend_limits_and_reaps_daemons() -> None:
    """The Fargate backend (no namespaces), in a child process as it runs in the image."""
    if os.geteuid() != 0 or not Path("/usr/bin/python3").exists():
        pytest.skip("needs root (to drop to the sandbox uid) and /usr/bin/python3")
    import tempfile

    # The dropped uid must traverse to its box: not under pytest's 0700 tmp_path.
    tmp_path = Path(tempfile.mkdtemp(prefix="dfab-test-", dir="/tmp"))
    tmp_path.chmod(0o711)
    marker = f"dfab-daemon-{uuid.uuid4().hex}"
    script = textwrap.dedent(
        """
        import json, sys
        from dfab.sandbox import ContainerSandbox, RunSpec
        from dfab.settings import SandboxSettings
        s = SandboxSettings(backend="container", runtime_python="/usr/bin/python3",
                            wall_timeout_s=10, memory_mb=256, max_processes=16)
        sb = ContainerSandbox(s)
        out = {}
        with sb.box(base_dir=sys.argv[1]) as box:
            code = sys.argv[2]
            out["daemon"] = sb.run(box, RunSpec(argv=["python", "-c", code])).model_dump()
            out["bomb"] = sb.run(box, RunSpec(
                argv=["python", "-c", "import os\\nwhile True: os.fork()"])).model_dump()
        print(json.dumps(out))
        """
    )
    daemon = textwrap.dedent(
        f"""
        import os, sys, time
        print(os.getuid(), os.getgid(), sorted(os.environ))
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                os.execv(sys.executable, [sys.executable, "-c", "import time; time.sleep(99)",
                                          {marker!r}])
            os._exit(0)
        time.sleep(0.3)
        try:
            os.kill(os.getppid(), 15)
            print("ESCAPED")
        except OSError:
            pass
        """
    )
    env = {"PATH": "/usr/bin:/bin", "AWS_SECRET_ACCESS_KEY": "leak-" + marker}
    proc = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), daemon],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=True,
    )
    out = json.loads(proc.stdout)
    d = out["daemon"]
    assert d["exit_reason"] == "ok" and d["isolation"] == "container", d
    assert d["stdout_tail"].startswith("65534 65534 ")
    assert "AWS" not in d["stdout_tail"] and "ESCAPED" not in d["stdout_tail"]
    assert out["bomb"]["exit_reason"] == "process_limit"
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            with contextlib.suppress(OSError):
                assert marker.encode() not in (p / "cmdline").read_bytes()
    assert list(tmp_path.iterdir()) == []
    tmp_path.rmdir()


# --------------------------------------------------------------------------- image

ROOT = Path(__file__).resolve().parents[2]


def test_image_runs_the_supervisor_apart_from_the_harness_runtime() -> None:

    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11\.\d+-slim-\w+$", text, re.M), "pin the base by tag"
    assert "COPY sandbox_image/requirements.txt" in text
    assert "/opt/dfab/bin/pip install --no-cache-dir -r /tmp/supervisor.txt" in text
    user = re.search(r"^USER (\S+)", text, re.M)
    assert user is not None and not user.group(1).startswith(("0", "root"))
    assert 'ENTRYPOINT ["/opt/dfab/bin/python", "-I", "/opt/dfab/entrypoint.py"]' in text
    # The build context admits what this image copies: tests/unit/test_packaging.py.


def test_supervisor_requirements_cover_its_imports() -> None:
    """Everything dfab.supervisor imports from outside the stdlib is pinned for the image."""
    code = (
        "import sys, json, importlib.metadata as md\n"
        "import dfab.supervisor.task, dfab.archive\n"
        "dists = md.packages_distributions()\n"
        "tops = {m.split('.')[0] for m in sys.modules if not m.startswith('_')}\n"
        "tops -= set(sys.stdlib_module_names)\n"
        "print(json.dumps(sorted({d for t in tops for d in dists.get(t, [])})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    needed = {re.sub(r"[-_.]+", "-", d).lower() for d in json.loads(out.stdout)} - {"dfab"}
    pinned = set()
    for line in (ROOT / "sandbox_image" / "supervisor-requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"{line!r} is not pinned"
            pinned.add(re.sub(r"[-_.]+", "-", name).lower())
    assert needed <= pinned, f"unpinned supervisor dependencies: {sorted(needed - pinned)}"
    assert "boto3" not in needed and "moto" not in needed


def test_entrypoint_without_a_task_is_an_infrastructure_error() -> None:
    proc = subprocess.run(
        [sys.executable, str(ROOT / "sandbox_image" / "entrypoint.py")],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert proc.returncode == 2 and "DFAB_TASK_URL" in proc.stderr
