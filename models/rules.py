"""The rule catalogue: every rule ID of SPEC.md with its one-line title, and the capabilities
that rules need.

SPEC.md's rule index and this table are kept equal by a test.
"""

from __future__ import annotations

from models.records import SERVER_KINDS

RULES: dict[str, str] = {
    "WORLD-1": "A world is well formed",
    "WORLD-2": "A row's owning business unit is its owner's",
    "WORLD-3": "Columns are typed by JSON Schema",
    "WORLD-4": "Ids are client-generated",
    "PROFILE-1": "Device tables = profile tables in offline-enabled app modules",
    "PROFILE-2": "Operations outside the device tables are refused `not_offline`",
    "PROFILE-3": "A view is available iff all its tables are on the device",
    "PROFILE-4": "Metadata covers exactly the device tables; devices start signed in",
    "PROFILE-5": "Row filters: all, mine, my business unit",
    "PROFILE-6": "Per-table offline operations; others refused `not_supported_offline`",
    "PROFILE-7": "Related rows only: rows related through lookups to downloaded rows",
    "PROFILE-8": "A user without Read on the offline profile has no device tables",
    "SEC-1": "Depths: user, business unit, parent:child, organization",
    "SEC-2": "Roles combine by the deepest grant",
    "SEC-3": "Create needs User depth; the creator owns the row",
    "SEC-4": "Sharing needs the privilege at User depth",
    "SEC-5": "Manager hierarchy: direct Read/Write, higher Read only",
    "SEC-6": "No field-level security on the device",
    "SEC-7": "Field-level security enforced by the server at sync",
    "SEC-8": "Position hierarchy: direct parent Read/Write, higher Read only",
    "SEC-9": "Owner teams: team roles, team-owned rows, creates for a team",
    "SEC-10": "Sharing with teams, within each member's privileges",
    "SEC-11": "Setting a lookup needs Append and Append To",
    "SEC-12": "Write without Read: updates and deletes need only their own right",
    "STALE-1": "Local decisions use the last sync's snapshot",
    "STALE-2": "Newly readable rows wait for the next sync",
    "STALE-3": "No-longer-readable rows stay until the next sync",
    "STALE-4": "Privilege changes reach the device at the next sync",
    "VALID-1": "Uploaded changes are validated when applied; rejected ones change nothing",
    "VALID-2": "One open sync error per rejected change, until retried or dismissed",
    "VALID-3": "Rejection reasons and their order",
    "VALID-4": "After the cycle the device shows the server's truth",
    "VALID-5": "Sync errors can be retried or dismissed",
    "SYNC-1": "Durable ordered outbox; pending count",
    "SYNC-2": "Ordered upload, each change on the state left by the previous",
    "SYNC-3": "Edits during a cycle belong to the next one",
    "SYNC-4": "Convergence after a completed cycle with nothing pending",
    "SYNC-5": "Operation ids make uploads exactly-once",
    "SYNC-6": "Local edits show at once",
    "SYNC-7": "The app is usable during a cycle",
    "SYNC-8": "Restarts lose nothing",
    "CONFLICT-1": "What counts as a conflict",
    "CONFLICT-2": "`client_wins`",
    "CONFLICT-3": "`server_wins`",
    "EVENT-1": "Server-side events take effect on the server at once",
    "EVENT-2": "Bad events change nothing",
    "DEVICE-1": "Local checks and their order",
    "FAULT-1": "A lost upload changes nothing",
    "FAULT-2": "An upload applied without an answer is applied once",
    "FAULT-3": "A lost download changes nothing on the device",
    "FAULT-4": "An app killed while storing the download loses nothing",
    "FAULT-5": "A server restart keeps what it committed",
}


