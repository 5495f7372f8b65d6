"""The review rules: one stable id per construct, its default severity and how to fix it.

Rule ids are part of the public report (miners read them, validators override their
severity in config), so they never change meaning; a new construct gets a new id.
Severity policy: *critical* is reserved for what defeats review itself (code we cannot
read: dynamic execution, embedded payloads, native or compiled code, hidden calls) or
reaches for credentials; everything the runtime contract allows, such as starting
processes to run generated tests, is at most *info*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


@dataclass(frozen=True)
class Rule:
    """What a rule id means: default severity, a short title and the fix we suggest."""

    severity: Severity
    title: str
    fix: str


_C, _W, _I = Severity.CRITICAL, Severity.WARNING, Severity.INFO

RULES: dict[str, Rule] = {
    # The package itself.
    "manifest.invalid": Rule(_C, "harness.toml is missing or invalid", "see docs/miner/harness.md"),
    "manifest.dependency": Rule(
        _C, "dependency outside the sandbox allowlist", "remove it or use the standard library"
    ),
    "entrypoint.missing": Rule(
        _C, "entrypoint is not a file", "name an existing .py file in harness.toml"
    ),
    "entrypoint.syntax": Rule(
        _C, "entrypoint does not parse", "make it valid Python 3.11 (run `python -m py_compile`)"
    ),
    "source.syntax": Rule(
        _W,
        "a .py file does not parse",
        "fix it, or give non-Python templates another extension (.tmpl, .txt)",
    ),
    "source.encoding": Rule(_W, "a .py file is not valid source text", "save it as UTF-8"),
    "limits.code_size": Rule(
        _C, "too much Python code", "ship data as data files, not as code; trim generated code"
    ),
    "limits.ast_depth": Rule(
        _C, "expression or block nesting too deep", "flatten the expression or split it up"
    ),
    "compiled.bytecode": Rule(
        _C, "compiled bytecode in the package", "ship only .py sources (delete .pyc/__pycache__)"
    ),
    "native.binary": Rule(
        _C, "native library in the package", "ship only Python sources; native code is not allowed"
    ),
    # Code we cannot review.
    "exec.dynamic": Rule(
        _C,
        "exec/eval/compile of a string computed at run time",
        "write ordinary functions; to run generated code, write it to a file and start "
        "`python` or `pytest` on it in a subprocess",
    ),
    "exec.literal": Rule(
        _W, "exec/eval/compile of a literal string", "write the code directly instead"
    ),
    "import.obfuscated": Rule(
        _C,
        "import of a module whose name is decoded or assembled at run time",
        "import modules by their plain names",
    ),
    "import.dynamic": Rule(
        _W,
        "import of a module by a computed name",
        "prefer plain imports so reviewers see what runs",
    ),
    "native.ctypes": Rule(
        _C, "native code through ctypes", "remove it; harnesses must be pure Python"
    ),
    "native.cffi": Rule(_C, "native code through cffi", "remove it; harnesses must be pure Python"),
    "code.object": Rule(
        _C,
        "code objects built or patched at run time",
        "write ordinary functions; do not construct or patch code objects",
    ),
    "deserialize.marshal": Rule(
        _C, "marshal loads (can carry code)", "store data as JSON or plain text files"
    ),
    "deserialize.pickle_embedded": Rule(
        _C,
        "pickle loads of data embedded in the source",
        "store data as JSON or plain text files",
    ),
    "deserialize.pickle": Rule(
        _W, "pickle loads (can run code on load)", "prefer JSON for data the harness reads"
    ),
    "obfuscation.decoded_payload": Rule(
        _C,
        "a long encoded or compressed blob decoded at run time",
        "ship the content as a readable file or literal, not as an encoded blob",
    ),
    "obfuscation.hidden_call": Rule(
        _C,
        "a dangerous builtin or module function reached through a computed lookup",
        "call functions by their plain names",
    ),
    "obfuscation.blob": Rule(
        _W, "long base64/hex-like literal", "ship data as a readable file next to the code"
    ),
    "obfuscation.entropy": Rule(
        _W, "high-entropy string literal", "ship data as a readable file next to the code"
    ),
    "obfuscation.charcodes": Rule(
        _W, "string assembled from character codes", "write the string literally"
    ),
    "credentials.access": Rule(
        _C,
        "reads cloud credentials or the instance metadata service",
        "remove it; harnesses get no credentials",
    ),
    "credentials.secret_env": Rule(
        _W, "reads a secret-looking environment variable", "harnesses get no secrets; remove it"
    ),
    "fs.outside": Rule(
        _W,
        "touches a path outside the working directory",
        "use the working directory and DF_WORK_DIR only",
    ),
    "network.use": Rule(
        _W, "network access (unavailable in the sandbox)", "remove it; runs have no network"
    ),
    "process.use": Rule(
        _I,
        "starts processes (allowed: e.g. running pytest on generated code)",
        "nothing to fix; processes run inside the sandbox limits",
    ),
}


def rule(rule_id: str) -> Rule:
    return RULES[rule_id]
