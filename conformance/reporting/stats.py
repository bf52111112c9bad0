"""What one run of a rule family did: examples, steps, rules exercised, the failure if any.

Family stats travel from pytest-xdist workers to the controller as JSON (``to_json`` /
``from_json``), so the report is the same with or without ``-n``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.reporting.counterexample import Mismatch


@dataclass
class FamilyStats:
    family: str
    examples: int = 0
    #: operations applied (a whole-cycle step applies two)
    steps: int = 0
    #: steps Hypothesis ran (rule invocations of the state machine)
    rule_steps: int = 0
    seconds: float = 0.0
    #: rule ID -> number of steps (or setups) that exercised it
    hits: Counter[str] = field(default_factory=Counter)
    outcome: str = "passed"  # passed | failed | error | skipped
    message: str = ""
    mismatch: Mismatch | None = None
    #: examples run and seconds spent when the first failure was seen (before shrinking)
    first_failure: tuple[int, float] | None = None
    #: ``time.perf_counter()`` when the run started (not serialised)
    started: float = 0.0

    def merge(self, other: FamilyStats) -> None:
        """Add another part of the same family's run (see ``machine.run_family``)."""
        self.examples += other.examples
        self.steps += other.steps
        self.rule_steps += other.rule_steps
        self.seconds += other.seconds
        self.hits.update(other.hits)
        rank = {"passed": 0, "skipped": 0, "error": 1, "failed": 2}
        if rank.get(other.outcome, 0) > rank.get(self.outcome, 0):
            self.outcome, self.message = other.outcome, other.message
            self.mismatch, self.first_failure = other.mismatch, other.first_failure

    def to_json(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "examples": self.examples,
            "steps": self.steps,
            "rule_steps": self.rule_steps,
            "seconds": round(self.seconds, 3),
            "hits": dict(sorted(self.hits.items())),
            "outcome": self.outcome,
            "message": self.message,
            "mismatch": self.mismatch.to_json() if self.mismatch else None,
            "first_failure": list(self.first_failure) if self.first_failure else None,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FamilyStats:
        m = data.get("mismatch")
        mismatch = (
            Mismatch(
                family=m["family"],
                world=m["world"],
                operations=m["operations"],
                failing_step=m["failing_step"],
                rules=m["rules"],
                field=m["field"],
                expected=m["expected"],
                actual=m["actual"],
                message=m.get("message", ""),
                seed=m.get("seed"),
            )
            if m
            else None
        )
        return cls(
            family=data["family"],
            examples=data["examples"],
            steps=data["steps"],
            rule_steps=data.get("rule_steps", 0),
            seconds=data["seconds"],
            hits=Counter(data["hits"]),
            outcome=data["outcome"],
            message=data.get("message", ""),
            mismatch=mismatch,
            first_failure=tuple(data["first_failure"]) if data.get("first_failure") else None,
        )
