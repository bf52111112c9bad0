"""The settings profiles, and the one private Hypothesis constant the engine relies on."""

from __future__ import annotations

import gc
import inspect
import time

import pytest
from hypothesis import given, settings
from hypothesis.internal.conjecture import engine

from conformance.engine.profiles import (
    PROFILES,
    frozen_heap,
    no_local_constants,
    settings_for,
    shrink_budget,
)


def test_the_private_names_shrink_budget_replaces_still_exist_in_hypothesis() -> None:
    # If this fails, Hypothesis renamed its shrinking time limit or stopped reading the clock
    # through its engine module's ``time``: shrink_budget() then silently stops bounding
    # shrinking, and runs may shrink for minutes and depend on the machine's speed.
    assert isinstance(engine.MAX_SHRINKING_SECONDS, int)
    assert engine.time is time
    source = inspect.getsource(engine)
    assert "finish_shrinking_deadline < time.perf_counter()" in source


def test_the_private_name_no_local_constants_replaces_still_exists() -> None:
    # If this fails, Hypothesis renamed how it collects constants from local modules: the
    # same seed may then generate different examples serially and under pytest-xdist.
    from hypothesis.internal.conjecture import providers

    assert callable(providers._get_local_constants)
    cache = providers.CONSTANTS_CACHE
    assert isinstance(cache.max_size, int) and isinstance(cache.cache, dict)
    with no_local_constants():
        assert len(providers._get_local_constants()) == 0
        assert providers.CONSTANTS_CACHE.cache == {} and providers.CONSTANTS_CACHE is not cache
    assert providers._get_local_constants is not None
    assert providers.CONSTANTS_CACHE is cache


def test_a_run_generates_the_same_after_other_hypothesis_tests_filled_the_constants_cache() -> None:
    """Hypothesis keeps the constants of each kind of draw, local ones included, in a cache
    that an ordinary ``@given`` test fills: a seeded run must not see them (a mutant of the
    zoo survived the meta-test only after tests/models/test_properties.py had run)."""
    from hypothesis.internal.conjecture import providers

    from conformance.engine.families import FAMILY_BY_NAME
    from conformance.engine.machine import STEP_SEEDS, run_family
    from conformance.engine.strategies import _SEEDS
    from conformance.iut.adapter import ALL_CAPABILITIES
    from conformance.iut.model_adapter import ModelAdapter

    def run() -> tuple[int, int, dict[str, int]]:
        stats = run_family(FAMILY_BY_NAME["outbox"], ModelAdapter, ALL_CAPABILITIES, "dev", 12)
        return stats.examples, stats.steps, dict(stats.hits)

    saved = providers.CONSTANTS_CACHE
    try:
        providers.CONSTANTS_CACHE = type(saved)(saved.max_size)
        clean = run()

        @settings(max_examples=300, database=None)
        @given(STEP_SEEDS, _SEEDS)
        def fill(step: int, world: int) -> None:  # draws these integers with local constants
            pass

        fill()
        keys = list(providers.CONSTANTS_CACHE.cache)
        assert any(providers.CONSTANTS_CACHE[key][1] for key in keys)  # local constants
        assert run() == clean
    finally:
        providers.CONSTANTS_CACHE = saved


def test_shrink_budget_counts_attempts_and_restores_the_engine() -> None:
    before = engine.MAX_SHRINKING_SECONDS
    with shrink_budget("dev"):
        assert engine.MAX_SHRINKING_SECONDS == PROFILES["dev"][2]
        first, second = engine.time.perf_counter(), engine.time.perf_counter()
        assert (first, second) == (1.0, 2.0)
    assert engine.MAX_SHRINKING_SECONDS == before and engine.time is time


def test_profiles_grow_from_dev_to_deep() -> None:
    dev, ci, deep = (settings_for(p) for p in ("dev", "ci", "deep"))
    assert dev.max_examples < ci.max_examples < deep.max_examples
    assert ci.database is None and ci.deadline is None


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        settings_for("fast")


def test_frozen_heap_keeps_the_collector_off_older_objects_and_then_gives_them_back() -> None:
    assert gc.get_freeze_count() == 0
    with frozen_heap():
        assert gc.get_freeze_count() > 1000  # the process's objects, not collected meanwhile
    assert gc.get_freeze_count() == 0  # and the collector's again
    with pytest.raises(RuntimeError), frozen_heap():
        raise RuntimeError("a failing family")
    assert gc.get_freeze_count() == 0
