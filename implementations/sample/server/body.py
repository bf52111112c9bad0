"""Strict JSON request bodies: what the HTTP app refuses before a body reaches its schema.

A production API decides cheaply, and before doing any work, about what no honest client
sends: a body of another content type (415), one larger than any real request (413), one that
is not UTF-8 JSON or uses what JSON does not have (``NaN``, ``Infinity``, a lone surrogate) or
nests deeper than any real request (400), a number out of the range of a double (422, like any
other invalid field). Each refusal is a ``BodyRefused`` that the app answers as a JSON error
naming the problem and, where there is one, the field (``changes/0/values/score``).

Python's ``json`` module is lenient where this must be strict: it reads ``NaN`` and
``Infinity``, turns ``1e400`` into ``inf`` (which the server then cannot answer with: its JSON
responses allow no non-finite number), reads ``"\\ud800"`` into a string that cannot be
encoded as UTF-8, and fails with ``RecursionError`` on deep nesting. The hooks below keep
each such number as a marker, and one pass over the parsed document finds the first marker,
lone surrogate or too deep a value, with its path.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterable, Mapping
from email.message import Message
from typing import Any, Final

#: The largest body the server reads. The largest honest requests are a device's upload of
#: its outbox (about 130 bytes a change: 4 MiB is some 30,000 offline edits, and the device
#: link splits a larger outbox into several uploads) and an admin's world. A limit bounds the
#: memory and time one request can take; without it a 49 MB upload took the server 2 minutes.
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
#: The deepest nesting the server parses. A change is 4 levels deep ({changes: [{values: {}}]})
#: and a world's column schema about 6; 64 leaves room for any JSON value a column holds while
#: a document 100,000 deep (which made Python's parser raise RecursionError) is refused.
MAX_DEPTH: Final = 64
#: The only media type of request bodies (RFC 8259: JSON exchanged between systems is UTF-8).
JSON_MEDIA_TYPE: Final = "application/json"

_DOUBLE_MAX = sys.float_info.max
#: more digits than this and an integer is beyond any double, whatever the digits
_DOUBLE_DIGITS = len(str(int(_DOUBLE_MAX)))


class BodyRefused(Exception):
    """A request body the server will not use: the status, the error and the field."""

    def __init__(self, status: int, error: str, field: str = "(body)", detail: str = "") -> None:
        super().__init__(error)
        self.status, self.error, self.field, self.detail = status, error, field, detail

    def payload(self) -> dict[str, Any]:
        """The JSON error body (the shape of every error the app answers)."""
        answer: dict[str, Any] = {"error": self.error, "field": self.field}
        if self.detail:
            answer["detail"] = self.detail
        return answer


def require_json(content_type: str | None) -> None:
    """415 unless the content type is ``application/json`` (in UTF-8, if a charset is named)."""
    message = Message()
    message["content-type"] = content_type or ""
    # an unparsable or missing header reads as text/plain (RFC 2045's default)
    media_type = message.get_content_type() if content_type else "(none)"
    charset = message.get_param("charset")
    if media_type != JSON_MEDIA_TYPE:
        raise BodyRefused(
            415,
            f"the content type must be {JSON_MEDIA_TYPE}, not {content_type or '(none)'!r}",
            "(content-type)",
        )
    if isinstance(charset, str) and charset.lower() not in ("utf-8", "utf8"):
        raise BodyRefused(
            415,
            f"the content type must be {JSON_MEDIA_TYPE} in UTF-8, not charset {charset!r}",
            "(content-type)",
        )


def declared_length(headers: Mapping[str, str]) -> int | None:
    """The Content-Length, if given; 413 when it is over the limit, 400 when not a number."""
    given = headers.get("content-length")
    if given is None:
        return None
    if not given.strip().isdigit():
        raise BodyRefused(400, f"bad Content-Length {given!r}", "(content-length)")
    length = int(given)
    if length > MAX_BODY_BYTES:
        raise _too_large(f"Content-Length {length}")
    return length


async def read_limited(chunks: AsyncIterable[bytes]) -> bytes:
    """The body, read until it passes ``MAX_BODY_BYTES`` (then 413): a body sent without a
    Content-Length, or longer than the one it declared, is not read beyond the limit."""
    parts: list[bytes] = []
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large(f"more than {MAX_BODY_BYTES} bytes sent")
        parts.append(chunk)
    return b"".join(parts)


def _too_large(what: str) -> BodyRefused:
    return BodyRefused(
        413,
        f"the body is larger than the server's limit of {MAX_BODY_BYTES} bytes",
        "(body)",
        f"{what}; send a large upload as several smaller ones",
    )


class _Number:
    """Where the document had a number that is no finite double, its text."""

    __slots__ = ("text", "overflow")

    def __init__(self, text: str, overflow: bool) -> None:
        self.text, self.overflow = text, overflow


def _constant(text: str) -> _Number:  # NaN, Infinity, -Infinity
    return _Number(text, overflow=False)


def _float(text: str) -> float | _Number:
    value = float(text)
    return _Number(text, overflow=True) if value in (float("inf"), float("-inf")) else value


def _int(text: str) -> int | _Number:
    # int() refuses over 4,300 digits (CVE-2020-10735): such an integer overflows anyway
    if len(text.lstrip("-")) > _DOUBLE_DIGITS:
        return _Number(text, overflow=True)
    value = int(text)
    return _Number(text, overflow=True) if abs(value) > _DOUBLE_MAX else value


_DECODER = json.JSONDecoder(parse_float=_float, parse_int=_int, parse_constant=_constant)


def parse_strict(raw: bytes) -> Any:
    """The JSON document of ``raw``, or ``BodyRefused`` naming what is wrong and where."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyRefused(400, "the body is not UTF-8", "(body)", str(exc)) from None
    try:
        document = _DECODER.decode(text)
    except RecursionError:
        raise _too_deep() from None
    except ValueError as exc:
        raise BodyRefused(400, "the body is not JSON", "(body)", str(exc)) from None
    _check(document)
    return document


