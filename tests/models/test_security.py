"""SEC-1..7: depths, combined roles, create, sharing, manager hierarchy, field-level security."""

from __future__ import annotations

from typing import Any

import pytest

from models import ModelSystem
from models.records import WorldSpec
from models.security import can_create, row_rights
from tests.models.helpers import (
    ALICE,
    BOB,
    account,
    add_business_unit,
    add_device,
    add_role,
    add_row,
    add_share,
    add_user,
    create,
    delete,
    error,
    errors,
    ok,
    refused,
    role_spec,
    server_ids,
    server_values,
    set_depth,
    set_manager_in,
    set_roles,
    shown,
    shown_ids,
    sync,
    system,
    unshare,
    update,
    world,
)

RIGHTS = frozenset({"read", "write", "delete"})
NONE: frozenset[str] = frozenset()


def rights(s: ModelSystem, user: str, row: str) -> frozenset[str]:
    """The rights ``user`` holds on ``row`` now, on the server's current state."""
    r = s.server.rows[row]
    return row_rights(s.world, s.server.directory, user, r.table, row, r.owner)


# --- SEC-1 --------------------------------------------------------------------------------


def _depth_world(read_depth: str) -> WorldSpec:
    """org > sales > east > metro; org > service. alice (sales) holds only the role probe,
    which grants account read at ``read_depth``. No manager hierarchy.

    Accounts: acc-sales (alice), acc-sam (sam, sales), acc-east (bob, east, a child unit),
    acc-metro (gus, metro, a grandchild unit), acc-west (dan, west), acc-service (erin)."""
    w = world()
    w["hierarchy"]["enabled"] = False
    add_business_unit(w, "metro", "east")
    add_user(w, "sam", "sales")
    add_user(w, "gus", "metro")
    add_row(w, "acc-sam", "account", "sam", account("Sam"))
    add_row(w, "acc-metro", "account", "gus", account("Metro"))
    add_row(w, "acc-service", "account", "erin", account("Service"))
    add_role(w, "probe", {"account": {"read": read_depth}})
    set_roles(w, "alice", "probe")
    return w


@pytest.mark.rule("SEC-1")
@pytest.mark.parametrize(
    ("depth", "readable"),
    [
        ("none", []),
        ("user", ["acc-sales"]),
        ("business_unit", ["acc-sales", "acc-sam"]),
        ("parent_child", ["acc-east", "acc-metro", "acc-sales", "acc-sam", "acc-west"]),
        (
            "organization",
            ["acc-east", "acc-metro", "acc-sales", "acc-sam", "acc-service", "acc-west"],
        ),
    ],
)
def test_read_depth_reaches(depth: str, readable: list[str]) -> None:
    s = system(_depth_world(depth))
    assert shown_ids(s, ALICE, "account") == readable
    accounts = [r for r in server_ids(s) if r.startswith("acc-")]
    assert sorted(r for r in accounts if "read" in rights(s, "alice", r)) == readable


@pytest.mark.rule("SEC-1")
def test_parent_child_reaches_grandchild_units() -> None:
    s = system(_depth_world("parent_child"))
    assert "read" in rights(s, "alice", "acc-metro")  # sales > east > metro
    assert "read" not in rights(s, "alice", "acc-service")  # a sibling branch


@pytest.mark.rule("SEC-1")
def test_business_unit_does_not_reach_child_units() -> None:
    s = system(_depth_world("business_unit"))
    assert "read" in rights(s, "alice", "acc-sam")
    assert "read" not in rights(s, "alice", "acc-east")  # east is a child of sales
    assert "read" not in rights(s, "alice", "acc-metro")


@pytest.mark.rule("SEC-1")
def test_user_depth_covers_only_own_rows() -> None:
    s = system(_depth_world("user"))
    assert rights(s, "alice", "acc-sales") == {"read"}
    assert rights(s, "alice", "acc-sam") == NONE


@pytest.mark.rule("SEC-1")
def test_none_depth_covers_not_even_own_rows() -> None:
    s = system(_depth_world("none"))
    assert rights(s, "alice", "acc-sales") == NONE


@pytest.mark.rule("SEC-1", "WORLD-2")
def test_parent_child_follows_the_users_own_unit() -> None:
    s = system(_depth_world("parent_child"))
    ok(s, {"kind": "move_user", "user": "alice", "business_unit": "east"})
    sync(s, ALICE)
    # alice's own row moved to east with her; sam stays in sales, above east
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-metro", "acc-sales"]


