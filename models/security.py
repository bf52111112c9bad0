"""Security evaluation: roles, depths, sharing, manager hierarchy, field-level security.

Pure functions over the world and a ``Directory`` (the server's mutable security state). The
server calls them live (VALID-1); the device only ever sees their results frozen in a
``Snapshot`` taken at its last completed sync (STALE-1).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.records import DEPTHS, ROW_RIGHTS, Depth, Privilege, RowRight
from models.world import World

_LEVEL = {d: i for i, d in enumerate(DEPTHS)}
USER_LEVEL = _LEVEL["user"]


@dataclass(slots=True)
class Directory:
    """Who is where and holds what, as the server knows it now."""

    user_bu: dict[str, str]
    user_manager: dict[str, str | None]
    user_roles: dict[str, set[str]]
    #: role -> (table, privilege) -> depth
    role_privileges: dict[str, dict[tuple[str, Privilege], Depth]]
    #: (row, user) -> rights shared to that user on that row
    shares: dict[tuple[str, str], frozenset[RowRight]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a device knows of its user's privileges, taken at its last completed sync (STALE-4).

    ``own_rights`` are the rights the user has on a row of a table that they own: the device
    uses them for rows it created itself and has not downloaded yet.
    """

    create_tables: frozenset[str]
    own_rights: dict[str, frozenset[RowRight]]
    row_rights: dict[str, frozenset[RowRight]]


def depth_of(world: World, d: Directory, user: str, table: str, privilege: Privilege) -> int:
    """SEC-2: a user's depth for a privilege is the deepest granted by any of their roles."""
    best = 0
    for role in d.user_roles[user]:
        level = _LEVEL[d.role_privileges[role].get((table, privilege), "none")]
        if level > best:
            best = level
    return best


def depth_covers(world: World, d: Directory, user: str, level: int, owner: str) -> bool:
    """SEC-1: which rows a depth reaches, by the row owner's business unit (WORLD-2).

    user: rows the user owns; business_unit: rows owned in the user's unit; parent_child: rows
    owned in the user's unit or any unit below it; organization: every row; none: no row.
    """
    if level >= _LEVEL["organization"]:
        return True
    if level >= _LEVEL["parent_child"]:
        return d.user_bu[owner] in world.subtree(d.user_bu[user])
    if level >= _LEVEL["business_unit"]:
        return d.user_bu[owner] == d.user_bu[user]
    if level >= USER_LEVEL:
        return owner == user
    return False


def manager_level(world: World, d: Directory, user: str, owner: str) -> int | None:
    """SEC-5: 1 when ``user`` is the direct manager of ``owner``, n for the n-th manager up,
    None when ``user`` is not above ``owner`` at all. Disabled hierarchy: always None."""
    if not world.hierarchy_enabled:
        return None
    cur = d.user_manager.get(owner)
    level = 1
    seen = {owner}
    while cur is not None and cur not in seen:
        if cur == user:
            return level
        seen.add(cur)
        cur = d.user_manager.get(cur)
        level += 1
    return None


def row_rights(
    world: World,
    d: Directory,
    user: str,
    table: str,
    row: str,
    owner: str,
    why: set[str] | None = None,
) -> frozenset[RowRight]:
    """The rights ``user`` holds on one row now: SEC-1/SEC-2 by depth, SEC-4 by sharing and
    SEC-5 by manager hierarchy (within the hierarchy depth). ``why``, when given, collects the
    IDs of the rules that took part in the decision."""
    rights: set[RowRight] = set()
    shared = d.shares.get((row, user))
    level_above = manager_level(world, d, user, owner)
    if level_above is not None and level_above > world.hierarchy_depth:
        level_above = None
        if why is not None:
            why.add("SEC-5")
    for right in ROW_RIGHTS:
        level = depth_of(world, d, user, table, right)
        if why is not None:
            why.add("SEC-1")
            if len(d.user_roles[user]) > 1:
                why.add("SEC-2")
            if shared is not None:
                why.add("SEC-4")
            if level_above is not None:
                why.add("SEC-5")
        if depth_covers(world, d, user, level, owner):
            rights.add(right)
        elif level >= USER_LEVEL and (
            (shared is not None and right in shared)  # SEC-4
            or level_above == 1  # SEC-5, direct manager
            or (level_above is not None and right == "read")  # SEC-5, higher managers
        ):
            rights.add(right)
    return frozenset(rights)


def can_create(world: World, d: Directory, user: str, table: str) -> bool:
    """SEC-3: creating a row needs Create at User depth at least; the creator owns the row."""
    return depth_of(world, d, user, table, "create") >= USER_LEVEL


def secured_columns_denied(world: World, user: str, table: str, columns: list[str]) -> list[str]:
    """SEC-7: the field-secured columns among ``columns`` that ``user`` may not set.

    Only the server applies this; the device never does (SEC-6).
    """
    secured = world.tables[table].secured
    return [
        c
        for c in columns
        if c in secured and user not in world.field_permissions.get((table, c), frozenset())
    ]


def take_snapshot(
    world: World,
    d: Directory,
    user: str,
    tables: frozenset[str],
    rows: dict[str, tuple[str, str]],
) -> Snapshot:
    """STALE-4: the privilege snapshot a device receives at the end of a sync cycle.

    ``rows`` maps each downloaded row id to (table, owner).
    """
    return Snapshot(
        create_tables=frozenset(t for t in tables if can_create(world, d, user, t)),
        own_rights={
            t: frozenset(r for r in ROW_RIGHTS if depth_of(world, d, user, t, r) >= USER_LEVEL)
            for t in tables
        },
        row_rights={
            rid: row_rights(world, d, user, table, rid, owner)
            for rid, (table, owner) in rows.items()
        },
    )
