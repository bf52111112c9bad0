"""Hypothesis settings profiles of the suite: ``dev`` (fast), ``ci`` (default), ``deep``."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

#: profile -> (examples per family, maximum steps per example)
PROFILES: dict[str, tuple[int, int]] = {
    "dev": (25, 20),
    "ci": (150, 30),
    "deep": (3000, 60),
}
DEFAULT_PROFILE = "ci"


def settings_for(profile: str) -> settings:
    """The Hypothesis settings of a profile. No example database: a run depends on its seed
    alone, so every failure can be replayed from the seed it prints."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    examples, steps = PROFILES[profile]
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
