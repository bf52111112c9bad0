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
    grants,
    hierarchy_subjects,
    level_above,
    lookups_set,
    new_row_rights,
    owner_bu,
    reaches,
    row_rights,
    secured_columns_denied,
    team_shared_rights,
)
from models.server import Change

_REASON_RULES = {
    "privilege": ["SEC-1", "SEC-3", "SEC-7"],
    "conflict": ["CONFLICT-3", "CONFLICT-1"],
    "invalid": ["WORLD-3", "VALID-3"],
    "not_found": ["VALID-3", "SYNC-2"],
}


def hierarchy_rule(system: ModelSystem) -> str:
    """The hierarchy rule of the world's model: manager (SEC-5) or position (SEC-8)."""
    return "SEC-8" if system.world.hierarchy_model == "position" else "SEC-5"


def in_one_line(system: ModelSystem, user: str, row: str, owner: str) -> bool:
    """Whether ``user`` and one of the row's users (its owner, its owner team's members, those
    it is shared with) are in one line of the hierarchy, in either direction: the hierarchy
    gives ``user`` something on it, or would if it were walked the wrong way."""
    world, d = system.world, system.server.directory
    return any(
        level_above(world, d, user, subject) is not None
        or level_above(world, d, subject, user) is not None
        for subject, _ in hierarchy_subjects(world, d, row, owner)
    )


def security_rules(system: ModelSystem, user: str, row: str, right: RowRight) -> list[str]:
    """``_security_rules``, with WORLD-2 first when the row's owning business unit has moved
    since the world was given (its owner moved, or the row was reassigned) and a grant at
    Business Unit or Parent:Child depth is in play: a unit that did not follow its owner is
    then the likelier bug than a depth evaluated wrongly."""
    rules = _security_rules(system, user, row, right)
    server_row = system.server.rows.get(row)
    if server_row is None or not _unit_moved(system, row, server_row.owner):
        return rules
    d = system.server.directory
    levels = [level for level, _ in grants(system.world, d, user, server_row.table, right)]
    if any(level in (_BUSINESS_UNIT, _PARENT_CHILD) for level in levels):
        return ["WORLD-2", *(r for r in rules if r != "WORLD-2")]
    return rules


_BUSINESS_UNIT, _PARENT_CHILD = DEPTHS.index("business_unit"), DEPTHS.index("parent_child")
_USER = DEPTHS.index("user")


def _unit_moved(system: ModelSystem, row: str, owner: str) -> bool:
    """Whether ``row``'s owning business unit differs from the one it had in the world as
    given (WORLD-2): its owner moved, or it was reassigned to another unit's principal."""
    spec = system.world.spec
    given = next((r["owner"] for r in spec["rows"] if r["id"] == row), None)
    if given is None:
        return False
    units = {u["id"]: u["business_unit"] for u in spec["users"]}
    units |= {t["id"]: t["business_unit"] for t in spec.get("teams", [])}
    now = owner_bu(system.world, system.server.directory, owner)
    return units.get(given) != now


