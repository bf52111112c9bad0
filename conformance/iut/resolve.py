"""Choosing the implementation under test from an ``--iut`` string."""

from __future__ import annotations

import atexit
import importlib
from dataclasses import dataclass

from conformance.iut.adapter import ALL_CAPABILITIES, Adapter, AdapterFactory
from models.records import Observation, Operation, Result, WorldSpec

#: The IUT when none is named: the bundled sample implementation, in-process.
DEFAULT_IUT = "implementations.sample.adapter:factory"
EXEC_PREFIX = "exec:"


class IUTSpecError(ValueError):
    """An ``--iut`` value that names nothing usable; the message says what and why."""


@dataclass(frozen=True)
class IUT:
    spec: str
    factory: AdapterFactory
    capabilities: frozenset[str]


def resolve(spec: str | None) -> IUT:
    """``module:callable`` (a factory returning a fresh adapter) or ``exec:COMMAND`` (a
    JSON-lines subprocess, see conformance/iut/protocol/README.md). None means DEFAULT_IUT."""
    spec = spec or DEFAULT_IUT
    if spec.startswith(EXEC_PREFIX):
        command = spec[len(EXEC_PREFIX) :].strip()
        if not command:
            raise IUTSpecError(f"--iut {spec!r}: no command after 'exec:'")
        factory: AdapterFactory = _PooledSubprocess(command)
    else:
        module_name, sep, attr = spec.partition(":")
        if not sep or not module_name or not attr:
            raise IUTSpecError(f"--iut {spec!r}: expected 'module:factory' or 'exec:COMMAND'")
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            raise IUTSpecError(f"--iut {spec!r}: cannot import {module_name!r}: {exc}") from exc
        try:
            found = getattr(module, attr)
        except AttributeError as exc:
            raise IUTSpecError(f"--iut {spec!r}: {exc}") from exc
        if not callable(found):
            raise IUTSpecError(f"--iut {spec!r}: {module_name}.{attr} is not a callable factory")
        factory = found
    probe = factory()
    try:
        if not isinstance(probe, Adapter):
            raise IUTSpecError(
                f"--iut {spec!r}: the factory returned {type(probe).__name__}, which lacks "
                "setup/apply/observe/close/capabilities"
            )
        capabilities = frozenset(probe.capabilities)
    finally:
        probe.close()
    unknown = capabilities - ALL_CAPABILITIES
    if unknown:
        raise IUTSpecError(f"--iut {spec!r}: unknown capabilities {sorted(unknown)}")
    return IUT(spec, factory, capabilities)


class _SharedChild:
    """One subprocess reused by every test case (``setup`` resets it): starting a process per
    example would cost more than the example."""

    def __init__(self, adapter: Adapter) -> None:
        self._adapter = adapter
        self.capabilities = adapter.capabilities

    def setup(self, world: WorldSpec) -> None:
        self._adapter.setup(world)

    def apply(self, op: Operation) -> Result:
        return self._adapter.apply(op)

    def observe(self) -> Observation:
        return self._adapter.observe()

    def close(self) -> None:
        """The child stays up for the next test case; it ends with the Python process."""


class _PooledSubprocess:
    def __init__(self, command: str) -> None:
        self.command = command
        self._child: Adapter | None = None

    def __call__(self) -> Adapter:
        from conformance.iut.subprocess_adapter import SubprocessAdapter

        if self._child is None:
            child = SubprocessAdapter(self.command)
            self._child = child
            atexit.register(child.close)
        return _SharedChild(self._child)