#: The clauses of the rules that state several conditions or outcomes (SPEC.md's clause
#: index, kept equal by a test): ``RULE.clause`` -> what it covers. A clause counts as
#: exercised only where the model's decision under it reached an observation (see
#: ``models.system.ModelSystem.last_clauses``); a rule with clauses is exercised in part
#: until every clause is. Rules not listed here are one clause each.
CLAUSES: dict[str, str] = {
    "WORLD-1.duplicate_id": "a world with an entry defined twice refused, naming it",
    "WORLD-1.unknown_reference": "a world referring to nothing refused, naming the entry",
    "WORLD-1.cycle": "a world with a manager cycle refused, naming the user",
    "SEC-1.user": "a right granted by a role at User depth",
    "SEC-1.business_unit": "a right granted by a role at Business Unit depth, not less",
    "SEC-1.parent_child": "a right granted by a role at Parent:Child depth, not less",
    "SEC-1.organization": "a right granted by a role at Organization depth, not less",
    "STALE-2.privilege": "rows newly readable after a privilege, membership or profile event",
    "STALE-2.data": "rows newly readable after another user's edit or a reassignment",
    "STALE-3.privilege": "rows no longer readable after a privilege, membership or profile event",
    "STALE-3.data": "rows no longer readable after another user's delete or a reassignment",
    "VALID-3.not_found": "rejected not_found",
    "VALID-3.id_exists": "rejected invalid: a create of an id that exists",
    "VALID-3.privilege": "rejected privilege",
    "VALID-3.conflict": "rejected conflict (server_wins)",
    "DEVICE-1.not_offline": "refused not_offline",
    "DEVICE-1.not_supported_offline": "refused not_supported_offline",
    "DEVICE-1.not_found": "refused not_found",
    "DEVICE-1.invalid_values": "refused invalid: values break WORLD-3",
    "DEVICE-1.id_visible": "refused invalid: a create with an id already visible",
    "DEVICE-1.privilege": "refused privilege by the snapshot",
    "DEVICE-1.accepted": "an edit accepted and queued",
    "DEVICE-1.read": "a read answered with the visible rows",
}
# EVENT-1, one clause per kind of server-side event: accepted, it changed what a device's
# user downloads, and that device then completed a cycle
CLAUSES.update(
    {
        f"EVENT-1.{kind}": f"`{kind}` changed what a device's user downloads; the device synced"
        for kind in SERVER_KINDS
    }
)


def rule_of(clause: str) -> str:
    """The rule a clause belongs to: ``SEC-1.user`` -> ``SEC-1`` (a rule ID is its own)."""
    return clause.split(".", 1)[0]


def clauses_of(rule: str) -> list[str]:
    """A rule's clauses, in SPEC's order (empty for a rule that is one clause)."""
    return [c for c in CLAUSES if rule_of(c) == rule]


#: Optional parts of SPEC.md (capabilities an implementation declares), with the rules that
#: cannot be checked without them: for an implementation that lacks one, they are reported
#: ``not applicable``, and generated worlds and operations stay within what it declares.
CAPABILITY_RULES: dict[str, tuple[str, ...]] = {
    "server_wins": ("CONFLICT-3",),
    "hierarchy": ("SEC-5",),
    "field_security": ("SEC-7",),
    "multiple_devices_per_user": (),
    "restart": ("SYNC-8",),
    "faults": ("FAULT-1", "FAULT-2", "FAULT-3"),
    "crash_faults": ("FAULT-4",),
    "server_restart": ("FAULT-5",),
    "position_hierarchy": ("SEC-8",),
    "teams": ("SEC-9", "SEC-10"),
    "append": ("SEC-11",),
    "offline_operations": ("PROFILE-6",),
    "profile_membership": ("PROFILE-8",),
    "related_rows": ("PROFILE-7",),
    "sync_error_retry": ("VALID-5",),
}
ALL_CAPABILITIES = frozenset(CAPABILITY_RULES)

#: Operation kinds sent only to an implementation that declares the capability (the others go
#: to every implementation): generated programs stay within what it declares.
CAPABILITY_KINDS: dict[str, tuple[str, ...]] = {
    "restart": ("restart",),
    "server_restart": ("server_restart",),
    "position_hierarchy": ("set_position", "move_position"),
    "teams": (
        "add_member",
        "remove_member",
        "assign_team_role",
        "remove_team_role",
        "share_team",
        "unshare_team",
    ),
    "profile_membership": ("grant_profile", "revoke_profile"),
    "sync_error_retry": ("retry", "dismiss"),
}


def clause_capability(clause: str) -> str | None:
    """The capability a clause needs beyond its rule's: an event kind's (teams, positions,
    profile membership), or server_wins for the conflict rejection."""
    if clause == "VALID-3.conflict":
        return "server_wins"
    if clause == "DEVICE-1.not_supported_offline":
        return "offline_operations"
    kind = clause.split(".", 1)[1] if "." in clause else ""
    for cap, kinds in CAPABILITY_KINDS.items():
        if kind in kinds and rule_of(clause) == "EVENT-1":
            return cap
    return None


def kinds_within(kinds: tuple[str, ...], capabilities: frozenset[str]) -> tuple[str, ...]:
    """``kinds`` without those of the capabilities missing from ``capabilities``."""
    barred = {k for cap, ks in CAPABILITY_KINDS.items() if cap not in capabilities for k in ks}
    return tuple(k for k in kinds if k not in barred)


def family_of(rule: str) -> str:
    """The family prefix of a rule ID: ``SEC-4`` -> ``SEC``."""
    return rule.rsplit("-", 1)[0]