def _security_rules(system: ModelSystem, user: str, row: str, right: RowRight) -> list[str]:
    """The security rules deciding ``user``'s ``right`` on ``row``, the most specific first.
    When a role of the user's own reaches the row, depth decides (SEC-1), or the deepest of
    several roles' grants (SEC-2) when another role's would not reach it; a team's role, or
    the row's team owner, make it the teams' rule (SEC-9). Otherwise a share (SEC-4), a team's
    share (SEC-10), the hierarchy (SEC-5, SEC-8) or a team's role (SEC-9) is what could grant
    it, then depth (SEC-1); a team's role before depth when no role of the user's own grants
    the right, or grants it only at User depth while a team owns the row."""
    server_row = system.server.rows.get(row)
    if server_row is None:
        return ["SEC-1", "SEC-2"]
    world, d, owner, table = (
        system.world,
        system.server.directory,
        server_row.owner,
        server_row.table,
    )
    own = [
        DEPTHS.index(d.role_privileges[role].get((table, right), "none"))
        for role in sorted(d.user_roles[user])
    ]
    every = grants(world, d, user, table, right)
    teams = every[len(own) :]  # the grants of team roles (SEC-9)
    own_reach = [reaches(world, d, level, user, owner) for level in own]
    team_reach = any(reaches(world, d, level, p, owner) for level, p in teams)
    member = user in d.team_members.get(owner, ()) and owner in world.owner_teams
    # a team role read as the member's own (from the member's unit, or at User depth for the
    # member's rows): the team bug that would give this right (SEC-9)
    as_members = any(level >= 1 and reaches(world, d, level, user, owner) for level, _ in teams)
    teamed = owner in world.owner_teams or any(level >= 1 for level, _ in teams)
    if any(own_reach):
        rules = ["SEC-2", "SEC-1"] if not all(own_reach) else ["SEC-1"]
        if member:  # reached as a member of the owner team
            rules = ["SEC-9", *rules]
        elif teamed:
            rules.append("SEC-9")
        return [*rules, "WORLD-2"]
    if team_reach:  # reached by a team's role: from the team's unit (SEC-9) or by depth?
        # with no role of the user's own granting the right, only the team's role decides
        if as_members and any(own):
            return ["SEC-1", "SEC-9", "WORLD-2"]
        return ["SEC-9", "SEC-1", "WORLD-2"]
    # teams the user was a member of in the world as given and is no longer: a right through
    # one of them, kept after the membership ended, is the teams' rules' business
    former = [
        t for t in world.spec.get("teams", [])
        if user in t["members"] and user not in d.team_members.get(t["id"], ())
    ]  # fmt: skip
    rules = []
    if any(
        right in rights and (r, t["id"]) == (row, team)
        for t in former
        for (r, team), rights in d.team_shares.items()
    ):
        rules.append("SEC-10")
    if owner in {t["id"] for t in former} or any(
        reaches(world, d, level_of_team, t["id"], owner)
        for t in former
        for role in t["roles"]
        for level_of_team in [DEPTHS.index(d.role_privileges[role].get((table, right), "none"))]
    ):
        rules.append("SEC-9")
    if right in d.shares.get((row, user), frozenset()):
        rules.append("SEC-4")
    if right in (team_shared_rights(d, user, row) or frozenset()):
        rules.append("SEC-10")
    if in_one_line(system, user, row, owner):
        rules.append(hierarchy_rule(system))
    if (as_members or member) and "SEC-9" not in rules:
        rules.append("SEC-9")
    rules = list(dict.fromkeys(rules))
    # no role of the user's own grants the right, or only at User depth (the user's own rows)
    # while a team owns this one: the teams' rule before depth
    own_narrow = max(own, default=0) <= _USER
    if teamed and own_narrow and (not any(own) or owner in world.owner_teams):
        if "SEC-9" not in rules:
            rules.append("SEC-9")
    rules.append("SEC-1")
    if teamed and "SEC-9" not in rules:
        rules.append("SEC-9")
    return [*rules, "WORLD-2"]


def append_rules(
    system: ModelSystem,
    user: str,
    table: str,
    values: dict[str, Any],
    rights: frozenset[RowRight],
    row: str | None,
) -> list[str]:
    """SEC-11, then the rules deciding the Append (on the changed row: ``rights``, ``row`` None
    for a new one) or Append To (on a row a lookup names) that the model found missing: a
    team's role, a share, the hierarchy. (Whether the check was skipped or the right computed
    wrongly, the result cannot tell; SEC-11 is the likelier.)"""
    if "append" not in rights:
        if row is None:  # a new row: who may append to it is its owner's business (SEC-9)
            return ["SEC-11", "SEC-9"] if system.world.owner_teams else ["SEC-11"]
        found = security_rules(system, user, row, "append")
    else:
        found = []
        for target_table, rid in lookups_set(system.world, table, values):
            target = system.server.rows.get(rid or "")
            if rid is not None and target is not None and target.table == target_table:
                if "append_to" not in row_rights(
                    system.world, system.server.directory, user, target_table, rid, target.owner
                ):
                    found = security_rules(system, user, rid, "append_to")
                    break
    return ["SEC-11", *found]


def change_rules(system: ModelSystem, user: str, change: Change) -> list[str]:
    """The security rules deciding whether the server's privileges allow a change now, the
    most specific first: Create for its owner (SEC-3, SEC-9), the right it uses on its row
    (``security_rules``), Append and Append To for the lookups it sets (SEC-11), field-level
    security (SEC-7)."""
    world, d = system.world, system.server.directory
    lookups = bool(lookups_set(world, change.table, change.values))
    if change.kind == "create":
        owner = user if change.owner is None else change.owner
        teamed = owner != user or any(
            p != user for _, p in grants(world, d, user, change.table, "create")
        )
        create = ["SEC-9", "SEC-3"] if teamed else ["SEC-3"]
        if not can_create(world, d, user, change.table, owner):
            return [*create, "SEC-2" if len(d.user_roles[user]) > 1 else "SEC-1"]
        if lookups:
            rights = new_row_rights(world, d, user, change.table, owner)
            return [*append_rules(system, user, change.table, change.values, rights, None),
                    "SEC-7", *create]  # fmt: skip
        return ["SEC-7", *create]
    right: RowRight = "write" if change.kind == "update" else "delete"
    rules = security_rules(system, user, change.row, right)
    server_row = system.server.rows.get(change.row)
    if server_row is None:
        return rules
    rights = row_rights(world, d, user, server_row.table, change.row, server_row.owner)
    secured = secured_columns_denied(world, user, change.table, list(change.values))
    if right in rights and lookups:
        found = append_rules(system, user, change.table, change.values, rights, change.row)
        if found == ["SEC-11"] and secured:  # Append and Append To held: the column decides
            return ["SEC-7", *found, *rules]
        return [*found, *(r for r in rules if r not in found)]
    if right in rights and "read" not in rights:  # allowed without Read: SEC-12's case
        return ["SEC-12", *rules]
    if right in rights and secured:
        return ["SEC-7", *rules]  # the right is held: a secured column decides it
    return rules


