"""Command-line interface: ``offsync``."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

REPORTS_ROOT = Path("reports")

RUN_NOT_BUILT = (
    "offsync run: the conformance engine is not built yet (issue 3); "
    "running the model's documented scenarios instead"
)


def default_report_dir(kind: str, now: datetime | None = None) -> Path:
    """Return ``reports/<UTC timestamp>-<kind>``, e.g. ``reports/20261125T084500Z-scenarios``."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return REPORTS_ROOT / f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{kind}"


def _cmd_scenarios(args: argparse.Namespace) -> int:
    from conformance import scenario_report

    out: Path | None = args.out
    report_dir = out if out is not None else default_report_dir("scenarios")
    return scenario_report.main(report_dir)


def _cmd_run(args: argparse.Namespace) -> int:
    print(RUN_NOT_BUILT, file=sys.stderr)
    return _cmd_scenarios(args)


def _add_out_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        metavar="DIR",
        help="report directory (default: reports/<UTC timestamp>-scenarios)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="offsync",
        description="Conformance suite for offline synchronization engines and their rules.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    scenarios = sub.add_parser(
        "scenarios", help="run the reference model's documented scenarios and write a report"
    )
    _add_out_option(scenarios)
    scenarios.set_defaults(func=_cmd_scenarios)

    run = sub.add_parser("run", help="run the conformance suite")
    _add_out_option(run)
    run.set_defaults(func=_cmd_run)

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
