"""Run the model's documented scenarios and write a small report (the pre-engine main job)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from models.scenarios import SCENARIOS, check


def main(report_dir: Path) -> int:
    """Check every documented scenario against the model; write ``report.json`` and
    ``summary.md`` under ``report_dir``; return 0 when all passed, 1 otherwise."""
    results: list[dict[str, Any]] = []
    for scenario in SCENARIOS:
        failures = check(scenario)
        results.append(
            {
                "scenario": scenario.name,
                "rules": list(scenario.rules),
                "status": "failed" if failures else "passed",
                "failures": failures,
            }
        )
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "report.json").write_text(
        json.dumps({"kind": "scenarios", "results": results}, indent=2) + "\n"
    )
    lines = ["# Documented scenarios", "", "| scenario | rules | status |", "| --- | --- | --- |"]
    for r in results:
        lines.append(f"| {r['scenario']} | {', '.join(r['rules'])} | {r['status']} |")
    for r in results:
        for failure in r["failures"]:
            lines.append(f"- {r['scenario']}: {failure}")
    (report_dir / "summary.md").write_text("\n".join(lines) + "\n")
    failed = sum(r["status"] == "failed" for r in results)
    print(f"{len(results) - failed} passed, {failed} failed")
    print(f"report written to {report_dir}")
    return 1 if failed else 0
