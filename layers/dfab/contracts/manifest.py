"""`harness.toml`: the manifest at the root of every harness package (CONTRACTS.md §1)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dfab.contracts.reasons import ReasonClass, VerdictError

MANIFEST_NAME = "harness.toml"
_NAME = r"^[a-z0-9-]{1,64}$"
_VERSION = re.compile(r"^\d+\.\d+\.\d+([.+-][0-9A-Za-z.+-]+)?$")
_DEP_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$")


def canonical_dependency(name: str) -> str:
    """PEP 503 normalized project name, so `PyYAML` and `pyyaml` are one dependency."""
    return re.sub(r"[-_.]+", "-", name).lower()


class HarnessSection(BaseModel):
    """The `[harness]` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_NAME, description="1-64 chars of [a-z0-9-].")
    version: str = Field(description="Semantic version, e.g. 0.1.0.")
    entrypoint: str = Field(description="Relative path of a .py file inside the archive.")
    description: str = Field(min_length=1, max_length=2000)
    dependencies: list[str] = Field(
        default_factory=list,
        description="Project names from the sandbox image's allowlist only.",
    )

    @field_validator("version")
    @classmethod
    def _semver(cls, value: str) -> str:
        if not _VERSION.match(value):
            raise ValueError("must be a semantic version such as 0.1.0")
        return value

    @field_validator("entrypoint")
    @classmethod
    def _relative_py(cls, value: str) -> str:
        if not value.endswith(".py"):
            raise ValueError("must name a .py file")
        if "\\" in value or value.startswith("/") or re.match(r"^[A-Za-z]:", value):
            raise ValueError("must be a relative POSIX path inside the archive")
        parts = PurePosixPath(value).parts
        if any(part in ("..", ".") for part in parts) or not parts:
            raise ValueError("must not contain '.' or '..' components")
        return str(PurePosixPath(value))

    @field_validator("dependencies")
    @classmethod
    def _dep_names(cls, value: list[str]) -> list[str]:
        for dep in value:
            if not _DEP_NAME.match(dep):
                raise ValueError(
                    f"{dep!r} is not a bare project name (no versions or extras: "
                    "the sandbox image pins them)"
                )
        return value


class HarnessManifest(BaseModel):
    """The whole `harness.toml` document."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    harness: HarnessSection


def parse_manifest(text: str | bytes, *, where: str = MANIFEST_NAME) -> HarnessManifest:
    """Parse and validate manifest text; a problem raises `VerdictError(MANIFEST_INVALID)`."""
    try:
        raw = text.decode("utf-8") if isinstance(text, bytes) else text
    except UnicodeDecodeError as exc:
        raise VerdictError(ReasonClass.MANIFEST_INVALID, f"{where} is not UTF-8 text") from exc
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID, f"{where} is not valid TOML: {exc}"
        ) from exc
    try:
        return HarnessManifest.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "(document)"
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID,
            f"{where}: field '{field}': {first['msg']} (see docs/miner/harness.md)",
        ) from exc


def check_dependencies(manifest: HarnessManifest, allowlist: frozenset[str]) -> None:
    """Refuse dependencies the sandbox image does not ship (`DEPENDENCY_NOT_ALLOWED`)."""
    allowed = {canonical_dependency(a) for a in allowlist}
    bad = [d for d in manifest.harness.dependencies if canonical_dependency(d) not in allowed]
    if bad:
        raise VerdictError(
            ReasonClass.DEPENDENCY_NOT_ALLOWED,
            f"dependencies {bad} are not in the sandbox allowlist {sorted(allowed)}; "
            "remove them or use the standard library",
        )


def load_harness(root: Path, allowlist: frozenset[str] | None = None) -> HarnessManifest:
    """Read `root/harness.toml` and check that its entrypoint is a file under `root`.

    With `allowlist`, also refuses dependencies outside it. Every problem is a
    `VerdictError` whose message says what to fix.
    """
    manifest_path = root / MANIFEST_NAME
    if not manifest_path.is_file():
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID,
            f"no {MANIFEST_NAME} at the harness root ({root}); run `dfab init` to see the layout",
        )
    manifest = parse_manifest(manifest_path.read_bytes())
    entry = root / manifest.harness.entrypoint
    if entry.is_symlink() or not entry.is_file():
        raise VerdictError(
            ReasonClass.MANIFEST_INVALID,
            f"entrypoint {manifest.harness.entrypoint!r} named in {MANIFEST_NAME} "
            "is not a file in the harness",
        )
    if allowlist is not None:
        check_dependencies(manifest, allowlist)
    return manifest
