"""A counterexample: the program on which an implementation disagreed with the model, where,
and the rules concerned; how it is told to a person."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from models.records import Operation, WorldSpec
from models.rules import RULES

#: stands for a key one side of a comparison does not have
MISSING = "<missing>"


@dataclass
class Mismatch:
    """One observed difference between the implementation and the model."""

    family: str
    world: WorldSpec
    operations: list[Operation]
    #: index of the failing operation in ``operations``; -1 for the setup
    failing_step: int
    rules: list[str]
    field: str
    expected: Any
    actual: Any
    message: str = ""
    seed: int | None = None

    def describe(self) -> str:
        op = (
            "the setup (initial observation)"
            if self.failing_step < 0
            else f"step {self.failing_step + 1} of {len(self.operations)}: "
            + json.dumps(self.operations[self.failing_step], sort_keys=True)
        )
        rules = "; ".join(f"{r} ({RULES.get(r, '?')})" for r in self.rules)
        lines = [
            f"offsync conformance failure in family {self.family!r}",
            f"  rule(s): {rules}",
            f"  at {op}",
            f"  field: {self.field}",
            f"  expected (model): {_short(self.expected)}",
            f"  actual (IUT):     {_short(self.actual)}",
        ]
        if self.message:
            lines.append(f"  {self.message}")
        lines.append("  minimal program:")
        lines.append(f"    world: {json.dumps(self.world, sort_keys=True)}")
        for i, op_ in enumerate(self.operations):
            marker = ">>" if i == self.failing_step else "  "
            lines.append(f"  {marker} {i + 1}. {json.dumps(op_, sort_keys=True)}")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "seed": self.seed if self.seed is not None else 0,
            "world": self.world,
            "operations": self.operations,
            "failing_step": self.failing_step,
            "rules": self.rules,
            "field": self.field,
            "expected": self.expected,
            "actual": self.actual,
            "message": self.message,
        }


def _short(value: Any, limit: int = 400) -> str:
    text = value if value == MISSING else json.dumps(value, sort_keys=True)
    return text if len(text) <= limit else text[:limit] + "..."
