"""The settings profiles, and the one private Hypothesis constant the engine relies on."""

from __future__ import annotations

import gc
import inspect
import time

import pytest
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
    with no_local_constants():
        assert len(providers._get_local_constants()) == 0
    assert providers._get_local_constants is not None


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