@pytest.mark.rule("SEC-1")
@pytest.mark.parametrize(
    ("depth", "writable"),
    [
        ("user", ["acc-east"]),
        ("business_unit", ["acc-east"]),
        ("parent_child", ["acc-east"]),
        ("organization", ["acc-east", "acc-sales", "acc-west"]),
    ],
)
def test_write_depth_decides_local_and_server_checks(depth: str, writable: list[str]) -> None:
    w = world()
    w["hierarchy"]["enabled"] = False
    role_spec(w, "salesperson")["privileges"]["account"]["write"] = depth
    add_share(w, "acc-west", "bob", "read")  # so that bob's device shows acc-west
    s = system(w)
    accounts = ("acc-east", "acc-sales", "acc-west")
    assert sorted(r for r in accounts if "write" in rights(s, "bob", r)) == writable
    result = s.apply(update(BOB, "account", "acc-west", {"revenue": 1}, "op-1"))
    assert result == ({"status": "accepted"} if "acc-west" in writable else refused("privilege"))


# --- SEC-2 --------------------------------------------------------------------------------


def _combined_world(*roles: str) -> WorldSpec:
    w = _depth_world("none")
    add_role(w, "readers", {"account": {"read": "parent_child", "write": "user"}})
    add_role(w, "writers", {"account": {"read": "user", "write": "organization"}})
    set_roles(w, "alice", *roles)
    return w


@pytest.mark.rule("SEC-2")
@pytest.mark.parametrize("order", [("readers", "writers"), ("writers", "readers")])
def test_roles_combine_by_the_deepest_grant(order: tuple[str, str]) -> None:
    s = system(_combined_world(*order))
    assert rights(s, "alice", "acc-east") == {"read", "write"}  # parent_child read, org write
    assert rights(s, "alice", "acc-service") == {"write"}  # only the organization write
    assert rights(s, "alice", "acc-sales") == {"read", "write"}
    assert shown_ids(s, ALICE, "account") == [
        "acc-east",
        "acc-metro",
        "acc-sales",
        "acc-sam",
        "acc-west",
    ]


@pytest.mark.rule("SEC-2")
def test_privilege_no_role_mentions_is_none() -> None:
    s = system(_combined_world("readers", "writers"))
    # no role mentions delete or create on account, nor anything on task
    assert not can_create(s.world, s.server.directory, "alice", "account")
    assert shown_ids(s, ALICE, "task") == []
    assert s.apply(delete(ALICE, "account", "acc-sales", "op-1")) == refused("privilege")
    assert s.apply(create(ALICE, "account", "acc-x", account(), "op-2")) == refused("privilege")
    ok(s, update(ALICE, "account", "acc-east", {"revenue": 9}, "op-3"))


@pytest.mark.rule("SEC-2")
def test_a_weaker_second_role_does_not_lower_a_grant() -> None:
    w = world()
    set_roles(w, "bob", "salesperson", "reader")  # reader: read organization only
    s = system(w)
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-sales", "acc-west"]
    ok(s, update(BOB, "account", "acc-east", {"revenue": 2}, "op-1"))
    assert s.apply(update(BOB, "account", "acc-west", {"revenue": 2}, "op-2")) == refused(
        "privilege"
    )


@pytest.mark.rule("SEC-2", "EVENT-1")
def test_removing_one_role_keeps_the_others() -> None:
    w = world()
    set_roles(w, "bob", "salesperson", "reader")
    s = system(w)
    ok(s, {"kind": "remove_role", "user": "bob", "role": "reader"})
    sync(s, BOB)
    assert shown_ids(s, BOB, "account") == ["acc-east"]


# --- SEC-3 --------------------------------------------------------------------------------


@pytest.mark.rule("SEC-3")
@pytest.mark.parametrize(
    ("depth", "allowed"),
    [
        ("none", False),
        ("user", True),
        ("business_unit", True),
        ("parent_child", True),
        ("organization", True),
    ],
)
def test_create_needs_user_depth(depth: str, allowed: bool) -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["task"]["create"] = depth
    s = system(w)
    result = s.apply(create(BOB, "task", "t-1", {"subject": "S", "done": False}, "op-1"))
    assert result == ({"status": "accepted"} if allowed else refused("privilege"))


