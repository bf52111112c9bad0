"""The adapter driving the sample implementation for the conformance engine."""

from __future__ import annotations

import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import httpx

from conformance.iut.adapter import Adapter
from implementations.sample.device.client import Device
from implementations.sample.device.link import DirectLink, HttpLink, ServerLink, answer
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.service import Service

CAPABILITIES = frozenset(
    {
        "server_wins",
        "hierarchy",
        "field_security",
        "multiple_devices_per_user",
        "restart",
        "faults",
        "crash_faults",
        "server_restart",
        "position_hierarchy",
        "teams",
        "append",
        "offline_operations",
        "profile_membership",
        "related_rows",
        "sync_error_retry",
    }
)
SERVER_KINDS = frozenset(
    {
        "assign_role",
        "remove_role",
        "set_depth",
        "share",
        "unshare",
        "set_manager",
        "move_user",
        "reassign",
        "server_create",
        "server_update",
        "server_delete",
        "set_position",
        "move_position",
        "add_member",
        "remove_member",
        "assign_team_role",
        "remove_team_role",
        "share_team",
        "unshare_team",
        "grant_profile",
        "revoke_profile",
    }
)
DEVICE_KINDS = frozenset(
    {"create", "update", "delete", "read", "sync_start", "sync_end", "restart", "retry", "dismiss"}
)
Json = dict[str, Any]


class SampleAdapter:
    """In-process by default (the device links call the service layer); with ``base_url`` it
    talks to the server's HTTP app there: a running server, or, with ``transport``, the app
    called in-process (``asgi_factory``).

    Device databases are ``:memory:`` unless ``device_files``: then each device has its own
    SQLite file in a temporary directory (removed at ``close``), and a restart closes the
    connection and opens the file again.

    The three classes are the parts of the implementation; a variant of it (a mutant of the
    zoo in ``implementations/mutants``) passes subclasses that change one behaviour.
    """

    capabilities = CAPABILITIES

    def __init__(
        self,
        base_url: str | None = None,
        admin_token: str | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        service_class: type[Service] = Service,
        device_class: type[Device] = Device,
        store_class: type[DeviceStore] = DeviceStore,
        device_files: bool = False,
    ) -> None:
        self.base_url, self.admin_token, self.transport = base_url, admin_token, transport
        self.service_class, self.device_class = service_class, device_class
        self.store_class, self.device_files = store_class, device_files
        self.service: Service | None = None
        self.client: httpx.Client | None = None
        self.devices: dict[str, Device] = {}
        self.paths: dict[str, str] = {}
        self.directory: str | None = None

    def setup(self, world: Any) -> None:
        self.close()
        tokens: dict[str, str] = {}
        if self.base_url is None:
            self.service = self.service_class()
            self.service.load_world(world)  # the server checks the world first (WORLD-1)
        else:
            self.client = httpx.Client(base_url=self.base_url, timeout=30, transport=self.transport)
            tokens = self._admin("POST", "/admin/world", world)["tokens"]
        links: dict[str, ServerLink] = {}
        users = {d["id"]: d["user"] for d in world["devices"]}
        for dev, user in users.items():
            if self.service is not None:
                links[dev] = DirectLink(self.service, dev, user)
            else:
                assert self.client is not None
                links[dev] = HttpLink(self.client, tokens[dev], user)
        if self.device_files:
            self.directory = tempfile.mkdtemp(prefix="offsync-sample-")
        for number, dev in enumerate(sorted(users)):
            if self.directory is not None:  # device ids are any strings: files are numbered
                self.paths[dev] = os.path.join(self.directory, f"device-{number}.sqlite")
            device = self.device_class(
                dev, links[dev], self.store_class(self.paths.get(dev, ":memory:"))
            )
            device.sign_in()
            self.devices[dev] = device

    def _admin(self, method: str, path: str, body: Any = None) -> Any:
        assert self.client is not None
        headers = {"Authorization": f"Bearer {self.admin_token}"}
        return answer(self.client.request(method, path, json=body, headers=headers))

    def apply(self, op: Any) -> Any:
        kind = op.get("kind")
        if kind in SERVER_KINDS:
            if self.service is not None:
                return self.service.event(op)
            return self._admin("POST", "/admin/events", op)
        if kind == "server_restart":
            self._restart_server()
            return {"status": "accepted"}
        device = self.devices.get(op.get("device", ""))
        if kind not in DEVICE_KINDS or device is None:
            return {"status": "refused", "reason": "invalid"}
        fault = op.get("fault")
        if fault is not None and kind in ("sync_start", "sync_end"):
            return self._faulty_step(device, kind, fault)
        if kind == "sync_start":
            return device.sync_start()
        if kind == "sync_end":
            return device.sync_end()
        if kind == "restart":
            return self._restart(device).restart()
        if kind == "retry":
            return device.retry(op)
        if kind == "dismiss":
            return device.dismiss(op)
        return device.local(op)

    def _faulty_step(self, device: Device, kind: str, fault: str) -> Any:
        """A cycle step that a fault breaks (FAULT-1 to FAULT-5). The network's faults are
        injected into the device's link (the request, or its answer, is dropped); a server
        restart restarts the server and loses the request it was handling; a crash kills the
        app while it stores the download."""
        allowed = {
            "sync_start": ("request_lost", "response_lost", "server_restart"),
            "sync_end": ("download_lost", "server_restart", "crash"),
        }
        if fault not in allowed[kind]:
            return {"status": "refused", "reason": "invalid"}
        if fault == "crash":
            return self._crash_while_storing(device)
        if fault == "server_restart":
            self._restart_server()
            fault = "request_lost"  # it died before it committed or answered
        elif fault == "download_lost":
            fault = "response_lost"  # the acknowledgement and download never come back
        device.link.fault = fault
        try:
            return device.sync_start() if kind == "sync_start" else device.sync_end()
        finally:
            device.link.fault = None  # a step refused before it called the server

    def _crash_while_storing(self, device: Device) -> Any:
        """FAULT-4: the app is killed in the middle of storing a download: what it had not
        committed is gone (SQLite rolls it back), and the app starts again on its database."""

        def killed() -> None:
            raise _AppKilled

        device.crash_point = killed  # type: ignore[method-assign]
        try:
            return device.sync_end()  # refused before it stored anything (idle)
        except _AppKilled:
            if device.store.db.in_transaction:
                device.store.db.execute("ROLLBACK")
            self._restart(device).restart()
            return {"status": "refused", "reason": "crashed"}
        finally:
            del device.crash_point  # the instance's own; the class's does nothing

    def _restart_server(self) -> None:
        """FAULT-5: the server process ends and starts again on its database."""
        if self.service is not None:
            self.service.restart()
        else:
            self._admin("POST", "/admin/restart")

    def _restart(self, device: Device) -> Device:
        """The app process ends and starts again: only what the device's database holds
        survives, and a new ``Device`` is built on it."""
        fresh = self.device_class(device.id, device.link, device.store.reopened())
        self.devices[device.id] = fresh
        return fresh

    def observe(self) -> Any:
        if self.service is not None:
            server = self.service.server_rows()
        else:
            server = self._admin("GET", "/admin/rows")
        return {
            "devices": {d: dev.observe() for d, dev in sorted(self.devices.items())},
            "server": server,
        }

    def close(self) -> None:
        for device in self.devices.values():
            device.store.close()
        self.devices, self.paths = {}, {}
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None
        if self.service is not None:
            self.service.db.close()
            self.service = None
        if self.client is not None:
            self.client.close()
            self.client = None


