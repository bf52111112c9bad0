"""The reference model behind the JSON-lines protocol: ``python -m conformance.iut.model_server``.

The worked example of ``conformance/iut/protocol/README.md``: it reads one request per line on
stdin and writes one response per line on stdout, flushing each. A bad request (not JSON, an
unknown method, bad params) or an exception of the model becomes an ``error`` response; the
server stops on ``close`` or at the end of its input.
"""

from __future__ import annotations

import io
import json
import sys
from typing import Any, TextIO, cast

from conformance.iut.adapter import ALL_CAPABILITIES
from models import ModelSystem
from models.records import Operation, WorldSpec

NAME = "offsync reference model"
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class RequestError(Exception):
    """The request cannot be carried out; the message goes into the ``error`` response."""


class _Server:
    def __init__(self) -> None:
        self.system: ModelSystem | None = None

    def handle(self, method: object, params: dict[str, Any]) -> Any:
        if method == "hello":
            return {"name": NAME, "capabilities": sorted(ALL_CAPABILITIES)}
        if method == "setup":
            world = params.get("world")
            if not isinstance(world, dict):
                raise RequestError("setup: params.world must be an object")
            self.system = None  # a failed setup leaves no world behind
            self.system = ModelSystem(cast(WorldSpec, world))
            return None
        if method == "apply":
            op = params.get("operation")
            if not isinstance(op, dict):
                raise RequestError("apply: params.operation must be an object")
            return self._system(method).apply(cast(Operation, op))
        if method == "observe":
            return self._system(method).observe()
        if method == "close":
            return None
        raise RequestError(f"unknown method {method!r}")

    def _system(self, method: str) -> ModelSystem:
        if self.system is None:
            raise RequestError(f"{method}: setup has not been called")
        return self.system


def _response(request_id: object, result: Any = None, error: str | None = None) -> str:
    message: dict[str, Any] = {"id": request_id}
    if error is None:
        message["result"] = result
    else:
        message["error"] = {"message": error}
    return _ENCODER.encode(message)


def _answer(server: _Server, line: str) -> tuple[str, bool]:
    """The response line to one request line, and whether the server should stop."""
    try:
        request = json.loads(line)
    except ValueError as exc:
        return _response(None, error=f"the request is not JSON: {exc}"), False
    if not isinstance(request, dict):
        return _response(None, error="the request is not a JSON object"), False
    request_id = request.get("id")
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return _response(request_id, error="the request's id must be an integer"), False
    method = request.get("method")
    params = request.get("params", {})
    if not isinstance(params, dict):
        return _response(request_id, error="the request's params must be an object"), False
    try:
        result = server.handle(method, params)
        return _response(request_id, result), method == "close"
    except RequestError as exc:
        return _response(request_id, error=str(exc)), False
    except Exception as exc:  # the model must never take the server down
        return _response(request_id, error=f"{method}: {type(exc).__name__}: {exc}"), False


def serve(stdin: TextIO, stdout: TextIO) -> None:
    """Answer requests from ``stdin`` on ``stdout`` until ``close`` or the end of ``stdin``."""
    server = _Server()
    for line in stdin:
        if not line.strip():
            continue
        response, stop = _answer(server, line)
        stdout.write(response + "\n")
        stdout.flush()
        if stop:
            return


def main() -> None:
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace", newline="\n")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="\n")
    # Nothing but responses may reach stdout: a stray print goes to stderr instead.
    sys.stdout = sys.stderr
    serve(stdin, stdout)


if __name__ == "__main__":
    main()
