"""VALID-1..4: uploaded changes are validated when applied, with one error per rejection."""

from __future__ import annotations

import pytest

from models.server import Change
from tests.models.helpers import (
    ALICE,
    BOB,
    TABLET,
    account,
    add_share,
    contact,
    create,
    delete,
    error,
    errors,
    full_error,
    ok,
    open_errors,
    reassign,
    refused,
    restart,
    server_create,
    server_delete,
    server_ids,
    server_update,
    server_values,
    set_depth,
    share,
    shown,
    shown_ids,
    sync,
    sync_end,
    sync_start,
    system,
    task,
    update,
    world,
)

REVOKE_WRITE = set_depth("salesperson", "account", "write", "none")
RESTORE_WRITE = set_depth("salesperson", "account", "write", "user")

# --- VALID-1 ------------------------------------------------------------------------------


@pytest.mark.rule("VALID-1")
def test_change_is_validated_at_sync_not_when_made() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"), REVOKE_WRITE)
    server_before = s.observe()["server"]
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert s.observe()["server"] == server_before


@pytest.mark.rule("VALID-1")
def test_privilege_restored_before_sync_lets_the_change_through() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, RESTORE_WRITE)
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east")["revenue"] == 1


@pytest.mark.rule("VALID-1", "SYNC-3")
def test_change_is_applied_at_cycle_start_so_later_revokes_do_not_reject_it() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"), sync_start(BOB))
    assert server_values(s, "acc-east")["revenue"] == 1
    ok(s, REVOKE_WRITE, sync_end(BOB))
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east")["revenue"] == 1


@pytest.mark.rule("VALID-1")
def test_rejected_changes_of_every_kind_change_nothing_on_the_server() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-2"),
        delete(BOB, "contact", "con-east", "op-3"),
        set_depth("salesperson", "task", "create", "none"),
        REVOKE_WRITE,
        set_depth("salesperson", "contact", "delete", "none"),
    )
    server_before = s.observe()["server"]
    sync(s, BOB)
    assert [e["reason"] for e in errors(s, BOB)] == ["privilege"] * 3
    assert s.observe()["server"] == server_before


@pytest.mark.rule("VALID-1")
def test_validation_uses_the_servers_current_data() -> None:
    s = system(world(conflict_policy="server_wins"))
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, server_update("acc-east", {"name": "Changed"}))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "conflict")]


# --- VALID-2 ------------------------------------------------------------------------------


@pytest.mark.rule("VALID-2")
def test_one_error_per_rejected_change_in_upload_order() -> None:
    s = system()
    ok(
        s,
        update(BOB, "task", "task-east", {"done": True}, "op-1"),  # accepted
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-2"),  # privilege
        create(BOB, "account", "acc-west", account(), "op-3"),  # invalid: exists on the server
        update(BOB, "contact", "con-east", {"email": "a@b.c"}, "op-4"),  # not_found
        create(BOB, "task", "t-1", task(), "op-5"),  # accepted
        update(BOB, "account", "acc-east", {"name": "Again"}, "op-6"),  # privilege again
    )
    ok(s, REVOKE_WRITE, server_delete("con-east"))
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("account", "acc-east", "update", "privilege"),
        error("account", "acc-west", "create", "invalid"),
        error("contact", "con-east", "update", "not_found"),
        error("account", "acc-east", "update", "privilege"),
    ]
    assert server_values(s, "task-east")["done"] is True
    assert "t-1" in server_ids(s)


@pytest.mark.rule("VALID-2")
def test_errors_stay_open_across_cycles_in_the_order_they_were_recorded() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    first = [error("account", "acc-east", "update", "privilege")]
    assert errors(s, BOB) == first
    ok(s, delete(BOB, "task", "task-east", "op-2"), server_delete("task-east"), sync_start(BOB))
    assert errors(s, BOB) == first  # kept while the next cycle is under way
    ok(s, sync_end(BOB))
    assert errors(s, BOB) == [*first, error("task", "task-east", "delete", "not_found")]
    sync(s, BOB)  # a cycle that rejects nothing removes nothing
    assert errors(s, BOB) == [*first, error("task", "task-east", "delete", "not_found")]


