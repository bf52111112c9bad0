"""The sample's sync errors: open across cycles with their values and operation ids (VALID-2),
retried and dismissed (VALID-5), kept in the device's store through a restart (SYNC-8)."""

from __future__ import annotations

from typing import Any

import pytest

from implementations.sample.adapter import SampleAdapter
from models.examples import sample_world

BOB = "bob-phone"
ACCEPTED = {"status": "accepted"}
REVOKE_WRITE = {
    "kind": "set_depth",
    "role": "salesperson",
    "table": "account",
    "privilege": "write",
    "depth": "none",
}
RESTORE_WRITE = {**REVOKE_WRITE, "depth": "user"}
EDIT = {
    "kind": "update",
    "device": BOB,
    "table": "account",
    "row": "acc-east",
    "values": {"revenue": 1},
    "op_id": "op-1",
}
ERROR = {
    "table": "account",
    "row": "acc-east",
    "op": "update",
    "reason": "privilege",
    "values": {"revenue": 1},
    "op_id": "op-1",
}


def _ok(iut: SampleAdapter, *ops: dict[str, Any]) -> None:
    for op in ops:
        assert iut.apply(op) == ACCEPTED, op


def _sync(iut: SampleAdapter) -> None:
    _ok(iut, {"kind": "sync_start", "device": BOB}, {"kind": "sync_end", "device": BOB})


def _bob(iut: SampleAdapter) -> Any:
    return iut.observe()["devices"][BOB]


def _rejected(device_files: bool = False) -> SampleAdapter:
    iut = SampleAdapter(device_files=device_files)
    iut.setup(sample_world())
    _ok(iut, REVOKE_WRITE, EDIT)
    _sync(iut)
    assert _bob(iut)["errors"] == [ERROR]
    return iut


def test_an_error_stays_open_across_cycles_once() -> None:
    iut = _rejected()
    try:
        _sync(iut)
        _sync(iut)
        assert _bob(iut)["errors"] == [ERROR]
    finally:
        iut.close()


def test_a_retry_with_the_privilege_back_is_applied_and_closes_the_error() -> None:
    iut = _rejected()
    try:
        _ok(iut, RESTORE_WRITE, {"kind": "retry", "device": BOB, "error": "op-1", "op_id": "op-2"})
        assert _bob(iut)["errors"] == [] and _bob(iut)["pending"] == 1
        _sync(iut)
        assert iut.observe()["server"]["acc-east"]["values"]["revenue"] == 1
        assert _bob(iut)["errors"] == []
    finally:
        iut.close()


def test_a_retry_without_the_privilege_fails_again_under_the_new_id() -> None:
    iut = _rejected()
    try:
        _ok(iut, {"kind": "retry", "device": BOB, "error": "op-1", "op_id": "op-2"})
        _sync(iut)
        assert _bob(iut)["errors"] == [{**ERROR, "op_id": "op-2"}]
    finally:
        iut.close()


@pytest.mark.parametrize(
    ("op", "reason"),
    [
        ({"kind": "dismiss", "device": BOB, "error": "op-9"}, "not_found"),
        ({"kind": "retry", "device": BOB, "error": "op-9", "op_id": "op-2"}, "not_found"),
        ({"kind": "retry", "device": BOB, "error": "op-1", "op_id": "op-1"}, "invalid"),
        ({"kind": "retry", "device": BOB, "error": "op-1", "op_id": ""}, "invalid"),
    ],
)
def test_refused_retries_and_dismisses_change_nothing(op: dict[str, Any], reason: str) -> None:
    iut = _rejected()
    try:
        assert iut.apply(op) == {"status": "refused", "reason": reason}
        assert _bob(iut)["errors"] == [ERROR] and _bob(iut)["pending"] == 0
    finally:
        iut.close()


def test_errors_and_their_changes_survive_a_restart_of_the_app() -> None:
    iut = _rejected(device_files=True)
    try:
        _ok(iut, {"kind": "restart", "device": BOB})
        assert _bob(iut)["errors"] == [ERROR]
        _ok(iut, RESTORE_WRITE, {"kind": "retry", "device": BOB, "error": "op-1", "op_id": "op-2"})
        _ok(iut, {"kind": "restart", "device": BOB})
        assert _bob(iut)["pending"] == 1 and _bob(iut)["errors"] == []
        _sync(iut)
        assert iut.observe()["server"]["acc-east"]["values"]["revenue"] == 1
    finally:
        iut.close()


def test_dismiss_during_a_cycle_closes_only_that_error() -> None:
    iut = SampleAdapter()
    try:
        iut.setup(sample_world())
        second = {**EDIT, "values": {"revenue": 2}, "op_id": "op-3"}
        _ok(iut, REVOKE_WRITE, EDIT, second)
        _sync(iut)
        _ok(iut, {"kind": "sync_start", "device": BOB})
        _ok(iut, {"kind": "dismiss", "device": BOB, "error": "op-1"})
        assert _bob(iut)["errors"] == [{**ERROR, "values": {"revenue": 2}, "op_id": "op-3"}]
    finally:
        iut.close()
