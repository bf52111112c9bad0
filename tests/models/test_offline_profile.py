"""PROFILE-6 (per-table offline operations) and PROFILE-8 (Read on the offline profile)."""

from __future__ import annotations

from typing import Any

import pytest

from models.world import InvalidWorld, build_world
from tests.models.helpers import (
    ALICE,
    BOB,
    TABLET,
    account,
    create,
    delete,
    error,
    errors,
    ok,
    pending,
    read,
    refused,
    server_ids,
    set_depth,
    shown_ids,
    sync,
    sync_end,
    sync_start,
    system,
    task,
    update,
    world,
)


def limited(operations: list[str], table: str = "account") -> Any:
    w = world()
    for t in w["tables"]:
        if t["name"] == table:
            t["offline_operations"] = operations  # type: ignore[typeddict-item]
    return w


def grant_profile(user: str) -> dict[str, Any]:
    return {"kind": "grant_profile", "user": user}


def revoke_profile(user: str) -> dict[str, Any]:
    return {"kind": "revoke_profile", "user": user}


def observed(s: Any, device: str) -> Any:
    return s.observe()["devices"][device]


# --- PROFILE-6 ----------------------------------------------------------------------------


@pytest.mark.rule("PROFILE-6")
@pytest.mark.parametrize(
    ("operations", "allowed", "barred"),
    [
        (["read"], [], ["create", "update", "delete"]),
        (["read", "delete"], ["delete"], ["create", "update"]),
        (["create", "read", "update"], ["create", "update"], ["delete"]),
    ],
)
def test_an_operation_the_table_does_not_allow_offline_is_refused_and_nothing_is_queued(
    operations: list[str], allowed: list[str], barred: list[str]
) -> None:
    edits = {
        "create": create(BOB, "account", "acc-new", account(), "o1"),
        "update": update(BOB, "account", "acc-east", {"revenue": 9}, "o2"),
        "delete": delete(BOB, "account", "acc-east", "o3"),
    }
    for kind in barred:
        s = system(limited(operations))
        before = observed(s, BOB)
        assert s.apply(edits[kind]) == refused("not_supported_offline"), kind  # type: ignore[arg-type]
        assert observed(s, BOB) == before
    for kind in allowed:
        s = system(limited(operations))
        assert s.apply(edits[kind])["status"] == "accepted", kind  # type: ignore[arg-type]
        assert pending(s, BOB) == 1
    s = system(limited(operations))
    assert s.apply(read(BOB, "account"))["status"] == "accepted"  # type: ignore[arg-type]
    assert "PROFILE-6" in s.devices[BOB].trace


@pytest.mark.rule("PROFILE-6", "DEVICE-1")
def test_not_supported_offline_comes_after_not_offline_and_before_every_other_check() -> None:
    s = system(limited(["read"], table="task"))
    # task is on the device: an update of a row that does not exist is still refused for
    # the operation first; a table that is not on the device is not_offline first
    assert s.apply(update(BOB, "task", "nothing", {"done": True}, "o1")) == refused(
        "not_supported_offline"
    )
    w = limited(["read"], table="task")
    w["profile"].pop("task")
    s = system(w)
    assert s.apply(update(BOB, "task", "task-east", {"done": True}, "o1")) == refused("not_offline")


@pytest.mark.rule("PROFILE-6")
def test_server_events_are_not_limited_by_offline_operations() -> None:
    s = system(limited(["read"]))
    ok(s, {"kind": "server_delete", "row": "acc-east"})  # type: ignore[arg-type]
    assert "acc-east" not in server_ids(s)


@pytest.mark.rule("PROFILE-6", "WORLD-1")
@pytest.mark.parametrize("operations", [["create", "update"], ["read", "read"], ["read", "x"]])
def test_a_world_with_bad_offline_operations_is_refused_naming_the_table(
    operations: list[str],
) -> None:
    with pytest.raises(InvalidWorld, match="'account'.*PROFILE-6"):
        build_world(limited(operations))


# --- PROFILE-8 ----------------------------------------------------------------------------


def without_profile(*users: str) -> Any:
    w = world()
    w["profile_users"] = [u["id"] for u in w["users"] if u["id"] not in users]
    return w


