"""Hypothesis settings profiles of the suite: ``dev`` (fast), ``ci`` (default), ``deep``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck, settings
from hypothesis.internal.conjecture import engine as _engine

#: profile -> (examples per family, maximum steps per example, seconds of shrinking at most)
PROFILES: dict[str, tuple[int, int, int]] = {
    "dev": (25, 20, 10),
    "ci": (150, 30, 20),
    "deep": (3000, 60, 300),
}
DEFAULT_PROFILE = "ci"


def settings_for(profile: str) -> settings:
    """The Hypothesis settings of a profile. No example database: a run depends on its seed
    alone, so every failure can be replayed from the seed it prints."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    examples, steps, _ = PROFILES[profile]
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        report_multiple_bugs=False,
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


@contextmanager
def shrink_budget(profile: str) -> Iterator[None]:
    """Bound the time Hypothesis spends shrinking one failure (its own bound is 300 s, far too
    long for a suite that runs on every change). This sets a private constant of Hypothesis's
    engine; ``tests/engine/test_profiles.py`` tells when that constant is gone."""
    seconds = PROFILES[profile][2]
    saved = getattr(_engine, "MAX_SHRINKING_SECONDS", None)
    if saved is None:
        yield
        return
    _engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        _engine.MAX_SHRINKING_SECONDS = saved
