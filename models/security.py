"""Security evaluation: roles (a user's own and their owner teams'), depths, sharing (with users
and with teams), manager and position hierarchy, Append and Append To, field-level security.

Pure functions over the world and a ``Directory`` (the server's mutable security state). The
server calls them live (VALID-1); the device only ever sees their results frozen in a
``Snapshot`` taken at its last completed sync (STALE-1).

A user's *grants* for one privilege on one table are (level, principal) pairs: each role of the
user reaches rows from the user, each role of an owner team they are a member of reaches rows
from the team (SEC-9). A right on a row is held when a grant reaches the row (SEC-1, SEC-2), or
when the user holds the privilege at User depth at least and a share (SEC-4, SEC-10) or the
hierarchy (SEC-5, SEC-8) gives it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from models.records import (
    DEPTHS,
    DIRECT_HIERARCHY_RIGHTS,
    Depth,
    Inheritance,
    Privilege,
    RowRight,
    Values,
)
from models.world import World

_LEVEL = {d: i for i, d in enumerate(DEPTHS)}
USER_LEVEL = _LEVEL["user"]
_BU_LEVEL = _LEVEL["business_unit"]
_PC_LEVEL = _LEVEL["parent_child"]
_ORG_LEVEL = _LEVEL["organization"]
_NOTHING: frozenset[RowRight] = frozenset()
_READ_ONLY: frozenset[RowRight] = frozenset({"read"})

#: a grant: the level of a privilege and the principal (a user, or an owner team) it reaches
#: rows from
Grant = tuple[int, str]


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
    #: SEC-8: user -> the position they hold (absent or None: none); position -> parent
    user_position: dict[str, str | None] = field(default_factory=dict)
    position_parent: dict[str, str | None] = field(default_factory=dict)
    #: SEC-9 / SEC-10: team -> members; owner team -> roles; role -> member's inheritance
    team_members: dict[str, set[str]] = field(default_factory=dict)
    team_roles: dict[str, set[str]] = field(default_factory=dict)
    role_inheritance: dict[str, Inheritance] = field(default_factory=dict)
    #: (row, team) -> rights shared with that team on that row (SEC-10)
    team_shares: dict[tuple[str, str], frozenset[RowRight]] = field(default_factory=dict)
    #: PROFILE-8: the users with Read on the offline profile now
    profile_members: set[str] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a device knows of its user's privileges, taken at its last completed sync (STALE-4).

    ``own_rights`` are the rights the user has on a new row of a table that they own, and
    ``team_rights`` those on a new row owned by one of their owner teams: the device uses them
    for rows it created itself and has not downloaded yet (STALE-1, SEC-9).
    """

    create_tables: frozenset[str]
    own_rights: dict[str, frozenset[RowRight]]
    row_rights: dict[str, frozenset[RowRight]]
    #: owner team -> the tables where the user may create rows owned by it (SEC-9)
    team_create_tables: dict[str, frozenset[str]] = field(default_factory=dict)
    #: owner team -> table -> rights on a new row owned by it (SEC-9)
    team_rights: dict[str, dict[str, frozenset[RowRight]]] = field(default_factory=dict)
    #: PROFILE-8: whether the user had Read on the offline profile (else no device tables)
    offline: bool = True


def teams_of(world: World, d: Directory, user: str) -> list[str]:
    """SEC-9: the owner teams ``user`` is a member of, in id order."""
    return sorted(t for t in world.owner_teams if user in d.team_members[t])


def owner_bu(world: World, d: Directory, owner: str) -> str:
    """WORLD-2: a row's owning business unit is its owner's: a user's, or a team's (SEC-9)."""
    bu = d.user_bu.get(owner)
    return bu if bu is not None else world.team_bu[owner]


def grants(world: World, d: Directory, user: str, table: str, privilege: Privilege) -> list[Grant]:
    """SEC-2 / SEC-9: every grant of ``privilege`` on ``table`` that ``user`` holds: one per
    role of their own (reaching from the user), one per role of each owner team they are a
    member of (reaching from the team), and for a team role with ``direct_basic`` inheritance
    also its privilege at User depth from the user."""
    return _grants(d, user, _team_roles(world, d, user), table, privilege)


