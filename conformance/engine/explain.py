"""Explanations: from one mismatch and the model's state, the rules most likely broken.

The engine asks these when a step's answer differs from the model's; ``compare.blame`` puts
what they say after the rules always named for that kind of difference and before the rules
the model merely exercised. Each explanation lists the most specific rule first: when a row's
rights come from a share, the sharing rule; from a manager, the hierarchy rule; and so on.
"""

from __future__ import annotations

from typing import Any

from conformance.engine.compare import reason_of
from models import ModelSystem
from models.device import Device
from models.profile import metadata_tables, passes_filter
from models.records import DEPTHS, Operation, RowRight
from models.security import (
    Snapshot,
    can_create,
    depth_covers,
    manager_level,
    row_rights,
    secured_columns_denied,
)
from models.server import Change

_REASON_RULES = {
    "privilege": ["SEC-1", "SEC-3", "SEC-7"],
    "conflict": ["CONFLICT-3", "CONFLICT-1"],
    "invalid": ["WORLD-3", "VALID-3"],
    "not_found": ["VALID-3", "SYNC-2"],
}


def security_rules(system: ModelSystem, user: str, row: str, right: RowRight) -> list[str]:
    """The security rules deciding ``user``'s ``right`` on ``row``, the most specific first.
    When the user's depth reaches the row, depth decides (SEC-1), or the deepest of several
    roles' grants (SEC-2) when another role's would not reach it; otherwise a share (SEC-4)
    or the manager hierarchy (SEC-5) is what could grant it, then depth (SEC-1)."""
    server_row = system.server.rows.get(row)
    if server_row is None:
        return ["SEC-1", "SEC-2"]
    world, d, owner = system.world, system.server.directory, server_row.owner
    grants = [
        DEPTHS.index(d.role_privileges[role].get((server_row.table, right), "none"))
        for role in sorted(d.user_roles[user])
    ]
    reach = [depth_covers(world, d, user, level, owner) for level in grants]
    if any(reach):
        return ["SEC-2", "SEC-1", "WORLD-2"] if not all(reach) else ["SEC-1", "WORLD-2"]
    rules: list[str] = []
    if right in d.shares.get((row, user), frozenset()):
        rules.append("SEC-4")
    if manager_level(world, d, user, owner) is not None:
        rules.append("SEC-5")
    return [*rules, "SEC-1", "WORLD-2"]


def explain_row(system: ModelSystem, device: str, row: str) -> list[str]:
    """Why a row should (or should not) be on a device after a download, as rule IDs."""
    dev = system.devices[device]
    if any(e["row"] == row for e in dev.errors):
        return ["VALID-4"]
    if any(ch.row == row for ch in dev.pending()):
        return ["SYNC-3", "SYNC-6"]
    server_row = system.server.rows.get(row)
    if server_row is None:
        return ["SYNC-4"]
    d, world, user = system.server.directory, system.world, dev.user
    readable = "read" in row_rights(world, d, user, server_row.table, row, server_row.owner)
    row_filter = world.profile.get(server_row.table, "all")
    if readable and not passes_filter(world, d, user, row_filter, server_row.owner):
        return ["PROFILE-5"]
    return security_rules(system, user, row, "read")


def explain_upload(system: ModelSystem, device: str, row: str) -> list[str]:
    """Why the server should (or should not) hold a row as it does after a device's upload."""
    dev = system.devices.get(device)
    if dev is None or dev.in_flight is None:
        return ["VALID-1"]
    changes = [ch for ch in dev.in_flight if ch.row == row]
    outcomes = [system.server.applied.get(ch.op_id) for ch in changes]
    if not outcomes:
        return ["VALID-1"]
    rejected = [o for o in outcomes if o is not None]
    if rejected:  # the model rejected a change to this row: validation at sync
        reason = rejected[0]["reason"]
        if reason == "privilege":
            change = changes[outcomes.index(rejected[0])]
            return _privilege_rejection(system, dev.user, change)
        return ["VALID-1", *_REASON_RULES.get(reason, [])]
    # the model applied every change: exactly-once, conflict resolution and order matter
    if "SYNC-5" in system.last_rules:
        return ["SYNC-5", "VALID-1"]
    if "CONFLICT-2" in system.last_rules:
        return ["CONFLICT-2", "VALID-1"]
    usual = ["VALID-1", "SYNC-2", "CONFLICT-1"]
    if len(changes) > 1:  # several changes to the row: their order decides, or, under
        # server_wins, whether the device's own earlier change counts as a conflict
        usual = ["SYNC-2", "VALID-1", "CONFLICT-1"]
        updates = sum(ch.kind == "update" for ch in changes)
        if system.world.conflict_policy == "server_wins" and updates > 1:
            usual = ["CONFLICT-1", "SYNC-2", "VALID-1"]
    if changes[0].kind == "create":
        return [*usual, "SEC-3"]
    right: RowRight = "write" if changes[0].kind == "update" else "delete"
    security = security_rules(system, dev.user, row, right)
    if security[0] != "SEC-1":  # a share, a manager or several roles decide this right
        return [security[0], *usual, *security[1:]]
    return [*usual, *security]


