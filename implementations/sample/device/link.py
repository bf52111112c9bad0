"""How a device reaches the server: in-process (DirectLink) or over HTTP (HttpLink)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Protocol

import httpx

from implementations.sample.server.body import MAX_BODY_BYTES
from implementations.sample.server.service import Service

Json = dict[str, Any]


class LinkDown(ConnectionError):
    """The network lost a request, or its answer: the device cannot know which."""


class ServerLink(Protocol):
    #: a fault the next call meets, then forgotten (the adapter injects it): "request_lost"
    #: (the request never reaches the server) or "response_lost" (its answer never comes back)
    fault: str | None

    def metadata(self) -> Json: ...

    def upload(self, changes: list[Json]) -> list[Json | None]: ...

    def download(self) -> Json: ...


def strike(link: ServerLink, sent: bool) -> None:
    """Raise ``LinkDown`` where the fault the link was given strikes: before the request is
    sent (``sent`` False) for a lost request, after it (``sent`` True) for a lost answer."""
    fault = link.fault
    if fault == ("response_lost" if sent else "request_lost"):
        link.fault = None
        raise LinkDown(f"{fault.replace('_', ' ')} (a fault the test injected)")


class DirectLink:
    """Calls the service layer in-process."""

    fault: str | None = None

    def __init__(self, service: Service, device: str, user: str) -> None:
        self.service, self.device, self.user = service, device, user

    def metadata(self) -> Json:
        strike(self, sent=False)
        found = self.service.metadata()
        strike(self, sent=True)
        return found

    def upload(self, changes: list[Json]) -> list[Json | None]:
        strike(self, sent=False)
        outcomes = self.service.upload(self.device, self.user, changes)
        strike(self, sent=True)
        return outcomes

    def download(self) -> Json:
        strike(self, sent=False)
        found = self.service.download(self.user)
        strike(self, sent=True)
        return found


class ServerRefused(RuntimeError):
    """The server answered a request with an error status; the message carries its body
    (a JSON error naming the field, for a bad request)."""


def answer(response: httpx.Response) -> Any:
    """The JSON body of a successful response; a ``ServerRefused`` naming the request, the
    status and the server's own error otherwise."""
    if response.is_error:
        request = response.request
        raise ServerRefused(
            f"{request.method} {request.url.path}: {response.status_code} {response.text}"
        )
    return response.json()


def batches(changes: list[Json], budget: int = MAX_BODY_BYTES // 2) -> Iterator[list[Json]]:
    """``changes`` in order, in batches whose upload body stays under ``budget`` bytes (half
    the server's limit: room for the envelope, and for a server with a smaller one). Uploading
    them one after the other is uploading them all: the server applies changes in order and
    each op id once. A single change over the budget goes alone (the server answers 413)."""
    batch: list[Json] = []
    size = 0
    for change in changes:
        # at least what httpx sends (it writes compact JSON in UTF-8)
        length = len(json.dumps(change)) + 1
        if batch and size + length > budget:
            yield batch
            batch, size = [], 0
        batch.append(change)
        size += length
    if batch or not changes:
        yield batch


class HttpLink:
    """Talks to the Starlette app with the device's bearer token. A request the network
    loses (an injected fault, or a real transport error) raises ``LinkDown``."""

    fault: str | None = None

    def __init__(self, client: httpx.Client, token: str, user: str) -> None:
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, body: Json | None = None) -> Any:
        strike(self, sent=False)  # dropped before it is sent
        try:
            response = self.client.request(method, path, json=body, headers=self.headers)
        except httpx.TransportError as exc:
            raise LinkDown(f"{method} {path}: {exc}") from exc
        strike(self, sent=True)  # sent and handled; the answer dropped
        return answer(response)

    def metadata(self) -> Json:
        return self._call("GET", "/metadata")  # type: ignore[no-any-return]

    def upload(self, changes: list[Json]) -> list[Json | None]:
        outcomes: list[Json | None] = []
        for batch in batches(changes):
            answer = self._call("POST", f"/users/{self.user}/upload", {"changes": batch})
            outcomes += answer["outcomes"]
        return outcomes

    def download(self) -> Json:
        return self._call("GET", f"/users/{self.user}/download")  # type: ignore[no-any-return]
