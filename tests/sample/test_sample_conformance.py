"""The sample implementation against the suite: every family, in-process and over HTTP."""

from __future__ import annotations

import pytest

from conformance.adapter import ALL_CAPABILITIES
from conformance.families import FAMILIES, FAMILY_BY_NAME
from conformance.machine import run_family
from conformance.report import build
from implementations.sample.adapter import factory, http_factory
from models.rules import RULES

SEED = 424242


@pytest.mark.rule(*RULES)
def test_sample_in_process_passes_every_family_under_dev() -> None:
    stats = [run_family(f, factory, ALL_CAPABILITIES, "dev", SEED) for f in FAMILIES]
    report = build(
        stats, iut="sample", profile="dev", seed=SEED, capabilities=ALL_CAPABILITIES,
        started="", finished="", duration_s=0.0,
    )  # fmt: skip
    assert report["summary"]["failed"] == 0
    assert report["summary"]["passed"] >= 33


@pytest.mark.rule("SYNC-5", "SYNC-8", "VALID-1")
def test_sample_over_http_passes_the_outbox_and_validation_families() -> None:
    for name in ("outbox", "validation"):
        stats = run_family(FAMILY_BY_NAME[name], http_factory, ALL_CAPABILITIES, "dev", SEED)
        assert stats.outcome == "passed" and stats.steps > 100
