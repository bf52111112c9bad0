"""Comparing an implementation's answers with the model's, and naming the rules concerned."""

from __future__ import annotations

from typing import Any

from conformance.reporting.counterexample import MISSING, Mismatch
from models.records import DEVICE_EDIT_KINDS, ERROR_KINDS, SERVER_KINDS

_EDIT = DEVICE_EDIT_KINDS
_LOCAL = (*DEVICE_EDIT_KINDS, "read")
#: the rule a local refusal's reason of the offline profile points to first
_LOCAL_REASON_RULES = {"not_offline": "PROFILE-2", "not_supported_offline": "PROFILE-6"}
#: a retry or dismiss of an open sync error (VALID-5)
_ERROR_ACTIONS = ERROR_KINDS
_EVENTS = SERVER_KINDS
#: the rule a fault's difference concerns first, by (step, fault)
_FAULT_RULES = {
    ("sync_start", "request_lost"): ["FAULT-1"],
    ("sync_start", "response_lost"): ["FAULT-2"],
    ("sync_start", "server_restart"): ["FAULT-1", "FAULT-5"],
    ("sync_end", "download_lost"): ["FAULT-3"],
    ("sync_end", "server_restart"): ["FAULT-3", "FAULT-5"],
    ("sync_end", "crash"): ["FAULT-4", "SYNC-8"],
}
_SECURITY = (
    "SEC-1",
    "SEC-2",
    "SEC-3",
    "SEC-4",
    "SEC-5",
    "SEC-7",
    "SEC-8",
    "SEC-9",
    "SEC-10",
    "SEC-11",
    "SEC-12",
    "WORLD-2",
)


def first_difference(expected: Any, actual: Any, path: str = "") -> tuple[str, Any, Any] | None:
    """The first place where two JSON values differ, as (path, expected, actual); keys are
    visited in sorted order so the answer is deterministic. None when they are equal."""
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in sorted(set(expected) | set(actual), key=str):
            sub = f"{path}/{key}"
            if key not in actual:
                return sub, expected[key], MISSING
            if key not in expected:
                return sub, MISSING, actual[key]
            found = first_difference(expected[key], actual[key], sub)
            if found:
                return found
        return None
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            found = first_difference(e, a, f"{path}/{i}")
            if found:
                return found
        return None
    if expected == actual and type(expected) is type(actual):
        return None
    if _number(expected) and _number(actual) and expected == actual:
        return None
    return path or "/", expected, actual


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


Candidates = tuple[list[str], list[str]]