def _team_roles(world: World, d: Directory, user: str) -> list[tuple[str, str]]:
    """(team, role) for each role of each owner team ``user`` is a member of (SEC-9)."""
    return [
        (team, role)
        for team in world.owner_teams
        if user in d.team_members[team]
        for role in d.team_roles[team]
    ]


def _grants(
    d: Directory,
    user: str,
    team_roles: list[tuple[str, str]],
    table: str,
    privilege: Privilege,
) -> list[Grant]:
    """``grants``, given the user's team roles (so that one evaluation finds them once)."""
    key = (table, privilege)
    found = [
        (_LEVEL[d.role_privileges[role].get(key, "none")], user) for role in d.user_roles[user]
    ]
    for team, role in team_roles:
        level = _LEVEL[d.role_privileges[role].get(key, "none")]
        found.append((level, team))
        if level >= USER_LEVEL and d.role_inheritance.get(role, "team") == "direct_basic":
            found.append((USER_LEVEL, user))
    return found


def depth_of(world: World, d: Directory, user: str, table: str, privilege: Privilege) -> int:
    """SEC-2: a user's depth for a privilege is the deepest granted by any of their roles (and,
    SEC-9, their owner teams' roles): whether they hold the privilege at all at User depth is
    the privilege check that sharing and the hierarchy need (SEC-4, SEC-5)."""
    return max((level for level, _ in grants(world, d, user, table, privilege)), default=0)


def reaches(world: World, d: Directory, level: int, principal: str, owner: str) -> bool:
    """SEC-1 / SEC-9: which rows a grant at ``level`` reaches from ``principal`` (a user, or an
    owner team), by the row owner's business unit (WORLD-2).

    user: rows the principal owns, and for a user also the rows of the owner teams they are a
    member of; business_unit: rows owned in the principal's unit; parent_child: rows owned in the
    principal's unit or any unit below it; organization: every row; none: no row. A deeper level
    reaches everything a shallower one does."""
    if level >= _ORG_LEVEL:
        return True
    if level < USER_LEVEL:
        return False
    if owner == principal:
        return True
    is_user = principal in d.user_bu
    if is_user and owner in world.owner_teams and principal in d.team_members[owner]:
        return True  # SEC-9: a member owns the rows of their owner teams
    if level < _BU_LEVEL:
        return False
    unit = d.user_bu[principal] if is_user else world.team_bu[principal]
    if level >= _PC_LEVEL:
        return owner_bu(world, d, owner) in world.subtree(unit)
    return owner_bu(world, d, owner) == unit


def depth_covers(world: World, d: Directory, user: str, level: int, owner: str) -> bool:
    """SEC-1: whether a role of ``user``'s own at ``level`` reaches a row owned by ``owner``."""
    return reaches(world, d, level, user, owner)


def level_above(world: World, d: Directory, user: str, subject: str) -> int | None:
    """SEC-5 / SEC-8: 1 when ``user`` is directly above ``subject`` in the world's hierarchy
    model (their manager; the holder of their position's parent), n when n levels above, None
    when not above at all. Disabled hierarchy: always None."""
    if not world.hierarchy_enabled or user == subject:
        return None
    if world.hierarchy_model == "position":
        mine = d.user_position.get(user)
        start = d.user_position.get(subject)
        if mine is None or start is None:
            return None
        return steps_up(d.position_parent, start, mine)
    return steps_up(d.user_manager, subject, user)


def steps_up(parents: dict[str, str | None], start: str, target: str) -> int | None:
    """How many parent links lead from ``start`` up to ``target`` (None when none do)."""
    cur, level, seen = parents.get(start), 1, {start}
    while cur is not None and cur not in seen:
        if cur == target:
            return level
        seen.add(cur)
        cur = parents.get(cur)
        level += 1
    return None


def manager_level(world: World, d: Directory, user: str, owner: str) -> int | None:
    """SEC-5 / SEC-8: how far ``user`` is above the user ``owner`` (``level_above``)."""
    return level_above(world, d, user, owner)