def explain_row(
    system: ModelSystem, device: str, row: str, batch: list[Change] | None = None
) -> list[str]:
    """Why a row should (or should not) be on a device after a download, as rule IDs
    (``batch``: the cycle's batch, whose rejected changes are reverted: VALID-4)."""
    dev = system.devices[device]
    if not dev.snapshot.offline:  # no tables at all: no Read on the offline profile
        return ["PROFILE-8"]
    now = {ch.op_id for ch in batch} if batch is not None else None
    if any(e["row"] == row and (now is None or e["op_id"] in now) for e in dev.errors):
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
    if readable and row_filter == "related":  # whether it is related decides (PROFILE-7),
        # or the rights on it (or on the rows it is related through) were misjudged
        return ["PROFILE-7", *security_rules(system, user, row, "read")]
    if not readable and "SEC-12" in system.last_rules and row in dev.cache:
        return ["SEC-12", *security_rules(system, user, row, "read")]  # written, not readable
    if row_filter == "related" and not readable:  # related rows are readable ones too
        return [*security_rules(system, user, row, "read"), "PROFILE-7"]
    if readable:  # shown by the model, readable and passing the filter: the implementation
        # judged the rights otherwise, or the filter (PROFILE-5)
        return [*security_rules(system, user, row, "read"), "PROFILE-5"]
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
        if reason == "conflict":  # the conflict policy decided, not generic validation
            return [*_REASON_RULES[reason], "VALID-1"]
        return ["VALID-1", *_REASON_RULES.get(reason, [])]
    if dev.user not in system.server.directory.profile_members:
        # applied although the user lost Read on the offline profile: it is not a privilege
        # on rows, what was queued before still goes up (PROFILE-8's Decision)
        return ["PROFILE-8", "VALID-1", "VALID-3"]
    # the model applied every change: a retried change (uploaded under its old operation id,
    # the server answers with the first outcome: VALID-5), a write or delete without Read
    # (rare, so first when it happened), exactly-once, conflict resolution and order matter
    if any(ch.retry_of is not None for ch in changes):
        return ["VALID-5", "SYNC-5", "VALID-1"]
    edits = [ch for ch in changes if ch.kind != "create"]
    if "SEC-12" in system.last_rules and edits:
        # an update or delete applied for a user who may write (delete) it but not read it
        row_left = system.server.rows.get(row)
        if row_left is None or "read" not in row_rights(
            system.world, system.server.directory, dev.user, row_left.table, row, row_left.owner
        ):
            # a lookup set too: Append and Append To are the likelier question (SEC-11)
            if any(lookups_set(system.world, ch.table, ch.values) for ch in edits):
                return ["SEC-11", "SEC-12", "VALID-1", "SYNC-2", "CONFLICT-1"]
            return ["SEC-12", "VALID-1", "SYNC-2", "CONFLICT-1"]
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
        security = change_rules(system, dev.user, changes[0])
        if security[0] == "SEC-9":  # created for a team
            return ["SEC-9", *usual, *security[1:]]
        return [*usual, "SEC-3"]
    security = change_rules(system, dev.user, changes[0])
    if security[0] not in ("SEC-1", "SEC-11"):  # a share, a manager, a team, several roles
        return [security[0], *usual, *security[1:]]  # decide this right
    # the model applied it, so Append and Append To were held: that a change setting a
    # lookup was dropped or refused is likelier validation's doing than Append's (SEC-11)
    return [*usual, *security]


