"""Bugs on the device side of the sample implementation: each class changes one method."""

from __future__ import annotations

import json
from typing import Any

from implementations.sample.device.client import Device
from implementations.sample.device.link import LinkDown
from implementations.sample.device.store import DeviceStore

Json = dict[str, Any]


class FreshPrivileges(Device):
    def snapshot(self) -> Json:
        return self.link.download()["snapshot"]  # type: ignore[no-any-return]  # bug: live


class NewRowsShownEarly(Device):
    def visible(self) -> dict[str, tuple[str, Json]]:
        rows = super().visible()
        cached = self.store.cache()
        for rid, row in self.link.download()["rows"].items():  # bug: peeks at the server
            if rid not in cached:
                rows.setdefault(rid, (row["table"], row["values"]))
        return rows


class LostRowsHidden(Device):
    def visible(self) -> dict[str, tuple[str, Json]]:
        rows = super().visible()
        readable = self.link.download()["rows"]  # bug: hides what the server now withholds
        cached = self.store.cache()
        return {rid: r for rid, r in rows.items() if rid in readable or rid not in cached}


class SnapshotKeptAtSync(Device):
    def sync_end(self) -> Json:
        old = self.store.get("snapshot")
        result = super().sync_end()
        self.store.put("snapshot", old)  # bug: the new snapshot is not installed
        return result


def _in_flight(device: Device) -> list[Json]:
    return device.store.pending(in_flight_only=True) if device.store.get("in_cycle") else []


def _rejected(device: Device, batch: list[Json], kind: str) -> list[Json]:
    """The changes of ``kind`` in ``batch`` that the open errors name (by operation id)."""
    failed = {e["op_id"] for e in device.store.get("errors", [])}
    return [ch for ch in batch if ch["kind"] == kind and ch["op_id"] in failed]


class RejectedCreateKept(Device):
    def sync_end(self) -> Json:
        batch = _in_flight(self)
        result = super().sync_end()
        for ch in _rejected(self, batch, "create"):  # bug: a rejected create stays cached
            self.store.db.execute(
                "INSERT OR REPLACE INTO cache VALUES (?, ?, ?, 0)",
                (ch["row"], ch["table"], json.dumps(ch["values"])),
            )
        return result


class RejectedUpdateKept(Device):
    def sync_end(self) -> Json:
        batch = _in_flight(self)
        result = super().sync_end()
        cache = self.store.cache()
        for ch in _rejected(self, batch, "update"):  # bug: a rejected update is not rolled back
            if ch["row"] in cache:
                merged = {**cache[ch["row"]][1], **ch["values"]}
                self.store.db.execute(
                    "UPDATE cache SET vals = ? WHERE id = ?", (json.dumps(merged), ch["row"])
                )
        return result


class UpdatesShownAfterSync(Device):
    def visible(self) -> dict[str, tuple[str, Json]]:
        shown = {rid: (t, v) for rid, (t, v, _) in self.store.cache().items()}
        for ch in self.store.pending():
            if ch["kind"] == "create":
                shown[ch["row"]] = (ch["table"], dict(ch["values"]))
            elif ch["kind"] == "delete":
                shown.pop(ch["row"], None)
            # bug: a pending update is only shown once the server has it
        return shown


class PendingCountsQueuedOnly(Device):
    def observe(self) -> Json:
        found = super().observe()
        found["pending"] -= len(_in_flight(self))  # bug: the batch under way is not counted
        return found


class FieldSecurityOnDevice(Device):
    def local(self, op: Json) -> Json:
        meta = self.store.get("metadata")
        secured = set(meta["secured"].get(op.get("table", ""), []))
        values = op.get("values") or {}
        if op.get("kind") in ("create", "update") and any(
            c in secured and v is not None for c, v in values.items()
        ):
            return {"status": "refused", "reason": "privilege"}  # bug: the server's job
        return super().local(op)


class PrivilegeBeforeValues(Device):
    def local(self, op: Json) -> Json:
        if op.get("kind") == "update":
            rid, table = op.get("row", ""), op.get("table", "")
            shown = self.visible()
            if rid in shown and shown[rid][0] == table and op.get("op_id"):
                snap, cache = self.snapshot(), self.store.cache()
                rights = (
                    snap["row_rights"].get(rid, []) if rid in cache else snap["own_rights"][table]
                )
                if "write" not in rights:  # bug: privilege checked before the values
                    return {"status": "refused", "reason": "privilege"}
        return super().local(op)


