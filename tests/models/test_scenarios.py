"""The source document's examples, as documented scenarios, hold in the model; the
pre-engine main job writes a report of them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conformance.cli import main
from models.scenarios import SCENARIOS, Scenario, check


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.name)
def test_documented_scenario_holds(scenario: Scenario) -> None:
    assert check(scenario) == []


def test_a_wrong_expectation_is_reported() -> None:
    base = SCENARIOS[1]
    broken = Scenario(
        base.name,
        base.rules,
        base.source,
        base.world,
        base.operations,
        [
            (
                3,
                "the server took the revoked edit",
                lambda s: s["observation"]["server"]["acc-east"]["values"]["revenue"] == 999,
            )
        ],
    )
    assert check(broken) == ["step 3 (sync_end): the server took the revoked edit"]


def test_scenarios_command_writes_a_report(tmp_path: Path, capsys) -> None:
    assert main(["scenarios", "--out", str(tmp_path / "r")]) == 0
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert [r["scenario"] for r in report["results"]] == [s.name for s in SCENARIOS]
    assert {r["status"] for r in report["results"]} == {"passed"}
    summary = (tmp_path / "r" / "summary.md").read_text()
    row = "| account-view-needs-contact | PROFILE-1, PROFILE-2, PROFILE-3, PROFILE-4 | passed |"
    assert row in summary
    assert f"{len(SCENARIOS)} passed, 0 failed" in capsys.readouterr().out
