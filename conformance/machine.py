"""The stateful properties: Hypothesis state machines that drive an implementation under test
and the reference model side by side and compare every answer."""

from __future__ import annotations

import dataclasses
import json
import random
import time
from typing import Any, TypeVar

from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.adapter import Adapter, AdapterError, AdapterFactory
from conformance.compare import ConformanceFailure, Mismatch, blame, first_difference, reason_of
from conformance.explain import (
    explain_edit,
    explain_errors,
    explain_row,
    explain_tables,
    explain_upload,
)
from conformance.families import SYNC, Family
from conformance.profiles import frozen_heap, no_local_constants, settings_for, shrink_budget
from conformance.progress import Progress
from conformance.stats import FamilyStats
from conformance.strategies import (
    TABLE_BY_NAME,
    TABLE_NAMES,
    VALUE_POOLS,
    Source,
    draw_event,
    index,
    pick,
    pick_each,
    pooled_row,
    pooled_update,
    worlds,
)
from models import ModelSystem
from models.profile import device_tables
from models.records import DEVICE_EDIT_KINDS, Operation, WorldSpec
from models.security import Snapshot, manager_level
from models.server import Change

T = TypeVar("T")

#: how many times more likely an operation aims at something that exists (a visible row, a
#: device table) than at anything at all
AIM_WEIGHT = 6
#: a family kind with this suffix is an edit carrying a value outside its column's schema
INVALID_SUFFIX = "!"


def aimed(preferred: list[T], anything: list[T]) -> list[T]:
    """Choices weighted towards ``preferred``: one draw picks from the result."""
    return preferred * AIM_WEIGHT + anything if preferred else anything


