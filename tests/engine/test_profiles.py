"""The settings profiles, and the one private Hypothesis constant the engine relies on."""

from __future__ import annotations

import pytest
from hypothesis.internal.conjecture import engine

from conformance.profiles import PROFILES, settings_for, shrink_budget


def test_shrink_budget_constant_still_exists_in_hypothesis() -> None:
    # If this fails, Hypothesis renamed its shrinking time limit: shrink_budget() silently
    # stops bounding shrinking, and a failing run may shrink for up to five minutes.
    assert isinstance(engine.MAX_SHRINKING_SECONDS, int)


def test_shrink_budget_sets_and_restores_the_limit() -> None:
    before = engine.MAX_SHRINKING_SECONDS
    with shrink_budget("dev"):
        assert engine.MAX_SHRINKING_SECONDS == PROFILES["dev"][2]
    assert engine.MAX_SHRINKING_SECONDS == before


def test_profiles_grow_from_dev_to_deep() -> None:
    dev, ci, deep = (settings_for(p) for p in ("dev", "ci", "deep"))
    assert dev.max_examples < ci.max_examples < deep.max_examples
    assert ci.database is None and ci.deadline is None


def test_unknown_profile_is_named() -> None:
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        settings_for("fast")
