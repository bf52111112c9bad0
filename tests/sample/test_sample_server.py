"""Focused tests of the sample implementation's server, HTTP app and device store."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from implementations.sample.asgi_transport import SyncASGITransport
from implementations.sample.device.client import Device
from implementations.sample.device.link import DirectLink
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.app import build_app
from implementations.sample.server.service import Service

ADMIN = "admin-secret"

WORLD: dict[str, Any] = {
    "business_units": [{"id": "root", "parent": None}],
    "users": [
        {"id": "ann", "business_unit": "root", "manager": None, "roles": ["editor"]},
        {"id": "bob", "business_unit": "root", "manager": None, "roles": ["editor"]},
    ],
    "roles": [
        {
            "id": "editor",
            "privileges": {
                "note": {
                    "create": "user",
                    "read": "organization",
                    "write": "user",
                    "delete": "user",
                }
            },
        }
    ],
    "tables": [
        {
            "name": "note",
            "columns": {"title": {"type": "string", "maxLength": 10}},
            "lookups": {},
            "secured": [],
        }
    ],
    "field_permissions": [],
    "rows": [{"id": "n1", "table": "note", "owner": "ann", "values": {"title": "a"}}],
    "shares": [],
    "hierarchy": {"enabled": False, "depth": 1},
    "app_modules": [{"id": "m", "offline_enabled": True, "tables": ["note"]}],
    "profile": {"note": "all"},
    "views": [],
    "devices": [{"id": "d1", "user": "ann"}, {"id": "d2", "user": "bob"}],
    "conflict_policy": "client_wins",
}


def app_client(service: Service) -> httpx.Client:
    """A client of the sample's HTTP app, called in-process (the ``asgi_factory`` way)."""
    transport = SyncASGITransport(build_app(service, ADMIN))
    return httpx.Client(transport=transport, base_url="http://sample.invalid")


@contextmanager
def loaded_app(
    world: dict[str, Any] = WORLD,
) -> Iterator[tuple[httpx.Client, Service, dict[str, str]]]:
    """A fresh server with ``world`` loaded through its admin endpoint: a client of its HTTP
    app, the service behind it and the devices' tokens; all closed afterwards."""
    service = Service()
    with app_client(service) as client:
        answer = client.post(
            "/admin/world", json=copy.deepcopy(world), headers={"Authorization": f"Bearer {ADMIN}"}
        )
        assert answer.status_code == 200, answer.text
        yield client, service, answer.json()["tokens"]
    service.db.close()


@pytest.fixture
def http() -> Iterator[tuple[httpx.Client, Service, dict[str, str]]]:
    with loaded_app() as loaded:
        yield loaded


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _change(op_id: str, row: str, title: str) -> dict[str, Any]:
    return {
        "op_id": op_id,
        "kind": "create",
        "table": "note",
        "row": row,
        "values": {"title": title},
        "base": None,
    }


def test_missing_or_wrong_token_is_refused(http: Any) -> None:
    client, _, _ = http
    assert client.get("/users/ann/download").status_code == 401
    assert client.get("/users/ann/download", headers=_auth("nope")).status_code == 401
    assert client.get("/metadata", headers=_auth("nope")).status_code == 401
    assert (
        client.post("/admin/events", json={"kind": "x"}, headers=_auth("nope")).status_code == 401
    )


def test_another_users_data_is_refused(http: Any) -> None:
    client, service, tokens = http
    assert client.get("/users/ann/download", headers=_auth(tokens["d1"])).status_code == 200
    assert client.get("/users/ann/download", headers=_auth(tokens["d2"])).status_code == 403
    answer = client.post(
        "/users/ann/upload",
        json={"changes": [_change("o1", "n9", "x")]},
        headers=_auth(tokens["d2"]),
    )
    assert answer.status_code == 403
    assert "n9" not in service.server_rows()


