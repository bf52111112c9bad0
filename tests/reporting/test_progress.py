"""Progress lines from inside a running family."""

from __future__ import annotations

import pytest

from conformance.reporting.progress import Progress
from conformance.reporting.stats import FamilyStats


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_line_only_once_the_interval_has_passed_since_the_last() -> None:
    clock, lines = FakeClock(), []
    progress = Progress(lines.append, 30, clock)
    stats = FamilyStats("broad", started=100.0)
    progress.begin("broad-1of2", 1500)
    for now, examples in ((110, 5), (129.9, 9), (130, 10), (140, 12), (161, 20)):
        clock.now, stats.examples, stats.steps = now, examples, examples * 30
        progress.tick(stats)
    assert lines == [
        "family broad-1of2: 10 examples (about 1500 planned), 300 steps, 30 s",
        "family broad-1of2: 20 examples (about 1500 planned), 600 steps, 61 s",
    ]
    progress.begin("conflicts", 10)  # the next family starts its own interval
    clock.now = 170
    progress.tick(stats)
    assert len(lines) == 2


@pytest.mark.parametrize("every", [0, -1])
def test_an_interval_must_be_positive(every: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        Progress(print, every)
