"""The server's service layer: world loading, events, uploads, downloads, metadata."""

from __future__ import annotations

import json
import secrets
import sqlite3
from typing import Any

from implementations.sample.server import security as sec
from implementations.sample.server.ddl import ALL_TABLES, SERVER_DDL
from implementations.sample.server.security import Security
from implementations.sample.server.values import non_finite, schema_problem, values_ok

PRIVS = ("create", "read", "write", "delete", "append", "append_to")
TEAM_EVENTS = (
    "add_member",
    "remove_member",
    "assign_team_role",
    "remove_team_role",
    "share_team",
    "unshare_team",
)
SERVER_SOURCE = ""
Json = dict[str, Any]


class WorldError(ValueError):
    """A world that breaks WORLD-1; the message names the entry."""


def _refused(reason: str) -> Json:
    return {"status": "refused", "reason": reason}


ACCEPTED: Json = {"status": "accepted"}

#: what the server holds before any world is loaded: no table, module or view, so an event or
#: a request before the first world is refused like one naming an unknown entry
EMPTY_KV: Json = {
    "tables": [],
    "profile": {},
    "app_modules": [],
    "views": [],
    "hierarchy": {"enabled": False, "depth": 1},
    "conflict_policy": "client_wins",
    "clock": 0,
}


def _dumps(value: Any) -> str:
    """JSON text for the database. ``allow_nan=False``: a non-finite number is never stored
    (values are checked before, see ``values.non_finite``; this is the last guard), since no
    answer could carry it."""
    return json.dumps(value, allow_nan=False)


