"""PROFILE-7 in the engine: worlds have related tables only for an implementation that
declares related_rows, and then often with lookups that relate rows; a row on the device or
missing from it because of the related filter is blamed on PROFILE-7."""

from __future__ import annotations

import random

import pytest

from conformance.engine.explain import explain_row
from conformance.engine.strategies import RELATED_CHAINS, random_world
from conformance.reporting.narrative import world_table
from models import ModelSystem
from models.examples import sample_world
from models.rules import ALL_CAPABILITIES

pytestmark = pytest.mark.rule("PROFILE-7")


def _worlds(capabilities: frozenset[str], related_odds: int = 1) -> list[dict]:  # type: ignore[type-arg]
    return [
        dict(
            random_world(random.Random(seed), capabilities=capabilities, related_odds=related_odds)
        )
        for seed in range(200)
    ]


def test_without_the_capability_no_table_is_related() -> None:
    for world in _worlds(ALL_CAPABILITIES - {"related_rows"}, related_odds=4):
        assert "related" not in world["profile"].values(), world["profile"]


def test_with_the_capability_related_tables_relate_rows() -> None:
    worlds = _worlds(ALL_CAPABILITIES, related_odds=4)
    related = [w for w in worlds if "related" in w["profile"].values()]
    assert len(related) > len(worlds) // 3
    effect = chained = 0
    for world in related:
        system = ModelSystem(world)  # type: ignore[arg-type]
        if "PROFILE-7" not in system.setup_rules:
            continue
        effect += 1
        filters = world["profile"]
        held = {
            table
            for device in system.devices.values()
            for table in (row.table for row in device.cache.values())
            if filters.get(table) == "related"
        }
        chained += any(
            filters.get(a) != "related"
            and filters.get(b) == filters.get(c) == "related"
            and c in held
            for a, b, c in RELATED_CHAINS
        )
    assert effect > len(related) // 3
    assert chained >= 15


def test_a_row_decided_by_the_related_filter_is_blamed_on_profile_7() -> None:
    world = sample_world({"opportunity": "all", "account": "related", "contact": "related"})
    system = ModelSystem(world)
    # acc-east is readable by bob and related to nothing he downloads (no opportunity)
    assert explain_row(system, "bob-phone", "acc-east")[0] == "PROFILE-7"
    # acc-west is not readable by bob: security first, then the filter
    rules = explain_row(system, "bob-phone", "acc-west")
    assert rules[0].startswith("SEC-") and rules[-1] == "PROFILE-7"
    # a row of a table with another filter: not PROFILE-7
    assert "PROFILE-7" not in explain_row(system, "bob-phone", "task-east")


def test_the_world_table_tells_related_filters() -> None:
    world = sample_world({"opportunity": "all", "account": "related"})
    profile = next(line for line in world_table(world) if line.split()[:1] == ["profile"])
    assert "account (related rows only)" in profile and "opportunity (all)" in profile
