"""``report.html``: the run's report for people, in one self-contained file.

No network and no CDN: the styles and the few lines of script are inside the file. Rendered
from ``templates/report.html.j2`` with jinja2 (autoescaped). At the top the verdict; then the
rules grouped by family (status, how often each was exercised as a bar, the expectation, SPEC's
text on expand); then each counterexample as a timeline with one lane per device and one for
the server, the failing step marked, expected and actual side by side, the world summarised
and the replay command ready to copy; then the families and the corpus.
"""

from __future__ import annotations

import json
import math
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from conformance.reporting.narrative import GLOSS, operation, world_table
from conformance.reporting.spec_text import spec_text
from conformance.reporting.verdict import FINISHED, counts_line, verdict_line
from models.records import DEVICE_KINDS

_ENV = Environment(
    loader=PackageLoader("conformance.reporting", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_DEVICE_KINDS = (
    "create",
    "update",
    "delete",
    "read",
    "sync_start",
    "sync_end",
    "restart",
    "retry",
    "dismiss",
)


def _bar(count: int, most: int) -> int:
    """A bar's width in percent: logarithmic, so that 3 and 3,000 both show."""
    if count <= 0 or most <= 0:
        return 0
    return max(2, round(100 * math.log1p(count) / math.log1p(most)))


def timeline(example: dict[str, Any]) -> dict[str, Any]:
    """A counterexample as lanes (each device, then the server) and one row per step, each
    row with its operation in one lane."""
    world = example["world"]
    lanes = [d["id"] for d in world["devices"]] + ["server"]
    failing = example["failing_step"]
    rows = []
    for i, op in enumerate(example["operations"][: failing + 1]):
        device_op = op["kind"] in DEVICE_KINDS and op.get("device") in lanes
        lane = str(op["device"]) if device_op else "server"
        text = operation(op)
        if device_op:
            text = text.removeprefix(f"{op['device']} ")
        rows.append({"step": i + 1, "lane": lane, "text": text, "failing": i == failing})
    return {"lanes": lanes, "rows": rows, "setup_failed": failing < 0}


def render(report: dict[str, Any]) -> str:
    """The report as one HTML page."""
    most = max((r["exercised"] for r in report["rules"]), default=0)
    texts = spec_text()
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in report["rules"]:
        groups.setdefault(rule["family"], []).append(
            {
                **rule,
                "bar": _bar(rule["exercised"], most),
                "gloss": GLOSS.get(rule["id"], ""),
                "spec": texts.get(rule["id"], ""),
            }
        )
    failures = []
    for rule in report["rules"]:
        example = rule["counterexample"]
        if example is None:
            continue
        failures.append(
            {
                "rule": rule,
                "sentence": example["text"].split("\n\n", 1)[0].replace("\n", " "),
                "timeline": timeline(example),
                "world": "\n".join(world_table(example["world"])),
                "expected": json.dumps(example["expected"], indent=2, ensure_ascii=False),
                "actual": json.dumps(example["actual"], indent=2, ensure_ascii=False),
                "field": example["field"],
                "replay": example["replay"],
                "regression": example.get("regression", False),
            }
        )
    return _ENV.get_template("report.html.j2").render(
        report=report,
        verdict=verdict_line(report),
        counts=counts_line(report),
        groups=groups,
        failures=failures,
        unfinished=[f for f in report["families"] if f["outcome"] not in FINISHED],
    )
