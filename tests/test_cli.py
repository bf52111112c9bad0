"""``offsync run`` and ``offsync replay`` end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.iut.schemas import problem
from models.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "tests.engine.broken:DropsEditsDuringCycle"


def offsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.mark.rule("PROFILE-1", "PROFILE-3", "PROFILE-4")
def test_run_writes_a_valid_report_junit_and_summary(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = offsync(
        "run", "--profile", "dev", "--family", "profile", "--seed", "5", "--out", str(out)
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text())
    assert problem("report", report) is None
    assert report["seed"] == 5 and report["profile"] == "dev"
    assert [f["name"] for f in report["families"]] == ["profile"]
    assert [r["id"] for r in report["rules"]] == list(RULES)
    statuses = {r["id"]: r["status"] for r in report["rules"]}
    assert statuses["PROFILE-3"] == "passed" and "failed" not in statuses.values()
    cases = ET.parse(out / "junit.xml").getroot().findall(".//testcase")
    assert len(cases) == len(RULES)
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# offsync conformance report: PASS")
    assert "| PROFILE-3 | A view is available iff all its tables are on the device | passed |" in (
        summary
    )
    assert "family profile-1of2 " in done.stdout and "family profile-2of2 " in done.stdout
    assert "report:" in done.stdout


@pytest.mark.rule("SYNC-3")
def test_run_against_a_broken_iut_fails_and_replays(tmp_path: Path) -> None:
    out = tmp_path / "report"
    # seed 4 is one whose dev run finds the bug (the run is deterministic for a seed)
    done = offsync(
        "run", "--profile", "dev", "--family", "outbox", "--seed", "4", "--iut", BROKEN,
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text())
    assert problem("report", report) is None
    failed = [r for r in report["rules"] if r["status"] == "failed"]
    assert [r["id"] for r in failed] == ["SYNC-3"]
    example = failed[0]["counterexample"]
    assert example["replay"] == f"offsync replay {out / 'report.json'} SYNC-3 --iut {BROKEN}"
    junit = ET.parse(out / "junit.xml").getroot()
    assert len(junit.findall(".//failure")) == 1
    assert "SYNC-3 failed" in done.stdout

    again = offsync("replay", str(out / "report.json"), "SYNC-3")
    assert again.returncode == 1 and "SYNC-3: still fails" in again.stdout
    fixed = offsync(
        "replay", str(out / "report.json"), "SYNC-3", "--iut", "conformance.model_adapter:factory"
    )
    assert fixed.returncode == 0 and "now passes" in fixed.stdout


@pytest.mark.rule("SYNC-8", "SYNC-5")
def test_run_against_the_subprocess_model_passes(tmp_path: Path) -> None:
    out = tmp_path / "report"
    done = offsync(
        "run",
        "--profile",
        "dev",
        "--family",
        "outbox",
        "--seed",
        "11",
        "--iut",
        f"exec:{sys.executable} -m conformance.iut.model_server",
        "--out",
        str(out),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["summary"]["failed"] == 0
    assert report["iut"].startswith("exec:")


def test_a_bad_iut_is_named(tmp_path: Path) -> None:
    done = offsync("run", "--iut", "no_such_module:factory", "--out", str(tmp_path / "r"))
    assert done.returncode == 2
    assert "no_such_module" in done.stderr
    done = offsync("run", "--iut", "conformance.iut.model_adapter", "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and "expected 'module:factory'" in done.stderr


def test_replay_names_a_missing_rule(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"iut": "conformance.model_adapter:factory", "rules": []}))
    done = offsync("replay", str(report), "SEC-1")
    assert done.returncode == 2 and "no counterexample for SEC-1" in done.stderr


def test_parallel_run_reports_the_same_as_a_serial_one(tmp_path: Path) -> None:
    reports = []
    for workers in ("0", "2"):
        out = tmp_path / f"n{workers}"
        done = offsync(
            "run", "--profile", "dev", "--family", "security", "--family", "conflicts",
            "--seed", "9", "-n", workers, "--out", str(out),
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads((out / "report.json").read_text())
        reports.append(
            (
                [(r["id"], r["status"], r["exercised"]) for r in report["rules"]],
                sorted((f["name"], f["examples"], f["steps"]) for f in report["families"]),
            )
        )
    assert reports[0] == reports[1]


def test_progress_lines_while_families_run_change_nothing_generated(tmp_path: Path) -> None:
    runs = {}
    for name, extra in (
        ("quiet", ("--progress", "0")),
        ("serial", ("--progress", "0.001")),
        ("workers", ("--progress", "0.001", "-n", "2")),
    ):
        out = tmp_path / name
        done = offsync(
            "run", "--iut", "conformance.model_adapter:factory", "--profile", "dev",
            "--family", "outbox", "--seed", "11", "--out", str(out), *extra,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads((out / "report.json").read_text())
        runs[name] = (done, [(f["examples"], f["steps"]) for f in report["families"]])
    quiet, serial, workers = (runs[n][0] for n in ("quiet", "serial", "workers"))
    assert "planned)" not in quiet.stdout + quiet.stderr
    assert "offsync: family outbox-1of2: " in serial.stdout
    assert "examples (about 13 planned)" in serial.stdout  # 25 under dev, in two parts
    assert "offsync: [gw" in workers.stderr and "family outbox-" in workers.stderr
    assert runs["quiet"][1] == runs["serial"][1] == runs["workers"][1]


def test_a_bad_progress_interval_is_named(tmp_path: Path) -> None:
    for bad in ("-1", "soon"):
        done = offsync("run", "--progress", bad, "--out", str(tmp_path / "r"))
        assert done.returncode == 2 and "--progress" in done.stderr, done.stderr
