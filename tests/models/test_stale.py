"""STALE-1..4: between syncs the device keeps what it knew; the next sync brings the change."""

from __future__ import annotations

from typing import Any

import pytest

from models.records import WorldSpec
from tests.models.helpers import (
    ACCEPTED,
    BOB,
    TABLET,
    account,
    add_row,
    add_share,
    add_user,
    assign_role,
    create,
    delete,
    error,
    errors,
    move_user,
    ok,
    read,
    reassign,
    refused,
    remove_role,
    role_spec,
    server_create,
    server_delete,
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


def _shared_read_world() -> WorldSpec:
    """bob also reads acc-west (dan's) through a share; he may not write it."""
    w = world()
    add_share(w, "acc-west", "bob", "read")
    return w


# --- STALE-1 ------------------------------------------------------------------------------


@pytest.mark.rule("STALE-1")
@pytest.mark.parametrize(
    "revoke",
    [
        set_depth("salesperson", "account", "write", "none"),
        remove_role("bob", "salesperson"),
        reassign("acc-east", "dan"),
        move_user("bob", "west"),
    ],
    ids=["depth", "role", "reassign", "move"],
)
def test_revoked_write_still_lets_the_user_edit_offline(revoke: dict[str, Any]) -> None:
    s = system()
    ok(s, revoke)
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        update(TABLET, "account", "acc-east", {"revenue": 2}, "op-2"),
    )
    assert shown(s, BOB, "account")["acc-east"]["revenue"] == 1


@pytest.mark.rule("STALE-1")
def test_revoked_delete_and_create_still_allowed_offline() -> None:
    s = system()
    ok(
        s,
        set_depth("salesperson", "task", "delete", "none"),
        set_depth("salesperson", "task", "create", "none"),
    )
    ok(s, delete(BOB, "task", "task-east", "op-1"), create(BOB, "task", "t-1", task(), "op-2"))
    assert shown_ids(s, BOB, "task") == ["t-1"]


@pytest.mark.rule("STALE-1")
@pytest.mark.parametrize(
    "grant",
    [
        set_depth("salesperson", "account", "write", "organization"),
        share("acc-west", "bob", "read", "write"),
        reassign("acc-west", "bob"),
        set_manager("dan", "bob"),
    ],
    ids=["depth", "share", "reassign", "manager"],
)
def test_newly_granted_write_is_still_refused_offline(grant: dict[str, Any]) -> None:
    s = system(_shared_read_world())
    ok(s, grant)
    before = s.observe()
    assert s.apply(update(BOB, "account", "acc-west", {"revenue": 1}, "op-1")) == refused(
        "privilege"
    )
    assert s.observe() == before


@pytest.mark.rule("STALE-1")
def test_newly_granted_create_is_still_refused_offline() -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["task"]["create"] = "none"
    s = system(w)
    ok(s, set_depth("salesperson", "task", "create", "user"))
    assert s.apply(create(BOB, "task", "t-1", task(), "op-1")) == refused("privilege")
    sync(s, BOB)
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))


@pytest.mark.rule("STALE-1")
@pytest.mark.parametrize(
    ("own_rights", "update_ok", "delete_ok"),
    [
        ({"write": "user", "delete": "user"}, True, True),
        ({"write": "none", "delete": "user"}, False, True),
        ({"write": "organization", "delete": "none"}, True, False),
    ],
)
def test_own_created_row_uses_the_snapshots_own_row_rights(
    own_rights: dict[str, str], update_ok: bool, delete_ok: bool
) -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["task"].update(own_rights)
    s = system(w)
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))
    expected_update = ACCEPTED if update_ok else refused("privilege")
    expected_delete = ACCEPTED if delete_ok else refused("privilege")
    assert s.apply(update(BOB, "task", "t-1", {"done": True}, "op-2")) == expected_update
    assert s.apply(delete(BOB, "task", "t-1", "op-3")) == expected_delete


@pytest.mark.rule("STALE-1")
def test_own_created_row_keeps_the_snapshot_after_a_server_revoke() -> None:
    s = system()
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))
    ok(s, set_depth("salesperson", "task", "write", "none"))
    ok(s, update(BOB, "task", "t-1", {"done": True}, "op-2"))
    assert shown(s, BOB, "task")["t-1"] == {"subject": "Call", "done": True}


@pytest.mark.rule("STALE-1", "SYNC-7")
def test_snapshot_is_kept_during_a_cycle() -> None:
    s = system(_shared_read_world())
    ok(s, set_depth("salesperson", "account", "write", "organization"), sync_start(BOB))
    assert s.apply(update(BOB, "account", "acc-west", {"revenue": 1}, "op-1")) == refused(
        "privilege"
    )
    ok(s, sync_end(BOB), update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))


# --- STALE-2 ------------------------------------------------------------------------------

NEWLY_READABLE: list[tuple[str, dict[str, Any], str]] = [
    ("depth", set_depth("salesperson", "account", "read", "organization"), "acc-west"),
    ("role", assign_role("bob", "reader"), "acc-west"),
    ("share", share("acc-west", "bob", "read"), "acc-west"),
    ("reassign", reassign("acc-west", "bob"), "acc-west"),
    ("manager", set_manager("dan", "bob"), "acc-west"),
    ("move-owner", move_user("dan", "east"), "acc-west"),
    ("move-user", move_user("bob", "west"), "acc-west"),
    ("integration-create", server_create("account", "acc-new", "bob", account()), "acc-new"),
]


