"""Aimed generation (issue 18): creates that name ids that exist, and server-side events that
change what a device's user downloads, followed by that device's cycle."""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from typing import Any

import pytest

from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.engine.strategies import random_world
from conformance.iut.adapter import ALL_CAPABILITIES
from conformance.iut.model_adapter import ModelAdapter
from models.records import Operation, Result


class Recording(ModelAdapter):
    """The model, noting what the generated operations met."""

    seen: Counter[str] = Counter()

    def apply(self, op: Operation) -> Result:
        system, kind = self.system, op["kind"]
        if kind == "create" and op.get("row") in system.devices[op["device"]].visible():
            self.seen["create of an id the device shows"] += 1
        before = None
        if kind == "remove_role":
            before = {
                d: repr(system.server.download(dev.user)) for d, dev in system.devices.items()
            }
        result = super().apply(op)
        if kind == "sync_end" and result["status"] == "accepted":
            for error in system.devices[op["device"]].errors:
                if error["op"] == "create" and error["reason"] == "invalid":
                    self.seen["create of an id the server holds, rejected at sync"] += 1
        if before is not None:
            after = {d: repr(system.server.download(dev.user)) for d, dev in system.devices.items()}
            if before != after:
                self.seen["remove_role that changed a download"] += 1
        return result


@pytest.fixture
def seen() -> Any:
    Recording.seen = Counter()
    return Recording.seen


@pytest.mark.rule("WORLD-4", "DEVICE-1", "VALID-3")
def test_creates_sometimes_name_an_id_that_exists(seen: Counter[str]) -> None:
    run_family(FAMILY_BY_NAME["validation"], Recording, ALL_CAPABILITIES, "ci", 2026)
    assert seen["create of an id the device shows"] >= 5, seen
    assert seen["create of an id the server holds, rejected at sync"] >= 5, seen


@pytest.mark.rule("EVENT-1", "STALE-4")
def test_a_role_removal_is_mostly_aimed_at_a_role_a_device_user_holds(seen: Counter[str]) -> None:
    run_family(FAMILY_BY_NAME["staleness"], Recording, ALL_CAPABILITIES, "ci", 2026)
    # 57 at this seed; 28 with the events unaimed (benchmarks/aim.py counts every kind)
    assert seen["remove_role that changed a download"] >= 45, seen


@pytest.mark.rule("EVENT-1", "SEC-4", "SEC-10")
def test_shares_and_their_removals_are_searched_for_ones_a_device_then_shows(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stats = run_family(FAMILY_BY_NAME["security"], ModelAdapter, ALL_CAPABILITIES, "ci", 2026)
    # clause counts: the event changed a device user's download and that device synced
    reached = {k: stats.hits[f"EVENT-1.{k}"] for k in ("share", "unshare", "unshare_team")}
    assert min(reached.values()) >= 10, reached
    monkeypatch.setattr("conformance.engine.steps.SEARCHED", ())
    unsearched = run_family(FAMILY_BY_NAME["security"], ModelAdapter, ALL_CAPABILITIES, "ci", 2026)
    assert unsearched.hits["EVENT-1.unshare"] * 3 < reached["unshare"], unsearched.hits


@pytest.mark.rule("EVENT-1", "SEC-8")
def test_position_events_reach_a_device_in_worlds_of_positions() -> None:
    security = FAMILY_BY_NAME["security"]
    stats = run_family(security, ModelAdapter, ALL_CAPABILITIES, "ci", 2026)
    reached = {k: stats.hits[f"EVENT-1.{k}"] for k in ("set_position", "move_position")}
    # 65 and 32 at this seed; 10 and 12 before (issue 18's target is 20 over a `ci` run)
    assert min(reached.values()) >= 20, reached
    # drawn as often in worlds of managers, where they change nothing: far fewer
    flat = dataclasses.replace(security, hierarchy_weight=1)
    unweighted = run_family(flat, ModelAdapter, ALL_CAPABILITIES, "ci", 2026).hits
    assert unweighted["EVENT-1.set_position"] * 2 < reached["set_position"], unweighted


def test_hierarchy_events_of_the_worlds_model_are_drawn_more_often() -> None:
    from conformance.engine.steps import weighted_for
    from models.world import build_world

    kinds = ("create", "set_manager", "set_position", "move_position")
    spec = random_world(random.Random(0), narrow_odds=1)
    for model, own in (
        ("manager", {"set_manager"}),
        ("position", {"set_position", "move_position"}),
    ):
        spec["hierarchy"] |= {"enabled": True, "model": model}
        weighted = Counter(weighted_for(kinds, build_world(spec), 3))
        assert {k for k, n in weighted.items() if n == 3} == own, weighted
        assert sum(weighted.values()) == len(kinds) + 2 * len(own)
    spec["hierarchy"]["enabled"] = False
    assert weighted_for(kinds, build_world(spec), 3) == kinds


def test_every_position_change_makes_no_cycle() -> None:
    from conformance.engine.steps import every_position_change
    from models.security import steps_up

    parent: dict[str, str | None] = {"p0": None, "p1": "p0", "p2": "p1", "p3": "p0"}
    moves = [ops[0] for ops in every_position_change("move_position", parent, [])]
    assert {"kind": "move_position", "position": "p2", "parent": "p3"} in moves
    assert {"kind": "move_position", "position": "p1", "parent": None} in moves
    for move in moves:
        p, q = move["position"], move["parent"]
        assert q != parent[p] and (q is None or steps_up(parent, q, p) is None), move
    # 4 positions x (4 others or none), less staying put, itself, and under its own branch
    assert len(moves) == 4 * 5 - 4 - 4 - 4
    sets = every_position_change("set_position", parent, ["u0", "u1"])
    assert len(sets) == 2 * 5 and [{"kind": "set_position", "user": "u1", "position": None}] in sets


class AfterDepth(ModelAdapter):
    """The model, counting updates of a device right after a depth change took Read away."""

    seen: Counter[str] = Counter()

    def setup(self, world: Any) -> None:
        super().setup(world)
        self.took_read = False

    def apply(self, op: Operation) -> Result:
        if op["kind"] == "update" and self.took_read:
            self.seen["update right after Read was taken"] += 1
        self.took_read = op["kind"] == "set_depth" and op.get("privilege") == "read"
        return super().apply(op)


@pytest.mark.rule("SEC-12", "STALE-1")
def test_a_depth_change_taking_read_is_often_followed_by_an_edit_with_the_old_snapshot() -> None:
    AfterDepth.seen = Counter()
    run_family(FAMILY_BY_NAME["validation"], AfterDepth, ALL_CAPABILITIES, "ci", 2026)
    assert AfterDepth.seen["update right after Read was taken"] >= 5, AfterDepth.seen


def test_a_narrow_world_grants_nothing_beyond_user_depth() -> None:
    narrow = [random_world(random.Random(i), narrow_odds=1) for i in range(20)]
    depths = {
        depth for w in narrow for role in w["roles"] for privs in role["privileges"].values()
        for depth in privs.values()
    }  # fmt: skip
    assert depths <= {"none", "user"} and "user" in depths
    # nor does its profile show only the user's own rows: shares, teams and the hierarchy show
    assert all("mine" not in w["profile"].values() for w in narrow)
    wide = [random_world(random.Random(i)) for i in range(20)]
    assert any(
        depth not in ("none", "user")
        for w in wide for role in w["roles"] for privs in role["privileges"].values()
        for depth in privs.values()
    )  # fmt: skip
