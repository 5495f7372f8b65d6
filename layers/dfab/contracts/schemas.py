"""Published JSON Schemas of the contracts, generated from the pydantic models.

The models are the single source of truth; `docs/schemas/` holds the rendered files and a
test fails when they are stale (`make schemas` rewrites them). The dataset-line schema
describes what a line may *contain* (the models' normalized form plus the accepted input
forms: reasoning aliases, content parts, arguments given as an object) and the default
limits. Rules across fields (role order, call/answer pairing, solution files, unique ids,
sizes in bytes) are not expressible here; CONTRACTS.md §3 and `dfab score` check them.
"""

from __future__ import annotations

import json
from typing import Any

from dfab.contracts.dataset import MAX_JSON_DEPTH, Conversation, DatasetLimits
from dfab.contracts.manifest import HarnessManifest

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DATASET_LINE = "dataset-line.schema.json"
HARNESS_MANIFEST = "harness-manifest.schema.json"


def _defs(schema: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        return schema["$defs"][name]["properties"]
    except KeyError as exc:  # the models changed shape: this module must follow
        raise RuntimeError(f"schema post-processing expected $defs.{name}.properties") from exc


def dataset_line_schema() -> dict[str, Any]:
    """JSON Schema of one dataset line (CONTRACTS.md §3), with the default limits."""
    limits = DatasetLimits()
    schema = Conversation.model_json_schema(mode="validation")
    props = schema["properties"]
    props["id"]["maxLength"] = limits.max_id_chars
    props["id"]["description"] = "Unique within the dataset."
    props["messages"]["minItems"] = limits.min_messages
    props["messages"]["maxItems"] = limits.max_messages
    props["metadata"]["description"] = (
        f"Free-form; at most {limits.max_metadata_bytes} bytes as UTF-8 JSON and "
        f"{MAX_JSON_DEPTH} levels deep."
    )

    message = _defs(schema, "Message")
    text_part = {
        "type": "object",
        "properties": {"type": {"const": "text"}, "text": {"type": "string"}},
        "required": ["type", "text"],
        "additionalProperties": False,
    }
    message["content"]["anyOf"].insert(1, {"type": "array", "items": text_part})
    message["content"]["description"] = "A string, or text parts (joined with newlines)."
    message["reasoning_content"]["description"] = "Assistant messages only."
    for alias in ("reasoning", "thinking"):
        message[alias] = {
            "anyOf": [{"type": "string"}, {"type": "null"}],
            "description": "Accepted alias of reasoning_content.",
        }

    arguments = _defs(schema, "FunctionCall")["arguments"]
    arguments.clear()
    arguments.update(
        {
            "anyOf": [{"type": "string"}, {"type": "object"}],
            "description": "A JSON-encoded object (an object is accepted and encoded), "
            f"at most {MAX_JSON_DEPTH} levels deep.",
        }
    )
    files = _defs(schema, "Verification")["files"]
    files["description"] = (
        "Relative '/'-separated paths (no '.', '..' or empty parts) -> contents, each at "
        f"most {limits.max_verification_file_bytes} bytes."
    )

    return {
        "$schema": DRAFT,
        "title": "dfab dataset line (schema_version 1)",
        "description": (
            "One JSONL line: an OpenAI-compatible agentic coding conversation. Limits shown "
            f"are the defaults (validators may configure them); a line is at most "
            f"{limits.max_line_bytes} bytes. Cross-field rules are in CONTRACTS.md section 3."
        ),
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def harness_manifest_schema() -> dict[str, Any]:
    """JSON Schema of `harness.toml` (CONTRACTS.md §1), for TOML editors and checkers."""
    schema = HarnessManifest.model_json_schema(mode="validation")
    return {
        "$schema": DRAFT,
        "title": "dfab harness manifest (harness.toml)",
        "description": "The manifest at the root of a harness archive (CONTRACTS.md section 1).",
        **{k: v for k, v in schema.items() if k not in ("title", "description")},
    }


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def render_schemas() -> dict[str, str]:
    """File name -> schema text; deterministic, so the published files can be compared."""
    return {
        DATASET_LINE: _render(dataset_line_schema()),
        HARNESS_MANIFEST: _render(harness_manifest_schema()),
    }
