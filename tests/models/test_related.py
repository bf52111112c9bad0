"""PROFILE-7: the "related rows only" row filter: rows joined by a lookup, in either direction,
to downloaded rows, chained to a fixed point, readable ones only; at most 10 per profile."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from models import InvalidWorld, ModelSystem
from models.examples import TABLES
from models.records import WorldSpec
from tests.models.helpers import (
    BOB,
    account,
    add_row,
    add_user,
    contact,
    create,
    ok,
    reassign,
    role_spec,
    server_create,
    server_update,
    shown_ids,
    sync,
    system,
    world,
)

ALL = ["account", "contact", "opportunity", "task"]


def opportunity(topic: str = "Deal", account_id: str | None = None) -> dict[str, Any]:
    return {"topic": topic, "stage": "qualify", "account": account_id}


def related_world(**filters: str) -> WorldSpec:
    """The sample world (bob reads his business unit, east: acc-east, whose primary contact is
    con-east, and task-east), every table ``all`` but those given. Extra rows of east: a
    contact no account names (con-lone), an opportunity of acc-east (opp-east) and one of no
    account (opp-none); acc-west (west) is not readable by bob."""
    w = world(profile={t: "all" for t in ALL} | filters)
    add_row(w, "con-lone", "contact", "bob", contact("Lone"))
    add_row(w, "opp-east", "opportunity", "bob", opportunity("East", "acc-east"))
    add_row(w, "opp-none", "opportunity", "bob", opportunity("None"))
    return w


def ids(s: ModelSystem, table: str) -> list[str]:
    return shown_ids(s, BOB, table)


# --- direction and chaining ---------------------------------------------------------------


@pytest.mark.rule("PROFILE-7")
def test_a_related_table_holds_the_parents_of_downloaded_rows() -> None:
    s = system(related_world(contact="related"))
    assert ids(s, "contact") == ["con-east"]  # acc-east names it; con-lone is named by nobody
    assert ids(s, "account") == ["acc-east"]


@pytest.mark.rule("PROFILE-7")
def test_a_related_table_holds_the_children_of_downloaded_rows() -> None:
    s = system(related_world(opportunity="related"))
    assert ids(s, "opportunity") == ["opp-east"]  # it names acc-east; opp-none names nothing


@pytest.mark.rule("PROFILE-7")
def test_related_rows_chain_to_a_fixed_point() -> None:
    """opportunity (all) -> account (related, the parent of opp-east) -> contact (related, the
    parent of acc-east): two levels."""
    s = system(related_world(account="related", contact="related"))
    assert ids(s, "account") == ["acc-east"]
    assert ids(s, "contact") == ["con-east"]
    assert "PROFILE-7" in s.setup_rules


@pytest.mark.rule("PROFILE-7")
def test_related_rows_chain_through_children_too() -> None:
    """contact (all) -> account (related: its lookup names con-east) -> opportunity (related:
    its lookup names acc-east)."""
    s = system(related_world(account="related", opportunity="related"))
    assert ids(s, "account") == ["acc-east"]
    assert ids(s, "opportunity") == ["opp-east"]


@pytest.mark.rule("PROFILE-7")
def test_without_a_downloaded_row_nothing_is_related() -> None:
    s = system(related_world(account="related", contact="related", opportunity="related"))
    assert [ids(s, t) for t in ("account", "contact", "opportunity")] == [[], [], []]
    assert ids(s, "task") == ["task-east"]


@pytest.mark.rule("PROFILE-7", "PROFILE-5")
def test_seeds_pass_their_own_filter() -> None:
    """With account ``mine``, bob downloads his acc-east and its primary contact with it; once
    acc-east is eve's (in east too: bob still reads it), it is no seed and relates nothing."""
    w = related_world(account="mine", contact="related")
    add_user(w, "eve", "east")
    s = system(w)
    assert ids(s, "account") == ["acc-east"]
    assert ids(s, "contact") == ["con-east"]
    ok(s, reassign("acc-east", "eve"))
    sync(s, BOB)
    assert ids(s, "account") == []
    assert ids(s, "contact") == []


@pytest.mark.rule("PROFILE-7", "WORLD-3")
def test_a_lookup_naming_a_row_of_another_table_relates_nothing() -> None:
    w = related_world(contact="related")
    w["rows"][0]["values"]["primarycontact"] = "task-east"  # acc-east names a task
    add_row(w, "acc-2", "account", "bob", account("Two", primarycontact="ghost"))
    s = system(w)
    assert ids(s, "contact") == []
    assert ids(s, "task") == ["task-east"]


# --- security -----------------------------------------------------------------------------


