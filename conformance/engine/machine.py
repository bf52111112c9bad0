"""The stateful properties: one Hypothesis state machine per rule family, driving an
implementation under test and the reference model side by side (``driver``) with operations
drawn from the model's state (``steps``); ``run_family`` runs one family and shrinks a failure
(``minimize``)."""

from __future__ import annotations

import random
import time

from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.engine.compare import ConformanceFailure
from conformance.engine.driver import Driver
from conformance.engine.families import Family
from conformance.engine.minimize import minimize
from conformance.engine.profiles import frozen_heap, no_local_constants, settings_for, shrink_budget
from conformance.engine.steps import Steps
from conformance.engine.strategies import worlds
from conformance.iut.adapter import AdapterFactory
from conformance.reporting.progress import Progress
from conformance.reporting.stats import FamilyStats
from models.records import WorldSpec
from models.rules import kinds_within

#: A step is one Hypothesis choice: the seed of a ``random.Random`` that draws the step's
#: kind, device, target and values from the model's current state. Choice by choice, a step
#: cost Hypothesis three to six choices, each with its bookkeeping (spans, the data tree, the
#: mutator's groups), which was most of the engine's overhead over a bare state machine.
#: A counterexample is made small by ``conformance.engine.minimize``, which replays the concrete
#: program without each operation and world entry that the failure does not need.
STEP_SEEDS = st.integers(0, 2**32 - 1)


def machine_for(
    family: Family,
    factory: AdapterFactory,
    capabilities: frozenset[str],
    stats: FamilyStats,
    progress: Progress | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class for one family against one implementation (``progress``, if
    given, hears of every example as it starts)."""
    world_strategy = worlds(
        capabilities=capabilities,
        min_devices=family.min_devices,
        device_tables_required=family.device_tables_required,
        depth_odds=family.depth_odds,
    )
    kinds = kinds_within(family.kinds, capabilities)  # restarts, team and position events

    class ConformanceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.driver = Driver(family.name, factory, stats)
            self.steps = Steps(self.driver, kinds)

        @initialize(world=world_strategy)
        def setup(self, world: WorldSpec) -> None:
            if progress is not None:
                progress.tick(stats)
            self.driver.start(world)

        @rule(seed=STEP_SEEDS)
        def step(self, seed: int) -> None:
            stats.rule_steps += 1
            # salted with the step's position: Hypothesis often repeats a value (0 above
            # all) over a whole example, which would repeat one operation
            salted = random.Random(len(self.driver.ops) << 32 | seed)
            for op in self.steps.draw_operations(salted):
                self.driver.step(op)

        def teardown(self) -> None:
            self.driver.close()

    ConformanceMachine.__name__ = f"{family.name.capitalize()}Machine"
    return ConformanceMachine


def part_label(family: str, part: tuple[int, int] | None) -> str:
    """How a family's run, or part (i, n) of it, is named: ``broad``, ``broad-1of2``."""
    return family if part is None else f"{family}-{part[0] + 1}of{part[1]}"


def run_family(
    family: Family,
    factory: AdapterFactory,
    capabilities: frozenset[str],
    profile: str,
    seed: int | None = None,
    stats: FamilyStats | None = None,
    part: tuple[int, int] | None = None,
    progress: Progress | None = None,
) -> FamilyStats:
    """Run one family's property; return its stats. A conformance failure is recorded in
    the stats (``outcome`` failed, ``mismatch`` the minimal program) and raised. The same
    seed generates the same examples. ``part`` (i, n) runs the i-th of n parts of the
    profile's examples, each with a seed of its own (so that workers can share a family).
    ``progress`` writes a line now and then while the family runs."""
    stats = stats or FamilyStats(family.name)
    machine = machine_for(family, factory, capabilities, stats, progress)
    if seed is not None:
        machine = hypothesis_seed(seed if part is None else seed * 1000 + part[0])(machine)
    started = stats.started = time.perf_counter()
    try:
        with shrink_budget(profile), no_local_constants(), frozen_heap():
            parts = part[1] if part is not None else 1
            shape = settings_for(profile, parts, family.worlds_scale)
            if progress is not None:
                progress.begin(part_label(family.name, part), shape.max_examples)
            run_state_machine_as_test(machine, settings=shape)
    except ConformanceFailure as failure:
        failure.mismatch.seed = seed
        failure.mismatch = minimize(failure.mismatch, factory)
        failure.args = (failure.mismatch.describe(),)
        stats.outcome, stats.mismatch = "failed", failure.mismatch
        stats.message = str(failure).splitlines()[0]
        if seed is not None:
            failure.add_note(f"reproduce the whole run with: --offsync-seed {seed}")
        raise
    except Exception as exc:
        stats.outcome, stats.message = "error", f"{type(exc).__name__}: {exc}"
        raise
    finally:
        stats.seconds += time.perf_counter() - started
    return stats
