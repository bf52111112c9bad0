"""Where the time of a conformance run goes, by component.

Run on demand: ``python benchmarks/where_time_goes.py [--iut SPEC] [--profile dev] [--seed N]``.
Runs every family under cProfile (stdlib) and sums each function's own time by the
component it belongs to (Hypothesis, the model, the engine, the comparison, the
implementation, sqlite, json, ...). Prints the table and the top functions, and writes
``reports/benchmarks/profile-<name>.json``.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.engine.families import FAMILIES
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES
from conformance.iut.resolve import load

#: (path fragment, component); the first match wins
COMPONENTS = (
    ("hypothesis_jsonschema", "hypothesis-jsonschema (column values)"),
    ("hypothesis", "Hypothesis (generation, engine)"),
    ("/models/", "reference model"),
    ("conformance/compare", "comparison"),
    ("conformance/explain", "comparison"),
    ("conformance/machine", "engine (drawing steps)"),
    ("conformance/strategies", "engine (drawing steps)"),
    ("conformance/", "engine (other)"),
    ("implementations/", "implementation under test"),
    ("sqlite3", "sqlite"),
    ("json", "json"),
    ("copy", "copy"),
)


def component(filename: str, function: str) -> str:
    if filename == "~":  # a C function
        if "sqlite3" in function or "execute" in function or "fetch" in function:
            return "sqlite"
        if "json" in function or "encode" in function or "scanner" in function:
            return "json"
        return "builtins"
    for fragment, name in COMPONENTS:
        if fragment in filename:
            return name
    return "other Python"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iut", default="conformance.iut.model_adapter:factory")
    parser.add_argument("--profile", default="dev")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--name", default=None, help="file name suffix (default: from --iut)")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks"))
    args = parser.parse_args()
    iut = load(args.iut)
    profiler = cProfile.Profile()
    steps = 0
    profiler.enable()
    for family in FAMILIES:
        steps += run_family(family, iut.factory, ALL_CAPABILITIES, args.profile, args.seed).steps
    profiler.disable()
    stats = pstats.Stats(profiler)
    by_component: Counter[str] = Counter()
    by_function: Counter[str] = Counter()
    total = 0.0
    for (filename, line, function), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        by_component[component(filename, function)] += tottime
        by_function[f"{Path(filename).name}:{line} {function}"] += tottime
        total += tottime
    rows: list[dict[str, Any]] = [
        {"component": name, "seconds": round(sec, 3), "share": round(sec / total, 3)}
        for name, sec in by_component.most_common()
    ]
    top = [{"function": f, "seconds": round(s, 3)} for f, s in by_function.most_common(15)]
    name = args.name or args.iut.split(":")[0].split(".")[-1]
    result = {
        "iut": args.iut,
        "profile": args.profile,
        "seed": args.seed,
        "steps": steps,
        "seconds_profiled": round(total, 2),
        "components": rows,
        "top_functions": top,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"profile-{name}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{args.iut}: {steps} steps, {total:.2f} s of own time under cProfile")
    for r in rows:
        print(f"  {r['component']:<40} {r['seconds']:>7.2f} s  {100 * r['share']:5.1f}%")
    print("top functions:")
    for t in top:
        print(f"  {t['seconds']:>7.3f} s  {t['function']}")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
