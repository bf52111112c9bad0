"""The model's entry points: a stateful ``ModelSystem`` and ``run(world, operations)``."""

from __future__ import annotations

from collections.abc import Iterable

from models.device import Device
from models.records import (
    DEVICE_EDIT_KINDS,
    DEVICE_KINDS,
    ERROR_KINDS,
    SERVER_KINDS,
    SYSTEM_KINDS,
    DeviceObservation,
    EditKind,
    Observation,
    Operation,
    Result,
    ServerRow,
    Step,
    WorldSpec,
)
from models.rules import rule_of
from models.server import Change, Download, Server, refused
from models.sync import end_cycle, restart, restart_server, start_cycle
from models.world import World, build_world

#: server-side events that are other users' edits or a row's new owner, not privileges
DATA_KINDS = ("server_create", "server_update", "server_delete", "reassign")


class ModelSystem:
    """One world in motion: a server and its devices, driven one operation at a time.

    ``last_rules`` names the rules the last operation exercised (``setup_rules`` those the
    setup did): the engine counts them for rule coverage and uses them to name the rules a
    mismatch concerns. ``last_clauses`` (``setup_clauses``) names the clauses of
    ``models.rules.CLAUSES`` whose decision reached an observation with it: a local decision
    or one taken in a cycle step at once (the step's answer and the observation after it
    show it); a server-side event's (EVENT-1 by kind, STALE-2 and STALE-3 by cause) only
    when it changed what a device's user downloads and that device then completed a cycle,
    once per event.
    """

    def __init__(self, spec: WorldSpec) -> None:
        self.world: World = build_world(spec)
        self.trace: set[str] = {"WORLD-1", "PROFILE-1", "PROFILE-4"}
        if self.world.views:
            self.trace.add("PROFILE-3")
        self.server = Server.from_world(self.world)
        self.server.trace = self.trace
        self.devices = {
            dev: Device.signed_in(self.world, dev, user, self.server.download(user), self.trace)
            for dev, user in self.world.devices.items()
        }
        self.setup_rules: tuple[str, ...] = tuple(sorted({rule_of(t) for t in self.trace}))
        self.setup_clauses: tuple[str, ...] = tuple(sorted(t for t in self.trace if "." in t))
        self.last_rules: tuple[str, ...] = ()
        self.last_clauses: tuple[str, ...] = ()
        #: device -> (event number, the clauses of an event that changed its user's download)
        #: until the device completes a cycle; the events already counted
        self._waiting: dict[str, list[tuple[int, frozenset[str]]]] = {}
        self._counted: set[int] = set()
        self._events = 0
        #: each device user's download now, while no operation changed the server since
        self._projections: dict[str, Download] | None = None
        #: the parts of the last observation that no operation has changed since (see
        #: ``_changed``); ``observe`` builds the others again
        self._seen_devices: dict[str, DeviceObservation] = {}
        self._seen_server: dict[str, ServerRow] | None = None

    def apply(self, op: Operation) -> Result:
        """Carry out one operation and return its result. A malformed operation (unknown kind
        or device) is refused with ``invalid``; it never raises."""
        self.trace.clear()
        kind = op.get("kind")
        before = self._projected() if kind in SERVER_KINDS else None
        result = self._apply(op)
        self._changed(op)
        trace = self.trace
        self.last_rules = tuple(sorted({rule_of(t) for t in trace}))
        clauses = {t for t in trace if "." in t}
        if before is not None:
            clauses = set()  # an event's clauses wait for a cycle that shows them
            if result["status"] == "accepted":
                self._defer(str(kind), before)
        elif kind == "sync_end" and result["status"] == "accepted" and "fault" not in op:
            clauses |= self._reached(str(op.get("device")))
        self.last_clauses = tuple(sorted(clauses))
        return result

    def _projected(self) -> dict[str, Download]:
        """What each device's user downloads now (kept while nothing changes the server; the
        evaluation counts as no rule's)."""
        if self._projections is None:
            saved, self.server.trace = self.server.trace, set()
            try:
                users = {device.user for device in self.devices.values()}
                self._projections = {u: self.server.download(u) for u in sorted(users)}
            finally:
                self.server.trace = saved
        return self._projections

    def _defer(self, kind: str, before: dict[str, Download]) -> None:
        """An accepted event: for each device whose user's download it changed, its clauses
        wait for that device's next completed cycle."""
        self._projections = None
        after = self._projected()
        self._events += 1
        cause = "data" if kind in DATA_KINDS else "privilege"
        for dev, device in self.devices.items():
            old, new = before[device.user], after[device.user]
            if old == new:
                continue
            clauses = {f"EVENT-1.{kind}"}
            if new.rows.keys() - old.rows.keys():
                clauses.add(f"STALE-2.{cause}")
            if old.rows.keys() - new.rows.keys():
                clauses.add(f"STALE-3.{cause}")
            self._waiting.setdefault(dev, []).append((self._events, frozenset(clauses)))

    def _reached(self, device: str) -> set[str]:
        """The clauses of the events a device's completed cycle showed (each event once)."""
        reached: set[str] = set()
        for number, clauses in self._waiting.pop(device, []):
            if number not in self._counted:
                self._counted.add(number)
                reached |= clauses
        return reached

    def _changed(self, op: Operation) -> None:
        """What an operation may have changed: a server-side event changes the server alone
        (a device learns of it at its next sync, STALE-1); a device's operation changes that
        device alone, and a cycle step the server too (the upload, SYNC-4)."""
        kind = op.get("kind")
        if kind in SERVER_KINDS or kind in ("sync_start", "sync_end") or kind in SYSTEM_KINDS:
            self._seen_server = None
            self._projections = None
        device = op.get("device")
        if kind in DEVICE_KINDS and isinstance(device, str):
            self._seen_devices.pop(device, None)

    def _apply(self, op: Operation) -> Result:
        kind = op.get("kind")
        if kind in SERVER_KINDS:
            result = self.server.event(op)
            if result["status"] == "accepted":
                self._note_staleness()
            return result
        if kind in SYSTEM_KINDS:
            return restart_server(self.server)
        if kind not in DEVICE_KINDS:
            return refused("invalid")
        device = self.devices.get(op.get("device", ""))
        if device is None:
            return refused("invalid")
        if kind == "sync_start":
            return start_cycle(device, self.server, op.get("fault"))
        if kind == "sync_end":
            return end_cycle(device, self.server, op.get("fault"))
        if kind == "restart":
            return restart(device)
        if kind in ERROR_KINDS:
            return device.error_action(op)
        live = self._live_decision(device, op) if kind in DEVICE_EDIT_KINDS else None
        result = device.local(op)
        decided_by_privileges = result["status"] == "accepted" or result.get("reason") == (
            "privilege"
        )
        if live is not None and decided_by_privileges and live != (result["status"] == "accepted"):
            self.trace.add("STALE-1")  # the snapshot decided otherwise than the server would now
        return result

    def _live_decision(self, device: Device, op: Operation) -> bool | None:
        """Whether the server's privileges would allow this local edit now, field-level
        security aside (None when it cannot say)."""
        table, rid = op.get("table", ""), op.get("row", "")
        if table not in device.tables():
            return None
        values = op.get("values", {})
        if not isinstance(values, dict):
            return None
        kind: EditKind = op["kind"]  # type: ignore[assignment]
        owner = op.get("owner") if kind == "create" else None
        if kind != "create":
            row = self.server.rows.get(rid)
            if row is None or row.table != table or rid not in device.cache:
                return None
        change = Change(
            "", kind, table, rid, values, None, owner if isinstance(owner, str) else None
        )
        return not self.server.privilege_denied(device.user, change)

    def _note_staleness(self) -> None:
        """STALE-2 / STALE-3 are exercised when a server-side event leaves a device's cache
        different from what its user may now read."""
        readable_by: dict[str, set[str]] = {}  # a user's devices share the projection
        for device in self.devices.values():
            if device.user not in readable_by:
                readable_by[device.user] = set(self.server.readable(device.user))
            readable, cached = readable_by[device.user], device.cache.keys()
            if readable - cached:
                self.trace.add("STALE-2")
            if cached - readable:
                self.trace.add("STALE-3")

    def observe(self) -> Observation:
        """Everything a caller can see of the system now. The parts an operation did not
        change are the same objects as in the previous observation: read, never modify."""
        seen = self._seen_devices
        for dev in self.devices.keys() - seen.keys():
            seen[dev] = self.devices[dev].observe()
        if self._seen_server is None:
            self._seen_server = self.server.observe()
        return {
            "devices": {dev: seen[dev] for dev in sorted(self.devices)},
            "server": self._seen_server,
        }


def run(spec: WorldSpec, operations: Iterable[Operation]) -> list[Step]:
    """Apply ``operations`` in order to a fresh system for ``spec``; return, for each, the
    operation, its result and the full observation after it."""
    system = ModelSystem(spec)
    steps: list[Step] = []
    for op in operations:
        result = system.apply(op)
        steps.append({"operation": op, "result": result, "observation": system.observe()})
    return steps
