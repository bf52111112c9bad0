"""The sample server refuses what no honest client sends, like a production API (issue 11):
non-finite numbers (``NaN``, ``Infinity``, ``1e400``), deep nesting, bodies over the size
limit, bodies that are not ``application/json``. Every refusal has the right status, is a JSON
error naming the problem (the field, where there is one) and writes nothing; the server still
answers every read afterwards. The service layer itself never stores a non-finite number,
whichever way it came (the in-process link has no JSON parser in between).

A large upload does not block other devices: the service runs on its own thread, a large
upload in chunks, so ``/health`` and another device's download are answered in between
(shown by the order things happen in, not by timing)."""

from __future__ import annotations

import asyncio
import copy
import json
import math
import threading
from typing import Any

import httpx
import pytest

from implementations.sample.device.client import Device
from implementations.sample.device.link import DirectLink, HttpLink, batches
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.app import INLINE_PARSE_BYTES, UPLOAD_CHUNK, build_app
from implementations.sample.server.body import MAX_BODY_BYTES, MAX_DEPTH, parse_strict
from implementations.sample.server.service import Service, WorldError
from tests.sample.test_sample_server import ADMIN, WORLD, loaded_app

#: WORLD with a number column: where a non-finite number would be stored if let through
SCORED: dict[str, Any] = copy.deepcopy(WORLD)
SCORED["tables"][0]["columns"]["score"] = {"type": ["number", "null"]}
SCORED["rows"][0]["values"]["score"] = None

#: a token JSON does not have (400), or a number out of the range of a double (422)
NON_FINITE = [("NaN", 400), ("Infinity", 400), ("-Infinity", 400), ("1e400", 422)]
NON_FINITE += [("-1e400", 422), ("1" + "0" * 400, 422)]
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}", "content-type": "application/json"}


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "content-type": "application/json"}


def _state(service: Service) -> list[str]:
    """Everything the server holds (every table, tokens and the version clock included)."""
    return list(service.db.iterdump())


def _refused(answer: httpx.Response, status: int) -> dict[str, Any]:
    """The answer is a refusal with ``status`` and a JSON error; its body."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json", answer.headers
    error = answer.json()
    assert isinstance(error["error"], str) and error["error"] and error["field"], error
    return error  # type: ignore[no-any-return]


def _reads_answer(client: httpx.Client, tokens: dict[str, str]) -> None:
    """Whatever was refused, the server still answers every read."""
    for path, token in [
        ("/users/ann/download", tokens["d1"]),
        ("/users/bob/download", tokens["d2"]),
        ("/metadata", tokens["d1"]),
        ("/admin/rows", ADMIN),
    ]:
        answer = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, (path, answer.text)


def _upload_text(value: str) -> str:
    """An upload of ann's row n1 setting its score to ``value``, as JSON text."""
    return (
        '{"changes": [{"op_id": "o1", "kind": "update", "table": "note", "row": "n1", '
        f'"values": {{"score": {value}}}, "base": null}}]}}'
    )


# --- non-finite numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(("number", "status"), NON_FINITE)
def test_a_non_finite_number_in_an_upload_is_refused_naming_the_field(
    number: str, status: int
) -> None:
    with loaded_app(SCORED) as (client, service, tokens):
        before = _state(service)
        answer = client.post(
            "/users/ann/upload", content=_upload_text(number), headers=_headers(tokens["d1"])
        )
        error = _refused(answer, status)
        assert error["field"] == "changes/0/values/score"
        assert number[:20] in json.dumps(error)  # the number itself is named
        assert _state(service) == before
        _reads_answer(client, tokens)
        # the same upload with a finite number is applied
        fine = client.post(
            "/users/ann/upload", content=_upload_text("1e300"), headers=_headers(tokens["d1"])
        )
        assert fine.json() == {"outcomes": [None]}
        assert service.server_rows()["n1"]["values"]["score"] == 1e300