def _privilege_rejection(system: ModelSystem, user: str, change: Change) -> list[str]:
    """A change the model rejected for privileges and the implementation applied: a missing
    check (VALID-1) unless a specific security rule is involved."""
    rules = change_rules(system, user, change)
    if rules[0] in ("SEC-1", "SEC-3"):  # nothing specific: the check itself is missing
        return ["VALID-1", *rules]
    return [rules[0], "VALID-1", *rules[1:]]


def explain_errors(
    system: ModelSystem, device: str, expected: Any, actual: Any, batch: list[Change]
) -> list[str]:
    """Why the open errors (VALID-2) differ after a cycle: errors of earlier cycles dropped,
    left over or duplicated (VALID-2; an error named by the operation id a retry should have
    replaced, VALID-5), or, among the batch's, a wrong row or reason, a missing rejection, or
    a rejection the model did not make. ``batch`` is the model's batch for the cycle."""
    if not isinstance(expected, list) or not isinstance(actual, list):
        return ["VALID-2"]
    acts = [a for a in actual if isinstance(a, dict)]
    act_ids = [a.get("op_id") for a in acts]
    if len(set(map(repr, act_ids))) < len(act_ids):  # one operation id recorded twice
        return ["VALID-2", "SYNC-5", "FAULT-2"]
    now = {ch.op_id for ch in batch}
    retried = {ch.retry_of for ch in batch if ch.retry_of is not None}
    earlier_exp = [e for e in expected if e["op_id"] not in now]
    earlier_act = [a for a in acts if a.get("op_id") not in now]
    if earlier_exp != earlier_act:
        if any(a.get("op_id") in retried for a in earlier_act):
            return ["VALID-5", "SYNC-5", "VALID-2"]  # a retry uploaded under its old id
        return ["VALID-2"]  # an earlier error dropped, left over, or named by a stranger id
    return _explain_batch_errors(
        system,
        device,
        [e for e in expected if e["op_id"] in now],
        [a for a in acts if a.get("op_id") in now],
        batch,
    )


def _explain_batch_errors(
    system: ModelSystem,
    device: str,
    expected: list[Any],
    actual: list[dict[str, Any]],
    batch: list[Change],
) -> list[str]:
    """Why the errors a cycle recorded for its batch differ."""
    exp = [_key(e) for e in expected]
    act = [_key(e) for e in actual]
    if exp != act and sorted(exp, key=repr) == sorted(act, key=repr):
        return ["SYNC-2", "VALID-2"]  # the same rejections in another order: out of order
    if len(exp) == len(act) and sorted(k[::2] for k in exp) == sorted(k[::2] for k in act):
        return ["VALID-2"]  # same kinds rejected: some for another row, or other values
    for e in expected:
        twin = [a for a in actual if _key(a) == _key(e)]
        if twin and twin[0].get("reason") != e["reason"]:
            return ["VALID-3", "VALID-2"]
    missing = [e for e in expected if _key(e) not in act]
    extra = [a for a in actual if _key(a) not in exp]
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
            change = next((c for c in batch if c.row == a.get("row")), None)
            if change is None:
                return ["SEC-3", "SEC-7"]
            return change_rules(system, user, change)
    return ["VALID-2"]


def _key(error: dict[str, Any]) -> tuple[Any, Any, Any]:
    return (error.get("table"), error.get("row"), error.get("op"))


def decision(snapshot: Snapshot, cached: bool, op: Operation, user: str = "") -> bool:
    """Whether ``user``'s privilege snapshot allows a local edit (STALE-1), Append aside:
    Create for the owner it names (SEC-9: for a team not among the snapshot's, none), or the
    right it uses."""
    table = op.get("table", "")
    if op["kind"] == "create":
        owner = op.get("owner")
        if owner is None or owner == user:
            return table in snapshot.create_tables
        return table in snapshot.team_create_tables.get(owner, frozenset())
    right = "write" if op["kind"] == "update" else "delete"
    if cached:
        return right in snapshot.row_rights.get(op.get("row", ""), frozenset())
    return right in snapshot.own_rights.get(table, frozenset())


