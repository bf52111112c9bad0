"""The pure reference model of SPEC.md: standard library only, deterministic, no I/O.

Entry points: ``ModelSystem`` (stateful, one operation at a time) and ``run`` (a world and a
sequence of operations in, every step's result and observation out).
"""

from models.records import Observation, Operation, Result, Step, WorldSpec
from models.system import ModelSystem, run
from models.world import InvalidWorld

__all__ = [
    "InvalidWorld",
    "ModelSystem",
    "Observation",
    "Operation",
    "Result",
    "Step",
    "WorldSpec",
    "run",
]