@pytest.mark.rule("PROFILE-8")
def test_a_device_of_a_user_without_the_profile_has_no_tables_and_refuses_everything() -> None:
    s = system(without_profile("bob"))
    seen = observed(s, BOB)
    assert (seen["rows"], seen["views"], seen["metadata_tables"]) == ({}, [], [])
    for op in (
        read(BOB, "account"),
        create(BOB, "account", "acc-new", account(), "o1"),
        update(BOB, "account", "acc-east", {"revenue": 9}, "o2"),
        delete(BOB, "task", "task-east", "o3"),
    ):
        assert s.apply(op) == refused("not_offline"), op  # type: ignore[arg-type]
    sync(s, BOB)  # it still syncs
    assert observed(s, BOB)["metadata_tables"] == []
    assert observed(s, ALICE)["metadata_tables"] == ["account", "contact", "opportunity", "task"]


@pytest.mark.rule("PROFILE-8", "STALE-4")
def test_a_grant_reaches_the_device_at_its_next_completed_cycle() -> None:
    s = system(without_profile("bob"))
    ok(s, grant_profile("bob"))  # type: ignore[arg-type]
    assert observed(s, BOB)["metadata_tables"] == []
    assert s.apply(read(BOB, "account")) == refused("not_offline")  # type: ignore[arg-type]
    ok(s, sync_start(BOB))
    assert observed(s, BOB)["metadata_tables"] == []  # not before the end of the cycle
    ok(s, sync_end(BOB))
    assert observed(s, BOB)["metadata_tables"] == ["account", "contact", "opportunity", "task"]
    assert "acc-east" in shown_ids(s, BOB, "account")
    ok(s, create(BOB, "task", "task-new", task(), "o1"))


@pytest.mark.rule("PROFILE-8", "VALID-1")
def test_a_revocation_keeps_the_device_until_its_next_cycle_which_uploads_what_is_pending() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 9}, "o1"))
    ok(s, delete(BOB, "task", "task-east", "o2"))
    ok(s, set_depth("salesperson", "task", "delete", "none"))  # refused at sync: privilege
    ok(s, revoke_profile("bob"))  # type: ignore[arg-type]
    assert "acc-east" in shown_ids(s, BOB, "account")  # until the next cycle
    ok(s, update(BOB, "account", "acc-east", {"revenue": 10}, "o3"))
    sync(s, BOB)
    assert s.server.rows["acc-east"].values["revenue"] == 10  # nothing was lost
    assert errors(s, BOB) == [error("task", "task-east", "delete", "privilege")]
    seen = observed(s, BOB)
    assert (seen["rows"], seen["metadata_tables"], seen["pending"]) == ({}, [], 0)
    # the other device of the same user learns it at its own next cycle
    assert observed(s, TABLET)["metadata_tables"] != []
    sync(s, TABLET)
    assert observed(s, TABLET)["metadata_tables"] == []


@pytest.mark.rule("PROFILE-8", "EVENT-1", "EVENT-2")
def test_membership_events_are_idempotent_and_name_a_known_user() -> None:
    s = system(without_profile("bob"))
    ok(s, revoke_profile("bob"), grant_profile("alice"))  # type: ignore[arg-type]
    assert s.apply({"kind": "grant_profile", "user": "nobody"}) == refused("invalid")
    assert s.apply({"kind": "grant_profile"}) == refused("invalid")
    assert s.server.directory.profile_members == {"alice", "carol", "dan", "erin"}


@pytest.mark.rule("PROFILE-8", "WORLD-1")
def test_a_world_naming_an_unknown_profile_user_is_refused() -> None:
    w = world()
    w["profile_users"] = ["bob", "ghost"]
    with pytest.raises(InvalidWorld, match="profile users.*ghost"):
        build_world(w)


@pytest.mark.rule("PROFILE-8", "VALID-5")
def test_without_the_profile_a_sync_error_can_be_dismissed_but_not_retried() -> None:
    s = system()
    ok(s, delete(BOB, "task", "task-east", "o1"))
    ok(s, set_depth("salesperson", "task", "delete", "none"))  # refused at sync: privilege
    ok(s, revoke_profile("bob"))  # type: ignore[arg-type]
    sync(s, BOB)
    assert errors(s, BOB) == [error("task", "task-east", "delete", "privilege")]
    retry = {"kind": "retry", "device": BOB, "error": "o1", "op_id": "o2"}
    assert s.apply(retry) == refused("not_offline")  # type: ignore[arg-type]
    assert pending(s, BOB) == 0
    ok(s, {"kind": "dismiss", "device": BOB, "error": "o1"})  # type: ignore[arg-type]
    assert errors(s, BOB) == []
