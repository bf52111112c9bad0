"""The device: local decisions (DEVICE-1, STALE-1), visible rows (SYNC-6) and cycles."""

from __future__ import annotations

from typing import Any

from implementations.sample.device.link import LinkDown, ServerLink
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.values import values_ok

Json = dict[str, Any]


def _refused(reason: str) -> Json:
    return {"status": "refused", "reason": reason}


class Device:
    def __init__(self, device_id: str, link: ServerLink, store: DeviceStore) -> None:
        self.id, self.link, self.store = device_id, link, store

    def sign_in(self) -> None:
        """PROFILE-4: metadata, projection and snapshot, as after a completed cycle."""
        self.store.put("metadata", self.link.metadata())
        self._install(self.link.download())
        self.store.put("errors", [])
        self.store.put("failed", {})
        self.store.put("in_cycle", False)

    def _install(self, download: Json) -> None:
        """STALE-4: the download replaces the cache and the snapshot."""
        self.store.db.execute("BEGIN")
        self.store.replace_cache(download["rows"])
        self.store.put("snapshot", download["snapshot"])
        self.store.db.execute("COMMIT")

    # --- view -----------------------------------------------------------------------------

    def visible(self) -> dict[str, tuple[str, Json]]:
        """SYNC-6: cache plus pending edits, in order."""
        rows = {rid: (t, v) for rid, (t, v, _) in self.store.cache().items()}
        for ch in self.store.pending():
            rid = ch["row"]
            if ch["kind"] == "create":
                rows[rid] = (ch["table"], dict(ch["values"]))
            elif rid in rows and rows[rid][0] == ch["table"]:
                if ch["kind"] == "delete":
                    del rows[rid]
                else:
                    rows[rid] = (ch["table"], {**rows[rid][1], **ch["values"]})
        return rows

    def tables(self) -> list[str]:
        """PROFILE-1 / PROFILE-8: the metadata's tables, none while the user had no Read on
        the offline profile at the last completed cycle."""
        offline = self.snapshot().get("offline", True)
        return list(self.store.get("metadata")["tables"]) if offline else []

    def observe(self) -> Json:
        meta = self.store.get("metadata")
        tables = self.tables()
        by_table: dict[str, Json] = {t: {} for t in tables}
        for rid, (table, values) in sorted(self.visible().items()):
            if table in by_table:  # not the pending edits of a device that lost the profile
                by_table[table][rid] = values
        return {
            "rows": by_table,
            "views": list(meta["views"]) if tables else [],
            "metadata_tables": tables,
            "pending": len(self.store.pending()),
            "in_cycle": bool(self.store.get("in_cycle")),
            "errors": list(self.store.get("errors", [])),
        }

    # --- local operations (DEVICE-1) ------------------------------------------------------

    def snapshot(self) -> Json:
        """STALE-1: local decisions use the privilege snapshot of the last completed sync."""
        return self.store.get("snapshot")  # type: ignore[no-any-return]

    def local(self, op: Json) -> Json:
        meta = self.store.get("metadata")
        kind, table = op["kind"], op.get("table", "")
        if table not in self.tables():
            return _refused("not_offline")
        if not self.works_offline(meta, table, kind):
            return _refused("not_supported_offline")
        shown = self.visible()
        if kind == "read":
            return {
                "status": "accepted",
                "rows": {rid: v for rid, (t, v) in sorted(shown.items()) if t == table},
            }
        rid, op_id, values = op.get("row", ""), op.get("op_id", ""), op.get("values", {})
        columns = meta["columns"][table]
        snap = self.snapshot()
        cache = self.store.cache()
        owner = None
        if kind == "create":
            if not rid or not op_id or rid in shown:
                return _refused("invalid")
            if not values_ok(columns, values, complete=True):
                return _refused("invalid")
            named = op.get("owner")
            owner = named if isinstance(named, str) and named != snap.get("user") else None
            if not self.may_create(snap, table, owner):
                return _refused("privilege")
            if self.append_denied(meta, table, values, self.new_row_rights(snap, table, owner)):
                return _refused("privilege")
        elif kind in ("update", "delete"):
            if rid not in shown or shown[rid][0] != table:
                return _refused("not_found")
            if not op_id:
                return _refused("invalid")
            if kind == "update" and not values_ok(columns, values, complete=False):
                return _refused("invalid")
            rights = self.rights(rid, table)
            # SEC-12: the right the edit uses, not Read
            if ("write" if kind == "update" else "delete") not in rights:
                return _refused("privilege")
            if kind == "update" and self.append_denied(meta, table, values, rights):
                return _refused("privilege")
            if kind == "delete":
                values = {}
        else:
            return _refused("invalid")
        base = cache[rid][2] if rid in cache else None
        change = {
            "op_id": op_id,
            "kind": kind,
            "table": table,
            "row": rid,
            "values": values,
            "base": base,
        }
        if owner is not None:
            change["owner"] = owner
        self.store.enqueue(change)
        return {"status": "accepted"}

    def works_offline(self, meta: Json, table: str, kind: str) -> bool:
        """PROFILE-6: whether the table allows this operation offline (metadata lists the
        operations of the tables that do not allow all four)."""
        allowed = meta.get("offline_operations", {}).get(table)
        return allowed is None or kind not in ("create", "update", "delete") or kind in allowed

    def rights(self, rid: str, table: str) -> list[str]:
        """STALE-1: the snapshot's rights for a downloaded row; for a row created here, its
        rights on a new row of the owner the create named (SEC-9)."""
        snap = self.snapshot()
        if rid in self.store.cache():
            return snap["row_rights"].get(rid, [])  # type: ignore[no-any-return]
        owner = None
        for ch in self.store.pending():
            if ch["kind"] == "create" and ch["row"] == rid:
                owner = ch.get("owner")
        return self.new_row_rights(snap, table, owner)

    def new_row_rights(self, snap: Json, table: str, owner: str | None) -> list[str]:
        if owner is None:
            return snap["own_rights"].get(table, [])  # type: ignore[no-any-return]
        return snap.get("team_rights", {}).get(owner, {}).get(table, [])  # type: ignore[no-any-return]

    def may_create(self, snap: Json, table: str, owner: str | None) -> bool:
        """SEC-3 / SEC-9: Create for the owner the create names, as of the snapshot."""
        if owner is None:
            return table in snap["create_tables"]
        return table in snap.get("team_create_tables", {}).get(owner, [])

    def append_denied(self, meta: Json, table: str, values: Json, rights: list[str]) -> bool:
        """SEC-11 as of the snapshot: a lookup set to a row needs Append on the changed row and
        Append To on the row it names when this device shows that row in the target table
        (a row it does not show is left to the server)."""
        if not meta.get("append_privileges"):
            return False
        lookups = meta["lookups"].get(table, {})
        targets = [(lookups[c], v) for c, v in values.items() if c in lookups and v is not None]
        if not targets:
            return False
        if "append" not in rights:
            return True
        shown = self.visible()
        return any(
            isinstance(target, str)
            and target in shown
            and shown[target][0] == target_table
            and "append_to" not in self.rights(target, target_table)
            for target_table, target in targets
        )

    # --- cycles (SYNC-3, SYNC-8) ----------------------------------------------------------

    def sync_start(self) -> Json:
        if self.store.get("in_cycle"):
            return _refused("busy")
        # the batch is marked before it goes: a restart while it travels returns it (SYNC-8)
        self.store.db.execute("BEGIN")
        self.store.start_batch()
        self.store.put("in_cycle", True)
        self.store.db.execute("COMMIT")
        try:
            self.link.upload(self.store.pending(in_flight_only=True))
        except LinkDown:  # FAULT-1/2: applied or not, it is uploaded again under its op ids
            self.abandon_cycle()
            return _refused("network")
        return {"status": "accepted"}

    def sync_end(self) -> Json:
        if not self.store.get("in_cycle"):
            return _refused("idle")
        try:
            # the acknowledgement: re-sending the batch returns each op id's recorded outcome
            outcomes = self.link.upload(self.store.pending(in_flight_only=True))
            download = self.link.download()
        except LinkDown:  # FAULT-3: nothing stored, the batch back in front
            self.abandon_cycle()
            return _refused("network")
        # FAULT-4: stored all at once; a crash in the middle rolls it all back
        self.store.db.execute("BEGIN")
        self.record_errors(self.store.pending(in_flight_only=True), outcomes)
        self.store.acknowledge()
        self.store.put("in_cycle", False)
        self.store.replace_cache(download["rows"])
        self.crash_point()
        self.store.put("snapshot", download["snapshot"])
        self.store.db.execute("COMMIT")
        return {"status": "accepted"}

    def record_errors(self, batch: list[Json], outcomes: list[Json | None]) -> None:
        """VALID-2: each rejected change becomes an open error (with its values and op id)
        after those still open, once per op id; its change is kept for a retry (VALID-5)."""
        errors: list[Json] = self.store.get("errors", [])
        failed: Json = self.store.get("failed", {})
        for change, outcome in zip(batch, outcomes, strict=True):
            if outcome is None or change["op_id"] in failed:
                continue
            errors.append({**outcome, "values": change["values"], "op_id": change["op_id"]})
            failed[change["op_id"]] = change
        self.store.put("errors", errors)
        self.store.put("failed", failed)

    # --- sync errors (VALID-5) ------------------------------------------------------------

    def retry(self, op: Json) -> Json:
        """Queue an open error's change again, as it was, under the retry's new op id (no
        snapshot check: the server decides), based on the row's cached version now."""
        return self._close_error(op, retry=True)

    def dismiss(self, op: Json) -> Json:
        return self._close_error(op, retry=False)

    def _close_error(self, op: Json, *, retry: bool) -> Json:
        if retry and not self.tables():  # PROFILE-8: no edit without the offline profile
            return _refused("not_offline")
        failed: Json = self.store.get("failed", {})
        named = op.get("error")
        if not isinstance(named, str) or named not in failed:
            return _refused("not_found")
        op_id = op.get("op_id")
        if retry and (not isinstance(op_id, str) or not op_id or op_id == named):
            return _refused("invalid")
        change = failed.pop(named)
        errors = [e for e in self.store.get("errors", []) if e["op_id"] != named]
        self.store.db.execute("BEGIN")
        if retry:
            cache = self.store.cache()
            base = cache[change["row"]][2] if change["row"] in cache else None
            self.store.enqueue({**change, "op_id": op_id, "base": base})
        self.store.put("errors", errors)
        self.store.put("failed", failed)
        self.store.db.execute("COMMIT")
        return {"status": "accepted"}

    def crash_point(self) -> None:
        """Where a test kills the app while it stores a download (FAULT-4): nothing here."""

    def abandon_cycle(self) -> None:
        """A cycle that cannot finish is left as a restart leaves it (SYNC-8): the batch back
        at the front of the outbox, no cycle under way."""
        self.store.db.execute("BEGIN")
        self.store.return_batch()
        self.store.put("in_cycle", False)
        self.store.db.execute("COMMIT")

    def restart(self) -> Json:
        """SYNC-8: keep everything; an abandoned batch returns to the front of the outbox."""
        self.abandon_cycle()
        return {"status": "accepted"}
