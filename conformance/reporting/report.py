"""Run reports: ``report.json`` (machine-readable), ``junit.xml`` (one test case per rule, for
CI) and ``summary.md`` (for people, the per-rule table first)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.reporting.stats import FamilyStats
from models.rules import CAPABILITY_RULES, RULES, family_of

FORMAT = "offsync-report/1"
STATUSES = ("passed", "failed", "not_applicable", "not_exercised")


def replay_command(report_path: Path | str, rule: str, iut: str) -> str:
    return f"offsync replay {report_path} {rule} --iut {iut}"


def build(
    families: list[FamilyStats],
    *,
    iut: str,
    profile: str,
    seed: int,
    capabilities: frozenset[str],
    started: str,
    finished: str,
    duration_s: float,
    report_path: Path | str = "report.json",
) -> dict[str, Any]:
    """The report of one run, rule by rule.

    A rule is ``not_applicable`` when it needs a capability the IUT does not declare,
    ``failed`` when a family's minimal counterexample names it first, ``not_exercised`` when
    no step of any family exercised it, and ``passed`` otherwise.
    """
    hits: Counter[str] = Counter()
    for fam in families:
        hits.update(fam.hits)
    missing = {
        r for cap, rules in CAPABILITY_RULES.items() if cap not in capabilities for r in rules
    }
    failures: dict[str, dict[str, Any]] = {}
    for fam in families:
        if fam.mismatch is not None:
            rule = fam.mismatch.rules[0]
            if rule not in failures:
                example = fam.mismatch.to_json()
                example["seed"] = seed
                example["replay"] = replay_command(report_path, rule, iut)
                failures[rule] = example
    rules = []
    for rule, title in RULES.items():
        if rule in missing:
            status = "not_applicable"
        elif rule in failures:
            status = "failed"
        elif hits[rule] == 0:
            status = "not_exercised"
        else:
            status = "passed"
        rules.append(
            {
                "id": rule,
                "title": title,
                "family": family_of(rule),
                "status": status,
                "exercised": hits[rule],
                "counterexample": failures.get(rule),
            }
        )
    counts = Counter(r["status"] for r in rules)
    return {
        "format": FORMAT,
        "started": started,
        "finished": finished,
        "duration_s": round(duration_s, 3),
        "iut": iut,
        "profile": profile,
        "seed": seed,
        "capabilities": sorted(capabilities),
        "summary": {s: counts.get(s, 0) for s in STATUSES},
        "rules": rules,
        "families": [
            {
                "name": f.family,
                "outcome": f.outcome,
                "examples": f.examples,
                "steps": f.steps,
                "seconds": round(f.seconds, 3),
                **({"message": f.message} if f.message else {}),
            }
            for f in families
        ],
    }


def passed(report: dict[str, Any]) -> bool:
    """A run passes when no rule failed and every family ran to the end."""
    return report["summary"]["failed"] == 0 and all(
        f["outcome"] == "passed" for f in report["families"]
    )


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write report.json, junit.xml and summary.md into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / "report.json", directory / "junit.xml", directory / "summary.md"]
    paths[0].write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    paths[1].write_bytes(junit(report))
    paths[2].write_text(summary(report))
    return paths


def junit(report: dict[str, Any]) -> bytes:
    """JUnit XML: one test suite per rule family, one test case per rule."""
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
                failure = ET.SubElement(
                    case, "failure", message=f"{rule['id']} failed at {example['field']}"
                )
                failure.text = _counterexample_text(example)
            elif rule["status"] == "not_applicable":
                ET.SubElement(case, "skipped", message="not applicable: capability not declared")
            elif rule["status"] == "not_exercised":
                ET.SubElement(case, "skipped", message="not exercised in this run")
    for fam in report["families"]:
        if fam["outcome"] == "error":
            suite = ET.SubElement(
                root, "testsuite", name=f"family {fam['name']}", tests="1", errors="1"
            )
            case = ET.SubElement(suite, "testcase", classname="offsync.families", name=fam["name"])
            ET.SubElement(case, "error", message=fam.get("message", "error"))
    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data


def _counterexample_text(example: dict[str, Any]) -> str:
    lines = [
        f"rules: {', '.join(example['rules'])}",
        f"field: {example['field']}",
        f"expected (model): {json.dumps(example['expected'], sort_keys=True)}",
        f"actual (IUT):     {json.dumps(example['actual'], sort_keys=True)}",
        f"world: {json.dumps(example['world'], sort_keys=True)}",
    ]
    for i, op in enumerate(example["operations"]):
        marker = ">>" if i == example["failing_step"] else "  "
        lines.append(f"{marker} {i + 1}. {json.dumps(op, sort_keys=True)}")
    lines.append(f"replay: {example['replay']}")
    return "\n".join(lines)


_MARK = {
    "passed": "passed",
    "failed": "**FAILED**",
    "not_applicable": "not applicable",
    "not_exercised": "not exercised",
}


def summary(report: dict[str, Any]) -> str:
    """The human summary: verdict and per-rule table first, then failures and families."""
    s = report["summary"]
    verdict = "PASS" if passed(report) else "FAIL"
    lines = [
        f"# offsync conformance report: {verdict}",
        "",
        f"{s['passed']} passed, {s['failed']} failed, {s['not_applicable']} not applicable, "
        f"{s['not_exercised']} not exercised. IUT `{report['iut']}`, profile `{report['profile']}`"
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
    lines += [
        "",
        "## Families",
        "",
        "| Family | Outcome | Examples | Steps | Seconds |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for fam in report["families"]:
        lines.append(
            f"| {fam['name']} | {fam['outcome']} | {fam['examples']} | {fam['steps']} | "
            f"{fam['seconds']:.1f} |"
        )
        if fam.get("message") and fam["outcome"] == "error":
            lines.append(f"|  | {fam['message']} | | | |")
    return "\n".join(lines) + "\n"