def test_malformed_upload_names_the_field_and_writes_nothing(http: Any) -> None:
    client, service, tokens = http
    before = service.server_rows()
    good = _change("o1", "n2", "ok")
    bad = _change("o2", "n3", "ok")
    del bad["op_id"]
    answer = client.post(
        "/users/ann/upload", json={"changes": [good, bad]}, headers=_auth(tokens["d1"])
    )
    assert 400 <= answer.status_code < 500
    assert answer.json()["field"] == "changes/1/op_id"  # the missing field itself
    assert "op_id" in answer.json()["detail"]
    answer = client.post(
        "/users/ann/upload",
        json={"changes": [{**good, "base": "x"}]},
        headers=_auth(tokens["d1"]),
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "changes/0/base"
    not_json = client.post(
        "/users/ann/upload",
        content=b"{",
        headers={**_auth(tokens["d1"]), "content-type": "application/json"},
    )
    assert not_json.status_code == 400
    assert service.server_rows() == before


def test_unknown_paths_and_methods_get_json_errors(http: Any) -> None:
    client, _, tokens = http
    missing = client.get("/users/ann/nothing", headers=_auth(tokens["d1"]))
    assert missing.status_code == 404
    assert missing.json() == {"error": "Not Found: GET /users/ann/nothing", "field": "(path)"}
    wrong = client.get("/users/ann/upload", headers=_auth(tokens["d1"]))
    assert wrong.status_code == 405
    assert wrong.json()["field"] == "(method)" and "GET /users/ann/upload" in wrong.json()["error"]


def test_retried_upload_is_applied_once(http: Any) -> None:
    client, service, tokens = http
    update = {
        "op_id": "u1",
        "kind": "update",
        "table": "note",
        "row": "n1",
        "values": {"title": "b"},
        "base": None,
    }
    body = {"changes": [_change("o1", "n2", "x"), update]}
    first = client.post("/users/ann/upload", json=body, headers=_auth(tokens["d1"])).json()
    changes_after_first = service.db.execute("SELECT COUNT(*) FROM row_changes").fetchone()
    # the server changes the row in between: a re-applied update would now be a new change
    service.event({"kind": "server_update", "row": "n1", "values": {"title": "c"}})
    again = client.post("/users/ann/upload", json=body, headers=_auth(tokens["d1"])).json()
    assert first == again == {"outcomes": [None, None]}
    assert service.server_rows()["n1"]["values"] == {"title": "c"}
    total = service.db.execute("SELECT COUNT(*) FROM row_changes").fetchone()
    assert total[0] == changes_after_first[0] + 1  # only the server_update


def test_an_operation_id_answers_only_for_the_device_that_sent_it(http: Any) -> None:
    client, service, tokens = http
    first = client.post(
        "/users/ann/upload",
        json={"changes": [_change("o1", "n2", "x")]},
        headers=_auth(tokens["d1"]),
    )
    assert first.json() == {"outcomes": [None]}
    # bob's device happens to use the same id: its change is decided on its own merits
    update = {**_change("o1", "n1", "z"), "kind": "update", "values": {"title": "z"}}
    theirs = client.post(
        "/users/bob/upload", json={"changes": [update]}, headers=_auth(tokens["d2"])
    )
    # bob may write only his own notes; d1's recorded outcome (None) is not his answer
    assert theirs.json() == {
        "outcomes": [{"table": "note", "row": "n1", "op": "update", "reason": "privilege"}]
    }
    assert service.server_rows()["n1"]["values"] == {"title": "a"}


def test_outbox_survives_a_restart_with_a_file_database(tmp_path: Any) -> None:
    service = Service()
    service.load_world(copy.deepcopy(WORLD))
    path = str(tmp_path / "device.sqlite")
    device = Device("d1", DirectLink(service, "d1", "ann"), DeviceStore(path))
    device.sign_in()
    create = {
        "kind": "create",
        "device": "d1",
        "table": "note",
        "row": "n2",
        "values": {"title": "x"},
        "op_id": "o1",
    }
    assert device.local(create)["status"] == "accepted"
    assert device.sync_start()["status"] == "accepted"  # batch [o1] uploaded, not acknowledged
    update = {
        "kind": "update",
        "device": "d1",
        "table": "note",
        "row": "n1",
        "values": {"title": "y"},
        "op_id": "o2",
    }
    assert device.local(update)["status"] == "accepted"
    device.store.close()  # the app dies mid-cycle

    reopened = Device("d1", DirectLink(service, "d1", "ann"), DeviceStore(path))
    assert reopened.observe()["in_cycle"] is True
    reopened.restart()
    seen = reopened.observe()
    assert seen["pending"] == 2 and seen["in_cycle"] is False
    assert [c["op_id"] for c in reopened.store.pending()] == ["o1", "o2"]
    assert seen["rows"]["note"] == {"n1": {"title": "y"}, "n2": {"title": "x"}}
    reopened.sync_start()
    reopened.sync_end()
    done = reopened.observe()
    assert done["pending"] == 0 and done["errors"] == []
    rows = service.server_rows()
    assert rows["n2"]["values"] == {"title": "x"} and rows["n1"]["values"] == {"title": "y"}
    reopened.store.close()