class _Engine:
    """The state shared by one example: the model, the adapter and the program so far."""

    def __init__(self, family: Family, factory: AdapterFactory, stats: FamilyStats) -> None:
        self.family, self.factory, self.stats = family, factory, stats
        self.world: WorldSpec | None = None
        self.model: ModelSystem | None = None
        self.iut: Adapter | None = None
        self.ops: list[Operation] = []
        self.counter = 0
        #: the model's batch of the cycle being ended (for explaining its errors)
        self.batch: list[Change] = []
        #: each device's privilege snapshots replaced by its completed syncs (STALE-4)
        self.previous: dict[str, list[Snapshot]] = {}

    def start(self, world: WorldSpec) -> None:
        self.stats.examples += 1
        self.world = world
        self.model = ModelSystem(world)  # the model never changes what it is given
        self.stats.hits.update(self.model.setup_rules)
        self.iut = self.factory()
        self.iut.setup(json.loads(json.dumps(world)))  # the IUT gets its own copy
        self.compare(None, None, None)

    def step(self, op: Operation) -> None:
        assert self.model is not None and self.iut is not None
        self.ops.append(op)
        device = self.model.devices.get(op.get("device", ""))
        if op["kind"] == "sync_end" and device is not None and device.in_flight is not None:
            self.batch = list(device.in_flight)
            self.previous.setdefault(device.id, []).append(device.snapshot)
        expected = self.model.apply(op)
        actual = self.iut.apply(json.loads(json.dumps(op)))  # its own copy, as JSON data
        self.stats.steps += 1
        self.stats.hits.update(self.model.last_rules)
        self.compare(op, expected, actual)

    def compare(self, op: Operation | None, expected: Any, actual: Any) -> None:
        assert self.model is not None and self.iut is not None and self.world is not None
        found, observed = None, None
        if op is not None and expected != actual:
            found = first_difference(expected, actual, "/result")
            if found:
                _check_schema("result", actual)
        if found is None:
            observed, model_observed = self.iut.observe(), self.model.observe()
            if observed != model_observed:
                found = first_difference(model_observed, observed)
                if found:
                    _check_schema("observation", observed)
        if found is None:
            return
        if self.stats.first_failure is None:
            elapsed = time.perf_counter() - self.stats.started
            self.stats.first_failure = (self.stats.examples, round(elapsed, 3))
        path, exp, act = found
        kind = op["kind"] if op is not None else "setup"
        parts = path.strip("/").split("/")
        if op is not None and parts[0] == "devices" and op.get("device") not in (None, parts[1]):
            kind = "server_update"  # for another device, the step was a server-side change
        hint = self.explain(op, path, expected, actual, observed)
        exercised = self.model.last_rules if op is not None else self.model.setup_rules
        if path.startswith("/result"):  # judge a result by the whole of it
            rules = blame(kind, path, expected, actual, exercised, hint)
        else:
            rules = blame(kind, path, exp, act, exercised, hint)
        raise ConformanceFailure(
            Mismatch(
                family=self.family.name,
                world=self.world,
                operations=list(self.ops),
                failing_step=len(self.ops) - 1,
                rules=rules,
                field=path,
                expected=exp,
                actual=act,
            )
        )

    def explain(
        self, op: Operation | None, path: str, expected: Any, actual: Any, observed: Any
    ) -> list[str] | None:
        """The rules a difference at ``path`` most likely breaks, from the model's state
        (``observed``: the implementation's observation, when the difference is in it)."""
        assert self.model is not None
        kind = op["kind"] if op is not None else "setup"
        parts = path.strip("/").split("/")
        device = parts[1] if parts[0] == "devices" and len(parts) >= 3 else ""
        if kind in ("sync_end", "setup") and len(parts) >= 5 and parts[2] == "rows":
            return explain_row(self.model, device, parts[4])
        if kind == "sync_end" and len(parts) >= 3 and parts[2] == "pending":
            during = bool(self.model.devices[device].outbox)  # edits made during the cycle
            return ["SYNC-3", "SYNC-1"] if during else ["SYNC-1"]
        if len(parts) >= 3 and parts[2] == "metadata_tables":
            return explain_tables(self.model, observed["devices"][device].get("metadata_tables"))
        if kind == "sync_end" and len(parts) >= 3 and parts[2] == "errors":
            errors = observed["devices"][device].get("errors")
            expected_errors = self.model.devices[device].errors
            return explain_errors(self.model, device, expected_errors, errors, self.batch)
        if kind == "sync_start" and parts[0] == "server" and len(parts) >= 2 and op:
            return explain_upload(self.model, op.get("device", ""), parts[1])
        if op is not None and kind in DEVICE_EDIT_KINDS and parts[0] == "result":
            previous = self.previous.get(op.get("device", ""), [])
            if "privilege" in (reason_of(expected), reason_of(actual)):
                return explain_edit(self.model, op, expected, actual, previous)
        return None

    def close(self) -> None:
        if self.iut is not None:
            self.iut.close()
            self.iut = None

    # --- drawing operations from the current state ----------------------------------

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def draw_operations(self, draw: Source) -> list[Operation]:
        """One step's operations: one, or the two of a whole cycle (``families.SYNC``).

        ``draw`` is the step's generator, seeded by the step's one Hypothesis choice and its
        position (see ``STEP_SEEDS``). The kind and the device are drawn together, over lists
        that stay the same for the whole example."""
        assert self.model is not None and self.world is not None
        kind, device = pick_each(draw, self.family.kinds, sorted(self.model.devices))
        if kind == SYNC:
            return [
                {"kind": "sync_start", "device": device},
                {"kind": "sync_end", "device": device},
            ]
        return [self.draw_operation(draw, kind, device)]

    def draw_operation(self, draw: Source, kind: str, device: str) -> Operation:
        assert self.model is not None and self.world is not None
        invalid = kind.endswith(INVALID_SUFFIX)
        kind = kind.removesuffix(INVALID_SUFFIX)
        if kind in ("create", "update", "delete", "read", "sync_start", "sync_end", "restart"):
            op = self._device_op(draw, kind, device)
            if invalid and "values" in op:  # a value no column schema allows (WORLD-3)
                op["values"] = {**op["values"], pick(draw, sorted(op["values"])): {"bad": True}}
            return op
        return self._event(draw, kind)

    def _device_op(self, draw: Source, kind: str, device: str) -> Operation:
        assert self.model is not None
        if kind in ("sync_start", "sync_end"):
            # a cycle step goes to a device where it does something, when there is one: the
            # first such device from the one drawn on
            in_cycle = kind == "sync_end"
            devices = sorted(self.model.devices)
            start = devices.index(device)
            for d in devices[start:] + devices[:start]:
                if (self.model.devices[d].in_flight is not None) == in_cycle:
                    device = d
                    break
        op: Operation = {"kind": kind, "device": device}
        if kind in ("sync_start", "sync_end", "restart"):
            return op
        if kind in ("update", "delete"):
            visible = self.model.devices[device].visible()
            # mostly a row the device shows; sometimes any row the server has, or none
            base = [(visible[r][0], r) for r in sorted(visible)]
            # and rows whose rights come from a share or a manager, and rows this device has
            # changed since its last sync (its own changes must not conflict), where rules meet
            pending = {ch.row for ch in self.model.devices[device].pending()}
            shown = (
                base
                + [t_r for t_r in base if self.related(device, t_r[1])] * 2
                + [t_r for t_r in base if t_r[1] in pending] * 2
            )
            rows = self.model.server.rows
            elsewhere = [(rows[r].table, r) for r in sorted(rows)] + [
                (t, "ghost") for t in TABLE_NAMES
            ]
            op["table"], op["row"] = pick(draw, aimed(shown, elsewhere))
        else:
            on_device = sorted(device_tables(self.model.world))
            op["table"] = pick(draw, aimed(on_device, TABLE_NAMES))
        if kind == "read":
            return op
        if kind == "create":
            op["row"] = self.fresh("n")
            op["values"] = pooled_row(draw, TABLE_BY_NAME[op["table"]])
        elif kind == "update":
            table = TABLE_BY_NAME[op["table"]]
            op["values"] = pooled_update(draw, table)
            if table["secured"] and index(draw, 2) == 0:  # a field-secured column (SEC-6, SEC-7)
                column = pick(draw, table["secured"])
                op["values"][column] = pick(draw, VALUE_POOLS[(table["name"], column)])
        op["op_id"] = self.fresh("op")
        return op

    def related(self, device: str, row: str) -> bool:
        """Whether the device's user holds a share of ``row`` or manages its owner."""
        assert self.model is not None
        user, server_row = self.model.devices[device].user, self.model.server.rows.get(row)
        d = self.model.server.directory
        if server_row is None:
            return False
        return (row, user) in d.shares or manager_level(
            self.model.world, d, user, server_row.owner
        ) is not None

    def _event(self, draw: Source, kind: str) -> Operation:
        assert self.model is not None and self.world is not None
        rows = self.model.server.rows

        def table_of(row: str) -> str | None:
            return rows[row].table if row in rows else None

        targets = aimed(sorted(rows), ["ghost"])
        # a row a device has a pending change for is where a server-side change conflicts
        pending = sorted(
            {ch.row for dev in self.model.devices.values() for ch in dev.pending()} & set(rows)
        )
        if pending and index(draw, 3) < 2:  # two times in three
            targets = pending
        return draw_event(draw, self.world, kind, targets, table_of, lambda: self.fresh("s"))


