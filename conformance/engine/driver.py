"""Running one program against the implementation and the model side by side.

The engine's core, below the state machines and the minimizer: ``Driver`` applies each
operation to both, compares the results and the full observations, and at the first
difference raises ``ConformanceFailure`` naming the rules concerned (``compare.blame``, helped
by ``explain``); ``replay`` runs a recorded program through it.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
import zlib
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from conformance.engine.compare import ConformanceFailure, blame, first_difference, reason_of
from conformance.engine.explain import (
    explain_edit,
    explain_errors,
    explain_row,
    explain_tables,
    explain_upload,
)
from conformance.engine.reduce import world_entries
from conformance.iut.adapter import Adapter, AdapterError, AdapterFactory
from conformance.iut.schemas import problem
from conformance.reporting.counterexample import Mismatch
from conformance.reporting.stats import FamilyStats, RunError
from models import ModelSystem
from models.records import DEVICE_EDIT_KINDS, Operation, WorldSpec
from models.security import Snapshot
from models.server import Change
from models.world import InvalidWorld

T = TypeVar("T")


class Driver:
    """One example run side by side: the model, the implementation and the program so far.

    ``step`` applies an operation to both, compares the answers and the full observations,
    and raises ``ConformanceFailure`` at the first difference, naming the rules concerned.
    It knows nothing of Hypothesis: the state machine (``machine``), the replay of a recorded
    program (``replay``) and the minimizer all run programs through it."""

    def __init__(
        self,
        family: str,
        factory: AdapterFactory,
        stats: FamilyStats,
        timeout: float | None = None,
    ) -> None:
        self.family, self.factory, self.stats = family, factory, stats
        #: seconds an in-process call may take (None: unbounded); see ``CallGuard``
        self.guard = CallGuard(timeout)
        self.world: WorldSpec | None = None
        self.model: ModelSystem | None = None
        self.iut: Adapter | None = None
        self.ops: list[Operation] = []
        #: the model's batch of the cycle being ended (for explaining its errors)
        self.batch: list[Change] = []
        #: each device's privilege snapshots replaced by its completed syncs (STALE-4)
        self.previous: dict[str, list[Snapshot]] = {}
        #: whether this example ended in a conformance failure (see ``close``)
        self.failed = False
        #: operation ids of a batch whose upload failed (FAULT-1, FAULT-2), with the number
        #: of server restarts up to it
        self.in_doubt: dict[str, int] = {}
        #: how often the server restarted in this example (FAULT-5)
        self.server_restarts = 0
        #: operation ids the server applied, with the number of its restarts before
        self.sent: dict[str, int] = {}

    def call(self, method: str, function: Callable[..., T], *args: Any) -> T:
        """Call the implementation; anything that goes wrong there (an adapter error, an
        exception of a Python adapter, no answer in time) ends the run of the family as an
        error naming the cause, never as a conformance failure (``IUTBroke``)."""
        try:
            with self.guard:
                return function(*args)
        except AdapterError as exc:
            raise IUTBroke(self.cause(method, exc.what, exc.method or method, exc.stderr)) from exc
        except CallTimedOut:
            raise IUTBroke(
                self.cause(method, f"no answer in {self.guard.timeout:g} s", method)
            ) from None
        except (KeyboardInterrupt, IUTBroke):
            raise
        except BaseException as exc:  # SystemExit and its kind from an adapter are breaks too
            where = _origin(exc)
            raise IUTBroke(
                self.cause(method, f"{type(exc).__name__}: {exc}{where}", method)
            ) from exc

    def cause(
        self, during: str, what: str, method: str | None, stderr: Sequence[str] = ()
    ) -> RunError:
        """Why the family stops here: what broke, in which call, and the program so far."""
        step = len(self.ops) - 1 if during in ("apply", "observe") and self.ops else -1
        if during == "observe" and self.ops:
            where = f"in the observation after operation {step + 1}"
        elif during == "observe":
            where = "in the observation of the world it set up"
        elif during == "apply":
            where = f"at operation {step + 1}"
        elif during == "setup":
            where = "setting up the world"
        else:
            where = f"in {during}" if during != "hello" else "starting"
        return RunError(
            message=f"the implementation broke {where} ({method or during}): {what}",
            method=method or during,
            stderr=list(stderr),
            step=step,
            world=self.world,
            operations=list(self.ops),
        )

    def check_schema(self, method: str, kind: str, instance: Any) -> None:
        """A malformed answer is an adapter error naming the field, not a conformance failure."""
        issue = problem(kind, instance)
        if issue:
            raise IUTBroke(self.cause(method, f"a malformed {kind}: {issue}", method))

    def start(self, world: WorldSpec, refusable: bool = False) -> None:
        """Set the world up on both sides and compare the first observations. One world in
        ``PROBE_ODDS`` (chosen by the world itself: generation is unchanged) is first given
        to the implementation broken (``ill_formed``), which it must refuse (WORLD-1). An
        ill-formed ``world`` raises ``InvalidWorld``, unless ``refusable`` (a replayed
        WORLD-1 counterexample, which has no operations): then its refusal is the check."""
        self.stats.examples += 1
        self.world = world
        try:
            model = ModelSystem(world)  # the model never changes what it is given
        except InvalidWorld as bad:
            if not refusable:
                raise
            self.guard.install()
            self.iut = self.call("hello", self.factory)
            self.expect_refusal(world, str(bad))
            return
        self.model = model
        self.stats.hits.update(self.model.setup_rules)
        self.stats.hits.update(self.model.setup_clauses)  # clause IDs: ``RULE.clause``
        self.guard.install()
        self.iut = self.call("hello", self.factory)
        probe = ill_formed(world)
        if probe is not None:
            self.expect_refusal(*probe)
        self.call("setup", self.iut.setup, json.loads(json.dumps(world)))  # its own copy
        self.compare(None, None, None)

    def expect_refusal(self, broken: WorldSpec, why: str) -> None:
        """WORLD-1: an ill-formed world is refused as a whole, naming the offending entry
        (one of the names the model's refusal ``why`` quotes). A refusal is the setup call
        failing; a timeout is the implementation breaking, as for any call."""
        assert self.iut is not None
        names = re.findall(r"'([^']+)'", why)
        try:
            with self.guard:
                self.iut.setup(json.loads(json.dumps(broken)))
        except CallTimedOut:
            raise IUTBroke(
                self.cause("setup", f"no answer in {self.guard.timeout:g} s", "setup")
            ) from None
        except (KeyboardInterrupt, IUTBroke):
            raise
        except BaseException as exc:  # refused: does it say what is wrong?
            said = str(exc)
            if not names or any(name in said for name in names):
                self.stats.hits.update(("WORLD-1", f"WORLD-1.{_break_kind(why)}"))
                return
            actual: Any = f"refused without naming {' or '.join(names)}: {said[:200]}"
        else:
            actual = "accepted"
        self.failed = True
        raise ConformanceFailure(
            Mismatch(
                family=self.family,
                world=broken,
                operations=[],
                failing_step=-1,
                rules=["WORLD-1"],
                field="/setup",
                expected=f"refused: {why}",
                actual=actual,
            )
        )

    def step(self, op: Operation) -> None:
        assert self.model is not None and self.iut is not None
        self.ops.append(op)
        device = self.model.devices.get(op.get("device", ""))
        if op["kind"] == "sync_end" and device is not None and device.in_flight is not None:
            self.batch = list(device.in_flight)
            self.previous.setdefault(device.id, []).append(device.snapshot)
        if op["kind"] == "server_restart" or op.get("fault") == "server_restart":
            self.server_restarts += 1
        if op["kind"] == "sync_start" and device and device.in_flight is None:
            if "fault" in op:  # its upload failed: the device cannot know if the server has it
                self.in_doubt.update((ch.op_id, self.server_restarts) for ch in device.outbox)
            if op.get("fault") in (None, "response_lost"):  # the server applied it
                for ch in device.outbox:
                    self.sent.setdefault(ch.op_id, self.server_restarts)
        expected = self.model.apply(op)
        actual = self.call("apply", self.iut.apply, json.loads(json.dumps(op)))  # its own copy
        self.stats.steps += 1
        self.stats.hits.update(self.model.last_rules)
        self.stats.hits.update(self.model.last_clauses)
        self.compare(op, expected, actual)

    def compare(self, op: Operation | None, expected: Any, actual: Any) -> None:
        assert self.model is not None and self.iut is not None and self.world is not None
        found, observed = None, None
        if op is not None and expected != actual:
            found = first_difference(expected, actual, "/result")
            if found:
                self.check_schema("apply", "result", actual)
        if found is None:
            observed, model_observed = self.call("observe", self.iut.observe), self.model.observe()
            if observed != model_observed:
                found = root_difference(model_observed, observed, self.world)
                if found:
                    self.check_schema("observe", "observation", observed)
        if found is None:
            return
        if self.stats.first_failure is None:
            elapsed = time.perf_counter() - self.stats.started
            self.stats.first_failure = (self.stats.examples, round(elapsed, 3))
            self.stats.found_size = [len(self.ops), world_entries(self.world)]
        path, exp, act = found
        kind = op_kind(op)
        parts = path.strip("/").split("/")
        if op is not None and parts[0] == "devices" and op.get("device") not in (None, parts[1]):
            kind = "server_update"  # for another device, the step was a server-side change
        hint = self.explain(op, path, expected, actual, observed)
        exercised = self.model.last_rules if op is not None else self.model.setup_rules
        if path.startswith("/result"):  # judge a result by the whole of it
            rules = blame(kind, path, expected, actual, exercised, hint)
        else:
            rules = blame(kind, path, exp, act, exercised, hint)
        self.failed = True
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
        kind = op_kind(op)
        parts = path.strip("/").split("/")
        device = parts[1] if parts[0] == "devices" and len(parts) >= 3 else ""
        fault = self.explain_fault(op, kind)
        if fault is not None:
            return fault
        if kind in ("sync_end", "setup") and len(parts) >= 5 and parts[2] == "rows":
            batch = self.batch if kind == "sync_end" else None
            return explain_row(self.model, device, parts[4], batch)
        if kind == "sync_end" and len(parts) >= 3 and parts[2] == "pending":
            during = bool(self.model.devices[device].outbox)  # edits made during the cycle
            return ["SYNC-3", "SYNC-1"] if during else ["SYNC-1"]
        if len(parts) >= 3 and parts[2] == "metadata_tables":
            shown = observed["devices"][device].get("metadata_tables")
            return explain_tables(self.model, device, shown)
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

    def explain_fault(self, op: Operation | None, kind: str) -> list[str] | None:
        """After a fault, a cycle step that differs most likely broke the rule of the fault
        (its batch uploaded again after a lost answer: FAULT-2; the server's record of
        operation ids after it restarted: FAULT-5), before the generic rules."""
        assert self.model is not None
        if op is None or kind not in ("sync_start", "sync_end"):
            return None
        dev = self.model.devices.get(op.get("device", ""))
        ids = {ch.op_id for ch in (dev.pending() if dev is not None else [])}
        ids |= {ch.op_id for ch in self.batch} if kind == "sync_end" else set()
        restarted = any(self.sent[i] < self.server_restarts for i in ids if i in self.sent)
        doubted = any(i in self.in_doubt for i in ids)
        if restarted and "SYNC-5" in self.model.last_rules:  # applied before the restart
            return ["FAULT-5", "FAULT-2", "SYNC-5"] if doubted else ["FAULT-5", "SYNC-5"]
        if doubted:
            return ["FAULT-2", "SYNC-5"]
        return None

    def close(self) -> None:
        """Close the implementation's adapter. A failing ``close`` breaks the run like any
        other call, unless the example already failed (that failure is what counts)."""
        iut, self.iut = self.iut, None
        try:
            if iut is not None:
                self.call("close", iut.close)
        except IUTBroke:
            if not self.failed:
                raise
        finally:
            self.guard.uninstall()


def root_difference(expected: Any, actual: Any, world: WorldSpec) -> tuple[str, Any, Any] | None:
    """``first_difference`` of two observations, the rows of ``related`` tables last: such a
    row is on a device because of the rows it relates to (PROFILE-7), so when those differ
    too, theirs is the difference that says what broke."""
    related = {t for t, f in world["profile"].items() if f == "related"}
    if related:
        found = first_difference(_unrelated(expected, related), _unrelated(actual, related))
        parts = found[0].split("/") if found is not None else []
        # not a whole device or all its rows: the values shown would lack the tables left out
        whole = parts[1:2] == ["devices"] and (len(parts) <= 3 or parts[3:] == ["rows"])
        if found is not None and not whole:
            return found
    return first_difference(expected, actual)


def _unrelated(observation: Any, related: set[str]) -> Any:
    """An observation without its devices' rows of the ``related`` tables (as given, for a
    malformed one: the schema check names what is wrong with it)."""
    devices = observation.get("devices") if isinstance(observation, dict) else None
    if not isinstance(devices, dict):
        return observation
    kept = {}
    for name, device in devices.items():
        rows = device.get("rows") if isinstance(device, dict) else None
        if isinstance(rows, dict):
            device = {**device, "rows": {t: r for t, r in rows.items() if t not in related}}
        kept[name] = device
    return {**observation, "devices": kept}


#: one world in this many is first given broken to the implementation (see ``ill_formed``)
PROBE_ODDS = 6
#: the ways ``ill_formed`` breaks a world, each a clause of WORLD-1
BREAKS = ("duplicate_id", "unknown_reference", "cycle")
#: the lists of a world whose entries have ids (WORLD-1: unique within their kind)
_ID_LISTS = ("business_units", "users", "roles", "rows", "devices", "teams", "positions")


def ill_formed(world: WorldSpec) -> tuple[WorldSpec, str] | None:
    """For one world in ``PROBE_ODDS``, chosen by a checksum of the world (so generation and
    its seeds are unchanged), a copy broken one way (``BREAKS``: an entry of one of its lists
    defined twice; a reference to nothing: a device's user, a user's unit or role, a row's
    owner, a module's table, a team's member, a position's parent; a user who is their own
    manager) with the model's reason to refuse it; None for the other worlds."""
    digest = zlib.crc32(json.dumps(world, sort_keys=True).encode())
    if digest % PROBE_ODDS or not world["users"] or not world["devices"]:
        return None
    broken: Any = json.loads(json.dumps(world))
    how = BREAKS[digest // PROBE_ODDS % len(BREAKS)]
    if how == "duplicate_id":  # the last entry of one of the world's lists, twice
        lists = [k for k in _ID_LISTS if broken.get(k)]
        key = lists[digest // PROBE_ODDS // len(BREAKS) % len(lists)]
        broken[key].append(dict(broken[key][-1]))
    elif how == "unknown_reference":  # one of the references a world makes
        choice = digest // PROBE_ODDS // len(BREAKS)
        refs = [
            _device_user,
            _user_unit,
            _user_role,
            _row_owner,
            _module_table,
            _team_member,
            _position_parent,
        ]
        refs[choice % len(refs)](broken, choice)
    else:
        broken["users"][0]["manager"] = broken["users"][0]["id"]
    try:
        ModelSystem(broken)
    except InvalidWorld as bad:
        return broken, str(bad)
    return None


def _device_user(world: Any, n: int) -> None:
    world["devices"][n % len(world["devices"])]["user"] = "ghost-user"


def _user_unit(world: Any, n: int) -> None:
    world["users"][n % len(world["users"])]["business_unit"] = "ghost-unit"


def _user_role(world: Any, n: int) -> None:
    world["users"][n % len(world["users"])]["roles"].append("ghost-role")


def _row_owner(world: Any, n: int) -> None:
    if world["rows"]:
        world["rows"][n % len(world["rows"])]["owner"] = "ghost-owner"
    else:
        _device_user(world, n)


def _module_table(world: Any, n: int) -> None:
    world["app_modules"][n % len(world["app_modules"])]["tables"].append("ghost_table")


def _team_member(world: Any, n: int) -> None:
    if world.get("teams"):
        world["teams"][n % len(world["teams"])]["members"].append("ghost-user")
    else:
        _user_role(world, n)


def _position_parent(world: Any, n: int) -> None:
    if world.get("positions"):
        world["positions"][n % len(world["positions"])]["parent"] = "ghost-position"
    else:
        _user_unit(world, n)


def _break_kind(why: str) -> str:
    """The WORLD-1 clause a refusal's reason is about."""
    if "unknown" in why:
        return "unknown_reference"
    if "cycle" in why:
        return "cycle"
    return "duplicate_id"


def op_kind(op: Operation | None) -> str:
    """An operation's kind as blame knows it: ``setup`` for none, ``sync_start:request_lost``
    for a cycle step with a fault."""
    if op is None:
        return "setup"
    return f"{op['kind']}:{op['fault']}" if "fault" in op else op["kind"]


def _origin(exc: BaseException) -> str:
    """Where an exception of an in-process adapter was raised: `` (file:line in function)``."""
    tb = exc.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    return f" ({code.co_filename}:{tb.tb_lineno} in {code.co_name})"


class IUTBroke(BaseException):  # noqa: N818 (a control signal, like KeyboardInterrupt)
    """The implementation cannot be checked any further: its adapter broke the protocol,
    raised, or did not answer in time. ``cause`` says why, with the program so far.

    A ``BaseException`` on purpose: Hypothesis treats an ``Exception`` from a test as a
    failure to shrink, and would replay the example against an implementation that no longer
    answers (which ends in ``Flaky...`` errors that hide the cause); a ``BaseException`` stops
    it at once. ``machine.run_family`` turns it into the family's ``error`` outcome."""

    def __init__(self, cause: RunError) -> None:
        super().__init__(cause.message)
        self.cause = cause


class CallTimedOut(Exception):
    """Raised by ``CallGuard``'s alarm inside a call to an in-process adapter."""


class CallGuard:
    """Bounds each call to the implementation to ``timeout`` seconds with ``SIGALRM``.

    An ``exec:`` child's calls are bounded by the subprocess adapter itself (its own message
    is more precise, so this guard gives it ``GRACE`` seconds more); a Python adapter runs in
    this process and can only be interrupted by a signal. Signals reach the main thread only:
    elsewhere (or without ``setitimer``), or with no timeout, the guard does nothing."""

    GRACE = 2.0

    def __init__(self, timeout: float | None) -> None:
        self.timeout = timeout
        self.active = (
            timeout is not None
            and hasattr(signal, "setitimer")
            and threading.current_thread() is threading.main_thread()
        )
        self._armed = self._installed = False
        self._previous: Any = None

    def install(self) -> None:
        """Take over ``SIGALRM`` (until ``uninstall``; installing twice is harmless)."""
        if self.active and not self._installed:
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)
            self._installed = False

    def _alarm(self, signum: int, frame: Any) -> None:
        if self._armed:
            self._armed = False
            raise CallTimedOut()

    def __enter__(self) -> None:
        if self.active:
            assert self.timeout is not None
            self._armed = True
            signal.setitimer(signal.ITIMER_REAL, self.timeout + self.GRACE)

    def __exit__(self, *exc: object) -> None:
        if self.active:
            self._armed = False
            signal.setitimer(signal.ITIMER_REAL, 0)


def replay(
    world: WorldSpec,
    operations: list[Operation],
    factory: AdapterFactory,
    family: str = "replay",
    timeout: float | None = None,
    stats: FamilyStats | None = None,
) -> Mismatch | None:
    """Run a recorded program (world and operations) against an implementation without
    Hypothesis; return the first mismatch, or None when the implementation agrees on the whole
    program. ``IUTBroke`` when the implementation breaks on the way; ``InvalidWorld`` for an
    ill-formed world with operations (without any, its refusal is the check: WORLD-1).
    ``stats``, when given, counts the steps and the rules they exercised."""
    engine = Driver(family, factory, stats or FamilyStats(family), timeout)
    try:
        engine.start(world, refusable=not operations)
        for op in operations:
            engine.step(op)
    except ConformanceFailure as failure:
        return failure.mismatch
    finally:
        engine.close()
    return None
