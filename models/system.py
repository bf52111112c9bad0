"""The model's entry points: a stateful ``ModelSystem`` and ``run(world, operations)``."""

from __future__ import annotations

from collections.abc import Iterable

from models.device import Device
from models.records import (
    DEVICE_KINDS,
    SERVER_KINDS,
    Observation,
    Operation,
    Result,
    Step,
    WorldSpec,
)
from models.server import Server, refused
from models.sync import end_cycle, restart, start_cycle
from models.world import World, build_world


class ModelSystem:
    """One world in motion: a server and its devices, driven one operation at a time."""

    def __init__(self, spec: WorldSpec) -> None:
        self.world: World = build_world(spec)
        self.server = Server.from_world(self.world)
        self.devices = {
            dev: Device.signed_in(self.world, dev, user, self.server.download(user))
            for dev, user in self.world.devices.items()
        }

    def apply(self, op: Operation) -> Result:
        """Carry out one operation and return its result. A malformed operation (unknown kind
        or device) is refused with ``invalid``; it never raises."""
        kind = op.get("kind")
        if kind in SERVER_KINDS:
            return self.server.event(op)
        if kind not in DEVICE_KINDS:
            return refused("invalid")
        device = self.devices.get(op.get("device", ""))
        if device is None:
            return refused("invalid")
        if kind == "sync_start":
            return start_cycle(device, self.server)
        if kind == "sync_end":
            return end_cycle(device, self.server)
        if kind == "restart":
            return restart(device)
        return device.local(op)

    def observe(self) -> Observation:
        return {
            "devices": {dev: d.observe() for dev, d in sorted(self.devices.items())},
            "server": self.server.observe(),
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
