"""WORLD-1..4: well-formed worlds, owning business units, typed columns, client ids."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest

from models import InvalidWorld, ModelSystem
from models.records import WorldSpec
from models.values import check_schema, value_matches, values_problem
from tests.models.helpers import (
    BOB,
    account,
    add_business_unit,
    add_device,
    add_position,
    add_row,
    add_team,
    add_team_share,
    add_user,
    create,
    error,
    errors,
    move_user,
    ok,
    reassign,
    refused,
    role_spec,
    server_ids,
    server_values,
    set_manager_in,
    set_position_in,
    shown,
    shown_ids,
    sync,
    system,
    update,
    user_spec,
    world,
)

# --- WORLD-1 ------------------------------------------------------------------------------


@pytest.mark.rule("WORLD-1")
def test_sample_world_is_well_formed() -> None:
    s = ModelSystem(world())
    assert sorted(s.observe()["devices"]) == ["alice-phone", "bob-phone", "bob-tablet"]
    assert server_ids(s) == ["acc-east", "acc-sales", "acc-west", "con-east", "task-east"]


def _table(w: WorldSpec, name: str) -> Any:
    return next(t for t in w["tables"] if t["name"] == name)


Mutation = Callable[[WorldSpec], None]

# (test id, how to break the sample world, text the error message must contain)
BROKEN_WORLDS: list[tuple[str, Mutation, list[str]]] = [
    (
        "second-root-unit",
        lambda w: add_business_unit(w, "rogue", None),
        ["rogue"],
    ),
    (
        "unit-with-unknown-parent",
        lambda w: add_business_unit(w, "lost", "nowhere"),
        ["lost", "nowhere"],
    ),
    (
        "units-in-a-parent-cycle-beside-the-root",
        lambda w: (add_business_unit(w, "ping", "pong"), add_business_unit(w, "pong", "ping")),
        ["cycle"],
    ),
    (
        "duplicate-business-unit",
        lambda w: add_business_unit(w, "east", "sales"),
        ["east", "twice"],
    ),
    ("duplicate-user", lambda w: add_user(w, "bob", "east"), ["bob", "twice"]),
    (
        "duplicate-role",
        lambda w: w["roles"].append({"id": "reader", "privileges": {}}),
        ["reader", "twice"],
    ),
    ("duplicate-table", lambda w: w["tables"].append(_table(w, "task")), ["task", "twice"]),
    (
        "duplicate-row",
        lambda w: add_row(w, "acc-east", "account", "bob", account()),
        ["acc-east", "twice"],
    ),
    ("duplicate-device", lambda w: add_device(w, "bob-phone", "bob"), ["bob-phone"]),
    (
        "user-in-unknown-unit",
        lambda w: add_user(w, "zoe", "atlantis"),
        ["zoe", "atlantis"],
    ),
    (
        "user-with-unknown-manager",
        lambda w: set_manager_in(w, "bob", "ghost"),
        ["bob", "ghost"],
    ),
    (
        "user-with-unknown-role",
        lambda w: user_spec(w, "bob")["roles"].append("wizard"),
        ["bob", "wizard"],
    ),
    (
        "self-managed-user",
        lambda w: set_manager_in(w, "erin", "erin"),
        ["erin", "manager cycle"],
    ),
    (
        "row-in-unknown-table",
        lambda w: add_row(w, "inv-1", "invoice", "bob", {}),
        ["inv-1", "invoice"],
    ),
    (
        "row-with-unknown-owner",
        lambda w: add_row(w, "acc-x", "account", "ghost", account()),
        ["acc-x", "ghost"],
    ),
    (
        "share-of-unknown-row",
        lambda w: w["shares"].append({"row": "acc-x", "user": "bob", "rights": ["read"]}),
        ["acc-x"],
    ),
    (
        "share-to-unknown-user",
        lambda w: w["shares"].append({"row": "acc-west", "user": "ghost", "rights": ["read"]}),
        ["ghost"],
    ),
    (
        "share-with-bad-right",
        lambda w: w["shares"].append({"row": "acc-west", "user": "bob", "rights": ["own"]}),
        ["acc-west", "own"],
    ),
    (
        "module-with-unknown-table",
        lambda w: w["app_modules"].append(
            {"id": "extra", "offline_enabled": True, "tables": ["invoice"]}
        ),
        ["extra", "invoice"],
    ),
    (
        "profile-with-unknown-table",
        lambda w: w["profile"].update({"invoice": "all"}),
        ["invoice"],
    ),
    (
        "profile-with-unknown-filter",
        lambda w: w["profile"].update({"task": "some"}),
        ["task", "some"],
    ),
    (
        "view-of-unknown-table",
        lambda w: w["views"].append({"id": "v-inv", "table": "invoice", "references": []}),
        ["v-inv", "invoice"],
    ),
    (
        "view-referencing-unknown-table",
        lambda w: w["views"].append({"id": "v-acc", "table": "account", "references": ["lead"]}),
        ["v-acc", "lead"],
    ),
    ("device-of-unknown-user", lambda w: add_device(w, "zoe-phone", "zoe"), ["zoe-phone", "zoe"]),
    (
        "hierarchy-depth-zero",
        lambda w: w["hierarchy"].update({"depth": 0}),
        ["hierarchy depth"],
    ),
    (
        "unknown-conflict-policy",
        lambda w: w.update({"conflict_policy": "last_writer_wins"}),
        ["last_writer_wins"],
    ),
    (
        "role-with-unknown-table",
        lambda w: role_spec(w, "reader")["privileges"].update({"invoice": {"read": "user"}}),
        ["reader", "invoice"],
    ),
    (
        "role-with-unknown-depth",
        lambda w: role_spec(w, "reader")["privileges"]["task"].update({"read": "galaxy"}),
        ["reader", "galaxy"],
    ),
    (
        "role-with-unknown-privilege",
        lambda w: role_spec(w, "reader")["privileges"]["task"].update({"assign": "user"}),
        ["reader", "assign"],
    ),
    (
        "column-with-unsupported-schema",
        lambda w: _table(w, "task")["columns"].update({"due": {"type": "string", "format": "d"}}),
        ["task.due", "format"],
    ),
    (
        "secured-column-that-does-not-exist",
        lambda w: _table(w, "contact")["secured"].append("salary"),
        ["contact", "salary"],
    ),
    (
        "lookup-to-unknown-table",
        lambda w: _table(w, "task")["lookups"].update({"subject": "invoice"}),
        ["task.subject", "invoice"],
    ),
    (
        "field-permission-on-unsecured-column",
        lambda w: w["field_permissions"].append(
            {"table": "account", "column": "name", "users": ["bob"]}
        ),
        ["account.name"],
    ),
]


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize(
    ("mutate", "named"),
    [(m, n) for _, m, n in BROKEN_WORLDS],
    ids=[i for i, _, _ in BROKEN_WORLDS],
)
def test_invalid_world_is_refused_naming_the_entry(mutate: Mutation, named: list[str]) -> None:
    w = world()
    mutate(w)
    with pytest.raises(InvalidWorld) as raised:
        ModelSystem(w)
    for text in named:
        assert text in str(raised.value)


def _with_teams_and_positions(w: WorldSpec) -> WorldSpec:
    """The sample world with an owner team, an access team and two positions: well formed."""
    add_team(w, "owners", "east", members=("bob",), roles=("reader",))
    add_team(w, "helpers", "org", members=("erin",), kind="access")
    add_team_share(w, "acc-west", "helpers", "read")
    add_position(w, "top", None)
    add_position(w, "below", "top")
    set_position_in(w, "bob", "below")
    w["hierarchy"]["model"] = "position"
    w["append_privileges"] = True
    role_spec(w, "reader")["privileges"]["task"]["append_to"] = "user"
    role_spec(w, "reader")["member_inheritance"] = "direct_basic"
    return w


# (test id, how to break a world with teams and positions, text the message must contain)
BROKEN_OPTIONAL_PARTS: list[tuple[str, Mutation, list[str]]] = [
    ("team-with-a-users-id", lambda w: add_team(w, "bob", "east"), ["bob"]),
    ("team-defined-twice", lambda w: add_team(w, "owners", "east"), ["owners"]),
    ("team-unknown-unit", lambda w: add_team(w, "t", "nowhere"), ["t", "nowhere"]),
    ("team-unknown-member", lambda w: add_team(w, "t", "east", members=("ghost",)), ["ghost"]),
    ("team-unknown-role", lambda w: add_team(w, "t", "east", roles=("boss",)), ["t", "boss"]),
    ("team-unknown-kind", lambda w: add_team(w, "t", "east", kind="guild"), ["t", "guild"]),
    (
        "access-team-with-roles",
        lambda w: add_team(w, "t", "east", roles=("reader",), kind="access"),
        ["t", "access"],
    ),
    ("row-owned-by-access-team", lambda w: add_row(w, "r", "task", "helpers", {
        "subject": "x", "done": False}), ["r", "helpers"]),
    ("team-share-unknown-team", lambda w: add_team_share(w, "acc-east", "ghost", "read"),
     ["acc-east", "ghost"]),
    ("team-share-unknown-row", lambda w: add_team_share(w, "ghost", "helpers", "read"),
     ["ghost"]),
    ("team-share-bad-rights", lambda w: add_team_share(w, "acc-east", "helpers", "own"),
     ["acc-east", "own"]),
    ("position-twice", lambda w: add_position(w, "top", None), ["top"]),
    ("position-unknown-parent", lambda w: add_position(w, "p", "ghost"), ["p", "ghost"]),
    ("position-cycle", lambda w: w["positions"][0].update({"parent": "below"}), ["cycle"]),
    ("user-unknown-position", lambda w: set_position_in(w, "dan", "ghost"), ["dan", "ghost"]),
    ("unknown-hierarchy-model", lambda w: w["hierarchy"].update({"model": "matrix"}),
     ["matrix"]),
    ("unknown-inheritance", lambda w: role_spec(w, "reader").update({
        "member_inheritance": "all"}), ["reader", "all"]),
]  # fmt: skip


@pytest.mark.rule("WORLD-1", "SEC-8", "SEC-9", "SEC-10")
def test_a_world_with_teams_positions_and_append_privileges_is_well_formed() -> None:
    s = ModelSystem(_with_teams_and_positions(world()))
    assert s.world.owner_teams == {"owners"} and s.world.append_privileges


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize(
    ("mutate", "named"),
    [(m, n) for _, m, n in BROKEN_OPTIONAL_PARTS],
    ids=[i for i, _, _ in BROKEN_OPTIONAL_PARTS],
)
def test_invalid_optional_parts_are_refused_naming_the_entry(
    mutate: Mutation, named: list[str]
) -> None:
    w = _with_teams_and_positions(world())
    mutate(w)
    with pytest.raises(InvalidWorld) as raised:
        ModelSystem(w)
    for text in named:
        assert text in str(raised.value)


@pytest.mark.rule("WORLD-1")
def test_manager_cycle_is_refused_naming_a_user_in_it() -> None:
    w = world()
    set_manager_in(w, "carol", "bob")  # carol -> bob -> alice -> carol
    with pytest.raises(InvalidWorld, match="manager cycle") as raised:
        ModelSystem(w)
    assert any(f"'{u}'" in str(raised.value) for u in ("carol", "alice", "bob"))


@pytest.mark.rule("WORLD-1")
def test_invalid_world_is_a_value_error() -> None:
    w = world()
    w["hierarchy"]["depth"] = -1
    with pytest.raises(ValueError):
        ModelSystem(w)


@pytest.mark.rule("WORLD-1")
def test_duplicate_view_id_is_refused() -> None:
    w = world()
    w["views"].append({"id": "active-accounts", "table": "task", "references": []})
    with pytest.raises(InvalidWorld, match="active-accounts"):
        ModelSystem(w)


@pytest.mark.rule("WORLD-1")
def test_duplicate_app_module_id_is_refused() -> None:
    w = world()
    w["app_modules"].append({"id": "field-sales", "offline_enabled": False, "tables": []})
    with pytest.raises(InvalidWorld, match="field-sales"):
        ModelSystem(w)


@pytest.mark.rule("WORLD-1")
def test_field_permission_for_unknown_user_is_refused() -> None:
    w = world()
    w["field_permissions"][0]["users"].append("ghost")
    with pytest.raises(InvalidWorld, match="ghost"):
        ModelSystem(w)


@pytest.mark.rule("WORLD-1", "WORLD-3")
def test_initial_row_with_values_outside_the_schema_is_refused() -> None:
    w = world()
    w["rows"][0]["values"]["revenue"] = -5
    with pytest.raises(InvalidWorld, match="acc-east"):
        ModelSystem(w)


@pytest.mark.rule("WORLD-1")
def test_world_without_root_names_a_unit_of_the_cycle() -> None:
    w = world()
    w["business_units"][0]["parent"] = "east"  # org -> east -> sales -> org
    with pytest.raises(InvalidWorld) as raised:
        ModelSystem(w)
    assert any(f"'{b}'" in str(raised.value) for b in ("org", "sales", "east"))


# --- WORLD-2 ------------------------------------------------------------------------------


def _erin_world() -> WorldSpec:
    """The sample world with a device for erin (service, reads her business unit)."""
    w = world()
    add_device(w, "erin-phone", "erin")
    return w


@pytest.mark.rule("WORLD-2")
def test_row_business_unit_follows_its_owner_when_the_owner_moves() -> None:
    s = system(_erin_world())
    assert shown_ids(s, "erin-phone", "account") == []
    ok(s, move_user("dan", "service"))
    sync(s, "erin-phone")
    assert shown_ids(s, "erin-phone", "account") == ["acc-west"]
    sync(s, BOB)
    assert "acc-west" not in shown(s, BOB, "account")


@pytest.mark.rule("WORLD-2")
def test_row_business_unit_follows_a_reassignment() -> None:
    s = system(_erin_world())
    ok(s, reassign("acc-east", "erin"))
    assert s.observe()["server"]["acc-east"]["owner"] == "erin"
    sync(s, "erin-phone")
    sync(s, BOB)
    assert shown_ids(s, "erin-phone", "account") == ["acc-east"]
    assert shown_ids(s, BOB, "account") == []


@pytest.mark.rule("WORLD-2")
def test_business_unit_write_follows_the_owner_at_validation() -> None:
    w = _erin_world()
    role_spec(w, "salesperson")["privileges"]["account"]["write"] = "business_unit"
    add_user(w, "fay", "service")
    add_row(w, "acc-fay", "account", "fay", account("Fay"))
    s = system(w)
    ok(s, update("erin-phone", "account", "acc-fay", {"revenue": 1}, "op-1"))
    ok(s, move_user("fay", "west"))  # the row now belongs to west, outside erin's unit
    sync(s, "erin-phone")
    assert errors(s, "erin-phone") == [error("account", "acc-fay", "update", "privilege")]
    assert server_values(s, "acc-fay")["revenue"] == 7


# --- WORLD-3: the schema subset and value checks -----------------------------------------

VALUE_CASES: list[tuple[dict[str, Any], Any, bool]] = [
    ({"type": "string"}, "x", True),
    ({"type": "string"}, 1, False),
    ({"type": "string"}, None, False),
    ({"type": "integer"}, 3, True),
    ({"type": "integer"}, 3.0, True),  # JSON Schema: 3.0 is an integer
    ({"type": "integer"}, 3.5, False),
    ({"type": "integer"}, True, False),
    ({"type": "number"}, 3.5, True),
    ({"type": "number"}, 3, True),
    ({"type": "number"}, False, False),
    ({"type": "number"}, math.nan, False),
    ({"type": "number"}, math.inf, False),
    ({"type": "number"}, "3", False),
    ({"type": "boolean"}, False, True),
    ({"type": "boolean"}, 0, False),
    ({"type": "null"}, None, True),
    ({"type": "null"}, "", False),
    ({"type": ["string", "null"]}, None, True),
    ({"type": ["string", "null"]}, "a", True),
    ({"type": ["string", "null"]}, 1, False),
    ({"enum": ["a", "b"]}, "a", True),
    ({"enum": ["a", "b"]}, "c", False),
    ({"enum": [1]}, True, False),
    ({"enum": [True]}, 1, False),
    ({"enum": [0]}, False, False),
    ({"enum": [1]}, 1.0, True),
    ({"enum": [None]}, None, True),
    ({"type": "string", "minLength": 2}, "a", False),
    ({"type": "string", "minLength": 2}, "ab", True),
    ({"type": "string", "maxLength": 2}, "abc", False),
    ({"type": "string", "maxLength": 2}, "ab", True),
    ({"type": "string", "maxLength": 1}, "é", True),  # length in characters, not bytes
    ({"type": "string", "pattern": "^[a-z]+$"}, "abc", True),
    ({"type": "string", "pattern": "^[a-z]+$"}, "ab1", False),
    ({"type": "string", "pattern": "b"}, "abc", True),  # JSON Schema patterns are unanchored
    ({"type": "integer", "minimum": 0}, 0, True),
    ({"type": "integer", "minimum": 0}, -1, False),
    ({"type": "number", "maximum": 1.5}, 1.5, True),
    ({"type": "number", "maximum": 1.5}, 1.6, False),
    ({"type": ["integer", "string"], "minimum": 5}, "2", True),  # bounds apply to numbers only
    ({"type": ["integer", "string"], "minLength": 5}, 2, True),  # lengths apply to strings only
    ({"type": "boolean", "minimum": 5}, True, True),  # a boolean is not a number
]


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize(("schema", "value", "expected"), VALUE_CASES)
def test_value_matches(schema: dict[str, Any], value: Any, expected: bool) -> None:
    assert value_matches(schema, value) is expected


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string"},
        {"type": ["string", "null"], "maxLength": 3},
        {"enum": ["a", 1, None]},
        {"type": "number", "minimum": 0, "maximum": 9},
        {"type": "string", "minLength": 1, "pattern": "^x"},
        {"type": "integer"},
        {"type": "boolean"},
        {"type": "null"},
    ],
)
def test_check_schema_accepts_the_subset(schema: dict[str, Any]) -> None:
    assert check_schema(schema) is None


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "string", "format": "email"}, "unsupported schema keywords ['format']"),
        ({"type": "object"}, "unsupported type 'object'"),
        ({"type": "array"}, "unsupported type 'array'"),
        ({"type": []}, "unsupported type []"),
        ({"minLength": 1}, "a column schema needs 'type' or 'enum'"),
        ({"enum": []}, "enum must be a non-empty list"),
        ({"type": "string", "pattern": "("}, "bad pattern"),
    ],
)
def test_check_schema_names_the_problem(schema: dict[str, Any], problem: str) -> None:
    found = check_schema(schema)
    assert found is not None and found.startswith(problem)


@pytest.mark.rule("WORLD-3")
def test_check_schema_refuses_keywords_outside_the_listed_subset() -> None:
    assert check_schema({"type": "string", "description": "a note"}) is None
    assert check_schema({"type": "string", "format": "uuid"}) is not None


TASK_COLUMNS: dict[str, dict[str, Any]] = {
    "subject": {"type": "string", "minLength": 1},
    "done": {"type": "boolean"},
}


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize(
    ("values", "complete", "problem"),
    [
        ({"subject": "s", "done": True}, True, None),
        ({"subject": "s"}, True, "missing columns ['done']"),
        ({"subject": "s", "done": True, "due": 1}, True, "unknown columns ['due']"),
        ({"subject": "", "done": True}, True, "column 'subject'"),
        ({"done": True}, False, None),
        ({}, False, "an update must change at least one column"),
        ({"due": 1}, False, "unknown columns ['due']"),
        ({"done": "yes"}, False, "column 'done'"),
        ("not-an-object", False, "values must be an object"),
    ],
)
def test_values_problem(values: Any, complete: bool, problem: str | None) -> None:
    found = values_problem(TASK_COLUMNS, values, complete=complete)
    if problem is None:
        assert found is None
    else:
        assert found is not None and found.startswith(problem)


BAD_CREATES: list[tuple[str, dict[str, Any]]] = [
    ("missing-column", {"name": "A", "revenue": 1, "primarycontact": None}),
    ("unknown-column", {**account(), "rating": 5}),
    ("wrong-type", {**account(), "revenue": "lots"}),
    ("below-minimum", {**account(), "revenue": -1}),
    ("too-long", {**account(), "name": "x" * 41}),
    ("too-short", {**account(), "name": ""}),
    ("float-for-integer", {**account(), "revenue": 1.5}),
]


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize("values", [v for _, v in BAD_CREATES], ids=[i for i, _ in BAD_CREATES])
def test_create_with_values_outside_the_schema_is_invalid(values: dict[str, Any]) -> None:
    s = system()
    before = s.observe()
    assert s.apply(create(BOB, "account", "acc-new", values, "op-1")) == refused("invalid")
    assert s.observe() == before


@pytest.mark.rule("WORLD-3")
@pytest.mark.parametrize(
    "values",
    [{}, {"rating": 5}, {"revenue": None}, {"revenue": 10**9 + 1}],
    ids=["empty", "unknown-column", "null-for-integer", "above-maximum"],
)
def test_update_with_values_outside_the_schema_is_invalid(values: dict[str, Any]) -> None:
    s = system()
    before = s.observe()
    assert s.apply(update(BOB, "account", "acc-east", values, "op-1")) == refused("invalid")
    assert s.observe() == before


@pytest.mark.rule("WORLD-3")
def test_enum_column_accepts_only_its_values() -> None:
    s = system()
    opp = {"topic": "Deal", "stage": "qualify", "account": None}
    ok(s, create(BOB, "opportunity", "opp-1", opp, "op-1"))
    assert s.apply(update(BOB, "opportunity", "opp-1", {"stage": "won"}, "op-2")) == refused(
        "invalid"
    )
    ok(s, update(BOB, "opportunity", "opp-1", {"stage": "close"}, "op-3"))
    sync(s, BOB)
    assert server_values(s, "opp-1") == {"topic": "Deal", "stage": "close", "account": None}


@pytest.mark.rule("WORLD-3")
def test_lookup_holds_any_row_id_without_referential_integrity() -> None:
    s = system()
    values = account(primarycontact="no-such-contact")
    ok(s, create(BOB, "account", "acc-new", values, "op-1"))
    ok(s, update(BOB, "account", "acc-east", {"primarycontact": "also-missing"}, "op-2"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-new")["primarycontact"] == "no-such-contact"
    assert server_values(s, "acc-east")["primarycontact"] == "also-missing"


@pytest.mark.rule("WORLD-3", "EVENT-2")
def test_server_events_use_the_same_schema() -> None:
    s = system()
    before = s.observe()
    assert s.apply({"kind": "server_update", "row": "acc-east", "values": {"revenue": -1}}) == (
        refused("invalid")
    )
    assert s.observe() == before


# --- WORLD-4 ------------------------------------------------------------------------------


@pytest.mark.rule("WORLD-4")
def test_row_ids_of_new_rows_are_the_ones_the_device_chose() -> None:
    s = system()
    ok(s, create(BOB, "task", "my-own-id-42", {"subject": "Mine", "done": False}, "op-x"))
    assert "my-own-id-42" in shown(s, BOB, "task")
    sync(s, BOB)
    sync(s, "bob-tablet")
    assert s.observe()["server"]["my-own-id-42"] == {
        "table": "task",
        "owner": "bob",
        "values": {"subject": "Mine", "done": False},
    }
    assert "my-own-id-42" in shown(s, "bob-tablet", "task")


@pytest.mark.rule("WORLD-4")
@pytest.mark.parametrize("op_id", [None, ""], ids=["missing", "empty"])
def test_edit_without_an_operation_id_is_invalid(op_id: str | None) -> None:
    s = system()
    op = update(BOB, "account", "acc-east", {"revenue": 1}, "x")
    if op_id is None:
        del op["op_id"]
    else:
        op["op_id"] = op_id
    before = s.observe()
    assert s.apply(op) == refused("invalid")
    assert s.observe() == before
