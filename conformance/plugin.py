"""The pytest plugin (entry point ``pytest11``): the suite's options, the IUT of each process,
the family statistics (also from pytest-xdist workers) and the report at the end.

Options: ``--iut``, ``--profile``, ``--offsync-seed``, ``--offsync-report``,
``--offsync-progress``, ``--offsync-timeout``, ``--offsync-family``, ``--offsync-expect``,
``--offsync-corpus`` and ``--offsync-shard`` (see ``conformance.ci``).

What the plugin guarantees about the report (see ``conformance.reporting.report``):

- the IUT is loaded and greeted (``hello``) once per process, by the ``offsync`` fixture; its
  capabilities travel to the controller inside each family's statistics, so writing the
  report never starts the IUT again;
- the families planned are the suite's collected test items; one that sends no result (its
  worker crashed, the run was interrupted) is reported as not run to its end, never as passed;
- SIGINT, SIGTERM and SIGHUP interrupt the run like Ctrl-C (the children the run started are
  stopped on the way out) and the report is written, marked incomplete.
"""

from __future__ import annotations

import json
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.profiles import DEFAULT_PROFILE, PROFILES
from conformance.iut.resolve import (
    DEFAULT_TIMEOUT,
    IUT,
    IUTSpecError,
    IUTStartError,
    hello,
    load,
)
from conformance.reporting.progress import Progress
from conformance.reporting.stats import CorpusResult, FamilyStats

STATS_PROPERTY = "offsync_stats"
CORPUS_PROPERTY = "offsync_corpus"
#: where a suite run keeps its signal handling, for the fixture (see ``OffsyncRun.signal``)
_SIGNALS = pytest.StashKey["_Signals"]()
#: the expectations a suite run judges its verdict against
_EXPECTED = pytest.StashKey[dict[str, dict[str, str]]]()
#: a suite item's id ends with its family and part: ``test_family[broad-1of2]``
_PART_ID = re.compile(r"\[(?P<family>[a-z_]+)-(?P<part>\d+of\d+)\]$")
#: a corpus item's id: ``test_corpus[SYNC-8-0123456789ab.json]``
_CORPUS_ID = re.compile(r"test_corpus\[(?P<entry>[^\]]+)\]$")


@dataclass
class OffsyncRun:
    """The run as one process sees it: the IUT (greeted once) and the settings."""

    iut: IUT | None
    #: the IUT's declared capabilities (None when it could not start)
    capabilities: frozenset[str] | None
    #: why the IUT could not be loaded or started, if it could not
    start_error: str | None
    profile: str
    seed: int
    timeout: float
    #: progress lines while a family runs (None: off)
    progress: Progress | None = None
    #: the signal that interrupted the run, once one has (None: none yet)
    signal: Callable[[], str | None] = lambda: None
    #: pytest's -v: show the engine's traceback and Hypothesis's output on a failure
    verbose: bool = False
    #: the corpus directory (None: no corpus)
    corpus: Path | None = None


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


class _Signals:
    """SIGTERM and SIGHUP end the run as SIGINT does (``KeyboardInterrupt``), so that pytest
    unwinds: fixtures and adapters close, children stop, the report is written. The default
    action of SIGTERM would end the process at once and leave its children running. Which
    signal it was is kept for the report."""

    HANDLED = ("SIGINT", "SIGTERM", "SIGHUP")

    def __init__(self) -> None:
        self.received: str | None = None
        self._saved: dict[int, Any] = {}

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for name in self.HANDLED:
            signum = getattr(signal, name, None)
            if signum is not None:
                self._saved[signum] = signal.signal(signum, self._handle)

    def uninstall(self) -> None:
        for signum, handler in self._saved.items():
            signal.signal(signum, handler)
        self._saved.clear()

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received is None:
            self.received = signal.Signals(signum).name
        raise KeyboardInterrupt(f"interrupted by {signal.Signals(signum).name}")


