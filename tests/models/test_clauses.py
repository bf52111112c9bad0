"""Clause coverage (issue 18): the model names a clause only where its decision under it
reached an observation: a local or cycle-step decision at once, a server-side event's when it
changed what a device's user downloads and that device then completed a cycle, once."""

from __future__ import annotations

import pytest

from models import ModelSystem
from models.records import WorldSpec
from models.rules import CLAUSES
from tests.models.helpers import (
    ALICE,
    BOB,
    TABLET,
    account,
    add_row,
    add_user,
    assign_role,
    create,
    delete,
    read,
    remove_role,
    set_roles,
    sync_end,
    sync_start,
    system,
    update,
    world,
)


def with_eve() -> WorldSpec:
    """The sample world with eve in bob's unit, owning an account bob reads and may not write
    (Business Unit depth)."""
    w = world()
    add_user(w, "eve", "east", "alice")
    add_row(w, "acc-eve", "account", "eve", account("Eve's"))
    return w


def cycle(s: ModelSystem, device: str) -> set[str]:
    """Run a whole cycle of ``device``; the clauses its completion named."""
    s.apply(sync_start(device))
    s.apply(sync_end(device))
    return set(s.last_clauses)


@pytest.mark.rule("DEVICE-1")
def test_a_local_decision_names_its_clause_at_once() -> None:
    s = system(with_eve())
    s.apply(read(BOB, "account"))
    assert s.last_clauses == ("DEVICE-1.read",)
    s.apply(update(BOB, "account", "ghost", {"name": "x"}, "o1"))
    assert s.last_clauses == ("DEVICE-1.not_found",)
    s.apply(create(BOB, "account", "acc-east", account(), "o2"))
    assert s.last_clauses == ("DEVICE-1.id_visible",)
    s.apply(update(BOB, "account", "acc-eve", {"name": "x"}, "o3"))  # eve's: Read, no Write
    assert s.last_clauses == ("DEVICE-1.privilege",)
    s.apply(update(BOB, "account", "acc-east", {"revenue": -1}, "o4"))
    assert s.last_clauses == ("DEVICE-1.invalid_values",)
    s.apply(delete(BOB, "task", "task-east", "o5"))
    assert s.last_clauses == ("DEVICE-1.accepted",)
    assert set(CLAUSES) >= {c for c in s.last_rules if "." in c}  # rules hold no clause IDs
    assert "DEVICE-1" in s.last_rules


@pytest.mark.rule("EVENT-1", "STALE-3")
def test_an_event_counts_when_the_affected_device_completes_a_cycle_and_only_once() -> None:
    s = system()
    s.apply(remove_role("bob", "salesperson"))  # bob reads nothing now
    assert s.last_clauses == () and "EVENT-1" in s.last_rules
    s.apply(read(ALICE, "account"))  # another device's steps do not show it
    assert "EVENT-1.remove_role" not in s.last_clauses
    reached = cycle(s, BOB)
    assert {"EVENT-1.remove_role", "STALE-3.privilege"} <= reached
    assert "EVENT-1.remove_role" not in cycle(s, TABLET)  # bob's other device: counted once
    assert "EVENT-1.remove_role" not in cycle(s, BOB)


@pytest.mark.rule("EVENT-1", "STALE-2")
def test_an_event_that_changes_no_download_counts_for_nothing() -> None:
    w = world()
    set_roles(w, "erin")  # erin holds no role; nobody's download depends on hers
    s = system(w)
    s.apply(assign_role("erin", "reader"))
    assert s.last_clauses == ()
    assert not any(c.startswith("EVENT-1.") for c in cycle(s, BOB) | cycle(s, ALICE))
    s.apply(assign_role("bob", "reader"))  # bob now reads the whole organisation
    assert not any(c.startswith("EVENT-1.") for c in cycle(s, ALICE))  # not alice's
    assert {"EVENT-1.assign_role", "STALE-2.privilege"} <= cycle(s, BOB)


@pytest.mark.rule("VALID-3", "SEC-1")
def test_a_rejection_at_sync_names_its_reason_and_a_grant_its_depth() -> None:
    s = system()
    s.apply(update(BOB, "account", "acc-east", {"name": "x"}, "o1"))
    s.apply(sync_start(ALICE))
    s.apply(sync_end(ALICE))
    s.apply(remove_role("bob", "salesperson"))
    s.apply(sync_start(BOB))  # the update is rejected: bob has no Write any more
    assert "VALID-3.privilege" in s.last_clauses
    s = system(with_eve())
    s.apply(update(BOB, "account", "acc-east", {"name": "x"}, "o1"))
    s.apply(sync_start(BOB))  # bob writes his own row: User depth
    assert "SEC-1.user" in s.last_clauses and not any(
        c.startswith("VALID-3.") for c in s.last_clauses
    )
    s.apply(sync_end(BOB))  # the download: eve's row too (Business Unit depth)
    assert {"SEC-1.user", "SEC-1.business_unit"} <= set(s.last_clauses)
