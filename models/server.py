"""The server: rows, the security directory, administrator events and upload validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeGuard

from models.profile import device_tables, passes_filter, related_rows
from models.records import (
    DEPTHS,
    PRIVILEGES,
    ROW_RIGHTS,
    Depth,
    EditKind,
    Inheritance,
    Operation,
    Privilege,
    Reason,
    Result,
    RowRight,
    ServerRow,
    SyncError,
    Values,
)
from models.security import (
    Directory,
    Snapshot,
    can_create,
    lookups_set,
    new_row_rights,
    row_rights,
    secured_columns_denied,
    take_snapshot,
)
from models.values import values_problem
from models.world import World, manager_cycle, parent_cycle

#: The source of a change: a device id, or SERVER_SOURCE for server-side edits.
_READ: tuple[RowRight] = ("read",)
SERVER_SOURCE = ""


@dataclass(slots=True)
class Row:
    table: str
    owner: str
    values: Values
    #: change numbers that touched this row, each with its source (CONFLICT-1).
    changes: list[tuple[int, str]]

    @property
    def version(self) -> int:
        return self.changes[-1][0]


@dataclass(frozen=True, slots=True)
class Change:
    """One queued offline edit as the device uploads it (SYNC-1)."""

    op_id: str
    kind: EditKind
    table: str
    row: str
    values: Values
    #: the server version the device last downloaded for this row; None for a row the device
    #: created itself and has not downloaded yet (CONFLICT-1).
    base: int | None
    #: for a create, the owner it names (SEC-9); None: the creator
    owner: str | None = None
    #: for a retried change, the operation id of the failed change it retries (VALID-5)
    retry_of: str | None = None


@dataclass(frozen=True, slots=True)
class Download:
    rows: dict[str, tuple[str, str, Values, int]]  # row id -> (table, owner, values, version)
    snapshot: Snapshot


def refused(reason: Reason) -> Result:
    return {"status": "refused", "reason": reason}


ACCEPTED: Result = {"status": "accepted"}


@dataclass(slots=True)
class Server:
    world: World
    directory: Directory
    rows: dict[str, Row] = field(default_factory=dict)
    clock: int = 0
    #: op id -> the error it produced (None when it was applied): SYNC-5.
    applied: dict[str, SyncError | None] = field(default_factory=dict)
    #: how often the server restarted (FAULT-5); it keeps everything else
    restarts: int = 0
    #: the rule IDs exercised since the owner of this set last cleared it.
    trace: set[str] = field(default_factory=set)

    @classmethod
    def from_world(cls, world: World) -> Server:
        spec = world.spec
        role_privileges: dict[str, dict[tuple[str, Privilege], Depth]] = {}
        inheritance: dict[str, Inheritance] = {}
        for role in spec["roles"]:
            privs = role_privileges.setdefault(role["id"], {})
            inheritance[role["id"]] = role.get("member_inheritance", "team")
            for table, by_priv in role["privileges"].items():
                for priv, depth in by_priv.items():
                    if priv in PRIVILEGES:
                        privs[(table, priv)] = depth
        teams = spec.get("teams", [])
        directory = Directory(
            user_bu={u["id"]: u["business_unit"] for u in spec["users"]},
            user_manager={u["id"]: u["manager"] for u in spec["users"]},
            user_roles={u["id"]: set(u["roles"]) for u in spec["users"]},
            role_privileges=role_privileges,
            shares={(s["row"], s["user"]): frozenset(s["rights"]) for s in spec["shares"]},
            user_position={u["id"]: u.get("position") for u in spec["users"]},
            position_parent={p["id"]: p["parent"] for p in spec.get("positions", [])},
            team_members={t["id"]: set(t["members"]) for t in teams},
            team_roles={t["id"]: set(t["roles"]) for t in teams},
            role_inheritance=inheritance,
            team_shares={
                (s["row"], s["team"]): frozenset(s["rights"]) for s in spec.get("team_shares", [])
            },
            profile_members=set(world.profile_users),
        )
        server = cls(world, directory)
        for r in spec["rows"]:
            server.rows[r["id"]] = Row(r["table"], r["owner"], dict(r["values"]), [])
            server._touch(r["id"], SERVER_SOURCE)
        return server

    def _touch(self, row: str, source: str) -> None:
        self.clock += 1
        self.rows[row].changes.append((self.clock, source))

    # --- observation ------------------------------------------------------------------

    def observe(self) -> dict[str, ServerRow]:
        return {
            rid: {"table": r.table, "owner": r.owner, "values": dict(r.values)}
            for rid, r in sorted(self.rows.items())
        }

    def readable(self, user: str, why: set[str] | None = None) -> list[str]:
        """PROFILE-5 / SYNC-4: the ids of the rows in the device's tables that ``user`` may read
        now and that pass the profile's row filter of their table: the user's projection. The
        rows of ``related`` tables are those related to the others' (PROFILE-7,
        ``related_rows``)."""
        world = self.world
        tables = self.tables_of(user)
        ids: list[str] = []
        candidates: list[str] = []
        for rid, r in self.rows.items():
            if r.table not in tables:
                continue
            row_filter = world.profile[r.table]
            if why is not None and row_filter not in ("all", "related"):
                why.add("PROFILE-5")
            if not passes_filter(world, self.directory, user, row_filter, r.owner):
                continue
            if row_rights(world, self.directory, user, r.table, rid, r.owner, why, only=_READ):
                (candidates if row_filter == "related" else ids).append(rid)
        if not candidates:
            return ids
        if why is not None:  # a row the user may read is decided by the related filter
            why.add("PROFILE-7")
        in_tables = {rid: (r.table, r.values) for rid, r in self.rows.items() if r.table in tables}
        chosen = {*ids, *related_rows(world, in_tables, ids, candidates)}
        return [rid for rid in self.rows if rid in chosen]

    def tables_of(self, user: str) -> frozenset[str]:
        """PROFILE-1 / PROFILE-8: the device tables of a user's download: none for a user
        without Read on the offline profile."""
        if user not in self.directory.profile_members:
            self.trace.add("PROFILE-8")
            return frozenset()
        return device_tables(self.world)

    def download(self, user: str) -> Download:
        """STALE-4: what a device receives at the end of a cycle: its user's projection, with
        versions, and the privilege snapshot that goes with it."""
        rows = {
            rid: (r.table, r.owner, dict(r.values), r.version)
            for rid in self.readable(user, self.trace)
            for r in (self.rows[rid],)
        }
        snapshot = take_snapshot(
            self.world,
            self.directory,
            user,
            self.tables_of(user),
            {rid: (t, owner) for rid, (t, owner, _, _) in rows.items()},
        )
        return Download(rows, snapshot)

    # --- uploads ----------------------------------------------------------------------

    def upload(self, device: str, user: str, change: Change) -> SyncError | None:
        """SYNC-5: an operation id already applied is not applied again; its first outcome is
        returned. Otherwise the change is validated and applied now (VALID-1)."""
        if change.op_id in self.applied:
            self.trace.add("SYNC-5")
            return self.applied[change.op_id]
        outcome = self._apply_change(device, user, change)
        self.applied[change.op_id] = outcome
        return outcome

    def _apply_change(self, device: str, user: str, change: Change) -> SyncError | None:
        """VALID-1 / VALID-3: validate one uploaded change against the server's state and
        privileges at this moment, in the order not_found, invalid, privilege, conflict; apply
        it only when it passes. CONFLICT-2 / CONFLICT-3 decide what a conflict does."""
        reason = self._rejection(device, user, change)
        self.trace.add("VALID-1")
        if reason is not None:
            self.trace.add("VALID-3")  # and the clause ``_rejection`` named
            return {
                "table": change.table,
                "row": change.row,
                "op": change.kind,
                "reason": reason,
                "values": dict(change.values),
                "op_id": change.op_id,
            }
        if change.kind == "create":
            owner = user if change.owner is None else change.owner
            self.rows[change.row] = Row(change.table, owner, dict(change.values), [])
            self._touch(change.row, device)
        elif change.kind == "delete":
            self._delete(change.row)
        else:
            self.rows[change.row].values.update(change.values)  # CONFLICT-2: device's columns
            self._touch(change.row, device)
        return None

    def _rejection(self, device: str, user: str, change: Change) -> Reason | None:
        world, trace = self.world, self.trace
        table = world.tables.get(change.table)
        if table is None:
            return "invalid"
        secured = [c for c, v in change.values.items() if c in table.secured]
        if change.kind == "create":
            if change.row in self.rows:
                trace.add("VALID-3.id_exists")
                return "invalid"
            if values_problem(table.columns, change.values, complete=True):
                trace.add("WORLD-3")
                return "invalid"
            if self.privilege_denied(user, change, trace):
                trace.add("VALID-3.privilege")
                return "privilege"
            if secured:
                trace.add("SEC-7")
            set_columns = [c for c in secured if change.values[c] is not None]
            if secured_columns_denied(world, user, change.table, set_columns):
                trace.add("VALID-3.privilege")
                return "privilege"
            return None
        row = self.rows.get(change.row)
        if row is None or row.table != change.table:
            trace.add("VALID-3.not_found")
            return "not_found"
        if change.kind == "update" and values_problem(table.columns, change.values, complete=False):
            trace.add("WORLD-3")
            return "invalid"
        if self.privilege_denied(user, change, trace):
            trace.add("VALID-3.privilege")
            return "privilege"
        if change.kind == "update" and secured:
            trace.add("SEC-7")
            if secured_columns_denied(world, user, change.table, secured):
                trace.add("VALID-3.privilege")
                return "privilege"
        if conflicts(row, device, change.base):
            trace.add("CONFLICT-1")
            if world.conflict_policy == "server_wins":
                trace.update(("CONFLICT-3", "VALID-3.conflict"))
                return "conflict"
            trace.add("CONFLICT-2")
        return None

    def privilege_denied(self, user: str, change: Change, trace: set[str] | None = None) -> bool:
        """Whether the server's current privileges refuse a change, field-level security aside
        (SEC-7 is the server's alone, SEC-6): a create needs Create for the owner it names
        (SEC-3, SEC-9), an update Write and a delete Delete, and no more (SEC-12); setting a
        lookup needs Append on the changed row and Append To on the row it names (SEC-11).
        The change's row exists in its table, unless it is a create."""
        world, d = self.world, self.directory
        if change.kind == "create":
            owner = user if change.owner is None else change.owner
            if trace is not None:
                trace.add("SEC-3")
                if owner != user:
                    trace.add("SEC-9")
            if not can_create(world, d, user, change.table, owner):
                return True
            rights = new_row_rights(world, d, user, change.table, owner)
        else:
            row = self.rows[change.row]
            rights = row_rights(world, d, user, row.table, change.row, row.owner, trace)
            needed: RowRight = "write" if change.kind == "update" else "delete"
            if needed not in rights:
                return True
            if trace is not None and "read" not in rights:
                trace.add("SEC-12")
        return self._append_denied(user, change, rights, trace)

    def _append_denied(
        self,
        user: str,
        change: Change,
        rights: frozenset[RowRight],
        trace: set[str] | None,
    ) -> bool:
        """SEC-11: each lookup the change sets needs Append on the changed row (``rights``) and
        Append To on the row it names, when that row exists in the lookup's target table."""
        targets = lookups_set(self.world, change.table, change.values)
        if not targets:
            return False
        if trace is not None:
            trace.add("SEC-11")
        if "append" not in rights:
            return True
        for target_table, rid in targets:
            target = None if rid is None else self.rows.get(rid)
            if rid is None or target is None or target.table != target_table:
                continue
            target_rights = row_rights(
                self.world, self.directory, user, target_table, rid, target.owner, trace
            )
            if "append_to" not in target_rights:
                return True
        return False

    def _delete(self, row: str) -> None:
        del self.rows[row]
        d = self.directory
        for key in [k for k in d.shares if k[0] == row]:
            del d.shares[key]
        for key in [k for k in d.team_shares if k[0] == row]:
            del d.team_shares[key]

    # --- administrator events and other users' edits -----------------------------------

    def event(self, op: Operation) -> Result:
        """EVENT-1 / EVENT-2: a server-side event takes effect on the server at once; one that
        names something unknown, or would break WORLD-1, is refused with ``invalid`` or
        ``not_found`` and changes nothing."""
        result = self._event(op)
        self.trace.add("EVENT-1" if result["status"] == "accepted" else "EVENT-2")
        if op["kind"] in ("move_user", "reassign"):
            self.trace.add("WORLD-2")
        return result

    def _event(self, op: Operation) -> Result:  # noqa: C901 - one branch per event kind
        d, world, kind = self.directory, self.world, op["kind"]
        user = op.get("user")
        if user is not None and user not in d.user_bu:
            return refused("invalid")
        team = op.get("team")
        if team is not None and team not in world.team_bu:
            return refused("invalid")
        if kind in TEAM_EVENTS:
            return self._team_event(op)
        if kind in ("set_position", "move_position"):
            return self._position_event(op)
        if kind in ("grant_profile", "revoke_profile"):
            # PROFILE-8: Read on the offline profile; granting it again, or revoking it from
            # a user without it, changes nothing
            if user is None:
                return refused("invalid")
            if kind == "grant_profile":
                d.profile_members.add(user)
            else:
                d.profile_members.discard(user)
            self.trace.add("PROFILE-8")
            return ACCEPTED
        if kind in ("assign_role", "remove_role"):
            role = op.get("role")
            if user is None or role not in d.role_privileges:
                return refused("invalid")
            if kind == "assign_role":
                d.user_roles[user].add(role)
            else:
                d.user_roles[user].discard(role)
            return ACCEPTED
        if kind == "set_depth":
            role, table = op.get("role"), op.get("table")
            priv, depth = op.get("privilege"), op.get("depth")
            if (
                role not in d.role_privileges
                or table not in world.tables
                or priv not in PRIVILEGES
                or depth not in DEPTHS
            ):
                return refused("invalid")
            d.role_privileges[role][(table, priv)] = depth
            return ACCEPTED
        if kind == "set_manager":
            manager = op.get("manager")
            if user is None or (manager is not None and manager not in d.user_bu):
                return refused("invalid")
            if manager_cycle(d.user_manager, user, manager):
                return refused("invalid")
            d.user_manager[user] = manager
            return ACCEPTED
        if kind == "move_user":
            bu = op.get("business_unit")
            if user is None or bu not in world.bu_parent:
                return refused("invalid")
            d.user_bu[user] = bu
            return ACCEPTED
        if kind == "server_create":
            table, rid, owner = op.get("table"), op.get("row"), op.get("owner")
            values = op.get("values", {})
            if (
                table not in world.tables
                or rid is None
                or rid in self.rows
                or not self._principal(owner)
                or values_problem(world.tables[table].columns, values, complete=True)
            ):
                return refused("invalid")
            self.rows[rid] = Row(table, owner, dict(values), [])
            self._touch(rid, SERVER_SOURCE)
            return ACCEPTED
        # the remaining events name an existing row
        rid = op.get("row")
        if kind not in ("share", "unshare", "reassign", "server_update", "server_delete"):
            return refused("invalid")
        if rid is None or rid not in self.rows:
            return refused("not_found")
        row = self.rows[rid]
        if kind == "share":
            rights = op.get("rights", [])
            if user is None or any(r not in ROW_RIGHTS for r in rights):
                return refused("invalid")
            d.shares[(rid, user)] = frozenset(rights)
        elif kind == "unshare":
            if user is None:
                return refused("invalid")
            d.shares.pop((rid, user), None)
        elif kind == "reassign":
            owner = op.get("owner")
            if not self._principal(owner):
                return refused("invalid")
            row.owner = owner
            self._touch(rid, SERVER_SOURCE)
        elif kind == "server_update":
            values = op.get("values", {})
            if values_problem(world.tables[row.table].columns, values, complete=False):
                return refused("invalid")
            row.values.update(values)
            self._touch(rid, SERVER_SOURCE)
        else:
            self._delete(rid)
        return ACCEPTED

    def _principal(self, owner: object) -> TypeGuard[str]:
        """Whether ``owner`` may own a row: a user, or an owner team (SEC-9, SEC-10)."""
        return isinstance(owner, str) and (
            owner in self.directory.user_bu or owner in self.world.owner_teams
        )

    def _team_event(self, op: Operation) -> Result:
        """SEC-9 / SEC-10: members, team roles and team shares. The team (and user) named were
        checked by ``_event``."""
        d, world, kind, team = self.directory, self.world, op["kind"], op.get("team")
        if team is None:
            return refused("invalid")
        if kind in ("add_member", "remove_member"):
            user = op.get("user")
            if user is None:
                return refused("invalid")
            if kind == "add_member":
                d.team_members[team].add(user)
            else:
                d.team_members[team].discard(user)
            return ACCEPTED
        if kind in ("assign_team_role", "remove_team_role"):
            role = op.get("role")
            if not isinstance(role, str) or role not in d.role_privileges:
                return refused("invalid")
            if kind == "remove_team_role":
                d.team_roles[team].discard(role)
                return ACCEPTED
            if team not in world.owner_teams:
                return refused("invalid")  # an access team has no roles
            d.team_roles[team].add(role)
            return ACCEPTED
        rid = op.get("row")
        if rid is None or rid not in self.rows:
            return refused("not_found")
        if kind == "share_team":
            rights = op.get("rights")
            if not isinstance(rights, list) or any(r not in ROW_RIGHTS for r in rights):
                return refused("invalid")
            d.team_shares[(rid, team)] = frozenset(rights)
        else:
            d.team_shares.pop((rid, team), None)
        return ACCEPTED

    def _position_event(self, op: Operation) -> Result:
        """SEC-8: a user moved to another position (or none), a position under another parent
        (or none); one that would close a cycle of positions is ``invalid``."""
        d, kind = self.directory, op["kind"]
        if "position" not in op:
            return refused("invalid")
        position = op["position"]
        if position is not None and position not in d.position_parent:
            return refused("invalid")
        if kind == "set_position":
            user = op.get("user")
            if user is None:
                return refused("invalid")
            d.user_position[user] = position
            return ACCEPTED
        parent = op.get("parent")
        if (
            position is None
            or "parent" not in op
            or (parent is not None and parent not in d.position_parent)
            or parent_cycle(d.position_parent, position, parent)
        ):
            return refused("invalid")
        d.position_parent[position] = parent
        return ACCEPTED


#: the server-side events of teams (SEC-9, SEC-10)
TEAM_EVENTS = (
    "add_member",
    "remove_member",
    "assign_team_role",
    "remove_team_role",
    "share_team",
    "unshare_team",
)


def conflicts(row: Row, device: str, base: int | None) -> bool:
    """CONFLICT-1: a change conflicts when the server row was changed, after the version the
    device based its edit on, by anything other than this device's own earlier changes."""
    floor = 0 if base is None else base
    return any(number > floor and source != device for number, source in row.changes)
