"""Conversation building blocks: the per-line context, pending test runs, and the builder.

Test runs are *pending* while a conversation is drafted: the builder puts a token where
the real pytest output will go, `execution` runs every pending suite in one batch, and
`dataset` swaps the tokens for the captured output. That keeps generation fast (one
pytest process per core instead of one per run) while every result shown is real.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class PendingRun:
    """A pytest run to execute for real; `expect_pass` is what the narrative claims."""

    key: str
    files: dict[str, str]
    expect_pass: bool
    must_fail: tuple[str, ...] = ()
    visible: bool = True

    def token(self, part: str) -> str:
        return f"<<RUN {self.key} {part}>>"

    @property
    def output(self) -> str:
        return self.token("output")

    @property
    def exit_code(self) -> str:
        return self.token("exit")

    @property
    def summary(self) -> str:
        return self.token("summary")


@dataclass
class Ctx:
    """Everything a scenario may draw on: a private RNG and a place to queue test runs."""

    rng: random.Random
    seed: int
    index: int
    attempt: int
    runs: list[PendingRun] = field(default_factory=list)

    def pick(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def sample(self, options: Sequence[T], k: int) -> list[T]:
        return self.rng.sample(list(options), k)

    def run(
        self,
        files: dict[str, str],
        *,
        expect_pass: bool,
        must_fail: Sequence[str] = (),
        visible: bool = True,
    ) -> PendingRun:
        """Queue a real pytest run over `files` (a fresh directory holding only them)."""
        key = f"{self.index}-{self.attempt}-{len(self.runs)}"
        run = PendingRun(key, dict(files), expect_pass, tuple(must_fail), visible)
        self.runs.append(run)
        return run


@dataclass
class Call:
    """One tool call and the result the tool returns for it."""

    name: str
    args: dict[str, Any]
    result: str


@dataclass
class Draft:
    """A conversation before its pending runs are resolved."""

    family: str
    task: dict[str, Any]
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    verification: dict[str, Any] | None
    metadata: dict[str, Any]
    runs: list[PendingRun]


_ALNUM = string.ascii_letters + string.digits


class Convo:
    """Appends messages in the contract's shape; every call is answered right away."""

    def __init__(self, ctx: Ctx) -> None:
        self.ctx = ctx
        self.messages: list[dict[str, Any]] = []
        self._count = 0
        self._style = ctx.rng.randrange(4)

    def _call_id(self) -> str:
        self._count += 1
        rng = self.ctx.rng
        if self._style == 0:
            return f"call_{self._count}"
        if self._style == 1:
            return "call_" + "".join(rng.choice(_ALNUM) for _ in range(24))
        if self._style == 2:
            return "toolu_" + "".join(rng.choice(_ALNUM) for _ in range(20))
        return f"fc_{self._count:02d}_{rng.getrandbits(32):08x}"

    def system(self, text: str) -> None:
        self.messages.append({"role": "system", "content": text})

    def user(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def act(self, reasoning: str, calls: Sequence[Call], content: str | None = None) -> None:
        """An assistant turn that reasons, then calls tools; results follow in order."""
        ids = [self._call_id() for _ in calls]
        self.messages.append(
            {
                "role": "assistant",
                "reasoning_content": reasoning,
                "content": content,
                "tool_calls": [
                    {
                        "id": cid,
                        "type": "function",
                        "function": {
                            "name": call.name,
                            "arguments": _dumps(call.args),
                        },
                    }
                    for cid, call in zip(ids, calls, strict=True)
                ],
            }
        )
        for cid, call in zip(ids, calls, strict=True):
            self.messages.append(
                {"role": "tool", "tool_call_id": cid, "name": call.name, "content": call.result}
            )

    def final(self, reasoning: str, content: str) -> None:
        self.messages.append(
            {"role": "assistant", "reasoning_content": reasoning, "content": content}
        )


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)
