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
from models.server import Change, Server, refused
from models.sync import end_cycle, restart, restart_server, start_cycle
from models.world import World, build_world


class ModelSystem:
    """One world in motion: a server and its devices, driven one operation at a time.

    ``last_rules`` names the rules the last operation exercised (``setup_rules`` those the
    setup did): the engine counts them for rule coverage and uses them to name the rules a
    mismatch concerns.
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
        self.setup_rules: tuple[str, ...] = tuple(sorted(self.trace))
        self.last_rules: tuple[str, ...] = ()
        #: the parts of the last observation that no operation has changed since (see
        #: ``_changed``); ``observe`` builds the others again
        self._seen_devices: dict[str, DeviceObservation] = {}
        self._seen_server: dict[str, ServerRow] | None = None

    def apply(self, op: Operation) -> Result:
        """Carry out one operation and return its result. A malformed operation (unknown kind
        or device) is refused with ``invalid``; it never raises."""
        self.trace.clear()
        result = self._apply(op)
        self._changed(op)
        self.last_rules = tuple(sorted(self.trace))
        return result

    def _changed(self, op: Operation) -> None:
        """What an operation may have changed: a server-side event changes the server alone
        (a device learns of it at its next sync, STALE-1); a device's operation changes that
        device alone, and a cycle step the server too (the upload, SYNC-4)."""
        kind = op.get("kind")
        if kind in SERVER_KINDS or kind in ("sync_start", "sync_end"):
            self._seen_server = None
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
