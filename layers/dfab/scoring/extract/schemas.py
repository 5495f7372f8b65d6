"""Tool schemas and call arguments, judged by the `jsonschema` library.

`jsonschema` decides what a valid schema and a valid instance are. It is also slow
(tens of microseconds per call), and a large dataset holds hundreds of thousands of
calls, so schemas made only of the everyday keywords (`type`, `properties`,
`required`, `additionalProperties`, `items`, `enum`, `const`, bounds and lengths) are
compiled once into plain predicates with the same meaning; every other schema, and the
error message of any failure, comes from `jsonschema` itself. A property test keeps the
two in agreement (tests/unit/test_signals_schemas.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator, SchemaError, validators

Check = Callable[[Any], bool]

_ANNOTATIONS = frozenset(
    {
        "description",
        "title",
        "default",
        "examples",
        "$comment",
        "deprecated",
        "readOnly",
        "writeOnly",
        "format",
    }  # format is an annotation unless a format checker is asked for
)
_FAST = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
    }
)
#: Keywords the 2020-12 validator acts on; others are ignored by jsonschema and by us.
_KNOWN = frozenset(Draft202012Validator.VALIDATORS) | {"$schema", "$id", "$defs", "definitions"}
_DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"


class _Unsupported(Exception):
    """The schema uses a keyword the fast path does not implement."""


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
    "number": _is_number,
    "integer": lambda x: (
        (isinstance(x, int) and not isinstance(x, bool))
        or (isinstance(x, float) and x.is_integer())
    ),
}


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality as JSON Schema means it: 1 == 1.0, but true != 1."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if _is_number(a) and _is_number(b):
        return a == b
    return type(a) is type(b) and a == b


def _compile(schema: Any) -> Check:
    if schema is True or schema == {}:
        return lambda _x: True
    if schema is False:
        return lambda _x: False
    if not isinstance(schema, dict):
        raise _Unsupported
    keys = set(schema) - _ANNOTATIONS
    if (keys & _KNOWN) - _FAST:
        raise _Unsupported
    checks: list[Check] = []
    kind = schema.get("type")
    if kind is not None:
        names = [kind] if isinstance(kind, str) else kind
        if not isinstance(names, list) or any(n not in _TYPES for n in names):
            raise _Unsupported
        preds = [_TYPES[n] for n in names]
        checks.append(lambda x, preds=preds: any(p(x) for p in preds))
    if "enum" in schema:
        options = schema["enum"]
        checks.append(lambda x, options=options: any(json_equal(x, o) for o in options))
    if "const" in schema:
        const = schema["const"]
        checks.append(lambda x, const=const: json_equal(x, const))
    for key, op in (
        ("minimum", lambda x, b: x >= b),
        ("maximum", lambda x, b: x <= b),
        ("exclusiveMinimum", lambda x, b: x > b),
        ("exclusiveMaximum", lambda x, b: x < b),
    ):
        if key in schema:
            bound = schema[key]
            if not _is_number(bound):
                raise _Unsupported
            checks.append(lambda x, b=bound, op=op: not _is_number(x) or op(x, b))
    for key, size_ok, kind_ok in (
        ("minLength", lambda n, b: n >= b, lambda x: isinstance(x, str)),
        ("maxLength", lambda n, b: n <= b, lambda x: isinstance(x, str)),
        ("minItems", lambda n, b: n >= b, lambda x: isinstance(x, list)),
        ("maxItems", lambda n, b: n <= b, lambda x: isinstance(x, list)),
    ):
        if key in schema:
            bound = schema[key]
            checks.append(lambda x, b=bound, s=size_ok, k=kind_ok: not k(x) or s(len(x), b))
    if "items" in schema:
        item = _compile(schema["items"])
        checks.append(lambda x, item=item: not isinstance(x, list) or all(item(v) for v in x))
    props: dict[str, Check] = {
        name: _compile(sub) for name, sub in (schema.get("properties") or {}).items()
    }
    required = list(schema.get("required") or [])
    extra = schema.get("additionalProperties", True)
    extra_check = None if extra is True else _compile(extra)
    if props or required or extra_check is not None:

        def object_check(x: Any) -> bool:
            if not isinstance(x, dict):
                return True
            if any(r not in x for r in required):
                return False
            for k, v in x.items():
                sub = props.get(k)
                if sub is not None:
                    if not sub(v):
                        return False
                elif extra_check is not None and not extra_check(v):
                    return False
            return True

        checks.append(object_check)
    if not checks:
        return lambda _x: True
    if len(checks) == 1:
        return checks[0]
    return lambda x: all(c(x) for c in checks)


class _Compiled:
    __slots__ = ("error", "fast", "validator")

    def __init__(self, schema: Any) -> None:
        self.error: str | None = None
        self.fast: Check | None = None
        self.validator: Any = None
        cls = (
            validators.validator_for(schema, default=Draft202012Validator)
            if isinstance(schema, dict)
            else Draft202012Validator
        )
        try:
            cls.check_schema(schema)
        except SchemaError as exc:
            self.error = f"not a valid JSON Schema: {exc.message[:200]}"
            return
        except Exception as exc:  # a schema that breaks the meta-validator itself
            self.error = f"not a valid JSON Schema: {type(exc).__name__}"
            return
        self.validator = cls(schema)
        if cls is Draft202012Validator and schema.get("$schema", _DRAFT_2020) == _DRAFT_2020:
            try:
                self.fast = _compile(schema)
            except _Unsupported:
                self.fast = None


class SchemaJudge:
    """Compiles each distinct tool schema once; judges schemas and call arguments."""

    def __init__(self, max_cached: int = 20_000) -> None:
        self._cache: dict[str, _Compiled] = {}
        self._max = max_cached

    def _get(self, key: str, schema: Any) -> _Compiled:
        hit = self._cache.get(key)
        if hit is None:
            hit = _Compiled(schema)
            if len(self._cache) < self._max:
                self._cache[key] = hit
        return hit

    def schema_problem(self, key: str, schema: Any) -> str | None:
        """Why a declared `parameters` cannot serve as an arguments schema, or None."""
        compiled = self._get(key, schema)
        if compiled.error:
            return compiled.error
        if not isinstance(schema, dict):
            return "parameters must be a JSON Schema object"
        if schema.get("type") not in ("object", None) or (
            "type" not in schema and "properties" not in schema
        ):
            return "parameters must describe an object (type: object with properties)"
        return None

    def argument_problem(self, key: str, schema: Any, arguments: Any) -> str | None:
        """Why decoded `arguments` break the declared schema, or None when they conform."""
        compiled = self._get(key, schema)
        if compiled.error:
            return f"the tool's {compiled.error}"
        if compiled.fast is not None and compiled.fast(arguments):
            return None
        error = next(iter(compiled.validator.iter_errors(arguments)), None)
        if error is None:
            return None
        where = "/".join(str(p) for p in error.absolute_path) or "(arguments)"
        return f"{where}: {error.message[:200]}"
