"""The stateful properties: one Hypothesis state machine per rule family, driving an
implementation under test and the reference model side by side (``driver``) with operations
drawn from the model's state (``steps``); ``run_family`` runs one family and shrinks a failure
(``minimize``)."""

from __future__ import annotations

import random
import time
from contextlib import nullcontext

from hypothesis import reporting
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.engine.compare import ConformanceFailure
from conformance.engine.driver import Driver, IUTBroke
from conformance.engine.families import Family, kinds_for
from conformance.engine.minimize import minimize
from conformance.engine.profiles import frozen_heap, no_local_constants, settings_for, shrink_budget
from conformance.engine.steps import Steps
from conformance.engine.strategies import worlds
from conformance.iut.adapter import AdapterFactory
from conformance.reporting.progress import Progress
from conformance.reporting.stats import FamilyStats, RunError
from models.records import WorldSpec

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
    timeout: float | None = None,
) -> type[RuleBasedStateMachine]:
    """A state machine class for one family against one implementation (``progress``, if
    given, hears of every example as it starts; ``timeout`` bounds each call to it)."""
    world_strategy = worlds(
        capabilities=capabilities,
        min_devices=family.min_devices,
        device_tables_required=family.device_tables_required,
        depth_odds=family.depth_odds,
        related_odds=family.related_odds,
        narrow_odds=family.narrow_odds,
    )
    kinds = kinds_for(family.kinds, capabilities)  # restarts, teams, positions, faults

    class ConformanceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.driver = Driver(family.name, factory, stats, timeout)
            self.steps = Steps(self.driver, kinds, capabilities, family.hierarchy_weight)

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


def _silent(message: object) -> None:
    """A Hypothesis reporter that prints nothing."""


class IUTError(Exception):
    """A family stopped because the implementation broke (``cause`` says how); raised by
    ``run_family`` for test runners, after the stats recorded it."""

    def __init__(self, cause: RunError) -> None:
        super().__init__(cause.message)
        self.cause = cause


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
    timeout: float | None = None,
    quiet: bool = False,
    shrink: bool = True,
) -> FamilyStats:
    """Run one family's property; return its stats. The same seed generates the same
    examples. ``part`` (i, n) runs the i-th of n parts of the profile's examples, each with a
    seed of its own (so that workers can share a family). ``progress`` writes a line now and
    then while the family runs; ``timeout`` bounds each call to the implementation; ``quiet``
    keeps Hypothesis's own report of a failure (its steps and reproduction blob) unprinted;
    ``shrink`` false stops at the first failure as found (no shrinking, no minimizing: a
    mutation run needs the verdict, not a readable counterexample).

    How it ends is recorded in the stats and told by what it raises: a conformance failure
    (``outcome`` failed, ``mismatch`` the minimal program) raises ``ConformanceFailure``; an
    implementation that broke (``outcome`` error, ``error`` the cause) raises ``IUTError``;
    an interruption (``outcome`` interrupted) lets ``KeyboardInterrupt`` through."""
    stats = stats or FamilyStats(family.name)
    stats.capabilities = capabilities
    machine = machine_for(family, factory, capabilities, stats, progress, timeout)
    if seed is not None:
        machine = hypothesis_seed(seed if part is None else seed * 1000 + part[0])(machine)
    started = stats.started = time.perf_counter()
    # not passed until it has run to its end: whatever escapes below leaves it an error
    stats.outcome, stats.message = "error", "the family did not run to its end"
    try:
        silent = reporting.with_reporter(_silent) if quiet else nullcontext()
        with silent, shrink_budget(profile), no_local_constants(), frozen_heap():
            parts = part[1] if part is not None else 1
            shape = settings_for(profile, parts, family.worlds_scale, shrink)
            if progress is not None:
                progress.begin(part_label(family.name, part), shape.max_examples)
            run_state_machine_as_test(machine, settings=shape)
    except ConformanceFailure as failure:
        failure.mismatch.seed = seed
        if stats.found_size is not None:
            failure.mismatch.sizes["found"] = stats.found_size
        if shrink:
            failure.mismatch = minimize(failure.mismatch, factory, timeout=timeout)
        failure.args = (failure.mismatch.describe(),)
        stats.outcome, stats.mismatch = "failed", failure.mismatch
        stats.message = str(failure).splitlines()[0]
        if seed is not None:
            failure.add_note(f"reproduce the whole run with: --offsync-seed {seed}")
        raise
    except IUTBroke as broke:
        stats.outcome, stats.error, stats.message = "error", broke.cause, broke.cause.message
        raise IUTError(broke.cause) from None
    except KeyboardInterrupt:
        stats.outcome, stats.message = "interrupted", "the run was interrupted"
        raise
    except BaseException as exc:  # the engine itself, or Hypothesis, failed: say so
        stats.outcome, stats.message = "error", f"{type(exc).__name__}: {exc}"
        stats.error = RunError(f"the engine failed: {type(exc).__name__}: {exc}")
        raise
    finally:
        stats.seconds += time.perf_counter() - started
    stats.outcome, stats.message = "passed", ""
    return stats
