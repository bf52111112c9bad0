"""CONFLICT-1..3: what a conflict is, and what each policy does with it."""

from __future__ import annotations

from typing import Any

import pytest

from models import ModelSystem
from models.records import WorldSpec
from tests.models.helpers import (
    ALICE,
    BOB,
    TABLET,
    add_share,
    create,
    delete,
    error,
    errors,
    ok,
    reassign,
    server_ids,
    server_update,
    server_values,
    set_depth,
    share,
    shown,
    sync,
    sync_end,
    sync_start,
    system,
    task,
    update,
    world,
)

POLICIES = ["client_wins", "server_wins"]

ACC_EAST = {"name": "Fabrikam", "revenue": 100, "primarycontact": "con-east", "creditlimit": 5000}


def _world(policy: str) -> WorldSpec:
    """The sample world under ``policy``; bob may write and delete acc-east through a share
    even after it is reassigned away from him."""
    w = world(conflict_policy=policy)
    add_share(w, "acc-east", "bob", "read", "write", "delete")
    return w


def _bob_updates_after(s: ModelSystem, *others: dict[str, Any]) -> None:
    """bob-phone edits acc-east offline (revenue 1), the others happen, then bob-phone syncs."""
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "bob-1"))
    ok(s, *others)
    sync(s, BOB)


CHANGED_BY_SOMEONE_ELSE: list[tuple[str, list[dict[str, Any]], dict[str, Any]]] = [
    (
        "integration-update",
        [server_update("acc-east", {"name": "Theirs"})],
        {**ACC_EAST, "name": "Theirs"},
    ),
    (
        "other-device-of-same-user",
        [
            update(TABLET, "account", "acc-east", {"name": "Tablet"}, "tab-1"),
            sync_start(TABLET),
            sync_end(TABLET),
        ],
        {**ACC_EAST, "name": "Tablet"},
    ),
    (
        "other-user",
        [
            update(ALICE, "account", "acc-east", {"name": "Alice"}, "ali-1"),
            sync_start(ALICE),
            sync_end(ALICE),
        ],
        {**ACC_EAST, "name": "Alice"},
    ),
    ("administrator-reassignment", [reassign("acc-east", "dan")], ACC_EAST),
    (
        "same-column",
        [server_update("acc-east", {"revenue": 77})],
        {**ACC_EAST, "revenue": 77},
    ),
]


@pytest.mark.rule("CONFLICT-1", "CONFLICT-3", "VALID-4")
@pytest.mark.parametrize(
    ("others", "server_after"),
    [(o, v) for _, o, v in CHANGED_BY_SOMEONE_ELSE],
    ids=[i for i, _, _ in CHANGED_BY_SOMEONE_ELSE],
)
def test_change_by_someone_else_conflicts_under_server_wins(
    others: list[dict[str, Any]], server_after: dict[str, Any]
) -> None:
    s = system(_world("server_wins"))
    _bob_updates_after(s, *others)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "conflict")]
    assert server_values(s, "acc-east") == server_after
    assert shown(s, BOB, "account")["acc-east"] == server_after


@pytest.mark.rule("CONFLICT-1", "CONFLICT-2")
@pytest.mark.parametrize(
    ("others", "server_after"),
    [(o, v) for _, o, v in CHANGED_BY_SOMEONE_ELSE],
    ids=[i for i, _, _ in CHANGED_BY_SOMEONE_ELSE],
)
def test_change_by_someone_else_is_overwritten_column_wise_under_client_wins(
    others: list[dict[str, Any]], server_after: dict[str, Any]
) -> None:
    s = system(_world("client_wins"))
    _bob_updates_after(s, *others)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east") == {**server_after, "revenue": 1}
    assert shown(s, BOB, "account")["acc-east"] == {**server_after, "revenue": 1}


@pytest.mark.rule("CONFLICT-1")
@pytest.mark.parametrize("policy", POLICIES)
def test_no_change_since_the_base_is_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    _bob_updates_after(s)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east") == {**ACC_EAST, "revenue": 1}


@pytest.mark.rule("CONFLICT-1")
@pytest.mark.parametrize("policy", POLICIES)
def test_change_already_downloaded_is_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    ok(s, server_update("acc-east", {"name": "Theirs"}))
    sync(s, BOB)
    _bob_updates_after(s)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east") == {**ACC_EAST, "name": "Theirs", "revenue": 1}


@pytest.mark.rule("CONFLICT-1")
@pytest.mark.parametrize("policy", POLICIES)
def test_events_that_do_not_change_the_row_are_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    _bob_updates_after(
        s,
        share("acc-east", "alice", "read"),
        set_depth("salesperson", "account", "read", "organization"),
        {"kind": "move_user", "user": "dan", "business_unit": "east"},
        server_update("acc-west", {"name": "Other row"}),
    )
    assert errors(s, BOB) == []


