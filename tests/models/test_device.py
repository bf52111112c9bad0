"""DEVICE-1: local operations are decided on the device alone, in a fixed order."""

from __future__ import annotations

from typing import Any

import pytest

from models import ModelSystem
from tests.models.helpers import (
    ACCEPTED,
    BOB,
    account,
    add_share,
    create,
    delete,
    ok,
    pending,
    read,
    refused,
    role_spec,
    server_delete,
    set_depth,
    shown,
    system,
    task,
    update,
    world,
)


def _device_world() -> ModelSystem:
    """Device tables: account, contact, task (no opportunity). bob also sees acc-west through
    a read-only share; salesperson has no Create on account."""
    w = world(profile={"account": "all", "contact": "all", "task": "all"})
    add_share(w, "acc-west", "bob", "read")
    role_spec(w, "salesperson")["privileges"]["account"]["create"] = "none"
    return system(w)


def _without_op_id(op: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in op.items() if k != "op_id"}


OPP = {"topic": "T", "stage": "qualify", "account": None}

# (test id, operation, expected reason); each case fails several checks at once and the
# first in DEVICE-1's order names the reason
ORDER_CASES: list[tuple[str, dict[str, Any], str]] = [
    # not_offline before everything else
    ("not-offline-create", create(BOB, "opportunity", "opp-1", OPP, "op-1"), "not_offline"),
    (
        "not-offline-before-not-found-invalid",
        _without_op_id(update(BOB, "opportunity", "opp-x", {"stage": "won"}, "-")),
        "not_offline",
    ),
    ("not-offline-delete", delete(BOB, "opportunity", "opp-x", "op-1"), "not_offline"),
    ("not-offline-read", read(BOB, "opportunity"), "not_offline"),
    ("not-offline-unknown-table", read(BOB, "invoice"), "not_offline"),
    # not_found before invalid and privilege
    (
        "not-found-before-invalid",
        update(BOB, "account", "acc-sales", {"revenue": -1}, "op-1"),
        "not_found",
    ),
    ("not-found-delete", delete(BOB, "account", "acc-sales", "op-1"), "not_found"),
    (
        "not-found-in-another-table",
        update(BOB, "contact", "acc-east", {"fullname": "X"}, "op-1"),
        "not_found",
    ),
    ("not-found-delete-another-table", delete(BOB, "task", "con-east", "op-1"), "not_found"),
    # invalid before privilege
    (
        "invalid-values-before-privilege",
        update(BOB, "account", "acc-west", {"revenue": -1}, "op-1"),
        "invalid",
    ),
    (
        "invalid-unknown-column-before-privilege",
        update(BOB, "account", "acc-west", {"rating": 1}, "op-1"),
        "invalid",
    ),
    ("invalid-empty-update", update(BOB, "account", "acc-west", {}, "op-1"), "invalid"),
    (
        "invalid-visible-id-before-privilege",
        create(BOB, "account", "acc-east", account(), "op-1"),
        "invalid",
    ),
    (
        "invalid-id-visible-in-another-table",
        create(BOB, "task", "acc-east", task(), "op-1"),
        "invalid",
    ),
    (
        "invalid-missing-column-before-privilege",
        create(BOB, "account", "acc-new", {"name": "N"}, "op-1"),
        "invalid",
    ),
    (
        "invalid-no-op-id-before-privilege",
        _without_op_id(update(BOB, "account", "acc-west", {"revenue": 1}, "-")),
        "invalid",
    ),
    (
        "invalid-no-op-id-create",
        _without_op_id(create(BOB, "task", "t-1", task(), "-")),
        "invalid",
    ),
    # privilege last
    ("privilege-update", update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"), "privilege"),
    ("privilege-delete", delete(BOB, "account", "acc-west", "op-1"), "privilege"),
    ("privilege-create", create(BOB, "account", "acc-new", account(), "op-1"), "privilege"),
]


@pytest.mark.rule("DEVICE-1")
@pytest.mark.parametrize(
    ("op", "reason"), [(o, r) for _, o, r in ORDER_CASES], ids=[i for i, _, _ in ORDER_CASES]
)
def test_local_checks_in_order(op: dict[str, Any], reason: str) -> None:
    s = _device_world()
    before = s.observe()
    assert s.apply(op) == refused(reason)
    assert s.observe() == before


@pytest.mark.rule("DEVICE-1")
@pytest.mark.parametrize(
    "op",
    [
        _without_op_id(update(BOB, "account", "acc-sales", {"revenue": 1}, "-")),
        _without_op_id(delete(BOB, "account", "acc-sales", "-")),
    ],
    ids=["update", "delete"],
)
def test_not_found_comes_before_a_missing_operation_id(op: dict[str, Any]) -> None:
    s = _device_world()
    assert s.apply(op) == refused("not_found")


@pytest.mark.rule("DEVICE-1", "STALE-1")
def test_decided_on_the_device_alone() -> None:
    s = _device_world()
    # the server no longer has the row and no longer grants write: the device does not know
    ok(s, server_delete("acc-east"), set_depth("salesperson", "account", "write", "none"))
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))


@pytest.mark.rule("DEVICE-1", "SEC-6")
def test_field_level_security_is_not_checked_on_the_device() -> None:
    s = _device_world()
    ok(s, update(BOB, "account", "acc-east", {"creditlimit": 1}, "op-1"))


@pytest.mark.rule("DEVICE-1", "SYNC-1", "SYNC-6")
def test_accepted_edit_is_queued_and_shown() -> None:
    s = _device_world()
    assert s.apply(update(BOB, "task", "task-east", {"done": True}, "op-1")) == ACCEPTED
    assert pending(s, BOB) == 1
    assert shown(s, BOB, "task")["task-east"] == {"subject": "Call Ana", "done": True}


@pytest.mark.rule("DEVICE-1")
def test_read_returns_the_visible_rows_of_the_table() -> None:
    s = _device_world()
    ok(
        s,
        create(BOB, "task", "t-1", task("New"), "op-1"),
        update(BOB, "account", "acc-east", {"revenue": 9}, "op-2"),
    )
    assert s.apply(read(BOB, "task")) == {
        "status": "accepted",
        "rows": {
            "t-1": {"subject": "New", "done": False},
            "task-east": {"subject": "Call Ana", "done": False},
        },
    }
    result = s.apply(read(BOB, "account"))
    assert sorted(result["rows"]) == ["acc-east", "acc-west"]
    assert result["rows"]["acc-east"]["revenue"] == 9
    assert pending(s, BOB) == 2  # reads queue nothing


@pytest.mark.rule("DEVICE-1")
def test_visible_row_is_editable_and_a_deleted_one_is_not_found() -> None:
    s = _device_world()
    ok(s, delete(BOB, "task", "task-east", "op-1"))
    assert s.apply(update(BOB, "task", "task-east", {"done": True}, "op-2")) == refused("not_found")
    assert s.apply(delete(BOB, "task", "task-east", "op-3")) == refused("not_found")


@pytest.mark.rule("DEVICE-1")
@pytest.mark.parametrize(
    "op",
    [
        {"kind": "teleport", "device": BOB},
        {"kind": "read", "device": "ghost-phone", "table": "task"},
        {"kind": "update", "table": "task", "row": "task-east", "values": {}, "op_id": "o"},
    ],
    ids=["unknown-kind", "unknown-device", "no-device"],
)
def test_malformed_operation_is_invalid_and_changes_nothing(op: dict[str, Any]) -> None:
    s = _device_world()
    before = s.observe()
    assert s.apply(op) == refused("invalid")
    assert s.observe() == before
