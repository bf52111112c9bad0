"""Bugs on the server side of the sample implementation: each class changes one method."""

from __future__ import annotations

import json
from typing import Any

from implementations.sample.server.security import LEVEL, Security
from implementations.sample.server.service import Service

Json = dict[str, Any]


# --- security (SEC) ---------------------------------------------------------------------------


class BusinessUnitAsOrganization(Security):
    def reaches(self, user: str, level: int, owner: str) -> bool:
        if level >= LEVEL["business_unit"]:
            return True  # bug: Business Unit depth reaches every unit
        return super().reaches(user, level, owner)


class ParentChildWithoutGrandchildren(Security):
    def below(self, unit: str) -> set[str]:
        return {unit, *self.children(unit)}  # bug: one level down only


class FirstRoleWins(Security):
    def depth(self, user: str, table: str, privilege: str) -> int:
        found = self.grants(user, table, privilege)
        return found[0] if found else 0  # bug: the first role's grant, not the deepest


class CreateNeedsWrite(Security):
    def may_create(self, user: str, table: str, owner: str | None = None) -> bool:
        owner = user if owner is None else owner
        # bug: checks the wrong privilege
        own, teams = self.depth(user, table, "write"), self.team_grants(user, table, "write")
        return self.may_own(user, owner) and self.by_roles(user, own, teams, owner)


class SharingWithoutPrivilege(Security):
    def by_relation(
        self, right: str, held: bool, shared: set[str], team_shared: set[str], above: set[str]
    ) -> bool:
        if right in shared:
            return True  # bug: a share grants the right even without the privilege
        return super().by_relation(right, held, shared, team_shared, above)


class EveryManagerWrites(Security):
    def hierarchy_grant(self, levels: int) -> set[str]:
        if self.hierarchy()[2] == "manager":
            # bug: every manager up the chain gets every right
            return {"read", "write", "delete", "append", "append_to"}
        return super().hierarchy_grant(levels)


class DirectManagerDeletes(Security):
    def hierarchy_grant(self, levels: int) -> set[str]:
        found = super().hierarchy_grant(levels)
        if levels == 1 and self.hierarchy()[2] == "manager":
            return found | {"delete"}  # bug: as SEC-5 said before issue 12
        return found


class LowerPositionsReachHigher(Security):
    def levels_above(self, user: str, subject: str) -> int | None:
        if self.hierarchy()[2] == "position":
            return super().levels_above(subject, user)  # bug: the tree is walked the wrong way
        return super().levels_above(user, subject)


class TeamPrivilegesReachOwnRows(Security):
    def team_grants(self, user: str, table: str, privilege: str) -> list[tuple[str, int, str]]:
        found = super().team_grants(user, table, privilege)
        # bug: "Team privileges only" roles behave as direct_basic ones
        return [(team, level, "direct_basic") for team, level, _ in found]


class TeamShareWithoutPrivilege(Security):
    def by_relation(
        self, right: str, held: bool, shared: set[str], team_shared: set[str], above: set[str]
    ) -> bool:
        if right in team_shared:
            return True  # bug: a team's share counts even for a member without the privilege
        return super().by_relation(right, held, shared, team_shared, above)


class NoFieldSecurity(Security):
    def may_set(self, user: str, table: str, column: str) -> bool:
        return True  # bug: secured columns are never checked


def with_security(security: type[Security]) -> type[Service]:
    """A service using another set of security rules."""
    return type(f"{security.__name__}Service", (Service,), {"security_class": security})


# --- the service ------------------------------------------------------------------------------


class NoPrivilegeCheckOnUpload(Service):
    def _rejection(self, device: str, user: str, change: Json) -> str | None:
        reason = super()._rejection(device, user, change)
        return None if reason == "privilege" else reason  # bug: trusts the device's check


class AppendToNotCheckedAtSync(Service):
    def append_denied(self, user: str, table: str, values: Json, rights: set[str]) -> bool:
        if not self.sec.append_privileges():
            return False
        lookups = self._lookups().get(table, {})
        # bug: Append on the changed row is checked, Append To on the target is forgotten
        return "append" not in rights and any(
            c in lookups and v is not None for c, v in values.items()
        )


class WriteNeedsRead(Service):
    def _rejection(self, device: str, user: str, change: Json) -> str | None:
        reason = super()._rejection(device, user, change)
        found = self._row(change["row"])
        if reason is None and change["kind"] != "create" and found is not None:
            if "read" not in self.sec.rights_on(user, found[0], change["row"], found[1]):
                return "privilege"  # bug: an update or delete also needs Read
        return reason


