"""The sample and the model with each capability of issues 12 and 13 removed
(position_hierarchy, teams, append, offline_operations, profile_membership, related_rows):
every rule passes or is not applicable, the rules that need the missing one are not
applicable, and no world or operation sent contains the missing part at all."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.engine.families import FAMILIES
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterFactory
from conformance.iut.model_adapter import ModelAdapter
from conformance.reporting.report import build
from implementations.sample.adapter import SampleAdapter
from models.records import Operation, Result, WorldSpec
from models.rules import CAPABILITY_KINDS, CAPABILITY_RULES

SEED = 1212
NEW = (
    "position_hierarchy",
    "teams",
    "append",
    "offline_operations",
    "profile_membership",
    "related_rows",
)


def outside(
    capabilities: frozenset[str], world: WorldSpec | None, op: Operation | None
) -> list[str]:
    """What a world or an operation holds of a capability not in ``capabilities``."""
    found: list[str] = []
    if world is not None:
        if "position_hierarchy" not in capabilities:
            found += [k for k in ("positions",) if k in world]
            found += [f"users/{u['id']}/position" for u in world["users"] if "position" in u]
            found += ["hierarchy/model"] if "model" in world["hierarchy"] else []
        if "teams" not in capabilities:
            found += [k for k in ("teams", "team_shares") if k in world]
            found += [f"roles/{r['id']}/member_inheritance" for r in world["roles"]
                      if "member_inheritance" in r]  # fmt: skip
        if "append" not in capabilities:
            found += ["append_privileges"] if "append_privileges" in world else []
            found += [
                f"roles/{r['id']}/{t}/{p}"
                for r in world["roles"]
                for t, privileges in r["privileges"].items()
                for p in privileges
                if p in ("append", "append_to")
            ]
            found += [f"shares/{s['row']}" for s in world["shares"]
                      if {"append", "append_to"} & set(s["rights"])]  # fmt: skip
        if "offline_operations" not in capabilities:
            found += [f"tables/{t['name']}/offline_operations" for t in world["tables"]
                      if "offline_operations" in t]  # fmt: skip
        if "profile_membership" not in capabilities:
            found += ["profile_users"] if "profile_users" in world else []
        if "related_rows" not in capabilities:
            found += [f"profile/{t}" for t, f in world.get("profile", {}).items() if f == "related"]
    if op is not None:
        barred = [k for cap, kinds in CAPABILITY_KINDS.items() if cap not in capabilities
                  for k in kinds]  # fmt: skip
        if op["kind"] in barred:
            found.append(op["kind"])
        if "teams" not in capabilities and op["kind"] == "create" and "owner" in op:
            found.append("create/owner")
        if "append" not in capabilities and (
            op.get("privilege") in ("append", "append_to")
            or {"append", "append_to"} & set(op.get("rights", []))
        ):
            found.append(f"{op['kind']}/append")
    return found


class Checked:
    """An adapter (the sample or the model) that declares fewer capabilities and fails the
    test when a world or an operation goes beyond them."""

    def __init__(self, inner: Any, capabilities: frozenset[str]) -> None:
        self.inner, self.capabilities = inner, capabilities

    def setup(self, world: WorldSpec) -> None:
        assert outside(self.capabilities, world, None) == [], world
        self.inner.setup(world)

    def apply(self, op: Operation) -> Result:
        assert outside(self.capabilities, None, op) == [], op
        return self.inner.apply(op)  # type: ignore[no-any-return]

    def observe(self) -> Any:
        return self.inner.observe()

    def close(self) -> None:
        self.inner.close()


def run_without(inner: type[Any], capability: str) -> dict[str, Any]:
    capabilities = ALL_CAPABILITIES - {capability}

    def factory() -> Checked:
        return Checked(inner(), capabilities)

    checked: AdapterFactory = factory  # type: ignore[assignment]
    stats = [run_family(f, checked, capabilities, "dev", SEED) for f in FAMILIES]
    return build(
        stats, iut=inner.__name__, profile="dev", seed=SEED, capabilities=capabilities,
        started="", finished="", duration_s=0.0,
    )  # fmt: skip


@pytest.mark.rule("SEC-8", "SEC-9", "SEC-10", "SEC-11", "PROFILE-6", "PROFILE-7", "PROFILE-8")
@pytest.mark.parametrize("inner", [SampleAdapter, ModelAdapter], ids=["sample", "model"])
@pytest.mark.parametrize("capability", NEW)
def test_without_a_new_capability_its_rules_are_not_applicable_and_the_rest_pass(
    inner: type[Any], capability: str
) -> None:
    report = run_without(inner, capability)
    status = {r["id"]: r["status"] for r in report["rules"]}
    assert report["summary"]["failed"] == 0
    assert all(f["outcome"] == "passed" for f in report["families"])
    for rule in CAPABILITY_RULES[capability]:
        assert status[rule] == "not_applicable", rule
    other_new = {r for cap in NEW if cap != capability for r in CAPABILITY_RULES[cap]}
    for rule in sorted(other_new | {"SEC-5", "SEC-12"}):  # the others are still checked
        assert status[rule] == "passed", (rule, status[rule])


def test_outside_finds_what_a_capability_would_add() -> None:
    """The check above is not vacuous: a world and operations with every part are caught."""
    world: Any = {
        "users": [{"id": "u", "position": None}],
        "roles": [{"id": "r", "privileges": {"t": {"append": "user"}},
                   "member_inheritance": "team"}],
        "shares": [{"row": "x", "user": "u", "rights": ["append_to"]}],
        "hierarchy": {"enabled": True, "depth": 1, "model": "manager"},
        "positions": [],
        "teams": [],
        "team_shares": [],
        "append_privileges": False,
        "tables": [{"name": "t", "offline_operations": ["read"]}],
        "profile_users": [],
        "profile": {"t": "related", "u": "all"},
    }  # fmt: skip
    assert len(outside(frozenset(), world, None)) == 12
    assert outside(ALL_CAPABILITIES, world, None) == []
    assert outside(frozenset(), None, {"kind": "add_member", "team": "t", "user": "u"})
    assert outside(frozenset(), None, {"kind": "grant_profile", "user": "u"})
    assert outside(frozenset(), None, {"kind": "create", "owner": "t"})  # type: ignore[typeddict-item]
    assert outside(frozenset(), None, {"kind": "set_depth", "privilege": "append"})  # type: ignore[typeddict-item]
