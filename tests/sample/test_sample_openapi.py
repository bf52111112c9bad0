"""Schemathesis against the sample server's HTTP API, in-process (issue 11, part 7).

The app describes itself at ``GET /openapi.json`` (``implementations/sample/server/openapi.py``,
built from the request schemas it checks bodies against). Schemathesis loads that document
from the app and, for each operation, generates requests (valid ones and, in its negative
mode, invalid ones) and runs all its default checks on each answer: no 5xx, the status code
and content type documented, the body conforming to the documented schema, invalid data
rejected and valid data accepted, a request without (or with a wrong) token refused, an
undocumented method answered 405 with ``Allow``.

Around each case this test adds what schemathesis cannot know:

* **State.** Every case starts from the same server state (``FUZZ_WORLD`` loaded once, the
  database restored from a copy), so each case is judged alone and the devices' tokens stay
  valid. After the case every read still answers (a poisoned row would make a download or
  ``/admin/rows`` fail: the NaN bug of issue 11), and a refused request (4xx) changed nothing.
* **Data JSON generators never produce.** Schemathesis's numbers are finite (JSON has no
  other), yet a client can send ``NaN`` and ``Infinity``. Half the bodies are seeded: their
  id fields get the world's ids (table ``note``, rows ``n1``/``n2``, users ``ann``/``bob``)
  and their ``values`` objects a note's columns with a non-finite score, so that generated
  changes and events reach the code that stores values; they go out through ``json.dumps``
  (which writes ``NaN``), since ``requests`` refuses to. Such a body must be refused (400,
  "not a JSON number"), and schemathesis's "valid data accepted" check is off for it alone.
  With the NaN bug of issue 11 put back, this test fails on uploads and events: the
  ``/admin/rows`` read-back answers 500 after the server accepted a NaN score.

The budget is the suite's ``ci`` size: ``EXAMPLES`` examples per operation (fewer for the
world, see ``WORLD_EXAMPLES``), plus schemathesis's deterministic coverage phase. Under ``CI``
(Hypothesis's ``ci`` profile) the examples are derandomized: the same on every run.

Schemathesis (4.x) generates from JSON Schemas with its own generator, not with
hypothesis-jsonschema, so the latter's break on object schemas with Hypothesis >= 6.170.10
does not reach it, and nothing is pinned for it.
"""

from __future__ import annotations

import copy
import json
import math
import sqlite3
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from schemathesis.specs.openapi.checks import positive_data_acceptance
from starlette.routing import Route

from implementations.sample.asgi_transport import SyncASGITransport
from implementations.sample.server.app import build_app
from implementations.sample.server.openapi import document
from implementations.sample.server.schemas import EVENT_FIELDS, VALIDATORS
from implementations.sample.server.service import Service
from tests.sample.test_sample_server import ADMIN, WORLD

#: the suite's ``ci`` profile runs 150 examples per family: the same per operation here
EXAMPLES = 150
#: but a third of that for the world: its body is the protocol's whole world, and drawing
#: 150 of them took two thirds of this test's time (the suite loads generated worlds in every
#: example, and ``test_sample_admin_payloads`` breaks them field by field)
WORLD_EXAMPLES = 50

#: WORLD with a number column (where a NaN could be stored) and a row of each user's
FUZZ_WORLD: dict[str, Any] = copy.deepcopy(WORLD)
FUZZ_WORLD["tables"][0]["columns"]["score"] = {"type": ["number", "null"]}
FUZZ_WORLD["rows"] = [
    {"id": "n1", "table": "note", "owner": "ann", "values": {"title": "a", "score": None}},
    {"id": "n2", "table": "note", "owner": "bob", "values": {"title": "b", "score": 1.5}},
]
#: ids of the world, by the fields that name them
KNOWN = {
    "table": ["note"],
    "row": ["n1", "n2"],
    "user": ["ann", "bob"],
    "owner": ["ann", "bob"],
    "manager": ["ann", "bob"],
    "role": ["editor"],
    "business_unit": ["root"],
}
NON_FINITE = [math.nan, math.inf, -math.inf]

