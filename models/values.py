"""Column values: the supported JSON Schema subset (WORLD-3) and row value checks (VALID-3).

The model stays free of third-party imports, so it checks the small subset of JSON Schema that
worlds may use for columns: ``type`` (one of string, integer, number, boolean, null, or a list
of them), ``enum``, ``minLength``/``maxLength``, ``pattern``, ``minimum``/``maximum``.
Implementations may use a full JSON Schema validator; on this subset both agree.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from models.records import JSON, Values

SUPPORTED_KEYWORDS = frozenset(
    {"type", "enum", "minLength", "maxLength", "pattern", "minimum", "maximum", "description"}
)
SUPPORTED_TYPES = frozenset({"string", "integer", "number", "boolean", "null"})


def check_schema(schema: dict[str, JSON]) -> str | None:
    """WORLD-3: a column schema uses only the supported subset; returns the problem or None."""
    extra = set(schema) - SUPPORTED_KEYWORDS
    if extra:
        return f"unsupported schema keywords {sorted(extra)}"
    types = schema.get("type")
    if types is None and "enum" not in schema:
        return "a column schema needs 'type' or 'enum'"
    if types is not None:
        listed = [types] if isinstance(types, str) else types
        if not isinstance(listed, list) or not listed or not set(listed) <= SUPPORTED_TYPES:
            return f"unsupported type {types!r}"
    if "enum" in schema and (not isinstance(schema["enum"], list) or not schema["enum"]):
        return "enum must be a non-empty list"
    if "pattern" in schema:
        try:
            _compiled(schema["pattern"])
        except re.error as exc:
            return f"bad pattern: {exc}"
    return None


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _is_type(value: JSON, type_name: str) -> bool:
    if type_name == "null":
        return value is None
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if type_name == "number":
        return (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and not (isinstance(value, float) and not math.isfinite(value))
        )
    return False


def value_matches(schema: dict[str, JSON], value: JSON) -> bool:
    """True when ``value`` satisfies the column schema (JSON Schema semantics on the subset)."""
    if "enum" in schema and not any(
        value == e and type(value) is type(e) or (_num(value) and _num(e) and value == e)
        for e in schema["enum"]
    ):
        return False
    types = schema.get("type")
    if types is not None:
        listed = [types] if isinstance(types, str) else types
        if not any(_is_type(value, t) for t in listed):
            return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return False
        if "pattern" in schema and _compiled(schema["pattern"]).search(value) is None:
            return False
    if _num(value):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    return True


def _num(value: JSON) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def values_problem(
    columns: dict[str, dict[str, JSON]], values: Values, *, complete: bool
) -> str | None:
    """VALID-3 / DEVICE-1: why ``values`` are ``invalid`` for a table, or None when they are fine.

    A create (``complete=True``) gives every column; an update gives a non-empty subset. Unknown
    columns and values outside a column's schema are invalid.
    """
    if not isinstance(values, dict):
        return "values must be an object"
    unknown = set(values) - columns.keys()
    if unknown:
        return f"unknown columns {sorted(unknown)}"
    if complete:
        missing = columns.keys() - values.keys()
        if missing:
            return f"missing columns {sorted(missing)}"
    elif not values:
        return "an update must change at least one column"
    for col, value in values.items():
        if not value_matches(columns[col], value):
            return f"column {col!r}: {value!r} does not match its schema"
    return None
