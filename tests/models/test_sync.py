"""SYNC-1..8: the outbox, ordered upload, cycles, convergence, exactly-once, restarts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.helpers import (
    ACCEPTED,
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
    move_user,
    ok,
    pending,
    read,
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


def in_cycle(s: Any, device: str) -> bool:
    return s.observe()["devices"][device]["in_cycle"]


# --- SYNC-1 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-1")
def test_pending_counts_accepted_edits_until_acknowledged() -> None:
    s = system()
    assert pending(s, BOB) == 0
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, create(BOB, "task", "t-1", task(), "op-2"))
    assert pending(s, BOB) == 2
    ok(s, sync_start(BOB))
    assert pending(s, BOB) == 2  # in the batch under way, not yet acknowledged
    ok(s, delete(BOB, "task", "t-1", "op-3"))
    assert pending(s, BOB) == 3
    ok(s, sync_end(BOB))
    assert pending(s, BOB) == 1
    sync(s, BOB)
    assert pending(s, BOB) == 0


@pytest.mark.rule("SYNC-1")
def test_refused_edits_are_not_queued() -> None:
    s = system(world(profile={"account": "all", "task": "all"}))
    refusals = [
        update(BOB, "contact", "con-east", {"fullname": "X"}, "op-1"),  # not_offline
        update(BOB, "account", "acc-west", {"revenue": 1}, "op-2"),  # not_found
        update(BOB, "account", "acc-east", {"revenue": -1}, "op-3"),  # invalid
        create(BOB, "account", "acc-east", account(), "op-4"),  # invalid: visible id
    ]
    for op in refusals:
        assert s.apply(op)["status"] == "refused"
    assert pending(s, BOB) == 0
    sync(s, BOB)
    assert errors(s, BOB) == []


@pytest.mark.rule("SYNC-1", "SYNC-2")
def test_outbox_is_uploaded_in_order() -> None:
    s = system()
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        update(BOB, "account", "acc-east", {"revenue": 2, "name": "B"}, "op-2"),
        update(BOB, "account", "acc-east", {"revenue": 3}, "op-3"),
    )
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 3
    assert server_values(s, "acc-east")["name"] == "B"


# --- SYNC-2 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-2")
def test_create_then_update_of_the_same_row_in_one_batch() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task("One"), "op-1"),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1") == {"subject": "One", "done": True}


@pytest.mark.rule("SYNC-2")
def test_create_update_delete_of_the_same_row_in_one_batch() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
        delete(BOB, "task", "t-1", "op-3"),
    )
    assert "t-1" not in shown(s, BOB, "task")
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert "t-1" not in server_ids(s)


@pytest.mark.rule("SYNC-2", "VALID-2")
def test_update_and_delete_after_a_rejected_create_are_not_found() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
        delete(BOB, "task", "t-1", "op-3"),
        set_depth("salesperson", "task", "create", "none"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("task", "t-1", "create", "privilege"),
        error("task", "t-1", "update", "not_found"),
        error("task", "t-1", "delete", "not_found"),
    ]
    assert "t-1" not in server_ids(s)


@pytest.mark.rule("SYNC-2")
def test_each_change_sees_the_privileges_the_previous_left() -> None:
    # a delete of one row, then an update of another: both judged on the state as it evolves
    w = world()
    add_share(w, "acc-west", "bob", "read", "write")
    s = system(w)
    ok(
        s,
        update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"),
        delete(BOB, "account", "acc-east", "op-2"),
        update(BOB, "account", "acc-west", {"revenue": 2}, "op-3"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-west")["revenue"] == 2
    assert "acc-east" not in server_ids(s)


# --- SYNC-3 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-3")
def test_batch_is_the_outbox_when_the_cycle_starts() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"), sync_start(BOB))
    assert server_values(s, "acc-east")["revenue"] == 1  # applied at start
    ok(s, update(BOB, "account", "acc-east", {"revenue": 2}, "op-2"))
    ok(s, create(BOB, "task", "t-1", task(), "op-3"))
    assert server_values(s, "acc-east")["revenue"] == 1
    ok(s, sync_end(BOB))
    # the edits made during the cycle are not on the server but still shown and pending
    assert server_values(s, "acc-east")["revenue"] == 1
    assert "t-1" not in server_ids(s)
    assert shown(s, BOB, "account")["acc-east"]["revenue"] == 2
    assert "t-1" in shown(s, BOB, "task")
    assert pending(s, BOB) == 2
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 2
    assert "t-1" in server_ids(s)
    assert pending(s, BOB) == 0
    assert errors(s, BOB) == []


@pytest.mark.rule("SYNC-3", "SYNC-5")
def test_edit_made_during_a_cycle_is_applied_once() -> None:
    s = system()
    ok(s, sync_start(BOB), update(BOB, "account", "acc-east", {"revenue": 2}, "op-1"))
    ok(s, sync_end(BOB), sync_start(BOB))
    assert server_values(s, "acc-east")["revenue"] == 2
    ok(s, server_update("acc-east", {"revenue": 50}), sync_end(BOB))
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 50
    assert shown(s, BOB, "account")["acc-east"]["revenue"] == 50


@pytest.mark.rule("SYNC-3")
def test_start_during_a_cycle_is_busy_and_changes_nothing() -> None:
    s = system()
    ok(s, sync_start(BOB), update(BOB, "account", "acc-east", {"revenue": 2}, "op-1"))
    before = s.observe()
    assert s.apply(sync_start(BOB)) == refused("busy")
    assert s.observe() == before
    ok(s, sync_end(BOB))
    assert pending(s, BOB) == 1  # the edit was not pulled into the running cycle


@pytest.mark.rule("SYNC-3")
def test_end_without_a_cycle_is_idle_and_changes_nothing() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 2}, "op-1"))
    before = s.observe()
    assert s.apply(sync_end(BOB)) == refused("idle")
    assert s.observe() == before
    sync(s, BOB)
    assert s.apply(sync_end(BOB)) == refused("idle")


@pytest.mark.rule("SYNC-3")
def test_in_cycle_is_observable() -> None:
    s = system()
    assert not in_cycle(s, BOB)
    ok(s, sync_start(BOB))
    assert in_cycle(s, BOB)
    assert not in_cycle(s, TABLET)
    ok(s, sync_end(BOB))
    assert not in_cycle(s, BOB)


@pytest.mark.rule("SYNC-3", "EVENT-1")
def test_server_events_between_start_and_end_are_in_the_download() -> None:
    s = system()
    ok(s, sync_start(BOB))
    ok(
        s,
        share("acc-west", "bob", "read"),
        server_update("acc-east", {"name": "Renamed"}),
        server_delete("task-east"),
    )
    ok(s, sync_end(BOB))
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-west"]
    assert shown(s, BOB, "account")["acc-east"]["name"] == "Renamed"
    assert shown_ids(s, BOB, "task") == []


@pytest.mark.rule("SYNC-3", "SYNC-6", "VALID-4")
def test_edit_during_a_cycle_of_a_row_whose_create_is_rejected() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        set_depth("salesperson", "task", "create", "none"),
        sync_start(BOB),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
        sync_end(BOB),
    )
    assert errors(s, BOB) == [error("task", "t-1", "create", "privilege")]
    # the update stays queued but its row is gone, so it is not shown
    assert pending(s, BOB) == 1
    assert shown_ids(s, BOB, "task") == ["task-east"]
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("task", "t-1", "create", "privilege"),  # still open (VALID-2)
        error("task", "t-1", "update", "not_found"),
    ]
    assert pending(s, BOB) == 0


# --- SYNC-4 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-4")
def test_completed_cycle_with_nothing_pending_converges_to_the_projection() -> None:
    s = system()
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        create(BOB, "contact", "con-new", contact("New"), "op-2"),
        delete(BOB, "task", "task-east", "op-3"),
        update(TABLET, "contact", "con-east", {"email": "t@x.org"}, "op-4"),
    )
    sync(s, TABLET)
    ok(
        s,
        share("acc-sales", "bob", "read"),
        move_user("dan", "east"),
        server_create(
            "opportunity", "opp-1", "dan", {"topic": "T", "stage": "qualify", "account": None}
        ),
        server_update("con-east", {"fullname": "Ana R."}),
    )
    sync(s, BOB)
    assert pending(s, BOB) == 0
    server = s.observe()["server"]
    expected: dict[str, dict[str, Any]] = {
        "account": {r: server[r]["values"] for r in ("acc-east", "acc-sales", "acc-west")},
        "contact": {r: server[r]["values"] for r in ("con-east", "con-new")},
        "opportunity": {"opp-1": server["opp-1"]["values"]},
        "task": {},
    }
    assert s.observe()["devices"][BOB]["rows"] == expected
    assert expected["contact"]["con-east"] == {"fullname": "Ana R.", "email": "t@x.org"}
    assert expected["account"]["acc-east"]["revenue"] == 1


@pytest.mark.rule("SYNC-4")
def test_two_synced_devices_of_the_same_user_converge() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    ok(s, create(TABLET, "task", "t-1", task(), "op-2"))
    sync(s, BOB)
    sync(s, TABLET)
    sync(s, BOB)
    devices = s.observe()["devices"]
    assert devices[BOB]["rows"] == devices[TABLET]["rows"]
    assert shown_ids(s, BOB, "task") == ["t-1", "task-east"]


# --- SYNC-5 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-5", "SYNC-8")
def test_restart_during_a_cycle_reuploads_the_batch_exactly_once() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-2"),
        sync_start(BOB),  # the batch is applied on the server
        restart(BOB),  # ... but never acknowledged
    )
    assert pending(s, BOB) == 2
    assert not in_cycle(s, BOB)
    # somebody else changes the row; re-applying op-2 would undo this
    ok(s, server_update("acc-east", {"revenue": 50}))
    sync(s, BOB)
    assert errors(s, BOB) == []  # the re-uploaded create is not an "existing id"
    assert server_values(s, "acc-east")["revenue"] == 50
    assert server_values(s, "t-1") == task()
    assert pending(s, BOB) == 0


@pytest.mark.rule("SYNC-5", "SYNC-8")
def test_retried_upload_gets_the_outcome_of_the_first_application() -> None:
    s = system()
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        REVOKE_WRITE,
        sync_start(BOB),  # rejected: privilege
        restart(BOB),
        set_depth("salesperson", "account", "write", "user"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert server_values(s, "acc-east")["revenue"] == 100


@pytest.mark.rule("SYNC-5", "SYNC-8")
def test_accepted_change_stays_accepted_on_retry() -> None:
    s = system()
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        sync_start(BOB),
        restart(BOB),
        REVOKE_WRITE,
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east")["revenue"] == 1


@pytest.mark.rule("SYNC-5", "SYNC-8")
def test_several_restarts_still_apply_once() -> None:
    s = system()
    ok(s, create(BOB, "task", "t-1", task(), "op-1"))
    for _ in range(3):
        ok(s, sync_start(BOB), restart(BOB))
    ok(s, server_update("t-1", {"subject": "Theirs"}))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1") == {"subject": "Theirs", "done": False}


# --- SYNC-6 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-6")
def test_local_edits_show_at_once() -> None:
    s = system()
    ok(s, create(BOB, "task", "t-1", task("New"), "op-1"))
    assert shown(s, BOB, "task")["t-1"] == {"subject": "New", "done": False}
    ok(s, update(BOB, "task", "t-1", {"done": True}, "op-2"))
    assert shown(s, BOB, "task")["t-1"] == {"subject": "New", "done": True}
    ok(s, update(BOB, "account", "acc-east", {"revenue": 9}, "op-3"))
    assert shown(s, BOB, "account")["acc-east"] == {
        "name": "Fabrikam",
        "revenue": 9,
        "primarycontact": "con-east",
        "creditlimit": 5000,
    }
    ok(s, delete(BOB, "task", "task-east", "op-4"))
    assert shown_ids(s, BOB, "task") == ["t-1"]
    assert s.apply(read(BOB, "task")) == {
        "status": "accepted",
        "rows": {"t-1": {"subject": "New", "done": True}},
    }
    # nothing reached the server, nor the other device
    assert server_values(s, "acc-east")["revenue"] == 100
    assert shown_ids(s, TABLET, "task") == ["task-east"]


@pytest.mark.rule("SYNC-6", "SYNC-3")
def test_pending_edits_stay_on_top_of_a_download() -> None:
    s = system()
    ok(s, sync_start(BOB), update(BOB, "account", "acc-east", {"revenue": 9}, "op-1"))
    ok(s, server_update("acc-east", {"revenue": 50, "name": "Theirs"}), sync_end(BOB))
    assert shown(s, BOB, "account")["acc-east"]["revenue"] == 9
    assert shown(s, BOB, "account")["acc-east"]["name"] == "Theirs"


@pytest.mark.rule("SYNC-6", "VALID-3")
def test_pending_update_is_not_shown_on_a_row_of_another_table() -> None:
    s = system()
    ok(
        s,
        create(BOB, "account", "x-1", account(), "op-1"),
        server_create("contact", "x-1", "bob", contact("Zed")),
        sync_start(BOB),  # the create is rejected: the id exists
        update(BOB, "account", "x-1", {"revenue": 5}, "op-2"),  # shown on the in-flight create
        sync_end(BOB),
    )
    assert errors(s, BOB) == [error("account", "x-1", "create", "invalid")]
    assert pending(s, BOB) == 1
    assert shown(s, BOB, "contact")["x-1"] == contact("Zed")
    assert "x-1" not in shown(s, BOB, "account")


@pytest.mark.rule("SYNC-6", "VALID-3")
def test_pending_delete_does_not_hide_a_row_of_another_table() -> None:
    s = system()
    ok(
        s,
        create(BOB, "account", "x-1", account(), "op-1"),
        server_create("contact", "x-1", "bob", contact("Zed")),
        sync_start(BOB),
        delete(BOB, "account", "x-1", "op-2"),
        sync_end(BOB),
    )
    assert pending(s, BOB) == 1
    assert shown(s, BOB, "contact") == {"con-east": contact(), "x-1": contact("Zed")}


# --- SYNC-7 -------------------------------------------------------------------------------

LOCAL_OPS: list[tuple[str, dict[str, Any]]] = [
    ("read", read(BOB, "account")),
    ("read-not-offline", read(BOB, "contact")),
    ("create", create(BOB, "task", "t-1", task(), "op-1")),
    ("create-visible-id", create(BOB, "task", "task-east", task(), "op-1")),
    ("update", update(BOB, "account", "acc-east", {"revenue": 1}, "op-1")),
    ("update-invalid", update(BOB, "account", "acc-east", {"revenue": "x"}, "op-1")),
    ("update-not-found", update(BOB, "account", "acc-sales", {"revenue": 1}, "op-1")),
    ("update-no-privilege", update(BOB, "account", "acc-west", {"revenue": 1}, "op-1")),
    ("update-revoked", update(BOB, "task", "task-east", {"done": True}, "op-1")),
    ("delete", delete(BOB, "task", "task-east", "op-1")),
    ("delete-no-privilege", delete(BOB, "account", "acc-west", "op-1")),
    ("update-not-offline", update(BOB, "contact", "con-east", {"email": None}, "op-1")),
]


@pytest.mark.rule("SYNC-7")
@pytest.mark.parametrize("op", [o for _, o in LOCAL_OPS], ids=[i for i, _ in LOCAL_OPS])
def test_local_operations_are_decided_the_same_during_a_cycle(op: dict[str, Any]) -> None:
    def fresh() -> Any:
        w = world(profile={"account": "all", "task": "all"})
        add_share(w, "acc-west", "bob", "read")
        s = system(w)
        ok(s, set_depth("salesperson", "task", "write", "none"))  # not yet known to the device
        return s

    outside, during = fresh(), fresh()
    ok(during, sync_start(BOB))
    expected = outside.apply(op)
    assert during.apply(op) == expected
    outside_rows = outside.observe()["devices"][BOB]
    during_rows = during.observe()["devices"][BOB]
    assert during_rows["rows"] == outside_rows["rows"]
    assert during_rows["pending"] == outside_rows["pending"]


@pytest.mark.rule("SYNC-7", "SYNC-6")
def test_rows_of_the_batch_under_way_can_be_edited() -> None:
    s = system()
    ok(s, create(BOB, "task", "t-1", task(), "op-1"), sync_start(BOB))
    ok(s, update(BOB, "task", "t-1", {"done": True}, "op-2"))
    assert shown(s, BOB, "task")["t-1"]["done"] is True
    ok(s, sync_end(BOB))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1")["done"] is True


# --- SYNC-8 -------------------------------------------------------------------------------


@pytest.mark.rule("SYNC-8")
def test_restart_outside_a_cycle_keeps_everything() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, update(BOB, "task", "task-east", {"done": True}, "op-2"), reassign("acc-east", "bob"))
    before = s.observe()
    assert s.apply(restart(BOB)) == ACCEPTED
    assert s.observe() == before
    # the snapshot survived too: write on accounts is still refused, on tasks allowed
    assert s.apply(update(BOB, "account", "acc-east", {"revenue": 2}, "op-3")) == refused(
        "privilege"
    )
    ok(s, update(BOB, "task", "task-east", {"subject": "S"}, "op-4"))


@pytest.mark.rule("SYNC-8")
def test_restart_during_a_cycle_returns_the_batch_to_the_front_in_order() -> None:
    s = system()
    ok(
        s,
        REVOKE_WRITE,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),  # rejected
        update(BOB, "task", "task-east", {"done": True}, "op-2"),
        update(BOB, "account", "acc-east", {"revenue": 2}, "op-3"),  # rejected
        sync_start(BOB),
        delete(BOB, "contact", "con-east", "op-4"),  # made during the cycle, rejected later
        set_depth("salesperson", "contact", "delete", "none"),
    )
    before = s.observe()["devices"][BOB]
    ok(s, restart(BOB))
    after = s.observe()["devices"][BOB]
    assert after == {**before, "in_cycle": False}
    assert after["pending"] == 4
    sync(s, BOB)
    assert errors(s, BOB) == [
        error("account", "acc-east", "update", "privilege"),
        error("account", "acc-east", "update", "privilege"),
        error("contact", "con-east", "delete", "privilege"),
    ]
    assert server_values(s, "task-east")["done"] is True
    assert pending(s, BOB) == 0


@pytest.mark.rule("SYNC-8", "VALID-2")
def test_restart_keeps_the_errors_of_the_last_completed_cycle() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, delete(BOB, "task", "task-east", "op-2"), sync_start(BOB), restart(BOB))
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]


@pytest.mark.rule("SYNC-8", "SYNC-3")
def test_end_after_a_restart_is_idle() -> None:
    s = system()
    ok(s, sync_start(BOB), restart(BOB))
    before = s.observe()
    assert s.apply(sync_end(BOB)) == refused("idle")
    assert s.observe() == before


@pytest.mark.rule("SYNC-8")
def test_restart_of_one_device_leaves_the_others_alone() -> None:
    s = system()
    ok(s, sync_start(BOB), sync_start(TABLET), restart(BOB))
    assert not in_cycle(s, BOB)
    assert in_cycle(s, TABLET)
    ok(s, sync_end(TABLET))


# --- two devices of the same user -----------------------------------------------------------


@pytest.mark.rule("SYNC-1", "SYNC-4", "SYNC-6")
def test_two_devices_of_the_same_user_are_independent() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    assert pending(s, BOB) == 1
    assert pending(s, TABLET) == 0
    assert shown(s, TABLET, "account")["acc-east"]["revenue"] == 100
    sync(s, BOB)
    assert shown(s, TABLET, "account")["acc-east"]["revenue"] == 100  # until its own sync
    ok(s, sync_start(TABLET))
    assert not in_cycle(s, BOB)
    assert s.apply(sync_start(BOB)) == ACCEPTED  # each device has its own cycle
    ok(s, sync_end(TABLET), sync_end(BOB))
    assert shown(s, TABLET, "account")["acc-east"]["revenue"] == 1


@pytest.mark.rule("SYNC-3", "SYNC-5")
def test_two_devices_use_their_own_operation_ids() -> None:
    s = system()
    ok(
        s,
        create(BOB, "task", "t-phone", task("Phone"), "phone-1"),
        create(TABLET, "task", "t-tablet", task("Tablet"), "tablet-1"),
        sync_start(BOB),
        sync_start(TABLET),
        sync_end(TABLET),
        sync_end(BOB),
    )
    assert errors(s, BOB) == []
    assert errors(s, TABLET) == []
    assert shown_ids(s, BOB, "task") == ["t-phone", "t-tablet", "task-east"]
    assert shown_ids(s, TABLET, "task") == ["t-phone", "t-tablet", "task-east"]
    assert shown_ids(s, ALICE, "task") == ["task-east"]
