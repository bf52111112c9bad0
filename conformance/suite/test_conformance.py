"""One stateful property per rule family, against the IUT chosen with ``--iut``."""

from __future__ import annotations

import json

import pytest

from conformance.engine.compare import ConformanceFailure
from conformance.engine.families import FAMILIES, Family
from conformance.engine.machine import IUTError, part_label, run_family
from conformance.plugin import STATS_PROPERTY, OffsyncRun
from conformance.reporting.stats import FamilyStats, RunError

#: each family runs as this many test items, each with its share of the examples, so that
#: pytest-xdist workers finish together (the report adds the parts up)
PARTS = 2
CASES = [(f, i) for f in FAMILIES for i in range(PARTS)]


@pytest.mark.parametrize(
    ("family", "part"), CASES, ids=[part_label(f.name, (i, PARTS)) for f, i in CASES]
)
def test_family(family: Family, part: int, offsync: OffsyncRun, record_property) -> None:  # type: ignore[no-untyped-def]
    stats = FamilyStats(family.name)
    try:
        if offsync.iut is None or offsync.capabilities is None:
            why = offsync.start_error or "the IUT could not start"
            stats.outcome, stats.message, stats.error = "error", why, RunError(why, "hello")
            pytest.fail(why, pytrace=False)
        try:
            run_family(
                family,
                offsync.iut.factory,
                offsync.capabilities,
                offsync.profile,
                offsync.seed,
                stats,
                part=(part, PARTS),
                progress=offsync.progress,
                timeout=offsync.timeout,
                quiet=not offsync.verbose,
            )
        except ConformanceFailure as failure:
            if offsync.verbose:  # for debugging the suite itself: everything
                raise
            # the counterexample, told for people; the seed and ``offsync replay`` replace
            # the engine's traceback and Hypothesis's reproduction
            told = failure.mismatch.describe()
            pytest.fail(f"{told}\nreproduce the run: --offsync-seed {offsync.seed}", pytrace=False)
        except Exception as exc:
            received = offsync.signal()
            if received is not None:
                # the interruption surfaced as something else (CPython 3.11 turns a
                # KeyboardInterrupt inside ``ast`` into a SystemError, say): it is one
                stats.outcome, stats.message = "interrupted", f"interrupted by {received}"
                raise KeyboardInterrupt(stats.message) from exc
            if isinstance(exc, IUTError):  # the cause is in the stats: no engine traceback
                pytest.fail(str(exc), pytrace=False)
            raise
    finally:
        record_property(STATS_PROPERTY, json.dumps(stats.to_json()))
