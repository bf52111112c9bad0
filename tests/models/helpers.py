"""Shared builders for the unit tests of the reference model.

Worlds start from ``models.examples.sample_world`` (a fresh deep copy on every call) and are
tweaked per test with the small ``add_*`` / ``set_*`` helpers below. Operations are built by
one short function per kind, and ``ok``/``sync`` apply operations that must be accepted.

The sample world: business units org > sales > (east, west) and org > service; carol (org,
role manager: read organization) manages alice (sales), who manages bob (east) and dan (west);
erin is in service. Salespeople create, write and delete at User depth and read at Business
Unit depth. Rows: acc-east, con-east, task-east (bob), acc-west (dan), acc-sales (alice).
Devices: bob-phone and bob-tablet (bob), alice-phone (alice). Hierarchy enabled, depth 2.
"""

from __future__ import annotations

from typing import Any

from models import ModelSystem
from models.examples import sample_world
from models.records import WorldSpec

#: An operation, a result or a sync error: plain JSON dicts (shapes in models/records.py).
Op = dict[str, Any]

ACCEPTED: Op = {"status": "accepted"}

BOB = "bob-phone"
TABLET = "bob-tablet"
ALICE = "alice-phone"


def refused(reason: str) -> Op:
    return {"status": "refused", "reason": reason}


def error(table: str, row: str, op: str, reason: str) -> Op:
    return {"table": table, "row": row, "op": op, "reason": reason}


# --- worlds -------------------------------------------------------------------------------


def world(profile: dict[str, Any] | None = None, conflict_policy: Any = "client_wins") -> WorldSpec:
    """A fresh copy of the sample world."""
    return sample_world(profile=profile, conflict_policy=conflict_policy)


def add_business_unit(w: WorldSpec, bu: str, parent: str | None) -> None:
    w["business_units"].append({"id": bu, "parent": parent})


def add_user(
    w: WorldSpec,
    user: str,
    bu: str,
    manager: str | None = None,
    roles: tuple[str, ...] = ("salesperson",),
) -> None:
    w["users"].append({"id": user, "business_unit": bu, "manager": manager, "roles": list(roles)})


def user_spec(w: WorldSpec, user: str) -> Any:
    return next(u for u in w["users"] if u["id"] == user)


def set_roles(w: WorldSpec, user: str, *roles: str) -> None:
    user_spec(w, user)["roles"] = list(roles)


def set_manager_in(w: WorldSpec, user: str, manager: str | None) -> None:
    user_spec(w, user)["manager"] = manager


def add_role(w: WorldSpec, role: str, privileges: dict[str, dict[str, str]]) -> None:
    w["roles"].append({"id": role, "privileges": privileges})


def role_spec(w: WorldSpec, role: str) -> Any:
    return next(r for r in w["roles"] if r["id"] == role)


def add_device(w: WorldSpec, device: str, user: str) -> None:
    w["devices"].append({"id": device, "user": user})


def add_row(w: WorldSpec, row: str, table: str, owner: str, values: dict[str, Any]) -> None:
    w["rows"].append({"id": row, "table": table, "owner": owner, "values": dict(values)})


def add_share(w: WorldSpec, row: str, user: str, *rights: str) -> None:
    w["shares"].append({"row": row, "user": user, "rights": list(rights)})


def add_position(w: WorldSpec, position: str, parent: str | None) -> None:
    w.setdefault("positions", []).append({"id": position, "parent": parent})


def set_position_in(w: WorldSpec, user: str, position: str | None) -> None:
    user_spec(w, user)["position"] = position


def add_team(
    w: WorldSpec,
    team: str,
    bu: str,
    members: tuple[str, ...] = (),
    roles: tuple[str, ...] = (),
    kind: str = "owner",
) -> None:
    w.setdefault("teams", []).append(
        {
            "id": team,
            "kind": kind,  # type: ignore[typeddict-item]
            "business_unit": bu,
            "members": list(members),
            "roles": list(roles),
        }
    )


def add_team_share(w: WorldSpec, row: str, team: str, *rights: str) -> None:
    w.setdefault("team_shares", []).append(
        {"row": row, "team": team, "rights": list(rights)}  # type: ignore[typeddict-item]
    )


def system(w: WorldSpec | None = None) -> ModelSystem:
    return ModelSystem(world() if w is None else w)


# --- column values ------------------------------------------------------------------------


def account(
    name: str = "Adatum",
    revenue: int = 7,
    primarycontact: str | None = None,
    creditlimit: float | None = None,
) -> dict[str, Any]:
    return {
        "name": name,
        "revenue": revenue,
        "primarycontact": primarycontact,
        "creditlimit": creditlimit,
    }


def contact(fullname: str = "Ana Ruiz", email: str | None = None) -> dict[str, Any]:
    return {"fullname": fullname, "email": email}


def task(subject: str = "Call", done: bool = False) -> dict[str, Any]:
    return {"subject": subject, "done": done}


# --- device operations --------------------------------------------------------------------


def create(
    device: str,
    table: str,
    row: str,
    values: dict[str, Any],
    op_id: str,
    owner: str | None = None,
) -> Op:
    op: Op = {
        "kind": "create",
        "device": device,
        "table": table,
        "row": row,
        "values": values,
        "op_id": op_id,
    }
    if owner is not None:
        op["owner"] = owner
    return op


