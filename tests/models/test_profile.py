"""PROFILE-1..5: device tables, not_offline, views, metadata and signing in, row filters."""

from __future__ import annotations

from typing import Any

import pytest

from models.records import WorldSpec
from tests.models.helpers import (
    ALICE,
    BOB,
    account,
    add_row,
    add_user,
    contact,
    create,
    delete,
    move_user,
    ok,
    read,
    reassign,
    refused,
    role_spec,
    set_roles,
    shown,
    shown_ids,
    sync,
    system,
    task,
    update,
    world,
)

ALL = ["account", "contact", "opportunity", "task"]


def metadata(s: Any, device: str = BOB) -> list[str]:
    return s.observe()["devices"][device]["metadata_tables"]


# --- PROFILE-1 ----------------------------------------------------------------------------


@pytest.mark.rule("PROFILE-1", "PROFILE-4")
def test_device_tables_are_the_profile_tables_in_offline_modules() -> None:
    assert metadata(system()) == ALL


@pytest.mark.rule("PROFILE-1")
def test_profile_table_only_in_a_module_that_is_not_offline_enabled_is_not_on_the_device() -> None:
    w = world()
    w["app_modules"][0]["tables"] = ["account", "contact", "opportunity"]  # task: back-office only
    s = system(w)
    assert metadata(s) == ["account", "contact", "opportunity"]
    assert "task" not in s.observe()["devices"][BOB]["rows"]


@pytest.mark.rule("PROFILE-1")
def test_offline_module_table_outside_the_profile_is_not_on_the_device() -> None:
    s = system(world(profile={"account": "all", "task": "all"}))
    assert metadata(s) == ["account", "task"]
    assert sorted(s.observe()["devices"][BOB]["rows"]) == ["account", "task"]


@pytest.mark.rule("PROFILE-1")
def test_table_in_any_offline_module_counts() -> None:
    w = world()
    w["app_modules"][0]["tables"] = ["account"]
    w["app_modules"].append({"id": "tasks", "offline_enabled": True, "tables": ["task"]})
    assert metadata(system(w)) == ["account", "task"]


@pytest.mark.rule("PROFILE-1")
def test_no_offline_module_means_no_device_table() -> None:
    w = world()
    w["app_modules"][0]["offline_enabled"] = False
    s = system(w)
    assert metadata(s) == []
    assert s.observe()["devices"][BOB]["rows"] == {}
    assert s.observe()["devices"][BOB]["views"] == []


# --- PROFILE-2 ----------------------------------------------------------------------------

OFFLINE_PROFILE = {"account": "all", "task": "all"}


@pytest.mark.rule("PROFILE-2")
@pytest.mark.parametrize(
    "op",
    [
        read(BOB, "contact"),
        create(BOB, "contact", "con-new", contact(), "op-1"),
        update(BOB, "contact", "con-east", {"fullname": "X"}, "op-1"),
        delete(BOB, "contact", "con-east", "op-1"),
        read(BOB, "invoice"),
        create(BOB, "invoice", "inv-1", {}, "op-1"),
        # not_offline comes before every other check: missing row, bad values, no op id
        update(BOB, "contact", "no-such-row", {"bad": 1}, ""),
        delete(BOB, "opportunity", "no-such-row", ""),
    ],
    ids=[
        "read",
        "create",
        "update",
        "delete",
        "read-unknown-table",
        "create-unknown-table",
        "update-missing-row-bad-values",
        "delete-no-op-id",
    ],
)
def test_operations_outside_the_device_tables_are_not_offline(op: dict[str, Any]) -> None:
    s = system(world(profile=OFFLINE_PROFILE))
    before = s.observe()
    assert s.apply(op) == refused("not_offline")
    assert s.observe() == before
    assert s.observe()["devices"][BOB]["pending"] == 0


@pytest.mark.rule("PROFILE-2", "PROFILE-1")
def test_table_outside_offline_modules_is_not_offline_even_if_in_profile() -> None:
    w = world()
    w["app_modules"][0]["tables"] = ["account", "contact", "opportunity"]
    s = system(w)
    assert s.apply(create(BOB, "task", "t-1", task(), "op-1")) == refused("not_offline")
    assert s.apply(read(BOB, "task")) == refused("not_offline")
    assert s.observe()["devices"][BOB]["pending"] == 0


# --- PROFILE-3 ----------------------------------------------------------------------------


@pytest.mark.rule("PROFILE-3")
@pytest.mark.parametrize(
    ("profile", "views"),
    [
        (None, ["accounts-with-contact", "active-accounts", "open-opportunities"]),
        ({"account": "all", "task": "all"}, ["active-accounts"]),
        ({"account": "all", "contact": "all"}, ["accounts-with-contact", "active-accounts"]),
        ({"opportunity": "all"}, []),
        ({"opportunity": "all", "account": "all"}, ["active-accounts", "open-opportunities"]),
        ({"contact": "all", "task": "all"}, []),
    ],
    ids=["everything", "account-task", "account-contact", "opportunity", "opp-account", "none"],
)
def test_view_is_available_iff_all_its_tables_are_on_the_device(
    profile: dict[str, Any] | None, views: list[str]
) -> None:
    s = system(world(profile=profile))
    for device in (BOB, ALICE):
        assert s.observe()["devices"][device]["views"] == views


@pytest.mark.rule("PROFILE-3")
def test_view_referencing_a_table_outside_offline_modules_is_not_available() -> None:
    w = world()
    w["app_modules"][0]["tables"] = ["account", "contact", "opportunity"]
    w["views"].append({"id": "accounts-with-tasks", "table": "account", "references": ["task"]})
    w["views"].append({"id": "my-tasks", "table": "task", "references": []})
    s = system(w)
    assert s.observe()["devices"][BOB]["views"] == [
        "accounts-with-contact",
        "active-accounts",
        "open-opportunities",
    ]