def _basic_allowed(dev: Device, op: Operation) -> bool:
    """Whether the device's snapshot allows an edit by its Create or the right it uses, that
    is everything but Append and Append To (SEC-11)."""
    table = op.get("table", "")
    if op["kind"] == "create":
        owner = op.get("owner")
        return dev.may_create(table, owner if isinstance(owner, str) else None)
    right: RowRight = "write" if op["kind"] == "update" else "delete"
    return right in dev.rights(op.get("row", ""), table)


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
    world, table = system.world, op.get("table", "")
    # when the server would decide otherwise now, the device may have asked it (STALE-1), or
    # computed the snapshot's rights wrongly: a share, a team, a manager is then the suspect
    involved = (
        [] if op["kind"] == "create" else security_rules(system, dev.user, op.get("row", ""), right)
    )
    special = [r for r in involved if r in ("SEC-4", "SEC-5", "SEC-8", "SEC-9", "SEC-10")]
    if op["kind"] == "create":  # Create at User depth, from the deepest of several roles
        d = system.server.directory
        first = [u["roles"] for u in world.spec["users"] if u["id"] == dev.user]
        roles = max(len(d.user_roles[dev.user]), *(len(r) for r in first))
        special = ["SEC-3", "SEC-2" if roles > 1 else "SEC-1"]
        team_grants = any(p != dev.user for _, p in grants(world, d, dev.user, table, "create"))
        # the snapshot may be older than the membership: the teams of the world as given too
        teams_given = any(
            dev.user in t["members"] and t["roles"] for t in world.spec.get("teams", [])
        )
        if op.get("owner") not in (None, dev.user) or team_grants or teams_given:
            special = ["SEC-9", *special]  # created for a team, or Create from a team's role
    values = op.get("values") or {}
    lookups = (
        table in world.tables and isinstance(values, dict) and lookups_set(world, table, values)
    )
    # the snapshot allows the edit's Create or right: Append or Append To decided it (SEC-11),
    # and when the model refused it, the rule deciding the right it found missing
    if lookups and not act_ok and _basic_allowed(dev, op):
        readable = system.server.readable(dev.user)
        # a row it names that the device holds but the server no longer lets it read: a device
        # that asked the server now (STALE-1) would not find it
        gone = [rid for _, rid in lookups if rid in dev.cache and rid not in readable]
        if gone and "STALE-1" not in system.last_rules:
            return ["STALE-1", "STALE-3", "SEC-11", *special]
    if lookups and _basic_allowed(dev, op):
        found = ["SEC-11"]
        if not exp_ok:
            owner = op.get("owner") if isinstance(op.get("owner"), str) else None
            row = None if op["kind"] == "create" else op.get("row", "")
            rights = dev.rights(row, table) if row is not None else dev.new_row_rights(table, owner)
            found = append_rules(system, dev.user, table, values, rights, row)
        special = [*found, *(r for r in special if r not in found)]
    cached = op.get("row", "") in dev.cache
    # the decision of a snapshot an earlier sync replaced
    earlier = any(decision(old, cached, op, dev.user) == act_ok != exp_ok for old in previous)
    if "STALE-1" in system.last_rules:  # the server would decide otherwise now
        return ["STALE-1", *(["STALE-4"] if earlier else []), *special]
    rid = op.get("row", "")
    if rid in dev.cache and rid not in system.server.readable(dev.user):
        server_row = system.server.rows.get(rid)
        live = server_row is not None and right in row_rights(
            world, system.server.directory, dev.user, server_row.table, rid, server_row.owner
        )
        # decided by what the server says now: a fresh download has no such row (a refusal),
        # or the server's rights allow it
        if not act_ok or live:
            return ["STALE-1", "STALE-3", *special]
    if earlier:  # a snapshot not refreshed (STALE-4), or the right its path gives (a share,
        # a team, the hierarchy, Append) computed wrongly into the new one: the path first
        return [*special[:1], "STALE-4", "STALE-1", *special[1:]]
    if exp_ok and not act_ok and op["kind"] != "create":
        if "read" not in dev.rights(rid, table):  # the snapshot allows it without Read
            return ["SEC-12", *special, *(r for r in involved if r not in special)]
    if op["kind"] == "create" or "SEC-11" in special[:2]:
        return [*special, *(r for r in involved if r not in special)]
    return [*involved, "STALE-1"]


def explain_tables(system: ModelSystem, device: str, actual: Any) -> list[str]:
    """Why a device's metadata covers other tables than the model's: Read on the offline
    profile judged wrongly (PROFILE-8: no tables, or all of them), a profile table judged on or
    off the device wrongly (PROFILE-1), or metadata beyond the device tables (PROFILE-4)."""
    dev = system.devices[device]
    expected = set(dev.tables())
    shown = set(actual) if isinstance(actual, list) else set()
    if not expected or not shown:
        membership = not dev.snapshot.offline or system.world.profile_users != frozenset(
            system.server.directory.user_bu
        )
        if membership and (expected or shown) == set(metadata_tables(system.world)):
            return ["PROFILE-8", "PROFILE-1", "PROFILE-4"]
    if shown - expected - set(system.world.profile):  # a table the profile does not have
        return ["PROFILE-4", "PROFILE-1"]
    return ["PROFILE-1", "PROFILE-4"]
