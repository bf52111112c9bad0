"""A device: its cache, its privilege snapshot, its outbox and the rows it shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.profile import available_views, device_tables, metadata_tables
from models.records import (
    DeviceObservation,
    EditKind,
    Operation,
    Result,
    RowRight,
    SyncError,
    Values,
)
from models.security import Snapshot
from models.server import ACCEPTED, Change, Download, refused
from models.values import values_problem
from models.world import World


@dataclass(slots=True)
class CachedRow:
    table: str
    values: Values
    version: int


@dataclass(slots=True)
class Device:
    world: World
    id: str
    user: str
    cache: dict[str, CachedRow]
    snapshot: Snapshot
    #: changes not yet sent (SYNC-1), oldest first.
    outbox: list[Change] = field(default_factory=list)
    #: the batch of the cycle under way, or None outside a cycle (SYNC-3).
    in_flight: list[Change] | None = None
    #: errors of the last completed cycle (VALID-2).
    errors: list[SyncError] = field(default_factory=list)
    #: the rule IDs exercised since the owner of this set last cleared it.
    trace: set[str] = field(default_factory=set)
    #: the server's restart count when the cycle under way started (FAULT-5)
    restarts_seen: int = 0

    @classmethod
    def signed_in(
        cls, world: World, device: str, user: str, first: Download, trace: set[str]
    ) -> Device:
        """PROFILE-4: signing in downloads the metadata of the device's tables, the user's rows
        and the privilege snapshot, as a first completed sync."""
        dev = cls(world, device, user, {}, first.snapshot, trace=trace)
        dev.install(first)
        return dev

    def install(self, download: Download) -> None:
        """STALE-4: a download replaces the cache and the privilege snapshot. Nothing else does:
        rows that became readable on the server wait for it (STALE-2), rows that stopped being
        readable stay until it (STALE-3)."""
        self.cache = {
            rid: CachedRow(table, values, version)
            for rid, (table, _owner, values, version) in download.rows.items()
        }
        self.snapshot = download.snapshot

    # --- what the device shows ----------------------------------------------------------

    def pending(self) -> list[Change]:
        return [*(self.in_flight or []), *self.outbox]

    def visible(self) -> dict[str, tuple[str, Values]]:
        """SYNC-6: the rows the device shows are its cache with every pending change applied
        on top, in order; an update to a row that is not shown (or is shown in another table)
        stays queued and is not shown."""
        rows = {rid: (c.table, c.values) for rid, c in self.cache.items()}
        for ch in self.pending():
            if ch.kind == "create":
                rows[ch.row] = (ch.table, dict(ch.values))
            elif ch.row in rows and rows[ch.row][0] == ch.table:
                if ch.kind == "delete":
                    del rows[ch.row]
                else:
                    table, values = rows[ch.row]
                    rows[ch.row] = (table, {**values, **ch.values})
        return rows

    def rights(self, row: str, table: str) -> frozenset[RowRight]:
        """STALE-1: local decisions use the snapshot of the last completed sync: the rights
        recorded for a downloaded row, or the user's own-row rights for a row created here."""
        if row in self.cache:
            return self.snapshot.row_rights.get(row, frozenset())
        return self.snapshot.own_rights.get(table, frozenset())

    def observe(self) -> DeviceObservation:
        tables = metadata_tables(self.world)
        by_table: dict[str, dict[str, Values]] = {t: {} for t in tables}
        for rid, (table, values) in sorted(self.visible().items()):
            by_table[table][rid] = dict(values)
        return {
            "rows": by_table,
            "views": available_views(self.world),
            "metadata_tables": tables,
            "pending": len(self.pending()),
            "in_cycle": self.in_flight is not None,
            "errors": list(self.errors),
        }

    # --- local operations ---------------------------------------------------------------

    def local(self, op: Operation) -> Result:
        """DEVICE-1: a local read or edit is decided on the device alone, in the order
        not_offline (PROFILE-2), not_found, invalid, privilege (STALE-1); field-level security
        is not checked here (SEC-6). It is decided the same way during a cycle (SYNC-7). An
        accepted edit is queued in the outbox (SYNC-1) under the operation id and row id the
        caller chose (WORLD-4)."""
        trace = self.trace
        trace.add("DEVICE-1")
        if self.in_flight is not None:
            trace.add("SYNC-7")
        kind, table = op["kind"], op.get("table", "")
        if table not in device_tables(self.world):
            trace.add("PROFILE-2")
            return refused("not_offline")
        if kind == "read":
            trace.add("SYNC-6")
            rows = {rid: dict(v) for rid, (t, v) in sorted(self.visible().items()) if t == table}
            return {"status": "accepted", "rows": rows}
        trace.add("WORLD-4")
        rid, op_id = op.get("row", ""), op.get("op_id", "")
        values = op.get("values", {})
        shown = self.visible()
        columns = self.world.tables[table].columns
        edit: EditKind
        if kind == "create":
            edit = "create"
            if rid in shown or not rid or not op_id:
                return refused("invalid")
            if values_problem(columns, values, complete=True):
                trace.add("WORLD-3")
                return refused("invalid")
            trace.add("SEC-3")
            if table not in self.snapshot.create_tables:
                return refused("privilege")
        elif kind in ("update", "delete"):
            edit = "update" if kind == "update" else "delete"
            if rid not in shown or shown[rid][0] != table:
                return refused("not_found")
            if not op_id:
                return refused("invalid")
            if kind == "update" and values_problem(columns, values, complete=False):
                trace.add("WORLD-3")
                return refused("invalid")
            needed: RowRight = "write" if kind == "update" else "delete"
            if needed not in self.rights(rid, table):
                return refused("privilege")
            values = values if kind == "update" else {}
        else:
            return refused("invalid")
        if any(c in self.world.tables[table].secured for c in values):
            trace.add("SEC-6")
        trace.update(("SYNC-1", "SYNC-6"))
        cached = self.cache.get(rid)
        base = cached.version if cached is not None else None
        self.outbox.append(Change(op_id, edit, table, rid, dict(values), base))
        return ACCEPTED