@pytest.mark.parametrize(("number", "status"), NON_FINITE)
@pytest.mark.parametrize("kind", ["server_update", "server_create"])
def test_a_non_finite_number_in_an_admin_event_is_refused(
    number: str, status: int, kind: str
) -> None:
    with loaded_app(SCORED) as (client, service, tokens):
        before = _state(service)
        row = '"row": "n1"' if kind == "server_update" else '"row": "n2", "table": "note"'
        owner = ', "owner": "ann"' if kind == "server_create" else ""
        body = (
            f'{{"kind": "{kind}", {row}{owner}, '
            f'"values": {{"title": "t", "score": [1, {{"deep": {number}}}]}}}}'
        )
        error = _refused(client.post("/admin/events", content=body, headers=ADMIN_HEADERS), status)
        assert error["field"] == "values/score/1/deep"
        assert _state(service) == before
        _reads_answer(client, tokens)


@pytest.mark.parametrize(("number", "status"), NON_FINITE)
def test_a_non_finite_number_in_a_world_is_refused_and_the_world_kept(
    number: str, status: int
) -> None:
    with loaded_app(SCORED) as (client, service, tokens):
        before = _state(service)
        text = json.dumps(SCORED).replace('"score": null', f'"score": {number}')
        error = _refused(client.post("/admin/world", content=text, headers=ADMIN_HEADERS), status)
        assert error["field"] == "rows/0/values/score"
        assert _state(service) == before
        _reads_answer(client, tokens)


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_the_service_never_stores_a_non_finite_number_given_in_process(number: float) -> None:
    """The in-process link hands Python objects to the service: no JSON parser refuses
    ``float('nan')`` on the way, so the service's own value checks do (VALID-3: invalid)."""
    service = Service()
    service.load_world(copy.deepcopy(SCORED))
    before = _state(service)
    link = DirectLink(service, "d1", "ann")
    update = {
        "op_id": "o1",
        "kind": "update",
        "table": "note",
        "row": "n1",
        "values": {"score": number},
        "base": None,
    }
    create = {**update, "op_id": "o2", "kind": "create", "row": "n2"}
    create["values"] = {"title": "t", "score": number}
    assert link.upload([update, create]) == [
        {"table": "note", "row": "n1", "op": "update", "reason": "invalid"},
        {"table": "note", "row": "n2", "op": "create", "reason": "invalid"},
    ]
    for event in (
        {"kind": "server_update", "row": "n1", "values": {"score": number}},
        {"kind": "server_create", "table": "note", "row": "n3", "owner": "ann"},
    ):
        event["values"] = {"title": "t", "score": number}
        assert service.event(event) == {"status": "refused", "reason": "invalid"}
    # nothing but the two changes' recorded outcomes was written, and nothing non-finite
    assert {line for line in _state(service) if line not in before} == {
        line for line in _state(service) if line.startswith('INSERT INTO "applied_ops"')
    }
    assert not any("NaN" in line or "Infinity" in line for line in _state(service))
    broken = copy.deepcopy(SCORED)
    broken["rows"][0]["values"]["score"] = number
    with pytest.raises(WorldError, match="rows/0/values/score"):
        service.load_world(broken)
    # the device refuses it offline too (DEVICE-1), so it never reaches its outbox
    device = Device("d1", link, DeviceStore())
    device.sign_in()
    local = {**update, "device": "d1", "op_id": "o4"}
    assert device.local(local) == {"status": "refused", "reason": "invalid"}
    assert device.observe()["pending"] == 0


# --- strict JSON, nesting, size, content type -------------------------------------------------


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5_000, 100_000])
def test_deep_nesting_is_refused_with_a_json_400(depth: int) -> None:
    with loaded_app() as (client, service, tokens):
        before = _state(service)
        for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth):
            answer = client.post("/users/ann/upload", content=body, headers=_headers(tokens["d1"]))
            assert "nests deeper" in _refused(answer, 400)["error"]
        assert _state(service) == before
        _reads_answer(client, tokens)