class Service:
    """The authority: one sqlite connection holding the whole server state."""

    #: the security rules; a variant of the implementation may replace them
    security_class: type[Security] = Security

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.executescript(SERVER_DDL)
        self.db.executemany(
            "INSERT OR IGNORE INTO kv VALUES (?, ?)", [(k, _dumps(v)) for k, v in EMPTY_KV.items()]
        )
        self.sec = self.security_class(self.db)

    def restart(self) -> None:
        """FAULT-5: the server process ends and starts again: the connection is closed and
        the database opened again; nothing kept in memory survives (the security rules are
        built anew on it). A ``:memory:`` database is copied to the new connection first (as
        a file would have kept it). Between calls no transaction is open to lose."""
        fresh = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path == ":memory:":
            self.db.backup(fresh)
        self.db.close()
        self.db = fresh
        self.sec = self.security_class(self.db)

    # --- world --------------------------------------------------------------------------

    def _kv(self, key: str) -> Any:
        return json.loads(
            self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()[0]
        )

    def _set_kv(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, _dumps(value)))

    def load_world(self, world: Json) -> dict[str, str]:
        """Reset and load a world; returns device id -> bearer token."""
        _check_world(world)
        db = self.db
        self.sec.forget()
        db.execute("BEGIN")
        for t in ALL_TABLES:
            db.execute(f"DELETE FROM {t}")
        for key in ("tables", "profile", "app_modules", "views", "hierarchy", "conflict_policy"):
            self._set_kv(key, world[key])
        self._set_kv("append_privileges", bool(world.get("append_privileges", False)))
        self._set_kv("clock", 0)
        db.executemany(
            "INSERT INTO units VALUES (?, ?)",
            [(b["id"], b["parent"]) for b in world["business_units"]],
        )
        db.executemany(
            "INSERT INTO positions VALUES (?, ?)",
            [(pos["id"], pos["parent"]) for pos in world.get("positions", [])],
        )
        # PROFILE-8: who has Read on the offline profile (absent: everyone)
        readers = world.get("profile_users", [u["id"] for u in world["users"]])
        db.executemany("INSERT OR IGNORE INTO profile_readers VALUES (?)", [(u,) for u in readers])
        for u in world["users"]:
            db.execute(
                "INSERT INTO users VALUES (?, ?, ?)", (u["id"], u["business_unit"], u["manager"])
            )
            db.executemany(
                "INSERT OR IGNORE INTO user_roles VALUES (?, ?)", [(u["id"], r) for r in u["roles"]]
            )
            if u.get("position") is not None:
                db.execute("INSERT INTO user_positions VALUES (?, ?)", (u["id"], u["position"]))
        for team in world.get("teams", []):
            db.execute(
                "INSERT INTO teams VALUES (?, ?, ?)",
                (team["id"], team["kind"], team["business_unit"]),
            )
            db.executemany(
                "INSERT OR IGNORE INTO team_members VALUES (?, ?)",
                [(team["id"], m) for m in team["members"]],
            )
            db.executemany(
                "INSERT OR IGNORE INTO team_roles VALUES (?, ?)",
                [(team["id"], r) for r in team["roles"]],
            )
        for role in world["roles"]:
            db.execute("INSERT INTO roles VALUES (?)", (role["id"],))
            db.execute(
                "INSERT INTO role_inheritance VALUES (?, ?)",
                (role["id"], role.get("member_inheritance", "team")),
            )
            for table, privs in role["privileges"].items():
                for priv, depth in privs.items():
                    db.execute(
                        "INSERT OR REPLACE INTO role_privileges VALUES (?, ?, ?, ?)",
                        (role["id"], table, priv, depth),
                    )
        for fp in world["field_permissions"]:
            db.executemany(
                "INSERT OR IGNORE INTO field_permissions VALUES (?, ?, ?)",
                [(fp["table"], fp["column"], u) for u in fp["users"]],
            )
        for r in world["rows"]:
            self._insert_row(r["id"], r["table"], r["owner"], r["values"], SERVER_SOURCE)
        for s in world["shares"]:
            db.execute(
                "INSERT OR REPLACE INTO shares VALUES (?, ?, ?)",
                (s["row"], s["user"], json.dumps(sorted(s["rights"]))),
            )
        for s in world.get("team_shares", []):
            db.execute(
                "INSERT OR REPLACE INTO team_shares VALUES (?, ?, ?)",
                (s["row"], s["team"], json.dumps(sorted(set(s["rights"])))),
            )
        tokens = {}
        for d in world["devices"]:
            tokens[d["id"]] = secrets.token_hex(16)
            db.execute("INSERT INTO tokens VALUES (?, ?, ?)", (tokens[d["id"]], d["id"], d["user"]))
        db.execute("COMMIT")
        return tokens

    def who(self, token: str) -> tuple[str, str] | None:
        """(device, user) for a bearer token."""
        row = self.db.execute(
            "SELECT device, user FROM tokens WHERE token = ?", (token,)
        ).fetchone()
        return (row[0], row[1]) if row else None

    # --- rows ---------------------------------------------------------------------------

    def _touch(self, row: str, source: str) -> None:
        clock = self._kv("clock") + 1
        self._set_kv("clock", clock)
        self.db.execute("INSERT INTO row_changes VALUES (?, ?, ?)", (row, clock, source))
        self.db.execute("UPDATE rows SET version = ? WHERE id = ?", (clock, row))

    def _insert_row(self, rid: str, table: str, owner: str, values: Json, source: str) -> None:
        self.db.execute(
            "INSERT INTO rows VALUES (?, ?, ?, ?, 0)", (rid, table, owner, _dumps(values))
        )
        self._touch(rid, source)

    def _row(self, rid: str) -> tuple[str, str, Json] | None:
        found = self.db.execute("SELECT tbl, owner, vals FROM rows WHERE id = ?", (rid,)).fetchone()
        return (found[0], found[1], json.loads(found[2])) if found else None

    def _delete_row(self, rid: str) -> None:
        for t, col in (
            ("rows", "id"),
            ("row_changes", "row"),
            ("shares", "row"),
            ("team_shares", "row"),
        ):
            self.db.execute(f"DELETE FROM {t} WHERE {col} = ?", (rid,))

    def _columns(self, table: str) -> dict[str, Json] | None:
        for t in self._kv("tables"):
            if t["name"] == table:
                return dict(t["columns"])
        return None

    def _secured(self, table: str) -> set[str]:
        return {c for t in self._kv("tables") if t["name"] == table for c in t["secured"]}

    def _lookups(self) -> dict[str, dict[str, str]]:
        return {t["name"]: dict(t["lookups"]) for t in self._kv("tables")}

    def server_rows(self) -> dict[str, Json]:
        return {
            rid: {"table": t, "owner": o, "values": json.loads(v)}
            for rid, t, o, v in self.db.execute("SELECT id, tbl, owner, vals FROM rows ORDER BY id")
        }

    # --- metadata (PROFILE-1, 3, 4) -----------------------------------------------------

    def device_tables(self) -> list[str]:
        """PROFILE-1: profile tables in at least one offline-enabled app module."""
        offline = {t for m in self._kv("app_modules") if m["offline_enabled"] for t in m["tables"]}
        return sorted(t for t in self._kv("profile") if t in offline)

    def metadata(self) -> Json:
        """PROFILE-4 metadata with PROFILE-3 views."""
        tables = set(self.device_tables())
        views = sorted(v["id"] for v in self._kv("views") if self.view_available(v, tables))
        columns = {t: self._columns(t) for t in sorted(tables)}
        secured = {t: sorted(self._secured(t)) for t in sorted(tables)}
        lookups = self._lookups()
        return {
            "tables": sorted(tables),
            "views": views,
            "columns": columns,
            "secured": secured,
            # SEC-11: what the device needs to check Append and Append To itself
            "lookups": {t: lookups[t] for t in sorted(tables)},
            "append_privileges": self.sec.append_privileges(),
            # PROFILE-6: the operations of the tables that do not allow all four offline
            "offline_operations": {
                t["name"]: list(t["offline_operations"])
                for t in self._kv("tables")
                if t["name"] in tables and "offline_operations" in t
            },
        }

    def view_available(self, view: Json, tables: set[str]) -> bool:
        """PROFILE-3: every table a view uses is on the device."""
        return {view["table"], *view["references"]} <= tables

    # --- download (PROFILE-5, STALE-4) --------------------------------------------------

    def _passes(self, user: str, row_filter: str, owner: str) -> bool:
        if row_filter in ("all", "related"):  # related rows: see _related
            return True
        if row_filter == "mine":
            return owner == user
        return self.sec.unit_of(owner) == self.sec.unit_of(user)  # a team's unit for its rows

    def _related(self, downloaded: dict[str, Json], candidates: dict[str, Json]) -> list[str]:
        """PROFILE-7: the candidates (readable rows of "related" tables) joined by a lookup, in
        either direction, to a downloaded row, and on from those, breadth first."""
        lookups = self._lookups()
        tables = set(self.device_tables())
        named: dict[str, str] = {}  # row id -> its table, for every row of the device tables
        for rid, tbl in self.db.execute("SELECT id, tbl FROM rows").fetchall():
            if tbl in tables:
                named[rid] = tbl
        links: dict[str, set[str]] = {}
        for rid, tbl, vals in self.db.execute("SELECT id, tbl, vals FROM rows").fetchall():
            if tbl not in tables:
                continue
            values = json.loads(vals)
            for column, target in lookups.get(tbl, {}).items():
                other = values.get(column)
                if isinstance(other, str) and other != rid and named.get(other) == target:
                    links.setdefault(rid, set()).add(other)
                    links.setdefault(other, set()).add(rid)
        found: list[str] = []
        queue = sorted(downloaded)
        while queue:
            for other in sorted(links.get(queue.pop(0), ())):
                if other in candidates and other not in found:
                    found.append(other)
                    queue.append(other)
        return found

    def download(self, user: str) -> Json:
        """The user's projection with versions, and the privilege snapshot."""
        with self.sec.remembering(rows_fixed=True):
            return self._download(user)

    def has_profile(self, user: str) -> bool:
        """PROFILE-8: whether the user has Read on the offline profile."""
        query = "SELECT 1 FROM profile_readers WHERE user = ?"
        return self.db.execute(query, (user,)).fetchone() is not None

    def _download(self, user: str) -> Json:
        offline = self.has_profile(user)  # PROFILE-8: without it, no tables, no rows
        tables = self.device_tables() if offline else []
        profile = self._kv("profile")
        rows: dict[str, Json] = {}
        row_rights: dict[str, list[str]] = {}
        query = "SELECT id, tbl, owner, vals, version FROM rows ORDER BY id"
        related: dict[str, Json] = {}  # readable rows of "related" tables (PROFILE-7)
        for rid, table, owner, vals, version in self.db.execute(query).fetchall():
            if table not in tables or not self._passes(user, profile[table], owner):
                continue
            rights = self.sec.rights_on(user, table, rid, owner)
            if "read" in rights:
                row = {"table": table, "values": json.loads(vals), "version": version}
                (related if profile[table] == "related" else rows)[rid] = row
                row_rights[rid] = sorted(rights)
        for rid in self._related(rows, related):
            rows[rid] = related[rid]
        rows = dict(sorted(rows.items()))
        for rid in set(related) - set(rows):
            row_rights.pop(rid, None)
        own = {t: sorted(self.sec.rights_on(user, t, None, user)) for t in tables}
        create = [t for t in tables if self.sec.may_create(user, t)]
        teams = self.sec.owner_teams_of(user)
        return {
            "rows": rows,
            "snapshot": {
                "user": user,
                "offline": offline,
                "create_tables": create,
                "own_rights": own,
                "row_rights": row_rights,
                # SEC-9: creates for the user's owner teams, and rights on their new rows
                "team_create_tables": {
                    team: [t for t in tables if self.sec.may_create(user, t, team)]
                    for team in teams
                },
                "team_rights": {
                    team: {t: sorted(self.sec.rights_on(user, t, None, team)) for t in tables}
                    for team in teams
                },
            },
        }

    # --- upload (VALID, CONFLICT, SYNC-5) -----------------------------------------------

    def upload(self, device: str, user: str, changes: list[Json]) -> list[Json | None]:
        """Apply a batch in order, each op id at most once; one outcome (error or None) each.
        The batch changes rows, not who holds what (``Security.remembering``)."""
        with self.sec.remembering():
            return [self._upload_one(device, user, c) for c in changes]

    def _upload_one(self, device: str, user: str, change: Json) -> Json | None:
        self.db.execute("BEGIN")
        try:
            seen = self.recorded(device, change["op_id"])
            if seen is not None:
                self.db.execute("COMMIT")
                return json.loads(seen)  # type: ignore[no-any-return]
            reason = self._rejection(device, user, change)
            outcome = None
            if reason is not None:
                outcome = {
                    "table": change["table"],
                    "row": change["row"],
                    "op": change["kind"],
                    "reason": reason,
                }
            else:
                self._apply_change(device, user, change)
            self.db.execute(
                "INSERT OR REPLACE INTO applied_ops VALUES (?, ?, ?)",
                (device, change["op_id"], json.dumps(outcome)),
            )
            self.db.execute("COMMIT")
            return outcome
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def recorded(self, device: str, op_id: str) -> str | None:
        """SYNC-5: the recorded outcome (JSON) of an operation id this device already sent,
        else None. Ids are the device's own: another device's id never answers for it (nor
        reveals the outcome of another user's change)."""
        seen = self.db.execute(
            "SELECT outcome FROM applied_ops WHERE device = ? AND op_id = ?", (device, op_id)
        ).fetchone()
        return str(seen[0]) if seen is not None else None

    def _apply_change(self, device: str, user: str, change: Json) -> None:
        rid = change["row"]
        if change["kind"] == "create":
            owner = change.get("owner") or user  # SEC-9: the owner the create named
            self._insert_row(rid, change["table"], owner, change["values"], device)
        elif change["kind"] == "delete":
            self._delete_row(rid)
        else:
            found = self._row(rid)
            assert found is not None
            merged = {**found[2], **change["values"]}  # CONFLICT-2: the device's columns win
            self.db.execute("UPDATE rows SET vals = ? WHERE id = ?", (_dumps(merged), rid))
            self._touch(rid, device)

    def _rejection(self, device: str, user: str, change: Json) -> str | None:
        """VALID-3: not_found, invalid, privilege, conflict, in that order."""
        table, rid, kind = change["table"], change["row"], change["kind"]
        values = change.get("values") or {}
        columns = self._columns(table)
        if columns is None:
            return "invalid"
        secured = self._secured(table)
        if kind == "create":
            if self._row(rid) is not None or not values_ok(columns, values, complete=True):
                return "invalid"
            owner = change.get("owner") or user
            if not self.sec.may_create(user, table, owner):
                return "privilege"
            if self.append_denied(
                user, table, values, self.sec.rights_on(user, table, None, owner)
            ):
                return "privilege"
            for col, value in values.items():
                if col in secured and value is not None and not self.sec.may_set(user, table, col):
                    return "privilege"
            return None
        found = self._row(rid)
        if found is None or found[0] != table:
            return "not_found"
        if kind == "update" and not values_ok(columns, values, complete=False):
            return "invalid"
        needed = "write" if kind == "update" else "delete"
        rights = self.sec.rights_on(user, table, rid, found[1])
        if needed not in rights:  # SEC-12: the right the change uses, and no other
            return "privilege"
        if kind == "update" and self.append_denied(user, table, values, rights):
            return "privilege"
        if kind == "update" and any(
            c in secured and not self.sec.may_set(user, table, c) for c in values
        ):
            return "privilege"
        if self.conflict_policy() == "server_wins" and self.changed_by_others(
            rid, change.get("base") or 0, device
        ):
            return "conflict"
        return None

    def append_denied(self, user: str, table: str, values: Json, rights: set[str]) -> bool:
        """SEC-11: a lookup set to a row needs Append on the changed row (``rights``) and
        Append To on the row it names, when that row is in the lookup's target table."""
        if not self.sec.append_privileges():
            return False
        lookups = self._lookups().get(table, {})
        targets = [(lookups[c], v) for c, v in values.items() if c in lookups and v is not None]
        if not targets:
            return False
        if "append" not in rights:
            return True
        for target_table, target in targets:
            found = self._row(target) if isinstance(target, str) else None
            if found is not None and found[0] == target_table:
                if "append_to" not in self.sec.rights_on(user, target_table, target, found[1]):
                    return True
        return False

    def conflict_policy(self) -> str:
        return str(self._kv("conflict_policy"))

    def changed_by_others(self, rid: str, base: int, device: str) -> bool:
        """CONFLICT-1: changed after the device's base version by anything but this device."""
        clash = self.db.execute(
            "SELECT 1 FROM row_changes WHERE row = ? AND number > ? AND source != ?",
            (rid, base, device),
        ).fetchone()
        return clash is not None

    # --- events (EVENT-1, EVENT-2) ------------------------------------------------------

    def _exists(self, table: str, key: str) -> bool:
        return self.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (key,)).fetchone() is not None

    def _may_own_rows(self, owner: Any) -> bool:
        """A row's owner is a user or an owner team, never an access team (SEC-9, SEC-10)."""
        return isinstance(owner, str) and (
            self._exists("users", owner) or self.sec.is_owner_team(owner)
        )

    def _team_event(self, op: Json) -> Json:
        """SEC-9 / SEC-10: members, team roles and team shares (the team and user named were
        checked by ``_event``)."""
        db, kind, team, user = self.db, op.get("kind"), op.get("team"), op.get("user")
        if team is None:
            return _refused("invalid")
        if kind in ("add_member", "remove_member"):
            if user is None:
                return _refused("invalid")
            if kind == "add_member":
                db.execute("INSERT OR IGNORE INTO team_members VALUES (?, ?)", (team, user))
            else:
                db.execute("DELETE FROM team_members WHERE team = ? AND user = ?", (team, user))
            return ACCEPTED
        if kind in ("assign_team_role", "remove_team_role"):
            role = op.get("role")
            if not isinstance(role, str) or not self._exists("roles", role):
                return _refused("invalid")
            if kind == "remove_team_role":
                db.execute("DELETE FROM team_roles WHERE team = ? AND role = ?", (team, role))
                return ACCEPTED
            if not self.sec.is_owner_team(team):
                return _refused("invalid")  # an access team has no roles
            db.execute("INSERT OR IGNORE INTO team_roles VALUES (?, ?)", (team, role))
            return ACCEPTED
        rid = op.get("row")
        if not isinstance(rid, str) or self._row(rid) is None:
            return _refused("not_found")
        if kind == "share_team":
            rights = op.get("rights")
            if not isinstance(rights, list) or any(
                r not in sec.RIGHTS + sec.APPEND_RIGHTS for r in rights
            ):
                return _refused("invalid")
            db.execute(
                "INSERT OR REPLACE INTO team_shares VALUES (?, ?, ?)",
                (rid, team, json.dumps(sorted(set(rights)))),
            )
        else:
            db.execute("DELETE FROM team_shares WHERE row = ? AND team = ?", (rid, team))
        return ACCEPTED

    def _position_event(self, op: Json) -> Json:
        """SEC-8: a user to another position (or none), a position under another parent (or
        none); a cycle of positions is refused."""
        db, kind = self.db, op.get("kind")
        if "position" not in op:
            return _refused("invalid")
        position = op["position"]
        if position is not None and not (
            isinstance(position, str) and self._exists("positions", position)
        ):
            return _refused("invalid")
        if kind == "set_position":
            user = op.get("user")
            if user is None:
                return _refused("invalid")
            db.execute("DELETE FROM user_positions WHERE user = ?", (user,))
            if position is not None:
                db.execute("INSERT INTO user_positions VALUES (?, ?)", (user, position))
            return ACCEPTED
        parent = op.get("parent")
        if (
            position is None
            or "parent" not in op
            or (
                parent is not None
                and not (isinstance(parent, str) and self._exists("positions", parent))
            )
        ):
            return _refused("invalid")
        parents = dict(db.execute("SELECT id, parent FROM positions").fetchall())
        if _cycle(parents, position, parent):
            return _refused("invalid")
        db.execute("UPDATE positions SET parent = ? WHERE id = ?", (parent, position))
        return ACCEPTED

    def event(self, op: Json) -> Json:
        """A server-side event; a refused one changes nothing."""
        self.db.execute("BEGIN")
        try:
            result = self._event(op)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT" if result["status"] == "accepted" else "ROLLBACK")
        return result

    def _event(self, op: Json) -> Json:  # noqa: C901 - one branch per event kind
        db, kind = self.db, op.get("kind")
        user = op.get("user")
        if user is not None and not (isinstance(user, str) and self._exists("users", user)):
            return _refused("invalid")
        team = op.get("team")
        if team is not None and not (isinstance(team, str) and self._exists("teams", team)):
            return _refused("invalid")
        if kind in TEAM_EVENTS:
            return self._team_event(op)
        if kind in ("set_position", "move_position"):
            return self._position_event(op)
        if kind in ("grant_profile", "revoke_profile"):  # PROFILE-8
            if user is None:
                return _refused("invalid")
            if kind == "grant_profile":
                db.execute("INSERT OR IGNORE INTO profile_readers VALUES (?)", (user,))
            else:
                db.execute("DELETE FROM profile_readers WHERE user = ?", (user,))
            return ACCEPTED
        if kind in ("assign_role", "remove_role"):
            role = op.get("role")
            if user is None or not isinstance(role, str) or not self._exists("roles", role):
                return _refused("invalid")
            if kind == "assign_role":
                db.execute("INSERT OR IGNORE INTO user_roles VALUES (?, ?)", (user, role))
            else:
                db.execute("DELETE FROM user_roles WHERE user = ? AND role = ?", (user, role))
            return ACCEPTED
        if kind == "set_depth":
            role, table = op.get("role"), op.get("table")
            priv, depth = op.get("privilege"), op.get("depth")
            if (
                not isinstance(role, str)
                or not self._exists("roles", role)
                or not isinstance(table, str)
                or self._columns(table) is None
                or priv not in PRIVS
                or depth not in sec.DEPTH_ORDER
            ):
                return _refused("invalid")
            db.execute(
                "INSERT OR REPLACE INTO role_privileges VALUES (?, ?, ?, ?)",
                (role, table, priv, depth),
            )
            return ACCEPTED
        if kind == "set_manager":
            manager = op.get("manager")
            if user is None or (
                manager is not None
                and not (isinstance(manager, str) and self._exists("users", manager))
            ):
                return _refused("invalid")
            managers = dict(db.execute("SELECT id, manager FROM users").fetchall())
            seen, cur = {user}, manager
            while cur is not None:
                if cur in seen:
                    return _refused("invalid")
                seen.add(cur)
                cur = managers.get(cur)
            db.execute("UPDATE users SET manager = ? WHERE id = ?", (manager, user))
            return ACCEPTED
        if kind == "move_user":
            unit = op.get("business_unit")
            if user is None or not isinstance(unit, str) or not self._exists("units", unit):
                return _refused("invalid")
            db.execute("UPDATE users SET unit = ? WHERE id = ?", (unit, user))
            return ACCEPTED
        if kind == "server_create":
            table, rid, owner = op.get("table"), op.get("row"), op.get("owner")
            values = op.get("values", {})
            columns = self._columns(table) if isinstance(table, str) else None
            if (
                columns is None
                or not isinstance(rid, str)
                or self._row(rid) is not None
                or not self._may_own_rows(owner)
                or not values_ok(columns, values, complete=True)
            ):
                return _refused("invalid")
            self._insert_row(rid, table, owner, values, SERVER_SOURCE)  # type: ignore[arg-type]
            return ACCEPTED
        if kind not in ("share", "unshare", "reassign", "server_update", "server_delete"):
            return _refused("invalid")
        rid = op.get("row")
        found = self._row(rid) if isinstance(rid, str) else None
        if found is None:
            return _refused("not_found")
        if kind == "share":
            rights = op.get("rights", [])
            if (
                user is None
                or not isinstance(rights, list)
                or any(r not in sec.RIGHTS + sec.APPEND_RIGHTS for r in rights)
            ):
                return _refused("invalid")
            db.execute(
                "INSERT OR REPLACE INTO shares VALUES (?, ?, ?)",
                (rid, user, json.dumps(sorted(set(rights)))),
            )
        elif kind == "unshare":
            if user is None:
                return _refused("invalid")
            db.execute("DELETE FROM shares WHERE row = ? AND user = ?", (rid, user))
        elif kind == "reassign":
            owner = op.get("owner")
            if not self._may_own_rows(owner):
                return _refused("invalid")
            db.execute("UPDATE rows SET owner = ? WHERE id = ?", (owner, rid))
            self._touch(rid, SERVER_SOURCE)  # type: ignore[arg-type]
        elif kind == "server_update":
            values = op.get("values", {})
            if not values_ok(self._columns(found[0]) or {}, values, complete=False):
                return _refused("invalid")
            db.execute(
                "UPDATE rows SET vals = ? WHERE id = ?", (_dumps({**found[2], **values}), rid)
            )
            self._touch(rid, SERVER_SOURCE)  # type: ignore[arg-type]
        else:
            self._delete_row(rid)  # type: ignore[arg-type]
        return ACCEPTED