@pytest.mark.rule("VALID-2")
def test_an_error_names_the_changes_values_and_operation_id() -> None:
    s = system()
    ok(
        s,
        REVOKE_WRITE,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        create(BOB, "account", "acc-west", account(name="Twin"), "op-2"),  # invalid: exists
        delete(BOB, "contact", "con-east", "op-3"),
        server_delete("con-east"),
    )
    sync(s, BOB)
    assert open_errors(s, BOB) == [
        full_error("account", "acc-east", "update", "privilege", {"revenue": 1}, "op-1"),
        full_error("account", "acc-west", "create", "invalid", account(name="Twin"), "op-2"),
        full_error("contact", "con-east", "delete", "not_found", {}, "op-3"),
    ]


@pytest.mark.rule("VALID-2", "FAULT-2", "SYNC-5")
def test_a_batch_uploaded_again_after_a_lost_answer_records_one_error() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    assert s.apply({**sync_start(BOB), "fault": "response_lost"}) == refused("network")
    assert errors(s, BOB) == []  # nothing is recorded by a cycle that did not complete
    ok(s, sync_start(BOB), restart(BOB))  # uploaded again, then abandoned
    sync(s, BOB)  # and again: the first outcome, recorded once
    assert open_errors(s, BOB) == [
        full_error("account", "acc-east", "update", "privilege", {"revenue": 1}, "op-1")
    ]
    sync(s, BOB)
    assert len(open_errors(s, BOB)) == 1


@pytest.mark.rule("VALID-2")
def test_errors_belong_to_the_device_that_uploaded() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    sync(s, TABLET)
    sync(s, ALICE)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert errors(s, TABLET) == []
    assert errors(s, ALICE) == []


# --- VALID-3 ------------------------------------------------------------------------------


@pytest.mark.rule("VALID-3")
@pytest.mark.parametrize("kind", ["update", "delete"])
def test_change_to_a_row_gone_from_the_server_is_not_found(kind: str) -> None:
    s = system(world(conflict_policy="server_wins"))
    edit = (
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1")
        if kind == "update"
        else delete(BOB, "account", "acc-east", "op-1")
    )
    # not_found comes first even when privilege is also gone
    ok(s, edit, server_delete("acc-east"), REVOKE_WRITE)
    ok(s, set_depth("salesperson", "account", "delete", "none"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", kind, "not_found")]


@pytest.mark.rule("VALID-3", "SYNC-2")
def test_change_to_a_row_that_exists_in_another_table_is_not_found() -> None:
    s = system()
    ok(
        s,
        create(BOB, "account", "x-1", account(), "op-1"),
        update(BOB, "account", "x-1", {"revenue": 2}, "op-2"),
        delete(BOB, "account", "x-1", "op-3"),
    )
    ok(s, server_create("contact", "x-1", "bob", contact("Zed")))
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("account", "x-1", "create", "invalid"),
        error("account", "x-1", "update", "not_found"),
        error("account", "x-1", "delete", "not_found"),
    ]
    assert s.observe()["server"]["x-1"]["values"] == contact("Zed")
    assert shown(s, BOB, "contact")["x-1"] == contact("Zed")
    assert "x-1" not in shown(s, BOB, "account")


@pytest.mark.rule("VALID-3")
def test_create_of_an_existing_id_is_invalid_before_privilege() -> None:
    s = system()
    ok(s, create(BOB, "account", "acc-west", account(), "op-1"))  # bob does not see acc-west
    ok(s, set_depth("salesperson", "account", "create", "none"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-west", "create", "invalid")]
    assert s.observe()["server"]["acc-west"]["owner"] == "dan"


@pytest.mark.rule("VALID-3")
def test_row_the_user_may_not_touch_is_privilege_not_not_found() -> None:
    s = system()
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        delete(BOB, "task", "task-east", "op-2"),
    )
    ok(s, reassign("acc-east", "dan"), reassign("task-east", "dan"))  # unreadable for bob now
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("account", "acc-east", "update", "privilege"),
        error("task", "task-east", "delete", "privilege"),
    ]


@pytest.mark.rule("VALID-3", "CONFLICT-3")
def test_privilege_comes_before_conflict() -> None:
    s = system(world(conflict_policy="server_wins"))
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, server_update("acc-east", {"name": "Changed"}), REVOKE_WRITE)
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]


