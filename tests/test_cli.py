"""``offsync run`` and ``offsync replay`` end to end, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.iut.schemas import problem
from models.rules import RULES

ROOT = Path(__file__).resolve().parent.parent
BROKEN = "tests.engine.broken:DropsEditsDuringCycle"


def offsync(*args: str) -> subprocess.CompletedProcess[str]:
    if args[:1] == ("run",) and "--corpus" not in args:
        args = (*args, "--no-corpus")  # the tests keep no corpus in the working tree
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
    rule_cases = [c for c in cases if c.get("classname") != "offsync.families"]
    assert len(rule_cases) == len(RULES)
    assert [c.get("name") for c in cases if c.get("classname") == "offsync.families"] == ["profile"]
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
    # the rule that failed, and the family whose property failed
    assert len(junit.findall(".//failure")) == 2 and not junit.findall(".//error")
    assert report["verdict"] == "fail" and report["complete"]
    assert "SYNC-3 failed" in done.stdout
    # the failure is told once, for people, with nothing of the engine's internals
    told = example["text"]
    assert told.startswith("At step ") and told in done.stdout
    assert junit.find(".//failure").get("message") == told.split("\n\n")[0].replace("\n", " ")
    assert told in (out / "summary.md").read_text()
    internals = ("Traceback", "raise ConformanceFailure", "state.step(", "reproduce_failure",
                 "run_family(", "Falsifying example")  # fmt: skip
    assert not [w for w in internals if w in done.stdout + done.stderr], done.stdout

    again = offsync("replay", str(out / "report.json"), "SYNC-3")
    assert again.returncode == 1 and "SYNC-3: still fails" in again.stdout
    fixed = offsync(
        "replay", str(out / "report.json"), "SYNC-3", "--iut", "conformance.model_adapter:factory"
    )
    assert fixed.returncode == 0 and "now passes" in fixed.stdout


def test_verbose_shows_the_internals_for_debugging_the_suite(tmp_path: Path) -> None:
    done = offsync(
        "run", "--profile", "dev", "--family", "outbox", "--seed", "4", "--iut", BROKEN,
        "--out", str(tmp_path / "r"), "-v",
    )  # fmt: skip
    assert done.returncode == 1
    assert "raise ConformanceFailure" in done.stdout and "state.step(" in done.stdout


def test_pytest_itself_prints_the_told_counterexample(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "conformance.suite", "--iut", BROKEN,
         "--profile", "dev", "--offsync-seed", "4", "--offsync-family", "outbox",
         "--offsync-report", str(tmp_path / "r"), "-q",
         "-p", "no:cacheprovider", "--rootdir", str(tmp_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "At step " in done.stdout and "reproduce the run: --offsync-seed 4" in done.stdout
    assert "raise ConformanceFailure" not in done.stdout and "state.step(" not in done.stdout


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
    from tests.iut.test_schemas import report as a_report

    report = tmp_path / "report.json"
    report.write_text(json.dumps(a_report()))
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


def _report_file(tmp_path: Path, change=None) -> Path:  # type: ignore[no-untyped-def]
    from tests.iut.test_schemas import report as a_report

    data = json.loads(json.dumps(a_report()))  # its own copy: the helper shares operations
    data["iut"] = "conformance.model_adapter:factory"
    if change is not None:
        change(data)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(data))
    return path


def test_replay_says_now_passes_only_after_the_whole_program(tmp_path: Path) -> None:
    done = offsync("replay", str(_report_file(tmp_path)), "STALE-1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "now passes" in done.stdout and "(all 5 operations replayed)" in done.stdout


def test_replay_refuses_what_it_cannot_replay(tmp_path: Path) -> None:
    def unknown_kind(data):  # type: ignore[no-untyped-def]
        data["rules"][0]["counterexample"]["operations"][1]["kind"] = "teleport"

    def unknown_rule(data):  # type: ignore[no-untyped-def]
        data["rules"][0]["counterexample"]["rules"] = ["STALE-99"]

    def bad_world(data):  # type: ignore[no-untyped-def]
        del data["rules"][0]["counterexample"]["world"]["users"]

    cases = [
        (unknown_kind, "/rules/0/counterexample/operations/1"),
        (unknown_rule, "STALE-99"),
        (bad_world, "/rules/0/counterexample/world"),
    ]
    for change, named in cases:
        done = offsync("replay", str(_report_file(tmp_path, change)))
        assert done.returncode == 2, (named, done.stdout, done.stderr)
        assert named in done.stderr and "now passes" not in done.stdout
        assert "Traceback" not in done.stderr
    path = tmp_path / "report.json"
    path.write_bytes(b'{"format": "offsync-report/3", "iut": "\xff"}')
    done = offsync("replay", str(path))
    assert done.returncode == 2 and "not valid UTF-8 (byte 0xff" in done.stderr
    path.write_text("[1, 2, 3]")
    done = offsync("replay", str(path))
    assert done.returncode == 2 and "is not an offsync report" in done.stderr
    done = offsync("replay", str(_report_file(tmp_path)), "NOPE-1")
    assert done.returncode == 2 and "no rule 'NOPE-1'" in done.stderr


def test_replay_against_an_iut_that_breaks_is_an_error(tmp_path: Path) -> None:
    done = offsync(
        "replay", str(_report_file(tmp_path)), "--iut", "tests.engine.broken:RaisesOnApply"
    )
    # the program has 5 operations: RaisesOnApply breaks at its 15th, so it replays in full
    assert done.returncode == 0, done.stdout + done.stderr
    done = offsync(
        "replay", str(_report_file(tmp_path)), "--iut", "tests.engine.broken:HangsOnApply",
        "--timeout", "0.5",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    def longer(data):  # type: ignore[no-untyped-def]
        ops = data["rules"][0]["counterexample"]["operations"]
        ops += [{"kind": "read", "device": "bob-phone", "table": "account"}] * 12

    done = offsync(
        "replay", str(_report_file(tmp_path, longer)), "--iut", "tests.engine.broken:RaisesOnApply"
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "the implementation broke during the replay" in done.stdout
    assert "KeyError" in done.stdout and "now passes" not in done.stdout


def test_bad_arguments_are_one_line_errors_before_anything_runs(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    cases = [
        (["--out", str(blocker / "report")], "cannot write the report into"),
        (["--iut", "exec:./no-such-engine"], "no such file: ./no-such-engine"),
        (["--iut", "exec:no-such-engine-anywhere"], "no such command on PATH"),
        (["--iut", "exec:"], "no command after 'exec:'"),
        (["--timeout", "0"], "--timeout: must be a positive number of seconds"),
        (["--timeout", "soon"], "--timeout: not a number of seconds"),
    ]
    for args, named in cases:
        started = time.monotonic()
        done = offsync("run", "--out", str(tmp_path / "r"), *args)
        assert done.returncode == 2, (args, done.stdout, done.stderr)
        assert named in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert time.monotonic() - started < 20  # refused before any family ran
    assert not (tmp_path / "r" / "report.json").exists()


def test_pytest_breaking_after_the_report_gives_the_reports_exit_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Seen in CI: SIGTERM to a run's process group, and pytest raised TypeError while it
    rendered the interruption's traceback (an entry without a line number), after the plugin
    had written the incomplete report: the process exited 1, which says "a rule failed"."""
    from conformance import cli

    def broken_main(arguments: list[str]) -> int:
        out = Path(arguments[arguments.index("--offsync-report") + 1])
        out.mkdir(parents=True, exist_ok=True)
        report = {"verdict": "error", "capabilities": [], "families": [], "rules": []}
        (out / "report.json").write_text(json.dumps(report))
        raise TypeError("unsupported operand type(s) for -: 'NoneType' and 'int'")

    monkeypatch.setattr(pytest, "main", broken_main)
    monkeypatch.setattr(cli, "_print_outcome", lambda report, path: None)
    code = cli.main(["run", "--iut", "conformance.model_adapter:factory", "--out",
                     str(tmp_path / "r"), "--no-corpus"])  # fmt: skip
    assert code == cli.ERROR
