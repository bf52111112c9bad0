"""Generated upload payloads against the sample server's HTTP app: valid ones are taken,
malformed ones are refused with a 4xx naming the field and change nothing.

Payloads are composed field by field with hypothesis-jsonschema (``from_schema`` on each
field's schema, ``fixed_dictionaries`` for the change), which avoids the break of
hypothesis-jsonschema 0.23.1 on whole object schemas with current Hypothesis."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from implementations.sample.server.schemas import CHANGE
from tests.sample.test_sample_server import WORLD, loaded_app

SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
FIELDS = CHANGE["properties"]
TITLE = WORLD["tables"][0]["columns"]["title"]

changes = st.fixed_dictionaries(
    {
        "op_id": from_schema(FIELDS["op_id"]),
        "kind": from_schema(FIELDS["kind"]),
        "table": st.just("note"),
        "row": from_schema(FIELDS["row"]),
        "values": st.fixed_dictionaries({"title": from_schema(TITLE)}),
        "base": from_schema(FIELDS["base"]),
    }
)
#: a value of the wrong JSON type for each field of a change
WRONG = {"op_id": 7, "kind": "move", "table": ["note"], "row": None, "values": [], "base": "1"}


@SETTINGS
@given(st.lists(changes, max_size=4, unique_by=lambda c: c["op_id"]))
def test_generated_valid_uploads_are_answered_change_by_change(batch: list[Any]) -> None:
    with loaded_app() as (client, _, tokens):
        answer = client.post(
            "/users/ann/upload",
            json={"changes": batch},
            headers={"Authorization": f"Bearer {tokens['d1']}"},
        )
        assert answer.status_code == 200, answer.text
        assert len(answer.json()["outcomes"]) == len(batch)


@SETTINGS
@given(st.lists(changes, min_size=1, max_size=3), st.data())
def test_generated_malformed_uploads_name_the_field_and_write_nothing(
    batch: list[Any], data: st.DataObject
) -> None:
    with loaded_app() as (client, service, tokens):
        before = service.server_rows()
        index = data.draw(st.integers(0, len(batch) - 1), label="broken change")
        field = data.draw(st.sampled_from(sorted(WRONG)), label="broken field")
        how = data.draw(st.sampled_from(["wrong type", "missing", "extra"]), label="how")
        broken = dict(batch[index])
        if how == "wrong type":
            broken[field] = WRONG[field]
        elif how == "missing":
            del broken[field]
        else:
            broken["surprise"] = 1
        batch[index] = broken
        answer = client.post(
            "/users/ann/upload",
            json={"changes": batch},
            headers={"Authorization": f"Bearer {tokens['d1']}"},
        )
        assert 400 <= answer.status_code < 500, answer.text
        named = answer.json()["field"]
        assert named.startswith(f"changes/{index}"), (named, how, field)
        assert service.server_rows() == before
