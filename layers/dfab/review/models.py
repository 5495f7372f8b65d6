"""What a review returns: findings with a location, and the verdict they imply."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from dfab.contracts.reasons import ReasonClass, VerdictError
from dfab.review.catalog import Severity

#: Reason messages are capped at 4000 characters (CONTRACTS.md §6); keep room to spare.
_MAX_REASON_CHARS = 3500


class Finding(BaseModel):
    """One reviewed construct at one place: a miner can go to `path:line` and fix it."""

    model_config = ConfigDict(frozen=True)

    rule: str = Field(description="Stable rule id, e.g. exec.dynamic.")
    severity: Severity
    path: str = Field(description="File relative to the harness root, POSIX separators.")
    line: int = Field(ge=0, description="1-based line; 0 when the finding is about the file.")
    col: int = Field(0, ge=0)
    message: str
    fix: str

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def one_line(self) -> str:
        return f"{self.where}: [{self.rule}] {self.message}; fix: {self.fix}"


class ReviewReport(BaseModel):
    """All findings of one harness; critical ones reject it (REVIEW_CRITICAL)."""

    model_config = ConfigDict(frozen=True)

    files_reviewed: int = Field(ge=0, description="Python files parsed and checked.")
    code_bytes: int = Field(ge=0, description="Total size of the .py files.")
    max_ast_depth: int = Field(ge=0, description="Deepest syntax-tree nesting seen.")
    findings: list[Finding] = Field(default_factory=list)

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.CRITICAL]

    @property
    def passed(self) -> bool:
        return not self.critical

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in Severity}
        for f in self.findings:
            out[f.severity.value] += 1
        return out

    def rejection(self) -> VerdictError | None:
        """The REVIEW_CRITICAL verdict naming every critical finding, or None if it passed."""
        critical = self.critical
        if not critical:
            return None
        head = f"static review found {len(critical)} critical issue(s): "
        parts: list[str] = []
        used = len(head)
        for i, f in enumerate(critical):
            text = f.one_line()
            if used + len(text) + 2 > _MAX_REASON_CHARS:
                parts.append(f"... and {len(critical) - i} more (run `dfab review` to see all)")
                break
            parts.append(text)
            used += len(text) + 2
        return VerdictError(ReasonClass.REVIEW_CRITICAL, head + "; ".join(parts))

    def dump(self) -> dict[str, object]:
        data = self.model_dump(mode="json")
        data["passed"] = self.passed
        data["counts"] = self.counts()
        return data
