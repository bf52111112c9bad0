"""Blame for sync errors: wrong open errors after a cycle name VALID-2 (an earlier error
dropped, left over, or recorded twice), a retry uploaded under its old operation id names
VALID-5, and a wrong answer or state after a retry or dismiss names VALID-5."""

from __future__ import annotations

from typing import Any

from conformance.engine.compare import blame
from conformance.engine.explain import explain_errors, explain_upload
from models import ModelSystem
from models.server import Change
from tests.models.helpers import (
    BOB,
    account,
    create,
    ok,
    retry,
    set_depth,
    sync,
    sync_end,
    sync_start,
    system,
    update,
)

REVOKE_WRITE = set_depth("salesperson", "account", "write", "none")
RESTORE_WRITE = set_depth("salesperson", "account", "write", "user")


def _errors(s: ModelSystem) -> list[Any]:
    return [dict(e) for e in s.devices[BOB].errors]


def _two_cycles() -> tuple[ModelSystem, list[Change]]:
    """An error of a first cycle still open, and a second cycle (ended) that rejected a
    create: the model's state and the second cycle's batch."""
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, create(BOB, "account", "acc-west", account(), "op-2"), sync_start(BOB))
    batch = list(s.devices[BOB].in_flight or [])
    ok(s, sync_end(BOB))
    assert [e["op_id"] for e in s.devices[BOB].errors] == ["op-1", "op-2"]
    return s, batch


def test_an_earlier_error_dropped_at_the_next_cycle_names_valid_2() -> None:
    s, batch = _two_cycles()
    expected = _errors(s)
    assert explain_errors(s, BOB, expected, expected[1:], batch) == ["VALID-2"]


def test_an_error_left_over_names_valid_2() -> None:
    s, batch = _two_cycles()
    expected = _errors(s)
    leftover = {**expected[0], "op_id": "op-0"}
    assert explain_errors(s, BOB, expected, [leftover, *expected], batch) == ["VALID-2"]


def test_an_error_recorded_twice_names_valid_2_first() -> None:
    s, batch = _two_cycles()
    expected = _errors(s)
    rules = explain_errors(s, BOB, expected, [*expected, expected[1]], batch)
    assert rules[0] == "VALID-2" and "SYNC-5" in rules


def test_wrong_values_in_an_error_of_the_batch_name_valid_2() -> None:
    s, batch = _two_cycles()
    expected = _errors(s)
    wrong = {**expected[1], "values": {}}
    assert explain_errors(s, BOB, expected, [expected[0], wrong], batch) == ["VALID-2"]


def test_a_retry_failed_again_under_its_old_operation_id_names_valid_5() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, retry(BOB, "op-1", "op-2"), sync_start(BOB))
    batch = list(s.devices[BOB].in_flight or [])
    assert batch[0].retry_of == "op-1"
    ok(s, sync_end(BOB))
    expected = _errors(s)
    old_id = [{**expected[0], "op_id": "op-1"}]
    assert explain_errors(s, BOB, expected, old_id, batch)[0] == "VALID-5"


def test_a_retry_not_applied_on_the_server_names_valid_5() -> None:
    s = system()
    ok(s, REVOKE_WRITE, update(BOB, "account", "acc-east", {"revenue": 1}, "op-1"))
    sync(s, BOB)
    ok(s, RESTORE_WRITE, retry(BOB, "op-1", "op-2"), sync_start(BOB))
    assert explain_upload(s, BOB, "acc-east")[0] == "VALID-5"


def test_differences_after_a_retry_or_dismiss_name_valid_5() -> None:
    refused = {"status": "refused", "reason": "not_found"}
    accepted = {"status": "accepted"}
    for kind in ("retry", "dismiss"):
        assert blame(kind, "/result", accepted, refused, ())[0] == "VALID-5"
        assert blame(kind, "/devices/d0/errors", [], [{}], ())[0] == "VALID-5"
        assert blame(kind, "/devices/d0/pending", 1, 0, ())[0] == "VALID-5"
    assert blame("retry", "/devices/d0/rows/account/a1", {}, "<missing>", ()) == ["VALID-5"]
    assert blame("restart", "/devices/d0/errors", [{}], [], ())[0] == "SYNC-8"
