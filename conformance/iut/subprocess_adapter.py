"""An adapter that drives an implementation under test in a child process, over JSON lines.

The child reads one request per line on its stdin and writes exactly one response per line on
its stdout (the protocol is described in ``conformance/iut/protocol/README.md``; the reference model
speaks it in ``conformance/iut/model_server.py``). Whatever the child writes on stderr is kept (the
last lines) and shown in error messages.

The round trip is kept cheap: the request goes out with one ``write`` on the pipe, and the
response is read straight from the pipe's file descriptor with ``poll`` bounding the wait (no
thread hand-off per call). Both pipe ends are non-blocking, so neither a child that stops reading
nor one that stops writing can make a call wait longer than ``timeout``.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import select
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import IO, Any, Final, cast

from conformance.iut.adapter import ALL_CAPABILITIES, AdapterError
from models.records import Observation, Operation, Result, WorldSpec

#: how many of the child's last stderr lines are kept for error messages
STDERR_LINES: Final = 50
#: how long ``close`` waits for the child's answer to ``close`` and then for it to exit
CLOSE_GRACE: Final = 2.0
_READ_CHUNK: Final = 1 << 16
#: a response line longer than this is refused (a child that writes without end would
#: otherwise fill the memory before the timeout): far above any observation of a small world
MAX_LINE_BYTES: Final = 64 << 20
_STDERR_LINE_LIMIT: Final = 2000
_POLL_IN: Final = select.POLLIN | select.POLLPRI | select.POLLHUP | select.POLLERR
_POLL_OUT: Final = select.POLLOUT | select.POLLHUP | select.POLLERR


_ENCODER: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _dumps(message: Mapping[str, Any]) -> bytes:
    return (_ENCODER.encode(message) + "\n").encode("utf-8")


def _parent_death_signal() -> Callable[[], None] | None:
    """On Linux, a function for the child to call between fork and exec so that the kernel
    kills it when the process that started it dies, however that dies (even SIGKILL, which
    leaves no chance to clean up). None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def die_with_parent() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the call: nobody will wait
            os._exit(1)

    return die_with_parent


def _stderr_line(raw: bytes) -> str:
    text = raw[:_STDERR_LINE_LIMIT].decode("utf-8", errors="replace").rstrip("\r")
    return text + "..." if len(raw) > _STDERR_LINE_LIMIT else text


def _short(data: bytes, limit: int = 200) -> str:
    text = data.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


