"""refactorbot: refactoring conversations with unified diffs of real code transformations."""

import difflib
import json
import os
import random
import sys
import textwrap

SNIPPETS = [
    (
        "billing.py",
        """
        def total(items):
            result = 0
            for item in items:
                if item["kind"] == "product":
                    result = result + item["price"] * item["qty"]
                else:
                    result = result + item["price"]
            return result
        """,
    ),
    (
        "users.py",
        """
        def describe(user):
            if user["age"] >= 18:
                status = "adult"
            else:
                status = "minor"
            name = user["first"] + " " + user["last"]
            return name + " (" + status + ")"
        """,
    ),
    (
        "inventory.py",
        """
        def low_stock(products, limit):
            found = []
            for p in products:
                if p["stock"] < limit:
                    found.append(p["sku"])
            found.sort()
            return found
        """,
    ),
]


def rename_variable(code, rng):
    words = sorted(
        {w for w in code.replace("(", " ").replace(")", " ").split() if w.isidentifier()}
    )
    candidates = [w for w in words if w in ("result", "found", "status", "name", "p", "item")]
    if not candidates:
        return None
    old = rng.choice(candidates)
    new = {
        "result": "running_total",
        "found": "low",
        "status": "age_group",
        "name": "full_name",
        "p": "product",
        "item": "line",
    }[old]
    lines = []
    for line in code.splitlines():
        tokens = []
        word = ""
        for ch in line + " ":
            if ch.isalnum() or ch == "_":
                word += ch
                continue
            tokens.append(new if word == old else word)
            tokens.append(ch)
            word = ""
        lines.append("".join(tokens)[:-1])
    return "\n".join(lines) + "\n", f"rename `{old}` to `{new}`"


def use_augmented_assignment(code, rng):
    out = []
    changed = False
    for line in code.splitlines():
        stripped = line.strip()
        if " = " in stripped and not stripped.startswith(("if", "for", "return")):
            target, _, value = stripped.partition(" = ")
            if value.startswith(target + " + "):
                indent = line[: len(line) - len(line.lstrip())]
                line = f"{indent}{target} += {value[len(target) + 3 :]}"
                changed = True
        out.append(line)
    if not changed:
        return None
    return "\n".join(out) + "\n", "use augmented assignment"


def comprehension(code, rng):
    lines = code.splitlines()
    for i, line in enumerate(lines[:-3]):
        if line.strip().endswith("= []") and lines[i + 1].strip().startswith("for "):
            target = line.strip().split(" = ")[0]
            loop = lines[i + 1].strip()[4:-1]
            cond = lines[i + 2].strip()
            append = lines[i + 3].strip()
            if cond.startswith("if ") and append.startswith(f"{target}.append("):
                expr = append[len(target) + 8 : -1]
                indent = line[: len(line) - len(line.lstrip())]
                new = f"{indent}{target} = [{expr} for {loop} {cond[:-1]}]"
                return "\n".join(
                    [*lines[:i], new, *lines[i + 4 :]]
                ) + "\n", "replace the loop with a comprehension"
    return None


TRANSFORMS = [rename_variable, use_augmented_assignment, comprehension]


def unified(path, before, after):
    diff = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{path}", f"b/{path}"
    )
    return "".join(diff)


def conversation(rng, conv_id):
    path, raw = rng.choice(SNIPPETS)
    before = textwrap.dedent(raw).lstrip("\n")
    steps = []
    code = before
    for transform in rng.sample(TRANSFORMS, len(TRANSFORMS)):
        result = transform(code, rng)
        if result is None:
            continue
        code, label = result
        steps.append(label)
    if not steps:
        return None
    patch = unified(path, before, code)
    call = {
        "id": "c1",
        "type": "function",
        "function": {"name": "apply_patch", "arguments": json.dumps({"patch": patch})},
    }
    return {
        "schema_version": 1,
        "id": conv_id,
        "task": {"category": "refactor", "language": "python", "difficulty": "easy"},
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "apply_patch",
                    "description": "Apply a unified diff",
                    "parameters": {"type": "object", "properties": {"patch": {"type": "string"}}},
                },
            }
        ],
        "messages": [
            {
                "role": "user",
                "content": f"Clean up {path} without changing behaviour:\n```python\n{before}```",
            },
            {
                "role": "assistant",
                "reasoning_content": "Planned steps: " + "; ".join(steps),
                "content": None,
                "tool_calls": [call],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "patch applied"},
            {
                "role": "assistant",
                "content": "Done: " + ", ".join(steps) + f".\n```python\n{code}```",
            },
        ],
        "metadata": {"steps": steps},
    }


def settings():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2], strict=False))
    output = args.get("--output", os.environ.get("DF_OUTPUT_PATH"))
    count = int(args.get("--count", os.environ.get("DF_NUM_CONVERSATIONS", "3")))
    seed = int(args.get("--seed", os.environ.get("DF_SEED", "0")))
    return output, count, seed


def main():
    output, count, seed = settings()
    rng = random.Random(seed * 7919 + 1)
    rows = []
    while len(rows) < count:
        row = conversation(rng, f"rb-{seed}-{len(rows)}")
        if row:
            rows.append(row)
    with open(output, "w", encoding="utf-8") as fh:
        for row in rows:
            print(json.dumps(row), file=fh)


if __name__ == "__main__":
    main()