def hierarchy_subjects(
    world: World, d: Directory, row: str | None, owner: str
) -> list[tuple[str, frozenset[RowRight] | None]]:
    """SEC-5 / SEC-8: the users whose rows include this one, each with the most the hierarchy
    gives through them (None: no cap): its owner, the members of its owner team, and the users
    it is shared with, directly or through a team (capped by the shared rights)."""
    found: list[tuple[str, frozenset[RowRight] | None]] = []
    if owner in d.user_bu:
        found.append((owner, None))
    elif owner in world.owner_teams:
        found.extend((m, None) for m in d.team_members[owner])
    if row is not None:
        found.extend((u, rights) for (r, u), rights in d.shares.items() if r == row)
        for (r, team), rights in d.team_shares.items():
            if r == row:
                found.extend((m, rights) for m in d.team_members[team])
    return found


def hierarchy_rights(
    world: World, d: Directory, user: str, row: str | None, owner: str
) -> tuple[frozenset[RowRight], bool]:
    """SEC-5 / SEC-8: the rights the hierarchy gives ``user`` on a row, before the privilege
    check: through a subject (``hierarchy_subjects``) directly below, Read, Write, Append and
    Append To (not Delete); through one 2 to depth levels below, Read only. Also whether
    ``user`` is above any subject at all, within the depth or not."""
    if not world.hierarchy_enabled:
        return _NOTHING, False
    found: set[RowRight] = set()
    involved = False
    for subject, cap in hierarchy_subjects(world, d, row, owner):
        level = level_above(world, d, user, subject)
        if level is None:
            continue
        involved = True
        if level > world.hierarchy_depth:
            continue
        given = DIRECT_HIERARCHY_RIGHTS if level == 1 else _READ_ONLY
        found.update(given if cap is None else given & cap)
    return frozenset(found), involved


def team_shared_rights(d: Directory, user: str, row: str | None) -> frozenset[RowRight] | None:
    """SEC-10: the rights shared on ``row`` with the teams ``user`` is a member of (None when
    no team of theirs has a share of it)."""
    if row is None or not d.team_shares:
        return None
    found: set[RowRight] | None = None
    for (r, team), rights in d.team_shares.items():
        if r == row and user in d.team_members[team]:
            found = (found or set()) | rights
    return None if found is None else frozenset(found)


def row_rights(
    world: World,
    d: Directory,
    user: str,
    table: str,
    row: str | None,
    owner: str,
    why: set[str] | None = None,
    only: tuple[RowRight, ...] | None = None,
) -> frozenset[RowRight]:
    """The rights ``user`` holds on one row now: SEC-1/SEC-2/SEC-9 by the grants that reach
    it, SEC-4/SEC-10 by sharing with the user or their teams, SEC-5/SEC-8 by the hierarchy
    (within its depth), each of the last two only where the user holds the privilege at User
    depth. ``row`` None asks about a new row of ``owner`` (nothing is shared on it yet).
    ``why``, when given, collects the IDs of the rules that took part in the decision;
    ``only``, when given, limits the question to those rights (the others are left out)."""
    shared = d.shares.get((row, user)) if row is not None else None
    team_shared = team_shared_rights(d, user, row)
    above, involved = hierarchy_rights(world, d, user, row, owner)
    team_roles = _team_roles(world, d, user) if world.owner_teams else []
    if why is not None:
        why.add("SEC-1")
        if len(d.user_roles[user]) + len(team_roles) > 1:
            why.add("SEC-2")
        if shared is not None:
            why.add("SEC-4")
        if team_shared is not None:
            why.add("SEC-10")
        if involved:
            why.add("SEC-8" if world.hierarchy_model == "position" else "SEC-5")
        if team_roles or owner in world.owner_teams:
            why.add("SEC-9")
    # the role privilege maps, each with the principal it reaches rows from (``_grants``)
    maps = [(d.role_privileges[role], user) for role in d.user_roles[user]]
    direct: list[dict[tuple[str, Privilege], Depth]] = []
    for team, role in team_roles:
        maps.append((d.role_privileges[role], team))
        if d.role_inheritance.get(role, "team") == "direct_basic":
            direct.append(d.role_privileges[role])
    rights: set[RowRight] = set()
    for right in world.rights if only is None else only:
        key = (table, right)
        found = [(_LEVEL[privs.get(key, "none")], principal) for privs, principal in maps]
        found.extend(
            (USER_LEVEL, user) for privs in direct if _LEVEL[privs.get(key, "none")] >= USER_LEVEL
        )
        if why is None:
            granted = any(reaches(world, d, level, principal, owner) for level, principal in found)
        else:  # SEC-1's clause: how far the row is from the nearest grant that reaches it
            reaching = [p for lv, p in found if reaches(world, d, lv, p, owner)]
            granted = bool(reaching)
            if reaching:
                why.add(f"SEC-1.{DEPTHS[_distance(world, d, reaching, owner)]}")
        if granted:
            rights.add(right)
        elif any(level >= USER_LEVEL for level, _ in found) and (
            (shared is not None and right in shared)  # SEC-4
            or (team_shared is not None and right in team_shared)  # SEC-10
            or right in above  # SEC-5 / SEC-8
        ):
            rights.add(right)
    return frozenset(rights)


