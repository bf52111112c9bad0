"""The OpenAPI 3.1 document of the sample server's HTTP API (served at ``GET /openapi.json``).

Request bodies are the app's own schemas (``schemas.py``: the ones it checks every body
against); responses are described here, errors included, each strictly enough that a client
(or an API fuzzer checking conformance) can rely on the shape. OpenAPI 3.1 because the
request schemas are JSON Schema 2020-12 (type lists, ``const``, ``if``/``then``, ``$defs``).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

from implementations.sample.server.body import JSON_MEDIA_TYPE, MAX_BODY_BYTES, MAX_DEPTH
from implementations.sample.server.schemas import EVENT, EVENT_FIELDS, UPLOAD, WORLD

Json = dict[str, Any]

_STRING: Json = {"type": "string"}
_ID: Json = {"type": "string", "minLength": 1}
_RIGHT: Json = {"enum": ["read", "write", "delete", "append", "append_to"]}
_OBJECT: Json = {"type": "object"}


def _ref(name: str) -> Json:
    return {"$ref": f"#/components/schemas/{name}"}


def _map_of(values: Json) -> Json:
    """A JSON object keyed by ids (row ids, table names, device ids)."""
    return {"type": "object", "additionalProperties": values}


def _record(required: dict[str, Json], optional: dict[str, Json] | None = None) -> Json:
    return {
        "type": "object",
        "required": sorted(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


#: the answers' shapes, as ``service.py`` builds them
RESPONSE_SCHEMAS: dict[str, Json] = {
    "Error": {
        **_record(
            {"error": _STRING, "field": _STRING},
            {"detail": _STRING},
        ),
        "description": "every refusal: what is wrong, and the field (a path such as "
        "changes/0/values/score, or (body), (content-type), (authorization), (path), ...)",
    },
    "Health": _record({"ok": {"const": True}}),
    "Metadata": _record(
        {
            "tables": {"type": "array", "items": _STRING},
            "views": {"type": "array", "items": _STRING},
            "columns": _map_of(_map_of(_OBJECT)),
            "secured": _map_of({"type": "array", "items": _STRING}),
            # SEC-11: each table's lookup columns and the table each one refers to
            "lookups": _map_of(_map_of(_STRING)),
            "append_privileges": {"type": "boolean"},
        }
    ),
    "Download": _record(
        {
            "rows": _map_of(
                _record({"table": _STRING, "values": _OBJECT, "version": {"type": "integer"}})
            ),
            "snapshot": _record(
                {
                    "user": _ID,
                    "create_tables": {"type": "array", "items": _STRING},
                    "own_rights": _map_of({"type": "array", "items": _RIGHT}),
                    "row_rights": _map_of({"type": "array", "items": _RIGHT}),
                    # SEC-9: creates for the user's owner teams, and rights on their new rows
                    "team_create_tables": _map_of({"type": "array", "items": _STRING}),
                    "team_rights": _map_of(_map_of({"type": "array", "items": _RIGHT})),
                }
            ),
        }
    ),
    "Outcome": {
        "description": "null: applied (or already applied); else why the change was rejected",
        "oneOf": [
            {"type": "null"},
            _record(
                {
                    "table": _STRING,
                    "row": _STRING,
                    "op": {"enum": ["create", "update", "delete"]},
                    "reason": {"enum": ["not_found", "invalid", "privilege", "conflict"]},
                }
            ),
        ],
    },
    "UploadAnswer": _record({"outcomes": {"type": "array", "items": _ref("Outcome")}}),
    "EventResult": {
        "oneOf": [
            _record({"status": {"const": "accepted"}}),
            _record(
                {"status": {"const": "refused"}, "reason": {"enum": ["invalid", "not_found"]}}
            ),
        ]
    },
    "Tokens": _record({"tokens": _map_of(_ID)}),
    "ServerRows": _map_of(_record({"table": _STRING, "owner": _STRING, "values": _OBJECT})),
}

_ERRORS = {
    "400": "not strict JSON (NaN, Infinity, a lone surrogate), not UTF-8, or nested deeper "
    f"than {MAX_DEPTH} levels",
    "401": "a missing or unknown bearer token",
    "403": "the device's token does not belong to the user in the path",
    "404": "no such path (a user id that cannot be a path segment)",
    "413": f"a body larger than {MAX_BODY_BYTES} bytes",
    "415": f"a body that is not {JSON_MEDIA_TYPE} (in UTF-8)",
    "422": "a body that breaks its schema, or a number out of the range of a double; the "
    "field is named",
}


def _relocated(schema: Any, prefix: str) -> Any:
    """``schema`` with its local references (``#/$defs/x``) pointing into the document's
    components, where its ``$defs`` are put (as ``{prefix}.x``)."""
    if isinstance(schema, dict):
        moved = {k: _relocated(v, prefix) for k, v in schema.items() if k != "$defs"}
        ref = moved.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            moved["$ref"] = f"#/components/schemas/{prefix}.{ref.removeprefix('#/$defs/')}"
        return moved
    if isinstance(schema, list):
        return [_relocated(v, prefix) for v in schema]
    return schema


def _event() -> Json:
    """The event schema as one branch per kind (``oneOf`` on ``kind``), the same set of
    bodies as ``schemas.EVENT``. The app validates with EVENT's ``if``/``then`` pairs, whose
    errors name the missing field; a generator (schemathesis) rewrites each pair as an
    ``anyOf`` of two and gives up on the product of nineteen, but reads a union of
    nineteen branches directly."""
    event = {k: v for k, v in copy.deepcopy(EVENT).items() if k != "allOf"}
    # only the position moved must be a position (set_position's may be none)
    narrowed = {"move_position": {"position": {"type": "string", "minLength": 1}}}
    event["oneOf"] = [
        {
            "properties": {"kind": {"const": kind}, **narrowed.get(kind, {})},
            "required": ["kind", *fields],
        }
        for kind, fields in sorted(EVENT_FIELDS.items())
    ]
    return event


def _request_schemas() -> dict[str, Json]:
    world = {
        k: v for k, v in _relocated(WORLD, "World").items() if k not in ("$schema", "$id")
    }
    defs = {f"World.{name}": _relocated(s, "World") for name, s in WORLD.get("$defs", {}).items()}
    return {"Upload": copy.deepcopy(UPLOAD), "Event": _event(), "World": world, **defs}


def _responses(ok: str, errors: list[str], summary: str) -> Json:
    answers: Json = {
        "200": {
            "description": summary,
            "content": {JSON_MEDIA_TYPE: {"schema": _ref(ok)}},
        }
    }
    for status in errors:
        answers[status] = {"$ref": f"#/components/responses/{status}"}
    return answers


def _body(schema: str) -> Json:
    return {"required": True, "content": {JSON_MEDIA_TYPE: {"schema": _ref(schema)}}}


_USER = {
    "name": "user",
    "in": "path",
    "required": True,
    "description": "the user the device's token belongs to",
    "schema": _ID,
}
_DEVICE: list[Json] = [{"device": []}]
_ADMIN: list[Json] = [{"admin": []}]
#: the errors every request with a JSON body can meet
_BODY_ERRORS = ["400", "401", "413", "415", "422"]


def _paths() -> Json:
    return {
        "/health": {
            "get": {
                "summary": "liveness; needs no token",
                "security": [],
                "responses": _responses("Health", [], "alive"),
            }
        },
        "/metadata": {
            "get": {
                "summary": "the tables, views and column schemas on devices (PROFILE-4)",
                "security": _DEVICE,
                "responses": _responses("Metadata", ["401"], "the metadata"),
            }
        },
        "/users/{user}/download": {
            "get": {
                "summary": "the user's rows with versions and privilege snapshot (STALE-4)",
                "security": _DEVICE,
                "parameters": [_USER],
                "responses": _responses("Download", ["401", "403", "404"], "the projection"),
            }
        },
        "/users/{user}/upload": {
            "post": {
                "summary": "apply a batch of changes in order, each op id at most once (SYNC-5)",
                "security": _DEVICE,
                "parameters": [_USER],
                "requestBody": _body("Upload"),
                "responses": _responses(
                    "UploadAnswer", [*_BODY_ERRORS, "403", "404"], "one outcome per change"
                ),
            }
        },
        "/admin/world": {
            "post": {
                "summary": "reset the server to a world (WORLD-1); the devices' tokens",
                "security": _ADMIN,
                "requestBody": _body("World"),
                "responses": _responses("Tokens", _BODY_ERRORS, "loaded"),
            }
        },
        "/admin/events": {
            "post": {
                "summary": "a server-side event (EVENT-1); a refused one changes nothing",
                "security": _ADMIN,
                "requestBody": _body("Event"),
                "responses": _responses("EventResult", _BODY_ERRORS, "accepted or refused"),
            }
        },
        "/admin/rows": {
            "get": {
                "summary": "every row on the server",
                "security": _ADMIN,
                "responses": _responses("ServerRows", ["401"], "the rows"),
            }
        },
        "/admin/restart": {
            "post": {
                "summary": "restart the service (FAULT-5): its connection is closed and the "
                "database opened again; everything committed stays",
                "security": _ADMIN,
                "responses": _responses("Health", ["401"], "restarted"),
            }
        },
    }


@lru_cache(maxsize=1)
def document() -> Json:
    """The OpenAPI document (built once; callers must not change it)."""
    error = {JSON_MEDIA_TYPE: {"schema": _ref("Error")}}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "offsync sample sync server",
            "version": "1",
            "description": "The sample implementation's HTTP API (implementations/sample). "
            "Request bodies are application/json, strict JSON, at most "
            f"{MAX_BODY_BYTES} bytes and {MAX_DEPTH} levels deep.",
        },
        "paths": _paths(),
        "components": {
            "schemas": {**_request_schemas(), **RESPONSE_SCHEMAS},
            "responses": {
                status: {"description": text, "content": error} for status, text in _ERRORS.items()
            },
            "securitySchemes": {
                "device": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "a device's token, from POST /admin/world",
                },
                "admin": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "the admin token the server was started with",
                },
            },
        },
    }
