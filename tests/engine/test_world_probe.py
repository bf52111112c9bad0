"""WORLD-1's refusal (issue 18, a gap cosmic-ray found): one world in ``PROBE_ODDS`` is first
given to the implementation broken, and it must refuse it, naming the offending entry."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.engine.compare import ConformanceFailure
from conformance.engine.driver import BREAKS, Driver, ill_formed, replay
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.iut.adapter import Adapter
from conformance.reporting.stats import FamilyStats
from implementations.sample.adapter import CAPABILITIES, SampleAdapter, factory
from models.examples import sample_world
from models.records import WorldSpec


class AcceptsAnything(SampleAdapter):
    """The sample, but a world it would refuse is taken as the empty one."""

    def setup(self, world: WorldSpec) -> None:
        try:
            super().setup(world)
        except Exception:
            super().setup(sample_world())


class RefusesVaguely(SampleAdapter):
    """The sample, but its refusals say only that the world is invalid."""

    def setup(self, world: WorldSpec) -> None:
        try:
            super().setup(world)
        except Exception:
            raise ValueError("invalid world") from None


def broken_world(how: str) -> WorldSpec:
    """The sample world broken the way ``ill_formed`` breaks one."""
    for i in range(200):  # worlds differ in a row's value: their checksums pick the break
        world: Any = sample_world()
        world["rows"][0]["values"]["revenue"] = i
        probe = ill_formed(world)
        if probe is not None and how in probe[1].replace("manager cycle", "cycle"):
            return probe[0]
    raise AssertionError(f"no world broken by {how}")


def start(adapter: type[Adapter], world: WorldSpec) -> Driver:
    driver = Driver("test", adapter, FamilyStats("test"))
    try:
        driver.start(world, refusable=True)
    finally:
        driver.close()
    return driver


@pytest.mark.rule("WORLD-1")
def test_some_worlds_are_probed_with_each_break_and_the_rest_are_not() -> None:
    kinds = []
    for i in range(120):
        world: Any = sample_world()
        world["rows"][0]["values"]["revenue"] = i
        probe = ill_formed(world)
        if probe is not None:
            kinds.append(probe[1])
    assert 10 <= len(kinds) <= 40  # about one in PROBE_ODDS
    assert all(any(w in why for w in ("twice", "unknown", "cycle")) for why in kinds)
    assert len(BREAKS) == 3


@pytest.mark.rule("WORLD-1")
@pytest.mark.parametrize("how", ["defined twice", "unknown user", "cycle"])
def test_an_ill_formed_world_must_be_refused_naming_the_entry(how: str) -> None:
    broken = broken_world(how)
    stats = start(SampleAdapter, broken).stats  # the sample refuses it, naming it
    assert stats.hits["WORLD-1"] == 1 and sum(stats.hits.values()) == 2
    with pytest.raises(ConformanceFailure) as accepted:
        start(AcceptsAnything, broken)
    mismatch = accepted.value.mismatch
    assert mismatch.rules == ["WORLD-1"] and mismatch.actual == "accepted"
    assert mismatch.world == broken and mismatch.operations == []
    with pytest.raises(ConformanceFailure) as vague:
        start(RefusesVaguely, broken)
    assert str(vague.value.mismatch.actual).startswith("refused without naming")


@pytest.mark.rule("WORLD-1")
def test_a_family_finds_an_implementation_that_accepts_ill_formed_worlds_and_it_replays() -> None:
    family = FAMILY_BY_NAME["outbox"]
    run_family(family, factory, CAPABILITIES, "dev", 1)  # the sample passes
    with pytest.raises(ConformanceFailure) as caught:
        run_family(family, AcceptsAnything, CAPABILITIES, "dev", 1)
    mismatch = caught.value.mismatch
    assert mismatch.rules[0] == "WORLD-1" and mismatch.failing_step == -1
    assert "refused" in mismatch.describe()
    again = replay(mismatch.world, mismatch.operations, AcceptsAnything)
    assert again is not None and again.rules == ["WORLD-1"]
    assert replay(mismatch.world, mismatch.operations, factory) is None
