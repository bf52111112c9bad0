"""Run reports: ``report.json`` (machine-readable), ``junit.xml`` (one test case per rule and
per family, for CI) and ``summary.md`` (for people, the verdict and the per-rule table first).

A report never calls checked what was not. Each rule is one of ``STATUSES``:

- ``passed``: a family that ran to its end exercised it (each of its clauses, for a rule
  that ``models.rules.CLAUSES`` splits), and nothing failed on it;
- ``partially_exercised``: as passed, but some of its clauses were never reached (the rule
  names them in ``missing_clauses``): what they state was not checked;
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

from conformance.reporting.counterexample import Mismatch
from conformance.reporting.stats import CorpusResult, FamilyStats, RunError, mismatch_from_json
from conformance.reporting.verdict import (
    FINISHED,
    STATUSES,
    VERDICTS,
    counts_line,
    verdict_line,
)
from models.rules import CAPABILITY_RULES, RULES, clause_capability, clauses_of, family_of

__all__ = [
    "FINISHED",
    "STATUSES",
    "VERDICTS",
    "build",
    "counts_line",
    "junit",
    "merge",
    "summary",
    "verdict_line",
    "write",
]

FORMAT = "offsync-report/3"


def replay_command(report_path: Path | str, rule: str, iut: str) -> str:
    return f"offsync replay {report_path} {rule} --iut {iut}"


#: how a rule's status compares with the expectations file (see ``judge``)
JUDGEMENTS = (
    "met",
    "not_checked",
    "unexpected_failure",
    "unexpected_error",
    "unexpected_pass",
    "unexpected_status",
)
#: judgements that fail the gate (an error ends it as ``error`` instead)
_UNEXPECTED = ("unexpected_failure", "unexpected_pass", "unexpected_status")


def judge(status: str, expected: Mapping[str, str] | None) -> str:
    """A rule's status against its expectation (None: expected to pass or not be exercised):
    ``met``; ``not_checked`` (an expected failure the run did not reach); ``unexpected_failure``;
    ``unexpected_error``; ``unexpected_pass`` (expected to fail or be not applicable, it
    passed: the file is out of date); ``unexpected_status`` (any other difference)."""
    want = expected["status"] if expected else None
    if status == "error":
        return "unexpected_error"
    if want is None:
        return "unexpected_failure" if status == "failed" else "met"
    if status == want:
        return "met"
    if status == "failed":
        return "unexpected_failure"
    if status == "not_exercised":
        return "not_checked"
    if status in ("passed", "partially_exercised"):
        return "unexpected_pass"
    return "unexpected_status"


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
    corpus: Sequence[CorpusResult] = (),
    expected: Mapping[str, Mapping[str, str]] | None = None,
    expectations_source: str | None = None,
    shard: str | None = None,
    failures: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The report of one run, rule by rule.

    ``families`` are the stats received (one per family, parts merged); ``planned`` maps
    every family the run was to check to the rule ID prefixes it is about (a planned family
    with no stats never ran: ``not_run``); ``capabilities`` are the implementation's, None
    when it never started; ``interrupted`` says why the run was cut short, if it was.
    ``corpus`` are the corpus entries replayed first (a regression is a failure, listed before
    the failures new exploration found); ``expected`` are the expectations (rule ID ->
    status and reason) the verdict is judged against; ``shard`` says which slice of a run this
    is (``2/3``); ``failures`` are counterexamples already in report form (``merge``).
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
    replayed = [c for c in corpus if c.outcome != "skipped"]
    if replayed:
        runs.append(_corpus_family(replayed))
    missing = (
        {r for cap, rules in CAPABILITY_RULES.items() if cap not in capabilities for r in rules}
        if capabilities is not None
        else set()
    )
    found: dict[str, dict[str, Any]] = {}
    for result in replayed:  # regressions first: they were known before this run explored
        if result.mismatch is not None and result.mismatch.rules[0] not in found:
            example = _example(result.mismatch, seed, report_path, iut)
            example["regression"] = True
            example["corpus_entry"] = result.entry
            found[example["rules"][0]] = example
    for rule, example in (failures or {}).items():
        found.setdefault(rule, example)
    for fam in runs:
        if fam.mismatch is not None and fam.mismatch.rules[0] not in found:
            found[fam.mismatch.rules[0]] = _example(fam.mismatch, seed, report_path, iut)
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
        elif rule in found:
            status = "failed"
        elif done > 0:
            status = "passed"
        elif stopped:
            status = "error"
            error = {"family": stopped[0].family, "message": stopped[0].message}
        else:
            status = "not_exercised"
        clauses = {
            c: sum(f.hits[c] for f in runs if f.outcome in FINISHED)
            for c in clauses_of(rule)
            if capabilities is None or clause_capability(c) in (None, *capabilities)
        }
        missing_clauses = [c for c, n in clauses.items() if n == 0]
        if status == "passed" and missing_clauses:
            status = "partially_exercised"
        want = dict(expected[rule]) if expected is not None and rule in expected else None
        rules.append(
            {
                "id": rule,
                "title": title,
                "family": family_of(rule),
                "status": status,
                "exercised": sum(f.hits[rule] for f in runs),
                "clauses": clauses,
                "missing_clauses": missing_clauses,
                "counterexample": found.get(rule),
                "error": error,
                "expected": want,
                "expectation": judge(status, want) if expected is not None else None,
            }
        )
    counts = Counter(r["status"] for r in rules)
    complete = interrupted is None and all(f.outcome in FINISHED for f in runs)
    if expected is not None:
        judged = Counter(r["expectation"] for r in rules)
        broke = judged["unexpected_error"] or not complete
        verdict = "fail" if any(judged[j] for j in _UNEXPECTED) else "error" if broke else "pass"
    elif counts["failed"]:
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
        "shard": shard,
        "capabilities": sorted(capabilities) if capabilities is not None else None,
        "summary": {s: counts.get(s, 0) for s in STATUSES},
        "expectations": (
            {
                "source": expectations_source,
                "rules": {k: dict(v) for k, v in sorted(expected.items())},
                "judged": dict(sorted(Counter(r["expectation"] for r in rules).items())),
            }
            if expected is not None
            else None
        ),
        "rules": rules,
        "families": [_family_entry(f, focus.get(f.family, ())) for f in runs],
        "corpus": [
            {
                "entry": c.entry,
                "rule": c.rule,
                "outcome": c.outcome,
                "message": c.message,
                "exercised": dict(sorted(c.hits.items())),
            }
            for c in corpus
        ],
    }


def _example(mismatch: Mismatch, seed: int, report_path: Path | str, iut: str) -> dict[str, Any]:
    example = mismatch.to_json()
    example["seed"] = seed
    example["replay"] = replay_command(report_path, mismatch.rules[0], iut)
    example["text"] = mismatch.describe(example["replay"])
    return example


def _corpus_family(replayed: Sequence[CorpusResult]) -> FamilyStats:
    """The corpus replayed, as one more family of the run (its hits count like any other's)."""
    outcomes = {c.outcome for c in replayed}
    stats = FamilyStats(
        "corpus",
        examples=len(replayed),
        steps=sum(c.steps for c in replayed),
        seconds=sum(c.seconds for c in replayed),
        outcome="error" if "error" in outcomes else "failed" if "failed" in outcomes else "passed",
    )
    for c in replayed:
        stats.hits.update(c.hits)
    regressions = [c.entry for c in replayed if c.outcome == "failed"]
    broken = [c for c in replayed if c.outcome == "error"]
    if broken:
        stats.message = f"{broken[0].entry}: {broken[0].message}"
    elif regressions:
        stats.message = f"regression: {', '.join(regressions)} fail(s) again"
    return stats


def _family_entry(f: FamilyStats, focus: Sequence[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": f.family,
        "focus": list(focus),
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


class MergeError(ValueError):
    """Reports that are not shards of one run; the message says why."""


def merge(reports: Sequence[dict[str, Any]], report_path: Path | str) -> dict[str, Any]:
    """One report from the reports of a run's shards (``--shard K/N``): the families (their
    parts added up), the corpus, the counterexamples and the expectations combined, and the
    statuses and the verdict computed again over all of them. A shard that is missing makes
    the merged run incomplete."""
    if not reports:
        raise MergeError("no reports to merge")
    first = reports[0]
    for key in ("iut", "profile", "seed"):
        differ = sorted({str(r[key]) for r in reports})
        if len(differ) > 1:
            raise MergeError(f"the reports are not of one run: {key} {', '.join(differ)}")
    shards = [r["shard"] for r in reports]
    counts = {s.split("/")[1] for s in shards if s}
    if None in shards or len(counts) != 1:
        raise MergeError(f"every report must be a shard K/N of the same N (got {shards})")
    total = int(counts.pop())
    have = sorted({int(str(s).split("/")[0]) for s in shards})
    gone = [k for k in range(1, total + 1) if k not in have]
    if len(have) != len(shards):
        raise MergeError(f"a shard is given twice: {', '.join(map(str, shards))}")
    families: dict[str, FamilyStats] = {}
    focus: dict[str, Sequence[str]] = {}
    for report in reports:
        for entry in report["families"]:
            if entry["name"] == "corpus":
                continue  # rebuilt from the corpus results below
            stats = FamilyStats(
                entry["name"],
                examples=entry["examples"],
                steps=entry["steps"],
                seconds=entry["seconds"],
                hits=Counter(entry["exercised"]),
                outcome=entry["outcome"],
                message=entry.get("message", ""),
                error=RunError.from_json(entry["error"]) if entry.get("error") else None,
            )
            focus[entry["name"]] = entry["focus"]
            if stats.family in families:
                families[stats.family].merge(stats)
            else:
                families[stats.family] = stats
    failures: dict[str, dict[str, Any]] = {}
    corpus: list[CorpusResult] = []
    for report in reports:
        for rule in report["rules"]:
            example = rule["counterexample"]
            if example is not None and rule["id"] not in failures:
                example = dict(example)
                example["replay"] = replay_command(report_path, rule["id"], report["iut"])
                example["text"] = mismatch_from_json(example).describe(example["replay"])
                failures[rule["id"]] = example
        corpus += [
            CorpusResult(c["entry"], c["rule"], c["outcome"], c["message"],
                         hits=Counter(c["exercised"]))
            for c in report["corpus"]
        ]  # fmt: skip
    interrupted = [r["interrupted"] for r in reports if r["interrupted"]]
    if gone:
        interrupted.append(f"shard(s) {', '.join(f'{k}/{total}' for k in gone)} missing")
    capabilities = next((r["capabilities"] for r in reports if r["capabilities"] is not None), None)
    with_expectations = next((r for r in reports if r["expectations"] is not None), None)
    return build(
        [families[name] for name in sorted(families)],
        iut=first["iut"],
        profile=first["profile"],
        seed=first["seed"],
        capabilities=frozenset(capabilities) if capabilities is not None else None,
        started=min(r["started"] for r in reports),
        finished=max(r["finished"] for r in reports),
        duration_s=max(r["duration_s"] for r in reports),
        report_path=report_path,
        planned={name: focus[name] for name in sorted(focus)},
        interrupted="; ".join(interrupted) or None,
        corpus=corpus,
        expected=with_expectations["expectations"]["rules"] if with_expectations else None,
        expectations_source=(
            with_expectations["expectations"]["source"] if with_expectations else None
        ),
        shard=None,
        failures=failures,
    )


def passed(report: dict[str, Any]) -> bool:
    """A run passes when no rule failed or errored and every family ran to its end."""
    return bool(report["verdict"] == "pass")


def write(report: dict[str, Any], directory: Path) -> list[Path]:
    """Write report.json, junit.xml, summary.md and report.html into ``directory``; return
    their paths."""
    from conformance.reporting.html import render

    directory.mkdir(parents=True, exist_ok=True)
    paths = [
        directory / "report.json",
        directory / "junit.xml",
        directory / "summary.md",
        directory / "report.html",
    ]
    paths[0].write_text(json.dumps(report, indent=2, sort_keys=False) + "\n")
    paths[1].write_bytes(junit(report))
    paths[2].write_text(summary(report))
    paths[3].write_text(render(report), "utf-8")
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
            elif rule["status"] == "partially_exercised":
                out = ET.SubElement(case, "system-out")
                out.text = f"clauses not reached: {', '.join(rule['missing_clauses'])}"
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
    "partially_exercised": "partially exercised",
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
    split = [r for r in report["rules"] if r.get("clauses")]
    if split:
        lines += [
            "",
            "## Clauses",
            "",
            "Steps whose decision under each clause reached an observation (0: not checked).",
            "",
        ]
        for rule in split:
            counts = ", ".join(f"{c.split('.', 1)[1]} {n}" for c, n in rule["clauses"].items())
            lines.append(f"- {rule['id']}: {counts}")
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