def test_nesting_up_to_the_limit_is_parsed() -> None:
    value: Any = 1
    for _ in range(MAX_DEPTH - 4):  # {changes: [{values: {title: ...}}]} is 4 levels
        value = [value]
    body = {"changes": [{"op_id": "o1", "kind": "update", "table": "note", "row": "n1"}]}
    body["changes"][0].update({"values": {"title": value}, "base": None})
    assert parse_strict(json.dumps(body).encode()) == body
    with loaded_app() as (client, _, tokens):
        answer = client.post("/users/ann/upload", json=body, headers=_headers(tokens["d1"]))
        # parsed, then refused by the service: the title is no string
        assert answer.json() == {
            "outcomes": [{"table": "note", "row": "n1", "op": "update", "reason": "invalid"}]
        }


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (b'{"changes": [{"op_id": "\\ud800"}]}', "changes/0/op_id"),
        (b'{"changes": [], "\\udfff": 1}', "\\udfff"),
        (b'{"changes": []} x', "(body)"),
        (b"\xff\xfe{}", "(body)"),  # not UTF-8
        (b"", "(body)"),
    ],
)
def test_what_is_not_strict_utf8_json_is_refused_with_a_json_400(text: bytes, field: str) -> None:
    with loaded_app() as (client, service, tokens):
        before = _state(service)
        answer = client.post("/users/ann/upload", content=text, headers=_headers(tokens["d1"]))
        assert _refused(answer, 400)["field"] == field
        assert _state(service) == before
        _reads_answer(client, tokens)


def _large_upload(changes: int, title_length: int = 8) -> dict[str, Any]:
    return {
        "changes": [
            {
                "op_id": f"big-{i}",
                "kind": "create",
                "table": "note",
                "row": f"big-{i}",
                "values": {"title": "x" * title_length},
                "base": None,
            }
            for i in range(changes)
        ]
    }


def test_a_body_over_the_size_limit_is_refused_with_413() -> None:
    body = json.dumps(_large_upload(1, title_length=MAX_BODY_BYTES)).encode()
    assert len(body) > MAX_BODY_BYTES
    with loaded_app() as (client, service, tokens):
        before = _state(service)
        answer = client.post("/users/ann/upload", content=body, headers=_headers(tokens["d1"]))
        assert str(MAX_BODY_BYTES) in _refused(answer, 413)["error"]
        answer = client.post("/admin/world", content=body, headers=ADMIN_HEADERS)
        _refused(answer, 413)
        assert _state(service) == before
        _reads_answer(client, tokens)


