"""``--iut`` resolution: loading starts nothing, ``hello`` starts once, a broken ``exec:``
child is replaced, and closing stops it."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from conformance.iut.adapter import AdapterError
from conformance.iut.resolve import IUTSpecError, IUTStartError, hello, load
from models.examples import sample_world

ROOT = Path(__file__).resolve().parents[2]
CHILD = f"exec:{sys.executable} {ROOT / 'tests' / 'engine' / 'faulty_child.py'}"


def started(pids: Path) -> list[int]:
    return [int(p.name.split("-")[1]) for p in pids.glob("pid-*")]


def gone(pid: int) -> bool:
    for _ in range(50):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z":
            return True
        time.sleep(0.05)
    return False


def test_load_starts_nothing_and_hello_starts_one_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAULTY_PIDS", str(tmp_path))
    iut = load(f"{CHILD} crash 6", timeout=5)
    assert started(tmp_path) == []
    capabilities = hello(iut)
    assert "restart" in capabilities and len(started(tmp_path)) == 1
    first = iut.factory()  # the greeted child serves the first test case
    assert len(started(tmp_path)) == 1
    first.setup(sample_world())  # request 1 (hello was 0)
    with pytest.raises(AdapterError, match="exited with status 3"):
        for _ in range(10):
            first.observe()
    second = iut.factory()  # the broken child is replaced, not reused
    assert len(started(tmp_path)) == 2
    second.setup(sample_world())
    assert second.observe()["devices"]
    iut.close()
    assert all(gone(pid) for pid in started(tmp_path))


def test_bad_specs_are_refused_without_starting_anything() -> None:
    for spec, named in [
        ("exec:", "no command"),
        ("exec:'unclosed", "cannot split"),
        ("exec:/no/such/engine", "no such file"),
        ("nomodule", "expected 'module:factory'"),
        ("conformance.iut.resolve:DEFAULT_IUT", "not a callable factory"),
        ("conformance.iut.resolve:nothing", "has no attribute 'nothing'"),
    ]:
        with pytest.raises(IUTSpecError, match=named):
            load(spec)
    with pytest.raises(IUTSpecError, match="positive"):
        load(None, timeout=0)


def test_an_iut_that_cannot_greet_is_a_start_error(tmp_path: Path) -> None:
    with pytest.raises(IUTStartError, match="could not start: .*not JSON"):
        hello(load(f"{CHILD} garbage-at-hello"))
    with pytest.raises(IUTStartError, match="timed out after 0.5 s"):
        hello(load(f"{CHILD} hang-at-hello", timeout=0.5))
