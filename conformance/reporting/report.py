"""Run reports: ``report.json`` (machine-readable), ``junit.xml`` (one test case per rule and
per family, for CI) and ``summary.md`` (for people, the verdict and the per-rule table first).

A report never calls checked what was not. Each rule is one of ``STATUSES``:

- ``passed``: a family that ran to its end exercised it, and nothing failed on it;
- ``failed``: a family's minimal counterexample names it first;
- ``error``: it could not be checked: every family that touched it (or is about it) stopped
  early, because the implementation broke, hung or was lost, or the run was cut short; the
  rule carries the cause;
- ``not_applicable``: it needs a capability the implementation does not declare;
- ``not_exercised``: the families that ran to their end never reached it.

The verdict is ``pass`` only when no rule failed or errored and every planned family ran to
its end; ``fail`` when a rule failed (a real finding, even if the run also broke); ``error``
otherwise.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from conformance.reporting.stats import FamilyStats
from models.rules import CAPABILITY_RULES, RULES, family_of

FORMAT = "offsync-report/2"
STATUSES = ("passed", "failed", "error", "not_applicable", "not_exercised")
VERDICTS = ("pass", "fail", "error")
#: family outcomes that mean it ran to its end (a failure ends a family's search, on purpose)
FINISHED = ("passed", "failed")


def replay_command(report_path: Path | str, rule: str, iut: str) -> str:
    return f"offsync replay {report_path} {rule} --iut {iut}"


def build(
    families: list[FamilyStats],
    *,
    iut: str,
    profile: str,
    seed: int,
    capabilities: frozenset[str] | None,
    started: str,
    finished: str,
    duration_s: float,
    report_path: Path | str = "report.json",
    planned: Mapping[str, Sequence[str]] | None = None,
    interrupted: str | None = None,
) -> dict[str, Any]:
    """The report of one run, rule by rule.

    ``families`` are the stats received (one per family, parts merged); ``planned`` maps
    every family the run was to check to the rule ID prefixes it is about (a planned family
    with no stats never ran: ``not_run``); ``capabilities`` are the implementation's, None
    when it never started; ``interrupted`` says why the run was cut short, if it was.
    """
    received = {f.family: f for f in families}
    focus = dict(planned) if planned is not None else {f.family: () for f in families}
    runs = [received.get(name) or FamilyStats(name, outcome="not_run") for name in focus]
    runs += [f for f in families if f.family not in focus]
    for run in runs:
        if run.outcome == "not_run" and not run.message:
            run.message = (
                f"{interrupted} before it started" if interrupted else "no result was received"
            )
    missing = (
        {r for cap, rules in CAPABILITY_RULES.items() if cap not in capabilities for r in rules}
        if capabilities is not None
        else set()
    )
    failures: dict[str, dict[str, Any]] = {}
    for fam in runs:
        if fam.mismatch is not None:
            rule = fam.mismatch.rules[0]
            if rule not in failures:
                example = fam.mismatch.to_json()
                example["seed"] = seed
                example["replay"] = replay_command(report_path, rule, iut)
                example["text"] = fam.mismatch.describe(example["replay"])
                failures[rule] = example
    rules = []
    for rule, title in RULES.items():
        done = sum(f.hits[rule] for f in runs if f.outcome in FINISHED)
        stopped = [
            f
            for f in runs
            if f.outcome not in FINISHED
            and (f.hits[rule] > 0 or family_of(rule) in focus.get(f.family, ()))
        ]
        error = None
        if rule in missing:
            status = "not_applicable"
        elif rule in failures:
            status = "failed"
        elif done > 0:
            status = "passed"
        elif stopped:
            status = "error"
            error = {"family": stopped[0].family, "message": stopped[0].message}
        else:
            status = "not_exercised"
        rules.append(
            {
                "id": rule,
                "title": title,
                "family": family_of(rule),
                "status": status,
                "exercised": sum(f.hits[rule] for f in runs),
                "counterexample": failures.get(rule),
                "error": error,
            }
        )
    counts = Counter(r["status"] for r in rules)
    complete = interrupted is None and all(f.outcome in FINISHED for f in runs)
    if counts["failed"]:
        verdict = "fail"
    elif counts["error"] or not complete:
        verdict = "error"
    else:
        verdict = "pass"
    return {
        "format": FORMAT,
        "verdict": verdict,
        "complete": complete,
        "interrupted": interrupted,
        "started": started,
        "finished": finished,
        "duration_s": round(duration_s, 3),
        "iut": iut,
        "profile": profile,
        "seed": seed,
        "capabilities": sorted(capabilities) if capabilities is not None else None,
        "summary": {s: counts.get(s, 0) for s in STATUSES},
        "rules": rules,
        "families": [_family_entry(f) for f in runs],
    }


def _family_entry(f: FamilyStats) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f.family,
        "outcome": f.outcome,
        "examples": f.examples,
        "steps": f.steps,
        "seconds": round(f.seconds, 3),
        "exercised": dict(sorted(f.hits.items())),
    }
    if f.message:
        entry["message"] = f.message
    if f.error is not None:
        entry["error"] = f.error.to_json()
    return entry


def passed(report: dict[str, Any]) -> bool:
    """A run passes when no rule failed or errored and every family ran to its end."""
    return bool(report["verdict"] == "pass")


def counts_line(report: dict[str, Any]) -> str:
    """``38 passed, 0 failed, 0 error, 0 not applicable, 0 not exercised``."""
    s = report["summary"]
    return ", ".join(f"{s[status]} {status.replace('_', ' ')}" for status in STATUSES)


def verdict_line(report: dict[str, Any]) -> str:
    """``PASS``, ``FAIL``, or ``ERROR`` with what was not finished."""
    verdict = str(report["verdict"]).upper()
    if report["interrupted"]:
        return f"{verdict} (incomplete: {report['interrupted']})"
    unfinished = [f["name"] for f in report["families"] if f["outcome"] not in FINISHED]
    if unfinished:
        return f"{verdict} (incomplete: {', '.join(unfinished)} did not run to the end)"
    return verdict


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write report.json, junit.xml and summary.md into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.json", directory / "junit.xml", directory / "summary.md"]
    paths[0].write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    paths[1].write_bytes(junit(report))
    paths[2].write_text(summary(report))
    return paths


def junit(report: dict[str, Any]) -> bytes:
    """JUnit XML: one test suite per rule family, one test case per rule (a failed rule is a
    ``failure``, a rule that could not be checked an ``error``), and a suite ``offsync
    families`` with one test case per family of the run (one that did not run to its end is
    an ``error``), so that an incomplete run is never green."""
    root = ET.Element("testsuites", name="offsync", time=str(report["duration_s"]))
    by_family: dict[str, list[dict[str, Any]]] = {}
    for rule in report["rules"]:
        by_family.setdefault(rule["family"], []).append(rule)
    for family, rules in by_family.items():
        suite = ET.SubElement(
            root,
            "testsuite",
            name=family,
            tests=str(len(rules)),
            failures=str(sum(r["status"] == "failed" for r in rules)),
            errors=str(sum(r["status"] == "error" for r in rules)),
            skipped=str(sum(r["status"] in ("not_applicable", "not_exercised") for r in rules)),
        )
        for rule in rules:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"offsync.{family}",
                name=f"{rule['id']} {rule['title']}",
            )
            if rule["status"] == "failed":
                example = rule["counterexample"]
                opening = example["text"].split("\n\n", 1)[0].replace("\n", " ")
                failure = ET.SubElement(case, "failure", message=opening)
                failure.text = _counterexample_text(example)
            elif rule["status"] == "error":
                cause = rule["error"]
                ET.SubElement(
                    case,
                    "error",
                    message=f"{rule['id']} not checked: family {cause['family']}: "
                    f"{cause['message']}",
                )
            elif rule["status"] == "not_applicable":
                ET.SubElement(case, "skipped", message="not applicable: capability not declared")
            elif rule["status"] == "not_exercised":
                ET.SubElement(case, "skipped", message="not exercised in this run")
    fams = report["families"]
    suite = ET.SubElement(
        root,
        "testsuite",
        name="offsync families",
        tests=str(len(fams)),
        failures=str(sum(f["outcome"] == "failed" for f in fams)),
        errors=str(sum(f["outcome"] not in FINISHED for f in fams)),
    )
    for fam in fams:
        case = ET.SubElement(suite, "testcase", classname="offsync.families", name=fam["name"])
        if fam["outcome"] == "failed":
            ET.SubElement(case, "failure", message=fam.get("message", "failed"))
        elif fam["outcome"] not in FINISHED:
            error = ET.SubElement(
                case, "error", type=fam["outcome"], message=fam.get("message", fam["outcome"])
            )
            error.text = _error_text(fam)
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _error_text(fam: dict[str, Any]) -> str:
    cause = fam.get("error")
    if not cause:
        return str(fam.get("message", ""))
    lines = [cause["message"]]
    if cause.get("method"):
        lines.append(f"method: {cause['method']}")
    if cause.get("operations"):
        lines.append(f"operations before it broke: {len(cause['operations'])}")
    if cause.get("stderr"):
        lines += ["last lines of the implementation's stderr:", *cause["stderr"]]
    return "\n".join(lines)


def _counterexample_text(example: dict[str, Any]) -> str:
    """The counterexample for people (``engine``'s reduced program, told by
    ``reporting.narrative``); the JSON form is in report.json."""
    return str(example["text"])


_MARK = {
    "passed": "passed",
    "failed": "**FAILED**",
    "error": "**ERROR**",
    "not_applicable": "not applicable",
    "not_exercised": "not exercised",
}
_OUTCOME = {
    "passed": "passed",
    "failed": "**failed**",
    "error": "**error**",
    "interrupted": "**interrupted**",
    "not_run": "**not run**",
}


def summary(report: dict[str, Any]) -> str:
    """The human summary: verdict and per-rule table first, then failures, errors and
    families."""
    lines = [
        f"# offsync conformance report: {verdict_line(report)}",
        "",
        f"{counts_line(report)}. IUT `{report['iut']}`, profile `{report['profile']}`"
        f", seed {report['seed']}, {report['duration_s']:.1f} s.",
        "",
        "| Rule | Title | Status | Exercised |",
        "| --- | --- | --- | ---: |",
    ]
    for rule in report["rules"]:
        lines.append(
            f"| {rule['id']} | {rule['title']} | {_MARK[rule['status']]} | {rule['exercised']} |"
        )
    failed = [r for r in report["rules"] if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failures", ""]
        for rule in failed:
            lines += [
                f"### {rule['id']}: {rule['title']}",
                "",
                "```",
                _counterexample_text(rule["counterexample"]),
                "```",
                "",
            ]
    broken = [f for f in report["families"] if f["outcome"] not in FINISHED]
    if broken:
        lines += ["", "## Not checked to the end", ""]
        for fam in broken:
            lines += [f"### family {fam['name']}: {fam['outcome'].replace('_', ' ')}", ""]
            lines += ["```", _error_text(fam), "```", ""]
    lines += [
        "",
        "## Families",
        "",
        "| Family | Outcome | Examples | Steps | Seconds |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for fam in report["families"]:
        lines.append(
            f"| {fam['name']} | {_OUTCOME[fam['outcome']]} | {fam['examples']} | "
            f"{fam['steps']} | {fam['seconds']:.1f} |"
        )
    return "\n".join(lines) + "\n"
