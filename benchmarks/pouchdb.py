"""Throughput of the PouchDB implementation (issue 16), beside the sample's modes.

Every family, one seed, one profile, against:

- the sample implementation in-process, its devices in ``:memory:`` and on SQLite files;
- the sample's whole HTTP app in-process (ASGI);
- the reference model over the JSON-lines protocol (``exec:``): what the transport costs;
- the PouchDB implementation over ``exec:`` (``node implementations/pouchdb/iut.js``), which
  also writes the time it spent itself per method (``OFFSYNC_POUCHDB_TIMES``).

Run on demand (not a test): ``python benchmarks/pouchdb.py [--profile dev] [--seed N]``.
Writes ``reports/benchmarks/pouchdb.json`` and prints a table.

The PouchDB implementation fails some families (its findings, ``FINDINGS.md``): a failing
family shrinks its counterexample, and the steps Hypothesis replays while shrinking count as
steps (they are real calls of the IUT); the second shrinking pass (``minimize``) is not
counted but its time is. ``operations/s`` is the rate that compares across rows.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from conformance.engine.compare import ConformanceFailure
from conformance.engine.families import FAMILIES
from conformance.engine.machine import run_family
from conformance.iut.adapter import AdapterFactory
from conformance.iut.resolve import SharedChild, resolve
from conformance.iut.subprocess_adapter import SubprocessAdapter
from conformance.reporting.stats import FamilyStats

ROOT = Path(__file__).resolve().parent.parent
POUCHDB = f"exec:node {ROOT / 'implementations' / 'pouchdb' / 'iut.js'}"
IUTS = {
    "sample, in-process": "implementations.sample.adapter:factory",
    "sample, in-process, device files": "implementations.sample.adapter:file_factory",
    "sample, whole app in-process (ASGI)": "implementations.sample.adapter:asgi_factory",
    "model over exec: (JSON lines)": "exec:"
    + shlex.join([sys.executable, "-m", "conformance.iut.model_server"]),
    "PouchDB over exec: (node)": POUCHDB,
}


def run(spec: str, profile: str, seed: int) -> dict[str, Any]:
    """Every family against one IUT; failures are counted, not raised."""
    if spec.startswith("exec:"):
        child = SubprocessAdapter(spec.removeprefix("exec:"), cwd=ROOT)
        try:
            return _run(lambda: SharedChild(child), child.capabilities, profile, seed)
        finally:
            child.close()
    iut, capabilities = resolve(spec)
    try:
        return _run(iut.factory, capabilities, profile, seed)
    finally:
        iut.close()


def _run(
    factory: AdapterFactory, capabilities: frozenset[str], profile: str, seed: int
) -> dict[str, Any]:
    steps = operations = 0
    wall, cpu = time.perf_counter(), time.process_time()
    failed: list[str] = []
    for family in FAMILIES:
        stats = FamilyStats(family.name)
        try:
            run_family(family, factory, capabilities, profile, seed, stats)
        except ConformanceFailure:
            failed.append(f"{family.name}: {stats.mismatch.rules[0] if stats.mismatch else '?'}")
        steps += stats.rule_steps
        operations += stats.steps
    seconds = time.perf_counter() - wall
    return {
        "seconds": round(seconds, 2),
        "engine_cpu_seconds": round(time.process_time() - cpu, 2),
        "steps": steps,
        "operations": operations,
        "steps_per_second": round(steps / seconds, 1),
        "operations_per_second": round(operations / seconds, 1),
        "failed": failed,
    }


def iut_times(path: Path) -> dict[str, dict[str, float]]:
    """What the PouchDB IUT wrote with OFFSYNC_POUCHDB_TIMES: method -> calls, ms."""
    found: dict[str, dict[str, float]] = {}
    for line in path.read_text().splitlines():
        key, calls, _, ms, *_ = line.split()
        entry = found.setdefault(key, {"calls": 0, "ms": 0.0})
        entry["calls"] += int(calls)
        entry["ms"] += float(ms)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="dev")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks/pouchdb.json"))
    args = parser.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch:
        times = Path(scratch) / "times.txt"
        os.environ["OFFSYNC_POUCHDB_TIMES"] = str(times)
        for name, spec in IUTS.items():
            results[name] = run(spec, args.profile, args.seed)
            print(f"{name}: {results[name]}", flush=True)
        spent = iut_times(times)
    pouch = results["PouchDB over exec: (node)"]
    inside = sum(v["ms"] for v in spent.values()) / 1000
    calls = sum(v["calls"] for v in spent.values())
    pouch["iut_seconds"] = round(inside, 2)
    pouch["iut_calls"] = calls
    pouch["iut_ms_per_call"] = {k: round(v["ms"] / v["calls"], 2) for k, v in spent.items()}
    body = {"profile": args.profile, "seed": args.seed, "results": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(body, indent=2) + "\n")
    print(f"\n{'':<38} {'ops/s':>8} {'steps/s':>8} {'seconds':>8}")
    for name, r in results.items():
        rates = f"{r['operations_per_second']:>8} {r['steps_per_second']:>8} {r['seconds']:>8}"
        print(f"{name:<38} {rates}")
    print(
        f"\nPouchDB: {inside:.1f} s of {pouch['seconds']} s inside the IUT ({calls} calls, "
        f"{1000 * inside / calls:.2f} ms a call); per method: {pouch['iut_ms_per_call']}"
    )
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
