"""SEC-11 (setting a lookup needs Append and Append To) and SEC-12 (an update or delete needs
only its own right: Write without Read is applied)."""

from __future__ import annotations

import pytest

from models import ModelSystem
from models.records import WorldSpec
from models.security import row_rights
from tests.models.helpers import (
    ALICE,
    BOB,
    account,
    add_row,
    add_share,
    add_user,
    contact,
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
    share,
    shown_ids,
    sync,
    system,
    update,
    world,
)


def rights(s: ModelSystem, user: str, row: str) -> frozenset[str]:
    r = s.server.rows[row]
    return row_rights(s.world, s.server.directory, user, r.table, row, r.owner)


def _append_world(account_append: str = "user", contact_append_to: str = "user") -> WorldSpec:
    """The sample world with Append privileges: salespeople hold Append on account at
    ``account_append`` and Append To on contact at ``contact_append_to``. eve (unit east,
    salesperson) owns con-eve; dan owns con-west (unit west, which bob cannot read)."""
    w = world()
    w["append_privileges"] = True
    w["hierarchy"]["enabled"] = False
    privileges = role_spec(w, "salesperson")["privileges"]
    privileges["account"]["append"] = account_append  # type: ignore[index]
    privileges["contact"]["append_to"] = contact_append_to  # type: ignore[index]
    add_user(w, "eve", "east")
    add_row(w, "con-eve", "contact", "eve", contact("Eve"))
    add_row(w, "con-west", "contact", "dan", contact("West"))
    return w


def set_contact(row: str, target: str | None, op_id: str) -> dict[str, object]:
    return update(BOB, "account", row, {"primarycontact": target}, op_id)


@pytest.mark.rule("SEC-11")
def test_setting_a_lookup_needs_append_on_the_row_and_append_to_on_the_target() -> None:
    s = system(_append_world())
    assert "append" in rights(s, "bob", "acc-east")
    assert "append_to" in rights(s, "bob", "con-east")
    ok(s, set_contact("acc-east", "con-east", "op-1"))
    # con-eve is shown (Business Unit read) but bob has Append To on his own contacts only
    assert s.apply(set_contact("acc-east", "con-eve", "op-2")) == refused("privilege")
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-east")["primarycontact"] == "con-east"


@pytest.mark.rule("SEC-11")
def test_without_append_on_the_changed_row_no_lookup_is_set() -> None:
    s = system(_append_world(account_append="none"))
    assert s.apply(set_contact("acc-east", "con-east", "op-1")) == refused("privilege")
    ok(s, update(BOB, "account", "acc-east", {"revenue": 3}, "op-2"))  # a plain Write


@pytest.mark.rule("SEC-11")
def test_clearing_a_lookup_needs_neither() -> None:
    s = system(_append_world(account_append="none", contact_append_to="none"))
    ok(s, set_contact("acc-east", None, "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == [] and server_values(s, "acc-east")["primarycontact"] is None


@pytest.mark.rule("SEC-11", "VALID-1")
def test_a_target_the_device_does_not_show_is_left_to_the_server() -> None:
    s = system(_append_world())
    ok(s, set_contact("acc-east", "con-west", "op-1"))  # con-west is not on bob's phone
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    wide = system(_append_world(contact_append_to="organization"))
    ok(wide, set_contact("acc-east", "con-west", "op-1"))
    sync(wide, BOB)
    assert errors(wide, BOB) == []


@pytest.mark.rule("SEC-11")
def test_a_lookup_naming_no_row_needs_append_only() -> None:
    s = system(_append_world(contact_append_to="none"))
    ok(s, set_contact("acc-east", "no-such-contact", "op-1"))
    ok(s, set_contact("acc-east", "task-east", "op-2"))  # a row of another table
    sync(s, BOB)
    assert errors(s, BOB) == []


@pytest.mark.rule("SEC-11", "SEC-3")
def test_a_create_setting_a_lookup_needs_append_on_the_new_row() -> None:
    s = system(_append_world())
    ok(s, create(BOB, "account", "acc-1", account(primarycontact="con-east"), "op-1"))
    assert s.apply(create(BOB, "account", "acc-2", account(primarycontact="con-eve"), "op-2")) == (
        refused("privilege")
    )
    no_append = system(_append_world(account_append="none"))
    op = create(BOB, "account", "acc-1", account(primarycontact="con-east"), "op-1")
    assert no_append.apply(op) == refused("privilege")
    ok(no_append, create(BOB, "account", "acc-3", account(), "op-3"))  # lookup null


@pytest.mark.rule("SEC-11", "STALE-1")
def test_a_target_created_on_the_device_uses_the_new_row_rights() -> None:
    s = system(_append_world())
    ok(
        s,
        create(BOB, "contact", "con-new", contact("New"), "op-1"),
        create(BOB, "account", "acc-1", account(primarycontact="con-new"), "op-2"),
    )
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "acc-1")["primarycontact"] == "con-new"


@pytest.mark.rule("SEC-11", "STALE-1", "VALID-1")
def test_a_revoked_append_to_is_found_at_sync() -> None:
    s = system(_append_world())
    ok(s, set_depth("salesperson", "contact", "append_to", "none"))
    ok(s, set_contact("acc-east", "con-east", "op-1"))  # the snapshot still allows it
    sync(s, BOB)
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]
    assert server_values(s, "acc-east")["primarycontact"] == "con-east"  # unchanged: it was
    assert s.apply(set_contact("acc-east", "con-east", "op-2")) == refused("privilege")


