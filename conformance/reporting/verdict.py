"""The verdict and the counts of a report, in one line each (the terminal, summary.md and
report.html say the same)."""

from __future__ import annotations

from typing import Any

STATUSES = (
    "passed",
    "partially_exercised",
    "failed",
    "error",
    "not_applicable",
    "not_exercised",
)
VERDICTS = ("pass", "fail", "error")
#: family outcomes that mean it ran to its end (a failure ends a family's search, on purpose)
FINISHED = ("passed", "failed")


def counts_line(report: dict[str, Any]) -> str:
    """``38 passed, 1 partially exercised, 0 failed, 0 error, 0 not applicable, 0 not
    exercised``."""
    s = report["summary"]
    return ", ".join(f"{s[status]} {status.replace('_', ' ')}" for status in STATUSES)


def verdict_line(report: dict[str, Any]) -> str:
    """``PASS``, ``FAIL``, or ``ERROR`` with what was not finished; with expectations, the
    expected failures it passed with."""
    verdict = str(report["verdict"]).upper()
    if report["interrupted"]:
        return f"{verdict} (incomplete: {report['interrupted']})"
    unfinished = [f["name"] for f in report["families"] if f["outcome"] not in FINISHED]
    if unfinished:
        return f"{verdict} (incomplete: {', '.join(unfinished)} did not run to the end)"
    expected = [r["id"] for r in report["rules"] if r.get("expected") and r["status"] == "failed"]
    if expected:
        return f"{verdict} (with {len(expected)} expected failure(s): {', '.join(expected)})"
    return verdict
