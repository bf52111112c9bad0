"""A device: its cache, its privilege snapshot, its outbox and the rows it shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from models.profile import available_views, device_tables, metadata_tables
from models.records import (
    OFFLINE_OPERATIONS,
    DeviceObservation,
    EditKind,
    Operation,
    Result,
    RowRight,
    SyncError,
    Values,
)
from models.security import Snapshot, lookups_set
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
    #: the open sync errors, in the order they were recorded (VALID-2).
    errors: list[SyncError] = field(default_factory=list)
    #: the failed change of each open error, by its operation id (a retry queues it: VALID-5)
    failed: dict[str, Change] = field(default_factory=dict)
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
        if not download.snapshot.offline or not self.snapshot.offline:
            self.trace.add("PROFILE-8")  # Read on the offline profile: lost, missing or back
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
        recorded for a downloaded row, or for a row created here the rights on a new row of the
        owner that create named (the user, or an owner team: SEC-9)."""
        if row in self.cache:
            return self.snapshot.row_rights.get(row, frozenset())
        owner = next(
            (ch.owner for ch in reversed(self.pending()) if ch.kind == "create" and ch.row == row),
            None,
        )
        return self.new_row_rights(table, owner)

    def new_row_rights(self, table: str, owner: str | None) -> frozenset[RowRight]:
        """STALE-1 / SEC-9: the snapshot's rights on a new row of ``table`` owned by the user
        (``owner`` None or the user) or by one of their owner teams."""
        if owner is None or owner == self.user:
            return self.snapshot.own_rights.get(table, frozenset())
        return self.snapshot.team_rights.get(owner, {}).get(table, frozenset())

    def may_create(self, table: str, owner: str | None) -> bool:
        """SEC-3 / SEC-9 on the snapshot: Create for the owner the create names."""
        if owner is None or owner == self.user:
            return table in self.snapshot.create_tables
        return table in self.snapshot.team_create_tables.get(owner, frozenset())

    def append_denied(
        self,
        table: str,
        values: Values,
        rights: frozenset[RowRight],
        shown: dict[str, tuple[str, Values]],
    ) -> bool:
        """SEC-11 on the snapshot (STALE-1): each lookup set needs Append on the changed row
        (``rights``) and Append To on the row it names when the device shows that row in the
        lookup's target table; a row it does not show is left to the server."""
        targets = lookups_set(self.world, table, values)
        if not targets:
            return False
        self.trace.add("SEC-11")
        if "append" not in rights:
            return True
        return any(
            rid in shown
            and shown[rid][0] == target_table
            and "append_to" not in self.rights(rid, target_table)
            for target_table, rid in targets
            if rid is not None
        )

    def tables(self) -> frozenset[str]:
        """PROFILE-1 / PROFILE-8: the device tables, none while its user had no Read on the
        offline profile at the last completed cycle (the snapshot says)."""
        return device_tables(self.world) if self.snapshot.offline else frozenset()

    def observe(self) -> DeviceObservation:
        offline = self.snapshot.offline
        tables = metadata_tables(self.world) if offline else []
        by_table: dict[str, dict[str, Values]] = {t: {} for t in tables}
        for rid, (table, values) in sorted(self.visible().items()):
            if table in by_table:  # pending edits of a device that lost the profile: PROFILE-8
                by_table[table][rid] = dict(values)
        return {
            "rows": by_table,
            "views": available_views(self.world) if offline else [],
            "metadata_tables": tables,
            "pending": len(self.pending()),
            "in_cycle": self.in_flight is not None,
            "errors": list(self.errors),
        }

    # --- local operations ---------------------------------------------------------------

    def local(self, op: Operation) -> Result:
        """DEVICE-1: a local read or edit is decided on the device alone, in the order
        not_offline (PROFILE-8, PROFILE-2), not_supported_offline (PROFILE-6), not_found,
        invalid, privilege (STALE-1); field-level security is not checked here (SEC-6). It is
        decided the same way during a cycle (SYNC-7). An accepted edit is queued in the
        outbox (SYNC-1) under the operation id and row id the caller chose (WORLD-4). A create
        may name an owner (SEC-9); an update or delete needs only the right it uses (SEC-12);
        lookups set need Append and Append To (SEC-11)."""
        trace = self.trace
        trace.add("DEVICE-1")
        if self.in_flight is not None:
            trace.add("SYNC-7")
        kind, table = op["kind"], op.get("table", "")
        if not self.snapshot.offline:
            trace.update(("PROFILE-8", "DEVICE-1.not_offline"))
            return refused("not_offline")
        if table not in device_tables(self.world):
            trace.update(("PROFILE-2", "DEVICE-1.not_offline"))
            return refused("not_offline")
        allowed = self.world.tables[table].offline_operations
        if kind in OFFLINE_OPERATIONS and len(allowed) < len(OFFLINE_OPERATIONS):
            trace.add("PROFILE-6")
            if kind not in allowed:
                trace.add("DEVICE-1.not_supported_offline")
                return refused("not_supported_offline")
        if kind == "read":
            trace.update(("SYNC-6", "DEVICE-1.read"))
            rows = {rid: dict(v) for rid, (t, v) in sorted(self.visible().items()) if t == table}
            return {"status": "accepted", "rows": rows}
        trace.add("WORLD-4")
        rid, op_id = op.get("row", ""), op.get("op_id", "")
        values = op.get("values", {})
        shown = self.visible()
        columns = self.world.tables[table].columns
        edit: EditKind
        owner: str | None = None
        if kind == "create":
            edit = "create"
            if rid in shown:
                trace.add("DEVICE-1.id_visible")
                return refused("invalid")
            if not rid or not op_id:
                return refused("invalid")
            if values_problem(columns, values, complete=True):
                trace.update(("WORLD-3", "DEVICE-1.invalid_values"))
                return refused("invalid")
            trace.add("SEC-3")
            named = op.get("owner")
            owner = named if isinstance(named, str) and named != self.user else None
            if owner is not None:
                trace.add("SEC-9")
            if not self.may_create(table, owner) or self.append_denied(
                table, values, self.new_row_rights(table, owner), shown
            ):
                trace.add("DEVICE-1.privilege")
                return refused("privilege")
        elif kind in ("update", "delete"):
            edit = "update" if kind == "update" else "delete"
            if rid not in shown or shown[rid][0] != table:
                trace.add("DEVICE-1.not_found")
                return refused("not_found")
            if not op_id:
                return refused("invalid")
            if kind == "update" and values_problem(columns, values, complete=False):
                trace.update(("WORLD-3", "DEVICE-1.invalid_values"))
                return refused("invalid")
            needed: RowRight = "write" if kind == "update" else "delete"
            rights = self.rights(rid, table)
            if "read" not in rights and needed in rights:
                trace.add("SEC-12")
            if needed not in rights or (
                kind == "update" and self.append_denied(table, values, rights, shown)
            ):
                trace.add("DEVICE-1.privilege")
                return refused("privilege")
            values = values if kind == "update" else {}
        else:
            return refused("invalid")
        if any(c in self.world.tables[table].secured for c in values):
            trace.add("SEC-6")
        trace.update(("SYNC-1", "SYNC-6", "DEVICE-1.accepted"))
        cached = self.cache.get(rid)
        base = cached.version if cached is not None else None
        self.outbox.append(Change(op_id, edit, table, rid, dict(values), base, owner))
        return ACCEPTED

    # --- sync errors (VALID-2, VALID-5) ----------------------------------------------------

    def record_error(self, change: Change, error: SyncError) -> None:
        """VALID-2: a change rejected at sync is recorded once, as an open error named by its
        operation id; an operation id that already has an open error records nothing more."""
        if any(e["op_id"] == change.op_id for e in self.errors):
            return
        self.errors.append(error)
        self.failed[change.op_id] = change

    def error_action(self, op: Operation) -> Result:
        """VALID-5: ``retry`` queues an open error's failed change again, as it was, under the
        new operation id the retry carries, and closes the error; ``dismiss`` closes it. Both
        are decided on the device alone, during a cycle too (SYNC-7): an error that is not open
        is ``not_found``; a retry without an operation id, or with the failed change's own,
        is ``invalid``. A retry is not checked against the snapshot: the server validates the
        change at the next cycle (VALID-1), which is what the user asked for. Its base is the
        cache's version of the row now (CONFLICT-1): the user retries after seeing the
        server's truth (VALID-4)."""
        trace = self.trace
        trace.add("VALID-5")
        if self.in_flight is not None:
            trace.add("SYNC-7")
        named = op.get("error")
        index = next((i for i, e in enumerate(self.errors) if e["op_id"] == named), None)
        if op["kind"] == "retry" and not self.snapshot.offline:
            trace.add("PROFILE-8")  # a retry queues an edit: not without the profile
            return refused("not_offline")
        if index is None or not isinstance(named, str):
            return refused("not_found")
        if op["kind"] == "retry":
            op_id = op.get("op_id")
            if not isinstance(op_id, str) or not op_id or op_id == named:
                return refused("invalid")
            change = self.failed[named]
            cached = self.cache.get(change.row)
            base = cached.version if cached is not None else None
            self.outbox.append(
                Change(
                    op_id,
                    change.kind,
                    change.table,
                    change.row,
                    dict(change.values),
                    base,
                    change.owner,
                    retry_of=named,
                )
            )
            trace.update(("SYNC-1", "SYNC-6"))
        del self.errors[index]
        del self.failed[named]
        return ACCEPTED
