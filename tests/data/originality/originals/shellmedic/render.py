"""Renders a scenario as a chat transcript with shell tool calls."""

import json

SHELL_TOOL = {
    "type": "function",
    "function": {
        "name": "shell",
        "description": "Run a shell command in the repository",
        "parameters": {
            "type": "object",
            "properties": {"cmd": {"type": "string"}},
            "required": ["cmd"],
        },
    },
}


def tool_turn(n, cmd, output):
    call = {
        "id": f"t{n}",
        "type": "function",
        "function": {"name": "shell", "arguments": json.dumps({"cmd": cmd})},
    }
    return [
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": f"t{n}", "content": output},
    ]


def transcript(case, conv_id):
    path = case.path()
    messages = [
        {"role": "user", "content": f"My script {path} misbehaves: {case.symptom()}. Any idea?"}
    ]
    messages += tool_turn(1, f"cat {path}", case.broken())
    messages += tool_turn(2, f"shellcheck {path}", f"In {path}: possible issue ({case.title})")
    messages.append(
        {
            "role": "assistant",
            "content": f"{case.lesson()}\n\nFixed script:\n\n```bash\n{case.fixed()}```",
        }
    )
    return {
        "schema_version": 1,
        "id": conv_id,
        "task": {"category": "debugging", "language": "shell", "difficulty": case.difficulty},
        "tools": [SHELL_TOOL],
        "messages": messages,
        "metadata": {"scenario": type(case).__name__},
    }
