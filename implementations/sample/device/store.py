"""The device's durable sqlite state."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

DEVICE_DDL = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS cache (id TEXT PRIMARY KEY, tbl TEXT, vals TEXT, version INTEGER);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, op_id TEXT, kind TEXT, tbl TEXT, row TEXT,
    vals TEXT, base INTEGER, in_flight INTEGER NOT NULL DEFAULT 0, owner TEXT);
"""


class DeviceStore:
    """Cache, snapshot, metadata, outbox (with the in-flight batch) and last errors.

    Every write commits at once (autocommit, or one transaction for a step that writes
    several things), so what a step accepted survives the app's end. A file database is in
    WAL mode with ``synchronous=NORMAL``: a commit survives the app being killed (an OS crash
    or power loss may lose the last commits, never corrupt the file)."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None)
        if path != ":memory:":
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(DEVICE_DDL)

    def get(self, key: str, default: Any = None) -> Any:
        row = self.db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def put(self, key: str, value: Any) -> None:
        self.db.execute("INSERT OR REPLACE INTO kv VALUES (?, ?)", (key, json.dumps(value)))

    def cache(self) -> dict[str, tuple[str, dict[str, Any], int]]:
        return {
            rid: (t, json.loads(v), ver)
            for rid, t, v, ver in self.db.execute("SELECT id, tbl, vals, version FROM cache")
        }

    def replace_cache(self, rows: dict[str, Any]) -> None:
        self.db.execute("DELETE FROM cache")
        self.db.executemany(
            "INSERT INTO cache VALUES (?, ?, ?, ?)",
            [(rid, r["table"], json.dumps(r["values"]), r["version"]) for rid, r in rows.items()],
        )

    def pending(self, *, in_flight_only: bool = False) -> list[dict[str, Any]]:
        """Pending changes in order: the in-flight batch first, then the queued ones."""
        query = "SELECT op_id, kind, tbl, row, vals, base, owner FROM outbox"
        if in_flight_only:
            query += " WHERE in_flight = 1"
        query += " ORDER BY in_flight DESC, seq"
        found = []
        for o, k, t, r, v, b, owner in self.db.execute(query):
            change = {
                "op_id": o,
                "kind": k,
                "table": t,
                "row": r,
                "values": json.loads(v),
                "base": b,
            }
            if owner is not None:  # a create for an owner team (SEC-9)
                change["owner"] = owner
            found.append(change)
        return found

    def enqueue(self, change: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO outbox (op_id, kind, tbl, row, vals, base, owner)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                change["op_id"],
                change["kind"],
                change["table"],
                change["row"],
                json.dumps(change["values"]),
                change["base"],
                change.get("owner"),
            ),
        )

    def start_batch(self) -> None:
        self.db.execute("UPDATE outbox SET in_flight = 1")

    def acknowledge(self) -> None:
        self.db.execute("DELETE FROM outbox WHERE in_flight = 1")

    def return_batch(self) -> None:
        """SYNC-8: the batch goes back to the front of the outbox (seq order keeps it first)."""
        self.db.execute("UPDATE outbox SET in_flight = 0")

    def reopened(self) -> DeviceStore:
        """The app ends and starts again: this connection is closed and a new store (of the
        same class) opens what the database holds. A file is opened again; a ``:memory:``
        database is copied to the new connection first."""
        fresh = type(self)(self.path)
        if self.path == ":memory:":
            self.db.backup(fresh.db)
        self.close()
        return fresh

    def close(self) -> None:
        self.db.close()
