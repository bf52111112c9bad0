"""The adapter protocol: how the engine drives an implementation under test (IUT).

An adapter sets up a world, carries out operations (device edits and reads, sync cycle steps,
server-side events) and reports observations, all as the JSON records of ``models.records``.
It also declares which optional parts of SPEC.md it supports; rules that depend on a missing
capability are reported ``not applicable``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from models.records import Observation, Operation, Result, WorldSpec
from models.rules import ALL_CAPABILITIES, CAPABILITY_RULES

#: the optional capabilities (``CAPABILITY_RULES``: each with the rules that need it) are
#: part of the rule catalogue, ``models.rules``
__all__ = [
    "ALL_CAPABILITIES",
    "CAPABILITY_RULES",
    "Adapter",
    "AdapterError",
    "AdapterFactory",
]


class AdapterError(Exception):
    """The adapter broke the protocol (a crash, a malformed answer, a timeout); not a
    conformance failure of the implementation's behaviour. The message names what was wrong.

    ``what`` is that message alone, ``method`` the protocol method that broke (``hello``,
    ``setup``, ``apply``, ``observe``, ``close``) when known, ``stderr`` the last lines the
    implementation wrote on its standard error, when it has one, and ``source`` what broke
    (the child process, say); ``str()`` gives them all."""

    def __init__(
        self,
        what: str,
        *,
        method: str | None = None,
        stderr: Sequence[str] = (),
        source: str | None = None,
    ) -> None:
        self.what, self.method, self.stderr, self.source = what, method, list(stderr), source
        message = what if method is None else f"method {method!r}: {what}"
        if source is not None:
            message = f"{source}: {message}"
        if self.stderr:
            message += "\n--- last lines of the child's stderr ---\n" + "\n".join(self.stderr)
        super().__init__(message)


@runtime_checkable
class Adapter(Protocol):
    """What the engine needs from an implementation under test.

    One adapter instance serves one test case: ``setup`` is called once with the world, then
    ``apply`` and ``observe`` any number of times, then ``close``.
    """

    #: the optional capabilities this implementation supports (a subset of ALL_CAPABILITIES)
    capabilities: frozenset[str]

    def setup(self, world: WorldSpec) -> None:
        """Create the world: server state as given, each device signed in (PROFILE-4)."""

    def apply(self, op: Operation) -> Result:
        """Carry out one operation (a device operation or a server-side event)."""
        ...

    def observe(self) -> Observation:
        """Report every device's observable state and the server's rows."""
        ...

    def close(self) -> None:
        """Release everything the test case used (files, processes, connections)."""


#: Makes a fresh adapter for each test case.
AdapterFactory = Callable[[], Adapter]
