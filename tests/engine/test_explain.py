"""Blame on its own: which rule an explanation names first for a given model state."""

from __future__ import annotations

from conformance.engine.compare import MISSING
from conformance.engine.explain import explain_upload, security_rules
from models.examples import sample_world
from models.records import WorldSpec
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


def _appending_world() -> WorldSpec:
    """The sample world with Append privileges: salespeople append to and from their rows."""
    world = sample_world()
    world["append_privileges"] = True
    for role in world["roles"]:
        for privileges in role["privileges"].values():
            privileges |= {"append": "user", "append_to": "user"}
    return world


def _upload(system: ModelSystem, *ops: dict[str, object]) -> None:
    for op in (*ops, {"kind": "sync_start", "device": "bob-phone"}):
        assert system.apply(op)["status"] == "accepted", op  # type: ignore[arg-type]


def test_a_secured_column_set_with_a_lookup_names_field_security_before_append() -> None:
    # bob holds Append and Append To (his account, his contact) but may not set the credit
    # limit: the model rejects the update for that column. An implementation that applies
    # it skipped field-level security (SEC-7); Append (SEC-11) decided nothing here.
    system = ModelSystem(_appending_world())
    _upload(
        system,
        {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
         "values": {"creditlimit": 1, "primarycontact": "con-east"}, "op_id": "o1"},
    )  # fmt: skip
    assert system.server.applied["o1"] is not None  # rejected: privilege
    rules = explain_upload(system, "bob-phone", "acc-east")
    assert rules[0] == "SEC-7" and "SEC-11" in rules, rules


def test_a_lookup_update_the_model_applied_names_validation_before_append() -> None:
    # the same update without the secured column is applied. An implementation that drops
    # or refuses it got validation wrong before it got Append wrong (mutants of the sample's
    # value checks, row lookup and upload chunking all failed here first): VALID-1 first,
    # SEC-11 still among the suspects.
    system = ModelSystem(_appending_world())
    _upload(
        system,
        {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
         "values": {"primarycontact": "con-east"}, "op_id": "o1"},
    )  # fmt: skip
    assert system.server.applied["o1"] is None  # applied
    rules = explain_upload(system, "bob-phone", "acc-east")
    assert rules[0] == "VALID-1" and "SEC-11" in rules, rules


def test_a_right_only_a_teams_role_could_give_names_the_teams_rule_first() -> None:
    # tom holds no role of his own; east-team's role gives him account rows at User depth,
    # from the team. bob's row is not the team's: an implementation that shows it to tom
    # let a team's role reach too far (SEC-9); no depth of tom's own was involved (SEC-1).
    from tests.models.helpers import (
        account,
        add_device,
        add_role,
        add_row,
        add_team,
        add_user,
        world,
    )

    w = world()
    w["hierarchy"]["enabled"] = False
    add_role(w, "team-role", {"account": {"read": "user"}})
    add_user(w, "tom", "service", roles=())
    add_device(w, "tom-phone", "tom")
    add_team(w, "east-team", "east", members=("bob", "tom"), roles=("team-role",))
    add_row(w, "acc-team", "account", "east-team", account("T"))
    add_role(w, "own-reader", {"account": {"read": "user"}})
    add_user(w, "ann", "east", roles=("own-reader",))
    add_team(w, "west-team", "west", members=("dan",), roles=())
    add_row(w, "acc-wt", "account", "west-team", account("W"))
    system = ModelSystem(w)
    assert security_rules(system, "tom", "acc-east", "read")[:2] == ["SEC-9", "SEC-1"]
    # the team's own row, which tom reads through the team alone: hidden, the team's rule
    assert "acc-team" in system.server.download("tom").rows
    assert security_rules(system, "tom", "acc-team", "read")[0] == "SEC-9"
    # ann's own role reaches her own rows only; a team owns this one: the team's rule first
    assert security_rules(system, "ann", "acc-wt", "read")[:2] == ["SEC-9", "SEC-1"]
    # dan's row in west is out of bob's Business Unit depth: bob's own role decides first
    assert security_rules(system, "bob", "acc-west", "read")[0] == "SEC-1"


def test_a_difference_in_a_related_table_comes_after_the_rows_it_relates_to() -> None:
    # a device shows a related account (PROFILE-7) because it shows the contact the account
    # names, which it must not: the contact's difference says what broke
    from conformance.engine.driver import root_difference

    w = sample_world(profile={"account": "related", "contact": "all"})
    model = {"server": {}, "devices": {"d": {"rows": {"account": {}, "contact": {}}}}}
    iut = {"server": {}, "devices": {"d": {"rows": {"account": {"a": {}}, "contact": {"c": {}}}}}}
    assert root_difference(model, iut, w) == ("/devices/d/rows/contact/c", MISSING, {})
    # alone, or with no related table, the related row's difference is the one
    iut["devices"]["d"]["rows"]["contact"] = {}
    assert root_difference(model, iut, w) == ("/devices/d/rows/account/a", MISSING, {})
    # a device whose rows are missing altogether is told with all its tables
    del iut["devices"]["d"]["rows"]
    assert root_difference(model, iut, w) == (
        "/devices/d/rows",
        model["devices"]["d"]["rows"],
        MISSING,
    )


def test_a_row_the_model_shows_names_the_filter_among_the_suspects() -> None:
    # bob reads his account and the "all" filter passes it: an implementation that hides it
    # judged his rights otherwise, or evaluated the filter wrongly (PROFILE-5)
    from conformance.engine.explain import explain_row

    system = ModelSystem(sample_world())
    rules = explain_row(system, "bob-phone", "acc-east")
    assert rules[0] == "SEC-1" and "PROFILE-5" in rules, rules
    # a row he may not read: no filter shows it, whatever it is
    assert "PROFILE-5" not in explain_row(system, "bob-phone", "acc-west")


def test_a_read_refused_where_the_model_answered_names_the_local_decision_first() -> None:
    from conformance.engine.compare import blame

    rows = {"status": "accepted", "rows": {}}
    refused = {"status": "refused", "reason": "invalid"}
    assert blame("read", "/result", rows, refused, ())[:2] == ["DEVICE-1", "SYNC-6"]
    # answered both, with other rows: what a read shows (SYNC-6)
    assert blame("read", "/result", rows, {"status": "accepted", "rows": {"a": {}}}, ())[0] == (
        "SYNC-6"
    )
