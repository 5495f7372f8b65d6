"""`review:` section of the validator settings (static review of harness code).

Kept free of imports from `dfab.settings` so that module can import this one.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dfab.review.catalog import RULES, Severity


class ReviewSettings(BaseModel):
    """Static review of harness code: size and nesting limits, rule severities."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_code_bytes: int = Field(
        2 * 1024 * 1024, gt=0, description="Total bytes of .py files a harness may ship."
    )
    max_ast_depth: int = Field(
        100, ge=10, le=400, description="Deepest syntax-tree nesting allowed in one file."
    )
    blob_min_chars: int = Field(
        200, ge=32, description="A base64/hex-like literal this long counts as an opaque blob."
    )
    entropy_min_chars: int = Field(
        120, ge=32, description="Shortest literal checked for high entropy."
    )
    entropy_bits: float = Field(
        5.0, gt=0, le=8, description="Bits per character at which a literal counts as opaque."
    )
    severity: dict[str, Severity] = Field(
        default_factory=dict,
        description="Rule id -> severity override (info, warning, critical); "
        "see docs/validator/originality.md for the rule ids.",
    )

    @field_validator("severity", mode="before")
    @classmethod
    def _empty(cls, value: object) -> object:
        """`severity:` with nothing under it (as config.example.yaml renders it) is {}."""
        return {} if value is None else value

    @field_validator("severity")
    @classmethod
    def _known_rules(cls, value: dict[str, Severity]) -> dict[str, Severity]:
        unknown = sorted(set(value) - set(RULES))
        if unknown:
            raise ValueError(f"unknown review rule ids {unknown}; known: {sorted(RULES)}")
        return value

    def severity_of(self, rule_id: str) -> Severity:
        return self.severity.get(rule_id, RULES[rule_id].severity)
