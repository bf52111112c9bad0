"""The PouchDB implementation (``implementations/pouchdb``, a Node program speaking the
JSON-lines protocol) against the suite.

Its protocol basics, its LevelDB devices, the express-pouchdb bug it works around, and a
budgeted run of the suite (the ``dev`` profile, one seed, every family) whose outcomes must stay
those recorded in ``implementations/pouchdb/expected.json``: the families that pass keep
passing, and those that fail keep failing on the rule of a known finding (``FINDINGS.md``).

Without ``node`` or its packages (``./dev`` runs ``npm ci`` when node and npm are present)
these tests skip and say why; under CI (``CI`` set, as ``.ci/run`` does) they fail instead,
so that a CI machine without Node cannot pass them silently.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.engine.compare import ConformanceFailure
from conformance.engine.families import FAMILY_BY_NAME
from conformance.engine.machine import run_family
from conformance.iut.adapter import ALL_CAPABILITIES, AdapterError
from conformance.iut.resolve import SharedChild
from conformance.iut.subprocess_adapter import SubprocessAdapter
from conformance.reporting.stats import FamilyStats
from models.records import Observation, Operation, Result, WorldSpec
from models.rules import RULES
from tests.sample.test_sample_server import WORLD

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "implementations" / "pouchdb"
EXPECTED: dict[str, Any] = json.loads((PACKAGE / "expected.json").read_text())
#: a call of the IUT takes milliseconds; a whole setup with LevelDB files, tens of them
TIMEOUT = 60.0


def unavailable() -> str | None:
    """Why the PouchDB implementation cannot run here, or None."""
    if shutil.which("node") is None:
        return (
            "node is not on PATH, and the PouchDB implementation (implementations/pouchdb) "
            "is a Node program"
        )
    if not (PACKAGE / "node_modules" / "express-pouchdb").is_dir():
        return (
            "the PouchDB implementation's node packages are not installed "
            "(./dev installs them with npm ci in implementations/pouchdb when node and npm "
            "are present)"
        )
    return None


@pytest.fixture(scope="module")
def command() -> list[str]:
    reason = unavailable()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI runs the PouchDB implementation's tests, but {reason}")
        pytest.skip(reason)
    return ["node", str(PACKAGE / "iut.js")]


@pytest.fixture
def iut(command: list[str], tmp_path: Path) -> Iterator[SubprocessAdapter]:
    """A fresh child, its device databases under ``tmp_path``."""
    env = {**os.environ, "OFFSYNC_POUCHDB_DIR": str(tmp_path)}
    with SubprocessAdapter(command, timeout=TIMEOUT, env=env, cwd=ROOT) as child:
        yield child


def world() -> WorldSpec:
    return copy.deepcopy(WORLD)  # type: ignore[return-value]


def edit(row: str, title: str, op_id: str, device: str = "d1") -> Operation:
    return {
        "kind": "update",
        "device": device,
        "table": "note",
        "row": row,
        "values": {"title": title},
        "op_id": op_id,
    }


def sync(iut: SubprocessAdapter, device: str) -> None:
    assert iut.apply({"kind": "sync_start", "device": device}) == {"status": "accepted"}
    assert iut.apply({"kind": "sync_end", "device": device}) == {"status": "accepted"}


# --- the protocol ----------------------------------------------------------------------------


#: what the PouchDB implementation declares (and implements): the faults, the teams, positions
#: and Append privileges are not among them, so their rules are not applicable to it
DECLARED = frozenset(
    {"server_wins", "hierarchy", "field_security", "multiple_devices_per_user", "restart"}
)


def test_hello_names_pouchdb_and_declares_what_it_implements(iut: SubprocessAdapter) -> None:
    assert "PouchDB" in iut.name
    assert iut.capabilities == DECLARED and DECLARED <= ALL_CAPABILITIES


def test_a_world_that_breaks_world_1_is_refused_naming_the_entry(iut: SubprocessAdapter) -> None:
    broken = world()
    broken["devices"][0]["user"] = "nobody"
    refusal = r"setup.*device \\?\"d1\\?\" .*unknown user \\?\"nobody"
    with pytest.raises(AdapterError, match=refusal):
        iut.setup(broken)
    iut.setup(world())  # the child is still usable
    assert iut.observe()["server"]["n1"]["values"] == {"title": "a"}


def test_an_update_goes_up_at_sync_start_and_the_other_device_gets_it_at_its_next_sync(
    iut: SubprocessAdapter,
) -> None:
    iut.setup(world())
    assert iut.apply(edit("n1", "b", "o1")) == {"status": "accepted"}
    assert iut.apply({"kind": "sync_start", "device": "d1"}) == {"status": "accepted"}
    seen: Observation = iut.observe()
    assert seen["server"]["n1"]["values"] == {"title": "b"}
    assert seen["devices"]["d1"]["pending"] == 1 and seen["devices"]["d1"]["in_cycle"]
    assert seen["devices"]["d2"]["rows"]["note"]["n1"] == {"title": "a"}  # STALE: not yet
    assert iut.apply({"kind": "sync_end", "device": "d1"}) == {"status": "accepted"}
    sync(iut, "d2")
    seen = iut.observe()
    assert seen["devices"]["d1"]["pending"] == 0
    assert seen["devices"]["d2"]["rows"]["note"]["n1"] == {"title": "b"}


# --- the devices: LevelDB on disk --------------------------------------------------------------


def test_devices_are_leveldb_databases_that_a_restart_closes_and_opens_again(
    iut: SubprocessAdapter, tmp_path: Path
) -> None:
    iut.setup(world())
    (root,) = tmp_path.glob("offsync-pouchdb-*")
    cache = root / "world-1" / "device-0" / "cache"
    assert (cache / "CURRENT").is_file()  # a LevelDB directory
    assert iut.apply(edit("n1", "b", "o1")) == {"status": "accepted"}
    assert (root / "world-1" / "device-0" / "out-1" / "CURRENT").is_file()  # the outbox
    assert iut.apply({"kind": "sync_start", "device": "d1"}) == {"status": "accepted"}
    assert iut.apply(edit("n1", "c", "o2")) == {"status": "accepted"}  # during the cycle
    result: Result = iut.apply({"kind": "restart", "device": "d1"})
    assert result == {"status": "accepted"}
    seen = iut.observe()["devices"]["d1"]
    # SYNC-8: the abandoned batch is pending again, before the edit made during the cycle
    assert seen["pending"] == 2 and not seen["in_cycle"]
    assert seen["rows"]["note"]["n1"] == {"title": "c"}
    sync(iut, "d1")
    seen = iut.observe()["devices"]["d1"]
    assert seen["pending"] == 0 and seen["errors"] == []
    assert iut.observe()["server"]["n1"]["values"] == {"title": "c"}
    iut.setup(world())  # a new world: the old one's files are gone
    assert not (root / "world-1").exists() and (root / "world-2" / "device-0" / "cache").is_dir()


# --- express-pouchdb's validation part (FINDINGS.md, "pouchdb-validation") ---------------------


def test_stock_validation_turns_a_replicated_update_into_a_no_op(
    command: list[str], tmp_path: Path
) -> None:
    """express-pouchdb 4.2.0's validation part overwrites the pushed document's revision
    history with the stored one's: the update is reported written and never stored. The
    IUT's own validation step (the default) stores it."""
    env = {**os.environ, "OFFSYNC_POUCHDB_DIR": str(tmp_path)}
    for flags, title in (([], "b"), (["--stock-validation"], "a")):
        with SubprocessAdapter([*command, *flags], timeout=TIMEOUT, env=env, cwd=ROOT) as child:
            child.setup(world())
            assert child.apply(edit("n1", "b", "o1")) == {"status": "accepted"}
            sync(child, "d1")
            seen = child.observe()
            assert seen["server"]["n1"]["values"] == {"title": title}, flags
            assert seen["devices"]["d1"]["errors"] == [], flags  # no error either way


