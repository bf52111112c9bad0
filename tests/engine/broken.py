"""Model-backed adapters, each broken in one deliberate way, to prove the suite catches it."""

from __future__ import annotations

from conformance.iut.model_adapter import ModelAdapter
from models.records import Operation, Result
from models.server import Change, Server


class PrivilegesApplyImmediately(ModelAdapter):
    """Breaks STALE-1: every server-side event refreshes each device's privilege snapshot at
    once, instead of at the next sync."""

    def apply(self, op: Operation) -> Result:
        result = super().apply(op)
        system = self.system
        if op["kind"] not in (
            "create",
            "update",
            "delete",
            "read",
            "sync_start",
            "sync_end",
            "restart",
        ):
            for device in system.devices.values():
                device.snapshot = system.server.download(device.user).snapshot
        return result


class _LaxServer(Server):
    __slots__ = ()

    def _rejection(self, device: str, user: str, change: Change) -> str | None:  # type: ignore[override]
        exists = change.row in self.rows
        if change.kind == "create":
            return "invalid" if exists else None
        return None if exists else "not_found"


class NoServerValidation(ModelAdapter):
    """Breaks VALID-1: the server applies every uploaded change to a row that exists (or a
    create) without checking privileges, values or conflicts."""

    def setup(self, world):  # type: ignore[no-untyped-def]
        super().setup(world)
        self.system.server.__class__ = _LaxServer


class DropsEditsDuringCycle(ModelAdapter):
    """Breaks SYNC-3: an edit made while a cycle is under way is acknowledged but lost."""

    def apply(self, op: Operation) -> Result:
        device = self.system.devices.get(op.get("device", ""))
        in_cycle = (
            device is not None
            and device.in_flight is not None
            and op["kind"] in ("create", "update", "delete")
        )
        before = len(device.outbox) if device is not None else 0
        result = super().apply(op)
        if in_cycle and device is not None and len(device.outbox) > before:
            device.outbox.pop()
        return result


class MalformedObservation(ModelAdapter):
    """Breaks the protocol, not a rule: reports the pending count as a string."""

    def observe(self):  # type: ignore[no-untyped-def]
        observation = super().observe()
        for device in observation["devices"].values():
            device["pending"] = str(device["pending"])  # type: ignore[typeddict-item]
        return observation


class ClientWinsOnly(ModelAdapter):
    """A correct implementation that declares no ``server_wins`` and no ``hierarchy``."""

    capabilities = frozenset({"field_security", "multiple_devices_per_user", "restart"})

    def setup(self, world):  # type: ignore[no-untyped-def]
        assert world["conflict_policy"] == "client_wins", "a server_wins world was generated"
        assert not world["hierarchy"]["enabled"], "a hierarchy world was generated"
        super().setup(world)


class _CountsApplies(ModelAdapter):
    """Breaks on its ``AT``-th ``apply`` of a test case (the model answers the others)."""

    AT = 15

    def __init__(self) -> None:
        super().__init__()
        self.applied = 0

    def apply(self, op: Operation) -> Result:
        self.applied += 1
        if self.applied == self.AT:
            self.fault()
        return super().apply(op)

    def fault(self) -> None:
        raise NotImplementedError


class HangsOnApply(_CountsApplies):
    """An in-process adapter that never answers (a deadlock, say)."""

    def fault(self) -> None:
        import time

        while True:
            time.sleep(60)


class RaisesOnApply(_CountsApplies):
    """An in-process adapter whose code raises (a bug of the IUT's own, not of the rules)."""

    def fault(self) -> None:
        raise KeyError("row n7 not in the store")


def raising_factory() -> ModelAdapter:
    """A factory that cannot make an adapter (a licence server down, say)."""
    raise ConnectionError("licence server unreachable")


def not_an_adapter() -> object:
    """A factory that returns something that is not an adapter."""
    return {"setup": None}


class _Killed(BaseException):  # noqa: N818 (like the sample's app being killed)
    pass


class RaisesBaseExceptionOnApply(_CountsApplies):
    """An in-process adapter whose code raises a ``BaseException`` of its own (an app-kill
    signal that escaped its handler): never a pass."""

    def fault(self) -> None:
        raise _Killed("the app was killed")
