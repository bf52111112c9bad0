"""Column value checks (WORLD-3), with the ``jsonschema`` validator."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator


@lru_cache(maxsize=512)
def _validator(schema_json: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schema_json))


def fits(schema: dict[str, Any], value: Any) -> bool:
    """True when ``value`` satisfies one column's schema."""
    return bool(_validator(json.dumps(schema, sort_keys=True)).is_valid(value))


def values_ok(columns: dict[str, dict[str, Any]], values: Any, *, complete: bool) -> bool:
    """WORLD-3: a create names every column, an update a non-empty subset; no unknown column;
    every value fits its column."""
    if not isinstance(values, dict):
        return False
    if any(c not in columns for c in values):
        return False
    if complete and any(c not in values for c in columns):
        return False
    if not complete and not values:
        return False
    return all(fits(columns[c], v) for c, v in values.items())
