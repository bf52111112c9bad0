"""Blame on its own: which rule an explanation names first for a given model state."""

from __future__ import annotations

from conformance.engine.explain import explain_upload, security_rules
from models.examples import sample_world
from models.system import ModelSystem


def test_a_row_left_unchanged_after_a_secured_update_is_blamed_on_field_security() -> None:
    # bob may write his account but not set its secured credit limit: the model rejects
    # that update (SEC-7) and applies the next one. An implementation that sends a row's
    # edits as one (PouchDB's finding 3) leaves the name unchanged too: the question is
    # field-level security, not bob's roles or depths.
    system = ModelSystem(sample_world())
    for op in (
        {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
         "values": {"creditlimit": 1}, "op_id": "o1"},
        {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
         "values": {"name": "N"}, "op_id": "o2"},
        {"kind": "sync_start", "device": "bob-phone"},
    ):  # fmt: skip
        assert system.apply(op)["status"] == "accepted", op  # type: ignore[arg-type]
    assert system.server.rows["acc-east"].values["name"] == "N"
    assert explain_upload(system, "bob-phone", "acc-east")[0] == "SEC-7"


def test_a_row_whose_unit_moved_with_its_owner_names_world_2_before_depths() -> None:
    # alice (sales) reads rows of her unit; bob's account is in east until bob moves to sales.
    # An implementation that keeps the row in east hides it from her: its unit did not
    # follow its owner (WORLD-2), not a depth evaluated wrongly (SEC-1).
    system = ModelSystem(sample_world())
    assert security_rules(system, "alice", "acc-east", "read")[0] != "WORLD-2"
    assert system.apply({"kind": "move_user", "user": "bob", "business_unit": "sales"}) == {
        "status": "accepted"
    }
    assert security_rules(system, "alice", "acc-east", "read")[0] == "WORLD-2"
    # a right decided at User depth does not involve units: depth first still
    assert security_rules(system, "bob", "acc-east", "write")[0] != "WORLD-2"


def test_a_change_rejected_as_a_conflict_names_the_conflict_rules_before_validation() -> None:
    # server_wins: bob edits his account offline, someone else edits it on the server first.
    # An implementation that applies bob's update anyway broke the conflict policy
    # (CONFLICT-3, what counts as one: CONFLICT-1), not validation in general (VALID-1).
    system = ModelSystem(sample_world(conflict_policy="server_wins"))
    for op in (
        {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
         "values": {"name": "Mine"}, "op_id": "o1"},
        {"kind": "server_update", "row": "acc-east", "values": {"revenue": 5}},
        {"kind": "sync_start", "device": "bob-phone"},
    ):  # fmt: skip
        assert system.apply(op)["status"] == "accepted", op  # type: ignore[arg-type]
    assert system.server.applied["o1"] is not None  # rejected: conflict
    assert "VALID-3.conflict" in system.last_clauses
    assert explain_upload(system, "bob-phone", "acc-east")[:2] == ["CONFLICT-3", "CONFLICT-1"]
