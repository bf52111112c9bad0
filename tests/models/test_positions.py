"""SEC-8: the position hierarchy (and what it does not do), with its events (EVENT-1, EVENT-2)."""

from __future__ import annotations

import pytest

from models import ModelSystem
from models.records import WorldSpec
from models.security import row_rights
from tests.models.helpers import (
    ALICE,
    BOB,
    account,
    add_device,
    add_position,
    add_role,
    add_row,
    add_user,
    delete,
    move_position,
    ok,
    refused,
    role_spec,
    set_manager_in,
    set_position,
    set_position_in,
    set_roles,
    shown_ids,
    sync,
    system,
    update,
    world,
)

DIRECT = frozenset({"read", "write"})
NONE: frozenset[str] = frozenset()


def rights(s: ModelSystem, user: str, row: str) -> frozenset[str]:
    r = s.server.rows[row]
    return row_rights(s.world, s.server.directory, user, r.table, row, r.owner)


def _position_world(depth: int = 2, model: str = "position") -> WorldSpec:
    """Positions ceo > vp-sales > sales-mgr > sales, and ceo > vp-service > support.

    zed holds ceo, carol vp-sales, alice sales-mgr, bob and dan sales, vic (unit org)
    vp-service, erin (unit service) support. Everyone holds only the role own (every privilege
    at User depth). The sample world's managers (carol > alice > bob, dan) stay in place: in the
    position model they give nothing."""
    w = world()
    w["hierarchy"] = {"enabled": True, "depth": depth, "model": model}  # type: ignore[typeddict-item]
    own = {"create": "user", "read": "user", "write": "user", "delete": "user"}
    add_role(w, "own", {t: dict(own) for t in ("account", "contact", "opportunity", "task")})
    add_user(w, "zed", "org", roles=("own",))
    add_user(w, "vic", "org", roles=("own",))
    for user in ("carol", "alice", "bob", "dan", "erin"):
        set_roles(w, user, "own")
    for position, parent in [
        ("ceo", None),
        ("vp-sales", "ceo"),
        ("sales-mgr", "vp-sales"),
        ("sales", "sales-mgr"),
        ("vp-service", "ceo"),
        ("support", "vp-service"),
    ]:
        add_position(w, position, parent)
    for user, position in [
        ("zed", "ceo"),
        ("carol", "vp-sales"),
        ("alice", "sales-mgr"),
        ("bob", "sales"),
        ("dan", "sales"),
        ("vic", "vp-service"),
        ("erin", "support"),
    ]:
        set_position_in(w, user, position)
    add_row(w, "acc-erin", "account", "erin", account("Erin"))
    add_device(w, "zed-phone", "zed")
    add_device(w, "vic-phone", "vic")
    return w


@pytest.mark.rule("SEC-8")
def test_direct_parent_position_reads_and_writes_but_does_not_delete() -> None:
    s = system(_position_world())
    assert rights(s, "alice", "acc-east") == DIRECT
    assert rights(s, "alice", "acc-west") == DIRECT
    ok(s, update(ALICE, "account", "acc-east", {"revenue": 5}, "op-1"))
    assert s.apply(delete(ALICE, "account", "acc-east", "op-2")) == refused("privilege")
    sync(s, ALICE)
    assert s.observe()["server"]["acc-east"]["values"]["revenue"] == 5


@pytest.mark.rule("SEC-8")
def test_higher_positions_read_only_within_the_depth() -> None:
    s = system(_position_world(depth=2))
    assert rights(s, "carol", "acc-east") == {"read"}
    assert rights(s, "zed", "acc-east") == NONE  # three positions up
    assert rights(s, "zed", "acc-sales") == {"read"}  # alice's row, two positions up
    s3 = system(_position_world(depth=3))
    assert rights(s3, "zed", "acc-east") == {"read"}


@pytest.mark.rule("SEC-8")
def test_positions_reach_across_business_units() -> None:
    s = system(_position_world())
    assert rights(s, "vic", "acc-erin") == DIRECT  # vic in org, erin in service
    assert shown_ids(s, "vic-phone", "account") == ["acc-erin"]


@pytest.mark.rule("SEC-8")
def test_holders_of_one_position_and_other_branches_get_nothing() -> None:
    s = system(_position_world())
    assert rights(s, "bob", "acc-west") == NONE  # bob and dan both hold sales
    assert rights(s, "vic", "acc-east") == NONE  # vp-service is not above sales
    assert rights(s, "carol", "acc-erin") == NONE