def _candidates(
    kind: str, where: str, expected: Any, actual: Any, exercised: tuple[str, ...]
) -> Candidates:
    """The rules a difference in ``where`` after an operation of ``kind`` concerns: those named
    whatever happened, and those named only when the model exercised them in the step. A
    cycle step with a fault is ``sync_start:FAULT`` / ``sync_end:FAULT``."""
    if ":" in kind or kind == "server_restart":  # whatever differs, the fault's rule first
        step, _, fault = kind.partition(":")
        return _FAULT_RULES.get((step, fault), ["FAULT-5"]), ["SYNC-8", "SYNC-5", "SYNC-1"]
    if kind in _ERROR_ACTIONS and where in ("result", "errors", "pending", "rows"):
        # what a retry or dismiss answers and leaves: VALID-5 (a retry shows at once, SYNC-6)
        return ["VALID-5"], ["SYNC-7", "SYNC-1", "SYNC-6"]
    # a device without Read on the offline profile (PROFILE-8) has no tables, views or rows,
    # and refuses every local operation: whatever differs there, that rule first
    membership = "PROFILE-8" in exercised and (
        where in ("views", "metadata_tables", "rows") or (where == "result" and kind in _LOCAL)
    )
    if membership:
        return ["PROFILE-8"], ["PROFILE-1", "PROFILE-2", "PROFILE-4", "STALE-4", "DEVICE-1"]
    if where == "result":
        reason, other = reason_of(expected), reason_of(actual)
        if kind in _LOCAL and reason is None and other in _LOCAL_REASON_RULES:
            # refused for a reason of the profile when the model accepted it
            return [_LOCAL_REASON_RULES[other], "DEVICE-1"], ["PROFILE-8"]
        if kind == "read":
            if reason is None and other is not None:  # refused where the model answered:
                return ["DEVICE-1", "SYNC-6"], []  # the decision, not what a read shows
            return (["PROFILE-2"] if reason else ["SYNC-6"]), ["DEVICE-1"]
        if kind in _EDIT:
            first = {"invalid": "WORLD-3", "not_found": "DEVICE-1", **_LOCAL_REASON_RULES}
            if reason is not None and other is not None:  # refused, for another reason
                if "not_supported_offline" in (reason, other):  # checked in the wrong place
                    return ["PROFILE-6", "DEVICE-1"], []
                return [], ["SEC-6", "DEVICE-1", first.get(reason, "STALE-1")]
            if reason == "privilege" or other == "privilege":  # explained by the engine
                return [], ["STALE-1", "SEC-6", "SEC-11", "SEC-9", "SEC-3", "SYNC-7", "DEVICE-1"]
            if reason is not None:
                return [first.get(reason, "DEVICE-1"), "DEVICE-1"], ["SEC-3"]
            return ["DEVICE-1"], ["SYNC-7", "WORLD-4"]
        if kind in ("sync_start", "sync_end"):
            return ["SYNC-3"], []
        if kind == "restart":
            return ["SYNC-8"], []
        return [], ["EVENT-2", "EVENT-1"]
    if where == "views":
        return ["PROFILE-3"], []
    if where == "metadata_tables":
        return [], ["PROFILE-4", "PROFILE-1"]
    if where == "in_cycle":
        return ["SYNC-3"], ["SYNC-8"]
    during_cycle = "SYNC-7" in exercised  # the step was a local operation during a cycle
    if where == "pending":
        if kind == "restart":
            return ["SYNC-8"], []
        if kind == "sync_end":  # explained by the engine (edits made during the cycle?)
            return [], ["SYNC-1", "SYNC-3"]
        if kind in _EDIT and during_cycle:
            return ["SYNC-3", "SYNC-1"], []
        return ["SYNC-1"], ["SYNC-3", "SYNC-5"]
    if where == "errors":
        if kind == "sync_end":  # explained by the engine
            return [], [
                "VALID-2",
                "VALID-3",
                "CONFLICT-3",
                "SEC-7",
                "SEC-11",
                "SEC-12",
                "SYNC-2",
                "SYNC-5",
            ]
        if kind == "restart":  # the open errors are kept (SYNC-8)
            return ["SYNC-8", "VALID-2"], []
        return ["VALID-2"], []
    if where == "rows":
        if kind in _EVENTS:  # a server-side event changed what the device shows: which way?
            return (["STALE-2"] if expected == MISSING else ["STALE-3"]), []
        if kind in _EDIT:
            return (["SYNC-3", "SYNC-6"] if during_cycle else ["SYNC-6"]), ["DEVICE-1"]
        if kind == "restart":
            return ["SYNC-8"], []
        if kind == "sync_start":
            return ["SYNC-3"], ["SYNC-6"]
        return [], [
            "SYNC-4",
            "STALE-4",
            "PROFILE-5",
            "PROFILE-7",
            *_SECURITY,
            "CONFLICT-2",
            "SYNC-5",
        ]
    if where == "server":
        if kind in _EVENTS:
            return [], ["EVENT-1", "EVENT-2", "WORLD-2"]
        if kind == "sync_start":
            return [], [
                "SYNC-5",
                "CONFLICT-3",
                "CONFLICT-2",
                "SEC-7",
                *_SECURITY,
                "SYNC-2",
                "VALID-1",
                "VALID-3",
                "CONFLICT-1",
            ]
        if kind in _EDIT:
            return ["SYNC-1"], []
        return ["SYNC-5"], ["VALID-1"]
    return ["DEVICE-1"], []


def reason_of(result: Any) -> str | None:
    """The ``reason`` of a refused result, or None."""
    return result.get("reason") if isinstance(result, dict) else None


def blame(
    kind: str,
    path: str,
    expected: Any,
    actual: Any,
    exercised: tuple[str, ...],
    hint: list[str] | None = None,
) -> list[str]:
    """Name the rules a mismatch concerns, the most specific first: the rules always named for
    that observation after that kind of operation, then ``hint`` (the engine's row-level
    explanation, when it has one), then the candidates the model exercised in the step. Never
    empty."""
    parts = path.strip("/").split("/")
    where = parts[2] if parts[0] == "devices" and len(parts) >= 3 else parts[0]
    always, maybe = _candidates(kind, where, expected, actual, exercised)
    named: list[str] = []
    for rule in [*always, *(hint or []), *(r for r in maybe if r in exercised)]:
        if rule not in named:
            named.append(rule)
    return named or maybe[:1] or ["DEVICE-1"]


class ConformanceFailure(AssertionError):
    """The implementation disagreed with the model; carries the minimal program."""

    def __init__(self, mismatch: Mismatch) -> None:
        super().__init__(mismatch.describe())
        self.mismatch = mismatch