@pytest.mark.rule("PROFILE-7", "SEC-1")
def test_a_related_row_the_user_may_not_read_is_not_downloaded() -> None:
    w = related_world(contact="related")
    role_spec(w, "salesperson")["privileges"]["contact"]["read"] = "none"
    assert ids(system(w), "contact") == []


@pytest.mark.rule("PROFILE-7", "SEC-1")
def test_an_unreadable_row_relates_nothing_further() -> None:
    """opp-east (all) names acc-east, which bob may not read: con-east, which he may read, is
    not reached through it."""
    w = related_world(account="related", contact="related")
    role_spec(w, "salesperson")["privileges"]["account"]["read"] = "none"
    s = system(w)
    assert ids(s, "account") == []
    assert ids(s, "contact") == []


@pytest.mark.rule("PROFILE-7", "SEC-1")
def test_a_readable_related_row_of_an_unreadable_seed_is_not_downloaded() -> None:
    """acc-west (dan's, west) names con-west, which bob may read only through a share: bob
    does not read acc-west, so con-west is not related to anything he downloads."""
    w = related_world(contact="related")
    add_row(w, "con-west", "contact", "dan", contact("West"))
    w["rows"][1]["values"]["primarycontact"] = "con-west"
    w["shares"].append({"row": "con-west", "user": "bob", "rights": ["read"]})
    assert ids(system(w), "contact") == ["con-east"]


# --- evaluated at download ----------------------------------------------------------------


@pytest.mark.rule("PROFILE-7", "STALE-2")
def test_a_row_that_becomes_related_arrives_at_the_next_cycle() -> None:
    s = system(related_world(contact="related"))
    ok(s, server_update("acc-east", {"primarycontact": "con-lone"}))
    assert ids(s, "contact") == ["con-east"]  # nothing changes before the cycle
    sync(s, BOB)
    assert ids(s, "contact") == ["con-lone"]


@pytest.mark.rule("PROFILE-7", "STALE-3")
def test_a_row_that_stops_being_related_leaves_at_the_next_cycle() -> None:
    s = system(related_world(account="related", contact="related"))
    ok(s, server_update("opp-east", {"account": None}))
    assert ids(s, "account") == ["acc-east"]
    assert ids(s, "contact") == ["con-east"]
    sync(s, BOB)
    assert ids(s, "account") == []
    assert ids(s, "contact") == []  # the chain is gone with its first link


@pytest.mark.rule("PROFILE-7", "SYNC-6")
def test_a_created_row_is_related_through_its_lookup_at_the_next_cycle() -> None:
    s = system(related_world(opportunity="related"))
    ok(s, create(BOB, "opportunity", "opp-new", opportunity("New", "acc-east"), "op1"))
    ok(s, create(BOB, "opportunity", "opp-alone", opportunity("Alone"), "op2"))
    assert ids(s, "opportunity") == ["opp-alone", "opp-east", "opp-new"]  # shown at once
    sync(s, BOB)
    assert ids(s, "opportunity") == ["opp-east", "opp-new"]  # not related: gone after sync


@pytest.mark.rule("PROFILE-7", "EVENT-1")
def test_a_new_server_row_can_relate_rows() -> None:
    s = system(related_world(account="related"))
    ok(s, server_create("opportunity", "opp-2", "bob", opportunity("Two", "acc-sales")))
    sync(s, BOB)
    assert ids(s, "account") == ["acc-east"]  # acc-sales is alice's unit's: not readable
    ok(s, server_create("contact", "con-2", "bob", contact("Two")))
    ok(s, server_create("account", "acc-2", "bob", account("Two", primarycontact="con-2")))
    sync(s, BOB)
    assert ids(s, "account") == ["acc-2", "acc-east"]


# --- trace and WORLD-1 --------------------------------------------------------------------


@pytest.mark.rule("PROFILE-7")
def test_the_trace_names_profile_7_only_when_a_related_table_decides_a_row() -> None:
    assert "PROFILE-7" not in system(related_world()).setup_rules
    assert "PROFILE-7" in system(related_world(contact="related")).setup_rules
    w = related_world(contact="related")
    role_spec(w, "salesperson")["privileges"]["contact"]["read"] = "none"
    assert "PROFILE-7" not in system(w).setup_rules  # no readable row for it to decide


def _many_tables(count: int) -> WorldSpec:
    w = related_world()
    extra = []
    for i in range(count):
        table = copy.deepcopy(TABLES[3])
        table["name"] = f"extra{i}"
        extra.append(table)
    w["tables"] = [*w["tables"], *extra]
    w["profile"] |= {t["name"]: "related" for t in extra}
    return w


@pytest.mark.rule("PROFILE-7", "WORLD-1")
def test_at_most_ten_related_tables() -> None:
    system(_many_tables(10))
    with pytest.raises(InvalidWorld, match=r"profile: 11 related tables .*at most 10"):
        system(_many_tables(11))
