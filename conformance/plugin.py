"""The pytest plugin (entry point ``pytest11``): ``--iut``, ``--profile``, ``--offsync-seed``,
``--offsync-report`` and ``--offsync-progress``; collects each family's stats (also from
pytest-xdist workers) and writes the report at the end of the session."""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from conformance.engine.profiles import DEFAULT_PROFILE, PROFILES
from conformance.iut.resolve import IUT, IUTSpecError, resolve
from conformance.reporting.progress import Progress
from conformance.reporting.stats import FamilyStats

STATS_PROPERTY = "offsync_stats"


@dataclass
class OffsyncRun:
    iut: IUT
    profile: str
    seed: int
    #: progress lines while a family runs (None: off)
    progress: Progress | None = None


def _progress_writer(config: pytest.Config) -> Callable[[str], None]:
    """Write a line to the terminal from inside a running test: through pytest's terminal
    reporter in a plain run, to the inherited standard error (the terminal) in a pytest-xdist
    worker, with output capture suspended meanwhile."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    worker = getattr(config, "workerinput", {}).get("workerid")

    def write(line: str) -> None:
        with capture.global_and_fixture_disabled() if capture is not None else nullcontext():
            if worker is None and reporter is not None:
                reporter.write_line(f"offsync: {line}")
            else:
                print(f"offsync: [{worker}] {line}", file=sys.stderr, flush=True)

    return write


class _Session:
    """Controller-side state: the family stats received so far."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.families: dict[str, FamilyStats] = {}
        self.started = datetime.now(UTC)
        self.clock = time.perf_counter()
        self.report: dict[str, Any] | None = None
        self.report_paths: list[Path] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == STATS_PROPERTY and report.when == "call":
                stats = FamilyStats.from_json(json.loads(str(value)))
                if stats.family in self.families:  # another part of the family
                    self.families[stats.family].merge(stats)
                else:
                    self.families[stats.family] = stats
                reporter = self.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:  # the part's own figures, named as its test is
                    _, _, case = report.nodeid.partition("[")
                    part = case.rstrip("]") or stats.family
                    reporter.write_line(
                        f"offsync: family {part:<16} {stats.outcome:<7} "
                        f"{stats.examples:>5} examples {stats.steps:>6} steps "
                        f"{stats.seconds:7.1f} s"
                    )

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        out = self.config.getoption("offsync_report")
        if not out or not self.families:
            return
        from conformance.reporting import report as report_mod

        opt = self.config.option
        iut = resolve(opt.iut)
        directory = Path(out)
        self.report = report_mod.build(
            [self.families[k] for k in sorted(self.families)],
            iut=iut.spec,
            profile=opt.offsync_profile,
            seed=opt.offsync_seed,
            capabilities=iut.capabilities,
            started=self.started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_s=time.perf_counter() - self.clock,
            report_path=directory / "report.json",
        )
        self.report_paths = report_mod.write(self.report, directory)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is not None:
            s = self.report["summary"]
            terminalreporter.write_line(
                f"offsync: rules {s['passed']} passed, {s['failed']} failed, "
                f"{s['not_applicable']} not applicable, {s['not_exercised']} not exercised "
                f"(seed {self.report['seed']})"
            )
            terminalreporter.write_line(f"offsync: report written to {self.report_paths[0].parent}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("offsync", "offsync conformance suite")
    group.addoption(
        "--iut",
        default=None,
        help="implementation under test: 'module:factory' or 'exec:COMMAND' "
        "(default: the bundled implementation)",
    )
    group.addoption(
        "--profile",
        dest="offsync_profile",
        default=DEFAULT_PROFILE,
        choices=sorted(PROFILES),
        help=f"how hard to search (default {DEFAULT_PROFILE})",
    )
    group.addoption(
        "--offsync-seed",
        type=int,
        default=None,
        help="seed of the run (default: a random one, printed and recorded)",
    )
    group.addoption(
        "--offsync-report", default=None, metavar="DIR", help="write the run's report into DIR"
    )
    group.addoption(
        "--offsync-progress",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="while a family runs, a progress line every SECONDS (default 30; 0: none)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.option.offsync_progress >= 0:
        raise pytest.UsageError(
            f"--offsync-progress must be 0 (off) or a positive number of seconds, "
            f"not {config.option.offsync_progress}"
        )
    if config.option.offsync_seed is None:
        # chosen once by the controller; pytest-xdist hands the options to its workers
        config.option.offsync_seed = random.SystemRandom().randrange(2**32)
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Session(config), "offsync-session")


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.option.offsync_report is None and config.option.iut is None:
        return None  # not a suite run (e.g. a project's own tests): say nothing
    return (
        f"offsync: iut={config.option.iut or 'default'} profile={config.option.offsync_profile} "
        f"seed={config.option.offsync_seed} (replay with --offsync-seed "
        f"{config.option.offsync_seed})"
    )


@pytest.fixture(scope="session")
def offsync(request: pytest.FixtureRequest) -> OffsyncRun:
    """The run's IUT, settings and seed."""
    opt = request.config.option
    try:
        iut = resolve(opt.iut)
    except IUTSpecError as exc:
        pytest.exit(str(exc), returncode=4)
    every = opt.offsync_progress
    progress = Progress(_progress_writer(request.config), every) if every > 0 else None
    return OffsyncRun(iut, opt.offsync_profile, opt.offsync_seed, progress)
