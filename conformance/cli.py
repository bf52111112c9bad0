"""Command-line interface: ``offsync run``, ``replay``, ``merge``, ``corpus`` and
``scenarios``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from conformance.ci import (
    DEFAULT_CORPUS,
    InputError,
    corpus_entries,
    load_expectations,
    load_report,
    parse_shard,
)
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.profiles import DEFAULT_PROFILE, PROFILES
from conformance.iut.resolve import DEFAULT_TIMEOUT, IUTSpecError, IUTStartError, hello, load

REPORTS_ROOT = Path("reports")
SUITE_DIR = Path(__file__).resolve().parent / "suite"

#: exit codes: every rule passed (or was not applicable / not exercised); a rule failed; a bad
#: argument; the run broke (the IUT could not start or broke, a family did not run to its end)
#: or was interrupted, and no rule failed
OK, FAILED, USAGE, ERROR = 0, 1, 2, 3


def default_report_dir(kind: str, now: datetime | None = None) -> Path:
    """Return ``reports/<UTC timestamp>-<kind>``, e.g. ``reports/20261125T084500Z-run``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return REPORTS_ROOT / f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{kind}"


def _seconds(text: str) -> float:
    """A non-negative number of seconds (argparse names the option when this refuses)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"must be 0 (off) or positive, not {text}")
    return value


def _positive_seconds(text: str) -> float:
    """A positive number of seconds."""
    value = _seconds(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, not {text}")
    return value


def _writable(directory: Path) -> str | None:
    """None when reports can be written into ``directory`` (created if need be); otherwise
    why not, in a few words."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".offsync-write-check"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def pytest_args(args: argparse.Namespace, out: Path) -> list[str]:
    """The pytest command line that runs the suite for ``offsync run``."""
    argv = [
        "-c",
        str(SUITE_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITE_DIR),
        "--pyargs",
        "conformance.suite",
        "--profile",
        args.profile,
        "--offsync-report",
        str(out),
        "--assert=plain",  # the suite raises its own errors; rewriting would only warn here
        # ``--iut mypackage.adapter:factory`` imports from where offsync was started, as
        # ``python -m`` would, in pytest-xdist workers too
        "-o",
        f"pythonpath={Path.cwd()}",
        "-q" if not args.verbose else "-v",
        # offsync prints each failure once, told for people, from the report (-v: pytest's
        # own account as well, for debugging the suite itself)
        "--tb=no" if not args.verbose else "--tb=long",
    ]
    if not any(ep.name == "offsync" for ep in entry_points(group="pytest11")):
        argv += ["-p", "conformance.plugin"]  # running from a source tree that is not installed
    if args.iut:
        argv += ["--iut", args.iut]
    if args.seed is not None:
        argv += ["--offsync-seed", str(args.seed)]
    for name in args.family or ():
        argv += ["--offsync-family", name]
    argv += ["--offsync-timeout", str(args.timeout)]
    if args.workers != "0":
        argv += ["-n", args.workers]
    if args.progress is not None:
        argv += ["--offsync-progress", str(args.progress)]
    if args.expect is not None:
        argv += ["--offsync-expect", str(args.expect)]
    if not args.no_corpus:
        argv += ["--offsync-corpus", str(args.corpus)]
    if args.shard is not None:
        argv += ["--offsync-shard", args.shard]
    return argv