# --- PROFILE-4 ----------------------------------------------------------------------------


@pytest.mark.rule("PROFILE-4")
def test_devices_start_signed_in_with_their_users_projection() -> None:
    s = system()
    devices = s.observe()["devices"]
    bob_rows = {
        "account": {"acc-east": s.observe()["server"]["acc-east"]["values"]},
        "contact": {"con-east": {"fullname": "Ana Ruiz", "email": None}},
        "opportunity": {},
        "task": {"task-east": {"subject": "Call Ana", "done": False}},
    }
    for device in ("bob-phone", "bob-tablet"):
        assert devices[device] == {
            "rows": bob_rows,
            "views": ["accounts-with-contact", "active-accounts", "open-opportunities"],
            "metadata_tables": ALL,
            "pending": 0,
            "in_cycle": False,
            "errors": [],
        }
    # alice reads her business unit and, as direct manager, bob's and dan's rows
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-sales", "acc-west"]


@pytest.mark.rule("PROFILE-4", "STALE-1")
def test_devices_start_with_a_privilege_snapshot() -> None:
    w = world()
    w["shares"].append({"row": "acc-west", "user": "bob", "rights": ["read"]})
    s = system(w)
    # without any sync the device already decides with its user's privileges
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    assert s.apply(update(BOB, "account", "acc-west", {"revenue": 1}, "op-2")) == refused(
        "privilege"
    )
    ok(s, create(BOB, "task", "t-1", task(), "op-3"))


@pytest.mark.rule("PROFILE-4")
def test_metadata_does_not_change_with_syncs_or_privileges() -> None:
    s = system(world(profile={"account": "all", "task": "all"}))
    ok(s, {"kind": "remove_role", "user": "bob", "role": "salesperson"})
    sync(s, BOB)
    assert metadata(s) == ["account", "task"]
    assert s.observe()["devices"][BOB]["rows"] == {"account": {}, "task": {}}


# --- PROFILE-5 ----------------------------------------------------------------------------


def _filter_world(row_filter: str) -> WorldSpec:
    """alice reads her unit (sales); sam, also in sales, owns acc-sam. No manager hierarchy."""
    w = world(profile={t: "all" for t in ALL} | {"account": row_filter})
    w["hierarchy"]["enabled"] = False
    add_user(w, "sam", "sales")
    add_row(w, "acc-sam", "account", "sam", account("Sam"))
    return w


@pytest.mark.rule("PROFILE-5")
@pytest.mark.parametrize(
    ("row_filter", "rows"),
    [
        ("all", ["acc-sales", "acc-sam"]),
        ("mine", ["acc-sales"]),
        ("my_business_unit", ["acc-sales", "acc-sam"]),
    ],
)
def test_row_filter_on_business_unit_reader(row_filter: str, rows: list[str]) -> None:
    assert shown_ids(system(_filter_world(row_filter)), ALICE, "account") == rows


@pytest.mark.rule("PROFILE-5")
@pytest.mark.parametrize(
    ("row_filter", "rows"),
    [
        ("all", ["acc-east", "acc-sales", "acc-sam", "acc-west"]),
        ("mine", ["acc-sales"]),
        ("my_business_unit", ["acc-sales", "acc-sam"]),
    ],
)
def test_row_filter_on_organization_reader(row_filter: str, rows: list[str]) -> None:
    w = _filter_world(row_filter)
    set_roles(w, "alice", "manager")  # alice reads the organization
    assert shown_ids(system(w), ALICE, "account") == rows


@pytest.mark.rule("PROFILE-5")
def test_row_filter_never_adds_rows_the_user_may_not_read() -> None:
    w = world(profile={"account": "mine", "contact": "all", "opportunity": "all", "task": "all"})
    role_spec(w, "salesperson")["privileges"]["account"]["read"] = "none"
    s = system(w)
    assert shown_ids(s, BOB, "account") == []
    assert shown_ids(s, BOB, "contact") == ["con-east"]


@pytest.mark.rule("PROFILE-5")
def test_row_filter_is_per_table() -> None:
    w = _filter_world("mine")
    add_row(w, "con-sam", "contact", "sam", contact("Sam"))
    s = system(w)
    assert shown_ids(s, ALICE, "account") == ["acc-sales"]
    assert shown_ids(s, ALICE, "contact") == ["con-sam"]


@pytest.mark.rule("PROFILE-5", "STALE-2")
def test_my_business_unit_is_evaluated_on_the_server_state_at_download() -> None:
    w = _filter_world("my_business_unit")
    set_roles(w, "alice", "manager")
    s = system(w)
    ok(s, move_user("dan", "sales"))
    assert shown_ids(s, ALICE, "account") == ["acc-sales", "acc-sam"]
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-sales", "acc-sam", "acc-west"]
    ok(s, move_user("alice", "east"))  # her own row moves with her (WORLD-2)
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-sales"]


@pytest.mark.rule("PROFILE-5", "STALE-3")
def test_mine_is_evaluated_on_the_server_state_at_download() -> None:
    s = system(_filter_world("mine"))
    ok(s, reassign("acc-sam", "alice"), reassign("acc-sales", "sam"))
    assert shown_ids(s, ALICE, "account") == ["acc-sales"]
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-sam"]


@pytest.mark.rule("PROFILE-5", "SEC-3")
def test_own_created_row_passes_the_mine_filter() -> None:
    s = system(_filter_world("mine"))
    ok(s, create(ALICE, "account", "acc-new", account("New"), "op-1"))
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-new", "acc-sales"]
    assert shown(s, ALICE, "account")["acc-new"] == account("New")
