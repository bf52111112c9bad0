"""Hypothesis settings profiles of the suite: ``dev`` (fast), ``ci`` (default), ``deep``."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from hypothesis import HealthCheck, Phase, reporting, settings
from hypothesis.internal.conjecture import engine as _engine
from hypothesis.internal.conjecture import providers as _providers
from hypothesis.internal.constants_ast import Constants

#: profile -> (examples per family, maximum steps per example, test cases tried at most while
#: shrinking one failure)
PROFILES: dict[str, tuple[int, int, int]] = {
    "dev": (25, 20, 20),
    "ci": (150, 30, 50),
    "deep": (3000, 60, 1000),
}
DEFAULT_PROFILE = "ci"
#: the phases of a run that stops at its first failure as found
_NO_SHRINK = (Phase.explicit, Phase.reuse, Phase.generate)


def settings_for(
    profile: str, parts: int = 1, worlds_scale: int = 1, shrink: bool = True
) -> settings:
    """The Hypothesis settings of a profile (for one of ``parts`` equal parts of a family's
    examples; ``worlds_scale`` times as many examples, each that many times shorter; without
    the shrink phase when ``shrink`` is false). No example database: a run depends on its
    seed alone, so every failure can be replayed from the seed it prints."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {sorted(PROFILES)}")
    examples, steps, _ = PROFILES[profile]
    examples = -(-examples * worlds_scale // parts)
    steps = max(1, steps // worlds_scale)
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        derandomize=False,  # the run's seed decides, even where CI loads Hypothesis's "ci"
        report_multiple_bugs=False,
        print_blob=True,
        phases=tuple(Phase) if shrink else _NO_SHRINK,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.filter_too_much,
            HealthCheck.data_too_large,
        ],
    )


class _CallClock:
    """Stands in for the ``time`` module inside Hypothesis's engine while a family runs: its
    ``perf_counter`` counts calls (one per test case tried while shrinking) instead of
    seconds, so the shrinking budget is a number of attempts and a run depends on its seed
    alone, not on the speed of the machine."""

    def __init__(self) -> None:
        self.calls = 0

    def perf_counter(self) -> float:
        self.calls += 1
        return float(self.calls)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


_SHRINK_WARNING = "WARNING: Hypothesis has spent more than five minutes"


@contextmanager
def shrink_budget(profile: str) -> Iterator[None]:
    """Bound shrinking to the profile's number of attempts (Hypothesis's own bound is five
    minutes of wall time: too long for a suite run on every change, and machine-dependent).
    This replaces two private names of Hypothesis's engine (``time`` and
    ``MAX_SHRINKING_SECONDS``); ``tests/engine/test_profiles.py`` tells when they are gone."""
    attempts = PROFILES[profile][2]
    saved_time = getattr(_engine, "time", None)
    saved_limit = getattr(_engine, "MAX_SHRINKING_SECONDS", None)
    if saved_time is None or saved_limit is None:
        yield
        return
    setattr(_engine, "time", _CallClock())  # noqa: B010 (a private name of the engine)
    _engine.MAX_SHRINKING_SECONDS = attempts
    outer = reporting.current_reporter()

    def quieter(message: object) -> None:  # its "five minutes" is wrong under this budget
        if not str(message).startswith(_SHRINK_WARNING):
            outer(message)

    try:
        with reporting.with_reporter(quieter):
            yield
    finally:
        setattr(_engine, "time", saved_time)  # noqa: B010
        _engine.MAX_SHRINKING_SECONDS = saved_limit


@contextmanager
def no_local_constants() -> Iterator[None]:
    """Keep generation independent of which modules happen to be imported.

    Hypothesis mixes into its draws literal constants found in the source of the "local"
    modules loaded at that moment; a serial run and a pytest-xdist worker load different
    modules, so the same seed would generate different examples. The suite's values come from
    the column schemas, so these constants add nothing: this replaces Hypothesis's private
    ``_get_local_constants`` with one that finds none, and its ``CONSTANTS_CACHE`` (the
    constants of each kind of draw, local ones included, kept from the first draw that needed
    them: an ordinary ``@given`` test run earlier in the process fills it) with an empty one
    for the run (``tests/engine/test_profiles.py`` tells when those names are gone).
    """
    saved = getattr(_providers, "_get_local_constants", None)
    saved_cache = getattr(_providers, "CONSTANTS_CACHE", None)
    if saved is None or saved_cache is None:
        yield
        return
    empty = Constants()
    setattr(_providers, "_get_local_constants", lambda: empty)  # noqa: B010
    fresh = type(saved_cache)(saved_cache.max_size)
    setattr(_providers, "CONSTANTS_CACHE", fresh)  # noqa: B010
    try:
        yield
    finally:
        setattr(_providers, "_get_local_constants", saved)  # noqa: B010
        setattr(_providers, "CONSTANTS_CACHE", saved_cache)  # noqa: B010


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Keep the garbage collector off what existed before a family's run.

    The engine allocates many small objects per step, so the collector runs often, and its
    full collections walked every object of the process: Hypothesis, the value pools, the
    implementation's modules. Freezing what exists (``gc.freeze``) leaves it only the
    objects of the run itself; the engine against the model took about 15% less time
    (``benchmarks/throughput.py``). Everything is unfrozen afterwards, garbage included, so
    nothing is kept longer than until the collector's next full pass.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