# --- the suite, budgeted, against the recorded outcomes -----------------------------------------


def test_the_expectations_name_known_rules_and_every_failure_is_a_finding() -> None:
    assert EXPECTED["profile"] == "dev" and isinstance(EXPECTED["seed"], int)
    assert set(EXPECTED["families"]) == set(FAMILY_BY_NAME)
    statuses = EXPECTED["statuses"]
    assert set(statuses) == set(RULES)
    failing = {f["rule"] for f in EXPECTED["families"].values() if f["outcome"] == "failed"}
    assert failing == {r for r, s in statuses.items() if s == "failed"}
    findings = (PACKAGE / "FINDINGS.md").read_text()
    for rule in failing:
        assert rule in findings, f"{rule} fails in expected.json but FINDINGS.md does not name it"


def run_recorded_family(
    family: str, command: list[str], directory: Path, profile: str, seed: int
) -> FamilyStats:
    """One family, whole (no parts), against a fresh child: as the recorded run did
    (``tests/pouchdb/record.py`` writes ``expected.json`` with this)."""
    stats = FamilyStats(family)
    env = {**os.environ, "OFFSYNC_POUCHDB_DIR": str(directory)}
    env.pop("OFFSYNC_POUCHDB_EXPLORE", None)
    with SubprocessAdapter(command, timeout=TIMEOUT, env=env, cwd=ROOT) as child:
        try:
            run_family(
                FAMILY_BY_NAME[family],
                lambda: SharedChild(child),
                child.capabilities,
                profile,
                seed,
                stats,
            )
        except ConformanceFailure:
            pass
    return stats


@pytest.mark.rule(*RULES)
@pytest.mark.parametrize("family", sorted(EXPECTED["families"]))
def test_the_suite_gives_the_recorded_outcome(
    family: str, command: list[str], tmp_path: Path
) -> None:
    recorded = EXPECTED["families"][family]
    stats = run_recorded_family(family, command, tmp_path, EXPECTED["profile"], EXPECTED["seed"])
    found = stats.mismatch.describe() if stats.mismatch else stats.message
    assert stats.outcome == recorded["outcome"], found
    if recorded["outcome"] == "failed":
        assert stats.mismatch is not None
        assert stats.mismatch.rules[0] == recorded["rule"], found


def test_the_expectations_file_lists_exactly_the_recorded_failures() -> None:
    """``offsync-expect.toml`` (for ``offsync run --expect``) and ``expected.json`` agree:
    the rules expected to fail are the recorded failures, each a finding."""
    from conformance.ci import load_expectations

    expected = load_expectations(PACKAGE / "offsync-expect.toml")
    recorded = {r for r, s in EXPECTED["statuses"].items() if s == "failed"}
    assert {r for r, e in expected.items() if e["status"] == "failed"} >= recorded
    findings = (PACKAGE / "FINDINGS.md").read_text()
    for rule in expected:
        assert rule in findings
