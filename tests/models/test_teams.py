"""SEC-9 (owner teams: team roles, team-owned rows, creates for a team) and SEC-10 (sharing with
teams, access teams), with their events and how they meet depths, hierarchy and row filters."""

from __future__ import annotations

from typing import Any

import pytest

from models import ModelSystem
from models.records import WorldSpec
from models.security import row_rights
from tests.models.helpers import (
    BOB,
    account,
    add_device,
    add_member,
    add_role,
    add_row,
    add_team,
    add_team_share,
    add_user,
    assign_team_role,
    create,
    delete,
    error,
    errors,
    ok,
    reassign,
    refused,
    remove_member,
    remove_team_role,
    role_spec,
    server_create,
    server_ids,
    share_team,
    shown_ids,
    sync,
    system,
    unshare_team,
    update,
    world,
)

RIGHTS = frozenset({"read", "write", "delete"})
NONE: frozenset[str] = frozenset()
TOM = "tom-phone"
EVERY = {"create": "user", "read": "user", "write": "user", "delete": "user"}


def rights(s: ModelSystem, user: str, row: str) -> frozenset[str]:
    r = s.server.rows[row]
    return row_rights(s.world, s.server.directory, user, r.table, row, r.owner)


def _team_world(inheritance: str = "team", team_role: dict[str, str] | None = None) -> WorldSpec:
    """The sample world with an owner team east-team (unit east; members bob and tom) holding
    the role team-role (account: every privilege at User depth unless ``team_role`` says
    otherwise; member's privilege inheritance ``inheritance``), and an access team helpers
    (unit org; member tom, erin). tom (unit service) holds no role of his own and has a device.
    Rows: acc-team (owned by east-team), acc-tom (owned by tom). No hierarchy."""
    w = world()
    w["hierarchy"]["enabled"] = False
    add_role(w, "team-role", {"account": dict(team_role or EVERY)})
    role_spec(w, "team-role")["member_inheritance"] = inheritance
    add_user(w, "tom", "service", roles=())
    add_device(w, TOM, "tom")
    add_team(w, "east-team", "east", members=("bob", "tom"), roles=("team-role",))
    add_team(w, "helpers", "org", members=("tom", "erin"), kind="access")
    add_row(w, "acc-team", "account", "east-team", account("Team"))
    add_row(w, "acc-tom", "account", "tom", account("Tom"))
    return w


# --- SEC-9: owner teams -------------------------------------------------------------------


@pytest.mark.rule("SEC-9")
def test_a_members_own_user_depth_covers_the_teams_rows() -> None:
    """erin is no member; bob is (salesperson: read Business Unit, write and delete User)."""
    w = _team_world(team_role={})
    s = system(w)
    assert rights(s, "bob", "acc-team") == RIGHTS
    assert rights(s, "erin", "acc-team") == NONE
    assert "acc-team" in shown_ids(s, BOB, "account")


@pytest.mark.rule("SEC-9", "WORLD-2")
def test_a_team_owned_rows_business_unit_is_the_teams() -> None:
    w = _team_world(team_role={})
    add_user(w, "eve", "east")  # salesperson: read Business Unit, write User; not a member
    s = system(w)
    assert rights(s, "eve", "acc-team") == {"read"}
    assert rights(s, "dan", "acc-team") == NONE  # dan is in west


@pytest.mark.rule("SEC-9")
def test_a_team_role_at_user_depth_reaches_the_teams_rows_only() -> None:
    s = system(_team_world())
    assert rights(s, "tom", "acc-team") == RIGHTS
    assert rights(s, "tom", "acc-tom") == NONE  # Team privileges only: not his own rows
    assert shown_ids(s, TOM, "account") == ["acc-team"]


@pytest.mark.rule("SEC-9")
def test_direct_basic_inheritance_also_gives_the_member_their_own_rows() -> None:
    s = system(_team_world(inheritance="direct_basic"))
    assert rights(s, "tom", "acc-team") == RIGHTS
    assert rights(s, "tom", "acc-tom") == RIGHTS
    assert rights(s, "tom", "acc-east") == NONE  # bob's row: User depth is not the team's unit


@pytest.mark.rule("SEC-9")
def test_deeper_team_roles_reach_from_the_teams_unit_not_the_members() -> None:
    s = system(_team_world(team_role={"read": "business_unit"}))
    assert rights(s, "tom", "acc-east") == {"read"}  # bob's row, in the team's unit east
    assert rights(s, "tom", "acc-west") == NONE
    assert rights(s, "tom", "acc-tom") == NONE  # tom's own unit is service
    deep = system(_team_world(team_role={"read": "parent_child"}))
    assert rights(deep, "tom", "acc-east") == {"read"}
    assert rights(deep, "tom", "acc-sales") == NONE  # sales is above east, not below