#: A step is one Hypothesis choice: the seed of a ``random.Random`` that draws the step's
#: kind, device, target and values from the model's current state. Choice by choice, a step
#: cost Hypothesis three to six choices, each with its bookkeeping (spans, the data tree, the
#: mutator's groups), which was most of the engine's overhead over a bare state machine.
#: A counterexample is made small by ``conformance.minimize``, which replays the concrete
#: program without each operation and world entry that the failure does not need.
STEP_SEEDS = st.integers(0, 2**32 - 1)


def _check_schema(kind: str, instance: Any) -> None:
    """A malformed answer is an adapter error naming the field, not a conformance failure."""
    from conformance.schemas import problem

    issue = problem(kind, instance)
    if issue:
        raise AdapterError(f"the implementation returned a malformed {kind}: {issue}")


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
    kinds = tuple(k for k in family.kinds if k != "restart" or "restart" in capabilities)
    family = dataclasses.replace(family, kinds=kinds)

    class ConformanceMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.engine = _Engine(family, factory, stats)

        @initialize(world=world_strategy)
        def setup(self, world: WorldSpec) -> None:
            if progress is not None:
                progress.tick(stats)
            self.engine.start(world)

        @rule(seed=STEP_SEEDS)
        def step(self, seed: int) -> None:
            stats.rule_steps += 1
            # salted with the step's position: Hypothesis often repeats a value (0 above
            # all) over a whole example, which would repeat one operation
            salted = random.Random(len(self.engine.ops) << 32 | seed)
            for op in self.engine.draw_operations(salted):
                self.engine.step(op)

        def teardown(self) -> None:
            self.engine.close()

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
        from conformance.minimize import minimize  # it replays through this module

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


def replay(
    world: WorldSpec, operations: list[Operation], factory: AdapterFactory, family: str = "replay"
) -> Mismatch | None:
    """Run a recorded program (world and operations) against an implementation without
    Hypothesis; return the first mismatch, or None when the implementation now agrees."""
    engine = _Engine(Family(family, "replay", (), ()), factory, FamilyStats(family))
    try:
        engine.start(world)
        for op in operations:
            engine.step(op)
    except ConformanceFailure as failure:
        return failure.mismatch
    finally:
        engine.close()
    return None
