"""How a device reaches the server: in-process (DirectLink) or over HTTP (HttpLink)."""

from __future__ import annotations

from typing import Any, Protocol

import httpx

from implementations.sample.server.service import Service

Json = dict[str, Any]


class ServerLink(Protocol):
    def metadata(self) -> Json: ...

    def upload(self, changes: list[Json]) -> list[Json | None]: ...

    def download(self) -> Json: ...


class DirectLink:
    """Calls the service layer in-process."""

    def __init__(self, service: Service, device: str, user: str) -> None:
        self.service, self.device, self.user = service, device, user

    def metadata(self) -> Json:
        return self.service.metadata()

    def upload(self, changes: list[Json]) -> list[Json | None]:
        return self.service.upload(self.device, self.user, changes)

    def download(self) -> Json:
        return self.service.download(self.user)


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


class HttpLink:
    """Talks to the Starlette app with the device's bearer token."""

    def __init__(self, client: httpx.Client, token: str, user: str) -> None:
        self.client, self.user = client, user
        self.headers = {"Authorization": f"Bearer {token}"}

    def _call(self, method: str, path: str, body: Json | None = None) -> Any:
        return answer(self.client.request(method, path, json=body, headers=self.headers))

    def metadata(self) -> Json:
        return self._call("GET", "/metadata")  # type: ignore[no-any-return]

    def upload(self, changes: list[Json]) -> list[Json | None]:
        answer = self._call("POST", f"/users/{self.user}/upload", {"changes": changes})
        return answer["outcomes"]  # type: ignore[no-any-return]

    def download(self) -> Json:
        return self._call("GET", f"/users/{self.user}/download")  # type: ignore[no-any-return]
