"""JSON Schemas of the request bodies the HTTP app accepts."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

_ID = {"type": "string", "minLength": 1}

CHANGE: dict[str, Any] = {
    "type": "object",
    "required": ["op_id", "kind", "table", "row", "values", "base"],
    "properties": {
        "op_id": _ID,
        "kind": {"enum": ["create", "update", "delete"]},
        "table": _ID,
        "row": _ID,
        "values": {"type": "object"},
        "base": {"type": ["integer", "null"]},
    },
    "additionalProperties": False,
}

UPLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["changes"],
    "properties": {"changes": {"type": "array", "items": CHANGE}},
    "additionalProperties": False,
}

EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["kind"],
    "properties": {"kind": {"type": "string"}},
}

WORLD: dict[str, Any] = {
    "type": "object",
    "required": [
        "business_units",
        "users",
        "roles",
        "tables",
        "field_permissions",
        "rows",
        "shares",
        "hierarchy",
        "app_modules",
        "profile",
        "views",
        "devices",
        "conflict_policy",
    ],
}

VALIDATORS = {
    name: Draft202012Validator(schema)
    for name, schema in (("upload", UPLOAD), ("event", EVENT), ("world", WORLD))
}


def problem(name: str, body: Any) -> dict[str, str] | None:
    """The first schema violation of ``body``, naming the field, or None."""
    error = next(iter(VALIDATORS[name].iter_errors(body)), None)
    if error is None:
        return None
    field = "/".join(str(p) for p in error.absolute_path) or "(body)"
    return {"error": "invalid request body", "field": field, "detail": error.message}
