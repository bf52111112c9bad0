"""Making a minimized counterexample readable: a reduced world and simple values.

After ``minimize`` has deleted the operations and the world entries the failure does not need,
a counterexample can still carry four tables with every column, roles with privileges on
tables the program never touches, and values such as ``"X\\u00fc\\ud969"`` or
``1.4e+16`` where ``"a"`` and ``0`` fail the same way. The changes here go further, each one
small: drop a table (with its columns, lookups, views, profile entry, privileges, rows and
the operations on it), a column, a role's privilege, a lookup, a field permission's user, a
user's manager or role; set a "related" row filter to "all"; set the conflict policy to the
default; and replace each value by the
simplest one its column's schema allows (null where allowed, the empty or shortest string,
0 or the minimum, false, the first enum value). ``minimize`` keeps a change only when the
implementation still fails on the same rule when the program is replayed.

A change is a function from (world, operations) to a smaller pair, or None when it does not
apply (any more); the lists below are recomputed after every change that was kept.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from models.records import JSON, Operation, WorldSpec
from models.values import value_matches

Program = tuple[WorldSpec, list[Operation]]
Change = Callable[[WorldSpec, list[Operation]], Program | None]

#: operation kinds that name a table, and those that carry column values
_TABLE_OPS = ("create", "update", "delete", "read", "server_create")
_VALUE_OPS = ("create", "update", "server_create", "server_update")


def world_entries(world: WorldSpec) -> int:
    """How big a world is, for people: its units, users, roles and their privileges, tables
    and their columns, rows, shares, views, app modules, profile entries, field permissions
    and devices."""
    privileges = sum(len(p) for r in world["roles"] for p in r["privileges"].values())
    columns = sum(len(t["columns"]) for t in world["tables"])
    return (
        len(world["business_units"])
        + len(world["users"])
        + len(world["roles"])
        + privileges
        + len(world["tables"])
        + columns
        + len(world["rows"])
        + len(world["shares"])
        + len(world["views"])
        + len(world["app_modules"])
        + len(world["profile"])
        + len(world["field_permissions"])
        + len(world["devices"])
        + len(world.get("teams", []))
        + len(world.get("team_shares", []))
        + len(world.get("positions", []))
    )


# --- the world -------------------------------------------------------------------------------


def world_changes(world: WorldSpec, ops: list[Operation]) -> Iterator[Change]:
    """Every change that makes the world smaller or plainer, the biggest first."""
    used = _tables_used(world, ops)
    for name in [t["name"] for t in world["tables"]]:
        if name not in used:
            yield partial(_drop_table, table=name)
    for spec in world["tables"]:
        # secured and lookup columns first, then the others from the last: what stays is the
        # table's plainest, first column when the failure does not need the others
        special = [c for c in spec["columns"] if c in spec["secured"] or c in spec["lookups"]]
        plain = [c for c in spec["columns"] if c not in special][::-1]
        for column in special + plain:
            yield partial(_drop_column, table=spec["name"], column=column)
    for role in world["roles"]:
        for granted, privileges in role["privileges"].items():
            for privilege in privileges:
                yield partial(_drop_privilege, role=role["id"], table=granted, privilege=privilege)
    for spec in world["tables"]:
        for column in spec["lookups"]:
            yield partial(_drop_lookup, table=spec["name"], column=column)
    for i, permission in enumerate(world["field_permissions"]):
        for permitted in permission["users"]:
            yield partial(_drop_permitted_user, index=i, user=permitted)
    for user in world["users"]:
        if user["manager"] is not None:
            yield partial(_no_manager, user=user["id"])
        if len(user["roles"]) > 1:
            for held in user["roles"]:
                yield partial(_drop_user_role, user=user["id"], role=held)
    for user in world["users"]:
        if user.get("position") is not None:
            yield partial(_no_position, user=user["id"])
    for table, row_filter in world["profile"].items():
        if row_filter == "related":
            yield partial(_all_rows, table=table)
    if world.get("append_privileges"):
        yield _no_append
    for spec in world["tables"]:
        if "offline_operations" in spec:
            yield partial(_all_offline, table=spec["name"])
    if "profile_users" in world:
        yield _everyone_offline
    if world["conflict_policy"] != "client_wins":
        yield _default_policy


def _tables_used(world: WorldSpec, ops: list[Operation]) -> set[str]:
    """Tables the program names: those worth keeping (dropping them drops operations)."""
    row_table = {r["id"]: r["table"] for r in world["rows"]}
    used = {op["table"] for op in ops if op["kind"] in _TABLE_OPS and "table" in op}
    used |= {row_table[op["row"]] for op in ops if op.get("row") in row_table}
    return used


def _copy(world: WorldSpec, ops: list[Operation]) -> tuple[Any, list[Any]]:
    return copy.deepcopy(world), copy.deepcopy(ops)


def _drop_table(world: WorldSpec, ops: list[Operation], table: str) -> Program | None:
    if table not in {t["name"] for t in world["tables"]} or len(world["tables"]) < 2:
        return None
    w, o = _copy(world, ops)
    rows = {r["id"] for r in w["rows"] if r["table"] == table}
    w["tables"] = [t for t in w["tables"] if t["name"] != table]
    for t in w["tables"]:
        t["lookups"] = {c: target for c, target in t["lookups"].items() if target != table}
    w["rows"] = [r for r in w["rows"] if r["table"] != table]
    w["shares"] = [s for s in w["shares"] if s["row"] not in rows]
    if "team_shares" in w:
        w["team_shares"] = [s for s in w["team_shares"] if s["row"] not in rows]
    for role in w["roles"]:
        role["privileges"].pop(table, None)
    w["profile"].pop(table, None)
    for module in w["app_modules"]:
        module["tables"] = [t for t in module["tables"] if t != table]
    w["views"] = [v for v in w["views"] if v["table"] != table and table not in v["references"]]
    w["field_permissions"] = [p for p in w["field_permissions"] if p["table"] != table]
    o = [op for op in o if op.get("table") != table and op.get("row") not in rows]
    return w, o


def _drop_column(world: WorldSpec, ops: list[Operation], table: str, column: str) -> Program | None:
    spec = next((t for t in world["tables"] if t["name"] == table), None)
    if spec is None or column not in spec["columns"] or len(spec["columns"]) < 2:
        return None
    w, o = _copy(world, ops)
    t = next(t for t in w["tables"] if t["name"] == table)
    del t["columns"][column]
    t["lookups"].pop(column, None)
    t["secured"] = [c for c in t["secured"] if c != column]
    w["field_permissions"] = [
        p for p in w["field_permissions"] if (p["table"], p["column"]) != (table, column)
    ]
    rows = {r["id"] for r in w["rows"] if r["table"] == table}
    for row in w["rows"]:
        if row["id"] in rows:
            row["values"].pop(column, None)
    kept = []
    for op in o:
        values = op.get("values")
        if values is not None and column in values and _op_table(op, world) == table:
            del values[column]
            if not values:  # an update of that column alone: nothing left to do
                continue
        kept.append(op)
    return w, kept


def _op_table(op: Operation, world: WorldSpec) -> str | None:
    if "table" in op:
        return str(op["table"])
    return next((r["table"] for r in world["rows"] if r["id"] == op.get("row")), None)


def _drop_privilege(
    world: WorldSpec, ops: list[Operation], role: str, table: str, privilege: str
) -> Program | None:
    w, o = _copy(world, ops)
    for r in w["roles"]:
        if r["id"] == role and privilege in r["privileges"].get(table, {}):
            del r["privileges"][table][privilege]
            if not r["privileges"][table]:
                del r["privileges"][table]
            return w, o
    return None


def _drop_lookup(world: WorldSpec, ops: list[Operation], table: str, column: str) -> Program | None:
    w, o = _copy(world, ops)
    for t in w["tables"]:
        if t["name"] == table and column in t["lookups"]:
            del t["lookups"][column]
            return w, o
    return None


def _drop_permitted_user(
    world: WorldSpec, ops: list[Operation], index: int, user: str
) -> Program | None:
    if index >= len(world["field_permissions"]):
        return None
    w, o = _copy(world, ops)
    users = w["field_permissions"][index]["users"]
    if user not in users:
        return None
    users.remove(user)
    return w, o


def _no_manager(world: WorldSpec, ops: list[Operation], user: str) -> Program | None:
    w, o = _copy(world, ops)
    for u in w["users"]:
        if u["id"] == user and u["manager"] is not None:
            u["manager"] = None
            return w, o
    return None


def _drop_user_role(world: WorldSpec, ops: list[Operation], user: str, role: str) -> Program | None:
    w, o = _copy(world, ops)
    for u in w["users"]:
        if u["id"] == user and role in u["roles"] and len(u["roles"]) > 1:
            u["roles"] = [r for r in u["roles"] if r != role]
            return w, o
    return None


def _no_position(world: WorldSpec, ops: list[Operation], user: str) -> Program | None:
    w, o = _copy(world, ops)
    for u in w["users"]:
        if u["id"] == user and u.get("position") is not None:
            u["position"] = None
            return w, o
    return None


def _no_append(world: WorldSpec, ops: list[Operation]) -> Program | None:
    """Without Append privileges: lookups need nothing beyond Write (SEC-11)."""
    if not world.get("append_privileges"):
        return None
    w, o = _copy(world, ops)
    w["append_privileges"] = False
    for role in w["roles"]:
        for privileges in role["privileges"].values():
            privileges.pop("append", None)
            privileges.pop("append_to", None)
    return w, o


def _all_offline(world: WorldSpec, ops: list[Operation], table: str) -> Program | None:
    """Every operation of ``table`` offline (PROFILE-6)."""
    w, o = _copy(world, ops)
    for spec in w["tables"]:
        if spec["name"] == table and "offline_operations" in spec:
            del spec["offline_operations"]
            return w, o
    return None


def _everyone_offline(world: WorldSpec, ops: list[Operation]) -> Program | None:
    """Every user with Read on the offline profile, the events on it gone (PROFILE-8)."""
    if "profile_users" not in world:
        return None
    w, o = _copy(world, ops)
    del w["profile_users"]
    return w, [op for op in o if op["kind"] not in ("grant_profile", "revoke_profile")]


def _all_rows(world: WorldSpec, ops: list[Operation], table: str) -> Program | None:
    """A "related" table downloads every readable row instead (PROFILE-7): the failure did not
    need the relation. (A table the others are related through is dropped like any other, its
    lookups with it: the rows it joined are then related to nothing.)"""
    if world["profile"].get(table) != "related":
        return None
    w, o = _copy(world, ops)
    w["profile"][table] = "all"
    return w, o


def _default_policy(world: WorldSpec, ops: list[Operation]) -> Program | None:
    if world["conflict_policy"] == "client_wins":
        return None
    w, o = _copy(world, ops)
    w["conflict_policy"] = "client_wins"
    return w, o


# --- values ----------------------------------------------------------------------------------


def simplest_values(schema: dict[str, JSON]) -> list[JSON]:
    """The simplest values a column schema allows, simplest first: null, then per type the
    shortest string (``"a"`` repeated to the minimum length), 0 or the minimum, false; then
    the enum's values in order."""
    types = schema.get("type")
    listed = [types] if isinstance(types, str) else list(types or [])
    candidates: list[JSON] = [None] if "null" in listed else []
    for kind in listed:
        if kind == "string":
            candidates.append("a" * int(schema.get("minLength", 0)))
        elif kind in ("integer", "number"):
            low = schema.get("minimum")
            candidates.append(0 if low is None or low <= 0 else low)
        elif kind == "boolean":
            candidates.append(False)
    candidates += list(schema.get("enum", []))
    found: list[JSON] = []
    for value in candidates:
        if value_matches(schema, value) and not any(_same(value, f) for f in found):
            found.append(value)
    return found