class _Session:
    """Controller-side state: the parts planned, and the family stats received so far."""

    def __init__(self, config: pytest.Config, signals: _Signals) -> None:
        self.config = config
        self.signals = signals
        #: family -> its parts' labels (``broad-1of2``), from the collected items
        self.planned: dict[str, set[str]] = {}
        #: part label -> its stats, as received
        self.parts: dict[str, FamilyStats] = {}
        #: the corpus entries replayed, as received
        self.corpus: list[CorpusResult] = []
        #: corpus entries planned (their items collected)
        self.corpus_planned: set[str] = set()
        self.started = datetime.now(UTC)
        self.clock = time.perf_counter()
        self.interrupted: str | None = None
        self.report: dict[str, Any] | None = None
        self.report_paths: list[Path] = []
        #: counterexamples written into the corpus at the end
        self.saved: list[Path] = []

    def _plan(self, nodeids: list[str]) -> None:
        for nodeid in nodeids:
            entry = _CORPUS_ID.search(nodeid)
            if entry:
                self.corpus_planned.add(entry["entry"])
            found = _PART_ID.search(nodeid)
            if found:
                family = found["family"]
                self.planned.setdefault(family, set()).add(f"{family}-{found['part']}")

    @pytest.hookimpl
    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self._plan([item.nodeid for item in session.items])

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self._plan(ids)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for name, value in report.user_properties:
            if name == CORPUS_PROPERTY and report.when == "call":
                result = CorpusResult.from_json(json.loads(str(value)))
                self.corpus.append(result)
                reporter = self.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None and result.outcome != "passed":
                    reporter.write_line(
                        f"offsync: corpus {result.entry}: {result.outcome} {result.message}"
                    )
        found = _PART_ID.search(report.nodeid)
        if found is None:
            return
        part = f"{found['family']}-{found['part']}"
        for name, value in report.user_properties:
            if name == STATS_PROPERTY and report.when == "call":
                stats = FamilyStats.from_json(json.loads(str(value)))
                if report.failed and stats.outcome == "passed":
                    # the test failed where the stats say nothing did: never a pass
                    lines = (report.longreprtext or "the test failed").strip().splitlines()
                    stats.outcome, stats.message = "error", lines[-1] if lines else "failed"
                self.parts[part] = stats
                reporter = self.config.pluginmanager.get_plugin("terminalreporter")
                if reporter is not None:  # the part's own figures, named as its test is
                    reporter.write_line(
                        f"offsync: family {part:<16} {stats.outcome:<7} "
                        f"{stats.examples:>5} examples {stats.steps:>6} steps "
                        f"{stats.seconds:7.1f} s"
                    )
        if report.failed and part not in self.parts:
            # it failed without stats: a fixture error, or its worker crashed
            lines = (report.longreprtext or "no result").strip().splitlines()
            self.parts[part] = FamilyStats(
                found["family"], outcome="error", message=lines[-1] if lines else "no result"
            )

    @pytest.hookimpl
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        self.interrupted = self._interruption()

    def _interruption(self) -> str:
        if self.signals.received:
            return f"interrupted by {self.signals.received}"
        return "interrupted"

    def families(self) -> list[FamilyStats]:
        """One stats per family that sent a result, its parts merged; a family with a part
        that sent none is not finished."""
        merged: dict[str, FamilyStats] = {}
        for part in sorted(self.parts):
            stats = self.parts[part]
            if stats.family in merged:
                merged[stats.family].merge(stats)
            else:
                merged[stats.family] = stats
        for family, parts in self.planned.items():
            missing = sorted(parts - set(self.parts))
            if missing and family in merged:
                stats = merged[family]
                if stats.outcome in ("passed", "failed"):  # a failure found stays a failure
                    why = self.interrupted or "no result was received"
                    stats.outcome = "interrupted" if self.interrupted else "error"
                    stats.message = f"{', '.join(missing)} did not finish: {why}"
        return [merged[k] for k in sorted(merged)]

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.interrupted is None and (
            exitstatus == pytest.ExitCode.INTERRUPTED or self.signals.received is not None
        ):
            # a signal counts even where something swallowed the KeyboardInterrupt it raised
            self.interrupted = self._interruption()
        out = self.config.getoption("offsync_report")
        if not out or not (self.planned or self.parts):
            return
        from conformance.reporting import report as report_mod

        opt = self.config.option
        families = self.families()
        capabilities = next((f.capabilities for f in families if f.capabilities is not None), None)
        planned = {
            name: FAMILY_BY_NAME[name].focus if name in FAMILY_BY_NAME else ()
            for name in sorted(self.planned)
        }
        directory = Path(out)
        received = {c.entry for c in self.corpus}
        corpus = sorted(self.corpus, key=lambda c: c.entry) + [
            CorpusResult(entry, entry.rsplit("-", 1)[0], "error", "no result was received")
            for entry in sorted(self.corpus_planned - received)
        ]
        expected = self.config.stash.get(_EXPECTED, None)
        self.report = report_mod.build(
            families,
            iut=opt.iut or _default_iut(),
            profile=opt.offsync_profile,
            seed=opt.offsync_seed,
            capabilities=capabilities,
            started=self.started.isoformat(timespec="seconds"),
            finished=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_s=time.perf_counter() - self.clock,
            report_path=directory / "report.json",
            planned=planned,
            interrupted=self.interrupted,
            corpus=corpus,
            expected=expected,
            expectations_source=opt.offsync_expect,
            shard=opt.offsync_shard,
        )
        self.report_paths = report_mod.write(self.report, directory)
        if opt.offsync_corpus:
            from conformance.ci import save_to_corpus

            self.saved = save_to_corpus(Path(opt.offsync_corpus), self.report)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is not None:
            from conformance.reporting.report import counts_line, verdict_line

            terminalreporter.write_line(
                f"offsync: {verdict_line(self.report)}: rules {counts_line(self.report)} "
                f"(seed {self.report['seed']})"
            )
            terminalreporter.write_line(f"offsync: report written to {self.report_paths[0].parent}")
            for path in self.saved:
                terminalreporter.write_line(f"offsync: counterexample kept in the corpus: {path}")


