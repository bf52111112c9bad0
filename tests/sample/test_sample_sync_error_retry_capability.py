"""Without ``sync_error_retry`` no ``retry`` or ``dismiss`` is sent and VALID-5 is not
applicable, the rest still passes; with it, the sync_errors family retries open errors with
both outcomes (applied once the privilege is back, rejected again otherwise) and dismisses
them."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from conformance.engine.families import FAMILY_BY_NAME, kinds_for
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterFactory
from conformance.iut.model_adapter import ModelAdapter
from conformance.reporting.report import build
from implementations.sample.adapter import SampleAdapter
from models.records import Operation, Result
from tests.sample.test_sample_capabilities import Checked

SEED = 1212


@pytest.mark.rule("VALID-5")
@pytest.mark.parametrize("inner", [SampleAdapter, ModelAdapter], ids=["sample", "model"])
def test_without_sync_error_retry_no_retry_is_sent_and_valid_5_is_not_applicable(
    inner: type[Any],
) -> None:
    capabilities = ALL_CAPABILITIES - {"sync_error_retry"}
    assert not {"retry", "dismiss", "regain"} & set(
        kinds_for(FAMILY_BY_NAME["sync_errors"].kinds, capabilities)
    )

    def factory() -> Checked:
        return Checked(inner(), capabilities)

    checked: AdapterFactory = factory  # type: ignore[assignment]
    families = [FAMILY_BY_NAME[f] for f in ("sync_errors", "validation")]
    stats = [run_family(f, checked, capabilities, "dev", SEED) for f in families]
    report = build(
        stats, iut=inner.__name__, profile="dev", seed=SEED, capabilities=capabilities,
        started="", finished="", duration_s=0.0,
    )  # fmt: skip
    status = {r["id"]: r["status"] for r in report["rules"]}
    assert report["summary"]["failed"] == 0
    assert status["VALID-5"] == "not_applicable"
    assert status["VALID-2"] == "passed"


class Counting(SampleAdapter):
    """The sample, counting what retries and dismisses answer and what becomes of the
    retried changes at the next cycles."""

    seen: Counter[str] = Counter()

    def setup(self, world: Any) -> None:
        super().setup(world)
        #: per device, the op ids of accepted retries: queued, and in the cycle under way
        self.queued: dict[str, set[str]] = {}
        self.sent: dict[str, set[str]] = {}

    def apply(self, op: Operation) -> Result:  # type: ignore[override]
        result: Result = super().apply(op)
        kind, device = op["kind"], op.get("device", "")
        accepted = result["status"] == "accepted"
        if kind in ("retry", "dismiss"):
            Counting.seen[f"{kind} {result.get('reason', 'accepted')}"] += 1
            if kind == "retry" and accepted:
                self.queued.setdefault(device, set()).add(op["op_id"])
        if kind == "sync_start" and accepted:
            self.sent[device] = self.queued.pop(device, set())
        if kind == "sync_end" and accepted:
            failed = {e["op_id"] for e in self.observe()["devices"][device]["errors"]}
            for op_id in self.sent.pop(device, set()):
                Counting.seen["retry failed again" if op_id in failed else "retry applied"] += 1
        return result


@pytest.mark.rule("VALID-5", "VALID-2")
def test_the_sync_errors_family_retries_with_both_outcomes_and_dismisses() -> None:
    Counting.seen.clear()
    stats = run_family(FAMILY_BY_NAME["sync_errors"], Counting, ALL_CAPABILITIES, "ci", 2026)
    assert stats.outcome == "passed"
    seen = Counting.seen
    assert seen["retry accepted"] >= 20 and seen["dismiss accepted"] >= 20, seen
    assert seen["retry applied"] >= 10 and seen["retry failed again"] >= 10, seen
    assert seen["retry not_found"] and seen["dismiss not_found"], seen