def _same(a: JSON, b: JSON) -> bool:
    return bool(a == b and type(a) is type(b))


def is_simple(schema: dict[str, JSON], value: JSON) -> bool:
    """Whether ``value`` is one of the simplest values of its column's schema."""
    return any(_same(value, s) for s in simplest_values(schema))


def value_changes(world: WorldSpec, ops: list[Operation]) -> Iterator[Change]:
    """Every replacement of a value (of a world row or an operation) by a simpler one."""
    schemas = {t["name"]: t["columns"] for t in world["tables"]}
    for row in world["rows"]:
        for column, value in row["values"].items():
            schema = schemas.get(row["table"], {}).get(column)
            if schema is not None and not is_simple(schema, value):
                for simple in simplest_values(schema):
                    yield partial(
                        _set_row_value, row=row["id"], column=column, value=simple, schema=schema
                    )
    for i, op in enumerate(ops):
        if op["kind"] not in _VALUE_OPS:
            continue
        table = _op_table(op, world)
        for column, value in op.get("values", {}).items():
            schema = schemas.get(table or "", {}).get(column)
            if schema is not None and not is_simple(schema, value):
                for simple in simplest_values(schema):
                    yield partial(
                        _set_op_value, index=i, column=column, value=simple, schema=schema
                    )
        if op["kind"] in ("update", "server_update") and len(op.get("values", {})) > 1:
            for column in op["values"]:
                yield partial(_drop_op_value, index=i, column=column)


