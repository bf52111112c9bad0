"""A synchronous httpx transport that calls an ASGI app in-process.

httpx's own ``ASGITransport`` serves only ``httpx.AsyncClient``; the device client and the
adapter are synchronous. This wraps it: each request runs to completion on one event loop
owned by the transport, so a request goes through the whole app (routing, bearer tokens, body
schemas, JSON both ways) with no socket and no thread.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class SyncASGITransport(httpx.BaseTransport):
    def __init__(self, app: Any) -> None:
        self.inner = httpx.ASGITransport(app=app)
        self.loop: asyncio.AbstractEventLoop | None = None

    async def _send(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.loop is None or self.loop.is_closed():
            self.loop = asyncio.new_event_loop()
        return self.loop.run_until_complete(self._send(request))

    def close(self) -> None:
        if self.loop is not None:
            self.loop.close()
            self.loop = None