#: checks that do not apply to a body with non-finite numbers (see the test)
NOT_FOR_NON_FINITE = [positive_data_acceptance]

SERVICE = Service()
TOKENS = SERVICE.load_world(copy.deepcopy(FUZZ_WORLD))
DEVICE_OF = {"ann": "d1", "bob": "d2"}
#: the loaded world's database, restored before every case
PRISTINE = sqlite3.connect(":memory:", check_same_thread=False)
SERVICE.db.backup(PRISTINE)
PRISTINE_STATE = list(PRISTINE.iterdump())
APP = build_app(SERVICE, ADMIN)

#: A world that fits its schema may still break WORLD-1 (a reference to nothing, no root
#: business unit: what a JSON Schema cannot say): the server refuses it 422 naming the entry,
#: which schemathesis must then not count as valid data rejected.
CONFIG = schemathesis.Config.from_dict(
    {
        "generation": {"max-examples": EXAMPLES},
        "operations": [
            {
                "include-path": "/admin/world",
                "generation": {"max-examples": WORLD_EXAMPLES},
                "checks": {
                    "positive_data_acceptance": {
                        "expected-statuses": ["2xx", "401", "403", "404", "422"]
                    }
                },
            }
        ]
    }
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP, config=CONFIG)


@schema.auth()
class Tokens:
    """The admin token for ``/admin/...``; else the token of the device of the user in the
    path (ann's for a user the world does not have, so that the server answers 403)."""

    def get(self, case: Any, context: Any) -> str:
        if context.operation.path.startswith("/admin/"):
            return ADMIN
        user = (case.path_parameters or {}).get("user")
        return TOKENS[DEVICE_OF.get(user, "d1")]

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook
def before_generate_path_parameters(context: Any, strategy: Any) -> Any:
    """Half the users in paths are the world's (else nearly every request is a 403)."""
    return st.one_of(strategy, st.fixed_dictionaries({"user": st.sampled_from(KNOWN["user"])}))


def _seeded(value: Any, key: str | None, draw: st.DrawFn) -> Any:
    """``value`` with its id fields set to the world's ids (or left, for a new row) and its
    ``values`` objects to values a ``note`` takes, but for a non-finite score."""
    if isinstance(value, dict):
        if key == "values":
            return {"title": "t", "score": draw(st.sampled_from(NON_FINITE))}
        seeded = {k: _seeded(v, k, draw) for k, v in value.items()}
        if key is None and {"kind", "row", "values"} <= seeded.keys():
            # an event that has what a server_update needs may be one (still valid: the
            # event schema allows every field with every kind)
            seeded["kind"] = draw(st.sampled_from([seeded["kind"], "server_update"]))
        return seeded
    if isinstance(value, list):
        return [_seeded(v, key, draw) for v in value]
    # a non-empty string only: replacing one keeps a body as valid, or invalid, as it was
    # (an id is any non-empty string; schemathesis's negative mode may have made it "")
    if key in KNOWN and isinstance(value, str) and value:
        return draw(st.sampled_from([*KNOWN[key], value] if key == "row" else KNOWN[key]))
    return value


@st.composite
def _maybe_seeded(draw: st.DrawFn, body: Any) -> Any:
    """Half the bodies as schemathesis drew them, half seeded (``_seeded``)."""
    return _seeded(body, None, draw) if draw(st.booleans()) else body


@schema.hook
def flatmap_body(context: Any, body: Any) -> Any:
    return _maybe_seeded(body)


@schemathesis.serializer("application/json")
def _json(context: Any, value: Any) -> bytes:
    """JSON as ``json.dumps`` writes it, ``NaN`` and ``Infinity`` included: schemathesis's
    own encoder (through ``requests``) refuses them, a client's need not."""
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def _non_finite(value: Any) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, dict):
        return any(_non_finite(v) for v in value.values())
    if isinstance(value, list):
        return any(_non_finite(v) for v in value)
    return False


