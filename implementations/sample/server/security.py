"""Security evaluation on the server's current state (SEC-1..5, SEC-7..12).

One ``Security`` object per service, over its sqlite connection; each rule is one method, so
a variant (see ``implementations/mutants``) can change one of them alone.

A right on a row comes from a role (the user's own, reaching from the user; an owner team's,
reaching from the team: ``by_roles``), or, for a user who holds the privilege at User depth,
from a share with them or their teams or from the hierarchy above the row's users
(``by_relation``).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

DEPTH_ORDER = ("none", "user", "business_unit", "parent_child", "organization")
LEVEL = {d: i for i, d in enumerate(DEPTH_ORDER)}
USER = LEVEL["user"]
RIGHTS = ("read", "write", "delete")
#: the rights of Append privileges (SEC-11), only when the world has them
APPEND_RIGHTS = ("append", "append_to")
#: what a user directly above gets in the hierarchy (SEC-5, SEC-8): not Delete
DIRECT = frozenset({"read", "write", "append", "append_to"})


class Security:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        #: the world's fixed settings, read once per world (``forget`` when one is loaded)
        self._settings: tuple[bool, int, str, bool, bool] | None = None
        #: answers of the queries below, while a request is handled (``remembering``)
        self._memo: dict[tuple[Any, ...], Any] | None = None
        #: whether the rows and their shares stay as they are too (a download writes nothing)
        self._rows_fixed = False

    @contextmanager
    def remembering(self, rows_fixed: bool = False) -> Iterator[None]:
        """Within one download or upload, who holds which role, who is in which team, unit
        or position does not change: the queries about them are answered once. With
        ``rows_fixed`` (a download) the shares of rows are too."""
        outer = self._memo
        if outer is None:
            self._memo, self._rows_fixed = {}, rows_fixed
        try:
            yield
        finally:
            if outer is None:
                self._memo, self._rows_fixed = None, False

    def _once(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        if self._memo is None:
            return compute()
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]  # type: ignore[no-any-return]

    # --- the world's switches -------------------------------------------------------------

    def forget(self) -> None:
        """A new world was loaded: read its settings again."""
        self._settings = None

    def settings(self) -> tuple[bool, int, str, bool, bool]:
        """Hierarchy enabled, depth and model; Append privileges; whether there are teams at
        all. No event changes them (teams are not created or deleted), so they are read from
        the database once per world."""
        if self._settings is None:
            kv = dict(self.db.execute("SELECT key, value FROM kv").fetchall())
            h = json.loads(kv["hierarchy"])
            teams = self.db.execute("SELECT 1 FROM teams LIMIT 1").fetchone() is not None
            self._settings = (
                bool(h["enabled"]),
                int(h["depth"]),
                str(h.get("model", "manager")),
                bool(json.loads(kv.get("append_privileges", "false"))),
                teams,
            )
        return self._settings

    def hierarchy(self) -> tuple[bool, int, str]:
        """Hierarchy security: enabled, depth and model (manager or position)."""
        enabled, depth, model, _, _ = self.settings()
        return enabled, depth, model

    def has_teams(self) -> bool:
        """Whether the world has teams at all (SEC-9, SEC-10): without, no query about them."""
        return self.settings()[4]

    def append_privileges(self) -> bool:
        """SEC-11: whether roles grant Append and Append To and lookups need them."""
        return self.settings()[3]

    def rights(self) -> tuple[str, ...]:
        """The rights on a row that this world has."""
        return RIGHTS + APPEND_RIGHTS if self.append_privileges() else RIGHTS

    # --- principals -----------------------------------------------------------------------

    def unit_of(self, principal: str) -> str:
        """The business unit of a user, or of a team (a team-owned row's: WORLD-2)."""

        def query() -> str:
            found = self.db.execute(
                "SELECT unit FROM users WHERE id = ? UNION ALL SELECT unit FROM teams WHERE id = ?",
                (principal, principal),
            ).fetchone()
            return str(found[0])

        return self._once(("unit", principal), query)

    def is_user(self, principal: str) -> bool:
        def query() -> bool:
            found = self.db.execute("SELECT 1 FROM users WHERE id = ?", (principal,))
            return found.fetchone() is not None

        return self._once(("is_user", principal), query)

    def owner_teams_of(self, user: str) -> list[str]:
        """SEC-9: the owner teams the user is a member of."""
        found = self.db.execute(
            "SELECT t.id FROM teams t JOIN team_members m ON m.team = t.id"
            " WHERE m.user = ? AND t.kind = 'owner' ORDER BY t.id",
            (user,),
        )
        return [t for (t,) in found]

    def is_owner_team(self, team: str) -> bool:
        found = self.db.execute("SELECT 1 FROM teams WHERE id = ? AND kind = 'owner'", (team,))
        return found.fetchone() is not None

    def in_owner_team(self, team: str, user: str) -> bool:
        """SEC-9: whether ``team`` is an owner team and ``user`` a member of it."""
        if not self.has_teams():
            return False

        def query() -> bool:
            found = self.db.execute(
                "SELECT 1 FROM teams t JOIN team_members m ON m.team = t.id"
                " WHERE t.id = ? AND t.kind = 'owner' AND m.user = ?",
                (team, user),
            )
            return found.fetchone() is not None

        return self._once(("in_owner_team", team, user), query)

    def member(self, team: str, user: str) -> bool:
        found = self.db.execute(
            "SELECT 1 FROM team_members WHERE team = ? AND user = ?", (team, user)
        )
        return found.fetchone() is not None

    def members(self, team: str) -> list[str]:
        def query() -> list[str]:
            found = self.db.execute(
                "SELECT user FROM team_members WHERE team = ? ORDER BY user", (team,)
            )
            return [u for (u,) in found]

        return list(self._once(("members", team), query))

    # --- privileges (SEC-2, SEC-9) ----------------------------------------------------------

    def depth(self, user: str, table: str, privilege: str) -> int:
        """SEC-2: the deepest depth any of the user's own roles grants (a missing grant is
        none)."""
        found = self.grants(user, table, privilege)
        return max(found, default=0)

    def grants(self, user: str, table: str, privilege: str) -> list[int]:
        """The depth each of the user's own roles grants for one privilege on one table."""

        def query() -> list[int]:
            found = self.db.execute(
                "SELECT rp.depth FROM user_roles ur JOIN role_privileges rp ON rp.role = ur.role"
                " WHERE ur.user = ? AND rp.tbl = ? AND rp.privilege = ? ORDER BY ur.role",
                (user, table, privilege),
            ).fetchall()
            return [LEVEL[d] for (d,) in found]

        return list(self._once(("grants", user, table, privilege), query))

    def team_grants(self, user: str, table: str, privilege: str) -> list[tuple[str, int, str]]:
        """SEC-9: (team, depth, member's privilege inheritance) of each role of each owner team
        the user is a member of, for one privilege on one table."""
        if not self.has_teams():
            return []

        def query() -> list[tuple[str, int, str]]:
            found = self.db.execute(
                "SELECT t.id, rp.depth, COALESCE(ri.inheritance, 'team') FROM teams t"
                " JOIN team_members m ON m.team = t.id"
                " JOIN team_roles tr ON tr.team = t.id"
                " JOIN role_privileges rp ON rp.role = tr.role"
                " LEFT JOIN role_inheritance ri ON ri.role = tr.role"
                " WHERE m.user = ? AND t.kind = 'owner' AND rp.tbl = ? AND rp.privilege = ?"
                " ORDER BY t.id, tr.role",
                (user, table, privilege),
            ).fetchall()
            return [(team, LEVEL[d], inheritance) for team, d, inheritance in found]

        return list(self._once(("team_grants", user, table, privilege), query))

    def holds(self, own: int, team_grants: list[tuple[str, int, str]]) -> bool:
        """The privilege check that sharing and the hierarchy need (SEC-4, SEC-5, SEC-8,
        SEC-10): the privilege at User depth at least, from a role of the user's own (``own``:
        their depth) or of an owner team they are a member of (``team_grants``)."""
        return own >= USER or any(level >= USER for _, level, _ in team_grants)

    # --- reach by depth (SEC-1, SEC-9) ------------------------------------------------------

    def children(self, unit: str) -> set[str]:
        return {c for (c,) in self.db.execute("SELECT id FROM units WHERE parent = ?", (unit,))}

    def below(self, unit: str) -> set[str]:
        """A unit and every unit under it."""
        return set(self._once(("below", unit), lambda: self._below(unit)))

    def _below(self, unit: str) -> set[str]:
        out, todo = {unit}, [unit]
        while todo:
            for child in self.children(todo.pop()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def reaches(self, user: str, level: int, owner: str) -> bool:
        """SEC-1 by the owner's business unit (WORLD-2), from the user; User depth also reaches
        the rows of the owner teams the user is a member of (SEC-9)."""
        if level >= LEVEL["organization"]:
            return True
        if level < USER:
            return False
        if owner == user or self.in_owner_team(owner, user):
            return True
        if level >= LEVEL["parent_child"]:
            return self.unit_of(owner) in self.below(self.unit_of(user))
        if level >= LEVEL["business_unit"]:
            return self.unit_of(owner) == self.unit_of(user)
        return False

    def team_reaches(self, team: str, level: int, owner: str) -> bool:
        """SEC-9: a team role reaches rows from the team: its own rows at User depth, rows in
        the team's business unit (and below) at the deeper depths."""
        if level >= LEVEL["organization"]:
            return True
        if level < USER:
            return False
        if owner == team:
            return True
        if level >= LEVEL["parent_child"]:
            return self.unit_of(owner) in self.below(self.unit_of(team))
        if level >= LEVEL["business_unit"]:
            return self.unit_of(owner) == self.unit_of(team)
        return False

    def by_roles(
        self, user: str, own: int, team_grants: list[tuple[str, int, str]], owner: str
    ) -> bool:
        """SEC-1 / SEC-2 / SEC-9: a role of the user's own (``own``: their depth), or of one
        of their owner teams (``team_grants``), reaches the row (a team role with direct_basic
        inheritance also at User depth from the member)."""
        if self.reaches(user, own, owner):
            return True
        for team, level, inheritance in team_grants:
            if self.team_reaches(team, level, owner):
                return True
            if inheritance == "direct_basic" and level >= USER and self.reaches(user, USER, owner):
                return True
        return False

    # --- sharing (SEC-4, SEC-10) ------------------------------------------------------------

    def shared(self, user: str, row: str | None) -> set[str]:
        """SEC-4: the rights shared with the user on one row."""
        if row is None:
            return set()
        if self._rows_fixed:  # every share of the user at once
            query = "SELECT row, rights FROM shares WHERE user = ?"
            mine = self._once(("shares of", user), lambda: self._rights_by_row(query, user))
            return set(mine.get(row, ()))
        share = self.db.execute(
            "SELECT rights FROM shares WHERE row = ? AND user = ?", (row, user)
        ).fetchone()
        return set(json.loads(share[0])) if share else set()

    def _rights_by_row(self, query: str, *args: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for row, rights in self.db.execute(query, args).fetchall():
            found.setdefault(row, set()).update(json.loads(rights))
        return found

    def team_shared(self, user: str, row: str | None) -> set[str]:
        """SEC-10: the rights shared on one row with the teams the user is a member of."""
        if row is None or not self.has_teams():
            return set()
        if self._rows_fixed:  # every share with the user's teams at once
            query = (
                "SELECT s.row, s.rights FROM team_shares s JOIN team_members m"
                " ON m.team = s.team WHERE m.user = ?"
            )
            theirs = self._once(("team shares of", user), lambda: self._rights_by_row(query, user))
            return set(theirs.get(row, ()))
        found = self.db.execute(
            "SELECT s.rights FROM team_shares s JOIN team_members m ON m.team = s.team"
            " WHERE s.row = ? AND m.user = ?",
            (row, user),
        )
        return {r for (rights,) in found for r in json.loads(rights)}

    # --- hierarchy (SEC-5, SEC-8) -----------------------------------------------------------

    def levels_above(self, user: str, subject: str) -> int | None:
        """SEC-5 / SEC-8: 1 when the user is directly above ``subject`` (their manager, or the
        holder of their position's parent), n when n levels above, None otherwise."""
        enabled, _, model = self.hierarchy()
        if not enabled or user == subject:
            return None
        if model == "position":
            held = self._table("SELECT user, position FROM user_positions")
            mine, start = held.get(user), held.get(subject)
            if mine is None or start is None:
                return None
            return _up(self._table("SELECT id, parent FROM positions"), start, mine)
        return _up(self._table("SELECT id, manager FROM users"), subject, user)

    def _table(self, query: str) -> dict[str, Any]:
        return dict(self._once(("table", query), lambda: self.db.execute(query).fetchall()))

    def subjects(self, row: str | None, owner: str) -> list[tuple[str, set[str] | None]]:
        """SEC-5 / SEC-8: the users whose rows include this one, with the most the hierarchy
        gives through each: the owner (or the owner team's members), and the users it is
        shared with, directly or through a team (only the shared rights)."""
        found: list[tuple[str, set[str] | None]] = []
        if self.is_user(owner):
            found.append((owner, None))
        else:
            found.extend((m, None) for m in self.members(owner))
        if row is not None:
            for user, rights in self._shares_of_row("shares", row):
                found.append((user, set(json.loads(rights))))
            if self.has_teams():
                for team, rights in self._shares_of_row("team_shares", row):
                    found.extend((m, set(json.loads(rights))) for m in self.members(team))
        return found

    def _shares_of_row(self, table: str, row: str) -> list[tuple[str, str]]:
        """(user or team, rights as JSON) of each share of a row in ``table``."""
        who = "user" if table == "shares" else "team"
        if not self._rows_fixed:
            query = f"SELECT {who}, rights FROM {table} WHERE row = ?"
            return list(self.db.execute(query, (row,)).fetchall())
        every = f"SELECT row, {who}, rights FROM {table}"
        found = self._once((table,), lambda: self.db.execute(every).fetchall())
        return [(w, rights) for r, w, rights in found if r == row]

    def hierarchy_grant(self, levels: int) -> set[str]:
        """SEC-5 / SEC-8: directly above, Read, Write, Append and Append To; further up, Read."""
        return set(DIRECT) if levels == 1 else {"read"}

    def from_hierarchy(self, user: str, row: str | None, owner: str) -> set[str]:
        """The rights the hierarchy gives the user on a row, within its depth."""
        enabled, max_depth, _ = self.hierarchy()
        if not enabled:
            return set()
        out: set[str] = set()
        for subject, cap in self.subjects(row, owner):
            levels = self.levels_above(user, subject)
            if levels is None or levels > max_depth:
                continue
            given = self.hierarchy_grant(levels)
            out |= given if cap is None else given & cap
        return out

    # --- rights ---------------------------------------------------------------------------

    def by_relation(
        self, right: str, held: bool, shared: set[str], team_shared: set[str], above: set[str]
    ) -> bool:
        """SEC-4 / SEC-10 / SEC-5 / SEC-8: a right from sharing (with the user, with a team of
        theirs) or from the hierarchy, each only with the privilege held at User depth."""
        return held and (right in shared or right in team_shared or right in above)

    def rights_on(self, user: str, table: str, row: str | None, owner: str) -> set[str]:
        """The rights a user holds on one row now (``row`` None: a new row of ``owner``)."""
        shared, team_shared = self.shared(user, row), self.team_shared(user, row)
        above = self.from_hierarchy(user, row, owner)
        out: set[str] = set()
        for right in self.rights():
            own, teams = self.depth(user, table, right), self.team_grants(user, table, right)
            if self.by_roles(user, own, teams, owner) or self.by_relation(
                right, self.holds(own, teams), shared, team_shared, above
            ):
                out.add(right)
        return out

    def may_own(self, user: str, owner: str) -> bool:
        """SEC-9: a create may name the creator or an owner team they are a member of."""
        return owner == user or self.in_owner_team(owner, user)

    def may_create(self, user: str, table: str, owner: str | None = None) -> bool:
        """SEC-3 / SEC-9: Create from a role that reaches the new row as it will be owned."""
        owner = user if owner is None else owner
        own, teams = self.depth(user, table, "create"), self.team_grants(user, table, "create")
        return self.may_own(user, owner) and self.by_roles(user, own, teams, owner)

    def may_set(self, user: str, table: str, column: str) -> bool:
        """SEC-7: whether the user may set one secured column."""
        return (
            self.db.execute(
                "SELECT 1 FROM field_permissions WHERE tbl = ? AND col = ? AND user = ?",
                (table, column, user),
            ).fetchone()
            is not None
        )


def _up(parents: dict[str, str | None], start: str, target: str) -> int | None:
    """How many parent links lead from ``start`` up to ``target``."""
    seen = {start}
    cur = parents.get(start)
    n = 1
    while cur is not None and cur not in seen:
        if cur == target:
            return n
        seen.add(cur)
        cur = parents.get(cur)
        n += 1
    return None
