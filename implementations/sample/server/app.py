"""A thin Starlette app over the service layer.

Device endpoints take a per-device bearer token: the server derives the user from it and
refuses (403) a path naming another user. Admin endpoints take the admin token given in the
``SAMPLE_ADMIN_TOKEN`` environment variable (or to ``build_app``).

Hardened like a production API (``body.py``): a request body must be ``application/json``
(415), at most ``MAX_BODY_BYTES`` (413), strict JSON nested at most ``MAX_DEPTH`` deep (400),
and fit its schema, finite numbers included (422). Every refusal is a JSON error naming the
problem and writes nothing; the API is described at ``GET /openapi.json``.

The event loop never runs the service: the service's SQLite connection belongs to one worker
thread, where calls run one at a time in the order they arrive, and a large upload is applied
``UPLOAD_CHUNK`` changes per call, so other devices' requests are served between its chunks.
A large body is parsed and checked on another thread. The loop itself only reads bodies and
answers, so ``/health`` and other devices are answered while a large upload is processed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Final, TypeVar

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from implementations.sample.server.body import (
    BodyRefused,
    declared_length,
    parse_strict,
    read_limited,
    require_json,
)
from implementations.sample.server.openapi import document
from implementations.sample.server.schemas import problem
from implementations.sample.server.service import Service, WorldError

T = TypeVar("T")

#: Changes applied per call of the service's worker: about 20 ms of work (a change takes some
#: 0.3 ms), the longest another device's request waits behind a large upload.
UPLOAD_CHUNK: Final = 64
#: Bodies up to this size are parsed and checked on the event loop (well under a millisecond,
#: less than handing them to a thread); larger ones on a parser thread.
INLINE_PARSE_BYTES: Final = 16 * 1024

#: Parsing and schema checks of large bodies (no shared state: any thread will do).
_PARSERS: Final = ThreadPoolExecutor(max_workers=2, thread_name_prefix="sample-parse")


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


def _checked(raw: bytes, kind: str) -> Any:
    """The strict JSON document of ``raw`` that fits the schema of ``kind``, or
    ``BodyRefused`` (400 not strict JSON or too deep, 422 naming the field that breaks the
    schema or holds a number out of range)."""
    body = parse_strict(raw)
    issue = problem(kind, body)
    if issue is not None:
        raise BodyRefused(422, issue["error"], issue["field"], issue["detail"])
    return body


async def _json_body(request: Request, kind: str) -> Any:
    """The request's JSON body checked against the schema of ``kind``, or ``BodyRefused``:
    the content type first (415), then the size (413, before reading more than the limit),
    then the document."""
    require_json(request.headers.get("content-type"))
    declared_length(request.headers)
    raw = await read_limited(request.stream())
    if len(raw) <= INLINE_PARSE_BYTES:
        return _checked(raw, kind)
    return await asyncio.wrap_future(_PARSERS.submit(_checked, raw, kind))


async def _refused(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, BodyRefused)
    return JSONResponse(exc.payload(), status_code=exc.status)


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such path, method not allowed) as JSON errors too, with
    their headers (a 405 says in ``Allow`` which methods the path takes)."""
    assert isinstance(exc, HTTPException)
    field = "(method)" if exc.status_code == 405 else "(path)"
    return JSONResponse(
        {"error": f"{exc.detail}: {request.method} {request.url.path}", "field": field},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _internal(request: Request, exc: Exception) -> JSONResponse:
    """A bug of the server is a 500 in JSON too (the exception is still raised to the server,
    which logs it); a client's bad input never gets here."""
    return _error(500, f"internal error: {type(exc).__name__}", field="(server)")


def build_app(service: Service, admin_token: str) -> Starlette:
    # The one thread that runs the service (see the module's docstring). Idle, it ends when
    # the app is collected (with the executor) or the process exits; not at a lifespan's end,
    # since an app may be started again (in-process clients run one lifespan each).
    worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sample-service")

    async def serve(call: Callable[..., T], *args: Any) -> T:
        """``call(*args)`` on the service's thread, in turn."""
        return await asyncio.wrap_future(worker.submit(functools.partial(call, *args)))

    async def device_of(request: Request) -> tuple[str, str] | JSONResponse:
        token = _bearer(request)
        who = await serve(service.who, token) if token else None
        if who is None:
            return _error(401, "missing or unknown bearer token", field="(authorization)")
        user = request.path_params.get("user")
        if user is not None and user != who[1]:
            return _error(403, "the token does not belong to this user", field="user")
        return who

    def admin_refusal(request: Request) -> JSONResponse | None:
        if _bearer(request) == admin_token:
            return None
        return _error(401, "admin token required", field="(authorization)")

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document())

    async def metadata(request: Request) -> JSONResponse:
        who = await device_of(request)
        if isinstance(who, JSONResponse):
            return who
        return JSONResponse(await serve(service.metadata))

    async def download(request: Request) -> JSONResponse:
        who = await device_of(request)
        if isinstance(who, JSONResponse):
            return who
        return JSONResponse(await serve(service.download, who[1]))

    async def upload(request: Request) -> JSONResponse:
        who = await device_of(request)
        if isinstance(who, JSONResponse):
            return who
        changes = (await _json_body(request, "upload"))["changes"]
        outcomes: list[Any] = []
        # each change is its own transaction already: applying them in chunks, in order, with
        # other requests served in between, is what a busier server would do anyway
        for start in range(0, len(changes), UPLOAD_CHUNK):
            chunk = changes[start : start + UPLOAD_CHUNK]
            outcomes += await serve(service.upload, who[0], who[1], chunk)
        return JSONResponse({"outcomes": outcomes})

    async def world(request: Request) -> JSONResponse:
        refusal = admin_refusal(request)
        if refusal is not None:
            return refusal
        body = await _json_body(request, "world")
        try:
            return JSONResponse({"tokens": await serve(service.load_world, body)})
        except WorldError as exc:
            return _error(422, str(exc), field="(world)")

    async def events(request: Request) -> JSONResponse:
        refusal = admin_refusal(request)
        if refusal is not None:
            return refusal
        body = await _json_body(request, "event")
        return JSONResponse(await serve(service.event, body))

    async def restart(request: Request) -> JSONResponse:
        """FAULT-5: the service restarts: what it held in memory (its security rules' caches,
        say) is gone, its database is opened again with everything committed."""
        refusal = admin_refusal(request)
        if refusal is not None:
            return refusal
        await serve(service.restart)
        return JSONResponse({"ok": True})

    async def rows(request: Request) -> JSONResponse:
        refusal = admin_refusal(request)
        if refusal is not None:
            return refusal
        return JSONResponse(await serve(service.server_rows))

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/openapi.json", openapi),
            Route("/metadata", metadata),
            Route("/users/{user}/download", download),
            Route("/users/{user}/upload", upload, methods=["POST"]),
            Route("/admin/world", world, methods=["POST"]),
            Route("/admin/events", events, methods=["POST"]),
            Route("/admin/rows", rows),
            Route("/admin/restart", restart, methods=["POST"]),
        ],
        exception_handlers={
            HTTPException: _http_error,
            BodyRefused: _refused,
            Exception: _internal,
        },
    )


def main() -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="the sample offsync server")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--db", default=":memory:", help="sqlite path (default in memory)")
    args = parser.parse_args()
    app = build_app(Service(args.db), os.environ.get("SAMPLE_ADMIN_TOKEN", ""))
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