class ErrorNamesLastRow(Service):
    def upload(self, device: str, user: str, changes: list[Json]) -> list[Json | None]:
        outcomes = super().upload(device, user, changes)
        # bug: the error is built after the loop, from the loop variable's last value
        return [None if o is None else {**o, "row": changes[-1]["row"]} for o in outcomes]


class DeleteOfMissingRowSucceeds(Service):
    def _rejection(self, device: str, user: str, change: Json) -> str | None:
        if change["kind"] == "delete" and self._row(change["row"]) is None:
            return None  # bug: "already gone" counts as a successful delete
        return super()._rejection(device, user, change)


class NoOperationLog(Service):
    def recorded(self, device: str, op_id: str) -> str | None:
        return None  # bug: operation ids are not looked up, a retried upload applies again


class AlwaysServerWins(Service):
    def conflict_policy(self) -> str:
        return "server_wins"  # bug: the world's client_wins policy is ignored


class OwnChangesConflict(Service):
    def changed_by_others(self, rid: str, base: int, device: str) -> bool:
        clash = self.db.execute(
            "SELECT 1 FROM row_changes WHERE row = ? AND number > ?", (rid, base)
        ).fetchone()
        return clash is not None  # bug: the device's own earlier changes count as conflicts


class ViewChecksOwnTableOnly(Service):
    def view_available(self, view: Json, tables: set[str]) -> bool:
        return bool(view["table"] in tables)  # bug: references are not checked


class MetadataForEveryTable(Service):
    def metadata(self) -> Json:
        found = super().metadata()
        every = sorted(t["name"] for t in self._kv("tables"))
        # bug: the device gets the schema of every table, not only of its own
        found["tables"] = every
        found["columns"] = {t: self._columns(t) for t in every}
        found["secured"] = {t: sorted(self._secured(t)) for t in every}
        return found


class OfflineFlagIgnored(Service):
    def device_tables(self) -> list[str]:
        modules = {t for m in self._kv("app_modules") for t in m["tables"]}
        return sorted(t for t in self._kv("profile") if t in modules)  # bug: any module


class MineFilterIgnored(Service):
    def _passes(self, user: str, row_filter: str, owner: str) -> bool:
        if row_filter == "mine":
            return True  # bug: "mine" downloads every row the user may read
        return super()._passes(user, row_filter, owner)


class RelatedNotChained(Service):
    def _related(self, downloaded: dict[str, Json], candidates: dict[str, Json]) -> list[str]:
        # bug: only rows related to the other tables' rows, not to rows downloaded as related
        direct = super()._related
        return [r for r in candidates if direct(downloaded, {r: candidates[r]})]


class RelatedFilterIgnored(Service):
    def _related(self, downloaded: dict[str, Json], candidates: dict[str, Json]) -> list[str]:
        return sorted(candidates)  # bug: "related" downloads every row the user may read


class RelatedIgnoresRead(Service):
    def _related(self, downloaded: dict[str, Json], candidates: dict[str, Json]) -> list[str]:
        profile, tables = self._kv("profile"), set(self.device_tables())
        query = "SELECT id, tbl, vals, version FROM rows"
        for rid, table, vals, version in self.db.execute(query).fetchall():
            if table in tables and profile[table] == "related" and rid not in candidates:
                # bug: a row of a related table is downloaded whether the user may read it
                candidates[rid] = {"table": table, "values": json.loads(vals), "version": version}
        return super()._related(downloaded, candidates)


class OperationLogInMemory(Service):
    """Keeps the record of applied operation ids in memory only: a restart forgets it."""

    def restart(self) -> None:
        super().restart()
        self.db.execute("DELETE FROM applied_ops")  # bug: the log did not survive


class ProfileReadIgnored(Service):
    def has_profile(self, user: str) -> bool:
        return True  # bug: every user goes offline, Read on the offline profile or not


class UploadsRefusedWithoutProfile(Service):
    def _upload_one(self, device: str, user: str, change: Json) -> Json | None:
        if not self.has_profile(user):  # bug: what was queued before a revocation is lost
            return {
                "table": change["table"],
                "row": change["row"],
                "op": change["kind"],
                "reason": "privilege",
            }
        return super()._upload_one(device, user, change)
