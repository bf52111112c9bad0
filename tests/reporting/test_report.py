"""How a report turns family outcomes into rule statuses and a verdict: never ``passed`` for
what did not run to its end, and the same story in report.json, JUnit and summary.md."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from typing import Any

from conformance.iut.schemas import problem
from conformance.reporting.counterexample import Mismatch
from conformance.reporting.report import build, junit, summary
from conformance.reporting.stats import FamilyStats, RunError
from models.examples import sample_world
from models.rules import ALL_CAPABILITIES, CLAUSES, RULES

FOCUS = {"outbox": ("SYNC",), "profile": ("PROFILE",), "broad": ("SYNC", "PROFILE", "SEC")}


def stats(
    family: str, outcome: str = "passed", clauses: dict[str, int] | None = None, **hits: int
) -> FamilyStats:
    found = FamilyStats(
        family,
        outcome=outcome,
        hits=Counter({k.replace("_", "-"): v for k, v in hits.items()}) + Counter(clauses),
    )
    found.capabilities = ALL_CAPABILITIES
    if outcome == "error":
        found.message = f"{family}: the implementation broke"
        found.error = RunError(found.message, "apply", ["panic"], 3, sample_world(), [])
    return found


def report_of(
    families: list[FamilyStats], planned: dict[str, Any] | None = None, **kw: Any
) -> dict[str, Any]:
    built = build(
        families,
        iut="x",
        profile="dev",
        seed=1,
        capabilities=kw.pop("capabilities", ALL_CAPABILITIES),
        started="2026-12-02T10:00:00+00:00",
        finished="2026-12-02T10:01:00+00:00",
        duration_s=1.0,
        planned=planned if planned is not None else {f.family: FOCUS[f.family] for f in families},
        **kw,
    )
    assert problem("report", built) is None
    return built


def status(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["rules"]}


def test_a_rule_touched_only_by_a_family_that_errored_is_an_error() -> None:
    report = report_of([stats("outbox", "error", SYNC_1=5), stats("profile", PROFILE_1=3)])
    s = status(report)
    assert s["SYNC-1"] == "error" and s["PROFILE-1"] == "passed"
    assert s["SYNC-2"] == "error"  # outbox is about SYNC rules: it could have checked it
    assert s["SEC-1"] == "not_exercised"  # no planned family is about it, nothing reached it
    cause = next(r["error"] for r in report["rules"] if r["id"] == "SYNC-1")
    assert cause == {"family": "outbox", "message": "outbox: the implementation broke"}
    assert report["verdict"] == "error" and not report["complete"]


def test_a_rule_a_finished_family_checked_is_passed_even_if_another_broke() -> None:
    report = report_of([stats("outbox", "error", SYNC_1=5), stats("broad", SYNC_1=9)])
    assert status(report)["SYNC-1"] == "passed"
    assert report["verdict"] == "error"  # but the run is still not a pass


def test_a_planned_family_that_never_ran_is_not_run_and_its_rules_are_errors() -> None:
    report = report_of(
        [stats("profile", PROFILE_1=3)],
        planned={"profile": FOCUS["profile"], "outbox": FOCUS["outbox"]},
        interrupted="interrupted by SIGTERM",
    )
    outcomes = {f["name"]: f["outcome"] for f in report["families"]}
    assert outcomes == {"profile": "passed", "outbox": "not_run"}
    assert {v for k, v in status(report).items() if k.startswith("SYNC-")} == {"error"}
    assert report["interrupted"] == "interrupted by SIGTERM" and report["verdict"] == "error"


def test_a_failure_is_a_fail_even_when_the_run_also_broke() -> None:
    failed = stats("profile", "failed", PROFILE_3=2)
    failed.mismatch = Mismatch("profile", sample_world(), [], -1, ["PROFILE-3"], "/x", 1, 2)
    report = report_of([failed, stats("outbox", "error", SYNC_1=1)])
    assert status(report)["PROFILE-3"] == "failed"
    assert report["verdict"] == "fail"


def test_an_iut_that_never_started_leaves_every_rule_unchecked() -> None:
    broke = [stats(name, "error") for name in ("broad",)]
    report = report_of(broke, capabilities=None)
    assert set(status(report).values()) <= {"error", "not_exercised"}
    assert report["capabilities"] is None and report["summary"]["passed"] == 0


def test_a_clean_run_passes_everywhere() -> None:
    hits = {r.replace("-", "_"): 1 for r in RULES}
    report = report_of([stats("broad", clauses=dict.fromkeys(CLAUSES, 1), **hits)])
    assert report["verdict"] == "pass" and report["complete"]
    assert set(status(report).values()) == {"passed"}
    assert summary(report).startswith("# offsync conformance report: PASS\n")
    root = ET.fromstring(junit(report))
    assert not root.findall(".//error") and not root.findall(".//failure")


def test_junit_and_summary_tell_errors_from_failures() -> None:
    report = report_of([stats("outbox", "error", SYNC_1=5), stats("profile", PROFILE_1=3)])
    root = ET.fromstring(junit(report))
    errors = root.findall(".//error")
    assert errors and not root.findall(".//failure")
    names = {
        case.get("name") for case in root.findall(".//testcase") if case.find("error") is not None
    }
    assert "outbox" in names  # the family that did not finish is a test case in error
    assert any(n.startswith("SYNC-1 ") for n in names if n)
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert suites["SYNC"].get("errors") == str(sum(r.startswith("SYNC-") for r in RULES))
    text = summary(report)
    assert text.startswith(
        "# offsync conformance report: ERROR (incomplete: outbox did not run to the end)"
    )
    assert "| SYNC-1 | Durable ordered outbox; pending count | **ERROR** |" in text
    assert "## Not checked to the end" in text and "panic" in text


def test_a_rule_with_a_clause_never_reached_is_partially_exercised_and_names_it() -> None:
    hits = {r.replace("-", "_"): 1 for r in RULES}
    reached = {c: 3 for c in CLAUSES if c != "VALID-3.conflict"}
    report = report_of([stats("broad", clauses=reached, **hits)])
    rule = next(r for r in report["rules"] if r["id"] == "VALID-3")
    assert rule["status"] == "partially_exercised"
    assert rule["missing_clauses"] == ["VALID-3.conflict"]
    assert rule["clauses"]["VALID-3.privilege"] == 3 and rule["clauses"]["VALID-3.conflict"] == 0
    assert report["summary"]["partially_exercised"] == 1 and report["verdict"] == "pass"
    assert "1 partially exercised" in summary(report)
    assert "- VALID-3: not_found 3, id_exists 3, privilege 3, conflict 0" in (summary(report))
    case = next(
        c
        for c in ET.fromstring(junit(report)).iter("testcase")
        if c.get("name", "").startswith("VALID-3 ")
    )
    assert case.findtext("system-out") == "clauses not reached: VALID-3.conflict"
    # without server_wins the conflict clause is not applicable: the rule passes
    report = report_of(
        [stats("broad", clauses=reached, **hits)], capabilities=ALL_CAPABILITIES - {"server_wins"}
    )
    rule = next(r for r in report["rules"] if r["id"] == "VALID-3")
    assert rule["status"] == "passed" and "VALID-3.conflict" not in rule["clauses"]


def test_a_clause_reached_only_by_a_family_that_broke_does_not_count() -> None:
    hits = {r.replace("-", "_"): 1 for r in RULES}
    everything = dict.fromkeys(CLAUSES, 1)
    broke = stats("outbox", "error", clauses={"SEC-1.organization": 4})
    report = report_of(
        [stats("broad", clauses={**everything, "SEC-1.organization": 0}, **hits), broke]
    )
    rule = next(r for r in report["rules"] if r["id"] == "SEC-1")
    assert rule["status"] == "partially_exercised"
    assert rule["missing_clauses"] == ["SEC-1.organization"]
