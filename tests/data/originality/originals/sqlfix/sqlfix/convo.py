"""Turns a schema and a bug into a tool-using debugging conversation."""

from __future__ import annotations

import json
import random

from sqlfix.bugs import Bug
from sqlfix.schema import Schema, execute

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "run_sql",
            "description": "Run a query against the reporting database",
            "parameters": {
                "type": "object",
                "properties": {"query": {"type": "string"}},
                "required": ["query"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "show_schema",
            "description": "Print the CREATE TABLE statements",
            "parameters": {"type": "object", "properties": {}},
        },
    },
]
OPENERS = [
    "Our {table} report looks wrong: {symptom}. Here is the query:",
    "Can you check this query? {symptom}.",
    "Something is off with the {table} numbers ({symptom}).",
]


def _call(call_id: str, name: str, args: dict[str, str]) -> dict[str, object]:
    return {
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(args)},
    }


def build_conversation(
    rng: random.Random, schema: Schema, bug: Bug, conv_id: str
) -> dict[str, object] | None:
    broken = bug.broken(schema)
    fixed = bug.correct(schema)
    before, ok_before = execute(schema, broken)
    after, ok_after = execute(schema, fixed)
    if not (ok_before and ok_after) or before == after:
        return None
    opener = rng.choice(OPENERS).format(table=schema.table, symptom=bug.symptom)
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "You are a careful data engineer with database access."},
        {"role": "user", "content": f"{opener}\n\n```sql\n{broken}\n```"},
        {
            "role": "assistant",
            "reasoning_content": "First look at the schema, then run the query as written.",
            "content": None,
            "tool_calls": [
                _call("call_1", "show_schema", {}),
                _call("call_2", "run_sql", {"query": broken}),
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": schema.ddl()},
        {"role": "tool", "tool_call_id": "call_2", "content": before},
        {
            "role": "assistant",
            "reasoning_content": f"The output confirms it: {bug.cause}. Try the corrected query.",
            "content": None,
            "tool_calls": [_call("call_3", "run_sql", {"query": fixed})],
        },
        {"role": "tool", "tool_call_id": "call_3", "content": after},
        {
            "role": "assistant",
            "content": (
                f"The problem: {bug.cause}. Corrected query:\n\n```sql\n{fixed}\n```\n\n"
                f"Result:\n\n```\n{after}\n```"
            ),
        },
    ]
    return {
        "schema_version": 1,
        "id": conv_id,
        "task": {
            "category": "bug_fix",
            "language": "sql",
            "difficulty": "medium",
            "summary": bug.symptom,
        },
        "tools": TOOLS,
        "messages": messages,
        "metadata": {"bug": bug.name, "table": schema.table},
    }