def _cmd_run(args: argparse.Namespace) -> int:
    import pytest

    _importable_from_here()
    try:
        load(args.iut, args.timeout)  # names a bad --iut before anything runs; starts nothing
    except IUTSpecError as exc:
        print(f"offsync run: {exc}", file=sys.stderr)
        return USAGE
    try:  # every file the run was given is checked before anything runs
        if args.expect is not None:
            load_expectations(args.expect)
        if args.shard is not None:
            parse_shard(args.shard)
        if not args.no_corpus:
            corpus_entries(args.corpus)
    except InputError as exc:
        print(f"offsync run: {exc}", file=sys.stderr)
        return USAGE
    out: Path = args.out or default_report_dir("run")
    why = _writable(out)
    if why is not None:
        print(f"offsync run: cannot write the report into {out}: {why}", file=sys.stderr)
        return USAGE
    try:
        code = pytest.main(pytest_args(args, out))
    except Exception as exc:  # noqa: BLE001 - pytest itself broke: the report decides
        # CPython 3.11 can leave a traceback entry without a line number when a signal
        # interrupts a run; pytest then raises while it renders the interruption, after
        # the plugin wrote the (incomplete) report. Uncaught, it would exit 1 ("a rule
        # failed"); the report's verdict says what the run was.
        print(f"offsync run: pytest broke ({type(exc).__name__}: {exc})", file=sys.stderr)
        code = pytest.ExitCode.INTERNAL_ERROR
    report_path = out / "report.json"
    if not report_path.exists():
        print(
            f"offsync run: no report was written (pytest exit code {int(code)}); "
            "nothing was checked",
            file=sys.stderr,
        )
        return USAGE if int(code) == int(pytest.ExitCode.USAGE_ERROR) else ERROR
    report = json.loads(report_path.read_text())
    if report["capabilities"] is None and report["families"]:
        # the IUT never started: one line says why, nothing else was checked
        first = report["families"][0]
        print(
            f"offsync run: the IUT could not start, nothing was checked: "
            f"{first.get('message', first['outcome'])} (report: {report_path.parent})",
            file=sys.stderr,
        )
        return ERROR
    _print_outcome(report, report_path)
    return _exit_code(report)


def _exit_code(report: dict[str, Any]) -> int:
    return {"pass": OK, "fail": FAILED}.get(report["verdict"], ERROR)


