"""How often server-side events are aimed at what they change (issue 18, part 2).

Run on demand (not a test): ``python benchmarks/aim.py [--profile ci] [--seed 1]
[--family broad ...]``. Runs the families against the reference model itself and, for each
server-side event kind, counts the events generated, those that named something that exists
(``accepted`` and not a no-op: the server's state changed), those that changed what a
device's user would download (rows, values or the privilege snapshot: ``effective``), and
those of them followed by that device's completed cycle before the example ended
(``reached``): only these can show an implementation that ignores the event. Writes
``reports/benchmarks/aim.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import copy
import json
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.engine.families import FAMILIES, FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES
from conformance.iut.model_adapter import ModelAdapter
from models.records import SERVER_KINDS, Operation, Result


def _downloads(adapter: ModelAdapter) -> dict[str, Any]:
    system = adapter.system
    return {
        dev: repr(system.server.download(device.user))
        for dev, device in sorted(system.devices.items())
    }


class Counting(ModelAdapter):
    """The model, counting what each server-side event changed and whether it reached a
    device: one counter per event kind, shared by every instance of a run."""

    counts: dict[str, Counter[str]] = {}

    def setup(self, world: Any) -> None:
        super().setup(world)
        #: device -> (number, kind) of the effective events it has not completed a cycle
        #: since; ``reached`` holds the numbers already counted (one count per event)
        self.waiting: dict[str, list[tuple[int, str]]] = {}
        self.reached: set[int] = set()
        self.events = 0

    def apply(self, op: Operation) -> Result:
        kind = op["kind"]
        if kind not in SERVER_KINDS:
            result = super().apply(op)
            if kind == "sync_end" and result["status"] == "accepted":
                for number, event in self.waiting.pop(op.get("device", ""), []):
                    if number not in self.reached:
                        self.reached.add(number)
                        self.counts[event]["reached"] += 1
            return result
        count = self.counts.setdefault(kind, Counter())
        count["generated"] += 1
        server_before = copy.deepcopy((self.system.server.observe(), self.system.server.directory))
        before = _downloads(self)
        result = super().apply(op)
        after = _downloads(self)
        server_after = (self.system.server.observe(), self.system.server.directory)
        if result["status"] == "accepted" and server_after != server_before:
            count["changed_the_server"] += 1
        changed = [dev for dev in before if before[dev] != after[dev]]
        self.events += 1
        if changed:
            count["effective"] += 1
            for dev in changed:
                self.waiting.setdefault(dev, []).append((self.events, kind))
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", default="ci")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--family", action="append", choices=sorted(FAMILY_BY_NAME))
    args = parser.parse_args()
    families = [FAMILY_BY_NAME[f] for f in args.family] if args.family else list(FAMILIES)
    for family in families:
        run_family(family, Counting, ALL_CAPABILITIES, args.profile, args.seed)
    rows = {k: dict(Counting.counts[k]) for k in SERVER_KINDS if k in Counting.counts}
    out = Path("reports/benchmarks")
    out.mkdir(parents=True, exist_ok=True)
    body = {"profile": args.profile, "seed": args.seed, "families": [f.name for f in families]}
    (out / "aim.json").write_text(json.dumps({**body, "events": rows}, indent=2) + "\n")
    print(f"{'event':<18} {'generated':>9} {'changed':>8} {'effective':>9} {'reached':>8}")
    for kind, c in rows.items():
        print(
            f"{kind:<18} {c.get('generated', 0):>9} {c.get('changed_the_server', 0):>8} "
            f"{c.get('effective', 0):>9} {c.get('reached', 0):>8}"
        )


if __name__ == "__main__":
    main()
