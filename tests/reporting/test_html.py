"""report.html: self-contained, every rule present, the counterexample's failing step marked;
checked in a real headless browser (Chromium from the system packages) with a screenshot."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.engine.compare import ConformanceFailure
from conformance.engine.families import FAMILIES, FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.reporting.html import render
from conformance.reporting.report import build, write
from conformance.reporting.spec_text import STORE, extract, spec_text
from conformance.reporting.stats import FamilyStats
from implementations.mutants import MUTANT_BY_NAME
from implementations.sample.adapter import CAPABILITIES
from models.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NO_BROWSER = (
    "Chromium is not installed: the HTML report's browser test needs it "
    "(apt-get install chromium; .ci/run installs it)"
)


def test_the_stored_spec_texts_are_spec_md() -> None:
    stored = spec_text()
    assert stored == extract((ROOT / "SPEC.md").read_text("utf-8")), (
        f"{STORE.name} differs from SPEC.md: run python -m conformance.reporting.spec_text SPEC.md"
    )
    assert set(stored) == set(RULES)


def _report(failing: bool, tmp_path: Path) -> dict[str, Any]:
    families: list[FamilyStats] = []
    if failing:
        mutant = MUTANT_BY_NAME["SYNC-8.restart-drops-batch"]
        stats = FamilyStats("outbox")
        with pytest.raises(ConformanceFailure):
            run_family(FAMILY_BY_NAME["outbox"], mutant.factory, CAPABILITIES, "dev", 5, stats)
        families.append(stats)
    else:
        from conformance.iut.model_adapter import ModelAdapter

        families = [run_family(f, ModelAdapter, CAPABILITIES, "dev", 5) for f in FAMILIES]
    return build(
        families,
        iut="implementations.mutants:SYNC-8.restart-drops-batch" if failing else "model",
        profile="dev",
        seed=5,
        capabilities=CAPABILITIES,
        started="2026-12-02T10:00:00+00:00",
        finished="2026-12-02T10:00:09+00:00",
        duration_s=9.0,
        report_path=tmp_path / "report.json",
        planned={f.family: FAMILY_BY_NAME[f.family].focus for f in families},
    )


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))


def elements(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Elements()
    parser.feed(page)
    return parser.found


def check_dom(page: str, failing: bool) -> None:
    found = elements(page)
    rule_rows = {
        a.get("data-rule") for tag, a in found if tag == "tr" and "rule" in (a.get("class") or "")
    }
    assert rule_rows == set(RULES)  # every rule is in the table
    header = next(a for tag, a in found if tag == "header")
    assert header.get("data-verdict") == ("fail" if failing else "pass")
    marked = [a for tag, a in found if tag == "tr" and a.get("class") == "failing"]
    sections = [a for tag, a in found if tag == "section" and a.get("data-rule")]
    if failing:
        assert [s["data-rule"] for s in sections] == ["SYNC-8"]
        assert len(marked) == 1  # the failing step, marked
        assert "offsync replay " in page and "copy" in page
    else:
        assert not marked and not sections
    # self-contained: nothing is fetched from anywhere
    for tag, attrs in found:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not re.match(r"(https?:)?//", value), (tag, key, value)


@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_the_page_has_every_rule_and_marks_the_failing_step(failing: bool, tmp_path: Path) -> None:
    check_dom(render(_report(failing, tmp_path)), failing)


@pytest.mark.parametrize("failing", [False, True], ids=["passing", "failing"])
def test_in_a_real_browser(failing: bool, tmp_path: Path) -> None:
    if CHROMIUM is None:
        if os.environ.get("OFFSYNC_CI"):  # CI installs it: missing there is a failure
            pytest.fail(NO_BROWSER)
        pytest.skip(NO_BROWSER)
    from PIL import Image

    paths = write(_report(failing, tmp_path), tmp_path / "report")
    page = next(p for p in paths if p.suffix == ".html")
    browser = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
        "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1600",
    ]  # fmt: skip
    dom = subprocess.run(
        [*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    check_dom(dom.stdout, failing)  # the DOM as the browser built it
    shot = tmp_path / f"{'failing' if failing else 'passing'}.png"
    done = subprocess.run(
        [*browser, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120
    )
    assert done.returncode == 0 and shot.exists() and shot.stat().st_size > 10_000
    with Image.open(shot) as image:
        assert image.size == (1280, 1600)
        colors = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colors is not None and len(colors) > 50  # text and colour, not a blank page
    top = Image.open(shot).convert("RGB").getpixel((10, 10))
    # the verdict banner at the top: green for a pass, red for a failure
    assert (top[1] > top[0]) if not failing else (top[0] > top[1]), top
    if failing:
        keep = ROOT / "reports" / "screenshots"
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, keep / "failing-report.png")  # for a person to look at