def _privilege_rejection(system: ModelSystem, user: str, change: Change) -> list[str]:
    """A change the model rejected for privileges and the implementation applied: a missing
    check (VALID-1) unless a specific security rule is involved."""
    if change.kind == "create":
        if not can_create(system.world, system.server.directory, user, change.table):
            return ["VALID-1", "SEC-3"]
        return ["SEC-7", "VALID-1"]
    right: RowRight = "write" if change.kind == "update" else "delete"
    rules = security_rules(system, user, change.row, right)
    if rules[0] == "SEC-1":  # nothing specific about this row: the check itself is missing
        return ["VALID-1", *rules]
    return [rules[0], "VALID-1", *rules[1:]]


def explain_errors(
    system: ModelSystem, device: str, expected: Any, actual: Any, batch: list[Change]
) -> list[str]:
    """Why a cycle's errors (VALID-2) differ: a wrong row or reason, a missing rejection, or a
    rejection the model did not make. ``batch`` is the model's batch for the cycle."""
    if not isinstance(expected, list) or not isinstance(actual, list):
        return ["VALID-2"]
    exp = [_key(e) for e in expected]
    act = [_key(e) for e in actual if isinstance(e, dict)]
    if exp != act and sorted(exp, key=repr) == sorted(act, key=repr):
        return ["SYNC-2", "VALID-2"]  # the same rejections in another order: out of order
    if len(exp) == len(act) and sorted(k[::2] for k in exp) == sorted(k[::2] for k in act):
        return ["VALID-2"]  # same kinds of changes rejected, some for another row
    for e in expected:
        twin = [a for a in actual if isinstance(a, dict) and _key(a) == _key(e)]
        if twin and twin[0].get("reason") != e["reason"]:
            return ["VALID-3", "VALID-2"]
    missing = [e for e in expected if _key(e) not in act]
    extra = [a for a in actual if isinstance(a, dict) and _key(a) not in exp]
    if missing:  # the model rejected a change the implementation accepted
        e = missing[0]
        reason = e["reason"]
        if reason == "privilege":
            change = next((c for c in batch if c.row == e["row"]), None)
            user = system.devices[device].user
            return _privilege_rejection(system, user, change) if change else ["VALID-1"]
        if reason == "not_found":
            return ["VALID-3", "SYNC-2", "VALID-1"]
        return [*_REASON_RULES.get(reason, []), "VALID-1", "VALID-2"]
    if extra:  # the implementation rejected a change the model accepted
        a = extra[0]
        reason = a.get("reason")
        if reason == "conflict":
            policy = system.world.conflict_policy
            return ["CONFLICT-2" if policy == "client_wins" else "CONFLICT-1", "CONFLICT-3"]
        earlier = [c for c in batch if c.row == a.get("row")]
        first_of_row = bool(earlier) and earlier[0].kind == a.get("op")
        if reason in ("not_found", "invalid"):
            if not first_of_row:  # applied before what it depends on
                return ["SYNC-2", "SYNC-5"]
            return ["SYNC-5", "SYNC-2"]  # applied again when the batch was re-sent
        if reason == "privilege":
            user = system.devices[device].user
            right: RowRight = "write" if a.get("op") == "update" else "delete"
            if a.get("op") == "create":
                return ["SEC-3", "SEC-7"]
            return security_rules(system, user, str(a.get("row")), right)
    return ["VALID-2"]


