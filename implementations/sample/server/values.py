"""Column value checks (WORLD-3), with the ``jsonschema`` validator."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


@lru_cache(maxsize=512)
def _schema_problem(schema_json: str) -> str | None:
    try:
        Draft202012Validator.check_schema(json.loads(schema_json))
    except SchemaError as exc:
        return exc.message
    return None


def schema_problem(schema: dict[str, Any]) -> str | None:
    """Why a column's schema is no JSON Schema (checking a value against it would fail), or
    None. Cached: worlds are loaded over and over with the same few column schemas."""
    return _schema_problem(json.dumps(schema, sort_keys=True))


def fits(schema: dict[str, Any], value: Any) -> bool:
    """True when ``value`` satisfies one column's schema."""
    return bool(_validator(json.dumps(schema, sort_keys=True)).is_valid(value))


def non_finite(value: Any, path: str = "") -> str | None:
    """The path (``score``, ``rows/0/values/score``) of the first number in ``value`` that is
    NaN or infinite, or None. JSON has no such number (the server could store one but never
    answer with it), while ``jsonschema`` counts NaN and infinity as numbers: every value the
    server stores is checked here first, whichever way it arrived."""
    stack = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return at or "(value)"
        if isinstance(item, dict):
            stack.extend((v, f"{at}/{k}" if at else str(k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, f"{at}/{i}" if at else str(i)) for i, v in enumerate(item))
    return None


def values_ok(columns: dict[str, dict[str, Any]], values: Any, *, complete: bool) -> bool:
    """WORLD-3: a create names every column, an update a non-empty subset; no unknown column;
    every value fits its column, and no number is NaN or infinite."""
    if not isinstance(values, dict):
        return False
    if any(c not in columns for c in values):
        return False
    if complete and any(c not in values for c in columns):
        return False
    if not complete and not values:
        return False
    if non_finite(values) is not None:
        return False
    return all(fits(columns[c], v) for c, v in values.items())
