"""Record the PouchDB implementation's outcomes: ``implementations/pouchdb/expected.json``.

``python -m tests.pouchdb.record [--seed N] [--profile dev] [--jobs 2]`` runs every family
whole against the PouchDB IUT, as ``test_the_suite_gives_the_recorded_outcome`` does, and
writes each family's outcome (and the rule its counterexample names first), the rule
statuses of the whole run, and each failure's counterexample (for FINDINGS.md). Run it after a
change that moves the outcomes on purpose, and say why in the commit.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from conformance.engine.families import FAMILIES
from conformance.iut.subprocess_adapter import SubprocessAdapter
from conformance.reporting.report import build
from conformance.reporting.stats import FamilyStats
from tests.pouchdb.test_pouchdb_iut import PACKAGE, ROOT, TIMEOUT, run_recorded_family, unavailable


def _one(family: str, profile: str, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        command = ["node", str(PACKAGE / "iut.js")]
        return run_recorded_family(family, command, Path(directory), profile, seed).to_json()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--profile", default="dev")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        raise SystemExit(reason)
    names = [f.name for f in FAMILIES]
    with tempfile.TemporaryDirectory() as directory:  # what it declares: the others' rules
        env = {**os.environ, "OFFSYNC_POUCHDB_DIR": directory}  # are not applicable
        command = ["node", str(PACKAGE / "iut.js")]
        with SubprocessAdapter(command, timeout=TIMEOUT, env=env, cwd=ROOT) as child:
            capabilities = child.capabilities
    with ProcessPoolExecutor(args.jobs) as pool:
        found = list(pool.map(_one, names, [args.profile] * len(names), [args.seed] * len(names)))
    stats = [FamilyStats.from_json(f) for f in found]
    report = build(
        stats, iut="exec:node implementations/pouchdb/iut.js", profile=args.profile,
        seed=args.seed, capabilities=capabilities, started="", finished="", duration_s=0.0,
    )  # fmt: skip
    families: dict[str, Any] = {}
    for s in stats:
        entry: dict[str, Any] = {"outcome": s.outcome}
        if s.mismatch is not None:
            entry["rule"] = s.mismatch.rules[0]
            entry["counterexample"] = s.mismatch.describe()
        families[s.family] = entry
    body = {
        "profile": args.profile,
        "seed": args.seed,
        "families": dict(sorted(families.items())),
        "statuses": {r["id"]: r["status"] for r in report["rules"]},
    }
    path = PACKAGE / "expected.json"
    path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n")
    for name, entry in body["families"].items():
        seconds = next(s.seconds for s in stats if s.family == name)
        print(f"{name:<11} {entry['outcome']:<7} {entry.get('rule', ''):<10} {seconds:.1f} s")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