def _key(error: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (error.get("table"), error.get("row"), error.get("op"))


def decision(snapshot: Snapshot, cached: bool, op: Operation) -> bool:
    """Whether a privilege snapshot allows a local edit (STALE-1)."""
    if op["kind"] == "create":
        return op.get("table") in snapshot.create_tables
    right = "write" if op["kind"] == "update" else "delete"
    if cached:
        return right in snapshot.row_rights.get(op.get("row", ""), frozenset())
    return right in snapshot.own_rights.get(op.get("table", ""), frozenset())


def explain_edit(
    system: ModelSystem, op: Operation, expected: Any, actual: Any, previous: list[Snapshot]
) -> list[str]:
    """Why a local edit was decided otherwise than the model decided it, when privileges are
    involved: field security checked on the device (SEC-6), live privileges (STALE-1), the
    snapshot of an earlier sync (STALE-4; ``previous`` are the device's earlier snapshots),
    or a snapshot computed wrongly (SEC-x)."""
    dev = system.devices.get(op.get("device", ""))
    if dev is None:
        return []
    exp_ok = expected.get("status") == "accepted"
    act_ok = isinstance(actual, dict) and actual.get("status") == "accepted"
    # a refusal for privilege where the edit sets a field-secured column: field security
    # checked on the device (SEC-6), the likeliest cause when the user may not set the column
    # (the server would refuse it at the upload, SEC-7), one more suspect otherwise
    values, table = op.get("values") or {}, op.get("table", "")
    spec = system.world.tables.get(table)
    secured = [c for c in values if spec and c in spec.secured and values[c] is not None]
    field_suspect = bool(secured) and reason_of(actual) == "privilege" != reason_of(expected)
    rules = _edit_rules(system, dev, op, exp_ok, act_ok, previous)
    if not field_suspect:
        return rules
    if secured_columns_denied(system.world, dev.user, table, secured):
        return ["SEC-6", *rules]
    return [*rules, "SEC-6"]


def _edit_rules(
    system: ModelSystem,
    dev: Device,
    op: Operation,
    exp_ok: bool,
    act_ok: bool,
    previous: list[Snapshot],
) -> list[str]:
    """``explain_edit`` for every cause but field security."""
    if not exp_ok and not act_ok:  # refused both, for different reasons: the order of checks
        return ["DEVICE-1"]
    right: RowRight = "write" if op["kind"] == "update" else "delete"
    # when the server would decide otherwise now, the device may have asked it (STALE-1), or
    # computed the snapshot's rights wrongly: a share or a manager is then the suspect
    involved = (
        [] if op["kind"] == "create" else security_rules(system, dev.user, op.get("row", ""), right)
    )
    special = [r for r in involved if r in ("SEC-4", "SEC-5")]
    if op["kind"] == "create":  # Create at User depth, from the deepest of several roles
        d = system.server.directory
        first = [u["roles"] for u in system.world.spec["users"] if u["id"] == dev.user]
        roles = max(len(d.user_roles[dev.user]), *(len(r) for r in first))
        special = ["SEC-3", "SEC-2" if roles > 1 else "SEC-1"]
    cached = op.get("row", "") in dev.cache
    # the decision of a snapshot an earlier sync replaced
    earlier = any(decision(old, cached, op) == act_ok != exp_ok for old in previous)
    if "STALE-1" in system.last_rules:  # the server would decide otherwise now
        return ["STALE-1", *(["STALE-4"] if earlier else []), *special]
    if op.get("row") in dev.cache and op.get("row") not in system.server.readable(dev.user):
        return ["STALE-1", "STALE-3", *special]  # decided by what the server says now
    if earlier:
        return ["STALE-4", "STALE-1"]
    if op["kind"] == "create":
        return special
    return [*involved, "STALE-1"]


def explain_tables(system: ModelSystem, actual: Any) -> list[str]:
    """Why a device's metadata covers other tables than the model's: a profile table judged
    on or off the device wrongly (PROFILE-1), or metadata beyond the device tables
    (PROFILE-4)."""
    expected = set(metadata_tables(system.world))
    shown = set(actual) if isinstance(actual, list) else set()
    if shown - expected - set(system.world.profile):  # a table the profile does not have
        return ["PROFILE-4", "PROFILE-1"]
    return ["PROFILE-1", "PROFILE-4"]
