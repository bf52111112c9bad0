"""Choosing the implementation under test from an ``--iut`` string, and starting it.

Two steps, so that a run never starts an IUT more often than it needs:

- ``load`` checks that ``--iut`` names something usable without starting it (a module that
  imports and a callable in it; for ``exec:``, a command that exists). The CLI calls it before
  anything runs, so a typo is a one-line error (``IUTSpecError``).
- ``hello`` starts the IUT once per process (each pytest-xdist worker, or the one process of
  a serial run) and reads its capabilities (``IUTStartError`` when it cannot start); the
  capabilities travel to the report with each family's statistics.

An ``exec:`` IUT is one child process shared by the test cases of a process (``setup``
resets it); a child whose exchange broke is replaced by a fresh one for the next test case.
"""

from __future__ import annotations

import atexit
import importlib
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from conformance.iut.adapter import ALL_CAPABILITIES, Adapter, AdapterError, AdapterFactory
from models.records import Observation, Operation, Result, WorldSpec

#: The IUT when none is named: the bundled sample implementation, in-process.
DEFAULT_IUT = "implementations.sample.adapter:factory"
EXEC_PREFIX = "exec:"
#: seconds one call to the IUT may take (``--timeout``)
DEFAULT_TIMEOUT = 30.0


class IUTSpecError(ValueError):
    """An ``--iut`` value that names nothing usable; the message says what and why."""


class IUTStartError(Exception):
    """The IUT named by ``--iut`` could not start (or greet): the message says why in one
    line; ``cause`` is the adapter's error when there is one (with the child's stderr)."""

    def __init__(self, message: str, cause: AdapterError | None = None) -> None:
        super().__init__(message)
        self.cause = cause


@dataclass
class IUT:
    """A loaded ``--iut``: its ``factory`` makes one adapter per test case."""

    spec: str
    factory: AdapterFactory
    #: per-call timeout in seconds (an ``exec:`` child's own; in-process calls are bounded
    #: by the engine)
    timeout: float = DEFAULT_TIMEOUT

    def close(self) -> None:
        """Stop what this process started for the IUT (an ``exec:`` child)."""
        if isinstance(self.factory, _PooledSubprocess):
            self.factory.close()


def load(spec: str | None, timeout: float = DEFAULT_TIMEOUT) -> IUT:
    """``module:callable`` (a factory returning a fresh adapter) or ``exec:COMMAND`` (a
    JSON-lines subprocess, see conformance/iut/protocol/README.md). None means DEFAULT_IUT.
    Nothing is started; ``IUTSpecError`` names what is wrong."""
    spec = spec or DEFAULT_IUT
    if not timeout > 0:
        raise IUTSpecError(f"the call timeout must be a positive number of seconds, not {timeout}")
    if spec.startswith(EXEC_PREFIX):
        command = spec[len(EXEC_PREFIX) :].strip()
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise IUTSpecError(f"--iut {spec!r}: cannot split the command: {exc}") from None
        if not argv:
            raise IUTSpecError(f"--iut {spec!r}: no command after 'exec:'")
        program = argv[0]
        if "/" in program:
            if not Path(program).is_file():
                raise IUTSpecError(f"--iut {spec!r}: no such file: {program}")
        elif shutil.which(program) is None:
            raise IUTSpecError(f"--iut {spec!r}: no such command on PATH: {program}")
        return IUT(spec, _PooledSubprocess(command, timeout), timeout)
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise IUTSpecError(f"--iut {spec!r}: expected 'module:factory' or 'exec:COMMAND'")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an ImportError, or the module failed while importing
        raise IUTSpecError(
            f"--iut {spec!r}: cannot import {module_name!r}: {type(exc).__name__}: {exc}"
        ) from exc
    try:
        found = getattr(module, attr)
    except AttributeError as exc:
        raise IUTSpecError(f"--iut {spec!r}: {exc}") from exc
    if not callable(found):
        raise IUTSpecError(f"--iut {spec!r}: {module_name}.{attr} is not a callable factory")
    return IUT(spec, found, timeout)


def hello(iut: IUT) -> frozenset[str]:
    """Start the IUT (for ``exec:``, the child that then serves this process's test cases),
    check that it is an adapter, and return its capabilities."""
    try:
        adapter = iut.factory()
    except AdapterError as exc:
        raise IUTStartError(f"--iut {iut.spec!r} could not start: {exc.what}", exc) from exc
    except Exception as exc:
        raise IUTStartError(
            f"--iut {iut.spec!r} could not start: the factory raised {type(exc).__name__}: {exc}"
        ) from exc
    try:
        if not isinstance(adapter, Adapter):
            raise IUTStartError(
                f"--iut {iut.spec!r} could not start: the factory returned "
                f"{type(adapter).__name__}, which lacks setup/apply/observe/close/capabilities"
            )
        declared = adapter.capabilities
        if not isinstance(declared, set | frozenset | list | tuple) or not all(
            isinstance(c, str) for c in declared
        ):
            raise IUTStartError(
                f"--iut {iut.spec!r} could not start: capabilities must be a set of strings, "
                f"not {declared!r:.80}"
            )
        capabilities = frozenset(declared)
    finally:
        try:
            if isinstance(adapter, Adapter):
                adapter.close()
        except Exception as exc:
            raise IUTStartError(
                f"--iut {iut.spec!r} could not start: close() raised {type(exc).__name__}: {exc}"
            ) from exc
    unknown = capabilities - ALL_CAPABILITIES
    if unknown:
        raise IUTStartError(
            f"--iut {iut.spec!r} could not start: unknown capabilities {sorted(unknown)} "
            f"(known: {sorted(ALL_CAPABILITIES)})"
        )
    return capabilities


def resolve(spec: str | None, timeout: float = DEFAULT_TIMEOUT) -> tuple[IUT, frozenset[str]]:
    """``load`` then ``hello``: an IUT and its capabilities (for tools and tests that want
    both at once)."""
    iut = load(spec, timeout)
    return iut, hello(iut)


class SharedChild:
    """One test case's view of a child shared by many (``setup`` resets it; ``close`` leaves
    it running): what ``exec:`` runs give each test case, and what tools that keep one child
    for many examples can wrap it in."""

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
        """The child stays up for the next test case (the pool replaces it if it broke)."""


class _PooledSubprocess:
    """The ``exec:`` factory: one child per process, started on first use (starting a
    process per example would cost more than the example) and replaced when it broke."""

    def __init__(self, command: str, timeout: float) -> None:
        self.command, self.timeout = command, timeout
        self._child: Adapter | None = None
        self._capabilities: frozenset[str] | None = None
        self._registered = False

    def __call__(self) -> Adapter:
        from conformance.iut.subprocess_adapter import SubprocessAdapter

        child = self._child
        if child is not None and isinstance(child, SubprocessAdapter):
            if child.broken is not None or child.process.poll() is not None:
                child.close()  # a broken exchange never serves another test case
                self._child = child = None
        if child is None:
            child = SubprocessAdapter(self.command, timeout=self.timeout)
            if self._capabilities is None:
                self._capabilities = child.capabilities
            elif child.capabilities != self._capabilities:
                declared = sorted(child.capabilities)
                child.close()
                raise AdapterError(
                    f"the restarted child declares capabilities {declared}, the first "
                    f"declared {sorted(self._capabilities)}",
                    method="hello",
                )
            self._child = child
            if not self._registered:
                atexit.register(self.close)
                self._registered = True
        return SharedChild(child)

    def close(self) -> None:
        if self._child is not None:
            self._child.close()
            self._child = None