@pytest.mark.rule("VALID-3", "SEC-7", "CONFLICT-3")
def test_field_security_is_privilege_before_conflict() -> None:
    s = system(world(conflict_policy="server_wins"))
    ok(s, update(BOB, "account", "acc-east", {"creditlimit": 1}, "op-1"))
    ok(s, server_update("acc-east", {"name": "Changed"}))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]


@pytest.mark.rule("VALID-3", "CONFLICT-3")
def test_conflict_is_the_last_check() -> None:
    s = system(world(conflict_policy="server_wins"))
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, server_update("acc-east", {"name": "Changed"}))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "conflict")]


def _upload(kind: str, table: str, row: str, values: dict[str, object]) -> str | None:
    """Upload one change straight to the server of a fresh sample world, as bob-phone, based
    on the current version of the row; return the rejection reason (None when accepted).

    Used for orders a device cannot produce: its own checks already refuse values that break
    the schema, so an uploaded update with invalid values never comes from a real device."""
    s = system(world(conflict_policy="server_wins"))
    ok(s, REVOKE_WRITE, server_update("acc-east", {"name": "Changed"}))
    cached = s.devices[BOB].cache.get(row)
    base = None if cached is None else cached.version
    outcome = s.server.upload(BOB, "bob", Change("op-x", kind, table, row, values, base))
    return None if outcome is None else outcome["reason"]


@pytest.mark.rule("VALID-3")
def test_reason_order_on_the_server_for_changes_no_device_sends() -> None:
    # not_found before invalid: a missing row, or a row of another table, with bad values
    assert _upload("update", "account", "nope", {"rating": 1}) == "not_found"
    assert _upload("update", "contact", "acc-east", {"revenue": -1}) == "not_found"
    # invalid before privilege and conflict: write is revoked and the row has changed
    assert _upload("update", "account", "acc-east", {"revenue": -1}) == "invalid"
    assert _upload("update", "account", "acc-east", {}) == "invalid"
    assert _upload("create", "account", "acc-x", {"name": "N"}) == "invalid"
    # with valid values: privilege before conflict
    assert _upload("update", "account", "acc-east", {"revenue": 1}) == "privilege"


# --- VALID-4 ------------------------------------------------------------------------------


@pytest.mark.rule("VALID-4")
def test_rejected_create_disappears_from_the_device() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        set_depth("salesperson", "task", "create", "none"),
    )
    assert "t-1" in shown(s, BOB, "task")
    sync(s, BOB)
    assert shown_ids(s, BOB, "task") == ["task-east"]


@pytest.mark.rule("VALID-4")
def test_rejected_update_shows_the_servers_values() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1, "name": "Mine"}, "op-1"))
    ok(s, REVOKE_WRITE, server_update("acc-east", {"name": "Theirs"}))
    sync(s, BOB)
    assert shown(s, BOB, "account")["acc-east"] == server_values(s, "acc-east")
    assert server_values(s, "acc-east")["name"] == "Theirs"
    assert server_values(s, "acc-east")["revenue"] == 100


@pytest.mark.rule("VALID-4")
def test_rejected_delete_brings_the_row_back() -> None:
    s = system()
    ok(s, delete(BOB, "task", "task-east", "op-1"))
    assert shown_ids(s, BOB, "task") == []
    ok(s, set_depth("salesperson", "task", "delete", "none"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("task", "task-east", "delete", "privilege")]
    assert shown(s, BOB, "task") == {"task-east": {"subject": "Call Ana", "done": False}}


@pytest.mark.rule("VALID-4")
@pytest.mark.parametrize("kind", ["update", "delete"])
def test_rejected_change_to_a_row_no_longer_readable_leaves_it_gone(kind: str) -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read", "write", "delete")
    s = system(w)
    edit = (
        update(BOB, "account", "acc-west", {"revenue": 1}, "op-1")
        if kind == "update"
        else delete(BOB, "account", "acc-west", "op-1")
    )
    ok(s, edit, {"kind": "unshare", "row": "acc-west", "user": "bob"})
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-west", kind, "privilege")]
    assert "acc-west" not in shown(s, BOB, "account")
    assert "acc-west" in server_ids(s)


@pytest.mark.rule("VALID-4")
def test_rejected_update_of_a_still_readable_shared_row_shows_the_server_values() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read", "write")
    s = system(w)
    ok(s, update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))
    ok(s, share("acc-west", "bob", "read"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-west", "update", "privilege")]
    assert shown(s, BOB, "account")["acc-west"]["revenue"] == 200
