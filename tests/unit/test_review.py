"""Static review: one finding per construct, the right severity, no false critical.

Each construct is written into a throwaway harness; the example harness (which starts
processes to run pytest, as the runtime contract encourages) must pass with no
critical finding.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path

import pytest

from dfab.archive import pack_directory
from dfab.cli import cmd_review
from dfab.contracts.reasons import ReasonClass
from dfab.review import RULES, ReviewSettings, Severity, review_harness

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "harness"
MANIFEST = """[harness]
name = "t"
version = "0.1.0"
entrypoint = "generate.py"
description = "test harness"
dependencies = [{deps}]
"""
BLOB = base64.b64encode(zlib.compress(os.urandom(600))).decode()


def _harness(
    tmp_path: Path, code: str, files: dict[str, str] | None = None, deps: str = ""
) -> Path:
    root = tmp_path / "h"
    root.mkdir()
    (root / "harness.toml").write_text(MANIFEST.format(deps=deps), encoding="utf-8")
    (root / "generate.py").write_text(code, encoding="utf-8")
    for rel, text in (files or {}).items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


def _rules(root: Path, settings: ReviewSettings | None = None) -> dict[str, Severity]:
    report = review_harness(root, settings or ReviewSettings())
    return {f.rule: f.severity for f in report.findings}


def test_example_harness_has_no_critical_finding() -> None:
    report = review_harness(EXAMPLE, ReviewSettings(), skip_dirs={"__pycache__"})
    assert report.passed, [f.one_line() for f in report.critical]
    assert report.rejection() is None
    assert report.files_reviewed >= 20
    rules = {f.rule: f.severity for f in report.findings}
    assert rules.get("process.use") is Severity.INFO  # pytest workers: allowed, reported


CASES: list[tuple[str, str, str, Severity]] = [
    (
        "exec of computed code",
        "src = open('x').read()\nexec(src)\n",
        "exec.dynamic",
        Severity.CRITICAL,
    ),
    ("eval of computed code", "import sys\neval(sys.argv[1])\n", "exec.dynamic", Severity.CRITICAL),
    (
        "compile of computed code",
        "code = 'x' * 2\nobj = compile(code, 'f', 'exec')\n",
        "exec.dynamic",
        Severity.CRITICAL,
    ),
    (
        "exec via builtins",
        "import builtins\nbuiltins.exec(data)\n",
        "exec.dynamic",
        Severity.CRITICAL,
    ),
    ("eval of a literal", "print(eval('1 + 1'))\n", "exec.literal", Severity.WARNING),
    (
        "import of a computed name",
        "import importlib\nimportlib.import_module(name)\n",
        "import.dynamic",
        Severity.WARNING,
    ),
    (
        "__import__ of a decoded name",
        "import base64\nm = __import__(base64.b64decode('b3M=').decode())\n",
        "import.obfuscated",
        Severity.CRITICAL,
    ),
    (
        "__import__ of a reversed name",
        "m = __import__('so'[::-1])\n",
        "import.obfuscated",
        Severity.CRITICAL,
    ),
    ("ctypes", "import ctypes\nctypes.CDLL(None)\n", "native.ctypes", Severity.CRITICAL),
    ("ctypes via from-import", "from ctypes import CDLL\n", "native.ctypes", Severity.CRITICAL),
    ("ctypes imported by name", "__import__('ctypes')\n", "native.ctypes", Severity.CRITICAL),
    ("cffi", "from cffi import FFI\nFFI()\n", "native.cffi", Severity.CRITICAL),
    (
        "subprocess running pytest",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-m', 'pytest', '-q'])\n",
        "process.use",
        Severity.INFO,
    ),
    ("os.system", "import os\nos.system('ls')\n", "process.use", Severity.INFO),
    ("multiprocessing", "from multiprocessing import Pool\n", "process.use", Severity.INFO),
    (
        "socket",
        "import socket\nsocket.create_connection(('x', 80))\n",
        "network.use",
        Severity.WARNING,
    ),
    (
        "urllib.request",
        "from urllib import request\nrequest.urlopen('http://x')\n",
        "network.use",
        Severity.WARNING,
    ),
    ("requests", "import requests\nrequests.get('http://x')\n", "network.use", Severity.WARNING),
    ("marshal", "import marshal\nmarshal.loads(data)\n", "deserialize.marshal", Severity.CRITICAL),
    (
        "pickle of embedded data",
        f"import base64, pickle\nobj = pickle.loads(base64.b64decode('{BLOB[:40]}'))\n",
        "deserialize.pickle_embedded",
        Severity.CRITICAL,
    ),
    (
        "pickle of an embedded constant",
        "import pickle\nDATA = b'\\x80\\x04K\\x01.'\nobj = pickle.loads(DATA)\n",
        "deserialize.pickle_embedded",
        Severity.CRITICAL,
    ),
    (
        "pickle of a file",
        "import pickle\nobj = pickle.load(open('cache.pkl', 'rb'))\n",
        "deserialize.pickle",
        Severity.WARNING,
    ),
    ("long base64 literal", f"DATA = '{BLOB}'\n", "obfuscation.blob", Severity.WARNING),
    (
        "long hex literal",
        f"DATA = '{os.urandom(200).hex()}'\n",
        "obfuscation.blob",
        Severity.WARNING,
    ),
    (
        "decoded base64 payload",
        f"import base64\nsrc = base64.b64decode('{BLOB}')\n",
        "obfuscation.decoded_payload",
        Severity.CRITICAL,
    ),
    (
        "zlib payload via a constant",
        f"import base64, zlib\nP = '{BLOB}'\nsrc = zlib.decompress(base64.b64decode(P))\n",
        "obfuscation.decoded_payload",
        Severity.CRITICAL,
    ),
    (
        "hex payload",
        f"payload = bytes.fromhex('{os.urandom(150).hex()}')\n",
        "obfuscation.decoded_payload",
        Severity.CRITICAL,
    ),
    (
        "high-entropy literal",
        "KEY = '"
        + "".join(chr(33 + (i * 7919) % 90) for i in range(300)).replace("'", "x")
        + "'\n",
        "obfuscation.entropy",
        Severity.WARNING,
    ),
    (
        "string from character codes",
        "name = ''.join(chr(c) for c in [101, 120, 101, 99])\n",
        "obfuscation.charcodes",
        Severity.WARNING,
    ),
    (
        "chr concatenation",
        "name = chr(101) + chr(120) + chr(101) + chr(99)\n",
        "obfuscation.charcodes",
        Severity.WARNING,
    ),
    (
        "map(chr)",
        "name = ''.join(map(chr, [101, 120]))\n",
        "obfuscation.charcodes",
        Severity.WARNING,
    ),
    (
        "hidden builtin",
        "import builtins\ngetattr(builtins, 'ex' + 'ec')('1')\n",
        "obfuscation.hidden_call",
        Severity.CRITICAL,
    ),
    (
        "hidden os call",
        "import os\ngetattr(os, 'system')('ls')\n",
        "obfuscation.hidden_call",
        Severity.CRITICAL,
    ),
    (
        "builtins dict lookup",
        "__builtins__['eval']('1')\n",
        "obfuscation.hidden_call",
        Severity.CRITICAL,
    ),
    (
        "code object",
        "import types\nf = types.FunctionType(code, {})\n",
        "code.object",
        Severity.CRITICAL,
    ),
    (
        "__code__ swap",
        "def f():\n    pass\nf.__code__ = g.__code__\n",
        "code.object",
        Severity.CRITICAL,
    ),
    (
        "subclasses gadget",
        "x = ().__class__.__bases__[0].__subclasses__()\n",
        "code.object",
        Severity.CRITICAL,
    ),
    (
        "aws credentials",
        "import os\nkey = os.environ['AWS_SECRET_ACCESS_KEY']\n",
        "credentials.access",
        Severity.CRITICAL,
    ),
    (
        "metadata endpoint",
        "URL = 'http://169.254.169.254/latest/meta-data/iam/'\n",
        "credentials.access",
        Severity.CRITICAL,
    ),
    (
        "secret env",
        "import os\ntoken = os.getenv('GITHUB_TOKEN')\n",
        "credentials.secret_env",
        Severity.WARNING,
    ),
    ("outside paths", "text = open('/etc/passwd').read()\n", "fs.outside", Severity.WARNING),
]


@pytest.mark.parametrize(("label", "code", "rule", "severity"), CASES, ids=[c[0] for c in CASES])
def test_construct_is_found(
    tmp_path: Path, label: str, code: str, rule: str, severity: Severity
) -> None:
    report = review_harness(_harness(tmp_path, code), ReviewSettings())
    found = [f for f in report.findings if f.rule == rule]
    assert found, f"{label}: {[f.one_line() for f in report.findings]}"
    assert found[0].severity is severity
    assert found[0].path == "generate.py" and found[0].line >= 1
    assert RULES[rule].severity is severity


def test_every_rule_is_exercised() -> None:
    exercised = {c[2] for c in CASES} | {
        "manifest.invalid",
        "manifest.dependency",
        "entrypoint.missing",
        "entrypoint.syntax",
        "source.syntax",
        "source.encoding",
        "limits.code_size",
        "limits.ast_depth",
        "compiled.bytecode",
        "native.binary",
    }
    assert exercised == set(RULES)


@pytest.mark.parametrize(
    "code",
    [
        # generated code as text is the normal content of a harness
        "TEMPLATE = '''import os\\nexec(open(\"x\").read())\\nimport ctypes\\n'''\n",
        "import re\nPAT = re.compile(r'\\d+')\n",
        "def compile(spec):\n    return spec\ncompile(object())\n",
        "SEP = chr(92)\nprint(f'{SEP}n')\n",
        "import json\nprint(json.loads('{}'))\n",
        "import importlib\nmod = importlib.import_module('json')\n",
        "import os\nroot = os.environ.get('DF_WORK_DIR')\n",
        "from pathlib import Path\nPath('/tmp/scratch').mkdir(exist_ok=True)\n",
        "DOC = '''" + "lorem ipsum dolor sit amet " * 40 + "'''\n",
        "import subprocess\nsubprocess.run(['python', '-m', 'pytest', '-q'], check=False)\n",
    ],
)
def test_no_false_critical(tmp_path: Path, code: str) -> None:
    report = review_harness(_harness(tmp_path, code), ReviewSettings())
    assert report.passed, [f.one_line() for f in report.critical]
    assert not [f for f in report.findings if f.severity is Severity.WARNING], report.findings


def test_package_level_findings(tmp_path: Path) -> None:
    root = _harness(tmp_path, "print(1)\n", {"lib/bad.py": "def (:\n", "lib/x.pyc": "x"})
    (root / "lib" / "native.so").write_bytes(b"\x7fELF")
    (root / "lib" / "latin.py").write_bytes(b"x = '\xff'\n")
    rules = _rules(root)
    assert rules["source.syntax"] is Severity.WARNING
    assert rules["source.encoding"] is Severity.WARNING
    assert rules["compiled.bytecode"] is Severity.CRITICAL
    assert rules["native.binary"] is Severity.CRITICAL


def test_manifest_findings(tmp_path: Path) -> None:
    root = _harness(tmp_path, "print(1)\n", deps='"numpy"')
    assert _rules(root)["manifest.dependency"] is Severity.CRITICAL
    (root / "generate.py").unlink()
    assert _rules(root)["entrypoint.missing"] is Severity.CRITICAL
    (root / "harness.toml").write_text("[harness]\nname = 'BAD NAME'\n")
    assert _rules(root)["manifest.invalid"] is Severity.CRITICAL
    (root / "harness.toml").unlink()
    assert _rules(root)["manifest.invalid"] is Severity.CRITICAL


def test_entrypoint_must_parse(tmp_path: Path) -> None:
    root = _harness(tmp_path, "def broken(:\n")
    report = review_harness(root, ReviewSettings())
    [finding] = [f for f in report.findings if f.rule == "entrypoint.syntax"]
    assert finding.severity is Severity.CRITICAL and finding.line == 1


def test_code_size_limit(tmp_path: Path) -> None:
    root = _harness(tmp_path, "x = 1\n" * 2000)
    rules = _rules(root, ReviewSettings(max_code_bytes=1000))
    assert rules["limits.code_size"] is Severity.CRITICAL
    assert "limits.code_size" not in _rules(root)


def test_ast_depth_limit(tmp_path: Path) -> None:
    deep = "x = " + "[" * 40 + "]" * 40 + "\n"
    root = _harness(tmp_path, deep)
    assert _rules(root, ReviewSettings(max_ast_depth=20))["limits.ast_depth"] is Severity.CRITICAL
    assert "limits.ast_depth" not in _rules(root)


def test_parser_exhaustion_is_a_finding_not_a_crash(tmp_path: Path) -> None:
    root = _harness(tmp_path, "x = " + "+".join(["1"] * 200_000) + "\n")
    report = review_harness(root, ReviewSettings())
    assert {f.rule for f in report.critical} & {"limits.ast_depth", "entrypoint.syntax"}


def test_rejection_names_file_line_and_fix(tmp_path: Path) -> None:
    root = _harness(tmp_path, "import os\n\n\ndef run(src):\n    exec(src)\n")
    verdict = review_harness(root, ReviewSettings()).rejection()
    assert verdict is not None
    assert verdict.reason.reason_class is ReasonClass.REVIEW_CRITICAL
    message = verdict.reason.message
    assert "generate.py:5" in message and "exec.dynamic" in message and "fix:" in message
    assert len(message) <= 4000


def test_rejection_message_is_capped(tmp_path: Path) -> None:
    root = _harness(tmp_path, "".join(f"exec(v{i})\n" for i in range(500)))
    verdict = review_harness(root, ReviewSettings()).rejection()
    assert verdict is not None
    assert len(verdict.reason.message) <= 4000 and "more" in verdict.reason.message


def test_severity_override_and_unknown_rule() -> None:
    settings = ReviewSettings(severity={"network.use": Severity.CRITICAL})
    assert settings.severity_of("network.use") is Severity.CRITICAL
    assert settings.severity_of("process.use") is Severity.INFO
    with pytest.raises(ValueError, match="unknown review rule"):
        ReviewSettings(severity={"no.such.rule": Severity.INFO})


def test_cli_review_exit_codes_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from argparse import Namespace

    ok = cmd_review.run(Namespace(path=EXAMPLE, config=None, json=True))
    doc = json.loads(capsys.readouterr().out)
    assert ok == 0 and doc["passed"] and doc["counts"]["critical"] == 0
    bad = _harness(tmp_path, "import marshal\nmarshal.loads(b'')\n")
    archive = tmp_path / "bad.zip"
    archive.write_bytes(pack_directory(bad))
    assert cmd_review.run(Namespace(path=archive, config=None, json=True)) == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["findings"][0]["rule"] == "deserialize.marshal"
    assert cmd_review.run(Namespace(path=bad, config=None, json=False)) == 1
    assert "REVIEW_CRITICAL" in capsys.readouterr().out


def test_cli_review_through_main(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import dfab.cli.main as cli

    assert "review" in cli.COMMANDS
    assert cli.main(["review", str(tmp_path / "missing")]) == 2
    (tmp_path / "file.txt").write_text("x")
    assert cli.main(["review", str(tmp_path / "file.txt")]) == 2
    assert cli.main(["review", "--json", str(EXAMPLE)]) == 0


def test_cli_reviews_a_directory_as_it_would_be_uploaded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from argparse import Namespace

    root = _harness(tmp_path, "print(1)\n", {".venv/lib/x.py": "exec(input())\n"})
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "generate.cpython-311.pyc").write_bytes(b"\0")
    assert review_harness(root, ReviewSettings()).critical  # the raw tree has both
    assert cmd_review.run(Namespace(path=root, config=None, json=True)) == 0  # the upload not
    assert json.loads(capsys.readouterr().out)["counts"]["critical"] == 0
