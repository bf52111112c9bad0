"""What one run of a rule family did: examples, steps, rules exercised, the failure if any.

Family stats travel from pytest-xdist workers to the controller as JSON (``to_json`` /
``from_json``), so the report is the same with or without ``-n``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from conformance.reporting.counterexample import Mismatch
from models.records import Operation, WorldSpec

#: how a family's run (or part of it) ended: ``passed`` (ran to the end, nothing failed),
#: ``failed`` (a counterexample), ``error`` (the implementation could not be checked any
#: further: see ``RunError``), ``interrupted`` (the run was stopped while it ran),
#: ``not_run`` (it was to run and never started)
OUTCOMES = ("passed", "failed", "error", "interrupted", "not_run")
#: which outcome a family's parts merge into: the worst
_RANK = {"passed": 0, "not_run": 1, "interrupted": 2, "error": 3, "failed": 4}


@dataclass
class RunError:
    """Why a family could not be checked to the end: one line saying what broke where, the
    protocol method, the implementation's last stderr lines, and the program up to there
    (the step index, -1 for the world's setup)."""

    message: str
    method: str | None = None
    stderr: list[str] = field(default_factory=list)
    step: int = -1
    world: WorldSpec | None = None
    operations: list[Operation] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "method": self.method,
            "stderr": self.stderr,
            "step": self.step,
            "world": self.world,
            "operations": self.operations,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunError:
        return cls(
            message=data["message"],
            method=data.get("method"),
            stderr=list(data.get("stderr", [])),
            step=data.get("step", -1),
            world=data.get("world"),
            operations=list(data.get("operations", [])),
        )


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
    outcome: str = "passed"  # one of OUTCOMES
    message: str = ""
    mismatch: Mismatch | None = None
    #: why the family stopped, when its outcome is ``error``
    error: RunError | None = None
    #: the implementation's capabilities, as it declared them where the family ran (None:
    #: it never started)
    capabilities: frozenset[str] | None = None
    #: examples run and seconds spent when the first failure was seen (before shrinking)
    first_failure: tuple[int, float] | None = None
    #: [operations, world entries] of the first failing example (before shrinking)
    found_size: list[int] | None = None
    #: ``time.perf_counter()`` when the run started (not serialised)
    started: float = 0.0

    def merge(self, other: FamilyStats) -> None:
        """Add another part of the same family's run (see ``machine.run_family``)."""
        self.examples += other.examples
        self.steps += other.steps
        self.rule_steps += other.rule_steps
        self.seconds += other.seconds
        self.hits.update(other.hits)
        if self.capabilities is None:
            self.capabilities = other.capabilities
        if _RANK[other.outcome] > _RANK[self.outcome]:
            self.outcome, self.message = other.outcome, other.message
            self.mismatch, self.first_failure = other.mismatch, other.first_failure
            self.error = other.error

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
            "error": self.error.to_json() if self.error else None,
            "capabilities": sorted(self.capabilities) if self.capabilities is not None else None,
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
                sizes=m.get("sizes", {}),
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
            error=RunError.from_json(data["error"]) if data.get("error") else None,
            capabilities=(
                frozenset(data["capabilities"]) if data.get("capabilities") is not None else None
            ),
        )
