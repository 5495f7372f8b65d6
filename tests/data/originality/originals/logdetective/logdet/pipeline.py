"""Generator pipeline: incidents -> log files -> investigations -> JSONL lines."""

import json
import random
from datetime import datetime, timedelta

from logdet.incidents import draw

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "grep_logs",
            "description": "Search the service logs",
            "parameters": {
                "type": "object",
                "properties": {"pattern": {"type": "string"}, "service": {"type": "string"}},
                "required": ["pattern"],
            },
        },
    }
]


def log_lines(rng, incident):
    clock = datetime(2026, 3, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59))
    for text in incident.noise:
        clock += timedelta(seconds=rng.randint(5, 90))
        yield f"{clock:%Y-%m-%dT%H:%M:%S} INFO {text}"
    clock += timedelta(seconds=rng.randint(1, 20))
    yield f"{clock:%Y-%m-%dT%H:%M:%S} ERROR {incident.trigger_line}"


def investigations(rng, count):
    made = 0
    while made < count:
        incident = draw(rng)
        lines = list(log_lines(rng, incident))
        yield incident, lines
        made += 1


def as_record(conv_id, incident, lines):
    call = {
        "id": "g1",
        "type": "function",
        "function": {
            "name": "grep_logs",
            "arguments": json.dumps({"pattern": "ERROR|INFO", "service": incident.service}),
        },
    }
    return {
        "schema_version": 1,
        "id": conv_id,
        "task": {"category": "debugging", "language": "text", "difficulty": "medium"},
        "tools": TOOLS,
        "messages": [
            {"role": "user", "content": f"{incident.service} went down last night. What happened?"},
            {
                "role": "assistant",
                "content": None,
                "reasoning_content": "Start from the errors.",
                "tool_calls": [call],
            },
            {"role": "tool", "tool_call_id": "g1", "content": "\n".join(lines)},
            {
                "role": "assistant",
                "content": (
                    f"Root cause: {incident.root_cause}.\nLast error: `{lines[-1]}`.\n"
                    f"Fix: {incident.remedy}."
                ),
            },
        ],
        "metadata": {"incident": incident.kind},
    }


def write_all(output, count, seed):
    rng = random.Random(f"logdet:{seed}")
    with open(output, "w", encoding="utf-8") as fh:
        for n, (incident, lines) in enumerate(investigations(rng, count)):
            fh.write(json.dumps(as_record(f"ld-{seed}-{n}", incident, lines)) + "\n")
    return 0
