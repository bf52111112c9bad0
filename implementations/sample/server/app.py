"""A thin Starlette app over the service layer.

Device endpoints take a per-device bearer token: the server derives the user from it and
refuses (403) a path naming another user. Admin endpoints take the admin token given in the
``SAMPLE_ADMIN_TOKEN`` environment variable (or to ``build_app``).
"""

from __future__ import annotations

import argparse
import json
import os
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from implementations.sample.server.schemas import problem
from implementations.sample.server.service import Service, WorldError


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def _json_body(request: Request, kind: str) -> tuple[Any, JSONResponse | None]:
    """The request's JSON body checked against the schema of ``kind``; or the 4xx to answer
    (400 when it is not JSON, 422 naming the field when it breaks the schema)."""
    try:
        body = json.loads(await request.body())
    except ValueError:
        return None, _error(400, "the body is not JSON", field="(body)")
    issue = problem(kind, body)
    if issue is not None:
        return None, JSONResponse(issue, status_code=422)
    return body, None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    """Starlette's own refusals (no such path, method not allowed) as JSON errors too."""
    assert isinstance(exc, HTTPException)
    field = "(method)" if exc.status_code == 405 else "(path)"
    return _error(
        exc.status_code, f"{exc.detail}: {request.method} {request.url.path}", field=field
    )


def build_app(service: Service, admin_token: str) -> Starlette:
    def device_of(request: Request) -> tuple[str, str] | JSONResponse:
        token = _bearer(request)
        who = service.who(token) if token else None
        if who is None:
            return _error(401, "missing or unknown bearer token")
        user = request.path_params.get("user")
        if user is not None and user != who[1]:
            return _error(403, "the token does not belong to this user")
        return who

    def is_admin(request: Request) -> bool:
        return _bearer(request) == admin_token

    async def health(request: Request) -> JSONResponse:
        return JSONResponse({"ok": True})

    async def metadata(request: Request) -> JSONResponse:
        who = device_of(request)
        if isinstance(who, JSONResponse):
            return who
        return JSONResponse(service.metadata())

    async def download(request: Request) -> JSONResponse:
        who = device_of(request)
        if isinstance(who, JSONResponse):
            return who
        return JSONResponse(service.download(who[1]))

    async def upload(request: Request) -> JSONResponse:
        who = device_of(request)
        if isinstance(who, JSONResponse):
            return who
        body, bad = await _json_body(request, "upload")
        if bad is not None:
            return bad
        return JSONResponse({"outcomes": service.upload(who[0], who[1], body["changes"])})

    async def world(request: Request) -> JSONResponse:
        if not is_admin(request):
            return _error(401, "admin token required")
        body, bad = await _json_body(request, "world")
        if bad is not None:
            return bad
        try:
            return JSONResponse({"tokens": service.load_world(body)})
        except WorldError as exc:
            return _error(422, str(exc), field="(world)")

    async def events(request: Request) -> JSONResponse:
        if not is_admin(request):
            return _error(401, "admin token required")
        body, bad = await _json_body(request, "event")
        if bad is not None:
            return bad
        return JSONResponse(service.event(body))

    async def rows(request: Request) -> JSONResponse:
        if not is_admin(request):
            return _error(401, "admin token required")
        return JSONResponse(service.server_rows())

    return Starlette(
        routes=[
            Route("/health", health),
            Route("/metadata", metadata),
            Route("/users/{user}/download", download),
            Route("/users/{user}/upload", upload, methods=["POST"]),
            Route("/admin/world", world, methods=["POST"]),
            Route("/admin/events", events, methods=["POST"]),
            Route("/admin/rows", rows),
        ],
        exception_handlers={HTTPException: _http_error},
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
