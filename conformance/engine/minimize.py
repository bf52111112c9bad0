"""Shrinking passes over a failure Hypothesis has already shrunk.

Hypothesis shrinks the choices that generated a program; when a step's choices pick from
lists that depend on the state (the rows a device shows, say), deleting an earlier step
changes what later choices mean, and shrinking stalls. Here the program is concrete (each
operation names its rows), so deleting an operation leaves the others meaning the same:
this pass deletes operations, then world entries (devices, views, shares, rows), replaying
the program each time and keeping a deletion when the implementation still fails on the
same rule. Then, for people, ``reduce`` makes what is left plainer (a smaller world, the
simplest values), kept on the same condition. Deterministic, and bounded by a number of
replays.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import partial
from typing import Any

from conformance.engine.driver import IUTBroke, replay
from conformance.engine.reduce import Change, value_changes, world_changes, world_entries
from conformance.iut.adapter import AdapterFactory
from conformance.reporting.counterexample import Mismatch
from models.records import Operation, WorldSpec
from models.world import InvalidWorld

#: replays tried at most for one failure: deleting, then making plainer
MAX_REPLAYS = 400
REDUCE_REPLAYS = 300


class _Budget:
    def __init__(self, replays: int) -> None:
        self.left = replays


def minimize(
    mismatch: Mismatch,
    factory: AdapterFactory,
    replays: int = MAX_REPLAYS,
    timeout: float | None = None,
    reduce_replays: int = REDUCE_REPLAYS,
) -> Mismatch:
    """A smaller program failing on the same first rule (``mismatch`` itself if none);
    ``timeout`` bounds each call to the implementation while replaying. The sizes along the
    way (operations, world entries) are kept in ``sizes``: ``shrunk`` (by Hypothesis),
    ``minimized`` (entries deleted), ``reduced`` (made plainer)."""
    rule = mismatch.rules[0]
    sizes = {**mismatch.sizes, "shrunk": _size(mismatch)}

    def attempt(budget: _Budget, world: WorldSpec, ops: list[Operation]) -> Mismatch | None:
        if budget.left <= 0:
            return None
        budget.left -= 1
        try:
            found = replay(world, ops, factory, mismatch.family, timeout)
        except InvalidWorld:  # a smaller world that breaks WORLD-1: not a candidate
            return None
        except IUTBroke:  # the implementation breaking is not the same failure
            return None
        return found if found is not None and found.rules[0] == rule else None

    deleting = _Budget(replays)
    best = mismatch
    improved = True
    while improved and deleting.left > 0:
        improved = False
        # the failing step's successors never matter
        ops = best.operations[: best.failing_step + 1]
        for candidate in _without_each(ops):
            found = attempt(deleting, best.world, candidate)
            if found is not None:
                best, improved = found, True
                break
        if improved:
            continue
        for world, ops in _smaller_worlds(best.world, best.operations[: best.failing_step + 1]):
            found = attempt(deleting, world, ops)
            if found is not None:
                best, improved = found, True
                break
    sizes["minimized"] = _size(best)
    plainer = _Budget(reduce_replays)
    for changes in (world_changes, value_changes):
        best = _sweep(best, changes, partial(attempt, plainer))
    best.sizes = {**sizes, "reduced": _size(best)}
    best.seed = mismatch.seed
    return best


def _size(mismatch: Mismatch) -> list[int]:
    """[operations up to the failing one, world entries]."""
    return [mismatch.failing_step + 1, world_entries(mismatch.world)]


def _sweep(
    best: Mismatch,
    changes_of: Callable[[WorldSpec, list[Operation]], Any],
    attempt: Callable[[WorldSpec, list[Operation]], Mismatch | None],
) -> Mismatch:
    """Try each change once, keeping those after which the failure stays; after a kept
    change the list is drawn again from the smaller program (a change that failed is not
    tried again: replays are deterministic)."""
    failed: set[str] = set()
    improved = True
    while improved:
        improved = False
        ops = best.operations[: best.failing_step + 1]
        for change in changes_of(best.world, ops):
            key = _key(change)
            if key in failed:
                continue
            candidate = change(best.world, ops)
            if candidate is None:
                continue
            found = attempt(*candidate)
            if found is None:
                failed.add(key)
                continue
            best, improved = found, True
            break
    return best


def _key(change: Change) -> str:
    if isinstance(change, partial):
        return f"{change.func.__name__}{sorted(change.keywords.items())!r}"
    return getattr(change, "__name__", repr(change))


def _without_each(ops: list[Operation]) -> list[list[Operation]]:
    """The program without one operation, for each operation (the last ones first, and whole
    cycles, ``sync_start`` with its ``sync_end``, as one)."""
    candidates: list[list[Operation]] = []
    for i in reversed(range(len(ops))):
        candidates.append(ops[:i] + ops[i + 1 :])
        if ops[i]["kind"] == "sync_start":
            end = next(
                (
                    j
                    for j in range(i + 1, len(ops))
                    if ops[j]["kind"] == "sync_end" and ops[j].get("device") == ops[i]["device"]
                ),
                None,
            )
            if end is not None:
                candidates.append([op for k, op in enumerate(ops) if k not in (i, end)])
    return candidates


def _smaller_worlds(
    world: WorldSpec, ops: list[Operation]
) -> list[tuple[WorldSpec, list[Operation]]]:
    """Simpler worlds, each one change away: without a device (and its operations), a view,
    a share (with a user or a team), a row, a user (and what is theirs), a team (and its
    rows), a team's member or role, a position, a role, a unit, an app module or a profile
    table; with hierarchy security off, or the manager model instead of positions, or without
    Append privileges. A candidate that breaks WORLD-1 fails to replay and is dropped."""
    found: list[tuple[WorldSpec, list[Operation]]] = []

    def variant(change: Callable[[Any], None], keep: list[Operation] = ops) -> None:
        smaller: Any = copy.deepcopy(world)
        change(smaller)
        if smaller != world:
            found.append((smaller, keep))

    if len(world["devices"]) > 1:
        for device in world["devices"]:
            left = [op for op in ops if op.get("device") != device["id"]]
            variant(partial(_drop, key="devices", entry=device), left)
    for view in world["views"]:
        variant(partial(_drop, key="views", entry=view))
    for share in world["shares"]:
        variant(partial(_drop, key="shares", entry=share))
    for team_share in world.get("team_shares", []):
        variant(partial(_drop, key="team_shares", entry=team_share))
    for row in world["rows"]:
        variant(partial(_drop_row, row=row["id"]))
    held = {d["user"] for d in world["devices"]}
    for user in world["users"][::-1]:
        if user["id"] not in held:
            variant(partial(_drop_user, user=user["id"]))
    for team in world.get("teams", [])[::-1]:
        variant(partial(_drop_team, team=team["id"]))
        for member in team["members"]:
            variant(partial(_leave_team, team=team["id"], member=member))
        for team_role in team["roles"]:
            variant(partial(_drop_team_role, team=team["id"], role=team_role))
    for position in world.get("positions", [])[::-1]:
        variant(partial(_drop_position, position=position["id"]))
    for role in world["roles"][::-1]:
        variant(partial(_drop_role, role=role["id"]))
    for unit in world["business_units"][::-1]:
        variant(partial(_drop, key="business_units", entry=unit))
    for module in world["app_modules"][1:]:
        variant(partial(_drop, key="app_modules", entry=module))
    for table in list(world["profile"])[1:]:
        variant(partial(_drop_table, table=table))
    if world["hierarchy"]["enabled"]:
        variant(_no_hierarchy)
    if world["hierarchy"].get("model") == "position":
        variant(_manager_model)
    if world.get("append_privileges"):
        variant(_no_append_privileges)
    return found


def _drop_table(world: Any, table: str) -> None:
    world["profile"].pop(table)


def _no_hierarchy(world: Any) -> None:
    world["hierarchy"]["enabled"] = False


def _manager_model(world: Any) -> None:
    world["hierarchy"]["model"] = "manager"


def _no_append_privileges(world: Any) -> None:
    world["append_privileges"] = False


def _drop_team(world: Any, team: str) -> None:
    for row in [r["id"] for r in world["rows"] if r["owner"] == team]:
        _drop_row(world, row)
    world["teams"] = [t for t in world["teams"] if t["id"] != team]
    world["team_shares"] = [s for s in world.get("team_shares", []) if s["team"] != team]


def _leave_team(world: Any, team: str, member: str) -> None:
    for t in world["teams"]:
        if t["id"] == team:
            t["members"] = [m for m in t["members"] if m != member]


def _drop_team_role(world: Any, team: str, role: str) -> None:
    for t in world["teams"]:
        if t["id"] == team:
            t["roles"] = [r for r in t["roles"] if r != role]


def _drop_position(world: Any, position: str) -> None:
    """Without ``position``: its holders hold none, its children hang where it hung."""
    parent = next(p["parent"] for p in world["positions"] if p["id"] == position)
    world["positions"] = [p for p in world["positions"] if p["id"] != position]
    for p in world["positions"]:
        if p["parent"] == position:
            p["parent"] = parent
    for u in world["users"]:
        if u.get("position") == position:
            u["position"] = None


def _drop(world: Any, key: str, entry: Any) -> None:
    world[key] = [e for e in world[key] if e != entry]


def _drop_row(world: Any, row: str) -> None:
    world["rows"] = [r for r in world["rows"] if r["id"] != row]
    world["shares"] = [s for s in world["shares"] if s["row"] != row]
    if "team_shares" in world:
        world["team_shares"] = [s for s in world["team_shares"] if s["row"] != row]


def _drop_user(world: Any, user: str) -> None:
    for row in [r["id"] for r in world["rows"] if r["owner"] == user]:
        _drop_row(world, row)
    world["users"] = [u for u in world["users"] if u["id"] != user]
    for u in world["users"]:
        if u["manager"] == user:
            u["manager"] = None
    world["shares"] = [s for s in world["shares"] if s["user"] != user]
    for fp in world["field_permissions"]:
        fp["users"] = [u for u in fp["users"] if u != user]
    for team in world.get("teams", []):
        team["members"] = [m for m in team["members"] if m != user]


def _drop_role(world: Any, role: str) -> None:
    world["roles"] = [r for r in world["roles"] if r["id"] != role]
    for u in world["users"]:
        u["roles"] = [r for r in u["roles"] if r != role]
    for team in world.get("teams", []):
        team["roles"] = [r for r in team["roles"] if r != role]
