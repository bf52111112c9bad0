"""EVENT-1..2: server-side events take effect at once on the server; bad ones change nothing."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from models import ModelSystem
from models.records import WorldSpec
from tests.models.helpers import (
    ALICE,
    BOB,
    TABLET,
    account,
    add_share,
    assign_role,
    create,
    delete,
    error,
    errors,
    move_user,
    ok,
    reassign,
    refused,
    remove_role,
    server_create,
    server_delete,
    server_ids,
    server_update,
    server_values,
    set_depth,
    set_manager,
    share,
    shown,
    shown_ids,
    sync,
    sync_end,
    sync_start,
    system,
    task,
    unshare,
    update,
    world,
)

# --- EVENT-1: each kind's effect ----------------------------------------------------------


def _effect(event: dict[str, Any], w: WorldSpec | None = None) -> tuple[ModelSystem, Any]:
    """Apply ``event`` (accepted); no device changes before its next sync. Returns the system
    and the observation of the devices just before the event."""
    s = system(w)
    devices_before = copy.deepcopy(s.observe()["devices"])
    ok(s, event)
    assert s.observe()["devices"] == devices_before
    return s, devices_before


@pytest.mark.rule("EVENT-1")
def test_assign_role() -> None:
    s, _ = _effect(assign_role("bob", "reader"))
    sync(s, BOB)
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-sales", "acc-west"]


@pytest.mark.rule("EVENT-1")
def test_remove_role() -> None:
    s, _ = _effect(remove_role("bob", "salesperson"))
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))  # the device still has the old snapshot
    sync(s, BOB)
    assert errors(s, BOB) == [error("task", "t-1", "create", "privilege")]
    assert s.observe()["devices"][BOB]["rows"] == {
        "account": {},
        "contact": {},
        "opportunity": {},
        "task": {},
    }


@pytest.mark.rule("EVENT-1")
def test_set_depth() -> None:
    s, _ = _effect(set_depth("salesperson", "account", "read", "parent_child"))
    sync(s, BOB)
    sync(s, ALICE)
    assert shown_ids(s, BOB, "account") == ["acc-east"]  # east has no child unit
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-sales", "acc-west"]


@pytest.mark.rule("EVENT-1")
def test_set_depth_on_a_privilege_the_role_did_not_mention() -> None:
    s, _ = _effect(set_depth("reader", "task", "write", "organization"))
    ok(s, assign_role("bob", "reader"))
    sync(s, BOB)
    ok(s, update(BOB, "task", "task-east", {"done": True}, "op-1"))


@pytest.mark.rule("EVENT-1")
def test_share() -> None:
    s, _ = _effect(share("acc-west", "bob", "read", "write"))
    sync(s, BOB)
    assert "acc-west" in shown(s, BOB, "account")
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    assert server_values(s, "acc-west")["revenue"] == 1


@pytest.mark.rule("EVENT-1")
def test_share_again_replaces_the_rights() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read", "write")
    s, _ = _effect(share("acc-west", "bob", "read"), w)
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-west", "update", "privilege")]


@pytest.mark.rule("EVENT-1")
def test_unshare() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read")
    s, before = _effect(unshare("acc-west", "bob"), w)
    assert "acc-west" in before[BOB]["rows"]["account"]
    sync(s, BOB)
    assert "acc-west" not in shown(s, BOB, "account")


@pytest.mark.rule("EVENT-1")
def test_set_manager() -> None:
    s, _ = _effect(set_manager("dan", "bob"))
    sync(s, BOB)
    sync(s, ALICE)
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-west"]
    # alice is now dan's second-level manager: she still reads acc-west but may not write it
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-sales", "acc-west"]
    assert s.apply(update(ALICE, "account", "acc-west", {"revenue": 1}, "op-a")) == refused(
        "privilege"
    )
    # bob, dan's direct manager now, writes acc-west but may not delete it (SEC-5)
    assert s.apply(delete(BOB, "account", "acc-west", "op-1")) == refused("privilege")
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-2"))
    sync(s, BOB)
    assert server_values(s, "acc-west")["revenue"] == 1


@pytest.mark.rule("EVENT-1")
def test_set_manager_to_none() -> None:
    s, _ = _effect(set_manager("bob", None))
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-sales", "acc-west"]


@pytest.mark.rule("EVENT-1", "WORLD-2")
def test_move_user() -> None:
    s, _ = _effect(move_user("dan", "east"))
    sync(s, BOB)
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-west"]


@pytest.mark.rule("EVENT-1", "WORLD-2")
def test_reassign() -> None:
    server_before = system().observe()["server"]
    s, _ = _effect(reassign("acc-west", "bob"))
    assert s.observe()["server"] == {
        **server_before,
        "acc-west": {**server_before["acc-west"], "owner": "bob"},
    }
    sync(s, BOB)
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))


@pytest.mark.rule("EVENT-1")
def test_server_create() -> None:
    server_before = system().observe()["server"]
    s, _ = _effect(server_create("account", "acc-new", "bob", account("New")))
    assert s.observe()["server"] == {
        **server_before,
        "acc-new": {"table": "account", "owner": "bob", "values": account("New")},
    }
    sync(s, BOB)
    assert shown(s, BOB, "account")["acc-new"] == account("New")
    ok(s, update(BOB, "account", "acc-new", {"revenue": 1}, "op-1"))


@pytest.mark.rule("EVENT-1")
def test_server_update() -> None:
    s, _ = _effect(server_update("acc-east", {"name": "Renamed", "creditlimit": 1}))
    assert server_values(s, "acc-east") == {
        "name": "Renamed",
        "revenue": 100,
        "primarycontact": "con-east",
        "creditlimit": 1,  # no field-level security on server-side edits
    }
    sync(s, BOB)
    assert shown(s, BOB, "account")["acc-east"] == server_values(s, "acc-east")


@pytest.mark.rule("EVENT-1")
def test_server_delete() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read")
    s, _ = _effect(server_delete("acc-west"), w)
    assert "acc-west" not in server_ids(s)
    sync(s, BOB)
    assert shown_ids(s, BOB, "account") == ["acc-east"]


@pytest.mark.rule("EVENT-1")
def test_events_during_a_cycle_affect_the_download_of_that_cycle() -> None:
    s = system()
    ok(s, sync_start(BOB), sync_start(TABLET))
    ok(s, set_depth("salesperson", "account", "read", "organization"), sync_end(BOB))
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-sales", "acc-west"]
    ok(s, sync_end(TABLET))
    assert shown_ids(s, TABLET, "account") == ["acc-east", "acc-sales", "acc-west"]


@pytest.mark.rule("EVENT-1", "VALID-1")
def test_events_affect_every_later_validation() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, update(TABLET, "account", "acc-east", {"revenue": 2}, "op-2"))
    sync(s, BOB)
    ok(s, set_depth("salesperson", "account", "write", "none"))
    sync(s, TABLET)
    assert errors(s, BOB) == []
    assert errors(s, TABLET) == [error("account", "acc-east", "update", "privilege")]
    assert server_values(s, "acc-east")["revenue"] == 1


# --- EVENT-2: bad events change nothing ---------------------------------------------------

BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("assign-unknown-user", assign_role("ghost", "reader"), "invalid"),
    ("assign-unknown-role", assign_role("bob", "wizard"), "invalid"),
    ("assign-no-user", {"kind": "assign_role", "role": "reader"}, "invalid"),
    ("remove-unknown-user", remove_role("ghost", "salesperson"), "invalid"),
    ("remove-unknown-role", remove_role("bob", "wizard"), "invalid"),
    ("depth-unknown-role", set_depth("wizard", "account", "read", "organization"), "invalid"),
    ("depth-unknown-table", set_depth("salesperson", "invoice", "read", "user"), "invalid"),
    ("depth-unknown-depth", set_depth("salesperson", "account", "read", "galaxy"), "invalid"),
    ("depth-unknown-privilege", set_depth("salesperson", "account", "assign", "user"), "invalid"),
    ("share-unknown-user", share("acc-west", "ghost", "read"), "invalid"),
    ("share-bad-right", share("acc-west", "bob", "read", "own"), "invalid"),
    ("share-missing-row", share("acc-gone", "bob", "read"), "not_found"),
    ("unshare-unknown-user", unshare("acc-west", "ghost"), "invalid"),
    ("unshare-missing-row", unshare("acc-gone", "bob"), "not_found"),
    ("manager-unknown-user", set_manager("ghost", "alice"), "invalid"),
    ("manager-unknown-manager", set_manager("bob", "ghost"), "invalid"),
    ("manager-cycle", set_manager("carol", "bob"), "invalid"),
    ("manager-self", set_manager("bob", "bob"), "invalid"),
    ("move-unknown-user", move_user("ghost", "east"), "invalid"),
    ("move-unknown-unit", move_user("dan", "atlantis"), "invalid"),
    ("reassign-unknown-owner", reassign("acc-west", "ghost"), "invalid"),
    ("reassign-missing-row", reassign("acc-gone", "bob"), "not_found"),
    ("create-unknown-table", server_create("invoice", "inv-1", "bob", {}), "invalid"),
    ("create-unknown-owner", server_create("account", "acc-x", "ghost", account()), "invalid"),
    ("create-missing-column", server_create("task", "t-x", "bob", {"subject": "S"}), "invalid"),
    ("create-bad-value", server_create("task", "t-x", "bob", task(subject="")), "invalid"),
    ("create-existing-id", server_create("account", "acc-west", "bob", account()), "invalid"),
    ("update-unknown-column", server_update("acc-west", {"rating": 1}), "invalid"),
    ("update-bad-value", server_update("acc-west", {"revenue": "lots"}), "invalid"),
    ("update-no-values", server_update("acc-west", {}), "invalid"),
    ("update-missing-row", server_update("acc-gone", {"revenue": 1}), "not_found"),
    ("delete-missing-row", server_delete("acc-gone"), "not_found"),
]


def _sync_everyone(s: ModelSystem) -> None:
    for device in (BOB, TABLET, ALICE):
        sync(s, device)


@pytest.mark.rule("EVENT-2")
@pytest.mark.parametrize(
    ("event", "reason"), [(e, r) for _, e, r in BAD_EVENTS], ids=[i for i, _, _ in BAD_EVENTS]
)
def test_bad_event_is_refused_and_changes_nothing(event: dict[str, Any], reason: str) -> None:
    s, control = system(), system()
    before = s.observe()
    assert s.apply(event) == refused(reason)
    assert s.observe() == before
    # nothing hidden changed either: the same later history gives the same observations
    probe = [
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        update(ALICE, "account", "acc-west", {"revenue": 2}, "op-2"),
    ]
    for sys_ in (s, control):
        ok(sys_, *probe)
        _sync_everyone(sys_)
    assert s.observe() == control.observe()


@pytest.mark.rule("EVENT-2")
def test_bad_event_during_a_cycle_changes_nothing() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"), sync_start(BOB))
    before = s.observe()
    assert s.apply(set_manager("alice", "bob")) == refused("invalid")
    assert s.observe() == before
    ok(s, sync_end(BOB))
    assert errors(s, BOB) == []


@pytest.mark.rule("EVENT-2")
def test_refused_reassign_keeps_the_owner() -> None:
    s = system()
    assert s.apply(reassign("acc-east", "ghost")) == refused("invalid")
    assert s.observe()["server"]["acc-east"]["owner"] == "bob"