def _set_row_value(
    world: WorldSpec,
    ops: list[Operation],
    row: str,
    column: str,
    value: JSON,
    schema: dict[str, JSON],
) -> Program | None:
    w, o = _copy(world, ops)
    for r in w["rows"]:
        if r["id"] == row and column in r["values"]:
            if is_simple(schema, r["values"][column]):  # an earlier change made it simple
                return None
            r["values"][column] = value
            return w, o
    return None


def _set_op_value(
    world: WorldSpec,
    ops: list[Operation],
    index: int,
    column: str,
    value: JSON,
    schema: dict[str, JSON],
) -> Program | None:
    if index >= len(ops) or column not in ops[index].get("values", {}):
        return None
    if is_simple(schema, ops[index]["values"][column]):  # an earlier change made it simple
        return None
    w, o = _copy(world, ops)
    o[index]["values"][column] = value
    return w, o


def _drop_op_value(
    world: WorldSpec, ops: list[Operation], index: int, column: str
) -> Program | None:
    if index >= len(ops) or len(ops[index].get("values", {})) < 2:
        return None
    if column not in ops[index]["values"]:
        return None
    w, o = _copy(world, ops)
    del o[index]["values"][column]
    return w, o


def all_values_simple(world: WorldSpec, ops: list[Operation]) -> bool:
    """Whether every value of the program (world rows and operations) is one of the simplest
    values of its column's schema."""
    schemas = {t["name"]: t["columns"] for t in world["tables"]}
    pairs: list[tuple[str | None, dict[str, JSON]]] = [
        (r["table"], r["values"]) for r in world["rows"]
    ]
    pairs += [(_op_table(op, world), op["values"]) for op in ops if op["kind"] in _VALUE_OPS]
    return all(
        is_simple(schemas[table][column], value)
        for table, values in pairs
        if table in schemas
        for column, value in values.items()
        if column in schemas[table]
    )
