"""Throughput, side by side, in one run (issue 5):

(a) a bare Hypothesis state machine: one rule with an empty body (it draws one small integer,
    as every suite step does at least, so that Hypothesis does not run out of distinct
    examples), with each family's examples and step count (``settings_for`` with the
    family's ``worlds_scale``), run just before that family's (b);
(b) the engine against the model-backed adapter;
(c) against the sample implementation in-process: its devices in ``:memory:`` and on files,
    and through its whole HTTP app over an ASGI transport;
(d) against the sample implementation over HTTP (uvicorn on loopback);
(e) the whole suite through pytest (``offsync run``): one process, one pytest-xdist worker
    (``-n 1``) and two (``-n 2``).

Run on demand (not a test):
``python benchmarks/throughput.py [--profile ci] [--seed N] [--rounds 3] [--skip-http]``.
Writes ``reports/benchmarks/throughput.json`` and prints a table. (b)-(d) run every family
with the same seed, so they draw the same steps. Steps are Hypothesis steps (rule
invocations); ``operations`` counts what the implementation was given (a whole-cycle step
is two operations). Targets: (b) at least half of (a); (e) ``-n 2`` at least 1.7x one worker
(``-n 1``; the speed-up over one process without xdist is reported too).

This machine's speed drifts by up to 2x within minutes, so (a) and (b) are measured family
by family, interleaved, for ``--rounds`` rounds (seeds N, N+1, ...), and the ratio (b)/(a)
is the median of the rounds' ratios, by wall-clock and by CPU time (the process's own, which
a busy neighbour does not inflate). (e) too runs ``--rounds`` times (one process, ``-n 1``,
``-n 2``); its speed-ups are medians. (c) and (d) run once.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test

from conformance.engine.families import FAMILIES, Family
from conformance.engine.machine import run_family
from conformance.engine.profiles import settings_for
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterFactory
from conformance.iut.resolve import load

IUTS = {
    "(b) engine + model": "conformance.iut.model_adapter:factory",
    "(c) sample, in-process": "implementations.sample.adapter:factory",
    "(c) sample, in-process, device files": "implementations.sample.adapter:file_factory",
    "(c) sample, whole app in-process (ASGI)": "implementations.sample.adapter:asgi_factory",
    "(d) sample, HTTP (uvicorn, loopback)": "implementations.sample.adapter:http_factory",
}


class _Tally:
    """Steps, operations, wall-clock and CPU seconds, summed over runs."""

    def __init__(self) -> None:
        self.steps = self.operations = 0
        self.wall = self.cpu = 0.0

    def add(self, steps: int, operations: int, wall: float, cpu: float) -> None:
        self.steps += steps
        self.operations += operations
        self.wall += wall
        self.cpu += cpu

    def rates(self) -> dict[str, Any]:
        found = _rates(self.steps, self.operations, self.wall)
        found["cpu_seconds"] = round(self.cpu, 2)
        found["steps_per_cpu_second"] = round(self.steps / self.cpu, 1)
        return found


def bare_family(family: Family, profile: str, seed: int, tally: _Tally) -> None:
    """(a) for one family: its settings, with nothing to do."""
    steps = [0]

    class Bare(RuleBasedStateMachine):
        @initialize()
        def setup(self) -> None:
            pass

        @rule(_=st.integers(0, 255))
        def step(self, _: int) -> None:
            steps[0] += 1

    shape = settings_for(profile, 1, family.worlds_scale)
    wall, cpu = time.perf_counter(), time.process_time()
    run_state_machine_as_test(hypothesis_seed(seed)(Bare), settings=shape)
    tally.add(steps[0], steps[0], time.perf_counter() - wall, time.process_time() - cpu)


def engine_family(
    family: Family, factory: AdapterFactory, profile: str, seed: int, tally: _Tally
) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    stats = run_family(family, factory, ALL_CAPABILITIES, profile, seed)
    tally.add(stats.rule_steps, stats.steps, time.perf_counter() - wall, time.process_time() - cpu)


def side_by_side(profile: str, seed: int, rounds: int) -> dict[str, Any]:
    """(a) and (b), interleaved family by family, ``rounds`` times."""
    model = load(IUTS["(b) engine + model"]).factory
    a_all, b_all, ratios = _Tally(), _Tally(), []
    for round_ in range(rounds):
        a, b = _Tally(), _Tally()
        for family in FAMILIES:
            bare_family(family, profile, seed + round_, a)
            engine_family(family, model, profile, seed + round_, b)
        a_all.add(a.steps, a.operations, a.wall, a.cpu)
        b_all.add(b.steps, b.operations, b.wall, b.cpu)
        ratios.append(
            {
                "seed": seed + round_,
                "wall": round((b.steps / b.wall) / (a.steps / a.wall), 3),
                "cpu": round((b.steps / b.cpu) / (a.steps / a.cpu), 3),
            }
        )
        print(f"round {round_ + 1}/{rounds}: (b)/(a) {ratios[-1]}", flush=True)
    return {
        "(a) bare Hypothesis machine": a_all.rates(),
        "(b) engine + model": b_all.rates(),
        "rounds": ratios,
    }


def engine(spec: str, profile: str, seed: int) -> dict[str, Any]:
    factory, tally = load(spec).factory, _Tally()
    for family in FAMILIES:
        engine_family(family, factory, profile, seed, tally)
    return tally.rates()


def suite(workers: str, profile: str, seed: int) -> dict[str, Any]:
    """(e): ``offsync run`` in a child process, timed from outside."""
    with tempfile.TemporaryDirectory() as out:
        command = [
            sys.executable, "-m", "conformance", "run", "--iut",
            "conformance.iut.model_adapter:factory", "--profile", profile, "--seed", str(seed),
            "-n", workers, "--out", out,
        ]  # fmt: skip
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        seconds = time.perf_counter() - started
        report = json.loads((Path(out) / "report.json").read_text())
    operations = sum(f["steps"] for f in report["families"])
    found = _rates(None, operations, seconds)
    # the time the families themselves took, summed over workers: when it grows with -n 2,
    # the workers slowed each other down (shared cores) rather than waited
    found["family_seconds"] = round(sum(f["seconds"] for f in report["families"]), 2)
    return found


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
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (a) and (b)")
    parser.add_argument("--skip-http", action="store_true", help="leave out (d)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks/throughput.json"))
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    paired = side_by_side(args.profile, args.seed, args.rounds)
    rounds = paired.pop("rounds")
    results.update(paired)
    for name, spec in IUTS.items():
        if name in results or (args.skip_http and "HTTP" in name):
            continue
        results[name] = engine(spec, args.profile, args.seed)
        print(f"{name}: {results[name]}", flush=True)
    over_one: list[float] = []  # -n 2 against one process without xdist
    over_worker: list[float] = []  # -n 2 against one xdist worker (-n 1)
    for round_ in range(args.rounds):  # side by side, as (a) and (b)
        one, worker, two = (suite(n, args.profile, args.seed) for n in ("0", "1", "2"))
        over_one.append(round(one["seconds"] / two["seconds"], 3))
        over_worker.append(round(worker["seconds"] / two["seconds"], 3))
        print(
            f"round {round_ + 1}/{args.rounds}: -n 2 speed-up {over_one[-1]} over one process, "
            f"{over_worker[-1]} over one worker",
            flush=True,
        )
    results["(e) offsync run, 1 process"] = one
    results["(e) offsync run, -n 1"] = worker
    results["(e) offsync run, -n 2"] = two
    targets = {
        "b_over_a": round(statistics.median(r["wall"] for r in rounds), 2),
        "b_over_a_cpu": round(statistics.median(r["cpu"] for r in rounds), 2),
        "b_over_a_rounds": rounds,
        "b_over_a_target": 0.5,
        "n2_speedup": round(statistics.median(over_worker), 2),
        "n2_speedup_rounds": over_worker,
        "n2_speedup_over_one_process": round(statistics.median(over_one), 2),
        "n2_speedup_over_one_process_rounds": over_one,
        "n2_speedup_target": 1.7,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    body = {"profile": args.profile, "seed": args.seed, "results": results, "targets": targets}
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    print(f"\n{'':<38} {'steps/s':>9} {'steps/cpu-s':>11} {'ops/s':>9} {'seconds':>8}")
    for name, r in results.items():
        print(
            f"{name:<38} {r.get('steps_per_second', '-'):>9} "
            f"{r.get('steps_per_cpu_second', '-'):>11} "
            f"{r['operations_per_second']:>9} {r['seconds']:>8}"
        )
    print(f"\n(b)/(a) = {targets['b_over_a']} by wall clock, {targets['b_over_a_cpu']} by CPU "
          f"(medians of {args.rounds} rounds; target >= 0.5); "
          f"-n 2 speed-up = {targets['n2_speedup']} over one worker (target >= 1.7), "
          f"{targets['n2_speedup_over_one_process']} over one process")  # fmt: skip
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
