"""The fixed part of a test case: business units, tables, roles, teams, profile, views, devices.

``World`` is built once from a ``WorldSpec`` and checked (WORLD-1). The mutable part of the
server (users' roles, managers, positions and business units, role depths, team members and
roles, the position tree, rows, shares) starts from the spec and lives in ``models.server``.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.records import (
    BASIC_ROW_RIGHTS,
    CONFLICT_POLICIES,
    DEPTHS,
    HIERARCHY_MODELS,
    INHERITANCES,
    MAX_RELATED_TABLES,
    OFFLINE_OPERATIONS,
    PRIVILEGES,
    ROW_FILTERS,
    ROW_RIGHTS,
    TEAM_KINDS,
    ConflictPolicy,
    HierarchyModel,
    OfflineOperation,
    RowFilter,
    RowRight,
    WorldSpec,
)
from models.values import check_schema, values_problem


class InvalidWorld(ValueError):
    """A world spec breaks WORLD-1; the message names the offending entry."""


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: dict[str, dict[str, object]]
    lookups: dict[str, str]
    secured: frozenset[str]
    #: PROFILE-6: the operations that work on this table offline
    offline_operations: frozenset[OfflineOperation] = frozenset(OFFLINE_OPERATIONS)


@dataclass(frozen=True, slots=True, eq=False)
class World:
    spec: WorldSpec
    #: business unit -> parent (None for the root).
    bu_parent: dict[str, str | None]
    tables: dict[str, Table]
    #: (table, secured column) -> users allowed to set it.
    field_permissions: dict[tuple[str, str], frozenset[str]]
    hierarchy_enabled: bool
    hierarchy_depth: int
    hierarchy_model: HierarchyModel
    #: team -> its business unit, and the owner teams (those that can own rows and hold roles):
    #: a team's kind and unit never change (SEC-9, SEC-10)
    team_bu: dict[str, str]
    owner_teams: frozenset[str]
    #: SEC-11: whether roles grant Append and Append To and lookups need them
    append_privileges: bool
    #: the rights on a row that matter in this world (SEC-4, SEC-11)
    rights: tuple[RowRight, ...]
    #: views by id: (table, every referenced table including its own).
    views: dict[str, frozenset[str]]
    offline_modules_tables: frozenset[str]
    profile: dict[str, RowFilter]
    #: device id -> user id.
    devices: dict[str, str]
    conflict_policy: ConflictPolicy
    #: PROFILE-8: the users with Read on the offline profile at the start (the server's
    #: ``Directory`` holds who has it now)
    profile_users: frozenset[str]

    #: business unit -> the unit and every unit below it (SEC-1, Parent:Child depth)
    subtrees: dict[str, frozenset[str]]

    def subtree(self, bu: str) -> frozenset[str]:
        """The business unit and every unit below it (SEC-1, Parent:Child depth)."""
        return self.subtrees[bu]


def _fail(what: str) -> InvalidWorld:
    return InvalidWorld(f"invalid world: {what}")


def build_world(spec: WorldSpec) -> World:
    """Check a world spec against WORLD-1 and WORLD-3 and index it.

    WORLD-1: one root business unit and a tree below it; unique ids (no team with a user's id);
    every reference (user's unit, manager, position, roles; row's table and owner, a user or an
    owner team; share's row and user or team; team's unit, members and roles; position's parent;
    module, profile and view tables; device's user) names something that exists; an access team
    has no roles; neither managers nor positions form a cycle; hierarchy depth is at least 1 and
    its model ``manager`` or ``position``; the conflict policy is ``client_wins`` or
    ``server_wins``; the profile has at most 10 ``related`` tables (PROFILE-7).
    WORLD-3: every column schema is in the supported subset and every row's values fit it.
    """
    bu_parent: dict[str, str | None] = {}
    for bu in spec["business_units"]:
        if bu["id"] in bu_parent:
            raise _fail(f"business unit {bu['id']!r} is defined twice")
        bu_parent[bu["id"]] = bu["parent"]
    roots = [b for b, p in bu_parent.items() if p is None]
    if not roots:
        raise _fail(f"no root business unit: every unit has a parent ({sorted(bu_parent)})")
    if len(roots) != 1:
        raise _fail(f"exactly one root business unit is required, found {roots}")
    for b, p in bu_parent.items():
        if p is not None and p not in bu_parent:
            raise _fail(f"business unit {b!r} has unknown parent {p!r}")
        seen = {b}
        cur = p
        while cur is not None:
            if cur in seen:
                raise _fail(f"business unit {b!r} is in a parent cycle")
            seen.add(cur)
            cur = bu_parent[cur]

    tables: dict[str, Table] = {}
    for t in spec["tables"]:
        name = t["name"]
        if name in tables:
            raise _fail(f"table {name!r} is defined twice")
        for col, schema in t["columns"].items():
            problem = check_schema(schema)
            if problem:
                raise _fail(f"column {name}.{col}: {problem}")
        for col in [*t["lookups"], *t["secured"]]:
            if col not in t["columns"]:
                raise _fail(f"table {name!r} names unknown column {col!r}")
        offline = t.get("offline_operations", list(OFFLINE_OPERATIONS))
        if (
            any(o not in OFFLINE_OPERATIONS for o in offline)
            or len(set(offline)) != len(offline)
            or "read" not in offline
        ):
            raise _fail(
                f"table {name!r} has offline operations {offline!r} (PROFILE-6: among "
                f"{list(OFFLINE_OPERATIONS)}, no repeats, read among them)"
            )
        tables[name] = Table(
            name,
            dict(t["columns"]),
            dict(t["lookups"]),
            frozenset(t["secured"]),
            frozenset(offline),
        )
    for t2 in tables.values():
        for col, target in t2.lookups.items():
            if target not in tables:
                raise _fail(f"lookup {t2.name}.{col} targets unknown table {target!r}")

    role_ids: set[str] = set()
    for role in spec["roles"]:
        if role["id"] in role_ids:
            raise _fail(f"role {role['id']!r} is defined twice")
        role_ids.add(role["id"])
        for table, privs in role["privileges"].items():
            if table not in tables:
                raise _fail(f"role {role['id']!r} names unknown table {table!r}")
            for priv, depth in privs.items():
                if priv not in PRIVILEGES or depth not in DEPTHS:
                    raise _fail(f"role {role['id']!r} has bad privilege {priv!r}: {depth!r}")
        if role.get("member_inheritance", "team") not in INHERITANCES:
            raise _fail(
                f"role {role['id']!r} has bad inheritance {role.get('member_inheritance')!r}"
            )

    positions: dict[str, str | None] = {}
    for pos in spec.get("positions", []):
        if pos["id"] in positions:
            raise _fail(f"position {pos['id']!r} is defined twice")
        positions[pos["id"]] = pos["parent"]
    for pos_id, parent in positions.items():
        if parent is not None and parent not in positions:
            raise _fail(f"position {pos_id!r} has unknown parent {parent!r}")
        if parent_cycle(positions, pos_id, parent):
            raise _fail(f"position {pos_id!r} is in a parent cycle")

    users: dict[str, str | None] = {}
    for u in spec["users"]:
        if u["id"] in users:
            raise _fail(f"user {u['id']!r} is defined twice")
        users[u["id"]] = u["manager"]
        if u["business_unit"] not in bu_parent:
            raise _fail(f"user {u['id']!r} is in unknown business unit {u['business_unit']!r}")
        for r in u["roles"]:
            if r not in role_ids:
                raise _fail(f"user {u['id']!r} has unknown role {r!r}")
        position = u.get("position")
        if position is not None and position not in positions:
            raise _fail(f"user {u['id']!r} holds unknown position {position!r}")
    for uid, mgr in users.items():
        if mgr is not None and mgr not in users:
            raise _fail(f"user {uid!r} has unknown manager {mgr!r}")
        if manager_cycle(users, uid, mgr):
            raise _fail(f"user {uid!r} is in a manager cycle")

    team_bu: dict[str, str] = {}
    owner_teams: set[str] = set()
    for team in spec.get("teams", []):
        tid = team["id"]
        if tid in team_bu or tid in users:
            raise _fail(f"team {tid!r} is defined twice or has a user's id")
        if team["kind"] not in TEAM_KINDS:
            raise _fail(f"team {tid!r} has unknown kind {team['kind']!r}")
        if team["business_unit"] not in bu_parent:
            raise _fail(f"team {tid!r} is in unknown business unit {team['business_unit']!r}")
        unknown = [m for m in team["members"] if m not in users]
        if unknown:
            raise _fail(f"team {tid!r} has unknown members {unknown}")
        if any(r not in role_ids for r in team["roles"]):
            raise _fail(f"team {tid!r} has unknown roles {team['roles']}")
        if team["kind"] == "access" and team["roles"]:
            raise _fail(f"access team {tid!r} has roles (SEC-10: an access team has none)")
        team_bu[tid] = team["business_unit"]
        if team["kind"] == "owner":
            owner_teams.add(tid)

    field_permissions: dict[tuple[str, str], frozenset[str]] = {}
    for fp in spec["field_permissions"]:
        tbl = tables.get(fp["table"])
        if tbl is None or fp["column"] not in tbl.secured:
            raise _fail(f"field permission on {fp['table']}.{fp['column']} is not a secured column")
        unknown_users = [u for u in fp["users"] if u not in users]
        if unknown_users:
            raise _fail(
                f"field permission on {fp['table']}.{fp['column']} names unknown users "
                f"{unknown_users}"
            )
        field_permissions[(fp["table"], fp["column"])] = frozenset(fp["users"])

    row_ids: set[str] = set()
    for row in spec["rows"]:
        if row["id"] in row_ids:
            raise _fail(f"row {row['id']!r} is defined twice")
        row_ids.add(row["id"])
        if row["table"] not in tables:
            raise _fail(f"row {row['id']!r} is in unknown table {row['table']!r}")
        if row["owner"] not in users and row["owner"] not in owner_teams:
            raise _fail(f"row {row['id']!r} has unknown owner {row['owner']!r}")
        problem = values_problem(tables[row["table"]].columns, row["values"], complete=True)
        if problem:
            raise _fail(f"row {row['id']!r}: {problem}")
    for share in spec["shares"]:
        if share["row"] not in row_ids or share["user"] not in users:
            raise _fail(f"share of {share['row']!r} to {share['user']!r} names an unknown entry")
        if any(r not in ROW_RIGHTS for r in share["rights"]):
            raise _fail(f"share of {share['row']!r} has bad rights {share['rights']!r}")
    for team_share in spec.get("team_shares", []):
        if team_share["row"] not in row_ids or team_share["team"] not in team_bu:
            raise _fail(
                f"share of {team_share['row']!r} to team {team_share['team']!r} names an "
                "unknown entry"
            )
        if any(r not in ROW_RIGHTS for r in team_share["rights"]):
            raise _fail(f"share of {team_share['row']!r} has bad rights {team_share['rights']!r}")

    offline_tables: set[str] = set()
    module_ids: set[str] = set()
    for m in spec["app_modules"]:
        if m["id"] in module_ids:
            raise _fail(f"app module {m['id']!r} is defined twice")
        module_ids.add(m["id"])
        for table in m["tables"]:
            if table not in tables:
                raise _fail(f"app module {m['id']!r} names unknown table {table!r}")
        if m["offline_enabled"]:
            offline_tables.update(m["tables"])
    for table, row_filter in spec["profile"].items():
        if table not in tables or row_filter not in ROW_FILTERS:
            raise _fail(f"profile entry {table!r}: {row_filter!r} is not valid")
    related = sorted(t for t, f in spec["profile"].items() if f == "related")
    if len(related) > MAX_RELATED_TABLES:  # PROFILE-7
        raise _fail(
            f"profile: {len(related)} related tables {related}, at most {MAX_RELATED_TABLES}"
        )
    views: dict[str, frozenset[str]] = {}
    for v in spec["views"]:
        if v["id"] in views:
            raise _fail(f"view {v['id']!r} is defined twice")
        refs = frozenset([v["table"], *v["references"]])
        if not refs <= tables.keys():
            unknown = sorted(refs - tables.keys())
            raise _fail(f"view {v['id']!r} references unknown tables {unknown}")
        views[v["id"]] = refs
    profile_users = spec.get("profile_users")
    if profile_users is not None:
        unknown = [u for u in profile_users if u not in users]
        if unknown or len(set(profile_users)) != len(profile_users):
            raise _fail(
                f"profile users {profile_users!r} name unknown users {unknown} or repeat one "
                "(PROFILE-8)"
            )
    devices: dict[str, str] = {}
    for d in spec["devices"]:
        if d["id"] in devices or d["user"] not in users:
            raise _fail(f"device {d['id']!r} is defined twice or has unknown user {d['user']!r}")
        devices[d["id"]] = d["user"]
    if spec["hierarchy"]["depth"] < 1:
        raise _fail("hierarchy depth must be at least 1")
    model = spec["hierarchy"].get("model", "manager")
    if model not in HIERARCHY_MODELS:
        raise _fail(f"unknown hierarchy model {model!r}")
    if spec["conflict_policy"] not in CONFLICT_POLICIES:
        raise _fail(f"unknown conflict policy {spec['conflict_policy']!r}")

    subtrees: dict[str, set[str]] = {b: {b} for b in bu_parent}
    for b in bu_parent:
        cur = bu_parent[b]
        while cur is not None:
            subtrees[cur].add(b)
            cur = bu_parent[cur]

    return World(
        spec=spec,
        bu_parent=bu_parent,
        tables=tables,
        field_permissions=field_permissions,
        hierarchy_enabled=spec["hierarchy"]["enabled"],
        hierarchy_depth=spec["hierarchy"]["depth"],
        hierarchy_model=model,
        team_bu=team_bu,
        owner_teams=frozenset(owner_teams),
        append_privileges=bool(spec.get("append_privileges", False)),
        rights=ROW_RIGHTS if spec.get("append_privileges", False) else BASIC_ROW_RIGHTS,
        views=views,
        offline_modules_tables=frozenset(offline_tables),
        profile=dict(spec["profile"]),
        devices=devices,
        conflict_policy=spec["conflict_policy"],
        profile_users=frozenset(users if profile_users is None else profile_users),
        subtrees={b: frozenset(units) for b, units in subtrees.items()},
    )


def manager_cycle(managers: dict[str, str | None], user: str, manager: str | None) -> bool:
    """True when making ``manager`` the manager of ``user`` closes a cycle (WORLD-1, EVENT-2)."""
    return parent_cycle(managers, user, manager)


def parent_cycle(parents: dict[str, str | None], node: str, parent: str | None) -> bool:
    """True when making ``parent`` the parent of ``node`` closes a cycle: of managers, or of
    positions (WORLD-1, EVENT-2)."""
    seen = {node}
    cur = parent
    while cur is not None:
        if cur in seen:
            return True
        seen.add(cur)
        cur = parents.get(cur)
    return False
