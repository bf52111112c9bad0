"""Deliberately broken variants of the sample implementation (see ``zoo``).

Each mutant is an IUT: ``--iut implementations.mutants:<name>``, for example
``--iut implementations.mutants:SYNC-3.edits-during-cycle-lost``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from implementations.mutants.zoo import MUTANT_BY_NAME, MUTANTS, Mutant

__all__ = ["MUTANTS", "MUTANT_BY_NAME", "Mutant"]


def __getattr__(name: str) -> Callable[[], Any]:
    mutant = MUTANT_BY_NAME.get(name)
    if mutant is None:
        raise AttributeError(f"no mutant {name!r}; the zoo has {', '.join(MUTANT_BY_NAME)}")
    return mutant.factory
