"""The mutant zoo against the suite (issue 5): under the ``ci`` profile every mutant is
killed, the failure names the mutant's rule and replays; the unmutated sample passes.

Marked ``meta``: CI runs these with the rest (``-m "not meta"`` leaves them out locally).
"""

from __future__ import annotations

import pytest

from conformance.engine.driver import replay
from conformance.engine.families import FAMILIES, FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.engine.strength import try_to_kill
from conformance.iut.resolve import IUTSpecError, load, resolve
from implementations.mutants import MUTANT_BY_NAME, MUTANTS
from implementations.sample.adapter import CAPABILITIES, factory
from models.rules import RULES

pytestmark = pytest.mark.meta

#: the seed of the meta-test; ``benchmarks/strength.py --seed`` measures others
SEED = 2026


def test_the_zoo_has_twenty_mutants_each_named_after_one_rule() -> None:
    assert len(MUTANTS) >= 20
    assert len(MUTANT_BY_NAME) == len(MUTANTS)
    for mutant in MUTANTS:
        assert mutant.rule in RULES, mutant.name
        assert mutant.family in FAMILY_BY_NAME, mutant.name
        assert mutant.classes, f"{mutant.name} changes nothing"


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_suite_kills_the_mutant_naming_its_rule(mutant) -> None:
    kill = try_to_kill(mutant.factory, CAPABILITIES, mutant.family, "ci", SEED)
    assert kill.killed, f"{mutant.name} survived the {mutant.family} family under ci"
    assert kill.names(mutant.rule), kill.failure
    assert kill.shrunk_steps <= 12, kill.failure  # shrunk (the ci profile runs 30 steps)


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_the_unmutated_sample_passes_every_family_under_ci(family) -> None:
    stats = run_family(family, factory, CAPABILITIES, "ci", SEED)
    assert stats.outcome == "passed" and stats.examples >= 150


def test_a_mutants_counterexample_replays_to_the_same_rule() -> None:
    mutant = MUTANT_BY_NAME["SYNC-3.edits-during-cycle-lost"]
    with pytest.raises(AssertionError) as caught:
        run_family(FAMILY_BY_NAME[mutant.family], mutant.factory, CAPABILITIES, "dev", SEED)
    mismatch = caught.value.mismatch  # type: ignore[attr-defined]
    again = replay(mismatch.world, mismatch.operations, mutant.factory)
    assert again is not None and again.rules[0] == mismatch.rules[0] == "SYNC-3"
    assert replay(mismatch.world, mismatch.operations, factory) is None  # the sample agrees


def test_a_mutant_is_an_iut_by_name_and_an_unknown_name_is_refused() -> None:
    _, capabilities = resolve("implementations.mutants:SYNC-8.restart-drops-batch")
    assert capabilities == CAPABILITIES
    with pytest.raises(IUTSpecError, match="the zoo has .*SYNC-8.restart-drops-batch"):
        load("implementations.mutants:no-such-mutant")
