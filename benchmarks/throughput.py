"""Conformance steps per second against several implementations, side by side.

Run on demand (not a test): ``python benchmarks/throughput.py [--profile dev] [--seed N]``.
Writes ``reports/benchmarks/throughput.json`` and prints a table. Every IUT runs the same
families with the same seed, so the step counts match and only the time differs.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from conformance.adapter import ALL_CAPABILITIES
from conformance.families import FAMILIES
from conformance.iut import resolve
from conformance.machine import run_family

IUTS = {
    "model (in-process)": "conformance.model_adapter:factory",
    "sample, in-process": "implementations.sample.adapter:factory",
    "sample, HTTP (uvicorn, loopback)": "implementations.sample.adapter:http_factory",
}


def measure(spec: str, profile: str, seed: int) -> dict[str, float]:
    iut = resolve(spec)
    steps = examples = 0
    started = time.perf_counter()
    for family in FAMILIES:
        stats = run_family(family, iut.factory, ALL_CAPABILITIES, profile, seed)
        steps += stats.steps
        examples += stats.examples
    seconds = time.perf_counter() - started
    return {
        "steps": steps,
        "examples": examples,
        "seconds": round(seconds, 2),
        "steps_per_second": round(steps / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="dev")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks/throughput.json"))
    args = parser.parse_args()
    results = {name: measure(spec, args.profile, args.seed) for name, spec in IUTS.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"profile": args.profile, "seed": args.seed, "results": results}, indent=2)
        + "\n"
    )
    print(f"{'IUT':<34} {'steps':>7} {'seconds':>8} {'steps/s':>8}")
    for name, r in results.items():
        print(f"{name:<34} {r['steps']:>7} {r['seconds']:>8} {r['steps_per_second']:>8}")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
