"""What a CI job keeps beside a run: expectations, a counterexample corpus, shards.

Used by both front doors (``offsync`` and the pytest plugin), which check every input here
before anything runs, so a bad file is a one-line error naming it (``InputError``).

- **Expectations** (``--expect FILE``, JSON or TOML, schema ``iut/protocol/expectations.json``):
  the rules an implementation is expected to fail or to have not applicable, each with a
  reason. The report judges each rule against them (``reporting.report.judge``).
- **Corpus** (``--corpus DIR``): every shrunk counterexample of a run is kept there as a
  concrete program (schema ``iut/protocol/corpus.json``), one file per program, named after
  its rule and a hash of the program; every run replays the corpus first.
- **Shards** (``--shard K/N``): the K-th of N deterministic slices of a run's test items.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance.iut.schemas import problem
from models.rules import RULES

#: where the corpus lives when ``--corpus`` is not given (relative to the working directory)
DEFAULT_CORPUS = Path("offsync-corpus")
CORPUS_FORMAT = "offsync-corpus/1"


class InputError(ValueError):
    """A file or option a run was given that cannot be used; the message names it."""


def _read(path: Path) -> Any:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} is not valid UTF-8 (byte {data[exc.start]:#04x} at offset {exc.start})"
        ) from None
    try:
        if path.suffix == ".toml":
            return tomllib.loads(text)
        return json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        kind = "TOML" if path.suffix == ".toml" else "JSON"
        raise InputError(f"{path} is not {kind}: {exc}") from None


def load_expectations(path: Path) -> dict[str, dict[str, str]]:
    """Rule ID -> ``{"status", "reason"}`` from an expectations file (``.toml`` is TOML,
    anything else JSON), checked against its schema and against the rule catalogue."""
    data = _read(path)
    issue = problem("expectations", data)
    if issue is not None:
        raise InputError(f"{path}: {issue}")
    rules: dict[str, dict[str, str]] = data["rules"]
    unknown = sorted(set(rules) - set(RULES))
    if unknown:
        raise InputError(f"{path}: no such rule(s) in this suite: {', '.join(unknown)}")
    return rules


def load_report(path: Path) -> dict[str, Any]:
    """A ``report.json``, checked against its schema and against the rule catalogue (every
    rule it names, counterexamples included, must be one of this suite's)."""
    report = _read(path)
    issue = problem("report", report)
    if issue is not None:
        raise InputError(f"{path} is not an offsync report: {issue}")
    named = {r["id"] for r in report["rules"]}
    for rule in report["rules"]:
        named.update(rule["counterexample"]["rules"] if rule["counterexample"] else ())
    unknown = sorted(named - set(RULES))
    if unknown:
        raise InputError(f"{path} names rules this suite does not have: {', '.join(unknown)}")
    loaded: dict[str, Any] = report
    return loaded


def parse_shard(text: str) -> tuple[int, int]:
    """``K/N`` -> (K, N), 1 <= K <= N."""
    k, sep, n = text.partition("/")
    try:
        shard, shards = int(k), int(n)
    except ValueError:
        shard = shards = 0
    if not sep or not 1 <= shard <= shards:
        raise InputError(f"--shard {text!r}: expected K/N with 1 <= K <= N, e.g. 2/3")
    return shard, shards


def in_shard(index: int, shard: tuple[int, int]) -> bool:
    """Whether the test item at ``index`` (in collection order) belongs to ``shard``."""
    return index % shard[1] == shard[0] - 1


# --- the corpus -----------------------------------------------------------------------------


def corpus_entries(directory: Path) -> list[tuple[Path, dict[str, Any]]]:
    """The corpus's entries, by file name; an entry that does not fit the schema (or names a
    rule this suite does not have) is an ``InputError`` naming its file."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise InputError(f"--corpus {directory}: not a directory")
    found = []
    for path in sorted(directory.glob("*.json")):
        entry = _read(path)
        issue = problem("corpus", entry)
        if issue is not None:
            raise InputError(f"corpus entry {path}: {issue}")
        unknown = sorted(set(entry["rules"]) - set(RULES))
        if unknown:
            raise InputError(f"corpus entry {path}: no such rule(s) {', '.join(unknown)}")
        found.append((path, entry))
    return found


def program_key(world: Any, operations: Any) -> str:
    """A stable short hash of a program (world and operations)."""
    text = json.dumps({"world": world, "operations": operations}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def corpus_entry(
    example: dict[str, Any], *, iut: str, seed: int, capabilities: list[str]
) -> dict[str, Any]:
    """The corpus entry of a report's counterexample (its program, up to the failing step)."""
    operations = example["operations"][: example["failing_step"] + 1]
    return {
        "format": CORPUS_FORMAT,
        "rule": example["rules"][0],
        "rules": example["rules"],
        "family": example["family"],
        "capabilities": sorted(capabilities),
        "world": example["world"],
        "operations": operations,
        "found": {
            "iut": iut,
            "seed": seed,
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
        },
    }


def save_to_corpus(directory: Path, report: dict[str, Any]) -> list[Path]:
    """Keep every counterexample of ``report`` in the corpus (a program already there is not
    written again); return the paths written."""
    written = []
    for rule in report["rules"]:
        example = rule["counterexample"]
        if example is None or example.get("regression"):
            continue
        entry = corpus_entry(
            example,
            iut=report["iut"],
            seed=report["seed"],
            capabilities=report["capabilities"] or [],
        )
        path = (
            directory / f"{entry['rule']}-{program_key(entry['world'], entry['operations'])}.json"
        )
        if path.exists():
            continue
        directory.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(entry, indent=2) + "\n")
        written.append(path)
    return written