def _default_iut() -> str:
    from conformance.iut.resolve import DEFAULT_IUT

    return DEFAULT_IUT


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
    group.addoption(
        "--offsync-timeout",
        type=float,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds one call to the IUT may take (default {DEFAULT_TIMEOUT:g})",
    )
    group.addoption(
        "--offsync-expect",
        default=None,
        metavar="FILE",
        help="judge the verdict against these expected failures / not applicable rules "
        "(JSON or TOML)",
    )
    group.addoption(
        "--offsync-corpus",
        default=None,
        metavar="DIR",
        help="replay this corpus of counterexamples first and keep new ones in it "
        "(default: none under plain pytest; offsync run uses ./offsync-corpus)",
    )
    group.addoption(
        "--offsync-shard",
        default=None,
        metavar="K/N",
        help="run only the K-th of N deterministic slices of the suite (merge the reports "
        "with 'offsync merge')",
    )
    group.addoption(
        "--offsync-family",
        action="append",
        default=None,
        metavar="NAME",
        help=f"run only this rule family (repeatable; one of {', '.join(FAMILY_BY_NAME)})",
    )


def pytest_configure(config: pytest.Config) -> None:
    opt = config.option
    if not opt.offsync_progress >= 0:
        raise pytest.UsageError(
            f"--offsync-progress must be 0 (off) or a positive number of seconds, "
            f"not {opt.offsync_progress}"
        )
    if not opt.offsync_timeout > 0:
        raise pytest.UsageError(
            f"--offsync-timeout must be a positive number of seconds, not {opt.offsync_timeout}"
        )
    unknown = sorted(set(opt.offsync_family or ()) - set(FAMILY_BY_NAME))
    if unknown:
        raise pytest.UsageError(
            f"--offsync-family: unknown {', '.join(unknown)}; choose from "
            f"{', '.join(FAMILY_BY_NAME)}"
        )
    from conformance.ci import InputError, corpus_entries, load_expectations, parse_shard

    try:
        if opt.offsync_shard is not None:
            parse_shard(opt.offsync_shard)
        if opt.offsync_expect is not None:
            config.stash[_EXPECTED] = load_expectations(Path(opt.offsync_expect))
        if opt.offsync_corpus is not None:
            corpus_entries(Path(opt.offsync_corpus))
    except InputError as exc:
        raise pytest.UsageError(str(exc)) from None
    if opt.offsync_seed is None:
        # chosen once by the controller; pytest-xdist hands the options to its workers
        opt.offsync_seed = random.SystemRandom().randrange(2**32)
    if opt.offsync_report is None and opt.iut is None:
        return  # not a suite run (e.g. a project's own tests): leave signals alone
    signals = _Signals()
    signals.install()
    config.add_cleanup(signals.uninstall)
    config.stash[_SIGNALS] = signals
    if not hasattr(config, "workerinput"):
        config.pluginmanager.register(_Session(config, signals), "offsync-session")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """``--offsync-family``: keep only those families' items; ``--offsync-shard K/N``: then
    only the K-th of N slices of what is left (item i is in shard i mod N + 1)."""
    from conformance.ci import in_shard, parse_shard

    chosen = config.option.offsync_family
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        found = _PART_ID.search(item.nodeid)
        if item.nodeid.endswith("test_corpus[-]"):  # the placeholder of an empty corpus
            drop.append(item)
        elif not chosen or found is None or found["family"] in chosen:
            keep.append(item)
        else:
            drop.append(item)
    if config.option.offsync_shard:
        shard = parse_shard(config.option.offsync_shard)
        suite = [
            item for item in keep if _PART_ID.search(item.nodeid) or _CORPUS_ID.search(item.nodeid)
        ]
        out = {id(item) for i, item in enumerate(suite) if not in_shard(i, shard)}
        drop += [item for item in keep if id(item) in out]
        keep = [item for item in keep if id(item) not in out]
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_report_header(config: pytest.Config) -> str | None:
    if config.option.offsync_report is None and config.option.iut is None:
        return None  # not a suite run (e.g. a project's own tests): say nothing
    return (
        f"offsync: iut={config.option.iut or 'default'} profile={config.option.offsync_profile} "
        f"seed={config.option.offsync_seed} (replay with --offsync-seed "
        f"{config.option.offsync_seed})"
    )


@pytest.fixture(scope="session")
def offsync(request: pytest.FixtureRequest) -> Any:
    """The run's IUT (loaded and greeted once in this process), settings and seed. An IUT
    that cannot be loaded or started is not an exception here: every family reports it as
    its error (see ``conformance/suite``)."""
    opt = request.config.option
    every = opt.offsync_progress
    progress = Progress(_progress_writer(request.config), every) if every > 0 else None
    iut: IUT | None = None
    capabilities, start_error = None, None
    try:
        iut = load(opt.iut, opt.offsync_timeout)
        capabilities = hello(iut)
    except (IUTSpecError, IUTStartError) as exc:
        start_error = str(exc)
    signals = request.config.stash.get(_SIGNALS, None)
    run = OffsyncRun(
        iut,
        capabilities,
        start_error,
        opt.offsync_profile,
        opt.offsync_seed,
        opt.offsync_timeout,
        progress,
        (lambda: signals.received) if signals is not None else (lambda: None),
        opt.verbose > 0,
        Path(opt.offsync_corpus) if opt.offsync_corpus else None,
    )
    yield run
    if iut is not None:
        iut.close()