def _print_outcome(report: dict[str, Any], report_path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    from conformance.reporting.report import FINISHED, counts_line, verdict_line

    console = Console(stderr=False, soft_wrap=True)
    interesting = [r for r in report["rules"] if r["status"] != "passed"]
    if interesting:
        table = Table(title="rules not passed")
        for col in ("rule", "status", "title"):
            table.add_column(col)
        for rule in interesting:
            table.add_row(rule["id"], rule["status"].replace("_", " "), rule["title"])
        console.print(table)
    for rule in report["rules"]:
        if rule["status"] == "failed":
            console.rule(f"[red]{rule['id']} failed[/red]")
            console.print(rule["counterexample"]["text"], highlight=False, markup=False)
    told: set[str] = set()
    for fam in report["families"]:
        if fam["outcome"] not in FINISHED:
            message = fam.get("message", fam["outcome"])
            if message not in told:  # the same cause in every family is said once
                told.add(message)
                console.print(
                    f"[red]family {fam['name']} {fam['outcome'].replace('_', ' ')}[/red]: "
                    f"{message}",
                    highlight=False,
                )
    if report.get("expectations"):
        unexpected = [
            f"{r['id']} {r['expectation'].replace('_', ' ')}"
            for r in report["rules"]
            if r["expectation"] not in ("met", "not_checked")
        ]
        expected_failures = [
            r["id"] for r in report["rules"] if r["expected"] and r["status"] == "failed"
        ]
        console.print(
            f"offsync: expectations {report['expectations']['source']}: "
            f"{len(expected_failures)} expected failure(s)"
            + (f" ({', '.join(expected_failures)})" if expected_failures else "")
            + (f"; unexpected: {', '.join(unexpected)}" if unexpected else "; nothing unexpected"),
            highlight=False,
        )
    regressions = [c["entry"] for c in report.get("corpus", []) if c["outcome"] == "failed"]
    if regressions:
        console.print(
            f"[red]offsync: regression[/red]: corpus {', '.join(regressions)} fail(s) again",
            highlight=False,
        )
    console.print(
        f"offsync: {verdict_line(report)}: {counts_line(report)}; report: {report_path.parent}",
        highlight=False,
    )


def _importable_from_here() -> None:
    """Let ``--iut module:factory`` name a module of the directory offsync was started in, as
    ``python -m`` would."""
    here = str(Path.cwd())
    if here not in sys.path:
        sys.path.insert(0, here)


def _cmd_replay(args: argparse.Namespace) -> int:
    from conformance.engine.driver import IUTBroke, replay
    from models.rules import RULES

    _importable_from_here()
    path: Path = args.report
    try:
        report = load_report(path)
    except InputError as exc:
        print(f"offsync replay: {exc}", file=sys.stderr)
        return USAGE
    if args.rule and args.rule not in RULES:
        print(f"offsync replay: no rule {args.rule!r} in this suite", file=sys.stderr)
        return USAGE
    failed = {r["id"]: r["counterexample"] for r in report["rules"] if r["counterexample"]}
    if args.rule and args.rule not in failed:
        known = ", ".join(sorted(failed)) or "none"
        print(
            f"offsync replay: {path} has no counterexample for {args.rule} (it has: {known})",
            file=sys.stderr,
        )
        return USAGE
    if not failed:
        print(f"offsync replay: {path} has no counterexample to replay", file=sys.stderr)
        return USAGE
    try:
        iut = load(args.iut or report.get("iut"), args.timeout)
        hello(iut)
    except (IUTSpecError, IUTStartError) as exc:
        print(f"offsync replay: {exc}", file=sys.stderr)
        return USAGE if isinstance(exc, IUTSpecError) else ERROR
    still_failing = broke = 0
    try:
        for rule, example in failed.items():
            if args.rule and rule != args.rule:
                continue
            try:
                mismatch = replay(
                    example["world"], example["operations"], iut.factory, example["family"],
                    args.timeout,
                )  # fmt: skip
            except IUTBroke as exc:
                broke += 1
                print(f"{rule}: the implementation broke during the replay: {exc.cause.message}")
                continue
            steps = len(example["operations"])
            if mismatch is None:
                print(
                    f"{rule}: the recorded counterexample now passes against {iut.spec} "
                    f"(all {steps} operations replayed)"
                )
            else:
                still_failing += 1
                print(f"{rule}: still fails against {iut.spec}\n{mismatch.describe()}")
    finally:
        iut.close()
    if still_failing:
        return FAILED
    return ERROR if broke else OK


def _cmd_merge(args: argparse.Namespace) -> int:
    from conformance.reporting.report import MergeError, merge, write

    try:
        reports = [load_report(path) for path in args.reports]
    except InputError as exc:
        print(f"offsync merge: {exc}", file=sys.stderr)
        return USAGE
    out: Path = args.out or default_report_dir("merged")
    why = _writable(out)
    if why is not None:
        print(f"offsync merge: cannot write into {out}: {why}", file=sys.stderr)
        return USAGE
    try:
        merged = merge(reports, out / "report.json")
    except MergeError as exc:
        print(f"offsync merge: {exc}", file=sys.stderr)
        return USAGE
    write(merged, out)
    _print_outcome(merged, out / "report.json")
    return _exit_code(merged)


def _cmd_corpus(args: argparse.Namespace) -> int:
    from conformance.ci import save_to_corpus

    directory: Path = args.corpus
    try:
        entries = corpus_entries(directory)
    except InputError as exc:
        print(f"offsync corpus: {exc}", file=sys.stderr)
        return USAGE
    if args.action == "list":
        for path, entry in entries:
            print(
                f"{path.name}: {entry['rule']} ({entry['family']}, "
                f"{len(entry['operations'])} operations), found {entry['found']['date']} "
                f"against {entry['found']['iut']}"
            )
        print(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} in {directory}")
        return OK
    if args.action == "add":
        if args.report is None:
            print("offsync corpus add: name the report.json to take from", file=sys.stderr)
            return USAGE
        try:
            report = load_report(args.report)
        except InputError as exc:
            print(f"offsync corpus add: {exc}", file=sys.stderr)
            return USAGE
        written = save_to_corpus(directory, report)
        for path in written:
            print(f"added {path}")
        print(f"{len(written)} added to {directory}")
        return OK
    # prune: entries another run wrote twice, and (with --iut) those that now pass
    from conformance.ci import program_key
    from conformance.engine.driver import IUTBroke, replay

    seen: set[str] = set()
    removed = 0
    iut = None
    if args.iut:
        try:
            iut = load(args.iut, args.timeout)
            capabilities = hello(iut)
        except (IUTSpecError, IUTStartError) as exc:
            print(f"offsync corpus prune: {exc}", file=sys.stderr)
            return USAGE if isinstance(exc, IUTSpecError) else ERROR
    try:
        for path, entry in entries:
            key = program_key(entry["world"], entry["operations"])
            why = "the same program as another entry" if key in seen else None
            seen.add(key)
            if why is None and iut is not None and set(entry["capabilities"]) <= capabilities:
                try:
                    mismatch = replay(
                        entry["world"], entry["operations"], iut.factory, entry["family"],
                        args.timeout,
                    )  # fmt: skip
                except IUTBroke:
                    continue  # not known to pass: kept
                if mismatch is None:
                    why = f"it now passes against {iut.spec}"
            if why is not None:
                path.unlink()
                removed += 1
                print(f"removed {path.name}: {why}")
    finally:
        if iut is not None:
            iut.close()
    print(f"{removed} removed, {len(entries) - removed} kept in {directory}")
    return OK


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from conformance.reporting import scenarios as scenario_report

    out: Path | None = args.out
    return scenario_report.main(out if out is not None else default_report_dir("scenarios"))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="offsync",
        description="Conformance suite for offline synchronization engines and their rules.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser("run", help="run the conformance suite and write a report")
    run.add_argument(
        "--iut",
        help="implementation under test: 'module:factory' or "
        "'exec:COMMAND' (default: the bundled implementation)",
    )
    run.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help=f"how hard to search (default: {DEFAULT_PROFILE})",
    )
    run.add_argument("--seed", type=int, help="seed of the run (default: random, recorded)")
    run.add_argument(
        "--out",
        type=Path,
        metavar="DIR",
        help="report directory (default: reports/<UTC timestamp>-run)",
    )
    run.add_argument(
        "--family",
        action="append",
        choices=sorted(FAMILY_BY_NAME),
        help="run only this rule family (repeatable)",
    )
    run.add_argument(
        "-n",
        "--workers",
        default="0",
        help="pytest-xdist workers: a number or 'auto' (default: 0, in-process)",
    )
    run.add_argument(
        "--progress",
        type=_seconds,
        metavar="SECONDS",
        help="while a family runs, a progress line every SECONDS (default 30; 0: none)",
    )
    run.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds one call to the IUT may take (default {DEFAULT_TIMEOUT:g})",
    )
    run.add_argument(
        "--expect",
        type=Path,
        metavar="FILE",
        help="expected failures and not-applicable rules with reasons (JSON or TOML): the "
        "verdict fails only on what is unexpected",
    )
    run.add_argument(
        "--corpus",
        type=Path,
        default=DEFAULT_CORPUS,
        metavar="DIR",
        help=f"replay these kept counterexamples first, keep new ones (default: {DEFAULT_CORPUS})",
    )
    run.add_argument("--no-corpus", action="store_true", help="neither replay nor keep a corpus")
    run.add_argument(
        "--shard",
        metavar="K/N",
        help="run only the K-th of N slices of the run (same seed; 'offsync merge' joins them)",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's verbose output")
    run.set_defaults(func=_cmd_run)

    mer = sub.add_parser("merge", help="join the reports of a run's shards into one")
    mer.add_argument("reports", type=Path, nargs="+", metavar="REPORT", help="report.json files")
    mer.add_argument(
        "--out", type=Path, metavar="DIR", help="default: reports/<UTC timestamp>-merged"
    )
    mer.set_defaults(func=_cmd_merge)

    cor = sub.add_parser("corpus", help="list, prune or add to the counterexample corpus")
    cor.add_argument("action", choices=("list", "prune", "add"))
    cor.add_argument("report", type=Path, nargs="?", help="for add: a report.json")
    cor.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, metavar="DIR")
    cor.add_argument("--iut", help="for prune: also remove entries that now pass against it")
    cor.add_argument(
        "--timeout", type=_positive_seconds, default=DEFAULT_TIMEOUT, metavar="SECONDS"
    )
    cor.set_defaults(func=_cmd_corpus)

    rep = sub.add_parser("replay", help="re-run a report's counterexamples against an IUT")
    rep.add_argument("report", type=Path, help="a report.json written by 'offsync run'")
    rep.add_argument("rule", nargs="?", help="only this rule's counterexample (e.g. STALE-3)")
    rep.add_argument("--iut", help="implementation to replay against (default: the report's)")
    rep.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help=f"seconds one call to the IUT may take (default {DEFAULT_TIMEOUT:g})",
    )
    rep.set_defaults(func=_cmd_replay)

    scen = sub.add_parser(
        "scenarios", help="check the source document's examples against the reference model"
    )
    scen.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="report directory (default: reports/<UTC timestamp>-scenarios)",
    )
    scen.set_defaults(func=_cmd_scenarios)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
