"""The JSON-lines transport: ``SubprocessAdapter`` around ``conformance.iut.model_server`` behaves
exactly like the in-process ``ModelAdapter``, and a misbehaving child is reported, not hung on."""

from __future__ import annotations

import io
import json
import shlex
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conformance.engine.strategies import operation_lists, worlds
from conformance.iut.adapter import ALL_CAPABILITIES, Adapter, AdapterError
from conformance.iut.model_adapter import ModelAdapter
from conformance.iut.model_server import serve
from conformance.iut.subprocess_adapter import SubprocessAdapter, factory_for
from models.examples import sample_world
from models.records import Observation, Operation, Result, WorldSpec
from models.scenarios import SCENARIOS, Scenario

ROOT = Path(__file__).resolve().parents[2]
MODEL_SERVER = [sys.executable, "-m", "conformance.iut.model_server"]
SHORT = 0.5  # seconds: the timeout for children that misbehave


def model_server(timeout: float = 30.0) -> SubprocessAdapter:
    return SubprocessAdapter(MODEL_SERVER, timeout=timeout, cwd=ROOT)


@pytest.fixture(scope="module")
def server() -> Iterator[SubprocessAdapter]:
    """One child for the whole module: every test calls ``setup`` again."""
    with model_server() as adapter:
        yield adapter


def replay(
    adapter: Adapter, world: WorldSpec, ops: list[Operation]
) -> tuple[Observation, list[tuple[Result, Observation]]]:
    adapter.setup(world)
    initial = adapter.observe()
    return initial, [(adapter.apply(op), adapter.observe()) for op in ops]


def assert_same_as_model(server: SubprocessAdapter, world: WorldSpec, ops: list[Operation]) -> None:
    expected_initial, expected = replay(ModelAdapter(), world, ops)
    initial, steps = replay(server, world, ops)
    assert initial == expected_initial
    for i, (op, got, want) in enumerate(zip(ops, steps, expected, strict=True)):
        assert got[0] == want[0], f"step {i} {op}: result"
        assert got[1] == want[1], f"step {i} {op}: observation"


# --- the model behind the transport ---------------------------------------------------------


def test_hello_sets_name_and_capabilities(server: SubprocessAdapter) -> None:
    assert server.name == "offsync reference model"
    assert server.capabilities == ALL_CAPABILITIES
    assert isinstance(server.capabilities, frozenset)
    assert isinstance(server, Adapter)


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenarios_match_the_model(server: SubprocessAdapter, scenario: Scenario) -> None:
    assert_same_as_model(server, scenario.world, scenario.operations)


def test_sample_world_reads_match_the_model(server: SubprocessAdapter) -> None:
    ops: list[Operation] = [
        {"kind": "read", "device": d, "table": t}
        for d in ("bob-phone", "bob-tablet", "alice-phone")
        for t in ("account", "contact", "opportunity", "task")
    ]
    assert_same_as_model(server, sample_world(), ops)


@st.composite
def world_and_ops(draw: st.DrawFn) -> tuple[WorldSpec, list[Operation]]:
    world = draw(worlds())
    return world, draw(operation_lists(world))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world_and_ops())
def test_generated_runs_match_the_model(
    server: SubprocessAdapter, case: tuple[WorldSpec, list[Operation]]
) -> None:
    world, ops = case
    assert_same_as_model(server, world, ops)


def test_setup_resets_the_child(server: SubprocessAdapter) -> None:
    server.setup(sample_world())
    fresh = server.observe()
    created = server.apply(
        {
            "kind": "create",
            "device": "bob-phone",
            "table": "task",
            "row": "t-new",
            "values": {"subject": "Call back", "done": False},
            "op_id": "op-1",
        }
    )
    assert created == {"status": "accepted"}
    assert server.observe() != fresh
    server.setup(sample_world())
    assert server.observe() == fresh


def test_model_errors_are_passed_through(server: SubprocessAdapter) -> None:
    broken = sample_world()
    broken["users"][0]["roles"] = ["no-such-role"]
    with pytest.raises(AdapterError, match=r"'setup'.*invalid world: user 'carol' has unknown"):
        server.setup(broken)
    with pytest.raises(AdapterError, match=r"'observe'.*setup has not been called"):
        server.observe()  # the failed setup left no world behind
    server.setup(sample_world())  # an error response leaves the adapter usable
    assert server.apply({"kind": "read", "device": "bob-phone", "table": "task"})["status"] == (
        "accepted"
    )


