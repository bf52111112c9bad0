"""JSON Schemas (draft 2020-12) of the messages exchanged with an implementation under test.

One file per message kind under ``conformance/iut/protocol/``: the records of ``models.records``
(world, operation, result, observation), the JSON-lines transport (request, response, hello),
the run report, and the files a CI keeps beside it (expectations, corpus entries). Every
schema has an ``$id`` under ``https://offsync.dev/protocol/`` and refers to the others by
relative file name (``{"$ref": "world.json"}``); ``validator`` resolves those references
from a registry of the local files, never over the network.

``problem`` turns the most relevant validation error into one readable line that names the
field, e.g. ``observation at /devices/d0/pending: 'x' is not of type 'integer'``.
"""

from __future__ import annotations

import json
import reprlib
from functools import cache
from pathlib import Path
from typing import Any, cast

# jsonschema ships no type information (types-jsonschema is not a dependency); the ignores
# stay quiet if the stubs get installed.
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]
from jsonschema.exceptions import (  # type: ignore[import-untyped,unused-ignore]
    ValidationError,
    best_match,
)
from jsonschema.protocols import Validator  # type: ignore[import-untyped,unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from conformance.iut.adapter import AdapterError

SCHEMA_DIR: Path = Path(__file__).resolve().parent / "protocol"

#: The message kinds: the stems of the schema files in SCHEMA_DIR.
MESSAGE_KINDS: tuple[str, ...] = (
    "corpus",
    "expectations",
    "hello",
    "observation",
    "operation",
    "report",
    "request",
    "response",
    "result",
    "world",
)

_SHORT = reprlib.Repr()
_SHORT.maxstring = 40
_SHORT.maxother = 40
_SHORT.maxdict = 4
_SHORT.maxlist = 4
_SHORT.maxlevel = 2


def schema(kind: str) -> dict[str, Any]:
    """The schema of a message kind, as stored (a fresh copy on every call)."""
    if kind not in MESSAGE_KINDS:
        raise KeyError(f"unknown message kind {kind!r}; known: {', '.join(MESSAGE_KINDS)}")
    loaded: dict[str, Any] = json.loads((SCHEMA_DIR / f"{kind}.json").read_text("utf-8"))
    return loaded


@cache
def _registry() -> Registry[Any]:
    resources = []
    for kind in MESSAGE_KINDS:
        contents = schema(kind)
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((str(contents["$id"]), resource))
    return Registry().with_resources(resources).crawl()


@cache
def validator(kind: str) -> Validator:
    """A draft 2020-12 validator for a message kind; ``$ref`` to the other files resolve
    through a registry of the local schema files. Cached per kind."""
    return Draft202012Validator(schema(kind), registry=_registry())


def _pointer(error: ValidationError) -> str:
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in error.absolute_path]
    return "/" + "/".join(parts) if parts else "(root)"


def _message(error: ValidationError) -> str:
    """The error's message, with a long leading copy of the instance shortened."""
    short = _SHORT.repr(error.instance)
    if error.validator == "not" and error.validator_value == {}:
        # the schemas forbid a member with {"not": {}} (a boolean `false` subschema would
        # lose the error's path in jsonschema): say so plainly
        return f"{short} is not allowed here"
    message = str(error.message)
    full = repr(error.instance)
    if len(full) > len(short) and message.startswith(full):
        return short + message[len(full) :]
    return message


def problem(kind: str, instance: object) -> str | None:
    """None when ``instance`` is a valid ``kind`` message; otherwise one readable line naming
    the path of the most relevant error, e.g. ``result at /reason: 'x' is not one of [...]``."""
    error = best_match(validator(kind).iter_errors(cast(Any, instance)))
    if error is None:
        return None
    return f"{kind} at {_pointer(error)}: {_message(error)}"


def check(kind: str, instance: object) -> None:
    """Raise ``AdapterError`` naming the offending field unless ``instance`` is a valid
    ``kind`` message."""
    found = problem(kind, instance)
    if found is not None:
        raise AdapterError(found)
