"""PROFILE-7 in the sample server: its download follows lookups in both directions to a fixed
point, takes only readable rows, and its world loading refuses more than 10 related tables."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conformance.engine.driver import replay
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.reporting.report import build
from implementations.sample.adapter import CAPABILITIES, factory
from implementations.sample.server.service import Service, WorldError
from models.examples import TABLES, sample_world

pytestmark = pytest.mark.rule("PROFILE-7")


def _world(**filters: str) -> Any:
    world: Any = sample_world({"account": "all", "contact": "all", "opportunity": "all"} | filters)
    world["rows"] += [
        {"id": "opp-east", "table": "opportunity", "owner": "bob",
         "values": {"topic": "T", "stage": "qualify", "account": "acc-east"}},
        {"id": "con-lone", "table": "contact", "owner": "bob",
         "values": {"fullname": "Lone", "email": None}},
    ]  # fmt: skip
    return world


def _downloaded(world: Any, user: str = "bob") -> list[str]:
    service = Service()
    service.load_world(world)
    return sorted(service.download(user)["rows"])


def test_the_sample_declares_related_rows() -> None:
    assert "related_rows" in CAPABILITIES


def test_related_rows_are_chained_in_both_directions() -> None:
    assert _downloaded(_world()) == ["acc-east", "con-east", "con-lone", "opp-east"]
    chained = _world(account="related", contact="related")  # opp-east -> acc-east -> con-east
    assert _downloaded(chained) == ["acc-east", "con-east", "opp-east"]
    children = _world(account="related", opportunity="related")  # con-east <- acc <- opp
    assert _downloaded(children) == ["acc-east", "con-east", "con-lone", "opp-east"]
    nothing = _world(account="related", contact="related", opportunity="related")
    assert _downloaded(nothing) == []


def test_related_rows_are_readable_rows_only() -> None:
    world = _world(account="related", contact="related")
    for role in world["roles"]:
        role["privileges"]["account"]["read"] = "none"
    assert _downloaded(world) == ["opp-east"]  # con-east is not reached through acc-east
    service = Service()
    service.load_world(_world(contact="related"))
    snapshot = service.download("bob")["snapshot"]
    assert sorted(snapshot["row_rights"]) == ["acc-east", "con-east", "opp-east"]


def test_more_than_ten_related_tables_are_refused() -> None:
    world = _world()
    for i in range(11):
        table = copy.deepcopy(TABLES[3])
        table["name"] = f"extra{i}"
        world["tables"].append(table)
        world["profile"][f"extra{i}"] = "related"
    with pytest.raises(WorldError, match="more than 10 related tables"):
        Service().load_world(world)
    del world["profile"]["extra10"]
    Service().load_world(world)


def test_rows_become_and_stop_being_related_at_the_next_cycle_as_the_model_says() -> None:
    world = _world(account="related", contact="related")
    ops: Any = [
        {"kind": "server_update", "row": "acc-east", "values": {"primarycontact": "con-lone"}},
        {"kind": "sync_start", "device": "bob-phone"},
        {"kind": "sync_end", "device": "bob-phone"},
        {"kind": "server_update", "row": "opp-east", "values": {"account": None}},
        {"kind": "read", "device": "bob-phone", "table": "contact"},
        {"kind": "sync_start", "device": "bob-phone"},
        {"kind": "sync_end", "device": "bob-phone"},
    ]
    assert replay(world, ops, factory) is None


def test_profile_7_passes_on_the_sample_under_ci_in_the_profile_family() -> None:
    """The report's status of PROFILE-7 for the sample under ``ci`` is ``passed`` with a real
    count: the profile family (related tables often, chains of them) exercises it most."""
    stats = run_family(FAMILY_BY_NAME["profile"], factory, CAPABILITIES, "ci", 2026)
    report = build(
        [stats], iut="sample", profile="ci", seed=2026, capabilities=CAPABILITIES,
        started="", finished="", duration_s=0.0,
    )  # fmt: skip
    rule = next(r for r in report["rules"] if r["id"] == "PROFILE-7")
    assert rule["status"] == "passed" and rule["exercised"] >= 100, rule
    assert stats.hits["PROFILE-7"] >= stats.hits["PROFILE-5"] // 2
