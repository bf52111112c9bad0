"""VALID-5: the user retries or dismisses an open sync error (VALID-2)."""

from __future__ import annotations

import pytest

from tests.models.helpers import (
    BOB,
    TABLET,
    account,
    create,
    dismiss,
    error,
    errors,
    full_error,
    ok,
    open_errors,
    pending,
    refused,
    restart,
    retry,
    server_update,
    server_values,
    set_depth,
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


@pytest.mark.rule("VALID-5", "VALID-1")
def test_a_retry_after_the_privilege_is_regained_is_applied() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, RESTORE_WRITE, retry(BOB, "op-1", "op-2"))
    assert errors(s, BOB) == [] and pending(s, BOB) == 1
    assert shown(s, BOB, "account")["acc-east"]["revenue"] == 1  # shown at once (SYNC-6)
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 1
    assert errors(s, BOB) == [] and pending(s, BOB) == 0


@pytest.mark.rule("VALID-5", "VALID-2")
def test_a_retry_without_the_privilege_fails_again_under_its_new_operation_id() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, retry(BOB, "op-1", "op-2"))  # not checked on the snapshot, which refuses Write
    sync(s, BOB)
    assert open_errors(s, BOB) == [
        full_error("account", "acc-east", "update", "privilege", {"revenue": 1}, "op-2")
    ]
    assert server_values(s, "acc-east")["revenue"] != 1


@pytest.mark.rule("VALID-5")
def test_a_retried_create_keeps_its_values_and_comes_back() -> None:
    s = system()
    ok(
        s,
        set_depth("salesperson", "task", "create", "none"),
        create(BOB, "task", "t-1", task("Later"), "op-1"),
    )
    sync(s, BOB)
    assert "t-1" not in shown_ids(s, BOB, "task")  # reverted (VALID-4)
    ok(s, set_depth("salesperson", "task", "create", "user"), retry(BOB, "op-1", "op-2"))
    assert shown(s, BOB, "task")["t-1"] == task("Later")
    sync(s, BOB)
    assert server_values(s, "t-1") == task("Later") and errors(s, BOB) == []


@pytest.mark.rule("VALID-5")
def test_dismiss_removes_the_error_and_queues_nothing() -> None:
    s = system()
    ok(
        s,
        REVOKE_WRITE,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        update(BOB, "account", "acc-east", {"revenue": 2}, "op-2"),
    )
    sync(s, BOB)
    ok(s, dismiss(BOB, "op-1"))
    assert open_errors(s, BOB) == [
        full_error("account", "acc-east", "update", "privilege", {"revenue": 2}, "op-2")
    ]
    assert pending(s, BOB) == 0
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]


@pytest.mark.rule("VALID-5")
def test_an_error_that_is_not_open_is_not_found() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    assert s.apply(retry(BOB, "op-1", "op-2")) == refused("not_found")  # not rejected yet
    sync(s, BOB)
    assert s.apply(dismiss(TABLET, "op-1")) == refused("not_found")  # another device's
    ok(s, dismiss(BOB, "op-1"))
    assert s.apply(dismiss(BOB, "op-1")) == refused("not_found")
    assert s.apply(retry(BOB, "op-1", "op-3")) == refused("not_found")
    assert pending(s, BOB) == 0


@pytest.mark.rule("VALID-5")
@pytest.mark.parametrize("op_id", [None, "", "op-1"])
def test_a_retry_without_a_fresh_operation_id_is_invalid(op_id: str | None) -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    op = retry(BOB, "op-1", "x")
    if op_id is None:
        del op["op_id"]
    else:
        op["op_id"] = op_id
    assert s.apply(op) == refused("invalid")
    assert len(errors(s, BOB)) == 1 and pending(s, BOB) == 0


@pytest.mark.rule("VALID-5", "SYNC-7", "SYNC-3")
def test_retry_and_dismiss_work_during_a_cycle_and_the_retry_belongs_to_the_next() -> None:
    s = system()
    ok(
        s,
        REVOKE_WRITE,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        create(BOB, "account", "acc-west", account(), "op-2"),  # invalid: the id exists
    )
    sync(s, BOB)
    ok(s, RESTORE_WRITE, sync_start(BOB), retry(BOB, "op-1", "op-3"), dismiss(BOB, "op-2"))
    assert s.last_rules and "SYNC-7" in s.last_rules
    assert errors(s, BOB) == [] and pending(s, BOB) == 1
    ok(s, sync_end(BOB))
    assert server_values(s, "acc-east")["revenue"] != 1  # not in that cycle's batch
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 1


@pytest.mark.rule("VALID-5", "CONFLICT-1")
def test_a_retry_is_based_on_the_version_the_device_holds_when_the_user_retries() -> None:
    s = system(world(conflict_policy="server_wins"))
    ok(
        s,
        server_update("acc-east", {"name": "Theirs"}),
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "conflict")]
    ok(s, retry(BOB, "op-1", "op-2"))  # after the download that brought "Theirs"
    sync(s, BOB)
    assert errors(s, BOB) == [] and server_values(s, "acc-east")["revenue"] == 1


@pytest.mark.rule("VALID-5", "SYNC-8")
def test_a_retry_survives_a_restart_and_the_errors_too() -> None:
    s = system()
    ok(
        s,
        REVOKE_WRITE,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        create(BOB, "account", "acc-west", account(), "op-2"),  # invalid: the id exists
    )
    sync(s, BOB)
    ok(s, retry(BOB, "op-1", "op-3"), restart(BOB))
    assert errors(s, BOB) == [error("account", "acc-west", "create", "invalid")]
    assert pending(s, BOB) == 1