def _distance(world: World, d: Directory, principals: list[str], owner: str) -> int:
    """The shallowest level at which a grant of one of ``principals`` reaches a row owned by
    ``owner``: User for their own rows, Business Unit for their unit's, and so on."""
    return min(
        level
        for level in range(USER_LEVEL, _ORG_LEVEL + 1)
        if any(reaches(world, d, level, p, owner) for p in principals)
    )


def new_row_rights(
    world: World, d: Directory, user: str, table: str, owner: str
) -> frozenset[RowRight]:
    """STALE-1 / SEC-9: the rights ``user`` holds on a new row of ``table`` owned by ``owner``
    (themselves or an owner team): what the device uses for a row it created itself."""
    return row_rights(world, d, user, table, None, owner)


def may_own(world: World, d: Directory, user: str, owner: str) -> bool:
    """SEC-9: a create may name as owner the creator or an owner team they are a member of."""
    return owner == user or (owner in world.owner_teams and user in d.team_members[owner])


def can_create(world: World, d: Directory, user: str, table: str, owner: str | None = None) -> bool:
    """SEC-3 / SEC-9: creating a row needs Create from a grant that reaches the new row as it
    will be owned: by the creator (User depth at least) or, when the create names one, by an
    owner team the creator is a member of."""
    owner = user if owner is None else owner
    if not may_own(world, d, user, owner):
        return False
    return any(
        reaches(world, d, level, principal, owner)
        for level, principal in grants(world, d, user, table, "create")
    )


def lookups_set(world: World, table: str, values: Values) -> list[tuple[str, str | None]]:
    """SEC-11: the lookups a change sets to a row (a non-null value), each as (target table,
    row id; None for a value that cannot name a row); none without Append privileges."""
    if not world.append_privileges:
        return []
    lookups = world.tables[table].lookups
    return [
        (lookups[c], v if isinstance(v, str) else None)
        for c, v in sorted(values.items())
        if c in lookups and v is not None
    ]


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

    ``rows`` maps each downloaded row id to (table, owner). ``tables`` are the device tables
    of this download: none for a user without Read on the offline profile (PROFILE-8).
    """
    teams = teams_of(world, d, user)
    return Snapshot(
        offline=user in d.profile_members,
        create_tables=frozenset(t for t in tables if can_create(world, d, user, t)),
        own_rights={t: new_row_rights(world, d, user, t, user) for t in tables},
        row_rights={
            rid: row_rights(world, d, user, table, rid, owner)
            for rid, (table, owner) in rows.items()
        },
        team_create_tables={
            team: frozenset(t for t in tables if can_create(world, d, user, t, team))
            for team in teams
        },
        team_rights={
            team: {t: new_row_rights(world, d, user, t, team) for t in tables} for team in teams
        },
    )