@pytest.mark.rule("SEC-9", "SEC-3")
def test_a_create_for_the_team_is_owned_by_the_team() -> None:
    s = system(_team_world())
    assert s.apply(create(TOM, "account", "acc-1", account(), "op-1")) == refused("privilege")
    ok(s, create(TOM, "account", "acc-2", account(), "op-2", owner="east-team"))
    ok(s, update(TOM, "account", "acc-2", {"revenue": 3}, "op-3"))  # team rights, not own
    sync(s, TOM)
    assert errors(s, TOM) == []
    assert s.observe()["server"]["acc-2"]["owner"] == "east-team"
    assert "acc-2" in shown_ids(s, TOM, "account")


@pytest.mark.rule("SEC-9", "SEC-3")
def test_direct_basic_creates_for_the_member_too() -> None:
    s = system(_team_world(inheritance="direct_basic"))
    ok(s, create(TOM, "account", "acc-1", account(), "op-1"))
    sync(s, TOM)
    assert s.observe()["server"]["acc-1"]["owner"] == "tom"


@pytest.mark.rule("SEC-9", "DEVICE-1")
@pytest.mark.parametrize(
    "owner", ["helpers", "nobody", "bob"], ids=["access-team", "unknown", "user"]
)
def test_a_create_for_an_owner_the_user_may_not_create_for_is_privilege(owner: str) -> None:
    s = system(_team_world())
    op = create(TOM, "account", "acc-1", account(), "op-1", owner=owner)
    assert s.apply(op) == refused("privilege")


@pytest.mark.rule("SEC-9", "STALE-1", "VALID-1")
def test_a_removed_member_creates_for_the_team_until_the_sync_rejects_it() -> None:
    s = system(_team_world())
    ok(s, remove_member("east-team", "tom"))
    ok(s, create(TOM, "account", "acc-1", account(), "op-1", owner="east-team"))
    sync(s, TOM)
    assert errors(s, TOM) == [error("account", "acc-1", "create", "privilege")]
    assert "acc-1" not in server_ids(s)
    assert shown_ids(s, TOM, "account") == []  # no longer a member: nothing of the team
    assert s.apply(create(TOM, "account", "acc-2", account(), "op-2", owner="east-team")) == (
        refused("privilege")
    )


@pytest.mark.rule("SEC-9", "EVENT-1")
def test_a_teams_role_comes_and_goes() -> None:
    s = system(_team_world())
    ok(s, remove_team_role("east-team", "team-role"))
    assert rights(s, "tom", "acc-team") == NONE
    ok(s, assign_team_role("east-team", "reader"))  # read organization, from the team
    assert rights(s, "tom", "acc-west") == {"read"}
    ok(s, add_member("east-team", "dan"))
    assert rights(s, "dan", "acc-team") == RIGHTS  # dan's salesperson role covers team rows


@pytest.mark.rule("SEC-9", "EVENT-1", "WORLD-2")
def test_rows_are_reassigned_and_created_for_owner_teams() -> None:
    s = system(_team_world(team_role={}))
    ok(s, reassign("acc-west", "east-team"), server_create("task", "t-1", "east-team", {
        "subject": "x", "done": False}))  # fmt: skip
    assert rights(s, "bob", "acc-west") == RIGHTS
    assert s.observe()["server"]["t-1"]["owner"] == "east-team"
    sync(s, BOB)
    assert "acc-west" in shown_ids(s, BOB, "account")


@pytest.mark.rule("SEC-5", "SEC-9")
def test_a_manager_reaches_the_rows_of_a_team_their_report_is_a_member_of() -> None:
    w = _team_world(team_role={})
    w["hierarchy"]["enabled"] = True
    s = system(w)
    assert rights(s, "alice", "acc-team") == {"read", "write"}  # bob's team
    assert rights(s, "carol", "acc-team") == {"read"}


@pytest.mark.rule("PROFILE-5", "SEC-9")
def test_team_rows_are_not_mine_but_are_in_my_business_unit() -> None:
    mine = _team_world(team_role={})
    mine["profile"]["account"] = "mine"
    s = system(mine)
    assert shown_ids(s, BOB, "account") == ["acc-east"]
    unit = _team_world(team_role={})
    unit["profile"]["account"] = "my_business_unit"
    assert shown_ids(system(unit), BOB, "account") == ["acc-east", "acc-team"]


# --- SEC-10: sharing with teams -----------------------------------------------------------


def _shared_world(*team_rights: str) -> WorldSpec:
    w = _team_world()
    role_spec(w, "salesperson")["privileges"]["account"]["write"] = "none"
    add_team_share(w, "acc-west", "helpers", *team_rights)
    return w


@pytest.mark.rule("SEC-10")
def test_members_get_a_team_share_within_their_own_privileges() -> None:
    s = system(_shared_world("read", "write", "delete"))
    # erin (salesperson: read Business Unit, write none now, delete User) gets read and delete
    assert rights(s, "erin", "acc-west") == {"read", "delete"}
    # tom holds every account privilege at User depth through east-team's role
    assert rights(s, "tom", "acc-west") == RIGHTS
    assert rights(s, "bob", "acc-west") == NONE  # not a member of helpers
    assert "acc-west" in shown_ids(s, TOM, "account")
    assert "acc-west" not in shown_ids(s, "bob-phone", "account")


