"""An adapter around the reference model itself: the suite must pass everything against it."""

from __future__ import annotations

from conformance.iut.adapter import ALL_CAPABILITIES
from models import ModelSystem
from models.records import Observation, Operation, Result, WorldSpec


class ModelAdapter:
    """Runs the reference model as if it were an implementation under test."""

    capabilities = ALL_CAPABILITIES

    def __init__(self) -> None:
        self._system: ModelSystem | None = None

    @property
    def system(self) -> ModelSystem:
        if self._system is None:
            raise RuntimeError("ModelAdapter.setup() has not been called")
        return self._system

    def setup(self, world: WorldSpec) -> None:
        self._system = ModelSystem(world)

    def apply(self, op: Operation) -> Result:
        return self.system.apply(op)

    def observe(self) -> Observation:
        return self.system.observe()

    def close(self) -> None:
        self._system = None


def factory() -> ModelAdapter:
    """``--iut conformance.iut.model_adapter:factory``"""
    return ModelAdapter()
