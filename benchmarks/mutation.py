"""Mutation score of the suite against the sample implementation (issue 18, part 4).

Run on demand (not a test, not in CI)::

    pip install -e '.[mutation]'        # cosmic-ray
    python benchmarks/mutation.py [--sample 300] [--seed 2026] [--jobs 2] [--resume]
    python benchmarks/mutation.py --only ID [ID ...]   # again, e.g. after closing a gap
    python benchmarks/mutation.py --same-sample --again  # the survivors, by a later suite

Cosmic Ray (``cosmic_ray.commands.init``) lists every mutation its operators can make in
``implementations/sample``; a seeded random sample of them is run, each mutant in a copy of
``implementations/`` of its own (one per job), with the conformance suite as the killer:

1. ``dev`` profile, the families that matter first for the mutated module, then the others,
   stopping at the first failure as found (no shrinking);
2. for the survivors, the same under ``ci``.

A mutant is killed when a family fails (a rule broke), or when the implementation broke (the
suite reports an error: a run that does not pass), or when the run hangs (``--timeout``).
Mutants of the HTTP layer run against ``asgi_factory`` (the whole app, in-process), the rest
against ``factory`` (the service layer); ``device/link.py`` against both.

Not sampled, with the reason (``EXCLUDED``): the OpenAPI description, mutations inside type
annotations (never evaluated: ``from __future__ import annotations``), the code that only
starts or stops the server process of ``http_factory``, and mutants that do not compile
(cosmic-ray turns the ``*`` of keyword-only parameters into other operators).

``--same-sample`` keeps the sample of the log (``mutation.jsonl``) even when the sample's
source has grown since (each mutant must still make the change it recorded), and ``--again``
runs its survivors once more, but those classified equivalent: the suite that closed the gaps
against the sample an earlier suite was measured on.

Every survivor must be classified in ``benchmarks/mutation_survivors.toml``: ``equivalent``
(with the reason: no behaviour SPEC observes changes) or ``gap`` (what the suite misses, and
the issue or commit that closes it). The score is killed / (sampled - equivalent). Writes
``reports/benchmarks/mutation.jsonl`` (one line per mutant, as it ends: ``--resume`` goes on
from it), ``mutation.json`` and ``mutation.md``.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = Path("implementations/sample")
OUT = ROOT / "reports" / "benchmarks"
CLASSIFIED = ROOT / "benchmarks" / "mutation_survivors.toml"
#: the rules a sample of killed mutants break, annotated independently of what the suite
#: named (see the file's header): the blame's measure on bugs nobody planted
INTENDED = ROOT / "benchmarks" / "mutation_intended.toml"

#: seeds of the two stages (the ``ci`` one is ``offsync run``'s default)
SEEDS = {"dev": 1, "ci": 2026}

#: modules whose mutants only the whole HTTP app reaches, and those both reach
HTTP_ONLY = {"server/app.py", "server/body.py", "server/schemas.py", "asgi_transport.py"}
BOTH = {"device/link.py"}

#: seconds one call to the implementation may take in a killer (a mutant that loops forever
#: there is caught by the suite's own guard: an error, a kill)
CALL_TIMEOUT = 20.0

#: families tried first, by mutated module (the rest follow in the suite's order)
FIRST: dict[str, tuple[str, ...]] = {
    "server/security.py": ("security", "broad"),
    "server/service.py": ("broad", "validation", "profile"),
    "device/client.py": ("outbox", "conflicts", "broad"),
    "device/store.py": ("outbox", "faults"),
    "device/link.py": ("faults", "outbox"),
    "server/values.py": ("validation",),
    "server/schemas.py": ("validation",),
    "server/body.py": ("validation", "broad"),
}

#: (module, definition) -> why its mutations are not sampled; module alone: all of it
EXCLUDED: dict[tuple[str, str | None], str] = {
    ("server/openapi.py", None): "the OpenAPI description of the HTTP API: documentation, "
    "checked by tests/sample/test_sample_openapi.py (schemathesis), never read by a sync",
    **{
        ("adapter.py", name): "starts, watches or stops the uvicorn process of http_factory, "
        "which the score's runs do not use (they call the app in-process)"
        for name in (
            "_free_port",
            "_stop",
            "_die_with_parent",
            "arm",
            "_start_server",
            "http_factory",
        )
    },
    ("server/app.py", "main"): "the command line that starts uvicorn (http_factory's process)",
}
ANNOTATION = "inside a type annotation, never evaluated (from __future__ import annotations)"


# ---------------------------------------------------------------------------------------------
# the mutants


def mutant_id(spec: Any) -> str:
    return f"{Path(spec.module_path).relative_to(SAMPLE)}:{spec.operator_name}:{spec.occurrence}"


def _annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    spans = []
    for node in ast.walk(ast.parse(path.read_text())):
        notes: list[ast.expr | None] = []
        if isinstance(node, ast.arg):
            notes.append(node.annotation)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            notes.append(node.returns)
        elif isinstance(node, ast.AnnAssign):
            notes.append(node.annotation)
        for note in notes:
            if note is not None and note.end_lineno is not None:
                end = (note.end_lineno, note.end_col_offset or 0)
                spans.append(((note.lineno, note.col_offset), end))
    return spans


def all_mutants() -> tuple[list[Any], Counter[str]]:
    """Every mutation cosmic-ray makes in the sample, those excluded left out (and counted
    by reason)."""
    from cosmic_ray.commands.init import init  # type: ignore[import-untyped]
    from cosmic_ray.work_db import WorkDB, use_db  # type: ignore[import-untyped]

    os.chdir(ROOT)
    paths = sorted(p for p in SAMPLE.rglob("*.py") if p.name != "__init__.py")
    with use_db(":memory:", WorkDB.Mode.create) as db:
        init(paths, db, {})
        specs = [item.mutations[0] for item in db.work_items]
    notes = {p: _annotation_spans(p) for p in paths}
    kept, excluded = [], Counter[str]()
    for spec in specs:
        module = str(Path(spec.module_path).relative_to(SAMPLE))
        reason = EXCLUDED.get((module, None)) or EXCLUDED.get((module, spec.definition_name))
        start = tuple(spec.start_pos)
        if reason is None and any(a <= start < b for a, b in notes[Path(spec.module_path)]):
            reason = ANNOTATION
        if reason is None:
            kept.append(spec)
        else:
            excluded[reason] += 1
    kept.sort(key=mutant_id)
    return kept, excluded


INVALID = "not Python: cosmic-ray's mutation does not compile (e.g. `*` of keyword-only parameters)"


def sample(specs: list[Any], size: int, seed: int) -> tuple[list[Any], int]:
    """The first ``size`` mutants, in an order shuffled by ``seed``, whose code compiles (and
    how many were passed over because it does not: they measure nothing)."""
    order = random.Random(seed).sample(specs, len(specs))
    chosen: list[Any] = []
    invalid = 0
    for spec in order:
        if len(chosen) == size:
            break
        _, mutated = mutated_source(spec)
        try:
            compile(mutated or "", str(spec.module_path), "exec")
        except SyntaxError:
            invalid += 1
            continue
        chosen.append(spec)
    return chosen, invalid


def mutated_source(spec: Any) -> tuple[str, str | None]:
    from cosmic_ray.mutating import mutate_code  # type: ignore[import-untyped]
    from cosmic_ray.plugins import get_operator  # type: ignore[import-untyped]

    source = (ROOT / spec.module_path).read_text()
    operator = get_operator(spec.operator_name)(**(spec.operator_args or {}))
    return source, mutate_code(source, operator, spec.occurrence)


# ---------------------------------------------------------------------------------------------
# the killer (runs in a subprocess whose ``implementations`` is a mutated copy)


def kill(profile: str, seed: int, families: list[str], iut: str, shrink: bool = False) -> None:
    """Print, as JSON, how the suite ends against ``iut`` with ``families`` in order
    (``shrink``: the failure's counterexample shrunk and minimized, as a user sees it)."""
    import importlib

    from conformance.engine.machine import IUTError
    from conformance.engine.strength import try_to_kill

    module_name, name = iut.split(":")
    module = importlib.import_module(module_name)
    where = str(Path(module.__file__ or "").resolve())
    started = time.perf_counter()
    for family in families:
        try:
            result = try_to_kill(
                getattr(module, name),
                module.CAPABILITIES,
                family,
                profile,
                seed,
                shrink=shrink,
                timeout=CALL_TIMEOUT,
            )
        except IUTError as broke:
            outcome: dict[str, Any] = {
                "outcome": "error",
                "family": family,
                "message": str(broke)[:500],
            }
            break
        except Exception as exc:  # the engine could not go on with what the IUT said
            outcome = {
                "outcome": "error",
                "family": family,
                "message": f"{type(exc).__name__}: {exc}"[:500],
            }
            break
        if result.killed:
            outcome = {
                "outcome": "failed",
                "family": family,
                "rules": result.rules,
                "message": result.failure.splitlines()[0][:500],
            }
            break
    else:
        outcome = {"outcome": "survived"}
    outcome["seconds"] = round(time.perf_counter() - started, 2)
    outcome["imported"] = where
    print(json.dumps(outcome))


def _families(module: str) -> list[str]:
    from conformance.engine.families import FAMILIES

    first = list(FIRST.get(module, ("broad",)))
    return first + [f.name for f in FAMILIES if f.name not in first]


def _iuts(module: str) -> list[str]:
    base = "implementations.sample.adapter:"
    if module in HTTP_ONLY:
        return [base + "asgi_factory"]
    if module in BOTH:
        return [base + "factory", base + "asgi_factory"]
    return [base + "factory"]


class Workspaces:
    """One copy of ``implementations/`` per job: a mutant is written into a copy, the killer
    imports that copy first (``PYTHONPATH``), and the copy is put back afterwards."""

    def __init__(self, jobs: int) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="offsync-mutation-"))
        self.free: queue.Queue[Path] = queue.Queue()
        for i in range(jobs):
            copy = self.root / f"w{i}"
            (copy / "implementations").mkdir(parents=True)
            shutil.copy(ROOT / "implementations" / "__init__.py", copy / "implementations")
            shutil.copytree(
                ROOT / SAMPLE, copy / SAMPLE, ignore=shutil.ignore_patterns("__pycache__")
            )
            self.free.put(copy)

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def run_mutant(
    spec: Any, spaces: Workspaces, timeout: float, shrink: bool = False
) -> dict[str, Any]:
    module = str(Path(spec.module_path).relative_to(SAMPLE))
    source, mutated = mutated_source(spec)
    row: dict[str, Any] = {
        "id": mutant_id(spec),
        "module": module,
        "line": spec.start_pos[0],
        "definition": spec.definition_name,
        "operator": spec.operator_name,
    }
    if mutated is None:
        return {**row, "outcome": "no-mutation"}
    row["change"] = _changed_line(source, mutated)
    copy = spaces.free.get()
    target = copy / spec.module_path
    try:
        target.write_text(mutated)
        for profile in ("dev", "ci"):
            for iut in _iuts(module):
                result = _killer(copy, profile, _families(module), iut, timeout, shrink)
                expected = str((copy / SAMPLE / "adapter.py").resolve())
                if result.get("imported", expected) != expected:
                    raise RuntimeError(f"the killer imported {result['imported']}, not the copy")
                row.setdefault("seconds", 0.0)
                row["seconds"] = round(row["seconds"] + result.pop("seconds", 0.0), 2)
                result.pop("imported", None)
                if result["outcome"] != "survived":
                    return {**row, **result, "profile": profile, "iut": iut.split(":")[1]}
        return {**row, "outcome": "survived"}
    finally:
        target.write_text(source)
        spaces.free.put(copy)