async def _asgi(
    app: Any, path: str, headers: dict[str, str], chunks: list[bytes]
) -> tuple[int, dict[str, Any], int]:
    """One request straight to the ASGI app, its body in ``chunks`` (no Content-Length unless
    given): the status, the JSON answer and how many chunks the app read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        if read > len(chunks):
            return {"type": "http.disconnect"}
        return {"type": "http.request", "body": chunks[read - 1], "more_body": read < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "http",
        "server": ("sample.invalid", 80),
    }
    await app(scope, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], json.loads(body), read


def test_the_size_limit_holds_without_a_content_length_and_nothing_past_it_is_read() -> None:
    service = Service()
    service.load_world(copy.deepcopy(WORLD))
    app = build_app(service, ADMIN)
    before = _state(service)
    chunk = b" " * (1024 * 1024)  # whitespace: JSON, and as large as the sender likes
    chunks = [b'{"kind": "server_delete", "row": "n1"', *[chunk] * 10, b"}"]
    status, error, read = asyncio.run(_asgi(app, "/admin/events", ADMIN_HEADERS, chunks))
    assert status == 413 and error["field"] == "(body)"
    assert read <= MAX_BODY_BYTES // len(chunk) + 2  # stopped at the limit
    # a Content-Length over the limit is refused before reading anything
    claims = {**ADMIN_HEADERS, "content-length": str(10 * MAX_BODY_BYTES)}
    status, error, read = asyncio.run(_asgi(app, "/admin/events", claims, chunks))
    assert status == 413 and read == 0
    assert _state(service) == before


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_a_body_that_is_not_declared_json_is_refused_with_415(content_type: str | None) -> None:
    with loaded_app() as (client, service, tokens):
        before = _state(service)
        headers = {"Authorization": f"Bearer {tokens['d1']}"}
        if content_type is not None:
            headers["content-type"] = content_type
        body = json.dumps({"changes": [{**_large_upload(1)["changes"][0]}]})
        answer = client.post("/users/ann/upload", content=body, headers=headers)
        error = _refused(answer, 415)
        assert error["field"] == "(content-type)" and "application/json" in error["error"]
        admin = {"Authorization": f"Bearer {ADMIN}", **headers}
        admin["Authorization"] = f"Bearer {ADMIN}"
        event = json.dumps({"kind": "server_delete", "row": "n1"})
        _refused(client.post("/admin/events", content=event, headers=admin), 415)
        _refused(client.post("/admin/world", content=json.dumps(WORLD), headers=admin), 415)
        assert _state(service) == before


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "Application/JSON"])
def test_json_with_its_usual_spellings_is_accepted(content_type: str) -> None:
    with loaded_app() as (client, _, tokens):
        headers = {"Authorization": f"Bearer {tokens['d1']}", "content-type": content_type}
        answer = client.post("/users/ann/upload", content=b'{"changes": []}', headers=headers)
        assert answer.json() == {"outcomes": []}


def test_refusals_before_any_world_and_of_methods_are_json_too() -> None:
    service = Service()  # no world loaded yet
    for event in (
        {"kind": "server_create", "table": "note", "row": "n1", "owner": "ann", "values": {}},
        {"kind": "set_depth", "role": "r", "table": "t", "privilege": "read", "depth": "user"},
        {"kind": "server_update", "row": "n1", "values": {"title": "x"}},
    ):
        assert service.event(event)["status"] == "refused"
    with loaded_app() as (client, _, tokens):
        wrong = client.get("/users/ann/upload", headers={"Authorization": f"Bearer {tokens['d1']}"})
        assert wrong.status_code == 405 and wrong.headers["allow"] == "POST"
        assert wrong.json()["field"] == "(method)"


def test_a_world_whose_column_schema_is_no_json_schema_is_refused() -> None:
    with loaded_app() as (client, service, tokens):
        before = _state(service)
        broken = copy.deepcopy(WORLD)
        broken["tables"][0]["columns"]["title"] = {"type": "text", "pattern": "("}
        answer = client.post("/admin/world", json=broken, headers=ADMIN_HEADERS)
        assert "'title'" in _refused(answer, 422)["error"]
        assert _state(service) == before


# --- a large upload does not block the others ---------------------------------------------------


class GatedService(Service):
    """Records each call of ``upload`` (its size and thread) and holds the first one until
    ``release`` is set, so that a test controls what is queued behind it."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()
        self.calls: list[tuple[int, int]] = []
        self.log: list[str] = []

    def upload(self, device: str, user: str, changes: list[Any]) -> list[Any]:
        self.calls.append((len(changes), threading.get_ident()))
        if len(self.calls) == 1:
            self.started.set()
            assert self.release.wait(30), "the test never released the first chunk"
        self.log.append(f"upload chunk {len(self.calls)}")
        return super().upload(device, user, changes)

    def download(self, user: str) -> Any:
        self.log.append(f"download {user}")
        return super().download(user)