def test_close_is_idempotent_and_the_child_exits() -> None:
    adapter = model_server()
    adapter.setup(sample_world())
    adapter.close()
    assert adapter.process.returncode == 0  # it answered ``close`` and exited by itself
    adapter.close()
    with pytest.raises(AdapterError, match="closed"):
        adapter.observe()


def test_factory_for_splits_a_command_string() -> None:
    factory = factory_for(
        f"{shlex.quote(sys.executable)} -m conformance.iut.model_server", cwd=ROOT
    )
    with factory() as adapter:
        assert adapter.command == tuple(MODEL_SERVER)
        adapter.setup(sample_world())
        model = ModelAdapter()
        model.setup(sample_world())
        assert adapter.observe() == model.observe()


# --- misbehaving children -------------------------------------------------------------------

FAKE = """
import json, os, sys
def send(message):
    sys.stdout.write(json.dumps(message) + "\\n")
    sys.stdout.flush()
for line in sys.stdin:
    req = json.loads(line)
    if req["method"] == "hello":
        send({{"id": req["id"], "result": {{"name": "fake", "capabilities": {caps!r}}}}})
        continue
    if req["method"] == "close":
        send({{"id": req["id"], "result": None}})
        break
{behaviour}
"""


def fake(
    behaviour: str, caps: list[str] | None = None, timeout: float = SHORT
) -> SubprocessAdapter:
    """A child that answers ``hello`` and ``close`` properly and everything else with
    ``behaviour`` (Python, with ``req`` and ``send`` at hand)."""
    body = textwrap.indent(textwrap.dedent(behaviour), "    ")
    script = FAKE.format(caps=caps or [], behaviour=body)
    return SubprocessAdapter([sys.executable, "-c", script], timeout=timeout)


@pytest.mark.parametrize(
    ("behaviour", "complaint"),
    [
        ('sys.stdout.write("garbage\\n"); sys.stdout.flush()', "not JSON: 'garbage'"),
        ("send([1, 2])", "not a JSON object"),
        ('send({"id": req["id"] + 7, "result": None})', "has id 8, expected 1"),
        ('send({"id": req["id"], "result": None, "error": {"message": "x"}})', "both"),
        ('send({"id": req["id"]})', "neither"),
        ('send({"id": req["id"], "error": "oops"})', "malformed error"),
        (
            'sys.stdout.write("{\\"id\\": 1"); sys.stdout.flush(); os.close(1)',
            "closed its stdout after an unterminated line",
        ),
    ],
)
def test_a_broken_answer_names_the_method(behaviour: str, complaint: str) -> None:
    with fake(behaviour) as adapter:
        with pytest.raises(AdapterError, match=r"method 'observe'") as caught:
            adapter.observe()
        assert complaint in str(caught.value)
        with pytest.raises(AdapterError, match=r"unusable after an earlier failure"):
            adapter.apply({"kind": "read", "device": "d", "table": "t"})
    assert adapter.process.poll() is not None


def test_garbage_instead_of_hello() -> None:
    script = "import sys; sys.stdin.readline(); print('hello there', flush=True); sys.stdin.read()"
    with pytest.raises(AdapterError, match=r"method 'hello'.*not JSON: 'hello there'"):
        SubprocessAdapter([sys.executable, "-c", script], timeout=SHORT)


def test_a_child_that_exits_at_once_shows_its_stderr() -> None:
    script = "import sys; sys.stderr.write('fatal: no licence for offsync\\n'); sys.exit(3)"
    with pytest.raises(AdapterError) as caught:
        SubprocessAdapter([sys.executable, "-c", script], timeout=5)
    message = str(caught.value)
    assert "'hello'" in message
    assert "status 3" in message
    assert "fatal: no licence for offsync" in message


def test_a_child_that_dies_mid_run_shows_its_last_stderr_lines() -> None:
    behaviour = """
    for i in range(200):
        sys.stderr.write(f"log line {i}\\n")
    sys.stderr.write("Traceback: boom\\n")
    sys.exit(1)
    """
    with fake(behaviour, timeout=5) as adapter:
        with pytest.raises(AdapterError, match=r"method 'setup'") as caught:
            adapter.setup(sample_world())
    message = str(caught.value)
    assert "Traceback: boom" in message and "log line 199" in message
    assert "log line 100\n" not in message  # only the last lines are kept
    assert len(adapter.stderr_tail()) <= 50