def update(device: str, table: str, row: str, values: dict[str, Any], op_id: str) -> Op:
    return {
        "kind": "update",
        "device": device,
        "table": table,
        "row": row,
        "values": values,
        "op_id": op_id,
    }


def delete(device: str, table: str, row: str, op_id: str) -> Op:
    return {"kind": "delete", "device": device, "table": table, "row": row, "op_id": op_id}


def read(device: str, table: str) -> Op:
    return {"kind": "read", "device": device, "table": table}


def sync_start(device: str) -> Op:
    return {"kind": "sync_start", "device": device}


def sync_end(device: str) -> Op:
    return {"kind": "sync_end", "device": device}


def restart(device: str) -> Op:
    return {"kind": "restart", "device": device}


# --- server-side events -------------------------------------------------------------------


def assign_role(user: str, role: str) -> Op:
    return {"kind": "assign_role", "user": user, "role": role}


def remove_role(user: str, role: str) -> Op:
    return {"kind": "remove_role", "user": user, "role": role}


def set_depth(role: str, table: str, privilege: str, depth: str) -> Op:
    return {
        "kind": "set_depth",
        "role": role,
        "table": table,
        "privilege": privilege,
        "depth": depth,
    }


def set_position(user: str, position: str | None) -> Op:
    return {"kind": "set_position", "user": user, "position": position}


def move_position(position: str, parent: str | None) -> Op:
    return {"kind": "move_position", "position": position, "parent": parent}


def add_member(team: str, user: str) -> Op:
    return {"kind": "add_member", "team": team, "user": user}


def remove_member(team: str, user: str) -> Op:
    return {"kind": "remove_member", "team": team, "user": user}


def assign_team_role(team: str, role: str) -> Op:
    return {"kind": "assign_team_role", "team": team, "role": role}


def remove_team_role(team: str, role: str) -> Op:
    return {"kind": "remove_team_role", "team": team, "role": role}


def share_team(row: str, team: str, *rights: str) -> Op:
    return {"kind": "share_team", "row": row, "team": team, "rights": list(rights)}


def unshare_team(row: str, team: str) -> Op:
    return {"kind": "unshare_team", "row": row, "team": team}


def share(row: str, user: str, *rights: str) -> Op:
    return {"kind": "share", "row": row, "user": user, "rights": list(rights)}


def unshare(row: str, user: str) -> Op:
    return {"kind": "unshare", "row": row, "user": user}


def set_manager(user: str, manager: str | None) -> Op:
    return {"kind": "set_manager", "user": user, "manager": manager}


def move_user(user: str, bu: str) -> Op:
    return {"kind": "move_user", "user": user, "business_unit": bu}


def reassign(row: str, owner: str) -> Op:
    return {"kind": "reassign", "row": row, "owner": owner}


def server_create(table: str, row: str, owner: str, values: dict[str, Any]) -> Op:
    return {"kind": "server_create", "table": table, "row": row, "owner": owner, "values": values}


def server_update(row: str, values: dict[str, Any]) -> Op:
    return {"kind": "server_update", "row": row, "values": values}


def server_delete(row: str) -> Op:
    return {"kind": "server_delete", "row": row}


# --- driving and observing ----------------------------------------------------------------


def ok(s: ModelSystem, *ops: Op) -> None:
    """Apply each operation; every one must be accepted."""
    for op in ops:
        result = s.apply(op)
        assert result == ACCEPTED, (op, result)


def sync(s: ModelSystem, device: str) -> None:
    """One complete cycle: sync_start then sync_end, both accepted."""
    ok(s, sync_start(device), sync_end(device))


def shown(s: ModelSystem, device: str, table: str) -> dict[str, dict[str, Any]]:
    """The rows a device shows in one table (row id -> values)."""
    return s.observe()["devices"][device]["rows"][table]


def shown_ids(s: ModelSystem, device: str, table: str) -> list[str]:
    return sorted(shown(s, device, table))


def open_errors(s: ModelSystem, device: str) -> list[Op]:
    """A device's open sync errors, whole (VALID-2)."""
    return s.observe()["devices"][device]["errors"]  # type: ignore[return-value]


def errors(s: ModelSystem, device: str) -> list[Op]:
    """A device's open sync errors by table, row, operation and reason: what most tests are
    about (``open_errors`` gives the values and operation ids too)."""
    keys = ("table", "row", "op", "reason")
    return [{k: e[k] for k in keys} for e in s.observe()["devices"][device]["errors"]]


def full_error(
    table: str, row: str, op: str, reason: str, values: dict[str, Any], op_id: str
) -> Op:
    return {**error(table, row, op, reason), "values": values, "op_id": op_id}


def retry(device: str, failed: str, op_id: str) -> Op:
    return {"kind": "retry", "device": device, "error": failed, "op_id": op_id}


def dismiss(device: str, failed: str) -> Op:
    return {"kind": "dismiss", "device": device, "error": failed}


def pending(s: ModelSystem, device: str) -> int:
    return s.observe()["devices"][device]["pending"]


def server_values(s: ModelSystem, row: str) -> dict[str, Any]:
    return s.observe()["server"][row]["values"]


def server_ids(s: ModelSystem) -> list[str]:
    return sorted(s.observe()["server"])