class _AppKilled(BaseException):  # noqa: N818 (not an error: the app's process ends)
    """The app is killed: nothing after this runs in it."""


def factory() -> Adapter:
    """``--iut implementations.sample.adapter:factory`` (in-process)."""
    return SampleAdapter()


def asgi_factory() -> Adapter:
    """``--iut implementations.sample.adapter:asgi_factory``: the whole HTTP app (routes,
    tokens, body schemas, JSON) called in-process through an ASGI transport, no socket."""
    import secrets

    from implementations.sample.asgi_transport import SyncASGITransport
    from implementations.sample.server.app import build_app

    token = secrets.token_hex(16)
    app = build_app(Service(), token)
    return SampleAdapter("http://sample.invalid", token, transport=SyncASGITransport(app))


def file_factory() -> Adapter:
    """``--iut implementations.sample.adapter:file_factory``: in-process, each device on its
    own SQLite file; a restart closes the file and opens it again."""
    return SampleAdapter(device_files=True)


_SERVER: tuple[str, str] | None = None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a function for the server's process to call before it starts, so that the
    kernel ends it when the process that started it dies, however that dies (SIGKILL leaves
    no chance to stop it). None elsewhere."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    parent, pr_set_pdeathsig = os.getpid(), 1

    def arm() -> None:
        prctl(pr_set_pdeathsig, signal.SIGKILL)  # nobody is left to wait for it
        if os.getppid() != parent:  # the parent died before the call
            os._exit(1)

    return arm


def _start_server(db: str = ":memory:", wait_s: float = 20.0) -> tuple[str, str]:
    """Start the server over the SQLite database ``db`` on a free loopback port (stopped when
    this process exits); its URL and admin token once it answers ``/health``."""
    import secrets

    port, token = _free_port(), secrets.token_hex(16)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "implementations.sample.server.app",
            "--port",
            str(port),
            "--db",
            db,
        ],
        env={**os.environ, "SAMPLE_ADMIN_TOKEN": token},
        preexec_fn=_die_with_parent(),
    )
    atexit.register(_stop, proc)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(
                f"the sample HTTP server exited with code {proc.returncode} before answering "
                f"on {url}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return url, token
        except httpx.HTTPError:
            time.sleep(0.05)
    _stop(proc)
    raise RuntimeError(f"the sample HTTP server did not answer on {url}/health in {wait_s:.0f} s")


def http_factory() -> Adapter:
    """``--iut implementations.sample.adapter:http_factory``: one uvicorn server, reused."""
    global _SERVER
    if _SERVER is None:
        _SERVER = _start_server()
    return SampleAdapter(*_SERVER)
