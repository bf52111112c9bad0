"""Security evaluation on the server's current state (SEC-1..5, SEC-7).

One ``Security`` object per service, over its sqlite connection; each rule is one method, so
a variant (see ``implementations/mutants``) can change one of them alone.
"""

from __future__ import annotations

import json
import sqlite3

DEPTH_ORDER = ("none", "user", "business_unit", "parent_child", "organization")
LEVEL = {d: i for i, d in enumerate(DEPTH_ORDER)}
USER = LEVEL["user"]
RIGHTS = ("read", "write", "delete")


class Security:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def depth(self, user: str, table: str, privilege: str) -> int:
        """SEC-2: the deepest depth any of the user's roles grants (a missing grant is none)."""
        found = self.grants(user, table, privilege)
        return max(found, default=0)

    def grants(self, user: str, table: str, privilege: str) -> list[int]:
        """The depth each of the user's roles grants for one privilege on one table."""
        found = self.db.execute(
            "SELECT rp.depth FROM user_roles ur JOIN role_privileges rp ON rp.role = ur.role"
            " WHERE ur.user = ? AND rp.tbl = ? AND rp.privilege = ? ORDER BY ur.role",
            (user, table, privilege),
        ).fetchall()
        return [LEVEL[d] for (d,) in found]

    def unit_of(self, user: str) -> str:
        return str(self.db.execute("SELECT unit FROM users WHERE id = ?", (user,)).fetchone()[0])

    def children(self, unit: str) -> set[str]:
        return {c for (c,) in self.db.execute("SELECT id FROM units WHERE parent = ?", (unit,))}

    def below(self, unit: str) -> set[str]:
        """A unit and every unit under it."""
        out, todo = {unit}, [unit]
        while todo:
            for child in self.children(todo.pop()):
                if child not in out:
                    out.add(child)
                    todo.append(child)
        return out

    def reaches(self, user: str, level: int, owner: str) -> bool:
        """SEC-1 by the owner's business unit (WORLD-2)."""
        if level >= LEVEL["organization"]:
            return True
        if level >= LEVEL["parent_child"]:
            return self.unit_of(owner) in self.below(self.unit_of(user))
        if level >= LEVEL["business_unit"]:
            return self.unit_of(owner) == self.unit_of(user)
        return level >= USER and owner == user

    def levels_above(self, user: str, owner: str) -> int | None:
        """SEC-5: 1 for the owner's direct manager, n for n levels up, None otherwise."""
        enabled, max_depth = self.hierarchy()
        if not enabled:
            return None
        managers = dict(self.db.execute("SELECT id, manager FROM users").fetchall())
        seen = {owner}
        cur = managers.get(owner)
        n = 1
        while cur is not None and cur not in seen:
            if cur == user:
                return n if n <= max_depth else None
            seen.add(cur)
            cur = managers.get(cur)
            n += 1
        return None

    def hierarchy(self) -> tuple[bool, int]:
        row = self.db.execute("SELECT value FROM kv WHERE key = 'hierarchy'").fetchone()
        h = json.loads(row[0])
        return bool(h["enabled"]), int(h["depth"])

    def shared(self, user: str, row: str) -> set[str]:
        """SEC-4: the rights shared with the user on one row."""
        share = self.db.execute(
            "SELECT rights FROM shares WHERE row = ? AND user = ?", (row, user)
        ).fetchone()
        return set(json.loads(share[0])) if share else set()

    def by_relation(self, right: str, level: int, shared: set[str], above: int | None) -> bool:
        """SEC-4 / SEC-5: a right from sharing or the manager hierarchy, which both need the
        privilege at User depth; a direct manager gets every right, higher ones read only."""
        return level >= USER and (
            right in shared or above == 1 or (above is not None and right == "read")
        )

    def rights_on(self, user: str, table: str, row: str, owner: str) -> set[str]:
        """The rights a user holds on one row now: depth, sharing (SEC-4), hierarchy (SEC-5)."""
        shared = self.shared(user, row)
        above = self.levels_above(user, owner)
        out: set[str] = set()
        for right in RIGHTS:
            level = self.depth(user, table, right)
            if self.reaches(user, level, owner) or self.by_relation(right, level, shared, above):
                out.add(right)
        return out

    def may_create(self, user: str, table: str) -> bool:
        """SEC-3."""
        return self.depth(user, table, "create") >= USER

    def may_set(self, user: str, table: str, column: str) -> bool:
        """SEC-7: whether the user may set one secured column."""
        return (
            self.db.execute(
                "SELECT 1 FROM field_permissions WHERE tbl = ? AND col = ? AND user = ?",
                (table, column, user),
            ).fetchone()
            is not None
        )