def test_a_large_upload_is_applied_in_chunks_off_the_event_loop_with_others_served_between() -> (
    None
):
    """Structural evidence, no clock: while the first chunk of a large upload is held on the
    service's thread, the event loop answers ``/health``; another device's download, sent
    then, is served before the upload's next chunk; every chunk is at most ``UPLOAD_CHUNK``
    changes and none runs on the event loop's thread."""
    service = GatedService()
    tokens = service.load_world(copy.deepcopy(WORLD))
    app = build_app(service, ADMIN)
    changes = 5 * UPLOAD_CHUNK
    body = json.dumps(_large_upload(changes)).encode()
    assert len(body) > INLINE_PARSE_BYTES  # parsed on a parser thread, too

    async def scenario() -> tuple[list[Any], int]:
        loop_thread = threading.get_ident()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x.invalid") as client:
            big = asyncio.create_task(
                client.post("/users/ann/upload", content=body, headers=_headers(tokens["d1"]))
            )
            await asyncio.to_thread(service.started.wait, 30)
            health = await asyncio.wait_for(client.get("/health"), 10)
            assert health.json() == {"ok": True} and not big.done()
            small = asyncio.create_task(
                client.get("/users/bob/download", headers=_headers(tokens["d2"]))
            )
            await asyncio.sleep(0.05)  # the download reaches the service's queue
            service.release.set()
            assert (await small).status_code == 200
            assert not big.done()
            answer = await big
            assert answer.status_code == 200
            return answer.json()["outcomes"], loop_thread

    outcomes, loop_thread = asyncio.run(scenario())
    assert outcomes == [None] * changes
    assert [size for size, _ in service.calls] == [UPLOAD_CHUNK] * 5
    assert all(thread != loop_thread for _, thread in service.calls)
    assert service.log.index("download bob") < service.log.index("upload chunk 5")
    assert len(service.server_rows()) == changes + 1


def test_a_device_splits_an_outbox_larger_than_the_body_limit() -> None:
    changes = _large_upload(3000, title_length=8)["changes"]
    parts = list(batches(changes, budget=64 * 1024))
    assert [c for part in parts for c in part] == changes and len(parts) > 1
    sent = [  # as httpx sends them
        json.dumps({"changes": part}, separators=(",", ":"), ensure_ascii=False).encode()
        for part in parts
    ]
    assert all(len(body) <= 64 * 1024 + len('{"changes":[]}') for body in sent)
    assert list(batches([])) == [[]]
    with loaded_app() as (client, service, tokens):
        sizes: list[int] = []
        client.event_hooks["request"].append(lambda request: sizes.append(len(request.content)))
        link = HttpLink(client, tokens["d1"], "ann")
        # 5 MB: more than one request can carry (titles too long for the column: invalid)
        many = _large_upload(500, title_length=10_000)["changes"]
        assert len(json.dumps({"changes": many})) > MAX_BODY_BYTES
        assert link.upload(many) == [
            {"table": "note", "row": c["row"], "op": "create", "reason": "invalid"} for c in many
        ]
        assert len(sizes) > 1 and max(sizes) <= MAX_BODY_BYTES


def test_health_answers_while_a_large_upload_runs() -> None:
    """The same, measured with a generous bound (the figures are in
    ``benchmarks/large_upload.py``): while an upload of 3,000 changes runs, ``/health``,
    asked over and over, is answered each time in well under half the upload's time (on the
    server before issue 11 it waited for the whole upload)."""
    service = Service()
    tokens = service.load_world(copy.deepcopy(WORLD))
    app = build_app(service, ADMIN)
    body = json.dumps(_large_upload(3000)).encode()

    async def scenario() -> tuple[float, list[float]]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x.invalid") as client:
            loop = asyncio.get_running_loop()
            started = loop.time()
            big = asyncio.create_task(
                client.post("/users/ann/upload", content=body, headers=_headers(tokens["d1"]))
            )
            latencies = []
            while not big.done():
                asked = loop.time()
                assert (await client.get("/health")).status_code == 200
                latencies.append(loop.time() - asked)
                await asyncio.sleep(0.01)
            assert (await big).status_code == 200
            return loop.time() - started, latencies

    upload_s, latencies = asyncio.run(scenario())
    assert len(latencies) >= 3, (upload_s, latencies)
    assert max(latencies) < upload_s / 2, (upload_s, max(latencies))
