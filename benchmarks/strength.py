"""Suite strength: run each mutant of the zoo until the suite kills it.

Run on demand (not a test): ``python benchmarks/strength.py [--profile ci] [--seed N ...]
[--jobs 1] [--only NAME ...]`` (several seeds give each mutant's kill rate). For each
mutant and seed it records whether it was killed, whether the failure named the mutant's
rule, the examples and seconds until the first failure, and the length of the shrunk
counterexample. Writes ``reports/benchmarks/strength.json`` and
``strength.md``. Targets (issue 5): every mutant killed, median time-to-kill under 10 s on
one core (``--jobs 1``), median shrunk counterexample of at most 6 steps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from conformance.engine.strength import try_to_kill
from implementations.mutants import MUTANT_BY_NAME, MUTANTS
from implementations.sample.adapter import CAPABILITIES


def kill_one(name: str, profile: str, seed: int) -> dict[str, Any]:
    mutant = MUTANT_BY_NAME[name]
    kill = try_to_kill(mutant.factory, CAPABILITIES, mutant.family, profile, seed)
    return {
        "mutant": name,
        "rule": mutant.rule,
        "bug": mutant.bug,
        "named": kill.names(mutant.rule),
        "named_first": bool(kill.rules) and kill.rules[0] == mutant.rule,
        **kill.to_json(),
    }


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    killed = [r for r in rows if r["killed"]]
    return {
        "mutants": len(rows),
        "killed": len(killed),
        "named": sum(r["named"] for r in rows),
        "named_first": sum(r["named_first"] for r in rows),
        "median_seconds_to_kill": _median([r["seconds_to_kill"] for r in killed]),
        "median_examples_to_kill": _median([r["examples_to_kill"] for r in killed]),
        "median_shrunk_steps": _median([r["shrunk_steps"] for r in killed]),
        "median_seconds_with_shrinking": _median([r["seconds"] for r in killed]),
        # readable counterexamples (issue 17): sizes along the shrinking, simple values, lines
        **{
            f"median_{stage}_{what}": _median([r["sizes"][stage][i] for r in killed])
            for stage in ("found", "shrunk", "minimized", "reduced")
            for i, what in enumerate(("operations", "world_entries"))
        },
        "all_values_simple": sum(r["simple_values"] for r in killed),
        "median_text_lines": _median([r["text_lines"] for r in killed]),
        "max_text_lines": max((r["text_lines"] for r in killed), default=None),
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def markdown(result: dict[str, Any]) -> str:
    s = result["summary"]
    lines = [
        f"# Suite strength ({result['profile']} profile, seed(s) "
        f"{', '.join(map(str, result['seed']))}, "
        f"{result['jobs']} job(s))",
        "",
        f"- killed: {s['killed']}/{s['mutants']}; failure named the mutant's rule: "
        f"{s['named']}/{s['mutants']} (first: {s['named_first']})",
        f"- median time to kill: {s['median_seconds_to_kill']} s "
        f"({s['median_examples_to_kill']} examples); with shrinking "
        f"{s['median_seconds_with_shrinking']} s",
        f"- median shrunk counterexample: {s['median_shrunk_steps']} steps",
        "- median size (operations / world entries): "
        + ", ".join(
            f"{stage} {s[f'median_{stage}_operations']} / {s[f'median_{stage}_world_entries']}"
            for stage in ("found", "shrunk", "minimized", "reduced")
        ),
        f"- counterexamples whose values are all simple: {s['all_values_simple']}/{s['killed']}; "
        f"lines as told: median {s['median_text_lines']}, max {s['max_text_lines']}",
        "",
        "| mutant | seed | family | killed | rules named | examples | s to kill | shrunk steps "
        "| s |",
        "| --- | ---: | --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in result["mutants"]:
        lines.append(
            f"| {r['mutant']} | {r['seed']} | {r['family']} | "
            f"{'yes' if r['killed'] else '**no**'} | "
            f"{', '.join(r['rules'][:4])} | {r['examples_to_kill']} | {r['seconds_to_kill']} | "
            f"{r['shrunk_steps']} | {r['seconds']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="ci")
    parser.add_argument(
        "--seed", type=int, nargs="+", default=[2026], help="one or more seeds (kill rate)"
    )
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", nargs="*", default=None, help="mutant names")
    parser.add_argument("--out", type=Path, default=Path("reports/benchmarks"))
    args = parser.parse_args()
    names = args.only or [m.name for m in MUTANTS]
    unknown = [n for n in names if n not in MUTANT_BY_NAME]
    if unknown:
        sys.exit(f"unknown mutant(s): {', '.join(unknown)}")
    started = time.perf_counter()
    rows: list[dict[str, Any]] = []
    jobs = [(n, seed) for n in names for seed in args.seed]
    with ProcessPoolExecutor(args.jobs) as pool:
        futures = [pool.submit(kill_one, n, args.profile, seed) for n, seed in jobs]
        for i, ((_, seed), future) in enumerate(zip(jobs, futures, strict=True), 1):
            row = {**future.result(), "seed": seed}
            rows.append(row)
            mark = "killed" if row["killed"] else "SURVIVED"
            print(
                f"[{i}/{len(jobs)}] {row['mutant']} (seed {seed}): {mark} "
                f"({row['seconds_to_kill']} s, {row['shrunk_steps']} steps, "
                f"rules {', '.join(row['rules'][:3])})",
                flush=True,
            )
    result = {
        "profile": args.profile,
        "seed": args.seed,
        "jobs": args.jobs,
        "seconds": round(time.perf_counter() - started, 1),
        "summary": summary(rows),
        "mutants": rows,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "strength.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "strength.md").write_text(markdown(result))
    print(markdown(result))
    print(f"written to {args.out}/strength.json and strength.md")


if __name__ == "__main__":
    main()
