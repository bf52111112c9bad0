"""Command-line interface: ``offsync run``, ``offsync replay``, ``offsync scenarios``."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.profiles import DEFAULT_PROFILE, PROFILES
from conformance.iut.resolve import IUTSpecError, resolve

REPORTS_ROOT = Path("reports")
SUITE_DIR = Path(__file__).resolve().parent / "suite"

#: exit codes
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
        "-q" if not args.verbose else "-v",
    ]
    if not any(ep.name == "offsync" for ep in entry_points(group="pytest11")):
        argv += ["-p", "conformance.plugin"]  # running from a source tree that is not installed
    if args.iut:
        argv += ["--iut", args.iut]
    if args.seed is not None:
        argv += ["--offsync-seed", str(args.seed)]
    if args.family:
        argv += ["-k", " or ".join(f"[{name}-" for name in args.family)]
    if args.workers != "0":
        argv += ["-n", args.workers]
    if args.progress is not None:
        argv += ["--offsync-progress", str(args.progress)]
    return argv


def _cmd_run(args: argparse.Namespace) -> int:
    import pytest

    try:
        resolve(args.iut)  # fail fast, naming the bad --iut, before pytest starts
    except IUTSpecError as exc:
        print(f"offsync run: {exc}", file=sys.stderr)
        return USAGE
    out: Path = args.out or default_report_dir("run")
    code = pytest.main(pytest_args(args, out))
    report_path = out / "report.json"
    if not report_path.exists():
        print(f"offsync run: no report was written (pytest exit code {int(code)})", file=sys.stderr)
        return ERROR
    report = json.loads(report_path.read_text())
    _print_outcome(report, report_path)
    if report["summary"]["failed"]:
        return FAILED
    return OK if int(code) == 0 else ERROR


def _print_outcome(report: dict[str, Any], report_path: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(stderr=False)
    s = report["summary"]
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
            console.print(
                f"[red]{rule['id']} failed[/red]; replay: {rule['counterexample']['replay']}",
                highlight=False,
            )
    console.print(
        f"offsync: {s['passed']} passed, {s['failed']} failed, {s['not_applicable']} not "
        f"applicable, {s['not_exercised']} not exercised; report: {report_path.parent}",
        highlight=False,
    )


def _cmd_replay(args: argparse.Namespace) -> int:
    from conformance.engine.driver import replay

    path: Path = args.report
    try:
        report = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        print(f"offsync replay: cannot read {path}: {exc}", file=sys.stderr)
        return USAGE
    failed = {
        r["id"]: r["counterexample"] for r in report.get("rules", []) if r.get("counterexample")
    }
    if args.rule and args.rule not in failed:
        known = ", ".join(sorted(failed)) or "none"
        print(
            f"offsync replay: {path} has no counterexample for {args.rule} (it has: {known})",
            file=sys.stderr,
        )
        return USAGE
    try:
        iut = resolve(args.iut or report.get("iut"))
    except IUTSpecError as exc:
        print(f"offsync replay: {exc}", file=sys.stderr)
        return USAGE
    still_failing = 0
    for rule, example in failed.items():
        if args.rule and rule != args.rule:
            continue
        mismatch = replay(example["world"], example["operations"], iut.factory, example["family"])
        if mismatch is None:
            print(f"{rule}: the recorded counterexample now passes against {iut.spec}")
        else:
            still_failing += 1
            print(f"{rule}: still fails against {iut.spec}\n{mismatch.describe()}")
    return FAILED if still_failing else OK


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
    run.add_argument("-v", "--verbose", action="store_true", help="pytest's verbose output")
    run.set_defaults(func=_cmd_run)

    rep = sub.add_parser("replay", help="re-run a report's counterexamples against an IUT")
    rep.add_argument("report", type=Path, help="a report.json written by 'offsync run'")
    rep.add_argument("rule", nargs="?", help="only this rule's counterexample (e.g. STALE-3)")
    rep.add_argument("--iut", help="implementation to replay against (default: the report's)")
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