def _cycle(parents: dict[str, Any], start: str, parent: Any) -> bool:
    """Whether making ``parent`` the parent of ``start`` closes a cycle."""
    seen, cur = {start}, parent
    while cur is not None:
        if cur in seen:
            return True
        seen.add(cur)
        cur = parents.get(cur)
    return False


def _check_world(world: Json) -> None:
    """WORLD-1 beyond the schema: no NaN or infinite number (the HTTP app refuses them in any
    body; a world given in-process is checked here), column schemas that are JSON Schemas
    (else the first value checked against one would fail), unique ids, one root unit, known
    references, no cycle of managers. The message names the entry."""
    bad = non_finite(world)
    if bad is not None:
        raise WorldError(f"invalid world: {bad} is not a finite number")
    for t in world["tables"]:
        for column, schema in t["columns"].items():
            problem = schema_problem(schema)
            if problem is not None:
                raise WorldError(
                    f"invalid world: column {column!r} of table {t['name']!r} has no valid "
                    f"JSON Schema: {problem}"
                )
    for key in ("business_units", "users", "roles", "rows", "devices", "views", "app_modules"):
        ids = [e["id"] for e in world[key]]
        if len(ids) != len(set(ids)):
            raise WorldError(f"invalid world: {_twice(ids)!r} is defined twice in {key}")
    for key in ("teams", "positions"):
        ids = [e["id"] for e in world.get(key, [])]
        if len(ids) != len(set(ids)):
            raise WorldError(f"invalid world: {_twice(ids)!r} is defined twice in {key}")
    units = {b["id"]: b["parent"] for b in world["business_units"]}
    if sum(p is None for p in units.values()) != 1:
        raise WorldError("invalid world: exactly one root business unit is required")
    for b, parent in units.items():
        if parent is not None and parent not in units:
            raise WorldError(f"invalid world: business unit {b!r} has an unknown parent")
    users = {u["id"]: u for u in world["users"]}
    roles = {r["id"] for r in world["roles"]}
    tables = {t["name"] for t in world["tables"]}
    for u in world["users"]:
        if u["business_unit"] not in units or (
            u["manager"] is not None and u["manager"] not in users
        ):
            raise WorldError(f"invalid world: user {u['id']!r} names an unknown entry")
        if not set(u["roles"]) <= roles:
            raise WorldError(f"invalid world: user {u['id']!r} has an unknown role")
        seen, cur = {u["id"]}, u["manager"]
        while cur is not None:
            if cur in seen:
                raise WorldError(f"invalid world: user {u['id']!r} is in a cycle of managers")
            seen.add(cur)
            cur = users[cur]["manager"]
    positions = {p["id"]: p["parent"] for p in world.get("positions", [])}
    for pos, parent in positions.items():
        if parent is not None and parent not in positions:
            raise WorldError(f"invalid world: position {pos!r} has an unknown parent")
        if _cycle(positions, pos, parent):
            raise WorldError(f"invalid world: position {pos!r} is in a cycle of positions")
    for u in world["users"]:
        if u.get("position") is not None and u["position"] not in positions:
            raise WorldError(f"invalid world: user {u['id']!r} holds an unknown position")
    teams = {t["id"]: t for t in world.get("teams", [])}
    for t in teams.values():
        if t["id"] in users:
            raise WorldError(f"invalid world: team {t['id']!r} has a user's id")
        if (
            t["business_unit"] not in units
            or not set(t["members"]) <= set(users)
            or not set(t["roles"]) <= roles
        ):
            raise WorldError(f"invalid world: team {t['id']!r} names an unknown entry")
        if t["kind"] == "access" and t["roles"]:
            raise WorldError(f"invalid world: access team {t['id']!r} has roles")
    owners = set(users) | {t for t, team in teams.items() if team["kind"] == "owner"}
    rows = {r["id"] for r in world["rows"]}
    for r in world["rows"]:
        if r["table"] not in tables or r["owner"] not in owners:
            raise WorldError(f"invalid world: row {r['id']!r} names an unknown entry")
    for s in world.get("team_shares", []):
        if s["row"] not in rows or s["team"] not in teams:
            raise WorldError(f"invalid world: a team share of {s['row']!r} names an unknown entry")
    for s in world["shares"]:
        if s["row"] not in rows or s["user"] not in users:
            raise WorldError(f"invalid world: a share of {s['row']!r} names an unknown entry")
    for d in world["devices"]:
        if d["user"] not in users:
            raise WorldError(f"invalid world: device {d['id']!r} has unknown user")
    named = set(world["profile"]) | {t for m in world["app_modules"] for t in m["tables"]}
    named |= {t for v in world["views"] for t in (v["table"], *v["references"])}
    if not named <= tables:
        raise WorldError(f"invalid world: unknown tables {sorted(named - tables)}")
    filters = world["profile"].values()
    if any(f not in ("all", "mine", "my_business_unit", "related") for f in filters):
        raise WorldError("invalid world: the profile has an unknown row filter")
    if sum(f == "related" for f in filters) > 10:  # PROFILE-7
        raise WorldError("invalid world: the profile has more than 10 related tables")
    if world["hierarchy"]["depth"] < 1:
        raise WorldError("invalid world: the hierarchy depth must be at least 1")


def _twice(ids: list[str]) -> str:
    """The first id of ``ids`` defined twice (WORLD-1: a refusal names the offending entry).
    Kept at the end of the module, after the code cosmic-ray's mutation IDs of
    ``benchmarks/mutation.py``'s 2026-12-06 run number."""
    seen: set[str] = set()
    for i in ids:
        if i in seen:
            return i
        seen.add(i)
    return ""
