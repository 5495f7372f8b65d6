"""The conversation: the user asks for tests, the agent reads, writes, runs and reports."""

from __future__ import annotations

import json
import random

from testsmith.catalog import Subject
from testsmith.runner import Runner


class Dialog:
    TOOLS = [
        {"type": "function", "function": {"name": name, "description": desc, "parameters": params}}
        for name, desc, params in (
            (
                "read_file",
                "Read a file",
                {"type": "object", "properties": {"path": {"type": "string"}}},
            ),
            (
                "write_file",
                "Create or replace a file",
                {
                    "type": "object",
                    "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                },
            ),
            ("run_tests", "Run pytest in the repository", {"type": "object", "properties": {}}),
        )
    ]

    def __init__(self, rng: random.Random, runner: Runner) -> None:
        self.rng = rng
        self.runner = runner
        self.messages: list[dict[str, object]] = []
        self.calls = 0

    def _tool(self, name: str, arguments: dict[str, str], result: str) -> None:
        self.calls += 1
        call_id = f"call_{self.calls}"
        self.messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(arguments)},
                    }
                ],
            }
        )
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": result})

    def suite(self, subject: Subject, chosen: list[tuple[str, str]]) -> str:
        header = f"import pytest\n\nfrom {subject.module} import {subject.function}\n"
        cases = [f"def test_{name}():\n    {body}\n" for name, body in chosen]
        return header + "\n\n" + "\n\n".join(cases)

    def build(self, subject: Subject, conv_id: str) -> dict[str, object] | None:
        count = self.rng.randint(2, len(subject.behaviours))
        chosen = self.rng.sample(list(subject.behaviours), count)
        test_name = f"test_{subject.module}.py"
        suite = self.suite(subject, chosen)
        files = {f"{subject.module}.py": subject.source, test_name: suite}
        code, output = self.runner.run(files)
        if code != 0:
            return None
        self.messages = [
            {
                "role": "user",
                "content": (
                    f"Please add pytest tests for `{subject.function}` in {subject.module}.py."
                ),
            }
        ]
        self._tool("read_file", {"path": f"{subject.module}.py"}, subject.source)
        self._tool("write_file", {"path": test_name, "content": suite}, "ok")
        self._tool("run_tests", {}, output)
        names = ", ".join(name for name, _ in chosen)
        self.messages.append(
            {
                "role": "assistant",
                "content": f"Added {count} tests ({names}); all pass:\n\n```\n{output}\n```",
            }
        )
        return {
            "schema_version": 1,
            "id": conv_id,
            "task": {"category": "tests", "language": "python", "difficulty": "easy"},
            "tools": self.TOOLS,
            "messages": self.messages,
            "verification": {
                "kind": "command",
                "files": files,
                "command": ["python", "-m", "pytest", "-q"],
                "timeout_s": 30,
                "solution_files": [test_name],
            },
            "metadata": {"subject": subject.function, "tests": count},
        }
