"""A counterexample told to a person: one or two sentences, then the facts.

``tell(mismatch)`` opens with what happened (the step), what the implementation showed and
what SPEC expects, and the rule in plain words (``GLOSS``); then the world as a short table
(units, users, roles as depths per table, tables, profile, devices, rows), the numbered
operations in one-line form (``d0 create account n1 {name: "a", revenue: 0}``), the field with
the expected and actual values, and the replay command. The JSON form stays in report.json.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from models.records import Operation, WorldSpec
from models.rules import RULES

WIDTH = 100
MISSING = "<missing>"

#: each rule in plain words, as SPEC.md states it (a test keeps every rule covered)
GLOSS: dict[str, str] = {
    "WORLD-1": "a world that breaks the data model is refused as a whole",
    "WORLD-2": "a row's owning business unit is its owner's, and follows the owner",
    "WORLD-3": "values must fit their column's schema; a create gives every column",
    "WORLD-4": "row ids and operation ids are chosen by the device",
    "PROFILE-1": "a device holds the profile's tables that are in an offline-enabled app module",
    "PROFILE-2": "an operation on a table the device does not hold is refused not_offline",
    "PROFILE-3": "a view is available offline only when its table and every table it references "
    "are on the device",
    "PROFILE-4": "the metadata covers exactly the device tables, and a device starts signed in",
    "PROFILE-5": "a download holds only the rows that pass the table's row filter",
    "PROFILE-6": "a local edit that its table does not allow offline is refused "
    "not_supported_offline and nothing is queued",
    "PROFILE-7": (
        "a table of related rows only holds the readable rows a lookup joins to rows the device"
        " downloads, in either direction and from row to row"
    ),
    "PROFILE-8": "a device whose user has no Read on the offline profile holds no tables and "
    "refuses every local operation; a grant or revocation reaches it at its next cycle",
    "SEC-1": "a depth reaches the user's own rows (user), the unit's, the unit and those below "
    "it, or every row (organization)",
    "SEC-2": "a user's depth is the deepest any of their roles grants",
    "SEC-3": "creating needs Create at user depth; the creator owns the new row",
    "SEC-4": "a share counts only where the user holds the privilege at user depth",
    "SEC-5": "the direct manager of a row's owner may read and write it (not delete), managers "
    "above may read it",
    "SEC-6": "the device does not apply field-level security",
    "SEC-8": "holders of the direct parent position may read and write a position holder's rows, "
    "higher positions read them",
    "SEC-9": "an owner team's roles reach from the team; members act through it, and may "
    "create rows the team owns",
    "SEC-10": "a row shared with a team gives each member the shared rights they hold at user "
    "depth",
    "SEC-11": "setting a lookup needs Append on the row and Append To on the row it names",
    "SEC-12": "an update needs Write and a delete Delete, not Read",
    "SEC-7": "the server rejects a change that sets a secured column the user may not set",
    "STALE-1": "between syncs the device decides with the privileges of its last sync",
    "STALE-2": "a row that becomes readable appears only after the next completed sync",
    "STALE-3": "a row that stops being readable stays until the next completed sync",
    "STALE-4": "the next completed sync replaces the cache and the privilege snapshot",
    "VALID-1": "an uploaded change is validated when applied; a rejected one changes nothing",
    "VALID-2": "each rejected change is recorded once as an open sync error, with its values "
    "and operation id, after the errors still open; it stays until retried or dismissed",
    "VALID-3": "a rejection's reason comes from the first failing check: not_found, invalid, "
    "privilege, conflict",
    "VALID-4": "after the sync the device shows the server's truth for rejected changes",
    "VALID-5": "retrying an open sync error queues its change again under a new operation id "
    "and closes it, dismissing closes it; an error not open is not_found, a retry without a "
    "fresh operation id invalid",
    "SYNC-1": "every accepted edit waits in the outbox, in order, until a completed sync "
    "acknowledges it",
    "SYNC-2": "a batch is applied in order, each change on the state the previous one left",
    "SYNC-3": "edits made during a cycle belong to the next one: never lost, never applied twice",
    "SYNC-4": "after a completed sync with nothing pending, the device shows exactly the "
    "user's projection",
    "SYNC-5": "an operation id is applied at most once; a retry changes nothing",
    "SYNC-6": "a local edit shows on the device at once",
    "SYNC-7": "during a cycle local operations are decided as outside one",
    "SYNC-8": "a restart keeps cache, snapshot and outbox; a batch under way goes back to the "
    "front of the outbox",
    "CONFLICT-1": "a change conflicts when the server row changed since the device's base by "
    "anything but this device",
    "CONFLICT-2": "under client_wins a conflicting update overlays its columns, a delete deletes",
    "CONFLICT-3": "under server_wins a conflicting change is rejected with conflict",
    "EVENT-1": "a server-side event takes effect on the server at once, on devices at their "
    "next sync",
    "EVENT-2": "an event naming something unknown is refused and changes nothing",
    "DEVICE-1": "local checks run in order: not_offline, not_found, invalid, privilege",
    "FAULT-1": "a lost upload is refused network, applies nothing and leaves everything pending",
    "FAULT-2": "an upload applied without an answer stays pending and the next cycle applies "
    "none of it twice",
    "FAULT-3": "a lost download leaves the device's cache, snapshot and errors as they were, "
    "the batch pending",
    "FAULT-4": "an app killed while storing the download restarts as it was before it",
    "FAULT-5": "a server restart keeps every row, privilege and applied operation id",
}

_DEPTH = {
    "none": "-",
    "user": "user",
    "business_unit": "unit",
    "parent_child": "unit+below",
    "organization": "org",
}
_PRIV = {"create": "C", "read": "R", "write": "W", "delete": "D", "append": "A", "append_to": "AT"}


# --- values and operations ---------------------------------------------------------------------


def value(v: Any, limit: int = 40) -> str:
    """A value as JSON, cut when long."""
    if v == MISSING:
        return "nothing"
    text = json.dumps(v, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def values(vs: dict[str, Any]) -> str:
    """``{name: "a", revenue: 0}``"""
    return "{" + ", ".join(f"{k}: {value(v)}" for k, v in vs.items()) + "}"


def operation(op: Operation) -> str:
    """One operation on one line: ``d0 create account n1 {name: "a"} (op2)``."""
    kind = op["kind"]
    parts: list[str] = []
    if "device" in op:
        parts.append(str(op["device"]))
    parts.append(kind)
    named: dict[str, Any] = dict(op)
    keys = ("table", "row", "user", "team", "role", "privilege", "depth", "business_unit")
    for key in (*keys, "position", "parent", "fault", "error"):
        if key in named:
            if key == "fault":
                parts.append(f"[fault: {named[key]}]")
            elif key == "error":
                parts.append(f"error {named[key]}")
            elif key in ("table", "row"):
                parts.append(str(named[key]))
            else:
                parts.append(f"{key}={named[key] if named[key] is not None else '-'}")
    if "manager" in op:
        parts.append(f"manager={op['manager'] or '-'}")
    if "owner" in op:
        parts.append(f"owner={op['owner']}")
    if "rights" in op:
        parts.append("rights=" + ",".join(op["rights"]))
    if "values" in op:
        parts.append(values(op["values"]))
    if "op_id" in op:
        parts.append(f"({op['op_id']})")
    return " ".join(parts)


def _result(r: Any) -> str:
    if not isinstance(r, dict):
        return value(r)
    if r.get("status") == "refused":
        return f"refused ({r.get('reason')})"
    if "rows" in r:
        return f"accepted, {len(r['rows'])} row(s) read"
    return str(r.get("status", value(r)))


def _errors(errs: Any) -> str:
    if not isinstance(errs, list):
        return value(errs)
    if not errs:
        return "no errors"
    return "; ".join(_error(e) if isinstance(e, dict) else value(e) for e in errs)


def _error(e: dict[str, Any]) -> str:
    """One sync error: ``update account a1 {revenue: 0}: privilege (op3)``."""
    text = f"{e.get('op')} {e.get('table')} {e.get('row')}"
    if isinstance(e.get("values"), dict) and e["values"]:
        text += " " + values(e["values"])
    text += f": {e.get('reason')}"
    if "op_id" in e:
        text += f" ({e['op_id']})"
    return text


# --- the sentence ---------------------------------------------------------------------------


def _step(ops: list[Operation], failing: int) -> str:
    if failing < 0:
        return "Right after the world was set up (every device signed in)"
    return f"At step {failing + 1} ({operation(ops[failing])})"


def _difference(field: str, expected: Any, actual: Any) -> str:
    """What the implementation showed and what SPEC expects, in words."""
    parts = field.strip("/").split("/")
    if parts[0] == "result":
        return f"the implementation answered {_result(actual)}; SPEC expects {_result(expected)}"
    if parts[0] == "devices" and len(parts) >= 3:
        device, what = parts[1], parts[2]
        if what == "pending":
            return (
                f"{device} shows {value(actual)} pending change(s); SPEC expects {value(expected)}"
            )
        if what == "in_cycle":
            shown = "in a cycle" if actual is True else "not in a cycle"
            return f"{device} says it is {shown}; SPEC expects the opposite"
        if what == "errors" and len(parts) >= 5:
            number, key = int(parts[3]) + 1 if parts[3].isdigit() else parts[3], parts[4]
            return (
                f"{device}'s sync error {number} has {key} {value(actual)}; SPEC expects "
                f"{value(expected)}"
            )
        if what == "errors":
            return (
                f"{device}'s sync errors are: {_errors(actual)}; SPEC expects: {_errors(expected)}"
            )
        if what in ("views", "metadata_tables"):
            name = "views" if what == "views" else "metadata tables"
            return f"{device}'s {name} are {value(actual)}; SPEC expects {value(expected)}"
        if what == "rows" and len(parts) >= 5:
            table, row = parts[3], parts[4]
            if actual == MISSING:
                return f"{device} does not show {table} row {row}, which SPEC expects it to show"
            if expected == MISSING:
                return f"{device} shows {table} row {row}, which SPEC says it must not show"
            if len(parts) >= 6:
                return (
                    f"{device} shows {table} {row}'s {parts[5]} as {value(actual)}; SPEC "
                    f"expects {value(expected)}"
                )
            return (
                f"{device} shows {table} {row} as {value(actual)}; SPEC expects {value(expected)}"
            )
        if what == "rows" and len(parts) == 4:
            table = parts[3]
            if actual == MISSING:
                return f"{device} has no {table} rows; SPEC expects {value(expected, 60)}"
            if expected == MISSING:
                return f"{device} shows {table} rows {value(actual, 60)}; SPEC expects none"
        if actual == MISSING:
            return f"{device} reports no {what}; SPEC expects {value(expected)}"
    if parts[0] == "server" and len(parts) >= 2:
        row = parts[1]
        if actual == MISSING:
            return f"the server does not hold row {row}, which SPEC expects it to hold"
        if expected == MISSING:
            return f"the server holds row {row}, which SPEC says it must not hold"
        detail = "/".join(parts[2:]) or "row"
        return (
            f"the server holds {row}'s {detail} as {value(actual)}; SPEC expects {value(expected)}"
        )
    return f"at {field} the implementation has {value(actual)}; SPEC expects {value(expected)}"


def sentence(
    rules: list[str], field: str, expected: Any, actual: Any, ops: list[Operation], failing: int
) -> str:
    """What happened, what the implementation did, what SPEC expects and why: one or two
    sentences in plain words."""
    rule = rules[0] if rules else "?"
    first = f"{_step(ops, failing)}, {_difference(field, expected, actual)}."
    why = f"{rule} ({RULES.get(rule, '?')}): {GLOSS.get(rule, RULES.get(rule, ''))}."
    also = f" Also concerned: {', '.join(rules[1:4])}." if len(rules) > 1 else ""
    return first + " " + why + also


# --- the facts ------------------------------------------------------------------------------


#: row filters as told (PROFILE-5, PROFILE-7)
_FILTER = {"related": "related rows only"}


def world_table(world: WorldSpec) -> list[str]:
    """The world as a short table: one line per kind of entry (wrapped at ``WIDTH``)."""
    hierarchy = world["hierarchy"]
    model = hierarchy.get("model", "manager")
    lines = [
        f"world: conflict policy {world['conflict_policy']}, hierarchy "
        + (f"on ({model}s, depth {hierarchy['depth']})" if hierarchy["enabled"] else "off")
        + (", Append privileges" if world.get("append_privileges") else "")
    ]
    parent = {b["id"]: b["parent"] for b in world["business_units"]}
    units = ", ".join(b if parent[b] is None else f"{b} < {parent[b]}" for b in parent)
    rows: list[tuple[str, str]] = [("units", units)]
    for u in world["users"]:
        position = f", position {u['position']}" if u.get("position") else ""
        rows.append(
            (
                f"user {u['id']}",
                f"unit {u['business_unit']}, manager {u['manager'] or '-'}{position}, roles "
                + (", ".join(u["roles"]) or "-"),
            )
        )
    for team in world.get("teams", []):
        roles = f", roles {', '.join(team['roles'])}" if team["roles"] else ""
        rows.append(
            (
                f"team {team['id']}",
                f"{team['kind']} team of unit {team['business_unit']}, members "
                + (", ".join(team["members"]) or "-")
                + roles,
            )
        )
    if world.get("positions"):
        tree = ", ".join(
            p["id"] if p["parent"] is None else f"{p['id']} < {p['parent']}"
            for p in world["positions"]
        )
        rows.append(("positions", tree))
    for r in world["roles"]:
        inherit = r.get("member_inheritance")
        grants = ("(members: direct basic) " if inherit == "direct_basic" else "") + "; ".join(
            f"{t} " + " ".join(f"{_PRIV[p]}:{_DEPTH[d]}" for p, d in privs.items())
            for t, privs in r["privileges"].items()
        )
        rows.append((f"role {r['id']}", grants or "nothing"))
    permitted = {(p["table"], p["column"]): p["users"] for p in world["field_permissions"]}
    for t in world["tables"]:
        cols = []
        for c in t["columns"]:
            text = c
            if c in t["lookups"]:
                text += f" -> {t['lookups'][c]}"
            if c in t["secured"]:
                who = permitted.get((t["name"], c), [])
                text += f" [secured: {', '.join(who) or 'nobody'} may set]"
            cols.append(text)
        offline_ops = t.get("offline_operations")
        limits = f" [offline: {', '.join(offline_ops)} only]" if offline_ops is not None else ""
        rows.append((f"table {t['name']}", ", ".join(cols) + limits))
    offline = [
        f"{m['id']}{'' if m['offline_enabled'] else ' (not offline)'}: {', '.join(m['tables'])}"
        for m in world["app_modules"]
    ]
    profile = ", ".join(f"{t} ({_FILTER.get(f, f)})" for t, f in world["profile"].items()) or "-"
    readers = world.get("profile_users")
    members = "" if readers is None else f"; Read on it: {', '.join(readers) or 'nobody'}"
    rows.append(("profile", f"{profile}; modules {'; '.join(offline)}{members}"))
    rows.append(("devices", ", ".join(f"{d['id']} of {d['user']}" for d in world["devices"])))
    for row in world["rows"]:
        rows.append(
            (f"row {row['id']}", f"{row['table']} owned by {row['owner']} {values(row['values'])}")
        )
    for s in world["shares"]:
        rows.append(("share", f"{s['row']} with {s['user']}: {', '.join(s['rights'])}"))
    for ts in world.get("team_shares", []):
        rows.append(("share", f"{ts['row']} with team {ts['team']}: {', '.join(ts['rights'])}"))
    for v in world["views"]:
        refs = f" referencing {', '.join(v['references'])}" if v["references"] else ""
        rows.append((f"view {v['id']}", f"on {v['table']}{refs}"))
    width = max(len(k) for k, _ in rows)
    for key, text in rows:
        lines += textwrap.wrap(
            text,
            WIDTH,
            initial_indent=f"  {key:<{width}}  ",
            subsequent_indent=" " * (width + 4),
            break_on_hyphens=False,
        ) or [f"  {key}"]
    return lines


def tell(
    *,
    family: str,
    world: WorldSpec,
    operations: list[Operation],
    failing_step: int,
    rules: list[str],
    field: str,
    expected: Any,
    actual: Any,
    replay: str | None = None,
) -> str:
    """The whole counterexample for a person (see the module's docstring)."""
    lines = textwrap.wrap(sentence(rules, field, expected, actual, operations, failing_step), WIDTH)
    lines.append("")
    lines += world_table(world)
    shown = operations[: failing_step + 1] if failing_step >= 0 else []
    lines.append(f"operations ({len(shown)}, family {family}):" if shown else "operations: none")
    for i, op in enumerate(shown):
        marker = ">" if i == failing_step else " "
        lines += textwrap.wrap(
            operation(op),
            WIDTH,
            initial_indent=f"{marker}{i + 1:>3}. ",
            subsequent_indent="       ",
            break_on_hyphens=False,
        )
    lines.append(f"at {field}: expected {value(expected, 60)}, actual {value(actual, 60)}")
    if replay:
        lines.append(f"replay: {replay}")
    return "\n".join(lines)
