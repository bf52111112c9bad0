"""JSON Schemas of the request bodies the HTTP app accepts."""

from __future__ import annotations

import json
from importlib import resources
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
        # a create for an owner team (SEC-9); absent: the creator
        "owner": _ID,
    },
    "additionalProperties": False,
}

UPLOAD: dict[str, Any] = {
    "type": "object",
    "required": ["changes"],
    "properties": {"changes": {"type": "array", "items": CHANGE}},
    "additionalProperties": False,
}

#: the fields each server-side event needs (EVENT-1)
EVENT_FIELDS = {
    "assign_role": ["user", "role"],
    "remove_role": ["user", "role"],
    "set_depth": ["role", "table", "privilege", "depth"],
    "share": ["row", "user", "rights"],
    "unshare": ["row", "user"],
    "set_manager": ["user", "manager"],
    "move_user": ["user", "business_unit"],
    "reassign": ["row", "owner"],
    "server_create": ["table", "row", "owner", "values"],
    "server_update": ["row", "values"],
    "server_delete": ["row"],
    "set_position": ["user", "position"],
    "move_position": ["position", "parent"],
    "add_member": ["team", "user"],
    "remove_member": ["team", "user"],
    "assign_team_role": ["team", "role"],
    "remove_team_role": ["team", "role"],
    "share_team": ["row", "team", "rights"],
    "unshare_team": ["row", "team"],
    "grant_profile": ["user"],
    "revoke_profile": ["user"],
}
EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["kind"],
    "properties": {
        "kind": {"enum": sorted(EVENT_FIELDS)},
        # the protocol lets an event carry any operation field; the sample ignores the rest
        **{
            f: _ID
            for f in (
                "user",
                "role",
                "table",
                "row",
                "owner",
                "business_unit",
                "device",
                "op_id",
                "team",
                "error",
            )
        },
        "fault": {"type": "string"},
        "privilege": {"enum": ["create", "read", "write", "delete", "append", "append_to"]},
        "depth": {"enum": ["none", "user", "business_unit", "parent_child", "organization"]},
        "rights": {
            "type": "array",
            "items": {"enum": ["read", "write", "delete", "append", "append_to"]},
        },
        "manager": {"oneOf": [_ID, {"type": "null"}]},
        "position": {"oneOf": [_ID, {"type": "null"}]},
        "parent": {"oneOf": [_ID, {"type": "null"}]},
        "values": {"type": "object"},
    },
    "additionalProperties": False,
    "allOf": [
        {
            "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
            "then": {"required": fields},
        }
        for kind, fields in EVENT_FIELDS.items()
    ]
    + [
        {  # the position moved is a position, not none (set_position's may be none)
            "if": {"properties": {"kind": {"const": "move_position"}}, "required": ["kind"]},
            "then": {"properties": {"position": _ID}},
        }
    ],
}

#: the world body is the adapter protocol's world message: its schema is the protocol's
#: (a JSON document shipped with the suite, read as data)
WORLD: dict[str, Any] = json.loads(
    resources.files("conformance.iut").joinpath("protocol", "world.json").read_text("utf-8")
)

VALIDATORS = {
    name: Draft202012Validator(schema)
    for name, schema in (("upload", UPLOAD), ("event", EVENT), ("world", WORLD))
}


def problem(name: str, body: Any) -> dict[str, str] | None:
    """The first schema violation of ``body``, naming the field, or None."""
    error = next(iter(VALIDATORS[name].iter_errors(body)), None)
    if error is None:
        return None
    path = [str(p) for p in error.absolute_path]
    if error.validator == "required" and isinstance(error.instance, dict):
        path += [next(f for f in error.validator_value if f not in error.instance)]
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {})
        path += [next(f for f in error.instance if f not in known)]
    field = "/".join(path) or "(body)"
    return {"error": "invalid request body", "field": field, "detail": error.message}
