"""The fixed part of a test case: business units, tables, roles, profile, views, devices.

``World`` is built once from a ``WorldSpec`` and checked (WORLD-1). The mutable part of the
server (users' roles, managers and business units, role depths, rows, shares) starts from the
spec and lives in ``models.server``.
"""

from __future__ import annotations

from dataclasses import dataclass

from models.records import (
    CONFLICT_POLICIES,
    DEPTHS,
    PRIVILEGES,
    ROW_FILTERS,
    ROW_RIGHTS,
    ConflictPolicy,
    RowFilter,
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
    #: views by id: (table, every referenced table including its own).
    views: dict[str, frozenset[str]]
    offline_modules_tables: frozenset[str]
    profile: dict[str, RowFilter]
    #: device id -> user id.
    devices: dict[str, str]
    conflict_policy: ConflictPolicy

    def subtree(self, bu: str) -> frozenset[str]:
        """The business unit and every unit below it (SEC-1, Parent:Child depth)."""
        found = {bu}
        changed = True
        while changed:
            changed = False
            for child, parent in self.bu_parent.items():
                if parent in found and child not in found:
                    found.add(child)
                    changed = True
        return frozenset(found)


def _fail(what: str) -> InvalidWorld:
    return InvalidWorld(f"invalid world: {what}")


def build_world(spec: WorldSpec) -> World:
    """Check a world spec against WORLD-1 and WORLD-3 and index it.

    WORLD-1: one root business unit and a tree below it; unique ids; every reference (user's
    unit, manager, roles; row's table and owner; share's row and user; module, profile and view
    tables; device's user) names something that exists; the manager graph has no cycle;
    hierarchy depth is at least 1; the conflict policy is ``client_wins`` or ``server_wins``.
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
        tables[name] = Table(name, dict(t["columns"]), dict(t["lookups"]), frozenset(t["secured"]))
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
    for uid, mgr in users.items():
        if mgr is not None and mgr not in users:
            raise _fail(f"user {uid!r} has unknown manager {mgr!r}")
        if manager_cycle(users, uid, mgr):
            raise _fail(f"user {uid!r} is in a manager cycle")

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
        if row["owner"] not in users:
            raise _fail(f"row {row['id']!r} has unknown owner {row['owner']!r}")
        problem = values_problem(tables[row["table"]].columns, row["values"], complete=True)
        if problem:
            raise _fail(f"row {row['id']!r}: {problem}")
    for share in spec["shares"]:
        if share["row"] not in row_ids or share["user"] not in users:
            raise _fail(f"share of {share['row']!r} to {share['user']!r} names an unknown entry")
        if any(r not in ROW_RIGHTS for r in share["rights"]):
            raise _fail(f"share of {share['row']!r} has bad rights {share['rights']!r}")

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
    views: dict[str, frozenset[str]] = {}
    for v in spec["views"]:
        if v["id"] in views:
            raise _fail(f"view {v['id']!r} is defined twice")
        refs = frozenset([v["table"], *v["references"]])
        if not refs <= tables.keys():
            unknown = sorted(refs - tables.keys())
            raise _fail(f"view {v['id']!r} references unknown tables {unknown}")
        views[v["id"]] = refs
    devices: dict[str, str] = {}
    for d in spec["devices"]:
        if d["id"] in devices or d["user"] not in users:
            raise _fail(f"device {d['id']!r} is defined twice or has unknown user {d['user']!r}")
        devices[d["id"]] = d["user"]
    if spec["hierarchy"]["depth"] < 1:
        raise _fail("hierarchy depth must be at least 1")
    if spec["conflict_policy"] not in CONFLICT_POLICIES:
        raise _fail(f"unknown conflict policy {spec['conflict_policy']!r}")

    return World(
        spec=spec,
        bu_parent=bu_parent,
        tables=tables,
        field_permissions=field_permissions,
        hierarchy_enabled=spec["hierarchy"]["enabled"],
        hierarchy_depth=spec["hierarchy"]["depth"],
        views=views,
        offline_modules_tables=frozenset(offline_tables),
        profile=dict(spec["profile"]),
        devices=devices,
        conflict_policy=spec["conflict_policy"],
    )


def manager_cycle(managers: dict[str, str | None], user: str, manager: str | None) -> bool:
    """True when making ``manager`` the manager of ``user`` closes a cycle (WORLD-1, EVENT-2)."""
    seen = {user}
    cur = manager
    while cur is not None:
        if cur in seen:
            return True
        seen.add(cur)
        cur = managers.get(cur)
    return False