def _devices(case: Any, response: Any) -> dict[str, tuple[str, str]]:
    """device -> (user, token) after the case: the world's, or a newly loaded world's."""
    if case.operation.path == "/admin/world" and response.status_code == 200:
        users = {d["id"]: d["user"] for d in case.body["devices"]}
        # a user id that is no path segment cannot be downloaded (the HTTP link neither)
        return {
            d: (users[d], token)
            for d, token in response.json()["tokens"].items()
            if "/" not in users[d] and users[d] not in (".", "..")
        }
    return {d: (u, TOKENS[d]) for d, u in (("d1", "ann"), ("d2", "bob"))}


def _read_back(devices: dict[str, tuple[str, str]]) -> None:
    """Every read of the server's state (the admin's rows, each device's metadata and
    download), as schemathesis cases: each answer is checked like a generated case's."""
    reads = [("/admin/rows", {}, ADMIN)]
    for user, token in devices.values():
        reads += [("/metadata", {}, token), ("/users/{user}/download", {"user": user}, token)]
    for path, parameters, token in reads:
        read = schema[path]["GET"].Case(
            path_parameters=parameters, headers={"Authorization": f"Bearer {token}"}
        )
        assert read.call_and_validate().status_code == 200


@schema.parametrize()
@settings(  # the numbers of examples are in CONFIG (a max_examples here would override it)
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_the_sample_api_conforms_to_its_openapi_document(case: Any) -> None:
    PRISTINE.backup(SERVICE.db)  # every case from the same state
    non_finite = _non_finite(case.body)
    # a body with NaN is no JSON any more, so not valid data that must be accepted
    response = case.call_and_validate(excluded_checks=NOT_FOR_NON_FINITE if non_finite else [])
    if response.status_code >= 400:
        # a refusal writes nothing
        assert list(SERVICE.db.iterdump()) == PRISTINE_STATE, "a refused request wrote"
    else:
        # what was accepted can be read back (a stored NaN could not: issue 11)
        try:
            _read_back(_devices(case, response))
        except Exception as exc:
            raise AssertionError(
                "the server's state no longer reads back after it accepted\n"
                f"{case.as_curl_command()}"
            ) from exc
    if non_finite:  # refused, if not already for its token or path
        assert response.status_code in (400, 401, 403, 404), response.text
        if response.status_code == 400:
            assert "is not a JSON number" in response.json()["error"], response.text


def test_the_openapi_document_is_valid_and_describes_every_route() -> None:
    schema.validate()  # against the OpenAPI 3.1 meta-schema schemathesis ships
    served = document()
    for component in served["components"]["schemas"].values():
        Draft202012Validator.check_schema(component)  # each is a JSON Schema 2020-12
    routes = {
        (route.path, method.lower())
        for route in APP.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, ops in served["paths"].items() for method in ops}
    assert routes - documented == {("/openapi.json", "get")}
    assert documented <= routes
    with httpx.Client(transport=SyncASGITransport(APP), base_url="http://sample.invalid") as c:
        assert c.get("/openapi.json").json() == served


def test_the_documented_event_schema_accepts_what_the_app_accepts() -> None:
    """The document's event is a union of one branch per kind (a generator reads it), the
    app's a list of ``if``/``then`` pairs (its errors name the field): the same bodies."""
    documented = Draft202012Validator(document()["components"]["schemas"]["Event"])
    app = VALIDATORS["event"]
    ids = {"position": "p1", "parent": None, "manager": None, "depth": "user"}
    ids |= {"privilege": "read", "rights": ["read"], "values": {}}
    for kind, fields in EVENT_FIELDS.items():
        body: dict[str, Any] = {"kind": kind} | {f: ids.get(f, "x") for f in fields}
        bodies = [body] + [{k: v for k, v in body.items() if k != f} for f in fields]
        bodies += [body | {"position": None}, body | {"kind": "nothing"}, body | {"extra": 1}]
        for candidate in bodies:
            assert documented.is_valid(candidate) == app.is_valid(candidate), candidate
        assert documented.is_valid(body), body
        assert not documented.is_valid({"kind": kind} | {f: 1 for f in fields})
