"""A small seccomp filter (classic BPF) handed to bwrap with `--seccomp FD`.

Namespaces, capabilities and the uid already stop a harness from touching the host;
this removes kernel attack surface a harness never needs: creating namespaces (a user
namespace hands out "root" inside it, the usual first step of kernel exploits), the
kernel keyring (not namespaced), eBPF, perf, userfaultfd, io_uring, the new mount
API, module and kexec loading. Denied calls fail with EPERM (clone3 with ENOSYS, so
libc falls back to clone, whose namespace flags are checked). Syscalls of a foreign
ABI (i386 or x32 on x86-64) kill the process: they would bypass the table.
"""

from __future__ import annotations

import errno
import os
import platform
import struct

_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_OFF_NR, _OFF_ARCH, _OFF_ARG0 = 0, 4, 16
#: CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET | NEWTIME
_CLONE_NS_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000
_CLONE_NS_FLAGS |= 0x10000000 | 0x20000000 | 0x40000000 | 0x00000080
_X32_BIT = 0x40000000

_DENIED: tuple[str, ...] = (
    # namespaces and mounts
    *("unshare", "setns", "mount", "umount2", "pivot_root", "chroot", "mount_setattr"),
    *("open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick"),
    # kernel surfaces a harness never needs
    *("keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd"),
    *("io_uring_setup", "io_uring_enter", "io_uring_register"),
    *("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module"),
    *("acct", "swapon", "swapoff", "reboot"),
)

# Syscall numbers of the two architectures the sandbox runs on.
_TABLES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {
            "clone": 56, "clone3": 435, "unshare": 272, "setns": 308, "mount": 165,
            "umount2": 166, "pivot_root": 155, "chroot": 161, "mount_setattr": 442,
            "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
            "fsmount": 432, "fspick": 433, "keyctl": 250, "add_key": 248,
            "request_key": 249, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "kexec_load": 246, "kexec_file_load": 320, "init_module": 175,
            "finit_module": 313, "delete_module": 176, "acct": 163, "swapon": 167,
            "swapoff": 168, "reboot": 169,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "clone": 220, "clone3": 435, "unshare": 97, "setns": 268, "mount": 40,
            "umount2": 39, "pivot_root": 41, "chroot": 51, "mount_setattr": 442,
            "open_tree": 428, "move_mount": 429, "fsopen": 430, "fsconfig": 431,
            "fsmount": 432, "fspick": 433, "keyctl": 219, "add_key": 217,
            "request_key": 218, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "kexec_load": 104, "kexec_file_load": 294, "init_module": 105,
            "finit_module": 273, "delete_module": 106, "acct": 89, "swapon": 224,
            "swapoff": 225, "reboot": 142,
        },
    ),
}  # fmt: skip


def _ins(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("<HBBI", code, jt, jf, k)


def build_filter(machine: str | None = None) -> bytes | None:
    """The compiled filter for this machine, or None on an architecture we do not know."""
    arch = (machine or platform.machine()).lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)
    if arch not in _TABLES:
        return None
    audit_arch, nrs = _TABLES[arch]
    eperm = _RET_ERRNO | errno.EPERM
    prog = [
        _ins(_LD_W_ABS, _OFF_ARCH),
        _ins(_JEQ_K, audit_arch, jt=1, jf=0),
        _ins(_RET_K, _RET_KILL_PROCESS),
        _ins(_LD_W_ABS, _OFF_NR),
    ]
    if arch == "x86_64":
        prog += [_ins(_JGE_K, _X32_BIT, jt=0, jf=1), _ins(_RET_K, _RET_KILL_PROCESS)]
    for name in _DENIED:
        prog += [_ins(_JEQ_K, nrs[name], jt=0, jf=1), _ins(_RET_K, eperm)]
    prog += [
        _ins(_JEQ_K, nrs["clone3"], jt=0, jf=1),
        _ins(_RET_K, _RET_ERRNO | errno.ENOSYS),
        _ins(_JEQ_K, nrs["clone"], jt=0, jf=3),
        _ins(_LD_W_ABS, _OFF_ARG0),  # clone's flags (low word; all CLONE_NEW* live there)
        _ins(_JSET_K, _CLONE_NS_FLAGS, jt=0, jf=1),
        _ins(_RET_K, eperm),
        _ins(_RET_K, _RET_ALLOW),
    ]
    return b"".join(prog)


def filter_fd(program: bytes) -> int:
    """A readable fd holding `program` (bwrap reads it once, at start)."""
    fd = os.memfd_create("dfab-seccomp", 0)
    os.write(fd, program)
    os.lseek(fd, 0, os.SEEK_SET)
    return fd
