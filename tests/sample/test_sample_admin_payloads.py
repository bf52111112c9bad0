"""Generated payloads against the sample server's admin endpoints.

Events are composed field by field from the protocol's own schema
(``conformance/iut/protocol/operation.json``, its ``$ref``s resolved into ``world.json``) with
hypothesis-jsonschema: an event the protocol allows is answered 200 (accepted, or refused with
a reason); one it does not is refused with a 4xx naming the field; neither a refused nor a
malformed event changes anything (EVENT-2). Worlds come from the suite's generator: each loads,
and a broken copy (a field missing, of the wrong type, unexpected, or naming nothing) is refused
with a 4xx naming the entry, leaving the previous world in place (WORLD-1)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance.engine.strategies import worlds
from conformance.iut.schemas import SCHEMA_DIR, problem
from models.records import SERVER_KINDS
from tests.sample.test_sample_server import ADMIN, WORLD, loaded_app

OPERATION = json.loads((SCHEMA_DIR / "operation.json").read_text())
DEFS = json.loads((SCHEMA_DIR / "world.json").read_text())["$defs"]
KNOWN_IDS = sorted(
    {u["id"] for u in WORLD["users"]}
    | {r["id"] for r in WORLD["roles"]}
    | {r["id"] for r in WORLD["rows"]}
    | {b["id"] for b in WORLD["business_units"]}
    | {t["name"] for t in WORLD["tables"]}
)


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    """A field schema with its ``world.json#/$defs/...`` references replaced by the target."""
    if "$ref" in schema:
        return _resolved(DEFS[schema["$ref"].rsplit("/", 1)[1]])
    if schema.get("type") == "array" and "items" in schema:
        return {**schema, "items": _resolved(schema["items"])}
    return schema


def _field(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    generated = from_schema(_resolved(schema))
    if _resolved(schema) == DEFS["id"]:  # ids: mostly ones the world has
        return st.one_of(st.sampled_from(KNOWN_IDS), generated)
    if name == "values":
        return st.fixed_dictionaries({}, optional={"title": from_schema({"type": "string"})})
    return generated


FIELDS = {n: _field(n, s) for n, s in OPERATION["properties"].items() if n != "kind"}
events = st.fixed_dictionaries(
    {"kind": st.sampled_from(sorted(SERVER_KINDS))},
    optional={**FIELDS, "surprise": st.integers()},
)


@pytest.mark.rule("EVENT-1", "EVENT-2")
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(events)
def test_generated_events_are_answered_and_refused_ones_change_nothing(event: Any) -> None:
    with loaded_app() as (client, service, _):
        before = service.server_rows()
        answer = client.post(
            "/admin/events", json=event, headers={"Authorization": f"Bearer {ADMIN}"}
        )
        allowed = problem("operation", event) is None
        if allowed:
            assert answer.status_code == 200, (event, answer.text)
            result = answer.json()
            assert result["status"] in ("accepted", "refused"), result
            if result["status"] == "refused":
                assert result["reason"] and service.server_rows() == before
        else:
            assert 400 <= answer.status_code < 500, (event, answer.text)
            assert answer.json().get("field"), answer.text
            assert service.server_rows() == before


#: a wrong value for a field of an entry of each world list, and how to break the world
BREAKS = ("missing", "wrong type", "extra", "unknown reference")
#: the fields of each list's entries that name another entry (renaming an ``id`` nothing
#: refers to is a valid world, so an unknown reference is put only here)
REFERENCES = {
    "users": ["business_unit", "manager", "roles"],
    "devices": ["user"],
    "business_units": ["parent"],
}


@pytest.mark.rule("WORLD-1")
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(worlds(), st.data())
def test_generated_worlds_load_and_broken_ones_are_refused_naming_the_field(
    world: Any, data: st.DataObject
) -> None:
    with loaded_app() as (client, service, _):
        before = service.server_rows()
        headers = {"Authorization": f"Bearer {ADMIN}"}
        how = data.draw(st.sampled_from(BREAKS), label="how")
        broken = copy.deepcopy(world)
        key = data.draw(st.sampled_from(["users", "devices", "business_units"]), label="list")
        index = data.draw(st.integers(0, len(broken[key]) - 1), label="entry")
        entry = broken[key][index]
        if how == "unknown reference":
            fields = REFERENCES[key]
        elif how == "missing":  # an optional field (a user's position) may be left out
            fields = sorted(DEFS[key.removesuffix("s")]["required"])
        else:
            fields = sorted(entry)
        field = data.draw(st.sampled_from(fields), label="field")
        if how == "missing":
            del entry[field]
        elif how == "wrong type":
            entry[field] = 7
        elif how == "extra":
            entry["surprise"] = 1
        else:
            entry[field] = ["no-such-id"] if field == "roles" else "no-such-id"
        answer = client.post("/admin/world", json=broken, headers=headers)
        assert 400 <= answer.status_code < 500, (how, key, field, answer.text)
        named = answer.json()["field"]
        assert named.startswith(f"{key}/{index}") or named == "(world)", named
        assert service.server_rows() == before  # the previous world is untouched
        answer = client.post("/admin/world", json=world, headers=headers)
        assert answer.status_code == 200, answer.text
        assert sorted(answer.json()["tokens"]) == sorted(d["id"] for d in world["devices"])
        assert service.server_rows() == {
            r["id"]: {"table": r["table"], "owner": r["owner"], "values": r["values"]}
            for r in world["rows"]
        }