def _recorded_sample(done: dict[str, dict[str, Any]], by_id: dict[str, Any]) -> list[Any]:
    """The mutants of an earlier run's log, each checked to make the change it recorded
    (code added to the sample since may have renumbered a module's mutants)."""
    chosen, moved = [], []
    for mid, row in done.items():
        spec = by_id.get(mid)
        if spec is None or (
            "change" in row and _changed_line(*mutated_source(spec)) != row["change"]  # type: ignore[arg-type]
        ):
            moved.append(mid)
        else:
            chosen.append(spec)
    if moved:
        raise SystemExit(f"mutation: these mutants no longer make the change recorded: {moved}")
    return chosen


def _changed_line(source: str, mutated: str) -> str:
    for before, after in zip(source.splitlines(), mutated.splitlines(), strict=False):
        if before != after:
            return f"{before.strip()}  ->  {after.strip()}"
    return ""


def _killer(
    copy: Path, profile: str, families: list[str], iut: str, timeout: float, shrink: bool = False
) -> Any:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--kill",
        profile,
        str(SEEDS[profile]),
        ",".join(families),
        iut,
        "shrink" if shrink else "as-found",
    ]
    # the mutated copy first, then this checkout's engine and model (not the installed ones:
    # a run from another work tree measures that tree's suite)
    path = os.pathsep.join([str(copy), str(ROOT)])
    env = {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, env=env, cwd=copy, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {
            "outcome": "timeout",
            "seconds": round(time.perf_counter() - started, 2),
            "message": f"no verdict within {timeout:.0f} s",
        }
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        # e.g. the mutated module does not import: the suite cannot run it (a kill)
        tail = (done.stderr.strip().splitlines() or ["(nothing on stderr)"])[-1]
        return {
            "outcome": "error",
            "seconds": round(time.perf_counter() - started, 2),
            "message": f"the killer exited {done.returncode}: {tail}"[:500],
        }
    result = json.loads(lines[-1])
    result["seconds"] = round(time.perf_counter() - started, 2)  # the process's, imports too
    return result


# ---------------------------------------------------------------------------------------------
# the score


def classified() -> dict[str, dict[str, str]]:
    if not CLASSIFIED.exists():
        return {}
    return dict(tomllib.loads(CLASSIFIED.read_text()))


def blame_run(by_id: dict[str, Any], jobs: int, timeout: float) -> int:
    """``--blame``: each annotated mutant (``INTENDED``) run as ``run_mutant`` runs it, but
    with the failure shrunk and minimized (the counterexample a user reads, whose blame is
    the one that matters); writes ``mutation-blame.json`` and prints the score."""
    intended = dict(tomllib.loads(INTENDED.read_text()))
    moved = []
    for i, entry in intended.items():
        source, mutated = mutated_source(by_id[i]) if i in by_id else ("", None)
        if mutated is None or _changed_line(source, mutated) != entry["change"]:
            moved.append(i)
    if moved:
        raise SystemExit(f"mutation: these annotated mutants no longer make their change: {moved}")
    spaces, rows = Workspaces(jobs), []
    try:
        with ThreadPoolExecutor(jobs) as pool:
            running = [pool.submit(run_mutant, by_id[i], spaces, timeout, True) for i in intended]
            for n, future in enumerate(as_completed(running), 1):
                row = future.result()
                rows.append(row)
                print(f"mutation: blame {n}/{len(intended)} {row['id']}: {row['outcome']} "
                      f"{row.get('rules', [])[:3]}", flush=True)  # fmt: skip
    finally:
        spaces.close()
    score = blame(rows)
    result = {"summary": score, "mutants": sorted(rows, key=lambda r: r["id"])}
    (OUT / "mutation-blame.json").write_text(json.dumps(result, indent=1))
    print(
        f"mutation: of {score['judged']} annotated mutants failed, an intended rule named first "
        f"{score['named_first']}, named at all {score['named']} (by set: {score['sets']}); "
        f"not first: {score['missed_first']}"
    )
    return 0


def blame(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """How often a failure named first (or at all) a rule that ``INTENDED`` gives its mutant,
    over the annotated mutants this run killed by a failing family: in all, and for each
    ``set`` of the annotation (``tuned``: the mutants whose misnamings the blame was changed
    for; ``held_out``: annotated afterwards, never looked at before being scored)."""
    intended = dict(tomllib.loads(INTENDED.read_text())) if INTENDED.exists() else {}
    judged = [r for r in rows if r["id"] in intended and r["outcome"] == "failed" and r["rules"]]
    first = {r["id"] for r in judged if r["rules"][0] in intended[r["id"]]["rules"]}
    named = {r["id"] for r in judged if set(r["rules"]) & set(intended[r["id"]]["rules"])}
    sets: dict[str, dict[str, int]] = {}
    for r in judged:
        counts = sets.setdefault(intended[r["id"]].get("set", "tuned"), Counter())
        counts["judged"] += 1
        counts["named_first"] += r["id"] in first
        counts["named"] += r["id"] in named
    return {
        "annotated": len(intended),
        "judged": len(judged),
        "named_first": len(first),
        "named": len(named),
        "sets": {name: dict(counts) for name, counts in sorted(sets.items())},
        "missed_first": [r["id"] for r in judged if r["id"] not in first],
    }


def summary(rows: list[dict[str, Any]], excluded: Counter[str], total: int) -> dict[str, Any]:
    classes = classified()
    survivors = [r for r in rows if r["outcome"] == "survived"]
    equivalent = [r for r in survivors if classes.get(r["id"], {}).get("class") == "equivalent"]
    gaps = [r for r in survivors if classes.get(r["id"], {}).get("class") == "gap"]
    unclassified = [r for r in survivors if r["id"] not in classes]
    ran = [r for r in rows if r["outcome"] != "no-mutation"]
    killed = [r for r in ran if r["outcome"] != "survived"]
    scored = len(ran) - len(equivalent)
    return {
        "mutations": total,
        "excluded": dict(excluded),
        "sampled": len(rows),
        "killed": len(killed),
        "killed_by": dict(Counter(r["outcome"] for r in killed)),
        "killed_under_dev": sum(r.get("profile") == "dev" for r in killed),
        "survived": len(survivors),
        "equivalent": len(equivalent),
        "gaps": len(gaps),
        "unclassified": [r["id"] for r in unclassified],
        "score": round(len(killed) / scored, 4) if scored else None,
        "rules_named": dict(Counter(r["rules"][0] for r in killed if r.get("rules"))),
        "blame": blame(rows),
        "median_seconds": _median([r.get("seconds", 0.0) for r in ran]),
    }


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    return values[len(values) // 2] if values else None


def markdown(result: dict[str, Any]) -> str:
    s, classes = result["summary"], classified()
    lines = [
        f"# Mutation score (cosmic-ray {result['cosmic_ray']}, sample {s['sampled']} of "
        f"{s['mutations']}, seed {result['seed']})",
        "",
        f"- killed {s['killed']} ({s['killed_by']}; under dev: {s['killed_under_dev']}); "
        f"survived {s['survived']}: equivalent {s['equivalent']}, gaps {s['gaps']}, "
        f"unclassified {len(s['unclassified'])}",
        f"- score (killed / (sampled - equivalent)): {s['score']}",
        f"- not sampled: {s['excluded']}",
        f"- blame on the {s['blame']['judged']} annotated kills (mutation_intended.toml): an "
        f"intended rule named first {s['blame']['named_first']}, named at all "
        f"{s['blame']['named']}",
        "",
        "| survivor | change | class | reason |",
        "| --- | --- | --- | --- |",
    ]
    for row in result["mutants"]:
        if row["outcome"] == "survived":
            c = classes.get(row["id"], {})
            lines.append(
                f"| `{row['id']}` (line {row['line']}) | `{row.get('change', '')}` "
                f"| {c.get('class', '?')} | {c.get('reason', '')} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        help="seconds a killer may run before the mutant counts as a hang",
    )
    parser.add_argument(
        "--resume", action="store_true", help="keep the mutants mutation.jsonl already has"
    )
    parser.add_argument("--only", nargs="+", metavar="ID", help="run just these mutants")
    parser.add_argument(
        "--same-sample",
        action="store_true",
        help="the sample is the mutants mutation.jsonl already has (an earlier run's, after the "
        "sample's source grew: each must still make the change it recorded)",
    )
    parser.add_argument(
        "--again",
        action="store_true",
        help="run the sample's survivors again, but those classified equivalent (after "
        "closing gaps in the suite)",
    )
    parser.add_argument(
        "--blame",
        action="store_true",
        help="run the mutants of mutation_intended.toml with shrinking and score the rule each "
        "failure names against the annotation (mutation-blame.json; the score's files stay)",
    )
    parser.add_argument(
        "--kill",
        nargs=5,
        metavar=("PROFILE", "SEED", "FAMILIES", "IUT", "SHRINK"),
        help=argparse.SUPPRESS,
    )  # the killer's own entry point
    args = parser.parse_args(argv)
    if args.kill:
        profile, seed, families, iut, shrink = args.kill
        kill(profile, int(seed), families.split(","), iut, shrink == "shrink")
        return 0

    from importlib.metadata import version

    specs, excluded = all_mutants()
    chosen, invalid = sample(specs, args.sample, args.seed)
    excluded[INVALID] += invalid
    by_id = {mutant_id(s): s for s in specs}
    unknown = [i for i in args.only or () if i not in by_id]
    if unknown:
        parser.error(f"no such mutant: {', '.join(unknown)}")
    OUT.mkdir(parents=True, exist_ok=True)
    if args.blame:
        return blame_run(by_id, args.jobs, args.timeout)
    log = OUT / "mutation.jsonl"
    done: dict[str, dict[str, Any]] = {}
    if (args.resume or args.only or args.same_sample or args.again) and log.exists():
        done = {r["id"]: r for r in map(json.loads, log.read_text().splitlines())}
    if args.same_sample:
        chosen = _recorded_sample(done, by_id)
    if args.only:
        todo = [by_id[i] for i in args.only]
    elif args.again:  # an equivalent mutant survives any suite: not run again
        equivalent = {i for i, c in classified().items() if c.get("class") == "equivalent"}
        todo = [
            s
            for s in chosen
            if done.get(mutant_id(s), {}).get("outcome") == "survived"
            and mutant_id(s) not in equivalent
        ]
    else:
        todo = [s for s in chosen if mutant_id(s) not in done]
    print(
        f"mutation: {len(specs)} mutants ({sum(excluded.values())} more not sampled), "
        f"{len(chosen)} sampled, {len(todo)} to run, {args.jobs} job(s)",
        flush=True,
    )

    baseline = _killer(
        ROOT, "dev", _families(""), "implementations.sample.adapter:factory", args.timeout
    )
    if baseline["outcome"] != "survived":
        print(f"mutation: the unmutated sample does not pass: {baseline}", file=sys.stderr)
        return 2

    spaces = Workspaces(args.jobs)
    try:
        with ThreadPoolExecutor(args.jobs) as pool, log.open("a") as out:
            running = [pool.submit(run_mutant, s, spaces, args.timeout) for s in todo]
            for n, future in enumerate(as_completed(running), 1):
                row = future.result()
                done[row["id"]] = row
                out.write(json.dumps(row) + "\n")
                out.flush()
                print(
                    f"mutation: {n}/{len(todo)} {row['id']}: {row['outcome']} "
                    f"{row.get('rules', [''])[0] if row.get('rules') else ''}"
                    f" ({row.get('seconds', 0)} s)",
                    flush=True,
                )
    finally:
        spaces.close()

    rows = [done[mutant_id(s)] for s in chosen if mutant_id(s) in done]
    result = {
        "cosmic_ray": version("cosmic-ray"),
        "seed": args.seed,
        "summary": summary(rows, excluded, len(specs)),
        "mutants": rows,
    }
    (OUT / "mutation.json").write_text(json.dumps(result, indent=1))
    (OUT / "mutation.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
