"""Throughput, side by side, in one run (issue 5):

(a) a bare Hypothesis state machine: one rule with an empty body (it draws one small integer,
    as every suite step does at least, so that Hypothesis does not run out of distinct
    examples), the same examples and step count as the profile;
(b) the engine against the model-backed adapter;
(c) against the sample implementation in-process;
(d) against the sample implementation over HTTP (uvicorn on loopback);
(e) the whole suite through pytest (``offsync run``) with one process and with ``-n 2``.

Run on demand (not a test): ``python benchmarks/throughput.py [--profile ci] [--seed N]``.
Writes ``reports/benchmarks/throughput.json`` and prints a table. (b)-(d) run every family
with the same seed, so they draw the same steps. Steps are Hypothesis steps (rule
invocations); ``operations`` counts what the implementation was given (a whole-cycle step
is two operations). Targets: (b) at least half of (a); (e) ``-n 2`` at least 1.7x one process.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.adapter import ALL_CAPABILITIES
from conformance.families import FAMILIES
from conformance.iut import resolve
from conformance.machine import run_family
from conformance.profiles import settings_for

IUTS = {
    "(b) engine + model": "conformance.model_adapter:factory",
    "(c) sample, in-process": "implementations.sample.adapter:factory",
    "(d) sample, HTTP (uvicorn, loopback)": "implementations.sample.adapter:http_factory",
}


def bare(profile: str, seed: int) -> dict[str, Any]:
    """(a): the same settings, once per family, with nothing to do."""
    steps = [0]

    class Bare(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            pass

        @rule(_=st.integers(0, 255))
        def step(self, _: int) -> None:
            steps[0] += 1

    started = time.perf_counter()
    for _ in FAMILIES:
        run_state_machine_as_test(hypothesis_seed(seed)(Bare), settings=settings_for(profile))
    return _rates(steps[0], steps[0], time.perf_counter() - started)


def engine(spec: str, profile: str, seed: int) -> dict[str, Any]:
    iut = resolve(spec)
    steps = operations = 0
    started = time.perf_counter()
    for family in FAMILIES:
        stats = run_family(family, iut.factory, ALL_CAPABILITIES, profile, seed)
        steps += stats.rule_steps
        operations += stats.steps
    return _rates(steps, operations, time.perf_counter() - started)


def suite(workers: str, profile: str, seed: int) -> dict[str, Any]:
    """(e): ``offsync run`` in a child process, timed from outside."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable, "-m", "conformance", "run", "--iut",
            "conformance.model_adapter:factory", "--profile", profile, "--seed", str(seed),
            "-n", workers, "--out", out,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        report = json.loads((Path(out) / "report.json").read_text())
    operations = sum(f["steps"] for f in report["families"])
    return _rates(None, operations, seconds)


def _rates(steps: int | None, operations: int, seconds: float) -> dict[str, Any]:
    found: dict[str, Any] = {"seconds": round(seconds, 2), "operations": operations}
    found["operations_per_second"] = round(operations / seconds, 1)
    if steps is not None:
        found["steps"] = steps
        found["steps_per_second"] = round(steps / seconds, 1)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--skip-http", action="store_true", help="leave out (d)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks/throughput.json"))
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    results["(a) bare Hypothesis machine"] = bare(args.profile, args.seed)
    for name, spec in IUTS.items():
        if args.skip_http and "HTTP" in name:
            continue
        results[name] = engine(spec, args.profile, args.seed)
        print(f"{name}: {results[name]}", flush=True)
    results["(e) offsync run, 1 process"] = suite("0", args.profile, args.seed)
    results["(e) offsync run, -n 2"] = suite("2", args.profile, args.seed)
    a = results["(a) bare Hypothesis machine"]["steps_per_second"]
    b = results["(b) engine + model"]["steps_per_second"]
    one = results["(e) offsync run, 1 process"]["seconds"]
    two = results["(e) offsync run, -n 2"]["seconds"]
    targets = {
        "b_over_a": round(b / a, 2),
        "b_over_a_target": 0.5,
        "n2_speedup": round(one / two, 2),
        "n2_speedup_target": 1.7,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    body = {"profile": args.profile, "seed": args.seed, "results": results, "targets": targets}
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    print(f"\n{'':<38} {'steps/s':>9} {'ops/s':>9} {'seconds':>8}")
    for name, r in results.items():
        print(
            f"{name:<38} {r.get('steps_per_second', '-'):>9} "
            f"{r['operations_per_second']:>9} {r['seconds']:>8}"
        )
    print(f"\n(b)/(a) = {targets['b_over_a']} (target >= 0.5); "
          f"-n 2 speed-up = {targets['n2_speedup']} (target >= 1.7)")  # fmt: skip
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
