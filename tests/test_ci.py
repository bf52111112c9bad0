"""What a CI job keeps beside a run: expectations, the counterexample corpus, shards and their
merge, as ``offsync`` does them end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.ci import InputError, in_shard, load_expectations, parse_shard
from conformance.iut.schemas import problem

ROOT = Path(__file__).resolve().parent.parent
MUTANT = "implementations.mutants:SYNC-8.restart-drops-batch"
RUN = ("--profile", "dev", "--progress", "0")


def offsync(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance.cli", *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def read(path: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((path / "report.json").read_text())
    assert problem("report", report) is None
    return report


EXPECT_SYNC8 = """format = "offsync-expectations/1"

[rules.SYNC-8]
status = "failed"
reason = "the app drops the batch under way on restart (ticket 123)"
"""


def test_expectations_are_checked_before_anything_runs(tmp_path: Path) -> None:
    good = tmp_path / "e.toml"
    good.write_text(EXPECT_SYNC8)
    assert load_expectations(good)["SYNC-8"]["status"] == "failed"
    as_json = tmp_path / "e.json"
    as_json.write_text(json.dumps({"format": "offsync-expectations/1", "rules": {}}))
    assert load_expectations(as_json) == {}
    cases = {
        "bad.toml": ("format = 1\n[rules", "is not TOML"),
        "no-reason.json": (
            '{"format": "offsync-expectations/1", "rules": {"SYNC-8": {"status": "failed"}}}',
            "'reason' is a required property",
        ),
        "passed.json": (
            '{"format": "offsync-expectations/1", "rules": {"SYNC-8": '
            '{"status": "passed", "reason": "x"}}}',
            "/rules/SYNC-8/status",
        ),
        "unknown.json": (
            '{"format": "offsync-expectations/1", "rules": {"SYNC-99": '
            '{"status": "failed", "reason": "x"}}}',
            "no such rule(s) in this suite: SYNC-99",
        ),
    }
    for name, (text, named) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        with pytest.raises(InputError, match=re_escape(named)):
            load_expectations(path)
        done = offsync("run", "--expect", str(path), "--out", str(tmp_path / "r"))
        assert done.returncode == 2 and named in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r" / "report.json").exists()


def re_escape(text: str) -> str:
    import re

    return re.escape(text)


def test_an_expected_failure_keeps_ci_green_and_an_unexpected_pass_does_not(
    tmp_path: Path,
) -> None:
    expect = tmp_path / "expect.toml"
    expect.write_text(EXPECT_SYNC8)
    args = (*RUN, "--family", "outbox", "--seed", "5", "--no-corpus", "--expect", str(expect))
    done = offsync("run", "--iut", MUTANT, *args, "--out", str(tmp_path / "a"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = read(tmp_path / "a")
    rule = next(r for r in report["rules"] if r["id"] == "SYNC-8")
    assert rule["status"] == "failed" and rule["expectation"] == "met"  # still shown
    assert report["verdict"] == "pass" and "1 expected failure(s) (SYNC-8)" in done.stdout
    summary = (tmp_path / "a" / "summary.md").read_text()
    assert summary.startswith("# offsync conformance report: PASS (with 1 expected failure")
    # the sample does not fail SYNC-8: the file is out of date, and CI says so
    done = offsync("run", *args, "--out", str(tmp_path / "b"))
    assert done.returncode == 1 and "SYNC-8 unexpected pass" in done.stdout
    assert read(tmp_path / "b")["verdict"] == "fail"
    # a failure nobody expected fails the gate as before
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "offsync-expectations/1", "rules": {}}))
    done = offsync("run", "--iut", MUTANT, *RUN, "--family", "outbox", "--seed", "5",
                   "--no-corpus", "--expect", str(other), "--out", str(tmp_path / "c"))  # fmt: skip
    assert done.returncode == 1 and "SYNC-8 unexpected failure" in done.stdout


def test_the_corpus_keeps_counterexamples_and_replays_them_first(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    done = offsync("run", "--iut", MUTANT, *RUN, "--family", "outbox", "--seed", "5",
                   "--corpus", str(corpus), "--out", str(tmp_path / "a"))  # fmt: skip
    assert done.returncode == 1
    entries = sorted(corpus.glob("*.json"))
    assert [p.name.split("-")[:2] for p in entries] == [["SYNC", "8"]]
    entry = json.loads(entries[0].read_text())
    assert problem("corpus", entry) is None and entry["found"]["iut"] == MUTANT
    # another family, another seed: the kept program fails again at once, as a regression
    done = offsync("run", "--iut", MUTANT, *RUN, "--family", "profile", "--seed", "1",
                   "--corpus", str(corpus), "--out", str(tmp_path / "b"))  # fmt: skip
    assert done.returncode == 1
    report = read(tmp_path / "b")
    assert [c["outcome"] for c in report["corpus"]] == ["failed"]
    rule = next(r for r in report["rules"] if r["id"] == "SYNC-8")
    assert rule["status"] == "failed" and rule["counterexample"]["regression"] is True
    assert "regression: corpus" in done.stdout
    # the sample agrees on it: replayed, passed, and its steps count as exercised
    done = offsync("run", *RUN, "--family", "profile", "--seed", "1", "--corpus", str(corpus),
                   "--out", str(tmp_path / "c"))  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    report = read(tmp_path / "c")
    assert [c["outcome"] for c in report["corpus"]] == ["passed"]
    assert any(f["name"] == "corpus" and f["outcome"] == "passed" for f in report["families"])
    # list, prune (it now passes against the sample), add back from a report
    listed = offsync("corpus", "list", "--corpus", str(corpus))
    assert "SYNC-8 (outbox, 3 operations)" in listed.stdout and "1 entry" in listed.stdout
    pruned = offsync("corpus", "prune", "--corpus", str(corpus), "--iut",
                     "implementations.sample.adapter:factory")  # fmt: skip
    assert "it now passes against" in pruned.stdout and not list(corpus.glob("*.json"))
    added = offsync("corpus", "add", str(tmp_path / "a" / "report.json"), "--corpus", str(corpus))
    assert added.returncode == 0 and len(list(corpus.glob("*.json"))) == 1
    # a broken entry is named before anything runs
    (corpus / "bad.json").write_text('{"format": "offsync-corpus/1"}')
    done = offsync("run", "--corpus", str(corpus), "--out", str(tmp_path / "d"))
    assert done.returncode == 2 and "corpus entry" in done.stderr and "bad.json" in done.stderr


def test_shards_are_deterministic_slices() -> None:
    assert parse_shard("2/3") == (2, 3)
    for bad in ("0/3", "4/3", "x", "1/0", "2"):
        with pytest.raises(InputError, match="K/N"):
            parse_shard(bad)
    slices = [[i for i in range(14) if in_shard(i, (k, 3))] for k in (1, 2, 3)]
    assert sorted(sum(slices, [])) == list(range(14))


@pytest.mark.parametrize("shards", [2, 3])
def test_merged_shards_give_the_unsharded_report(tmp_path: Path, shards: int) -> None:
    args = (*RUN, "--seed", "7", "--no-corpus", "--iut", MUTANT)
    whole = offsync("run", *args, "--out", str(tmp_path / "whole"))
    assert whole.returncode == 1
    parts = []
    for k in range(1, shards + 1):
        out = tmp_path / f"shard{k}"
        offsync("run", *args, "--shard", f"{k}/{shards}", "--out", str(out))
        assert read(out)["shard"] == f"{k}/{shards}"
        parts.append(str(out / "report.json"))
    done = offsync("merge", *parts, "--out", str(tmp_path / "merged"))
    assert done.returncode == 1, done.stdout + done.stderr
    a, b = read(tmp_path / "whole"), read(tmp_path / "merged")
    assert [(r["id"], r["status"], r["exercised"]) for r in a["rules"]] == [
        (r["id"], r["status"], r["exercised"]) for r in b["rules"]
    ]
    assert sorted((f["name"], f["outcome"], f["examples"], f["steps"]) for f in a["families"]) == (
        sorted((f["name"], f["outcome"], f["examples"], f["steps"]) for f in b["families"])
    )
    assert a["verdict"] == b["verdict"] == "fail" and b["complete"]
    # a shard missing: the merged run is incomplete, never a pass
    done = offsync("merge", *parts[:-1], "--out", str(tmp_path / "partial"))
    partial = read(tmp_path / "partial")
    assert (
        not partial["complete"] and f"shard(s) {shards}/{shards} missing" in partial["interrupted"]
    )
    # reports of different runs are refused
    other = tmp_path / "other"
    offsync(
        "run", *RUN, "--seed", "8", "--no-corpus", "--shard", f"1/{shards}", "--out", str(other)
    )
    done = offsync("merge", parts[1], str(other / "report.json"), "--out", str(tmp_path / "x"))
    assert done.returncode == 2 and "the reports are not of one run" in done.stderr


def test_the_example_ci_files_are_usable() -> None:
    rules = load_expectations(ROOT / "examples" / "ci" / "offsync-expect.toml")
    assert rules["SYNC-8"]["status"] == "failed"
    workflow = (ROOT / "examples" / "ci" / "github-actions.yml").read_text()
    for words in ("--shard", "--expect offsync-expect.toml", "--corpus", "offsync merge"):
        assert words in workflow
