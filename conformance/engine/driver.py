"""Running one program against the implementation and the model side by side.

The engine's core, below the state machines and the minimizer: ``Driver`` applies each
operation to both, compares the results and the full observations, and at the first
difference raises ``ConformanceFailure`` naming the rules concerned (``compare.blame``, helped
by ``explain``); ``replay`` runs a recorded program through it.
"""

from __future__ import annotations

import json
import time
from typing import Any

from conformance.engine.compare import ConformanceFailure, blame, first_difference, reason_of
from conformance.engine.explain import (
    explain_edit,
    explain_errors,
    explain_row,
    explain_tables,
    explain_upload,
)
from conformance.iut.adapter import Adapter, AdapterError, AdapterFactory
from conformance.reporting.counterexample import Mismatch
from conformance.reporting.stats import FamilyStats
from models import ModelSystem
from models.records import DEVICE_EDIT_KINDS, Operation, WorldSpec
from models.security import Snapshot
from models.server import Change


class Driver:
    """One example run side by side: the model, the implementation and the program so far.

    ``step`` applies an operation to both, compares the answers and the full observations,
    and raises ``ConformanceFailure`` at the first difference, naming the rules concerned.
    It knows nothing of Hypothesis: the state machine (``machine``), the replay of a recorded
    program (``replay``) and the minimizer all run programs through it."""

    def __init__(self, family: str, factory: AdapterFactory, stats: FamilyStats) -> None:
        self.family, self.factory, self.stats = family, factory, stats
        self.world: WorldSpec | None = None
        self.model: ModelSystem | None = None
        self.iut: Adapter | None = None
        self.ops: list[Operation] = []
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
                family=self.family,
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


def _check_schema(kind: str, instance: Any) -> None:
    """A malformed answer is an adapter error naming the field, not a conformance failure."""
    from conformance.iut.schemas import problem

    issue = problem(kind, instance)
    if issue:
        raise AdapterError(f"the implementation returned a malformed {kind}: {issue}")


def replay(
    world: WorldSpec, operations: list[Operation], factory: AdapterFactory, family: str = "replay"
) -> Mismatch | None:
    """Run a recorded program (world and operations) against an implementation without
    Hypothesis; return the first mismatch, or None when the implementation now agrees."""
    engine = Driver(family, factory, FamilyStats(family))
    try:
        engine.start(world)
        for op in operations:
            engine.step(op)
    except ConformanceFailure as failure:
        return failure.mismatch
    finally:
        engine.close()
    return None
