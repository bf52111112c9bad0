"""The JSON Schemas of conformance/iut/protocol/ and the checks of conformance.schemas.

The schemas must accept everything the strategies and the reference model produce, and reject
malformed messages with one message that names the offending field.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator  # type: ignore[import-untyped,unused-ignore]

from conformance.engine.strategies import operation_lists, worlds
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterError
from conformance.iut.schemas import MESSAGE_KINDS, SCHEMA_DIR, check, problem, validator
from models import run
from models.examples import sample_world
from models.records import OPERATION_KINDS, Operation, WorldSpec
from models.scenarios import SCENARIOS

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])

#: one valid operation of every kind
OPERATIONS: list[Operation] = [
    {"kind": "create", "device": "bob-phone", "table": "task", "row": "new0",
     "values": {"subject": "call", "done": False}, "op_id": "op0"},
    {"kind": "update", "device": "bob-phone", "table": "task", "row": "new0",
     "values": {"done": True}, "op_id": "op1"},
    {"kind": "delete", "device": "bob-phone", "table": "task", "row": "new0", "op_id": "op2"},
    {"kind": "read", "device": "bob-phone", "table": "task"},
    {"kind": "sync_start", "device": "bob-phone"},
    {"kind": "sync_end", "device": "bob-phone"},
    {"kind": "restart", "device": "bob-phone"},
    {"kind": "retry", "device": "bob-phone", "error": "op-1", "op_id": "op-9"},
    {"kind": "dismiss", "device": "bob-phone", "error": "op-1"},
    {"kind": "assign_role", "user": "bob", "role": "manager"},
    {"kind": "remove_role", "user": "bob", "role": "manager"},
    {"kind": "set_depth", "role": "salesperson", "table": "account", "privilege": "write",
     "depth": "none"},
    {"kind": "share", "row": "acc-east", "user": "erin", "rights": ["read", "write"]},
    {"kind": "unshare", "row": "acc-east", "user": "erin"},
    {"kind": "set_manager", "user": "bob", "manager": None},
    {"kind": "set_manager", "user": "bob", "manager": "carol"},
    {"kind": "move_user", "user": "bob", "business_unit": "west"},
    {"kind": "reassign", "row": "acc-east", "owner": "dan"},
    {"kind": "server_create", "table": "task", "row": "new1", "owner": "dan",
     "values": {"subject": "visit", "done": False}},
    {"kind": "server_update", "row": "new1", "values": {"done": True}},
    {"kind": "server_delete", "row": "new1"},
    {"kind": "create", "device": "bob-phone", "table": "task", "row": "new2",
     "values": {"subject": "call", "done": False}, "op_id": "op3", "owner": "east-team"},
    {"kind": "set_position", "user": "bob", "position": "sales"},
    {"kind": "set_position", "user": "bob", "position": None},
    {"kind": "move_position", "position": "sales", "parent": None},
    {"kind": "add_member", "team": "east-team", "user": "bob"},
    {"kind": "remove_member", "team": "east-team", "user": "bob"},
    {"kind": "assign_team_role", "team": "east-team", "role": "reader"},
    {"kind": "remove_team_role", "team": "east-team", "role": "reader"},
    {"kind": "share_team", "row": "acc-east", "team": "east-team", "rights": ["append_to"]},
    {"kind": "unshare_team", "row": "acc-east", "team": "east-team"},
    {"kind": "grant_profile", "user": "bob"},
    {"kind": "revoke_profile", "user": "bob"},
    {"kind": "server_restart"},
    {"kind": "sync_start", "device": "bob-phone", "fault": "response_lost"},
    {"kind": "sync_end", "device": "bob-phone", "fault": "crash"},
]  # fmt: skip


def device_observation(**changes: Any) -> dict[str, Any]:
    observed: dict[str, Any] = {
        "rows": {"task": {"t1": {"subject": "call", "done": False}}},
        "views": ["view0"],
        "metadata_tables": ["task"],
        "pending": 0,
        "in_cycle": False,
        "errors": [
            {
                "table": "task",
                "row": "t2",
                "op": "update",
                "reason": "conflict",
                "values": {"done": True},
                "op_id": "op-2",
            }
        ],
    }
    observed.update(changes)
    return observed


def observation(**changes: Any) -> dict[str, Any]:
    return {
        "devices": {"d0": device_observation(**changes)},
        "server": {"t1": {"table": "task", "owner": "u0", "values": {"subject": "call"}}},
    }


def report(**rule_changes: Any) -> dict[str, Any]:
    counterexample = {
        "family": "stale",
        "seed": 7,
        "world": sample_world(),
        "operations": OPERATIONS[:5],
        "failing_step": 4,
        "rules": ["STALE-1", "SYNC-5"],
        "field": "/devices/d0/rows",
        "expected": {"task": {}},
        "actual": {"task": {"new0": {"subject": "call", "done": False}}},
        "message": "the device shows a row the model does not",
        "replay": "offsync replay --seed 7 --family stale",
    }
    failed = {
        "id": "STALE-1",
        "title": "Between syncs the device decides with its snapshot",
        "family": "stale",
        "status": "failed",
        "exercised": 12,
        "clauses": {},
        "missing_clauses": [],
        "counterexample": counterexample,
        "error": None,
        "expected": None,
        "expectation": None,
    }
    failed.update(rule_changes)
    return {
        "format": "offsync-report/3",
        "verdict": "fail",
        "complete": True,
        "interrupted": None,
        "started": "2025-01-01T10:00:00Z",
        "finished": "2025-01-01T10:01:30Z",
        "duration_s": 90.5,
        "iut": "model",
        "profile": "quick",
        "seed": 7,
        "shard": None,
        "expectations": None,
        "corpus": [],
        "capabilities": ["hierarchy", "restart"],
        "summary": {"passed": 1, "partially_exercised": 0, "failed": 1, "error": 0,
                    "not_applicable": 1, "not_exercised": 0},
        "rules": [
            failed,
            {"id": "SYNC-5", "title": "Idempotent upload", "family": "sync", "status": "passed",
             "exercised": 40, "clauses": {}, "missing_clauses": [], "counterexample": None,
             "error": None, "expected": None,
             "expectation": None},
            {"id": "SEC-5", "title": "Hierarchy", "family": "security",
             "status": "not_applicable", "exercised": 0, "clauses": {}, "missing_clauses": [],
             "counterexample": None, "error": None,
             "expected": None, "expectation": None},
        ],
        "families": [
            {"name": "stale", "focus": ["STALE"], "outcome": "failed", "examples": 30,
             "steps": 412, "seconds": 3.5, "exercised": {"STALE-1": 12},
             "message": "STALE-1 failed at step 4"},
            {"name": "sync", "focus": ["SYNC"], "outcome": "passed", "examples": 50, "steps": 800,
             "seconds": 6.0, "exercised": {"SYNC-5": 40}},
        ],
    }  # fmt: skip


# --- the schema files -----------------------------------------------------------------------


def test_message_kinds_are_the_schema_files() -> None:
    assert sorted(MESSAGE_KINDS) == sorted(p.stem for p in SCHEMA_DIR.glob("*.json"))


@pytest.mark.parametrize("kind", MESSAGE_KINDS)
def test_every_schema_is_a_valid_draft_2020_12_schema(kind: str) -> None:
    schema = json.loads((SCHEMA_DIR / f"{kind}.json").read_text("utf-8"))
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://offsync.dev/protocol/{kind}.json"


def test_validator_is_cached_and_unknown_kinds_are_refused() -> None:
    assert validator("world") is validator("world")
    with pytest.raises(KeyError, match="unknown message kind"):
        validator("nonsense")


def test_hello_schema_names_every_capability() -> None:
    schema = json.loads((SCHEMA_DIR / "hello.json").read_text("utf-8"))
    assert set(schema["properties"]["capabilities"]["items"]["enum"]) == ALL_CAPABILITIES


def test_operation_schema_names_every_operation_kind() -> None:
    schema = json.loads((SCHEMA_DIR / "operation.json").read_text("utf-8"))
    assert tuple(schema["properties"]["kind"]["enum"]) == OPERATION_KINDS
    assert {op["kind"] for op in OPERATIONS} == set(OPERATION_KINDS)


# --- what the suite itself produces validates -----------------------------------------------


@pytest.mark.rule("WORLD-1")
def test_sample_world_validates() -> None:
    assert problem("world", sample_world()) is None
    assert problem("world", sample_world(conflict_policy="server_wins")) is None


@pytest.mark.rule("WORLD-1")
@SETTINGS
@given(worlds())
def test_generated_worlds_validate(world: WorldSpec) -> None:
    assert problem("world", world) is None


@SETTINGS
@given(st.data())
def test_generated_operations_and_model_records_validate(data: st.DataObject) -> None:
    world = data.draw(worlds())
    ops = data.draw(operation_lists(world))
    for op in ops:
        assert problem("operation", op) is None
    for step in run(world, ops):
        assert problem("result", step["result"]) is None, step
        assert problem("observation", step["observation"]) is None, step


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_scenarios_validate(scenario: Any) -> None:
    assert problem("world", scenario.world) is None
    for op in scenario.operations:
        assert problem("operation", op) is None
    for step in run(scenario.world, scenario.operations):
        assert problem("result", step["result"]) is None
        assert problem("observation", step["observation"]) is None


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: str(op["kind"]))
def test_every_operation_kind_validates(op: Operation) -> None:
    assert problem("operation", op) is None


def test_hand_written_messages_validate() -> None:
    assert problem("observation", observation()) is None
    assert problem("observation", {"devices": {}, "server": {}}) is None
    for result in [
        {"status": "accepted"},
        {"status": "accepted", "rows": {"t1": {"subject": "call"}}},
        {"status": "refused", "reason": "not_offline"},
    ]:
        assert problem("result", result) is None
    assert problem("hello", {"name": "model", "capabilities": sorted(ALL_CAPABILITIES)}) is None
    assert problem("hello", {"name": "model", "capabilities": [], "version": "1.2"}) is None
    assert problem("report", report()) is None
    assert problem("report", report(counterexample=None, status="passed")) is None


def test_transport_messages_validate() -> None:
    requests = [
        {"id": 0, "method": "hello"},
        {"id": 1, "method": "setup", "params": {"world": sample_world()}},
        *({"id": 2 + i, "method": "apply", "params": {"operation": op}}
          for i, op in enumerate(OPERATIONS)),
        {"id": 99, "method": "observe", "params": {}},
        {"id": 100, "method": "close"},
    ]  # fmt: skip
    for request in requests:
        assert problem("request", request) is None, request
    for response in [
        {"id": 1, "result": None},
        {"id": 2, "result": {"status": "accepted"}},
        {"id": 3, "error": {"message": "no such device", "traceback": "..."}},
    ]:
        assert problem("response", response) is None, response


# --- malformed messages are rejected, naming the field --------------------------------------


def test_observation_with_a_bad_pending_count_names_the_field() -> None:
    found = problem("observation", observation(pending="x"))
    assert found == "observation at /devices/d0/pending: 'x' is not of type 'integer'"
    assert problem("observation", observation(pending=-1)) is not None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"errors": [{"table": "task", "row": "t2", "op": "upsert", "reason": "conflict",
                      "values": {}, "op_id": "op-2"}]},
         "/devices/d0/errors/0/op"),
        ({"errors": [{"table": "task", "row": "t2", "op": "update", "reason": "busy",
                      "values": {}, "op_id": "op-2"}]},
         "/devices/d0/errors/0/reason"),
        ({"errors": [{"table": "task", "row": "t2", "op": "update", "reason": "conflict",
                      "values": {}}]},
         "'op_id' is a required property"),
        ({"errors": [{"table": "task", "row": "t2", "op": "update", "reason": "conflict",
                      "values": [], "op_id": "op-2"}]},
         "/devices/d0/errors/0/values"),
        ({"in_cycle": "no"}, "/devices/d0/in_cycle"),
        ({"views": [1]}, "/devices/d0/views/0"),
        ({"rows": {"task": {"t1": []}}}, "/devices/d0/rows/task/t1"),
        ({"extra": 1}, "at /devices/d0: Additional properties"),
    ],
)  # fmt: skip
def test_malformed_device_observations_name_the_field(changes: dict[str, Any], field: str) -> None:
    found = problem("observation", observation(**changes))
    assert found is not None and field in found, found


def test_missing_device_observation_field_is_rejected() -> None:
    observed = observation()
    del observed["devices"]["d0"]["in_cycle"]
    assert problem("observation", observed) == (
        "observation at /devices/d0: 'in_cycle' is a required property"
    )
    observed = observation()
    observed["server"]["t1"]["owner"] = None
    assert "/server/t1/owner" in (problem("observation", observed) or "")


@pytest.mark.parametrize(
    ("kind", "missing"),
    [("create", "op_id"), ("update", "op_id"), ("delete", "op_id"), ("update", "values"),
     ("read", "table"), ("set_depth", "depth"), ("share", "rights"), ("set_manager", "manager"),
     ("server_create", "owner"), ("set_position", "position"), ("move_position", "parent"),
     ("add_member", "team"), ("assign_team_role", "role"), ("share_team", "rights"),
     ("unshare_team", "team"), ("grant_profile", "user"), ("revoke_profile", "user"),
     ("retry", "op_id"), ("retry", "error"), ("dismiss", "error")],
)  # fmt: skip
def test_operation_without_a_required_field_is_rejected(kind: str, missing: str) -> None:
    op = dict(next(o for o in OPERATIONS if o["kind"] == kind))
    del op[missing]
    assert problem("operation", op) == f"operation at (root): '{missing}' is a required property"


@pytest.mark.parametrize(
    ("op", "field"),
    [
        ({"kind": "upsert", "device": "d0"}, "/kind"),
        ({"device": "d0"}, "'kind' is a required property"),
        ({"kind": "sync_start", "device": ""}, "/device"),
        ({"kind": "set_depth", "role": "r", "table": "t", "privilege": "write",
          "depth": "everything"}, "/depth"),
        ({"kind": "share", "row": "r", "user": "u", "rights": ["own"]}, "/rights/0"),
        ({"kind": "restart", "device": "d0", "colour": "red"}, "Additional properties"),
        ({"kind": "update", "device": "d0", "table": "t", "row": "r", "values": [],
          "op_id": "op1"}, "/values"),
        ({"kind": "move_position", "position": None, "parent": None}, "/position"),
        ({"kind": "share_team", "row": "r", "team": "t", "rights": ["assign"]}, "/rights/0"),
        ({"kind": "add_member", "team": "", "user": "u"}, "/team"),
    ],
)  # fmt: skip
def test_malformed_operations_name_the_field(op: dict[str, Any], field: str) -> None:
    found = problem("operation", op)
    assert found is not None and field in found, found


def test_result_reason_is_required_exactly_when_refused() -> None:
    assert problem("result", {"status": "refused"}) == (
        "result at (root): 'reason' is a required property"
    )
    assert problem("result", {"status": "accepted", "reason": "busy"}) == (
        "result at /reason: 'busy' is not allowed here"
    )
    assert "/reason" in (problem("result", {"status": "refused", "reason": "nope"}) or "")
    assert "/status" in (problem("result", {"status": "ok"}) or "")
    assert "/rows/t1" in (problem("result", {"status": "accepted", "rows": {"t1": 3}}) or "")


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (["roles", 0, "privileges", "account", "read"], "everything",
         "/roles/0/privileges/account/read"),
        (["roles", 0, "privileges", "account"], {"own": "user"}, "/roles/0/privileges/account"),
        (["shares", 0, "rights"], ["read", "own"], "/shares/0/rights/1"),
        (["profile", "task"], "some", "/profile/task"),
        (["conflict_policy"], "last_writer_wins", "/conflict_policy"),
        (["hierarchy", "depth"], 0, "/hierarchy/depth"),
        (["users", 1, "id"], "", "/users/1/id"),
        (["users", 1, "manager"], 3, "/users/1/manager"),
        (["business_units", 0, "parent"], "", "/business_units/0/parent"),
        (["tables", 0, "columns", "name"], "string", "/tables/0/columns/name"),
        (["devices", 0, "colour"], "red", "at /devices/0: Additional properties"),
        (["rows", 0, "values"], None, "/rows/0/values"),
        (["hierarchy", "model"], "matrix", "/hierarchy/model"),
        (["users", 1, "position"], 3, "/users/1/position"),
        (["roles", 0, "member_inheritance"], "all", "/roles/0/member_inheritance"),
        (["append_privileges"], "yes", "/append_privileges"),
        (["teams"], [{"id": "t", "kind": "guild", "business_unit": "org", "members": [],
                      "roles": []}], "/teams/0/kind"),
        (["team_shares"], [{"row": "r", "team": "t"}], "/team_shares/0"),
        (["positions"], [{"id": "p"}], "/positions/0"),
    ],
)  # fmt: skip
def test_malformed_worlds_name_the_field(path: list[Any], value: Any, field: str) -> None:
    world: Any = copy.deepcopy(sample_world())
    if path[0] == "shares" and not world["shares"]:
        world["shares"].append({"row": "r", "user": "u", "rights": ["read"]})
    if path[0] == "rows" and not world["rows"]:
        world["rows"].append({"id": "r", "table": "task", "owner": "bob", "values": {}})
    target = world
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    found = problem("world", world)
    assert found is not None and found.startswith("world at ") and field in found, found


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize("missing", sorted(sample_world()))
def test_world_without_a_field_is_rejected(missing: str) -> None:
    world: dict[str, Any] = dict(sample_world())
    del world[missing]
    assert problem("world", world) == f"world at (root): '{missing}' is a required property"


def test_malformed_transport_messages_are_rejected() -> None:
    bad_op = {"kind": "update", "device": "d0", "table": "t", "row": "r", "values": {}}
    found = problem("request", {"id": 3, "method": "apply", "params": {"operation": bad_op}})
    assert found == "request at /params/operation: 'op_id' is a required property"
    world: Any = sample_world()
    world["devices"][0]["user"] = 7
    found = problem("request", {"id": 1, "method": "setup", "params": {"world": world}})
    assert found is not None and "/params/world/devices/0/user" in found
    assert problem("request", {"id": 1, "method": "setup"}) is not None
    assert problem("request", {"id": -1, "method": "hello"}) is not None
    assert problem("request", {"id": 1, "method": "reset"}) is not None
    assert problem("response", {"id": 1}) is not None
    assert problem("response", {"id": 1, "result": 1, "error": {"message": "x"}}) == (
        "response at /error: {'message': 'x'} is not allowed here"
    )
    assert "/error" in (problem("response", {"id": 1, "error": {"msg": "x"}}) or "")
    assert "/id" in (problem("response", {"id": "1", "result": None}) or "")
    assert "/capabilities" in (
        problem("hello", {"name": "x", "capabilities": ["restart", "restart"]}) or ""
    )
    assert "/capabilities/0" in (problem("hello", {"name": "x", "capabilities": ["sql"]}) or "")


def test_report_with_a_bad_status_is_rejected() -> None:
    assert problem("report", report(status="passed?")) == (
        "report at /rules/0/status: 'passed?' is not one of "
        "['passed', 'partially_exercised', 'failed', 'error', 'not_applicable', "
        "'not_exercised']"
    )
    assert "/rules/0/id" in (problem("report", report(id="stale-1")) or "")
    bad = report()
    bad["rules"][0]["counterexample"]["operations"][0] = {"kind": "create"}
    assert "/rules/0/counterexample/operations/0" in (problem("report", bad) or "")
    bad = report()
    bad["format"] = "offsync-report/1"
    assert "/format" in (problem("report", bad) or "")
    bad = report()
    del bad["families"][0]["message"], bad["rules"][0]["counterexample"]["message"]
    assert problem("report", bad) is None


def test_long_instances_are_shortened_in_the_message() -> None:
    found = problem("observation", {"devices": list(range(1000)), "server": {}})
    assert found is not None and found.startswith("observation at /devices: [0, 1, 2, 3, ...]")
    assert len(found) < 120


def test_check_raises_adapter_error_with_the_message() -> None:
    check("observation", observation())
    with pytest.raises(AdapterError) as raised:
        check("observation", observation(pending="x"))
    assert str(raised.value) == "observation at /devices/d0/pending: 'x' is not of type 'integer'"
