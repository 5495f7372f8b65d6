"""Validator configuration: one validated model, mirrored by `config.example.yaml`.

Every `dfab` command takes `--config FILE` (or `DFAB_CONFIG`); Lambdas read the same
file format from `DFAB_CONFIG` and take resource names from their environment.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from dfab.api.settings import ApiSettings
from dfab.contracts.dataset import DatasetLimits
from dfab.intake.settings import IntakeSettings
from dfab.originality.settings import OriginalitySettings
from dfab.review.settings import ReviewSettings

CONFIG_ENV = "DFAB_CONFIG"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ArchiveSettings(_Section):
    """Limits on an uploaded harness archive (CONTRACTS.md §1)."""

    max_archive_bytes: int = Field(5 * 1024 * 1024, gt=0, description="Archive size cap.")
    max_unpacked_bytes: int = Field(20 * 1024 * 1024, gt=0, description="Total unpacked cap.")
    max_entries: int = Field(500, gt=0, description="Files and directories, at most.")
    max_entry_bytes: int = Field(5 * 1024 * 1024, gt=0, description="One entry, unpacked.")
    max_compression_ratio: float = Field(100.0, gt=1, description="Per-entry ratio cap.")


class DatasetSettings(_Section):
    """Per-line limits of the dataset contract (CONTRACTS.md §3)."""

    max_line_bytes: int = Field(2 * 1024 * 1024, gt=0, description="One JSONL line, in bytes.")
    min_messages: int = Field(2, ge=2, description="Fewest messages in a conversation.")
    max_messages: int = Field(512, ge=2, description="Most messages in a conversation.")
    max_id_chars: int = Field(128, ge=1, description="Longest conversation id.")
    max_metadata_bytes: int = Field(64 * 1024, gt=0, description="`metadata`, JSON-encoded.")
    max_verification_file_bytes: int = Field(
        64 * 1024, gt=0, description="One file of a `verification` block."
    )
    max_reported_invalid: int = Field(
        50, ge=0, description="How many invalid lines the report lists in full."
    )

    def limits(self) -> DatasetLimits:
        return DatasetLimits(
            max_line_bytes=self.max_line_bytes,
            min_messages=self.min_messages,
            max_messages=self.max_messages,
            max_id_chars=self.max_id_chars,
            max_metadata_bytes=self.max_metadata_bytes,
            max_verification_file_bytes=self.max_verification_file_bytes,
        )


class SandboxSettings(_Section):
    """Isolation and resource limits for untrusted code (generation and verification)."""

    backend: Literal["bwrap", "container"] = Field(
        "bwrap",
        description="bwrap: bubblewrap namespaces (local); container: the Fargate task is the "
        "isolation boundary, limits via rlimits (set by the image, not by validators).",
    )
    runtime_python: str | None = Field(
        None,
        description="Interpreter harnesses run with (a venv holding only the allowlist). "
        "Default: .venv-sandbox/bin/python of the checkout, created by scripts/setup.sh.",
    )
    wall_timeout_s: int = Field(600, ge=1, description="Wall-clock limit of one run.")
    cpu_time_s: int = Field(600, ge=1, description="CPU-seconds limit (RLIMIT_CPU).")
    memory_mb: int = Field(2048, ge=64, description="Memory limit (cgroup, else RLIMIT_AS).")
    max_processes: int = Field(64, ge=1, description="Processes/threads (pids cgroup/NPROC).")
    max_open_files: int = Field(256, ge=16, description="Open files (RLIMIT_NOFILE).")
    max_output_mb: int = Field(256, ge=1, description="Dataset output file size cap.")
    max_workdir_mb: int = Field(512, ge=1, description="Total bytes written in the run dir.")
    tail_bytes: int = Field(8192, ge=256, description="stdout/stderr tail kept per stream.")
    max_log_mb: int = Field(
        64, ge=1, description="stdout+stderr bytes a run may print before it is stopped."
    )
    tmp_mb: int = Field(64, ge=1, description="Size of the sandbox's private /tmp (tmpfs).")
    sandbox_uid: int = Field(
        65534, ge=1, description="Unprivileged uid/gid the harness runs as (when started as root)."
    )
    use_cgroups: bool = Field(
        True, description="Use memory/pids/cpuacct cgroups when writable; false: rlimits only."
    )


class GenerationSettings(_Section):
    """How a harness is asked to generate (CONTRACTS.md §2)."""

    num_conversations: int = Field(200, ge=1, description="DF_NUM_CONVERSATIONS.")
    seed: int | None = Field(
        None, ge=0, description="Fixed seed; default derives it from the submission id."
    )
    probe_conversations: int = Field(
        10,
        ge=0,
        description="A second, small run with another seed, in the same task (0: none). "
        "Scoring compares it with the main dataset, so output that ignores the seed shows.",
    )


class VerificationSettings(_Section):
    """Sampled `verification` blocks run in the sandbox after generation."""

    sample_size: int = Field(20, ge=0, description="Blocks run per submission (seeded sample).")
    max_total_s: int = Field(600, ge=1, description="Wall budget for all sampled blocks.")
    max_block_timeout_s: int = Field(
        60, ge=1, le=60, description="Cap on one block's `timeout_s` (the contract allows 60)."
    )


class ScoringSettings(_Section):
    """Gates, weights and budgets of the dataset score (docs/miner/scoring.md)."""

    min_conversations: int = Field(
        100, ge=1, description="Fewer valid conversations than this gates the score to 0."
    )
    min_valid_fraction: float = Field(
        0.9, ge=0, le=1, description="A lower share of valid lines gates the score to 0."
    )
    component_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_COMPONENT_WEIGHTS),
        description="quality/agentic/originality -> weight in the final score (merged over "
        "these defaults); an unmeasured originality is left out and the rest renormalized.",
    )
    agentic_weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_AGENTIC_WEIGHTS),
        description="Signal family -> weight inside the agentic component (merged over "
        "these defaults).",
    )
    weights: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_SIGNAL_WEIGHTS),
        description="Signal name -> weight inside its component or family (merged over these "
        "defaults); unknown names are refused. Scale signals (format.volume, "
        "integrity.clean_share, diversity.distinct_share) multiply instead and take no weight.",
    )
    analysis_sample: int = Field(
        500,
        ge=50,
        description="Conversations analysed in full (seeded by the submission id); larger "
        "datasets are estimated from this sample. Duplicates are searched in all of them.",
    )
    near_duplicate_jaccard: float = Field(
        0.8, gt=0, le=1, description="MinHash Jaccard over content shingles for a near-duplicate."
    )
    structure_jaccard: float = Field(
        0.9,
        gt=0,
        le=1,
        description="MinHash Jaccard over skeletons (words masked) for the same structure.",
    )
    structure_cap_fraction: float = Field(
        0.05,
        gt=0,
        le=1,
        description="One structure (template) earns credit for at most this share of the "
        "dataset's conversations.",
    )
    structure_cap_min: int = Field(
        3, ge=1, description="...but always for at least this many conversations."
    )
    originality_full_credit: float = Field(
        0.5,
        gt=0,
        le=1,
        description="Originality at or above this keeps full credit; below it the quality and "
        "agentic components scale down linearly (a copy earns nothing even without a "
        "plagiarism verdict).",
    )
    min_probe_difference: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of a second-seed probe generation that must differ from the "
        "dataset; below it the seed_dependence gate fails (static datasets score 0).",
    )

    @field_validator("component_weights", "agentic_weights", "weights")
    @classmethod
    def _merge_defaults(cls, value: dict[str, float], info: ValidationInfo) -> dict[str, float]:
        defaults = {
            "component_weights": DEFAULT_COMPONENT_WEIGHTS,
            "agentic_weights": DEFAULT_AGENTIC_WEIGHTS,
            "weights": DEFAULT_SIGNAL_WEIGHTS,
        }[info.field_name or ""]
        bad = sorted(k for k, v in value.items() if not v >= 0)
        if bad:
            raise ValueError(f"weights must be >= 0 (check {bad})")
        return {**defaults, **value}


#: Final score = sum of these times each component (quality dominant).
DEFAULT_COMPONENT_WEIGHTS: dict[str, float] = {
    "quality": 0.5,
    "agentic": 0.4,
    "originality": 0.1,
}
#: The agentic component: a weighted mean of its families.
DEFAULT_AGENTIC_WEIGHTS: dict[str, float] = {
    "tool_use": 0.25,
    "reasoning": 0.2,
    "coding": 0.15,
    "verifiability": 0.2,
    "diversity": 0.2,
}
#: Each signal's weight inside its component (quality, originality) or family (agentic).
DEFAULT_SIGNAL_WEIGHTS: dict[str, float] = {
    "format.valid_fraction": 0.05,
    "quality.task_intent": 0.15,
    "quality.coherence": 0.2,
    "quality.text_health": 0.15,
    "quality.code_validity": 0.2,
    "quality.final_answer": 0.25,
    "tool_use.declared_tools": 0.1,
    "tool_use.schema_valid_args": 0.25,
    "tool_use.calls_answered": 0.1,
    "tool_use.loops": 0.2,
    "tool_use.variety": 0.1,
    "tool_use.plausible_results": 0.25,
    "reasoning.present": 0.3,
    "reasoning.grounded": 0.3,
    "reasoning.bounded": 0.25,
    "reasoning.not_answer_copy": 0.15,
    "coding.real_work": 0.6,
    "coding.spread": 0.25,
    "coding.hints_match": 0.15,
    "verifiability.verified_share": 1.0,
    "diversity.near_duplicates": 0.3,
    "diversity.structure": 0.3,
    "diversity.task_distinct_n": 0.2,
    "diversity.probe_differs": 0.2,
    "originality.value": 1.0,
}


class StorageSettings(_Section):
    """Resource names; Lambdas take them from their environment instead."""

    region: str = Field("us-east-1", description="AWS region (moto's, locally).")
    bucket: str = Field("dfab-local", description="Bucket for uploads, tasks and results.")
    submissions_table: str = Field("dfab-submissions", description="Submission records.")
    best_scores_table: str = Field("dfab-best-scores", description="Best score per hotkey.")


class Settings(_Section):
    archive: ArchiveSettings = ArchiveSettings()
    dataset: DatasetSettings = DatasetSettings()
    sandbox: SandboxSettings = SandboxSettings()
    generation: GenerationSettings = GenerationSettings()
    verification: VerificationSettings = VerificationSettings()
    scoring: ScoringSettings = ScoringSettings()
    review: ReviewSettings = ReviewSettings()
    originality: OriginalitySettings = OriginalitySettings()
    intake: IntakeSettings = IntakeSettings()
    api: ApiSettings = ApiSettings()
    storage: StorageSettings = StorageSettings()

    def config_hash(self) -> str:
        """Hash of everything that can move a score; reports carry it."""
        relevant = {
            "dataset": self.dataset.model_dump(mode="json"),
            "generation": self.generation.model_dump(mode="json"),
            "verification": self.verification.model_dump(mode="json"),
            "scoring": self.scoring.model_dump(mode="json"),
            "review": self.review.model_dump(mode="json"),
            "originality": self.originality.model_dump(mode="json"),
        }
        blob = json.dumps(relevant, sort_keys=True, separators=(",", ":")).encode()
        return "sha256:" + hashlib.sha256(blob).hexdigest()


class ConfigError(Exception):
    """A configuration file that cannot be used; the message says where and why."""


def load_settings(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load settings from `path`, else `$DFAB_CONFIG`, else defaults."""
    chosen = path if path is not None else os.environ.get(CONFIG_ENV)
    if not chosen:
        return Settings()
    file = Path(chosen)
    try:
        data: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {file} does not exist") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {file} cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"config file {file} is not valid YAML: {exc}") from exc
    return settings_from_dict(data or {}, where=str(file))


def settings_from_dict(data: Any, *, where: str = "config") -> Settings:
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the top level must be a mapping of sections")
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise ConfigError(
            f"{where}: setting '{field}': {err['msg']} (see config.example.yaml)"
        ) from exc


CONFIG_PARAMETER_ENV = "DFAB_CONFIG_PARAMETER"


def load_deployed_settings() -> Settings:
    """Lambda side: the YAML held in the SSM parameter named by `$DFAB_CONFIG_PARAMETER`.

    Falls back to `load_settings()` (file or defaults) when no parameter is named,
    which is how the same handlers run on one machine.
    """
    name = os.environ.get(CONFIG_PARAMETER_ENV)
    if not name:
        return load_settings()
    import boto3  # local import: the CLI path never needs SSM

    value = boto3.client("ssm").get_parameter(Name=name)["Parameter"]["Value"]
    try:
        data = yaml.safe_load(value)
    except yaml.YAMLError as exc:
        raise ConfigError(f"SSM parameter {name} is not valid YAML: {exc}") from exc
    return settings_from_dict(data or {}, where=f"SSM parameter {name}")