class SubprocessAdapter:
    """Runs ``command`` as a child process and speaks the JSON-lines protocol with it.

    ``command`` is an argument list, or a string split with :func:`shlex.split` (no shell).
    ``timeout`` bounds every call, in seconds. The child is started and greeted with ``hello``
    at construction, which sets ``name`` and ``capabilities``. Any broken exchange (the child
    exited or closed its stdout, an answer that is not JSON or has the wrong shape or id, a
    timeout) raises :class:`AdapterError` and leaves the adapter unusable until ``close``; an
    ``error`` response raises :class:`AdapterError` with the child's message and the adapter
    stays usable.
    """

    capabilities: frozenset[str]
    name: str

    def __init__(
        self,
        command: list[str] | str,
        *,
        timeout: float = 30.0,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
    ) -> None:
        argv = shlex.split(command) if isinstance(command, str) else list(command)
        if not argv:
            raise AdapterError("subprocess adapter: empty command", method="hello")
        self.command: tuple[str, ...] = tuple(argv)
        self.timeout = timeout
        self._next_id = 0
        self._buffer = bytearray()
        self._broken: str | None = None
        self._closed = False
        self._stderr: deque[str] = deque(maxlen=STDERR_LINES)
        try:
            # Its own process group, so that ``close`` ends whatever it started too, and a
            # death signal, so that it ends with this process even when this one is killed.
            self._process: subprocess.Popen[bytes] = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                bufsize=0,
                env=env,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=_parent_death_signal(),
            )
        except FileNotFoundError as exc:
            raise AdapterError(
                f"cannot start {shlex.join(argv)}: no such command ({exc.strerror})",
                method="hello",
            ) from exc
        except OSError as exc:
            raise AdapterError(
                f"cannot start {shlex.join(argv)}: {exc.strerror or exc}", method="hello"
            ) from exc
        stdin, stdout, stderr = self._process.stdin, self._process.stdout, self._process.stderr
        assert stdin is not None and stdout is not None and stderr is not None
        self._in_fd = stdin.fileno()
        self._out_fd = stdout.fileno()
        os.set_blocking(self._in_fd, False)
        os.set_blocking(self._out_fd, False)
        self._out_poll = select.poll()
        self._out_poll.register(self._out_fd, _POLL_IN)
        self._in_poll = select.poll()
        self._in_poll.register(self._in_fd, _POLL_OUT)
        self._stderr_thread = threading.Thread(
            target=self._drain_stderr,
            args=(stderr,),
            name=f"stderr of {argv[0]} (pid {self._process.pid})",
            daemon=True,
        )
        self._stderr_thread.start()
        try:
            self.name, self.capabilities = self._hello()
        except BaseException:
            self.close()
            raise

    # --- the adapter protocol ---------------------------------------------------------------

    def setup(self, world: WorldSpec) -> None:
        self._call("setup", {"world": world})

    def apply(self, op: Operation) -> Result:
        return cast(Result, self._call_object("apply", {"operation": op}))

    def observe(self) -> Observation:
        return cast(Observation, self._call_object("observe", {}))

    def close(self) -> None:
        """Ask the child to close, wait briefly for it to exit, then terminate or kill it.
        Calling it again does nothing."""
        if self._closed:
            return
        self._closed = True
        process = self._process
        answered = False
        if self._broken is None and process.poll() is None:
            try:
                self._call("close", {}, timeout=min(self.timeout, CLOSE_GRACE))
                answered = True
            except AdapterError:
                pass
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass
        # A child that answered ``close`` gets time to exit; a broken one does not.
        try:
            process.wait(timeout=CLOSE_GRACE if answered else 0.1)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGTERM)
            try:
                process.wait(timeout=CLOSE_GRACE)
            except subprocess.TimeoutExpired:
                self._signal_group(signal.SIGKILL)
                process.wait()
        # Whatever the child started in its group goes with it (a server it spawned, say).
        self._signal_group(signal.SIGKILL)
        # The reader ends at the end of stderr; a grandchild may still hold the pipe open.
        self._stderr_thread.join(timeout=0.5)

    def _signal_group(self, signum: int) -> None:
        """Send ``signum`` to the child's process group (the child leads it)."""
        try:
            os.killpg(self._process.pid, signum)
        except (ProcessLookupError, PermissionError):
            pass

    def __enter__(self) -> SubprocessAdapter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- introspection ----------------------------------------------------------------------

    @property
    def process(self) -> subprocess.Popen[bytes]:
        """The child process (its pipes belong to the adapter)."""
        return self._process

    @property
    def broken(self) -> str | None:
        """Why the exchange broke (the adapter is unusable), or None while it works."""
        return self._broken

    def stderr_tail(self) -> list[str]:
        """The last lines the child wrote on stderr (at most ``STDERR_LINES``)."""
        return list(self._stderr)

    def __repr__(self) -> str:
        command = shlex.join(self.command)
        if len(command) > 80:
            command = command[:77] + "..."
        return f"SubprocessAdapter({command!r}, pid={self._process.pid})"

    # --- the exchange -----------------------------------------------------------------------

    def _hello(self) -> tuple[str, frozenset[str]]:
        result = self._call("hello", {})
        if not isinstance(result, dict):
            raise self._fail("hello", f"the result is not an object: {result!r}")
        name, capabilities = result.get("name"), result.get("capabilities")
        if not isinstance(name, str):
            raise self._fail("hello", f"the result's 'name' is not a string: {name!r}")
        if not isinstance(capabilities, list) or not all(isinstance(c, str) for c in capabilities):
            raise self._fail(
                "hello", f"the result's 'capabilities' is not a list of strings: {capabilities!r}"
            )
        unknown = sorted(set(capabilities) - ALL_CAPABILITIES)
        if unknown:
            raise self._fail(
                "hello",
                f"unknown capabilities {unknown} (known: {sorted(ALL_CAPABILITIES)})",
            )
        return name, frozenset(capabilities)

    def _call_object(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        result = self._call(method, params)
        if not isinstance(result, dict):
            raise self._fail(method, f"the result is not an object: {result!r:.200}")
        return result

    def _call(self, method: str, params: dict[str, Any], timeout: float | None = None) -> Any:
        """Send one request and return the result of its response."""
        if self._broken is not None:
            raise self._error(
                method, f"the adapter is unusable after an earlier failure: {self._broken}"
            )
        if self._closed and method != "close":
            raise self._error(method, "the adapter is closed")
        request_id = self._next_id
        self._next_id += 1
        try:
            data = _dumps({"id": request_id, "method": method, "params": params})
        except (TypeError, ValueError) as exc:
            raise self._error(method, f"the request is not valid JSON: {exc}") from exc
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        self._send(method, data, deadline, limit)
        line = self._receive_line(method, deadline, limit)
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self._fail(
                method,
                f"the response is not valid UTF-8 (byte {line[exc.start]:#04x} at offset "
                f"{exc.start}): {_short(line)}",
            ) from None
        try:
            response = json.loads(text)
        except ValueError:
            raise self._fail(
                method,
                f"the response is not JSON: {_short(line)} (stdout carries responses only; "
                "write logs to stderr)",
            ) from None
        if not isinstance(response, dict):
            raise self._fail(method, f"the response is not a JSON object: {_short(line)}")
        if response.get("id") != request_id or isinstance(response.get("id"), bool):
            raise self._fail(
                method, f"the response has id {response.get('id')!r}, expected {request_id}"
            )
        has_result, has_error = "result" in response, "error" in response
        if has_result == has_error:
            raise self._fail(
                method,
                "the response has both 'result' and 'error'"
                if has_result
                else "the response has neither 'result' nor 'error'",
            )
        if has_error:
            error = response["error"]
            message = error.get("message") if isinstance(error, dict) else None
            if not isinstance(message, str):
                raise self._fail(method, f"malformed error in the response: {error!r}")
            raise self._error(method, f"the implementation answered with an error: {message}")
        return response["result"]

    def _send(self, method: str, data: bytes, deadline: float, limit: float) -> None:
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._in_fd, view)
            except BlockingIOError:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._in_poll.poll(remaining * 1000):
                    raise self._fail(
                        method,
                        f"timed out after {limit:g} s writing the request "
                        "(the child is not reading its stdin)",
                    ) from None
                continue
            except OSError as exc:
                if exc.errno not in (errno.EPIPE, errno.EBADF, errno.EINVAL):
                    raise
                raise self._gone(method, "the child closed its stdin") from None
            view = view[written:]

    def _receive_line(self, method: str, deadline: float, limit: float) -> bytes:
        buffer = self._buffer
        scanned = 0
        while True:
            end = buffer.find(b"\n", scanned)
            if end >= 0:
                line = bytes(buffer[:end])
                del buffer[: end + 1]
                return line
            scanned = len(buffer)
            if scanned > MAX_LINE_BYTES:
                raise self._fail(
                    method,
                    f"the response line is longer than {MAX_LINE_BYTES} bytes without an end: "
                    f"{_short(bytes(buffer[:200]))}",
                )
            # Wait first: the answer is rarely there already, and a failed read costs more.
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._out_poll.poll(remaining * 1000):
                raise self._fail(method, f"timed out after {limit:g} s waiting for the response")
            try:
                chunk = os.read(self._out_fd, _READ_CHUNK)
            except BlockingIOError:
                continue
            if not chunk:
                what = "the child closed its stdout"
                if buffer:
                    what += f" after an unterminated line {_short(bytes(buffer))}"
                raise self._gone(method, what)
            buffer += chunk

    # --- errors -----------------------------------------------------------------------------

    def _error(self, method: str, what: str) -> AdapterError:
        return AdapterError(what, method=method, stderr=self.stderr_tail(), source=repr(self))

    def _fail(self, method: str, what: str) -> AdapterError:
        """A broken exchange: the adapter cannot be used any more."""
        self._broken = f"method {method!r}: {what}"
        return self._error(method, what)

    def _gone(self, method: str, what: str) -> AdapterError:
        """The child went away: wait a moment for its exit status and its last stderr."""
        try:
            code = self._process.wait(timeout=0.5)
            what += f" (it exited with status {code})"
        except subprocess.TimeoutExpired:
            what += " (it is still running)"
        self._stderr_thread.join(timeout=0.5)
        return self._fail(method, what)

    def _drain_stderr(self, stderr: IO[bytes]) -> None:
        """The reader thread: keep the child's last stderr lines (each cut to a sane length)."""
        fd = stderr.fileno()
        partial = b""
        try:
            while chunk := os.read(fd, _READ_CHUNK):
                lines = (partial + chunk).split(b"\n")
                partial = lines.pop()[-_STDERR_LINE_LIMIT:]
                for raw in lines[-STDERR_LINES:]:
                    self._stderr.append(_stderr_line(raw))
            if partial:
                self._stderr.append(_stderr_line(partial))
        except OSError:
            pass
        finally:
            stderr.close()


def factory_for(
    command: str,
    *,
    timeout: float = 30.0,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
) -> Callable[[], SubprocessAdapter]:
    """An adapter factory for the engine: each call starts a fresh ``command`` (split with
    :func:`shlex.split`)."""

    def factory() -> SubprocessAdapter:
        return SubprocessAdapter(command, timeout=timeout, env=env, cwd=cwd)

    factory.__doc__ = f"SubprocessAdapter({command!r})"
    return factory
