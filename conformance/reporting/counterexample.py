"""A counterexample: the program on which an implementation disagreed with the model, where,
and the rules concerned; how it is told to a person."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from conformance.reporting.narrative import MISSING, tell
from models.records import Operation, WorldSpec

__all__ = ["MISSING", "Mismatch"]


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
    #: [operations, world entries] along the way: ``found`` (the first failing example),
    #: ``shrunk`` (by Hypothesis), ``minimized``, ``reduced`` (see ``engine.minimize``)
    sizes: dict[str, list[int]] = dataclasses.field(default_factory=dict)

    def describe(self, replay: str | None = None) -> str:
        """The counterexample for a person: a sentence, the world as a short table, the
        numbered operations, the difference, and ``replay`` (the command) when given."""
        return tell(
            family=self.family,
            world=self.world,
            operations=self.operations,
            failing_step=self.failing_step,
            rules=self.rules,
            field=self.field,
            expected=self.expected,
            actual=self.actual,
            replay=replay,
        )

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
            "sizes": self.sizes,
        }
