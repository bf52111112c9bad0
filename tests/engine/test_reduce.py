"""Readable counterexamples: the world reduced to what the failure needs, values made simple,
each change kept only when the same rule still fails on replay."""

from __future__ import annotations

import re

import pytest

from conformance.engine.compare import ConformanceFailure
from conformance.engine.driver import replay
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.engine.reduce import (
    all_values_simple,
    is_simple,
    simplest_values,
    world_changes,
    world_entries,
)
from conformance.iut.model_adapter import ModelAdapter
from implementations.mutants import MUTANT_BY_NAME
from implementations.sample.adapter import CAPABILITIES
from models.examples import sample_world
from models.rules import ALL_CAPABILITIES
from models.world import build_world
from tests.engine.broken import DropsEditsDuringCycle

SEED = 20261125


def test_simplest_values_follow_the_schema() -> None:
    assert simplest_values({"type": "string", "minLength": 1, "maxLength": 40}) == ["a"]
    assert simplest_values({"type": ["string", "null"], "maxLength": 40}) == [None, ""]
    assert simplest_values({"type": "integer", "minimum": 5, "maximum": 9}) == [5]
    assert simplest_values({"type": ["number", "null"], "minimum": 0}) == [None, 0]
    assert simplest_values({"type": "boolean"}) == [False]
    assert simplest_values({"enum": ["qualify", "develop"]}) == ["qualify", "develop"]
    # a pattern the shortest string breaks leaves no simple string (the value stays)
    assert simplest_values({"type": "string", "pattern": "^x+$"}) == []
    assert is_simple({"type": "integer"}, 0) and not is_simple({"type": "integer"}, 7)
    assert not is_simple({"type": "integer"}, False)  # a bool is not the integer 0


def test_a_counterexample_is_reduced_to_what_it_needs_and_still_fails() -> None:
    with pytest.raises(ConformanceFailure) as caught:
        run_family(FAMILY_BY_NAME["outbox"], DropsEditsDuringCycle, ALL_CAPABILITIES, "ci", SEED)
    mismatch = caught.value.mismatch
    sizes = mismatch.sizes
    assert set(sizes) == {"found", "shrunk", "minimized", "reduced"}
    assert sizes["reduced"][1] < sizes["minimized"][1]  # the world got smaller
    assert sizes["reduced"][1] == world_entries(mismatch.world)
    world = mismatch.world
    touched = {op["table"] for op in mismatch.operations if "table" in op}
    assert {t["name"] for t in world["tables"]} <= touched | {r["table"] for r in world["rows"]}
    for role in world["roles"]:  # privileges only on tables that are still there
        assert set(role["privileges"]) <= {t["name"] for t in world["tables"]}
    assert all_values_simple(world, mismatch.operations)
    again = replay(world, mismatch.operations, DropsEditsDuringCycle)
    assert again is not None and again.rules[0] == mismatch.rules[0] == "SYNC-3"
    assert replay(world, mismatch.operations, ModelAdapter) is None


def test_a_zoo_counterexample_fits_on_one_screen() -> None:
    mutant = MUTANT_BY_NAME["SYNC-8.restart-drops-batch"]
    with pytest.raises(ConformanceFailure) as caught:
        run_family(FAMILY_BY_NAME[mutant.family], mutant.factory, CAPABILITIES, "ci", 5)
    text = caught.value.mismatch.describe("offsync replay r/report.json SYNC-8 --iut x")
    lines = text.splitlines()
    assert lines[0].startswith("At step ") and "SYNC-8 (Restarts lose" in text
    assert len(lines) <= 40 and max(len(line) for line in lines) <= 100, text
    assert re.search(r'\{\w+: "a"\}', text) or "{" not in text.split("operations")[1], text
    assert lines[-1] == "replay: offsync replay r/report.json SYNC-8 --iut x"


def test_a_related_rows_counterexample_keeps_the_related_tables_it_needs() -> None:
    """PROFILE-7: a table the others are related through is dropped, and a "related" filter
    made "all", only when the failure survives it: the not-chained mutant needs a chain of two
    related tables behind a third."""
    mutant = MUTANT_BY_NAME["PROFILE-7.related-not-chained"]
    with pytest.raises(ConformanceFailure) as caught:
        run_family(FAMILY_BY_NAME[mutant.family], mutant.factory, CAPABILITIES, "ci", 2026)
    mismatch = caught.value.mismatch
    world = mismatch.world
    assert sorted(world["profile"].values()).count("related") == 2, world["profile"]
    assert len(world["tables"]) == 3
    assert "PROFILE-7" in mismatch.rules
    again = replay(world, mismatch.operations, mutant.factory)
    assert again is not None and "PROFILE-7" in again.rules
    assert replay(world, mismatch.operations, ModelAdapter) is None


def test_dropping_a_table_others_are_related_through_leaves_a_valid_world() -> None:
    world = sample_world({"opportunity": "all", "account": "related", "contact": "related"})
    changes = list(world_changes(world, []))
    dropped = [c for c in changes if getattr(c, "keywords", {}) == {"table": "account"}]
    assert len(dropped) == 2  # drop the table; make its filter "all"
    for change in dropped:
        reduced = change(world, [])
        assert reduced is not None
        build_world(reduced[0])  # WORLD-1 still holds
    smaller = dropped[0](world, [])
    assert smaller is not None
    assert "account" not in smaller[0]["profile"]
    assert all("account" not in t["lookups"].values() for t in smaller[0]["tables"])


def test_a_retry_counterexample_is_reduced_with_simple_values_and_still_fails() -> None:
    mutant = MUTANT_BY_NAME["VALID-5.retry-reuses-op-id"]
    with pytest.raises(ConformanceFailure) as caught:
        run_family(FAMILY_BY_NAME[mutant.family], mutant.factory, CAPABILITIES, "ci", 2026)
    mismatch = caught.value.mismatch
    kinds = [op["kind"] for op in mismatch.operations]
    assert "retry" in kinds and mismatch.rules[0] == "VALID-5"
    # the retried change's values are those of the edit it retries: made the simplest
    assert all_values_simple(mismatch.world, mismatch.operations)
    again = replay(mismatch.world, mismatch.operations, mutant.factory)
    assert again is not None and again.rules[0] == "VALID-5"
    assert replay(mismatch.world, mismatch.operations, ModelAdapter) is None