def _too_deep() -> BodyRefused:
    return BodyRefused(400, f"the body nests deeper than {MAX_DEPTH} levels", "(body)")


def _field(path: tuple[Any, ...] | None) -> str:
    """A path kept as nested pairs (parent, key), as ``changes/0/values/score``."""
    keys: list[str] = []
    while path is not None:
        path, key = path
        # a key holding a lone surrogate is named with its escape (the answer is UTF-8)
        keys.append(str(key).encode("utf-8", "backslashreplace").decode("utf-8"))
    return "/".join(reversed(keys)) or "(body)"


def _check(document: Any) -> None:
    """One pass over the parsed document: the first non-finite number, lone surrogate or
    value nested deeper than ``MAX_DEPTH``, in document order. A path is kept as nested
    pairs (parent, key), made into text only for the value refused."""
    stack: list[tuple[Any, tuple[Any, ...] | None, int]] = [(document, None, 0)]
    while stack:
        value, path, depth = stack.pop()
        kind = type(value)
        if kind is dict:
            if depth == MAX_DEPTH:
                raise _too_deep()
            for key in value:
                if not key.isascii():
                    _utf8(key, (path, key))
            stack.extend((v, (path, k), depth + 1) for k, v in reversed(value.items()))
        elif kind is list:
            if depth == MAX_DEPTH:
                raise _too_deep()
            stack.extend((v, (path, i), depth + 1) for i, v in reversed(list(enumerate(value))))
        elif kind is str:
            if not value.isascii():
                _utf8(value, path)
        elif kind is _Number:
            if value.overflow:
                raise BodyRefused(
                    422,
                    "invalid request body",
                    _field(path),
                    f"{value.text} is out of the range of a double (a number overflows)",
                )
            raise BodyRefused(
                400,
                f"the body is not strict JSON: {value.text} is not a JSON number",
                _field(path),
            )


def _utf8(text: str, path: tuple[Any, ...] | None) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise BodyRefused(
            400,
            "the body is not strict JSON: a string holds a lone surrogate (\\ud800-\\udfff)",
            _field(path),
        ) from None