@pytest.mark.rule("CONFLICT-1")
@pytest.mark.parametrize("policy", POLICIES)
def test_own_earlier_changes_in_the_same_batch_are_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        update(BOB, "account", "acc-east", {"name": "Mine"}, "op-2"),
        delete(BOB, "account", "acc-east", "op-3"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert "acc-east" not in server_ids(s)


@pytest.mark.rule("CONFLICT-1", "SYNC-3")
@pytest.mark.parametrize("policy", POLICIES)
def test_own_earlier_change_from_a_previous_cycle_is_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        sync_start(BOB),  # op-1 changes the row on the server
        update(BOB, "account", "acc-east", {"name": "Mine"}, "op-2"),  # based on the old version
        sync_end(BOB),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east") == {**ACC_EAST, "revenue": 1, "name": "Mine"}


@pytest.mark.rule("CONFLICT-1", "CONFLICT-3")
def test_other_change_between_own_changes_still_conflicts() -> None:
    s = system(_world("server_wins"))
    ok(
        s,
        update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"),
        sync_start(BOB),
        update(BOB, "account", "acc-east", {"name": "Mine"}, "op-2"),
        server_update("acc-east", {"primarycontact": None}),
        sync_end(BOB),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "conflict")]
    assert server_values(s, "acc-east") == {**ACC_EAST, "revenue": 1, "primarycontact": None}


@pytest.mark.rule("CONFLICT-1", "CONFLICT-3")
def test_row_created_here_and_not_downloaded_conflicts_with_any_other_change() -> None:
    s = system(_world("server_wins"))
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        sync_start(BOB),  # created on the server
        update(BOB, "task", "t-1", {"done": True}, "op-2"),  # no downloaded version yet
        server_update("t-1", {"subject": "Theirs"}),
        sync_end(BOB),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [error("task", "t-1", "update", "conflict")]
    assert server_values(s, "t-1") == {"subject": "Theirs", "done": False}


@pytest.mark.rule("CONFLICT-1", "CONFLICT-2")
def test_row_created_here_and_changed_elsewhere_is_merged_under_client_wins() -> None:
    s = system(_world("client_wins"))
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        sync_start(BOB),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
        server_update("t-1", {"subject": "Theirs"}),
        sync_end(BOB),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1") == {"subject": "Theirs", "done": True}


@pytest.mark.rule("CONFLICT-1")
@pytest.mark.parametrize("policy", POLICIES)
def test_row_created_here_and_changed_only_here_is_no_conflict(policy: str) -> None:
    s = system(_world(policy))
    ok(
        s,
        create(BOB, "task", "t-1", task(), "op-1"),
        sync_start(BOB),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
        sync_end(BOB),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1") == {"subject": "Call", "done": True}


# --- deletes ------------------------------------------------------------------------------


@pytest.mark.rule("CONFLICT-1", "CONFLICT-3", "VALID-4")
def test_conflicting_delete_is_rejected_under_server_wins() -> None:
    s = system(_world("server_wins"))
    ok(s, delete(BOB, "account", "acc-east", "op-1"), server_update("acc-east", {"name": "T"}))
    assert "acc-east" not in shown(s, BOB, "account")
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "delete", "conflict")]
    assert server_values(s, "acc-east") == {**ACC_EAST, "name": "T"}
    assert shown(s, BOB, "account")["acc-east"] == {**ACC_EAST, "name": "T"}


@pytest.mark.rule("CONFLICT-1", "CONFLICT-2")
def test_conflicting_delete_deletes_under_client_wins() -> None:
    s = system(_world("client_wins"))
    ok(s, delete(BOB, "account", "acc-east", "op-1"), server_update("acc-east", {"name": "T"}))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert "acc-east" not in server_ids(s)
    assert "acc-east" not in shown(s, BOB, "account")


@pytest.mark.rule("CONFLICT-1", "CONFLICT-3")
def test_delete_after_another_device_of_the_same_user_updated_conflicts() -> None:
    s = system(_world("server_wins"))
    ok(s, update(TABLET, "account", "acc-east", {"revenue": 2}, "tab-1"))
    sync(s, TABLET)
    ok(s, delete(BOB, "account", "acc-east", "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "delete", "conflict")]
    assert server_values(s, "acc-east")["revenue"] == 2


@pytest.mark.rule("CONFLICT-2")
def test_client_wins_is_the_sample_default() -> None:
    s = system(world())
    _bob_updates_after(s, server_update("acc-east", {"revenue": 5, "name": "T"}))
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east") == {**ACC_EAST, "name": "T", "revenue": 1}