@pytest.mark.rule("STALE-2", "STALE-4", "EVENT-1")
@pytest.mark.parametrize(
    ("event", "row"), [(e, r) for _, e, r in NEWLY_READABLE], ids=[i for i, _, _ in NEWLY_READABLE]
)
def test_newly_readable_row_waits_for_the_next_sync(event: dict[str, Any], row: str) -> None:
    s = system()
    ok(s, event)
    assert row not in shown(s, BOB, "account")
    assert row not in s.apply(read(BOB, "account"))["rows"]
    ok(s, sync_start(BOB))
    assert row not in shown(s, BOB, "account")  # not before the cycle ends
    ok(s, sync_end(BOB))
    assert row in shown(s, BOB, "account")
    assert row not in shown(s, TABLET, "account")  # the other device has not synced


# --- STALE-3 ------------------------------------------------------------------------------


def _stale3_world() -> WorldSpec:
    """bob reads acc-west through a share, and acc-frank as a row of his unit (east)."""
    w = _shared_read_world()
    add_user(w, "frank", "east")
    add_row(w, "acc-frank", "account", "frank", account("Frank"))
    return w


NO_LONGER_READABLE: list[tuple[str, dict[str, Any], str]] = [
    ("depth", set_depth("salesperson", "account", "read", "none"), "acc-east"),
    ("role", remove_role("bob", "salesperson"), "acc-east"),
    ("unshare", unshare("acc-west", "bob"), "acc-west"),
    ("reassign", reassign("acc-east", "dan"), "acc-east"),
    ("move-owner", move_user("frank", "west"), "acc-frank"),
    ("move-user", move_user("bob", "west"), "acc-frank"),
    ("other-user-delete", server_delete("acc-east"), "acc-east"),
]


@pytest.mark.rule("STALE-3", "STALE-4", "EVENT-1")
@pytest.mark.parametrize(
    ("event", "row"),
    [(e, r) for _, e, r in NO_LONGER_READABLE],
    ids=[i for i, _, _ in NO_LONGER_READABLE],
)
def test_row_no_longer_readable_stays_until_the_next_sync(event: dict[str, Any], row: str) -> None:
    s = system(_stale3_world())
    before = shown(s, BOB, "account")
    assert sorted(before) == ["acc-east", "acc-frank", "acc-west"]
    ok(s, event)
    assert shown(s, BOB, "account") == before
    assert s.apply(read(BOB, "account"))["rows"] == before
    ok(s, sync_start(BOB))
    assert shown(s, BOB, "account") == before
    ok(s, sync_end(BOB))
    assert row not in shown(s, BOB, "account")
    assert shown(s, TABLET, "account") == before


@pytest.mark.rule("STALE-3", "STALE-1")
def test_row_no_longer_readable_can_still_be_edited_offline() -> None:
    s = system()
    ok(s, reassign("acc-east", "dan"))
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert "acc-east" not in shown(s, BOB, "account")


# --- STALE-4 ------------------------------------------------------------------------------


@pytest.mark.rule("STALE-4")
def test_revoked_write_reaches_the_device_at_the_next_sync() -> None:
    s = system()
    ok(s, set_depth("salesperson", "account", "write", "none"))
    sync(s, BOB)
    assert s.apply(update(BOB, "account", "acc-east", {"revenue": 1}, "op-1")) == refused(
        "privilege"
    )
    # the other device of the same user still has its own old snapshot
    ok(s, update(TABLET, "account", "acc-east", {"revenue": 1}, "op-2"))


@pytest.mark.rule("STALE-4")
def test_granted_write_reaches_the_device_at_the_next_sync() -> None:
    s = system(_shared_read_world())
    ok(s, share("acc-west", "bob", "read", "write"))
    sync(s, BOB)
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))


@pytest.mark.rule("STALE-4")
def test_own_row_rights_are_replaced_at_the_next_sync() -> None:
    s = system()
    ok(s, set_depth("salesperson", "task", "write", "none"))
    sync(s, BOB)
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))
    assert s.apply(update(BOB, "task", "t-1", {"done": True}, "op-2")) == refused("privilege")


@pytest.mark.rule("STALE-4", "SYNC-4")
def test_download_replaces_the_cache_with_the_projection() -> None:
    s = system()
    ok(
        s,
        set_depth("salesperson", "account", "read", "organization"),
        set_depth("salesperson", "task", "read", "none"),
        {"kind": "server_update", "row": "con-east", "values": {"email": "ana@x.org"}},
    )
    sync(s, BOB)
    rows = s.observe()["devices"][BOB]["rows"]
    server = s.observe()["server"]
    assert rows == {
        "account": {r: server[r]["values"] for r in ("acc-east", "acc-sales", "acc-west")},
        "contact": {"con-east": {"fullname": "Ana Ruiz", "email": "ana@x.org"}},
        "opportunity": {},
        "task": {},
    }


@pytest.mark.rule("STALE-4", "SYNC-8")
def test_restart_does_not_refresh_the_snapshot() -> None:
    s = system()
    ok(s, set_depth("salesperson", "account", "write", "none"), {"kind": "restart", "device": BOB})
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
