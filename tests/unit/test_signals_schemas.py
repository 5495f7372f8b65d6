"""Tool schemas and call arguments: the fast path agrees with jsonschema, always."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from dfab.scoring.extract.schemas import SchemaJudge, json_equal

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=8,
)
_types = st.sampled_from(["object", "array", "string", "boolean", "null", "number", "integer"])


@st.composite
def schemas(draw: Any, depth: int = 0) -> dict[str, Any]:
    s: dict[str, Any] = {}
    if draw(st.booleans()):
        s["type"] = draw(_types | st.lists(_types, min_size=1, max_size=2, unique=True))
    if draw(st.booleans()) and depth < 2:
        props = draw(
            st.dictionaries(st.sampled_from(["a", "b", "c"]), schemas(depth + 1), max_size=3)
        )
        s["properties"] = props
        if props and draw(st.booleans()):
            s["required"] = sorted(props)[: draw(st.integers(0, len(props)))]
        if draw(st.booleans()):
            s["additionalProperties"] = draw(st.booleans())
    if draw(st.booleans()) and depth < 2:
        s["items"] = draw(schemas(depth + 1))
    for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        if draw(st.integers(0, 4)) == 0:
            s[key] = draw(st.integers(-3, 3))
    for key in ("minLength", "maxLength", "minItems", "maxItems"):
        if draw(st.integers(0, 4)) == 0:
            s[key] = draw(st.integers(0, 3))
    if draw(st.integers(0, 4)) == 0:
        s["enum"] = draw(st.lists(_json, min_size=1, max_size=3))
    if draw(st.integers(0, 5)) == 0:
        s["const"] = draw(_json)
    if draw(st.integers(0, 5)) == 0:
        s["description"] = "annotation only"
    return s


@settings(max_examples=400, deadline=None)
@given(schemas(), _json)
def test_fast_path_agrees_with_jsonschema(schema: dict[str, Any], instance: Any) -> None:
    judge = SchemaJudge()
    expected = Draft202012Validator(schema).is_valid(instance)
    got = judge.argument_problem("k", schema, instance) is None
    assert got == expected


def test_json_equal_keeps_booleans_apart() -> None:
    assert (
        json_equal(1, 1.0)
        and not json_equal(True, 1)
        and json_equal([1, {"a": 2}], [1.0, {"a": 2}])
    )


def test_schema_problems_are_named() -> None:
    judge = SchemaJudge()
    assert (
        judge.schema_problem("a", {"type": "object", "properties": {"p": {"type": "string"}}})
        is None
    )
    assert "valid JSON Schema" in (judge.schema_problem("b", {"type": "objekt"}) or "")
    assert "object" in (judge.schema_problem("c", {"type": "string"}) or "")
    problem = judge.argument_problem(
        "d",
        {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        {"n": "x"},
    )
    assert problem is not None and "n" in problem


def test_unsupported_keywords_use_jsonschema() -> None:
    judge = SchemaJudge()
    schema = {"type": "object", "properties": {"p": {"type": "string", "pattern": "^a+$"}}}
    assert judge.argument_problem("p", schema, {"p": "aaa"}) is None
    assert judge.argument_problem("p", schema, {"p": "b"}) is not None
