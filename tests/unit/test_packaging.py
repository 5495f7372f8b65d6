"""How the Lambda code is packaged: every function can import what it needs, and no more.

template.yaml packages one library two ways (docs/validator/deploy.md, "How the code is
packaged"): zip functions with CoreLayer (layers/requirements.txt) and container-image
functions built from functions/pipeline.Dockerfile (functions/pipeline-requirements.txt).
A zip function that imported pyarrow would deploy and then fail on its first call, and a
layer holding the analysis stack would not deploy at all (Lambda's 250 MB limit), so:

- every import a function can reach (module level or inside a function, following the dfab
  modules it imports) is provided by its package or by the Lambda runtime;
- each zip function's handler imports in a fresh interpreter where every other installed
  distribution is blocked;
- the layer's installed size is far under the limit;
- the image copies each handler where ImageConfig.Command names it, and .dockerignore lets
  every COPY source into the build context.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from dfab.local.template import FunctionSpec, function_spec, load_template

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = ROOT / "layers"
LAYER_REQUIREMENTS = ROOT / "layers" / "requirements.txt"
IMAGE_REQUIREMENTS = ROOT / "functions" / "pipeline-requirements.txt"
PIPELINE_DOCKERFILE = ROOT / "functions" / "pipeline.Dockerfile"

# What the python3.11 Lambda runtime (and its base image) already has.
LAMBDA_RUNTIME = {
    *("boto3", "botocore", "s3transfer", "jmespath"),
    *("python-dateutil", "six", "urllib3"),
}
# Lambda: function code plus all its layers, unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


# -- the template's functions -----------------------------------------------------------------


@cache
def _functions() -> dict[str, tuple[dict[str, Any], FunctionSpec]]:
    template = load_template(ROOT / "template.yaml")
    return {
        lid: (res, function_spec(ROOT, lid, res, template.get("Globals", {})))
        for lid, res in template["Resources"].items()
        if res["Type"] == "AWS::Serverless::Function"
    }


def _is_image(lid: str) -> bool:
    return _functions()[lid][0]["Properties"].get("PackageType") == "Image"


ZIP_FUNCTIONS = sorted(lid for lid in _functions() if not _is_image(lid))
IMAGE_FUNCTIONS = sorted(lid for lid in _functions() if _is_image(lid))


def _handler_file(spec: FunctionSpec) -> Path:
    module = spec.handler.rpartition(".")[0]
    return spec.code_dir / (module.replace(".", "/") + ".py")


# -- requirements -> distributions ------------------------------------------------------------


def _requirement_lines(path: Path) -> list[str]:
    lines: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip()
        if line.startswith("-r "):
            lines += _requirement_lines((path.parent / line[3:].strip()).resolve())
        elif line:
            lines.append(line)
    return lines


def _closure(names: set[str]) -> set[str]:
    """The distributions `names` install (their non-extra requirements, transitively)."""
    seen: set[str] = set()
    todo = [canonicalize_name(n) for n in names]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(canonicalize_name(req.name))
    return seen


def _provided(requirements: Path) -> set[str]:
    listed = {Requirement(line).name for line in _requirement_lines(requirements)}
    return _closure(listed) | {canonicalize_name(n) for n in LAMBDA_RUNTIME}


@cache
def _import_owners() -> dict[str, set[str]]:
    """Top-level import name -> the distributions installing it (dev venv)."""
    return {
        name: {canonicalize_name(d) for d in dists}
        for name, dists in metadata.packages_distributions().items()
    }


# -- what a handler can import ----------------------------------------------------------------


def _library_file(module: str) -> Path | None:
    path = LIBRARY / module.replace(".", "/")
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    if path.with_suffix(".py").is_file():
        return path.with_suffix(".py")
    return None


def _imports_of(path: Path, module: str) -> list[str]:
    """Every module an `import` anywhere in the file names (relative ones made absolute)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append(target)
            names += [f"{target}.{alias.name}" for alias in node.names]  # maybe submodules
    return names


def _reachable_third_party(handler: Path) -> dict[str, str]:
    """Third-party top-level modules the handler can reach -> a dfab module importing it."""
    third_party: dict[str, str] = {}
    seen: set[str] = set()
    todo = [(handler, "handler")]
    while todo:
        path, module = todo.pop()
        for name in _imports_of(path, module):
            parts = name.split(".")
            if parts[0] == "dfab":
                for end in range(1, len(parts) + 1):
                    sub = ".".join(parts[:end])
                    found = _library_file(sub)
                    if found is not None and sub not in seen:
                        seen.add(sub)
                        todo.append((found, sub))
            elif parts[0] and parts[0] not in sys.stdlib_module_names:
                third_party.setdefault(parts[0], module)
    return third_party


def _unprovided(lid: str, requirements: Path) -> list[str]:
    provided = _provided(requirements)
    missing = []
    reachable = _reachable_third_party(_handler_file(_functions()[lid][1]))
    for top, importer in sorted(reachable.items()):
        owners = _import_owners().get(top)
        assert owners, f"{lid}: `{top}` (imported by {importer}) is not installed at all"
        if not owners & provided:
            missing.append(f"{top} ({'/'.join(sorted(owners))}, imported by {importer})")
    return missing


def test_the_template_has_both_kinds_of_function() -> None:
    assert {"ApiFunction", "AuthorizerFunction"} <= set(ZIP_FUNCTIONS)
    assert {"ParseFunction", "ScoreFunction"} <= set(IMAGE_FUNCTIONS)


