"""A second shrinking pass over a failure Hypothesis has already shrunk.

Hypothesis shrinks the choices that generated a program; when a step's choices pick from
lists that depend on the state (the rows a device shows, say), deleting an earlier step
changes what later choices mean, and shrinking stalls. Here the program is concrete (each
operation names its rows), so deleting an operation leaves the others meaning the same:
this pass deletes operations, then world entries (devices, views, shares, rows), replaying
the program each time and keeping a deletion when the implementation still fails on the
same rule. Deterministic, and bounded by a number of replays.
"""

from __future__ import annotations

import copy

from conformance.adapter import AdapterFactory
from conformance.compare import Mismatch
from conformance.machine import replay
from models.records import Operation, WorldSpec

#: replays tried at most for one failure
MAX_REPLAYS = 400


class _Budget:
    def __init__(self, replays: int) -> None:
        self.left = replays


def minimize(mismatch: Mismatch, factory: AdapterFactory, replays: int = MAX_REPLAYS) -> Mismatch:
    """A smaller program failing on the same first rule (``mismatch`` itself if none)."""
    budget = _Budget(replays)
    best = mismatch
    rule = mismatch.rules[0]

    def attempt(world: WorldSpec, ops: list[Operation]) -> Mismatch | None:
        if budget.left <= 0:
            return None
        budget.left -= 1
        try:
            found = replay(world, ops, factory, mismatch.family)
        except Exception:  # an adapter error is not the same failure
            return None
        return found if found is not None and found.rules[0] == rule else None

    improved = True
    while improved and budget.left > 0:
        improved = False
        # the failing step's successors never matter
        ops = best.operations[: best.failing_step + 1]
        for candidate in _without_each(ops):
            found = attempt(best.world, candidate)
            if found is not None:
                best, improved = found, True
                break
        if improved:
            continue
        for world, ops in _smaller_worlds(best.world, best.operations[: best.failing_step + 1]):
            found = attempt(world, ops)
            if found is not None:
                best, improved = found, True
                break
    best.seed = mismatch.seed
    return best


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
    """The world without one device (and its operations), view, share or row (and its
    shares)."""
    found: list[tuple[WorldSpec, list[Operation]]] = []
    if len(world["devices"]) > 1:
        for device in world["devices"]:
            smaller = copy.deepcopy(world)
            smaller["devices"] = [d for d in world["devices"] if d != device]
            found.append((smaller, [op for op in ops if op.get("device") != device["id"]]))
    for view in world["views"]:
        smaller = copy.deepcopy(world)
        smaller["views"] = [v for v in world["views"] if v != view]
        found.append((smaller, ops))
    for share in world["shares"]:
        smaller = copy.deepcopy(world)
        smaller["shares"] = [s for s in world["shares"] if s != share]
        found.append((smaller, ops))
    for row in world["rows"]:
        smaller = copy.deepcopy(world)
        smaller["rows"] = [r for r in world["rows"] if r != row]
        smaller["shares"] = [s for s in world["shares"] if s["row"] != row["id"]]
        found.append((smaller, ops))
    return found
