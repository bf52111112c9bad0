"""Progress lines from inside a running family, for long runs (the ``deep`` profile).

A family reports only when it finishes; one under ``deep`` can take many minutes. While it
runs, ``Progress`` writes a line every ``every_s`` seconds of wall-clock time: the family (and
its part), examples so far against the examples planned, steps, seconds. It only reads the
clock and the stats: what is generated never depends on it.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from conformance.reporting.stats import FamilyStats


class Progress:
    def __init__(
        self,
        write: Callable[[str], None],
        every_s: float,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        if every_s <= 0:
            raise ValueError(f"progress interval must be positive, not {every_s}")
        self.write, self.every_s, self.clock = write, every_s, clock
        self.label, self.planned, self.last = "", 0, 0.0

    def begin(self, label: str, planned: int) -> None:
        """A family (or one part of it) starts, planning ``planned`` examples."""
        self.label, self.planned, self.last = label, planned, self.clock()

    def tick(self, stats: FamilyStats) -> None:
        """Called as each example starts; writes a line when ``every_s`` has passed."""
        now = self.clock()
        if now - self.last < self.every_s:
            return
        self.last = now
        self.write(
            f"family {self.label}: {stats.examples} examples (about {self.planned} planned), "
            f"{stats.steps} steps, {now - stats.started:.0f} s"
        )