def test_a_child_that_never_answers_times_out() -> None:
    with fake("import time; time.sleep(60)") as adapter:
        start = time.monotonic()
        with pytest.raises(AdapterError, match=r"method 'observe'.*timed out after 0.5 s"):
            adapter.observe()
        assert SHORT <= time.monotonic() - start < SHORT + 1.0
        start = time.monotonic()
        adapter.close()
        assert time.monotonic() - start < 3.0
        assert adapter.process.poll() is not None


def test_a_child_that_never_greets_times_out() -> None:
    start = time.monotonic()
    with pytest.raises(AdapterError, match=r"method 'hello'.*timed out"):
        SubprocessAdapter([sys.executable, "-c", "import time; time.sleep(60)"], timeout=SHORT)
    assert time.monotonic() - start < SHORT + 3.0


def test_an_error_response_is_passed_through_and_the_adapter_stays_usable() -> None:
    behaviour = """send({"id": req["id"], "error": {"message": "row acc-9 is locked"}})"""
    with fake(behaviour) as adapter:
        for _ in range(2):
            with pytest.raises(AdapterError, match=r"method 'apply'.*row acc-9 is locked"):
                adapter.apply({"kind": "read", "device": "d", "table": "t"})


def test_unknown_capabilities_are_named() -> None:
    with pytest.raises(AdapterError, match=r"unknown capabilities \['teleport'\]"):
        fake("pass", caps=["restart", "teleport"])


def test_capabilities_come_from_hello() -> None:
    with fake("pass", caps=["restart", "hierarchy"]) as adapter:
        assert adapter.capabilities == frozenset({"restart", "hierarchy"})
        assert adapter.name == "fake"


# --- the server in-process ------------------------------------------------------------------


def exchange(*requests: object) -> list[dict[str, object]]:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in requests]
    out = io.StringIO()
    serve(io.StringIO("".join(line + "\n" for line in lines)), out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_serve_answers_each_request_and_stops_at_close() -> None:
    world = sample_world()
    read: Operation = {"kind": "read", "device": "bob-phone", "table": "account"}
    answers = exchange(
        {"id": 0, "method": "hello"},
        {"id": 1, "method": "setup", "params": {"world": world}},
        {"id": 2, "method": "apply", "params": {"operation": read}},
        {"id": 3, "method": "observe", "params": {}},
        {"id": 4, "method": "close", "params": {}},
        {"id": 5, "method": "observe", "params": {}},  # never read
    )
    model = ModelAdapter()
    model.setup(world)
    assert answers == [
        {
            "id": 0,
            "result": {"name": "offsync reference model", "capabilities": sorted(ALL_CAPABILITIES)},
        },
        {"id": 1, "result": None},
        {"id": 2, "result": model.apply(read)},
        {"id": 3, "result": model.observe()},
        {"id": 4, "result": None},
    ]


def test_serve_turns_bad_requests_into_errors() -> None:
    answers = exchange(
        "not json",
        "[1]",
        {"id": "x", "method": "hello"},
        {"id": 1, "method": "teleport", "params": {}},
        {"id": 2, "method": "apply", "params": []},
        {"id": 3, "method": "apply", "params": {}},
        {"id": 4, "method": "observe", "params": {}},
        {"id": 5, "method": "setup", "params": {"world": {"business_units": []}}},
        "",
        {"id": 6, "method": "hello", "params": {}},
    )  # and the end of input without ``close``
    assert [a["id"] for a in answers] == [None, None, "x", 1, 2, 3, 4, 5, 6]
    assert all("error" in a and "result" not in a for a in answers[:-1])
    messages = [a["error"]["message"] for a in answers[:-1]]  # type: ignore[index]
    assert "not JSON" in messages[0]
    assert "teleport" in messages[3]
    assert "setup has not been called" in messages[6]
    assert "KeyError" in messages[7] or "invalid world" in messages[7]
    assert answers[-1]["result"] == {
        "name": "offsync reference model",
        "capabilities": sorted(ALL_CAPABILITIES),
    }
