"""FAULT-1..5: a cycle step that the network, the app or the server breaks loses nothing and
applies nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from tests.models.helpers import (
    ACCEPTED,
    BOB,
    TABLET,
    error,
    errors,
    ok,
    pending,
    refused,
    server_values,
    set_depth,
    shown,
    sync,
    sync_end,
    sync_start,
    system,
    update,
)

REVOKE_WRITE = set_depth("salesperson", "account", "write", "none")


def faulty(op: dict[str, Any], fault: str) -> dict[str, Any]:
    return {**op, "fault": fault}


def state(s: Any, device: str) -> Any:
    return s.observe()["devices"][device]


@pytest.mark.rule("FAULT-1")
@pytest.mark.parametrize("fault", ["request_lost", "server_restart"])
def test_a_lost_upload_changes_nothing_and_keeps_everything_pending(fault: str) -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    before_server = s.observe()["server"]
    assert s.apply(faulty(sync_start(BOB), fault)) == refused("network")
    assert s.observe()["server"] == before_server
    assert pending(s, BOB) == 1 and not state(s, BOB)["in_cycle"]
    assert s.apply(sync_start(BOB)) == ACCEPTED  # no cycle was left under way
    ok(s, sync_end(BOB))
    assert server_values(s, "acc-east")["revenue"] == 7 and pending(s, BOB) == 0


@pytest.mark.rule("FAULT-2", "SYNC-5")
def test_an_upload_applied_without_an_answer_is_applied_once_and_its_errors_come_later() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    ok(s, REVOKE_WRITE)
    ok(s, update(BOB, "account", "acc-east", {"revenue": 8}, "op-2"))  # STALE-1: allowed here
    ok(s, set_depth("salesperson", "account", "write", "user"))
    assert s.apply(faulty(sync_start(BOB), "response_lost")) == refused("network")
    assert server_values(s, "acc-east")["revenue"] == 8  # applied, answer lost
    assert pending(s, BOB) == 2 and not state(s, BOB)["in_cycle"]
    ok(s, {"kind": "server_update", "row": "acc-east", "values": {"revenue": 9}})
    sync(s, BOB)  # uploaded again under the same ids: applied once, not over the server's 9
    assert server_values(s, "acc-east")["revenue"] == 9
    assert errors(s, BOB) == [] and pending(s, BOB) == 0


@pytest.mark.rule("FAULT-2", "VALID-2")
def test_a_rejection_whose_answer_was_lost_is_reported_at_the_next_cycle() -> None:
    s = system()
    ok(s, REVOKE_WRITE)
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    assert s.apply(faulty(sync_start(BOB), "response_lost")) == refused("network")
    ok(s, set_depth("salesperson", "account", "write", "user"))  # now it would pass...
    sync(s, BOB)  # ...but the server answers with the first outcome
    assert errors(s, BOB) == [error("account", "acc-east", "update", "privilege")]


@pytest.mark.rule("FAULT-3")
@pytest.mark.parametrize("fault", ["download_lost", "server_restart"])
def test_a_lost_download_changes_nothing_on_the_device(fault: str) -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    ok(s, sync_start(BOB))
    ok(s, update(BOB, "task", "task-east", {"done": True}, "op-2"))  # during the cycle
    ok(s, {"kind": "server_update", "row": "con-east", "values": {"fullname": "New"}})
    before = state(s, BOB)
    assert s.apply(faulty(sync_end(BOB), fault)) == refused("network")
    after = state(s, BOB)
    assert after["rows"] == before["rows"] and after["errors"] == before["errors"]
    assert not after["in_cycle"] and after["pending"] == 2  # the batch back, in front
    assert shown(s, BOB, "contact")["con-east"]["fullname"] != "New"  # no half download
    sync(s, BOB)
    assert pending(s, BOB) == 0 and shown(s, BOB, "contact")["con-east"]["fullname"] == "New"


@pytest.mark.rule("FAULT-4", "SYNC-8")
def test_an_app_killed_while_storing_the_download_is_as_a_restart_before_it() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    ok(s, sync_start(BOB))
    before = state(s, BOB)
    assert s.apply(faulty(sync_end(BOB), "crash")) == refused("crashed")
    after = state(s, BOB)
    assert after["rows"] == before["rows"] and after["pending"] == 1 and not after["in_cycle"]
    sync(s, BOB)
    assert server_values(s, "acc-east")["revenue"] == 7 and pending(s, BOB) == 0


@pytest.mark.rule("FAULT-5")
def test_a_server_restart_keeps_what_it_committed_and_a_cycle_goes_on() -> None:
    s = system()
    ok(s, update(BOB, "account", "acc-east", {"revenue": 7}, "op-1"))
    ok(s, sync_start(BOB))
    ok(s, update(TABLET, "account", "acc-east", {"revenue": 8}, "op-2"))
    before = s.observe()
    assert s.apply({"kind": "server_restart"}) == ACCEPTED
    assert "FAULT-5" in s.last_rules
    assert s.observe() == before
    ok(s, sync_end(BOB))
    assert "FAULT-5" in s.last_rules
    assert server_values(s, "acc-east")["revenue"] == 7 and pending(s, BOB) == 0
    ok(s, sync_start(BOB))  # the op log survived: op-1 is not applied again over op-2's 8
    ok(s, sync_end(BOB))
    sync(s, TABLET)
    assert server_values(s, "acc-east")["revenue"] == 8


@pytest.mark.rule("FAULT-1", "FAULT-3")
def test_faults_out_of_turn_and_unknown_faults() -> None:
    s = system()
    assert s.apply(faulty(sync_end(BOB), "download_lost")) == refused("idle")
    ok(s, sync_start(BOB))
    assert s.apply(faulty(sync_start(BOB), "request_lost")) == refused("busy")
    assert s.apply(faulty(sync_end(BOB), "request_lost")) == refused("invalid")
    assert s.apply(faulty(sync_start(TABLET), "crash")) == refused("invalid")
    assert state(s, BOB)["in_cycle"]
