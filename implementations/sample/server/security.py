"""Security evaluation on the server's current state (SEC-1..5, SEC-7)."""

from __future__ import annotations

import json
import sqlite3

DEPTH_ORDER = ("none", "user", "business_unit", "parent_child", "organization")
LEVEL = {d: i for i, d in enumerate(DEPTH_ORDER)}
USER = LEVEL["user"]
RIGHTS = ("read", "write", "delete")


def depth(db: sqlite3.Connection, user: str, table: str, privilege: str) -> int:
    """SEC-2: the deepest depth any of the user's roles grants (a missing grant is none)."""
    found = db.execute(
        "SELECT rp.depth FROM user_roles ur JOIN role_privileges rp ON rp.role = ur.role"
        " WHERE ur.user = ? AND rp.tbl = ? AND rp.privilege = ?",
        (user, table, privilege),
    ).fetchall()
    return max((LEVEL[d] for (d,) in found), default=0)


def unit_of(db: sqlite3.Connection, user: str) -> str:
    return str(db.execute("SELECT unit FROM users WHERE id = ?", (user,)).fetchone()[0])


def below(db: sqlite3.Connection, unit: str) -> set[str]:
    """A unit and every unit under it."""
    parents = dict(db.execute("SELECT id, parent FROM units").fetchall())
    out = {unit}
    grew = True
    while grew:
        grew = False
        for child, parent in parents.items():
            if parent in out and child not in out:
                out.add(child)
                grew = True
    return out


def reaches(db: sqlite3.Connection, user: str, level: int, owner: str) -> bool:
    """SEC-1 by the owner's business unit (WORLD-2)."""
    if level >= LEVEL["organization"]:
        return True
    if level >= LEVEL["parent_child"]:
        return unit_of(db, owner) in below(db, unit_of(db, user))
    if level >= LEVEL["business_unit"]:
        return unit_of(db, owner) == unit_of(db, user)
    return level >= USER and owner == user


def levels_above(db: sqlite3.Connection, user: str, owner: str) -> int | None:
    """SEC-5: 1 for the owner's direct manager, n for n levels up, None otherwise."""
    enabled, max_depth = hierarchy(db)
    if not enabled:
        return None
    managers = dict(db.execute("SELECT id, manager FROM users").fetchall())
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


def hierarchy(db: sqlite3.Connection) -> tuple[bool, int]:
    row = db.execute("SELECT value FROM kv WHERE key = 'hierarchy'").fetchone()
    h = json.loads(row[0])
    return bool(h["enabled"]), int(h["depth"])


def rights_on(db: sqlite3.Connection, user: str, table: str, row: str, owner: str) -> set[str]:
    """The rights a user holds on one row now: depth, sharing (SEC-4), hierarchy (SEC-5)."""
    share = db.execute(
        "SELECT rights FROM shares WHERE row = ? AND user = ?", (row, user)
    ).fetchone()
    shared = set(json.loads(share[0])) if share else set()
    above = levels_above(db, user, owner)
    out: set[str] = set()
    for right in RIGHTS:
        level = depth(db, user, table, right)
        if reaches(db, user, level, owner):
            out.add(right)
        elif level >= USER and (
            right in shared or above == 1 or (above is not None and right == "read")
        ):
            out.add(right)
    return out


def may_create(db: sqlite3.Connection, user: str, table: str) -> bool:
    """SEC-3."""
    return depth(db, user, table, "create") >= USER


def may_set(db: sqlite3.Connection, user: str, table: str, column: str) -> bool:
    """SEC-7: whether the user may set one secured column."""
    return (
        db.execute(
            "SELECT 1 FROM field_permissions WHERE tbl = ? AND col = ? AND user = ?",
            (table, column, user),
        ).fetchone()
        is not None
    )