@pytest.mark.parametrize("lid", ZIP_FUNCTIONS)
def test_zip_functions_reach_only_what_the_layer_ships(lid: str) -> None:
    assert _unprovided(lid, LAYER_REQUIREMENTS) == []


@pytest.mark.parametrize("lid", IMAGE_FUNCTIONS)
def test_image_functions_reach_only_what_the_image_installs(lid: str) -> None:
    assert _unprovided(lid, IMAGE_REQUIREMENTS) == []


def test_the_reachability_check_sees_the_analysis_stack() -> None:
    # The check is not vacuous: Score reaches pyarrow and datasketch, which the layer lacks.
    missing = " ".join(_unprovided("ScoreFunction", LAYER_REQUIREMENTS))
    assert "pyarrow" in missing and "datasketch" in missing


_BLOCKING_IMPORT = """
import importlib.abc, importlib.util, json, os, sys
blocked = set(json.loads(os.environ["BLOCKED"]))
class Block(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is not in this function's package")
sys.meta_path.insert(0, Block())
sys.path.insert(0, sys.argv[1])
spec = importlib.util.spec_from_file_location("app", sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
assert callable(getattr(module, sys.argv[3]))
"""


@pytest.mark.parametrize("lid", ZIP_FUNCTIONS)
def test_zip_handlers_import_with_everything_else_blocked(lid: str) -> None:
    provided = _provided(LAYER_REQUIREMENTS)
    blocked = sorted(
        top
        for top, owners in _import_owners().items()
        if not owners & provided and top not in sys.stdlib_module_names and top != "dfab"
    )
    assert "pyarrow" in blocked and "numpy" in blocked
    spec = _functions()[lid][1]
    env = {**os.environ, "BLOCKED": json.dumps(blocked), "AWS_DEFAULT_REGION": "us-east-1"}
    proc = subprocess.run(
        [sys.executable, "-c", _BLOCKING_IMPORT, str(spec.code_dir), str(_handler_file(spec)),
         spec.handler.rpartition(".")[2]],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]


def _installed_bytes(distribution: str) -> int:
    files = metadata.distribution(distribution).files or []
    return sum(f.size or 0 for f in files if not str(f).endswith(".pyc"))


def test_the_layer_is_far_under_the_lambda_size_limit() -> None:
    # Installed sizes of the layer's distributions in this venv (manylinux wheels, as in
    # the layer) plus the library itself; boto3 and friends come with the runtime.
    runtime = {canonicalize_name(n) for n in LAMBDA_RUNTIME}
    layer = _provided(LAYER_REQUIREMENTS) - runtime
    library = sum(
        p.stat().st_size
        for p in (LIBRARY / "dfab").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
    total = sum(_installed_bytes(d) for d in layer) + library
    assert total < LAMBDA_UNZIPPED_LIMIT / 4, f"layer is {total / 2**20:.0f} MiB"
    # ... and the analysis stack would not fit: that is why it lives in the image.
    analysis = _provided(IMAGE_REQUIREMENTS) - runtime - layer
    assert {"pyarrow", "numpy", "scipy", "datasketch"} <= analysis


# -- the pipeline image -----------------------------------------------------------------------


def _copies(dockerfile: Path) -> list[tuple[str, str]]:
    """(source, destination) of each COPY, with ${LAMBDA_TASK_ROOT} written as /var/task."""
    pairs = []
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        words = line.split()
        if words[:1] == ["COPY"] and not any(w.startswith("--from") for w in words):
            source, dest = words[1], words[2]
            pairs.append((source.rstrip("/"), dest.replace("${LAMBDA_TASK_ROOT}", "/var/task")))
    return pairs


def test_the_image_puts_each_handler_where_its_command_names_it() -> None:
    copies = dict(_copies(PIPELINE_DOCKERFILE))
    assert copies["layers/dfab"] == "/var/task/dfab"
    for lid in IMAGE_FUNCTIONS:
        spec = _functions()[lid][1]
        assert spec.code_dir == ROOT  # DockerContext "."
        source = _handler_file(spec).relative_to(ROOT).as_posix()
        assert copies.get(source) == f"/var/task/{source}", f"{lid}: {source} not copied"
    text = PIPELINE_DOCKERFILE.read_text(encoding="utf-8")
    assert "-r /tmp/req/functions/pipeline-requirements.txt" in text
    assert text.splitlines()[-1].startswith("CMD [")


def _admitted(path: str, patterns: list[str]) -> bool:
    """.dockerignore semantics for our patterns: the last pattern matching the path wins."""
    import fnmatch

    admitted = True
    for pattern in patterns:
        negated = pattern.startswith("!")
        body = pattern.lstrip("!").rstrip("/")
        if body == "*" or fnmatch.fnmatch(path, body) or path.startswith(body + "/"):
            admitted = negated
    return admitted


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "functions/pipeline.Dockerfile"])
def test_the_build_context_admits_every_copy_source(dockerfile: str) -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for source, _ in _copies(ROOT / dockerfile):
        path = ROOT / source
        assert path.exists(), f"{dockerfile}: COPY {source} does not exist"
        files = [path] if path.is_file() else [p for p in path.rglob("*.py")]
        refused = [f for f in files if not _admitted(f.relative_to(ROOT).as_posix(), patterns)]
        assert refused == [], f"{dockerfile}: .dockerignore leaves out {refused[:3]}"
    assert not _admitted(".venv/bin/python", patterns)
    assert not _admitted(".git/config", patterns)