class AcknowledgeEverything(DeviceStore):
    def acknowledge(self) -> None:
        self.db.execute("DELETE FROM outbox")  # bug: also drops edits made during the cycle


class NewestFirst(DeviceStore):
    def pending(self, *, in_flight_only: bool = False) -> list[dict[str, Any]]:
        found = super().pending(in_flight_only=in_flight_only)
        return found[::-1] if in_flight_only else found  # bug: the batch goes newest first


class RestartDropsBatch(DeviceStore):
    def return_batch(self) -> None:
        self.db.execute("DELETE FROM outbox WHERE in_flight = 1")  # bug: the batch is lost


def _batch_ids(device: Device) -> list[str]:
    return [ch["op_id"] for ch in device.store.pending()]


def _drop(device: Device, op_ids: list[str]) -> None:
    device.store.db.executemany("DELETE FROM outbox WHERE op_id = ?", [(o,) for o in op_ids])


class LostUploadAcknowledged(Device):
    def sync_start(self) -> Json:
        batch = [] if self.store.get("in_cycle") else _batch_ids(self)
        result = super().sync_start()
        if result.get("reason") == "network":  # bug: a batch that went out is taken as received
            _drop(self, batch)
        return result


class RetryUnderNewIds(Device):
    def sync_start(self) -> Json:
        result = super().sync_start()
        if result.get("reason") == "network":  # bug: a failed upload is retried as new edits
            self.store.db.execute("UPDATE outbox SET op_id = op_id || '-retry'")
        return result


class LostDownloadAcknowledges(Device):
    def sync_end(self) -> Json:
        batch = [ch["op_id"] for ch in self.store.pending(in_flight_only=True)]
        result = super().sync_end()
        if result.get("reason") == "network":  # bug: the ack went out, so the batch is done
            _drop(self, batch)
        return result


class DownloadStoredInTwoSteps(Device):
    def sync_end(self) -> Json:
        if not self.store.get("in_cycle"):
            return {"status": "refused", "reason": "idle"}
        try:
            outcomes = self.link.upload(self.store.pending(in_flight_only=True))
            download = self.link.download()
        except LinkDown:
            self.abandon_cycle()
            return {"status": "refused", "reason": "network"}
        self.store.db.execute("BEGIN")  # bug: the rows and the acknowledgement are committed
        self.record_errors(self.store.pending(in_flight_only=True), outcomes)
        self.store.acknowledge()
        self.store.put("in_cycle", False)
        self.store.replace_cache(download["rows"])
        self.store.db.execute("COMMIT")  # before the snapshot: a crash here keeps half
        self.store.db.execute("BEGIN")
        self.crash_point()
        self.store.put("snapshot", download["snapshot"])
        self.store.db.execute("COMMIT")
        return {"status": "accepted"}


class OfflineOperationsIgnored(Device):
    def works_offline(self, meta: Json, table: str, kind: str) -> bool:
        return True  # bug: every table allows every operation offline


class DeleteAllowedOnCreateOnlyTables(Device):
    def works_offline(self, meta: Json, table: str, kind: str) -> bool:
        allowed = meta.get("offline_operations", {}).get(table)
        # bug: a table that allows creates is taken to allow deletes too
        if kind == "delete" and allowed is not None and "create" in allowed:
            return True
        return super().works_offline(meta, table, kind)


class ErrorsReplacedEachCycle(Device):
    def record_errors(self, batch: list[Json], outcomes: list[Json | None]) -> None:
        self.store.put("errors", [])  # bug: a cycle's errors replace those still open
        self.store.put("failed", {})
        super().record_errors(batch, outcomes)


class RetryReusesOperationId(Device):
    def retry(self, op: Json) -> Json:
        failed = self.store.get("failed", {})
        if op.get("op_id") and op.get("error") in failed and op["op_id"] != op["error"]:
            op = {**op, "op_id": op["error"]}  # bug: queued again under the old op id
            result = self._close_error(op, retry=False)
            if result["status"] == "accepted":
                self.store.enqueue(failed[op["error"]])
            return result
        return super().retry(op)


class DismissClearsAll(Device):
    def dismiss(self, op: Json) -> Json:
        result = super().dismiss(op)
        if result["status"] == "accepted":
            self.store.put("errors", [])  # bug: one dismiss closes every open error
            self.store.put("failed", {})
        return result
