"""Hypothesis properties of the reference model itself, on generated worlds and operations."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.engine.strategies import operation_lists, server_operations, worlds
from models import ModelSystem, run
from models.profile import device_tables, passes_filter
from models.records import Operation, WorldSpec
from models.security import row_rights
from models.world import build_world

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def world_and_ops(draw: st.DrawFn, max_size: int = 30) -> tuple[WorldSpec, list[Operation]]:
    world = draw(worlds())
    return world, draw(operation_lists(world, max_size=max_size))


def sync(system: ModelSystem, device: str) -> None:
    system.apply({"kind": "restart", "device": device})
    assert system.apply({"kind": "sync_start", "device": device})["status"] == "accepted"
    assert system.apply({"kind": "sync_end", "device": device})["status"] == "accepted"


def independent_projection(system: ModelSystem, device: str) -> dict[str, dict[str, object]]:
    """The rows a device must show after converging, computed from the security functions
    directly rather than through the server's download."""
    world, server = system.world, system.server
    user = world.devices[device]
    if user not in server.directory.profile_members:  # no Read on the profile: PROFILE-8
        return {}
    expected: dict[str, dict[str, object]] = {t: {} for t in sorted(device_tables(world))}
    related: dict[str, str] = {}  # readable rows of "related" tables (PROFILE-7) -> table
    for rid, row in server.rows.items():
        if (
            row.table in expected
            and passes_filter(world, server.directory, user, world.profile[row.table], row.owner)
            and "read" in row_rights(world, server.directory, user, row.table, rid, row.owner)
        ):
            if world.profile[row.table] == "related":
                related[rid] = row.table
            else:
                expected[row.table][rid] = row.values

    def joined(a: str, b: str) -> bool:
        """Whether a lookup of row ``a`` names row ``b`` in the lookup's target table."""
        ra, rb = server.rows[a], server.rows[b]
        lookups = world.tables[ra.table].lookups.items()
        return a != b and any(ra.values.get(c) == b and t == rb.table for c, t in lookups)

    grown = True
    while grown:  # to a fixed point, one pass over every pair at a time
        held = [r for rows in expected.values() for r in rows]
        grown = False
        for rid, table in related.items():
            if rid not in expected[table] and any(joined(rid, h) or joined(h, rid) for h in held):
                expected[table][rid] = server.rows[rid].values
                grown = True
    return expected


@pytest.mark.rule("WORLD-1")
@SETTINGS
@given(worlds())
def test_generated_worlds_are_well_formed(world: WorldSpec) -> None:
    build_world(world)


@pytest.mark.rule("WORLD-4", "DEVICE-1", "EVENT-1")
@SETTINGS
@given(world_and_ops())
def test_runs_are_deterministic_and_json_serialisable(case: tuple[WorldSpec, list[Operation]]):
    world, ops = case
    first = run(copy.deepcopy(world), copy.deepcopy(ops))
    assert run(copy.deepcopy(world), copy.deepcopy(ops)) == first
    assert json.loads(json.dumps(first)) == first


@pytest.mark.rule("STALE-1", "SYNC-4")
@SETTINGS
@given(world_and_ops())
def test_observation_reuses_only_what_an_operation_did_not_change(case):
    """``observe`` rebuilds only the parts an operation may change (its device, the server):
    after every operation it equals an observation taken afresh from every part."""
    world, ops = case
    system = ModelSystem(world)
    system.observe()
    for op in ops:
        system.apply(op)
        fresh = {
            "devices": {dev: d.observe() for dev, d in sorted(system.devices.items())},
            "server": system.server.observe(),
        }
        assert system.observe() == fresh, op


@pytest.mark.rule("SYNC-4", "STALE-4", "PROFILE-5", "PROFILE-8")
@SETTINGS
@given(world_and_ops())
def test_completed_cycle_with_nothing_pending_equals_projection(case):
    world, ops = case
    system = ModelSystem(world)
    for op in ops:
        system.apply(op)
    for device in sorted(system.devices):
        sync(system, device)  # uploads whatever was pending
        sync(system, device)  # a cycle that starts with nothing pending
        observed = system.observe()["devices"][device]
        assert observed["pending"] == 0
        assert observed["rows"] == independent_projection(system, device)


@pytest.mark.rule("SYNC-4", "SYNC-5")
@SETTINGS
@given(world_and_ops())
def test_sync_with_empty_outbox_twice_is_idempotent(case):
    world, ops = case
    system = ModelSystem(world)
    for op in ops:
        system.apply(op)
    for device in sorted(system.devices):
        sync(system, device)
        sync(system, device)
        once = system.observe()
        sync(system, device)
        assert system.observe() == once


@pytest.mark.rule("STALE-2", "STALE-3", "EVENT-1")
@SETTINGS
@given(st.data())
def test_server_events_alone_never_change_a_device(data):
    world = data.draw(worlds())
    events = data.draw(st.lists(server_operations(world), max_size=15))
    system = ModelSystem(world)
    before = system.observe()["devices"]
    for event in events:
        system.apply(event)
    assert system.observe()["devices"] == before


@pytest.mark.rule("SYNC-1", "SYNC-3", "SYNC-8")
@SETTINGS
@given(world_and_ops())
def test_every_accepted_edit_is_pending_until_acknowledged(case):
    world, ops = case
    system = ModelSystem(world)
    accepted: dict[str, int] = {d: 0 for d in system.devices}
    for op in ops:
        result = system.apply(op)
        if op["kind"] == "sync_end" and result["status"] == "accepted":
            accepted[op["device"]] = system.observe()["devices"][op["device"]]["pending"]
        elif op["kind"] in ("create", "update", "delete") and result["status"] == "accepted":
            accepted[op["device"]] += 1
    for device, count in accepted.items():
        assert system.observe()["devices"][device]["pending"] == count
