"""One stateful property per rule family, against the IUT chosen with ``--iut``."""

from __future__ import annotations

import json

import pytest

from conformance.families import FAMILIES, Family
from conformance.machine import run_family
from conformance.plugin import STATS_PROPERTY, OffsyncRun
from conformance.stats import FamilyStats


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_family(family: Family, offsync: OffsyncRun, record_property) -> None:  # type: ignore[no-untyped-def]
    stats = FamilyStats(family.name)
    try:
        run_family(
            family,
            offsync.iut.factory,
            offsync.iut.capabilities,
            offsync.profile,
            offsync.seed,
            stats,
        )
    finally:
        record_property(STATS_PROPERTY, json.dumps(stats.to_json()))
