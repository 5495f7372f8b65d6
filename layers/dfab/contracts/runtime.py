"""The harness runtime contract (CONTRACTS.md §2): how a harness is invoked."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RuntimeContract(BaseModel):
    """The values a harness receives, both as environment variables and as flags."""

    model_config = ConfigDict(frozen=True)

    output_path: str = Field(description="File to write the JSONL dataset to.")
    num_conversations: int = Field(ge=1, description="How many conversations to write.")
    seed: int = Field(ge=0, lt=2**63, description="Validator-chosen seed for this run.")
    work_dir: str = Field(description="Scratch directory the harness may write to.")

    def env(self) -> dict[str, str]:
        return {
            "DF_OUTPUT_PATH": self.output_path,
            "DF_NUM_CONVERSATIONS": str(self.num_conversations),
            "DF_SEED": str(self.seed),
            "DF_WORK_DIR": self.work_dir,
        }

    def argv(self, entrypoint: str) -> list[str]:
        """`python <entrypoint> --output ... --count ... --seed ... --work-dir ...`."""
        return [
            "python",
            entrypoint,
            "--output",
            self.output_path,
            "--count",
            str(self.num_conversations),
            "--seed",
            str(self.seed),
            "--work-dir",
            self.work_dir,
        ]
