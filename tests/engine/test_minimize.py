"""The second shrinking pass (conformance.engine.minimize): simpler worlds with teams, team
shares, positions and Append privileges stay well formed, and a failure sheds what it does not
need."""

from __future__ import annotations

import copy
import random
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from conformance.engine import minimize
from conformance.engine.driver import replay
from conformance.engine.strategies import random_world
from conformance.iut.schemas import problem
from implementations.mutants import MUTANT_BY_NAME
from models import ModelSystem
from models.records import WorldSpec


def _rich_world(seed: int) -> WorldSpec:
    """A generated world with teams, team shares, positions and Append privileges."""
    for attempt in range(seed, seed + 1000):
        world = random_world(random.Random(attempt))
        if (
            world["teams"]
            and world["team_shares"]
            and world.get("append_privileges")
            and world["hierarchy"].get("model") == "position"
            and any(t["members"] and t["roles"] for t in world["teams"])
        ):
            return world
    raise AssertionError("no rich world found")


@pytest.mark.parametrize("seed", range(5))
def test_dropping_a_team_member_role_share_or_position_keeps_the_world_well_formed(
    seed: int,
) -> None:
    world = _rich_world(seed * 1000)
    changes: list[Callable[[Any], None]] = [minimize._manager_model, minimize._no_append_privileges]
    for team in world["teams"]:
        changes.append(partial(minimize._drop_team, team=team["id"]))
        changes += [
            partial(minimize._leave_team, team=team["id"], member=m) for m in team["members"]
        ]
        changes += [
            partial(minimize._drop_team_role, team=team["id"], role=r) for r in team["roles"]
        ]
    changes += [partial(minimize._drop_position, position=p["id"]) for p in world["positions"]]
    changes += [partial(minimize._drop_row, row=r["id"]) for r in world["rows"]]
    for change in changes:
        smaller: Any = copy.deepcopy(world)
        change(smaller)
        assert smaller != world, change
        ModelSystem(smaller)  # WORLD-1 holds
        assert problem("world", smaller) is None
    candidates = [w for w, _ in minimize._smaller_worlds(world, [])]
    assert sum(w.get("teams") != world["teams"] for w in candidates) >= len(world["teams"])


def test_a_failure_in_a_world_with_teams_sheds_the_teams_it_does_not_need() -> None:
    """SEC-12's mutant fails without teams or positions: the minimal world has none left."""
    mutant = MUTANT_BY_NAME["SEC-12.write-needs-read"]
    world = _rich_world(0)
    world["roles"][0]["privileges"]["task"] = {"create": "user", "write": "user", "read": "none"}
    for user in world["users"]:
        user["roles"] = [world["roles"][0]["id"]]
    world["app_modules"][0]["offline_enabled"] = True
    world["app_modules"][0]["tables"] = sorted({*world["app_modules"][0]["tables"], "task"})
    world["profile"]["task"] = "all"
    device = world["devices"][0]["id"]
    ops = [
        {"kind": "create", "device": device, "table": "task", "row": "n1",
         "values": {"subject": "x", "done": False}, "op_id": "op1"},
        {"kind": "update", "device": device, "table": "task", "row": "n1",
         "values": {"done": True}, "op_id": "op2"},
        {"kind": "sync_start", "device": device},
    ]  # fmt: skip
    found = replay(world, ops, mutant.factory)  # type: ignore[arg-type]
    assert found is not None and found.rules[0] == "SEC-12"
    smaller = minimize.minimize(found, mutant.factory)
    assert smaller.rules[0] == "SEC-12"
    assert smaller.world.get("teams", []) == [] and smaller.world.get("team_shares", []) == []
    assert smaller.world["hierarchy"].get("model") != "position" or not smaller.world["positions"]
