"""The device client survives failures at any point: nothing it accepted is lost and nothing
is applied twice (SYNC-5, SYNC-8).

A generated program of local edits, sync starts and ends and app restarts runs on a device
whose SQLite file is real, twice: once undisturbed, once with one call to the server failing,
either before the server sees it (the request is lost) or after the server has handled it (the
answer is lost). After the failure either the app dies (its database file is closed and opened
again by a new client, which restarts) or the user simply goes on. Both runs then finish with
complete cycles; the server must end in the same state, version clock included (an operation
applied twice would move it), and the device must show the same rows with nothing pending."""

from __future__ import annotations

import copy
import os
import tempfile
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from implementations.sample.device.client import Device
from implementations.sample.device.link import DirectLink
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.service import Service
from tests.sample.test_sample_server import WORLD

Json = dict[str, Any]
ROWS = ["n1", "n2", "n3"]  # n1 exists (ann's); n2 and n3 only when created


class LinkFailure(ConnectionError):
    """The injected failure."""


class FlakyLink:
    """A ``DirectLink`` whose ``fail_at``-th call (counted once armed) fails: before the server
    sees it, or, with ``after``, once the server has handled it."""

    def __init__(self, inner: DirectLink, fail_at: int | None, after: bool) -> None:
        self.inner, self.fail_at, self.after = inner, fail_at, after
        self.calls: int | None = None  # not counting until armed (sign-in is not disturbed)

    def _call(self, name: str, *args: Any) -> Any:
        if self.calls is not None:
            self.calls += 1
        failing = self.calls is not None and self.calls == self.fail_at
        if failing and not self.after:
            raise LinkFailure(f"{name}: request lost")
        result = getattr(self.inner, name)(*args)
        if failing:
            raise LinkFailure(f"{name}: answer lost")
        return result

    def metadata(self) -> Json:
        return self._call("metadata")  # type: ignore[no-any-return]

    def upload(self, changes: list[Json]) -> list[Json | None]:
        return self._call("upload", changes)  # type: ignore[no-any-return]

    def download(self) -> Json:
        return self._call("download")  # type: ignore[no-any-return]


titles = st.text(alphabet="abc", min_size=1, max_size=3)
steps = st.one_of(
    st.tuples(st.sampled_from(["create", "update"]), st.sampled_from(ROWS), titles),
    st.tuples(st.just("delete"), st.sampled_from(ROWS), st.just("")),
    st.tuples(st.sampled_from(["sync_start", "sync_end", "restart"]), st.just(""), st.just("")),
)
programs = st.lists(steps, min_size=1, max_size=12)


def _reopened(device: Device) -> Device:
    """The app ends and starts again on the same file; the new client restarts (SYNC-8)."""
    fresh = Device(device.id, device.link, device.store.reopened())
    assert fresh.restart()["status"] == "accepted"
    return fresh


def _step(device: Device, number: int, step: tuple[str, str, str]) -> Device:
    kind, row, title = step
    if kind == "restart":
        return _reopened(device)
    if kind == "sync_start":
        device.sync_start()
    elif kind == "sync_end":
        device.sync_end()
    else:
        values = {"title": title} if kind != "delete" else {}
        op = {"kind": kind, "device": "d1", "table": "note", "row": row, "op_id": f"o{number}"}
        device.local({**op, "values": values})
    return device


def run(
    program: list[tuple[str, str, str]],
    fail_at: int | None = None,
    after: bool = False,
    app_dies: bool = True,
) -> tuple[Json, int]:
    """The program's end state: the server's rows, versions and clock, the device's rows and
    pending count (after finishing with complete cycles); and how many calls the program's
    own steps made to the server (those that ``fail_at`` may pick)."""
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "device.sqlite")
        service = Service()
        service.load_world(copy.deepcopy(WORLD))
        link = FlakyLink(DirectLink(service, "d1", "ann"), fail_at, after)
        device = Device("d1", link, DeviceStore(path))
        device.sign_in()
        link.calls = 0
        failures = 0
        for number, step in enumerate(program):
            try:
                device = _step(device, number, step)
            except LinkFailure:
                failures += 1
                if app_dies:
                    device = _reopened(device)
        calls = link.calls
        assert failures == (1 if fail_at is not None and fail_at <= calls else 0)
        if device.observe()["in_cycle"]:
            device.sync_end()
        device.sync_start()
        device.sync_end()
        seen = device.observe()
        versions = service.db.execute("SELECT id, version FROM rows ORDER BY id").fetchall()
        state = {
            "server": service.server_rows(),
            "versions": versions,
            "clock": service._kv("clock"),
            "applied": service.db.execute("SELECT COUNT(*) FROM applied_ops").fetchone()[0],
            "device": seen["rows"],
            "pending": seen["pending"],
        }
        device.store.close()
        return state, calls


@settings(max_examples=150, deadline=None)
@given(programs, st.data())
def test_a_failure_anywhere_loses_nothing_and_applies_nothing_twice(
    program: list[tuple[str, str, str]], data: st.DataObject
) -> None:
    undisturbed, calls = run(program)
    assert undisturbed["pending"] == 0
    if calls == 0:
        return  # the program never reached the server: nothing to disturb
    fail_at = data.draw(st.integers(1, calls), label="failing call")
    after = data.draw(st.booleans(), label="answer lost (else request lost)")
    app_dies = data.draw(st.booleans(), label="app dies (else the user goes on)")
    disturbed, _ = run(program, fail_at, after, app_dies)
    assert disturbed == undisturbed


def test_an_answer_lost_mid_cycle_is_recovered_by_the_next_cycle() -> None:
    """The worked case: the server applies the batch, the answer is lost, the app dies; the
    next cycle re-sends the batch under the same ids and the server applies nothing again."""
    program = [("update", "n1", "b"), ("create", "n2", "c"), ("sync_start", "", "")]
    undisturbed, calls = run(program)
    assert calls == 1  # the sync start's upload
    disturbed, _ = run(program, fail_at=1, after=True)
    assert disturbed == undisturbed
    assert disturbed["server"]["n2"]["values"] == {"title": "c"}
    assert disturbed["device"]["note"] == {"n1": {"title": "b"}, "n2": {"title": "c"}}