@pytest.mark.rule("SEC-3")
def test_creator_owns_the_new_row() -> None:
    s = system()
    ok(s, create(BOB, "account", "acc-new", account("New"), "op-1"))
    sync(s, BOB)
    assert s.observe()["server"]["acc-new"] == {
        "table": "account",
        "owner": "bob",
        "values": account("New"),
    }
    # owned by bob: write at User depth covers it
    ok(s, update(BOB, "account", "acc-new", {"revenue": 8}, "op-2"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-new")["revenue"] == 8


@pytest.mark.rule("SEC-3", "VALID-1")
def test_create_is_checked_against_the_current_create_depth_at_sync() -> None:
    s = system()
    ok(s, create(BOB, "task", "t-1", {"subject": "S", "done": False}, "op-1"))
    ok(s, set_depth("salesperson", "task", "create", "none"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("task", "t-1", "create", "privilege")]
    assert "t-1" not in server_ids(s)


# --- SEC-4 --------------------------------------------------------------------------------


@pytest.mark.rule("SEC-4")
def test_share_extends_read_to_a_user_with_user_depth() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read")
    s = system(w)
    assert rights(s, "bob", "acc-west") == {"read"}
    assert shown_ids(s, BOB, "account") == ["acc-east", "acc-west"]


@pytest.mark.rule("SEC-4")
def test_shared_write_and_delete_count_with_user_depth() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read", "write", "delete")
    s = system(w)
    assert rights(s, "bob", "acc-west") == RIGHTS
    ok(s, update(BOB, "account", "acc-west", {"revenue": 5}, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-west")["revenue"] == 5
    ok(s, delete(BOB, "account", "acc-west", "op-2"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert "acc-west" not in server_ids(s)


@pytest.mark.rule("SEC-4")
@pytest.mark.parametrize("privilege", ["read", "write", "delete"])
def test_shared_right_without_the_privilege_grants_nothing(privilege: str) -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["account"][privilege] = "none"
    add_share(w, "acc-west", "bob", "read", "write", "delete")
    s = system(w)
    assert rights(s, "bob", "acc-west") == RIGHTS - {privilege}


@pytest.mark.rule("SEC-4")
def test_shared_read_without_read_privilege_is_not_downloaded() -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["account"]["read"] = "none"
    add_share(w, "acc-west", "bob", "read")
    s = system(w)
    assert shown_ids(s, BOB, "account") == []


@pytest.mark.rule("SEC-4")
def test_share_grants_only_the_listed_rights() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read", "delete")
    s = system(w)
    assert rights(s, "bob", "acc-west") == {"read", "delete"}
    assert s.apply(update(BOB, "account", "acc-west", {"revenue": 5}, "op-1")) == refused(
        "privilege"
    )
    ok(s, delete(BOB, "account", "acc-west", "op-2"))


@pytest.mark.rule("SEC-4")
def test_share_is_per_user() -> None:
    w = world()
    add_share(w, "acc-west", "bob", "read")
    s = system(w)
    assert rights(s, "erin", "acc-west") == NONE


# --- SEC-5 --------------------------------------------------------------------------------


def _hierarchy_world(depth: int = 2, enabled: bool = True) -> WorldSpec:
    """Everyone holds only the role own (every privilege at User depth, every table).

    Manager chain above bob: alice (1), carol (2), zed (3). Devices for carol and zed."""
    w = world()
    w["hierarchy"] = {"enabled": enabled, "depth": depth}
    own = {"create": "user", "read": "user", "write": "user", "delete": "user"}
    add_role(w, "own", {t: dict(own) for t in ("account", "contact", "opportunity", "task")})
    add_user(w, "zed", "org", roles=("own",))
    for user in ("carol", "alice", "bob", "dan", "erin"):
        set_roles(w, user, "own")
    set_manager_in(w, "carol", "zed")
    add_device(w, "carol-phone", "carol")
    add_device(w, "zed-phone", "zed")
    return w


DIRECT = frozenset({"read", "write"})


@pytest.mark.rule("SEC-5")
def test_direct_manager_gets_read_and_write_but_not_delete() -> None:
    s = system(_hierarchy_world())
    assert rights(s, "alice", "acc-east") == DIRECT
    assert rights(s, "alice", "acc-west") == DIRECT
    assert shown_ids(s, ALICE, "account") == ["acc-east", "acc-sales", "acc-west"]
    ok(s, update(ALICE, "account", "acc-east", {"revenue": 1}, "op-1"))
    assert s.apply(delete(ALICE, "account", "acc-west", "op-2")) == refused("privilege")
    sync(s, ALICE)
    assert errors(s, ALICE) == []
    assert server_values(s, "acc-east")["revenue"] == 1
    assert "acc-west" in server_ids(s)


@pytest.mark.rule("SEC-5", "VALID-1")
def test_a_delete_by_the_direct_manager_is_rejected_at_sync() -> None:
    """Held on the device by a share that the server withdraws: at sync the manager's own
    standing decides, and it has no Delete."""
    w = _hierarchy_world()
    add_share(w, "acc-west", "alice", "read", "write", "delete")
    s = system(w)
    assert rights(s, "alice", "acc-west") == RIGHTS
    ok(s, unshare("acc-west", "alice"), delete(ALICE, "account", "acc-west", "op-1"))
    sync(s, ALICE)
    assert errors(s, ALICE) == [error("account", "acc-west", "delete", "privilege")]
    assert "acc-west" in server_ids(s) and "acc-west" in shown(s, ALICE, "account")


@pytest.mark.rule("SEC-5")
def test_second_level_manager_reads_only() -> None:
    s = system(_hierarchy_world())
    assert rights(s, "carol", "acc-east") == {"read"}
    assert rights(s, "carol", "acc-sales") == DIRECT  # alice's row: carol is direct manager
    assert shown_ids(s, "carol-phone", "account") == ["acc-east", "acc-sales", "acc-west"]
    assert s.apply(update("carol-phone", "account", "acc-east", {"revenue": 1}, "op-1")) == (
        refused("privilege")
    )
    assert s.apply(delete("carol-phone", "account", "acc-east", "op-2")) == refused("privilege")


@pytest.mark.rule("SEC-5")
def test_manager_beyond_the_hierarchy_depth_gets_nothing() -> None:
    s = system(_hierarchy_world(depth=2))
    assert rights(s, "zed", "acc-east") == NONE  # three levels above bob
    assert rights(s, "zed", "acc-sales") == {"read"}  # two levels above alice
    assert shown_ids(s, "zed-phone", "account") == ["acc-sales"]


@pytest.mark.rule("SEC-5")
def test_deeper_hierarchy_reaches_further_managers() -> None:
    s = system(_hierarchy_world(depth=3))
    assert rights(s, "zed", "acc-east") == {"read"}
    assert shown_ids(s, "zed-phone", "account") == ["acc-east", "acc-sales", "acc-west"]


@pytest.mark.rule("SEC-5")
def test_hierarchy_depth_one_is_direct_manager_only() -> None:
    s = system(_hierarchy_world(depth=1))
    assert rights(s, "alice", "acc-east") == DIRECT
    assert rights(s, "carol", "acc-east") == NONE


@pytest.mark.rule("SEC-5")
def test_disabled_hierarchy_gives_nothing() -> None:
    s = system(_hierarchy_world(enabled=False))
    for manager in ("alice", "carol", "zed"):
        assert rights(s, manager, "acc-east") == NONE
    assert shown_ids(s, ALICE, "account") == ["acc-sales"]
    assert shown_ids(s, "carol-phone", "account") == []


@pytest.mark.rule("SEC-5")
@pytest.mark.parametrize("privilege", ["read", "write"])
def test_direct_manager_needs_the_privilege_at_user_depth(privilege: str) -> None:
    w = _hierarchy_world()
    role_spec(w, "own")["privileges"]["account"][privilege] = "none"
    s = system(w)
    assert rights(s, "alice", "acc-east") == DIRECT - {privilege}


@pytest.mark.rule("SEC-5")
def test_higher_manager_needs_read_at_user_depth() -> None:
    w = _hierarchy_world()
    add_role(w, "blind", {"account": {"write": "user", "delete": "user"}})
    set_roles(w, "carol", "blind")
    s = system(w)
    assert rights(s, "carol", "acc-east") == NONE
    assert shown_ids(s, "carol-phone", "account") == []


@pytest.mark.rule("SEC-5", "EVENT-1")
def test_manager_change_moves_hierarchy_rights() -> None:
    s = system(_hierarchy_world())
    ok(s, {"kind": "set_manager", "user": "bob", "manager": "erin"})
    assert rights(s, "erin", "acc-east") == DIRECT
    assert rights(s, "alice", "acc-east") == NONE
    sync(s, ALICE)
    assert shown_ids(s, ALICE, "account") == ["acc-sales", "acc-west"]


@pytest.mark.rule("SEC-5", "SEC-4")
def test_rows_shared_with_a_report_reach_the_manager_within_the_shared_rights() -> None:
    """The page: a record shared read-only with a direct report gives the manager read-only
    access; one shared with Write, Read and Write."""
    w = _hierarchy_world()
    add_row(w, "acc-erin", "account", "erin", account("Erin"))
    add_row(w, "acc-erin2", "account", "erin", account("Erin2"))
    add_share(w, "acc-erin", "bob", "read")
    add_share(w, "acc-erin2", "bob", "read", "write", "delete")
    s = system(w)
    assert rights(s, "alice", "acc-erin") == {"read"}
    assert rights(s, "alice", "acc-erin2") == DIRECT  # never Delete through the hierarchy
    assert rights(s, "carol", "acc-erin2") == {"read"}  # two levels above bob
    assert rights(s, "zed", "acc-erin2") == NONE


@pytest.mark.rule("SEC-5")
def test_the_managers_business_unit_does_not_matter() -> None:
    """Decision: as with ManagersMustBeInSameOrParentBusinessUnitAsReports = false."""
    w = _hierarchy_world()
    set_manager_in(w, "bob", "erin")  # erin is in service, bob in east
    s = system(w)
    assert rights(s, "erin", "acc-east") == DIRECT


# --- SEC-6 --------------------------------------------------------------------------------


@pytest.mark.rule("SEC-6")
def test_device_shows_secured_columns_as_downloaded() -> None:
    s = system()
    # bob has no field permission on account.creditlimit
    assert shown(s, BOB, "account")["acc-east"]["creditlimit"] == 5000


@pytest.mark.rule("SEC-6")
def test_device_accepts_local_edits_to_secured_columns() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"creditlimit": 1}, "op-1"))
    ok(s, create(BOB, "account", "acc-new", account(creditlimit=9), "op-2"))
    assert shown(s, BOB, "account")["acc-east"]["creditlimit"] == 1
    assert shown(s, BOB, "account")["acc-new"]["creditlimit"] == 9
    assert s.observe()["devices"][BOB]["pending"] == 2


# --- SEC-7 --------------------------------------------------------------------------------


@pytest.mark.rule("SEC-7", "VALID-4")
@pytest.mark.parametrize("value", [1, None], ids=["value", "null"])
def test_update_naming_a_secured_column_is_rejected_without_permission(value: Any) -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1, "creditlimit": value}, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert server_values(s, "acc-east") == {
        "name": "Fabrikam",
        "revenue": 100,
        "primarycontact": "con-east",
        "creditlimit": 5000,
    }
    assert shown(s, BOB, "account")["acc-east"]["creditlimit"] == 5000


@pytest.mark.rule("SEC-7")
def test_create_setting_a_secured_column_is_rejected_without_permission() -> None:
    s = system()
    ok(s, create(BOB, "account", "acc-new", account(creditlimit=9), "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-new", "create", "privilege")]
    assert "acc-new" not in server_ids(s)
    assert "acc-new" not in shown(s, BOB, "account")


@pytest.mark.rule("SEC-7")
def test_create_leaving_a_secured_column_null_is_accepted() -> None:
    s = system()
    ok(s, create(BOB, "account", "acc-new", account(creditlimit=None), "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-new") == account(creditlimit=None)


@pytest.mark.rule("SEC-7")
def test_update_not_naming_a_secured_column_is_accepted() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east")["creditlimit"] == 5000


@pytest.mark.rule("SEC-7")
def test_user_with_field_permission_sets_secured_columns() -> None:
    s = system()  # alice may set account.creditlimit
    ok(
        s,
        update(ALICE, "account", "acc-sales", {"creditlimit": 7}, "op-1"),
        update(ALICE, "account", "acc-east", {"creditlimit": None}, "op-2"),
        create(ALICE, "account", "acc-new", account(creditlimit=3), "op-3"),
    )
    sync(s, ALICE)
    assert errors(s, ALICE) == []
    assert server_values(s, "acc-sales")["creditlimit"] == 7
    assert server_values(s, "acc-east")["creditlimit"] is None
    assert server_values(s, "acc-new")["creditlimit"] == 3


@pytest.mark.rule("SEC-7")
def test_field_permission_is_per_column_and_table() -> None:
    w = world()
    w["tables"][1]["secured"] = ["email"]  # contact.email, nobody may set it
    s = system(w)
    ok(
        s,
        update(BOB, "contact", "con-east", {"email": "a@b.c"}, "op-1"),
        update(BOB, "contact", "con-east", {"fullname": "Ana"}, "op-2"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == [error("contact", "con-east", "update", "privilege")]
    assert server_values(s, "con-east") == {"fullname": "Ana", "email": None}