@pytest.mark.rule("SEC-10", "EVENT-1", "STALE-3")
def test_a_removed_member_loses_the_share_at_the_next_sync() -> None:
    s = system(_shared_world("read", "write"))
    assert "acc-west" in shown_ids(s, TOM, "account")
    ok(s, remove_member("helpers", "tom"))
    assert rights(s, "tom", "acc-west") == NONE
    assert "acc-west" in shown_ids(s, TOM, "account")  # until the next sync
    ok(s, update(TOM, "account", "acc-west", {"revenue": 1}, "op-1"))
    sync(s, TOM)
    assert errors(s, TOM) == [error("account", "acc-west", "update", "privilege")]
    assert "acc-west" not in shown_ids(s, TOM, "account")


@pytest.mark.rule("SEC-10", "EVENT-1")
def test_share_and_unshare_with_a_team() -> None:
    s = system(_team_world())
    ok(s, share_team("acc-west", "east-team", "read"))  # an owner team can be shared with too
    assert rights(s, "tom", "acc-west") == {"read"}
    ok(s, share_team("acc-west", "east-team", "read", "write"))  # again: replaces
    assert rights(s, "tom", "acc-west") == {"read", "write"}
    ok(s, unshare_team("acc-west", "east-team"), unshare_team("acc-west", "east-team"))
    assert rights(s, "tom", "acc-west") == NONE


@pytest.mark.rule("SEC-10", "SEC-5")
def test_a_manager_reaches_rows_shared_with_a_team_of_their_report_within_the_share() -> None:
    w = _shared_world("read")
    w["hierarchy"]["enabled"] = True
    w["users"][-1]["manager"] = "carol"  # tom reports to carol
    s = system(w)
    assert rights(s, "carol", "acc-west") == {"read"}


@pytest.mark.rule("SEC-10", "SEC-9")
def test_a_deleted_row_takes_its_team_shares_with_it() -> None:
    s = system(_shared_world("read", "write", "delete"))
    ok(s, delete(TOM, "account", "acc-west", "op-1"))
    sync(s, TOM)
    assert "acc-west" not in server_ids(s)
    assert s.server.directory.team_shares == {}


# --- EVENT-2 ------------------------------------------------------------------------------


BAD_EVENTS: list[tuple[str, dict[str, Any], str]] = [
    ("member-unknown-team", add_member("nowhere", "bob"), "invalid"),
    ("member-unknown-user", add_member("east-team", "nobody"), "invalid"),
    ("member-no-user", {"kind": "add_member", "team": "east-team"}, "invalid"),
    ("role-to-access-team", assign_team_role("helpers", "reader"), "invalid"),
    ("unknown-team-role", assign_team_role("east-team", "nothing"), "invalid"),
    ("team-role-no-team", {"kind": "assign_team_role", "role": "reader"}, "invalid"),
    ("share-unknown-team", share_team("acc-west", "nowhere", "read"), "invalid"),
    ("share-unknown-row", share_team("ghost", "helpers", "read"), "not_found"),
    ("share-bad-rights", share_team("acc-west", "helpers", "own"), "invalid"),
    ("unshare-unknown-row", unshare_team("ghost", "helpers"), "not_found"),
    ("reassign-to-access-team", reassign("acc-west", "helpers"), "invalid"),
    ("create-for-access-team", server_create("task", "t-1", "helpers", {
        "subject": "x", "done": False}), "invalid"),
]  # fmt: skip


@pytest.mark.rule("EVENT-2", "SEC-9", "SEC-10")
@pytest.mark.parametrize(("name", "event", "reason"), BAD_EVENTS, ids=[b[0] for b in BAD_EVENTS])
def test_bad_team_events_are_refused_and_change_nothing(
    name: str, event: dict[str, Any], reason: str
) -> None:
    s = system(_team_world())
    d = s.server.directory
    before = (
        {t: set(m) for t, m in d.team_members.items()},
        {t: set(r) for t, r in d.team_roles.items()},
        dict(d.team_shares),
        s.observe(),
    )
    assert s.apply(event) == refused(reason)  # type: ignore[arg-type]
    after = (d.team_members, d.team_roles, d.team_shares, s.observe())
    assert after == before


@pytest.mark.rule("EVENT-1", "SEC-9")
def test_adding_a_member_again_or_removing_a_non_member_changes_nothing() -> None:
    s = system(_team_world())
    ok(s, add_member("east-team", "bob"), remove_member("east-team", "erin"))
    ok(s, remove_team_role("helpers", "reader"))
    assert s.server.directory.team_members["east-team"] == {"bob", "tom"}
