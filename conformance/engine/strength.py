"""How strong the suite is against a known-broken implementation: run one family until it
fails and describe the kill (used by the mutant meta-test and ``benchmarks/strength.py``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from conformance.engine.compare import ConformanceFailure
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.engine.reduce import all_values_simple
from conformance.iut.adapter import AdapterFactory
from conformance.reporting.stats import FamilyStats


@dataclass
class Kill:
    """The outcome of running one family against one broken implementation."""

    family: str
    killed: bool
    #: rules the failure named, the most specific first (empty when not killed)
    rules: list[str] = field(default_factory=list)
    #: examples run and seconds spent up to the first failure (before shrinking)
    examples_to_kill: int = 0
    seconds_to_kill: float = 0.0
    #: operations in the shrunk counterexample
    shrunk_steps: int = 0
    #: the whole run, shrinking included
    seconds: float = 0.0
    failure: str = ""
    #: [operations, world entries] along the shrinking (see ``Mismatch.sizes``)
    sizes: dict[str, list[int]] = field(default_factory=dict)
    #: whether every value of the counterexample is its column's simplest
    simple_values: bool = False
    #: lines of the counterexample as told to people (at most 100 columns each)
    text_lines: int = 0

    def names(self, rule: str) -> bool:
        return rule in self.rules

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def try_to_kill(
    factory: AdapterFactory,
    capabilities: frozenset[str],
    family: str,
    profile: str,
    seed: int,
    shrink: bool = True,
    timeout: float | None = None,
) -> Kill:
    """Run ``family`` against the implementation; a conformance failure is a kill (``shrink``
    false: the first failure as found; ``timeout``: seconds a call may take; see
    ``run_family``)."""
    stats = FamilyStats(family)
    try:
        run_family(
            FAMILY_BY_NAME[family],
            factory,
            capabilities,
            profile,
            seed,
            stats,
            timeout=timeout,
            shrink=shrink,
        )
    except ConformanceFailure as failure:
        mismatch = failure.mismatch
        examples, seconds = stats.first_failure or (stats.examples, stats.seconds)
        return Kill(
            family,
            True,
            list(mismatch.rules),
            examples,
            seconds,
            len(mismatch.operations),
            round(stats.seconds, 3),
            str(failure),
            dict(mismatch.sizes),
            all_values_simple(mismatch.world, mismatch.operations),
            len(mismatch.describe("offsync replay REPORT RULE --iut IUT").splitlines()),
        )
    return Kill(family, False, seconds=round(stats.seconds, 3))