@pytest.mark.rule("SEC-11", "SEC-5", "SEC-4")
def test_the_direct_manager_and_shares_give_append_and_append_to() -> None:
    w = _append_world()
    w["hierarchy"]["enabled"] = True
    add_share(w, "con-west", "bob", "read", "append_to")
    s = system(w)
    # alice holds Append on account but no Append To on it: the hierarchy gives no more
    assert rights(s, "alice", "acc-east") == {"read", "write", "append"}
    assert rights(s, "alice", "con-east") == {"read", "write", "append_to"}
    assert rights(s, "carol", "acc-east") == {"read"}
    assert "append_to" in rights(s, "bob", "con-west")
    ok(s, share("con-west", "bob", "read"))
    assert "append_to" not in rights(s, "bob", "con-west")


@pytest.mark.rule("SEC-11")
def test_without_append_privileges_in_the_world_lookups_need_nothing_more() -> None:
    w = _append_world(account_append="none", contact_append_to="none")
    del w["append_privileges"]
    s = system(w)
    assert "append" not in rights(s, "bob", "acc-east")  # not a right that exists here
    ok(s, set_contact("acc-east", "con-west", "op-1"))
    sync(s, BOB)
    assert errors(s, BOB) == []


# --- SEC-12 -------------------------------------------------------------------------------


@pytest.mark.rule("SEC-12", "STALE-1", "SYNC-4")
@pytest.mark.parametrize("kind", ["update", "delete"])
def test_write_or_delete_without_read_is_applied_and_the_row_leaves_the_device(kind: str) -> None:
    s = system()
    ok(s, set_depth("salesperson", "account", "read", "none"))
    assert rights(s, "bob", "acc-east") == {"write", "delete"}
    edit = (
        update(BOB, "account", "acc-east", {"revenue": 4}, "op-1")
        if kind == "update"
        else delete(BOB, "account", "acc-east", "op-1")
    )
    ok(s, edit)
    sync(s, BOB)
    assert errors(s, BOB) == []
    if kind == "update":
        assert server_values(s, "acc-east")["revenue"] == 4
    else:
        assert "acc-east" not in server_ids(s)
    assert "acc-east" not in shown_ids(s, BOB, "account")


@pytest.mark.rule("SEC-12", "DEVICE-1")
def test_a_row_created_here_is_updated_without_read() -> None:
    w = world()
    role_spec(w, "salesperson")["privileges"]["task"]["read"] = "none"
    s = system(w)
    task = {"subject": "x", "done": False}
    ok(
        s,
        create(BOB, "task", "t-1", task, "op-1"),
        update(BOB, "task", "t-1", {"done": True}, "op-2"),
    )
    assert shown_ids(s, BOB, "task") == ["t-1"]
    sync(s, BOB)
    assert errors(s, BOB) == []
    assert server_values(s, "t-1") == {"subject": "x", "done": True}
    assert shown_ids(s, BOB, "task") == []
    assert s.observe()["devices"][ALICE]["rows"]["task"] == {}  # alice reads sales only