@pytest.mark.rule("SEC-8", "SEC-5")
def test_managers_give_nothing_in_the_position_model_and_positions_nothing_in_the_other() -> None:
    w = _position_world()
    set_position_in(w, "alice", None)  # alice still manages bob
    set_manager_in(w, "erin", "bob")
    s = system(w)
    assert rights(s, "alice", "acc-east") == NONE
    assert rights(s, "bob", "acc-erin") == NONE
    manager_model = system(_position_world(model="manager"))
    assert rights(manager_model, "alice", "acc-east") == DIRECT  # alice manages bob
    assert rights(manager_model, "vic", "acc-erin") == NONE  # positions give nothing


@pytest.mark.rule("SEC-8")
def test_a_user_without_a_position_gives_and_gets_nothing() -> None:
    w = _position_world()
    set_position_in(w, "bob", None)
    s = system(w)
    assert rights(s, "alice", "acc-east") == NONE
    assert rights(s, "alice", "acc-west") == DIRECT


@pytest.mark.rule("SEC-8")
@pytest.mark.parametrize("privilege", ["read", "write"])
def test_the_higher_position_needs_the_privilege_at_user_depth(privilege: str) -> None:
    w = _position_world()
    role_spec(w, "own")["privileges"]["account"][privilege] = "none"
    s = system(w)
    assert rights(s, "alice", "acc-east") == DIRECT - {privilege}


@pytest.mark.rule("SEC-8", "EVENT-1", "STALE-4")
def test_moving_a_user_to_another_position_reaches_the_device_at_its_next_sync() -> None:
    s = system(_position_world())
    assert "acc-east" in shown_ids(s, ALICE, "account")
    ok(s, set_position("bob", "support"))
    assert rights(s, "alice", "acc-east") == NONE
    assert rights(s, "vic", "acc-east") == DIRECT  # vic holds support's parent position
    assert rights(s, "zed", "acc-east") == {"read"}
    ok(s, update(ALICE, "account", "acc-east", {"revenue": 9}, "op-1"))  # the old snapshot
    assert "acc-east" in shown_ids(s, ALICE, "account")
    sync(s, ALICE)
    assert s.observe()["devices"][ALICE]["errors"][0]["reason"] == "privilege"
    assert "acc-east" not in shown_ids(s, ALICE, "account")


@pytest.mark.rule("SEC-8", "EVENT-1")
def test_moving_a_position_moves_what_it_reaches() -> None:
    s = system(_position_world())
    ok(s, move_position("sales", "vp-service"))  # sales now reports to vp-service
    assert rights(s, "vic", "acc-east") == DIRECT
    assert rights(s, "alice", "acc-east") == NONE
    ok(s, move_position("vp-sales", None))  # a second root
    assert rights(s, "zed", "acc-sales") == NONE


@pytest.mark.rule("EVENT-2", "SEC-8")
@pytest.mark.parametrize(
    "event",
    [
        move_position("ceo", "sales"),  # a cycle
        move_position("ceo", "ceo"),
        move_position("nowhere", None),
        move_position("sales", "nowhere"),
        set_position("bob", "nowhere"),
        set_position("nobody", "sales"),
        {"kind": "move_position", "position": None, "parent": "ceo"},
        {"kind": "set_position", "user": "bob"},
    ],
    ids=["cycle", "self", "unknown", "unknown-parent", "unknown-position", "unknown-user",
         "null-position", "no-position"],
)  # fmt: skip
def test_bad_position_events_are_refused_and_change_nothing(event: dict[str, object]) -> None:
    s = system(_position_world())
    before = dict(s.server.directory.position_parent), dict(s.server.directory.user_position)
    assert s.apply(event) == refused("invalid")  # type: ignore[arg-type]
    after = s.server.directory.position_parent, s.server.directory.user_position
    assert after == before


@pytest.mark.rule("SEC-8")
def test_a_user_leaves_every_position() -> None:
    s = system(_position_world())
    ok(s, set_position("alice", None))
    assert rights(s, "alice", "acc-east") == NONE
    assert rights(s, "carol", "acc-east") == {"read"}  # still two positions above sales
    sync(s, BOB)
    assert "acc-east" in shown_ids(s, BOB, "account")
