"""The harness's own fault zoo: implementations that misbehave the way real ones do, and
runs that are cut short. Each case runs ``offsync run`` as a user would and checks the exit
code, the rule statuses of ``report.json`` (never ``passed`` for what did not run), that the
cause is named, and that no process the run started is left behind."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from conformance.iut.schemas import problem

ROOT = Path(__file__).resolve().parents[2]
CHILD = f"exec:{sys.executable} tests/engine/faulty_child.py"


@dataclass
class Run:
    code: int
    out: str
    report: dict[str, Any] | None
    junit: ET.Element | None
    #: pids of the exec: children the run started (from their pid files)
    children: list[int]

    def statuses(self) -> dict[str, str]:
        assert self.report is not None
        return {r["id"]: r["status"] for r in self.report["rules"]}

    def family(self, name: str) -> dict[str, Any]:
        assert self.report is not None
        return next(f for f in self.report["families"] if f["name"] == name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie is dead: it only waits for its parent to read its status
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def _session_members(sid: int) -> list[int]:
    """Live processes of session ``sid`` (the run's, which all its descendants share unless
    they start a session of their own)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != "Z":
                found.append(int(entry.name))
    return found


def offsync_run(
    tmp_path: Path,
    iut: str,
    *args: str,
    interrupt: tuple[int, bool] | None = None,
) -> Run:
    """Run ``offsync run`` in a session of its own; ``interrupt`` (signal, to the whole
    group?) is sent once the first family part has finished."""
    out, pids = tmp_path / "report", tmp_path / "pids"
    pids.mkdir(exist_ok=True)
    argv = [sys.executable, "-m", "conformance.cli", "run", "--iut", iut, "--out", str(out)]
    argv += ["--progress", "0", "--no-corpus", *args]
    env = {**os.environ, "FAULTY_PIDS": str(pids)}
    proc = subprocess.Popen(
        argv,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    sent = False
    deadline = time.monotonic() + 300
    for line in proc.stdout:
        lines.append(line)
        if interrupt and not sent and "offsync: family" in line:
            signum, group = interrupt
            if group:
                os.killpg(proc.pid, signum)
            else:
                proc.send_signal(signum)
            sent = True
        assert time.monotonic() < deadline, "".join(lines)
    code = proc.wait(timeout=120)
    if interrupt:
        assert sent, "the run finished before the signal could be sent:\n" + "".join(lines)
    time.sleep(0.2)  # children killed at the very end need a moment to be reaped
    left = _session_members(proc.pid)
    assert left == [], f"processes of the run left behind: {left}"
    children = [int(p.name.split("-")[1]) for p in pids.glob("pid-*")]
    assert [pid for pid in children if _alive(pid)] == [], "exec: children left behind"
    report = (
        json.loads((out / "report.json").read_text()) if (out / "report.json").exists() else None
    )
    if report is not None:
        assert problem("report", report) is None
    junit = ET.parse(out / "junit.xml").getroot() if (out / "junit.xml").exists() else None
    return Run(code, "".join(lines), report, junit, children)


def assert_nothing_passed_that_did_not_run(run: Run, family: str = "outbox") -> None:
    """Only ``family`` was planned and it did not finish: no rule may be passed, its own
    rules are errors, and JUnit says error (not failure, not green)."""
    assert run.report is not None, run.out
    statuses = run.statuses()
    assert "passed" not in statuses.values(), run.out
    prefix = {"outbox": "SYNC-", "profile": "PROFILE-"}[family]
    assert {s for r, s in statuses.items() if r.startswith(prefix)} == {"error"}
    assert run.report["verdict"] == "error" and not run.report["complete"]
    assert run.family(family)["outcome"] == "error"
    assert run.junit is not None
    assert run.junit.findall(".//error") and not run.junit.findall(".//failure")


EXEC_FAULTS = [
    # (mode, what the report must name)
    ("garbage-at-hello", ["could not start", "not JSON", "Hello, I am ready!"]),
    ("log-line 5", ["INFO engine started", "write logs to stderr"]),
    ("garbage 40", ["not JSON", "not json"]),
    ("wrong-id 40", ["has id 999999"]),
    ("hang-at-hello", ["could not start", "timed out after 2 s"]),
    ("hang 40", ["timed out after 2 s"]),
    ("crash 40", ["closed its stdout", "exited with status 3"]),
    ("close-stdout 40", ["closed its stdout", "still running"]),
    ("huge-line 40", ["not JSON", "xxxx"]),
    ("bad-utf8 40", ["not valid UTF-8", "0xff"]),
    ("ignore-sigterm 40", ["timed out after 2 s"]),
]


@pytest.mark.parametrize(("mode", "named"), EXEC_FAULTS, ids=[m for m, _ in EXEC_FAULTS])
def test_a_misbehaving_exec_child_is_an_error_naming_the_cause(
    tmp_path: Path, mode: str, named: list[str]
) -> None:
    run = offsync_run(
        tmp_path, f"{CHILD} {mode}", "--profile", "dev", "--family", "outbox", "--seed", "1",
        "--timeout", "2",
    )  # fmt: skip
    assert run.code == 3, run.out
    assert_nothing_passed_that_did_not_run(run)
    family = run.family("outbox")
    told = family["message"]
    for words in named:
        assert words in told, told
    assert len(told) < 600  # a 10 MB line is shortened, never copied
    if mode.startswith("crash"):
        assert "panic: index out of range" in family["error"]["stderr"]
    if not mode.endswith("at-hello"):  # it broke inside an example: the program is there
        assert family["error"]["world"] is not None and family["error"]["operations"]


def test_a_child_that_breaks_is_replaced_and_the_families_after_it_run(tmp_path: Path) -> None:
    run = offsync_run(
        tmp_path, f"{CHILD} crash-once 60", "--profile", "dev", "--family", "outbox",
        "--family", "profile", "--seed", "1",
    )  # fmt: skip
    assert run.code == 3, run.out
    assert len(run.children) >= 2  # the broken child was replaced
    # the suite runs profile before outbox: the first met the crash, the other ran after it
    assert run.family("profile")["outcome"] == "error"
    assert run.family("outbox")["outcome"] == "passed"
    assert_no_rule_passed_without_a_finished_family(run)
    statuses = run.statuses()
    assert {s for r, s in statuses.items() if r.startswith("SYNC-")} == {"passed"}
    # rules only the broken family reached are errors (PROFILE-3's views, say, show in every
    # observation, so outbox checked them to the end too)
    broken = run.family("profile")["exercised"]
    finished = run.family("outbox")["exercised"]
    only_broken = [r for r in broken if r not in finished and "." not in r]  # not clauses
    assert all(statuses[r] == "error" for r in only_broken)


def assert_no_rule_passed_without_a_finished_family(run: Run) -> None:
    assert run.report is not None
    finished = [f for f in run.report["families"] if f["outcome"] in ("passed", "failed")]
    for rule, status in run.statuses().items():
        if status == "passed":
            assert any(f["exercised"].get(rule) for f in finished), rule


def test_a_healthy_child_is_started_once_and_may_hold_a_port(tmp_path: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    run = offsync_run(
        tmp_path, f"{CHILD} bind-port {port}", "--profile", "dev", "--family", "outbox",
        "--seed", "1",
    )  # fmt: skip
    assert run.code == 0, run.out
    assert len(run.children) == 1  # no pre-check child, no start at report time
    assert run.report is not None and run.report["verdict"] == "pass"
    assert run.report["capabilities"]  # from the one hello, through the family stats


FACTORY_FAULTS = [
    ("tests.engine.broken:raising_factory", ["could not start", "licence server unreachable"]),
    ("tests.engine.broken:not_an_adapter", ["returned dict", "lacks setup/apply"]),
    ("tests.engine.broken:HangsOnApply", ["at operation 15", "no answer in 1 s"]),
    ("tests.engine.broken:RaisesOnApply", ["KeyError", "row n7 not in the store", "broken.py"]),
    ("tests.engine.broken:RaisesBaseExceptionOnApply", ["_Killed", "the app was killed"]),
]


@pytest.mark.parametrize(
    ("iut", "named"), FACTORY_FAULTS, ids=[i.split(":")[1] for i, _ in FACTORY_FAULTS]
)
def test_a_misbehaving_python_adapter_is_an_error_naming_the_cause(
    tmp_path: Path, iut: str, named: list[str]
) -> None:
    run = offsync_run(
        tmp_path, iut, "--profile", "dev", "--family", "outbox", "--seed", "1", "--timeout", "1"
    )
    assert run.code == 3, run.out
    assert_nothing_passed_that_did_not_run(run)
    told = run.family("outbox")["message"]
    for words in named:
        assert words in told, told
    assert "Traceback" not in run.out
    if "factory" in iut or "adapter" in iut:  # it never started: one line says so
        assert "offsync run: the IUT could not start, nothing was checked" in run.out


INTERRUPTS = [
    (signal.SIGINT, True, "0"),
    (signal.SIGTERM, False, "0"),
    (signal.SIGTERM, True, "2"),
]


@pytest.mark.parametrize(
    ("signum", "group", "workers"),
    INTERRUPTS,
    ids=[f"{s.name}-{'group' if g else 'main'}-n{w}" for s, g, w in INTERRUPTS],
)
def test_an_interrupted_run_writes_an_incomplete_report(
    tmp_path: Path, signum: signal.Signals, group: bool, workers: str
) -> None:
    run = offsync_run(
        tmp_path, "conformance.model_adapter:factory", "--profile", "ci", "--family", "profile",
        "--family", "staleness", "--family", "conflicts", "--seed", "3", "-n", workers,
        interrupt=(signum, group),
    )  # fmt: skip
    assert run.code == 3, run.out
    report = run.report
    assert report is not None, run.out
    assert report["interrupted"] == f"interrupted by {signum.name}", (report["families"], run.out)
    assert report["verdict"] == "error" and not report["complete"]
    outcomes = {f["name"]: f["outcome"] for f in report["families"]}
    assert sorted(outcomes) == ["conflicts", "profile", "staleness"]  # every planned family
    assert set(outcomes.values()) <= {"interrupted", "not_run", "passed"}, report["families"]
    assert {"interrupted", "not_run"} & set(outcomes.values())
    statuses = run.statuses()
    for family, prefix in (("profile", "PROFILE-"), ("staleness", "STALE-")):
        if outcomes[family] != "passed":  # an unfinished family's rules are never passed
            assert {s for r, s in statuses.items() if r.startswith(prefix)} == {"error"}
    summary = (tmp_path / "report" / "summary.md").read_text()
    assert summary.startswith(
        f"# offsync conformance report: ERROR (incomplete: interrupted by {signum.name})"
    )
    assert_no_rule_passed_without_a_finished_family(run)
    assert run.junit is not None and run.junit.findall(".//error")


def test_sigterm_stops_the_sample_http_server(tmp_path: Path) -> None:
    """The uvicorn server of ``http_factory`` belongs to the run's session: the check that no
    process of the session is left covers it."""
    run = offsync_run(
        tmp_path, "implementations.sample.adapter:http_factory", "--profile", "ci",
        "--family", "profile", "--family", "staleness", "--seed", "3",
        interrupt=(signal.SIGTERM, False),
    )  # fmt: skip
    assert run.code == 3, run.out
    assert run.report is not None and run.report["interrupted"] == "interrupted by SIGTERM"
