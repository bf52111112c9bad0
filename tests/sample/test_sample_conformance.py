"""The sample implementation against the suite: every family in-process, some through its
HTTP app in-process (ASGI) and over real HTTP, and with each device on its own SQLite file."""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest

from conformance.engine.driver import replay
from conformance.engine.families import FAMILIES, FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterFactory
from conformance.reporting.report import build
from implementations.sample.adapter import (
    SampleAdapter,
    _start_server,
    asgi_factory,
    factory,
    file_factory,
    http_factory,
)
from implementations.sample.device.link import ServerRefused
from models.rules import RULES
from models.scenarios import SCENARIOS
from tests.sample.test_sample_server import WORLD

SEED = 424242


def assert_families_pass(factory: AdapterFactory, *names: str) -> None:
    for name in names:
        stats = run_family(FAMILY_BY_NAME[name], factory, ALL_CAPABILITIES, "dev", SEED)
        assert stats.outcome == "passed" and stats.steps > 100, name


@pytest.mark.rule(*RULES)
def test_sample_in_process_passes_every_family_under_dev() -> None:
    stats = [run_family(f, factory, ALL_CAPABILITIES, "dev", SEED) for f in FAMILIES]
    report = build(
        stats, iut="sample", profile="dev", seed=SEED, capabilities=ALL_CAPABILITIES,
        started="", finished="", duration_s=0.0,
    )  # fmt: skip
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] >= 33


@pytest.mark.rule("SYNC-5", "SYNC-8", "VALID-1", "FAULT-1", "FAULT-2", "FAULT-3", "FAULT-5")
def test_sample_over_http_passes_the_outbox_validation_and_faults_families() -> None:
    """Faults over HTTP: the request or the answer is dropped by the device's link; the
    server restarts through /admin/restart."""
    assert_families_pass(http_factory, "outbox", "validation", "faults")


@pytest.mark.rule("SYNC-5", "VALID-1", "SEC-1", "STALE-1", "FAULT-4")
def test_sample_through_its_http_app_in_process_passes_five_families() -> None:
    """Every call goes through routing, bearer tokens, body schemas and JSON both ways."""
    assert_families_pass(asgi_factory, "outbox", "validation", "security", "staleness", "faults")


@pytest.mark.rule("SYNC-8", "SYNC-5", "SYNC-6", "FAULT-4", "VALID-2", "VALID-5")
def test_sample_on_device_files_passes_the_outbox_broad_faults_and_sync_errors_families() -> None:
    """Restarts here close each device's SQLite file and open it again: only what was
    committed to the file survives (an app killed while storing a download too)."""
    assert_families_pass(file_factory, "outbox", "broad", "faults", "sync_errors")


@pytest.mark.rule("SYNC-8")
def test_device_files_restart_reopens_the_file_and_close_removes_them() -> None:
    adapter = SampleAdapter(device_files=True)
    adapter.setup(copy.deepcopy(WORLD))
    paths = dict(adapter.paths)
    assert sorted(paths) == ["d1", "d2"] and all(os.path.isfile(p) for p in paths.values())
    edit = {"kind": "update", "device": "d1", "table": "note", "row": "n1", "op_id": "o1"}
    assert adapter.apply({**edit, "values": {"title": "b"}})["status"] == "accepted"
    before = adapter.devices["d1"]
    assert adapter.apply({"kind": "restart", "device": "d1"})["status"] == "accepted"
    after = adapter.devices["d1"]
    assert after is not before and after.store is not before.store
    (_, _, opened), *_ = after.store.db.execute("PRAGMA database_list").fetchall()
    assert os.path.samefile(opened, paths["d1"])  # the same file, opened again
    with pytest.raises(Exception, match="closed"):
        before.store.db.execute("SELECT 1")
    seen = adapter.observe()["devices"]["d1"]
    assert seen["pending"] == 1 and seen["rows"]["note"]["n1"] == {"title": "b"}
    directory = adapter.directory
    assert directory is not None
    adapter.close()
    assert not os.path.exists(directory) and adapter.paths == {}


def test_a_server_that_cannot_start_is_reported_with_its_exit_code(tmp_path: Any) -> None:
    unopenable = str(tmp_path / "no-such-directory" / "server.sqlite")
    with pytest.raises(RuntimeError, match=r"exited with code 1 before answering on http://"):
        _start_server(db=unopenable)


def test_a_world_the_server_refuses_is_reported_with_its_field() -> None:
    adapter = asgi_factory()
    broken = copy.deepcopy(WORLD)
    del broken["devices"][0]["user"]
    with pytest.raises(ServerRefused, match=r"POST /admin/world: 422 .*devices/0/user"):
        adapter.setup(broken)
    adapter.close()


@pytest.mark.rule("SEC-5", "SEC-8", "SEC-9", "SEC-10", "SEC-11", "SEC-12")
@pytest.mark.parametrize("make", [factory, asgi_factory], ids=["in-process", "asgi"])
@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_the_documented_scenarios_replay_on_the_sample(scenario: Any, make: Any) -> None:
    """Every step of every documented scenario (the source's examples and the security
    model's) agrees with the model, result and observation."""
    assert replay(scenario.world, scenario.operations, make) is None
