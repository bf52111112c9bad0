"""The mutant zoo: variants of the sample implementation, each with one small, realistic bug
that breaks one SPEC rule, named after that rule.

A mutant is the sample with one class swapped for a subclass from ``server_bugs`` or
``device_bugs``; ``factory`` builds an in-process adapter for it. ``family`` is the rule
family whose property the meta-test (tests/mutants) runs to kill it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from implementations.mutants import device_bugs as dev
from implementations.mutants import server_bugs as srv
from implementations.sample.adapter import SampleAdapter
from implementations.sample.device.client import Device
from implementations.sample.device.store import DeviceStore
from implementations.sample.server.service import Service


@dataclass(frozen=True)
class Mutant:
    #: ``<RULE>.<what goes wrong>``, e.g. ``STALE-1.live-privileges``
    name: str
    bug: str
    family: str
    classes: dict[str, type[Any]] = field(default_factory=dict)

    @property
    def rule(self) -> str:
        return self.name.split(".", 1)[0]

    def factory(self) -> SampleAdapter:
        classes: dict[str, Any] = dict(self.classes)
        return SampleAdapter(**classes)


def _service(cls: type[Service]) -> dict[str, type[Any]]:
    return {"service_class": cls}


def _device(cls: type[Device]) -> dict[str, type[Any]]:
    return {"device_class": cls}


def _store(cls: type[DeviceStore]) -> dict[str, type[Any]]:
    return {"store_class": cls}


MUTANTS: tuple[Mutant, ...] = (
    Mutant(
        "PROFILE-1.offline-flag-ignored",
        "tables of app modules that are not offline-enabled go to the device",
        "profile",
        _service(srv.OfflineFlagIgnored),
    ),
    Mutant(
        "PROFILE-3.view-references-unchecked",
        "a view is available though it references a table outside the device tables",
        "profile",
        _service(srv.ViewChecksOwnTableOnly),
    ),
    Mutant(
        "PROFILE-4.metadata-for-every-table",
        "metadata for tables outside the profile is downloaded",
        "profile",
        _service(srv.MetadataForEveryTable),
    ),
    Mutant(
        "PROFILE-5.mine-filter-ignored",
        "the 'mine' row filter downloads every readable row",
        "profile",
        _service(srv.MineFilterIgnored),
    ),
    Mutant(
        "PROFILE-7.related-not-chained",
        "rows related only to the other tables' rows: not to rows downloaded as related",
        "profile",
        _service(srv.RelatedNotChained),
    ),
    Mutant(
        "PROFILE-7.related-filter-ignored",
        "the 'related' row filter downloads every readable row",
        "profile",
        _service(srv.RelatedFilterIgnored),
    ),
    Mutant(
        "PROFILE-7.related-rows-without-read",
        "a row related to a downloaded row is downloaded though the user may not read it",
        "profile",
        _service(srv.RelatedIgnoresRead),
    ),
    Mutant(
        "SEC-1.business-unit-as-organization",
        "Business Unit depth is evaluated as Organization",
        "security",
        _service(srv.with_security(srv.BusinessUnitAsOrganization)),
    ),
    Mutant(
        "SEC-1.parent-child-without-grandchildren",
        "Parent:Child depth reaches child units but not their children",
        "security",
        _service(srv.with_security(srv.ParentChildWithoutGrandchildren)),
    ),
    Mutant(
        "SEC-2.first-role-wins",
        "the first role's grant is used instead of the deepest",
        "security",
        _service(srv.with_security(srv.FirstRoleWins)),
    ),
    Mutant(
        "SEC-3.create-needs-write",
        "create is allowed by the Write privilege instead of Create",
        "security",
        _service(srv.with_security(srv.CreateNeedsWrite)),
    ),
    Mutant(
        "SEC-4.sharing-without-privilege",
        "sharing is honoured for a user without the privilege at User depth",
        "security",
        _service(srv.with_security(srv.SharingWithoutPrivilege)),
    ),
    Mutant(
        "SEC-5.every-manager-writes",
        "managers above the direct one get write and delete too",
        "security",
        _service(srv.with_security(srv.EveryManagerWrites)),
    ),
    Mutant(
        "SEC-5.direct-manager-deletes",
        "the direct manager also gets Delete on their reports' rows",
        "security",
        _service(srv.with_security(srv.DirectManagerDeletes)),
    ),
    Mutant(
        "SEC-6.field-security-on-device",
        "the device refuses edits of secured columns",
        "security",
        _device(dev.FieldSecurityOnDevice),
    ),
    Mutant(
        "SEC-7.field-security-not-enforced",
        "the server lets anyone set secured columns",
        "security",
        _service(srv.with_security(srv.NoFieldSecurity)),
    ),
    Mutant(
        "SEC-8.lower-positions-reach-higher",
        "the position tree is walked downwards: lower positions reach higher ones' rows",
        "security",
        _service(srv.with_security(srv.LowerPositionsReachHigher)),
    ),
    Mutant(
        "SEC-9.team-privileges-reach-own-rows",
        "a team role with Team privileges only also covers the member's own rows",
        "security",
        _service(srv.with_security(srv.TeamPrivilegesReachOwnRows)),
    ),
    Mutant(
        "SEC-10.team-share-without-privilege",
        "a team's share counts for a member who lacks the privilege",
        "security",
        _service(srv.with_security(srv.TeamShareWithoutPrivilege)),
    ),
    Mutant(
        "SEC-11.append-to-not-checked-at-sync",
        "the server checks Append on the changed row but not Append To on the row named",
        "validation",
        _service(srv.AppendToNotCheckedAtSync),
    ),
    Mutant(
        "SEC-12.write-needs-read",
        "the server rejects an update or delete by a user who may write but not read the row",
        "validation",
        _service(srv.WriteNeedsRead),
    ),
    Mutant(
        "STALE-1.live-privileges",
        "a privilege change applies on the device before the next sync",
        "staleness",
        _device(dev.FreshPrivileges),
    ),
    Mutant(
        "STALE-2.new-rows-shown-early",
        "newly readable rows are shown before the next sync",
        "staleness",
        _device(dev.NewRowsShownEarly),
    ),
    Mutant(
        "STALE-3.lost-rows-hidden-early",
        "rows no longer readable on the server vanish before the next sync",
        "staleness",
        _device(dev.LostRowsHidden),
    ),
    Mutant(
        "STALE-4.snapshot-not-refreshed",
        "a sync downloads rows but keeps the old privilege snapshot",
        "staleness",
        _device(dev.SnapshotKeptAtSync),
    ),
    Mutant(
        "VALID-1.no-privilege-check-on-upload",
        "the server applies uploaded changes without checking current privileges",
        "validation",
        _service(srv.NoPrivilegeCheckOnUpload),
    ),
    Mutant(
        "VALID-2.error-names-wrong-row",
        "a rejected change's error names the batch's last row",
        "validation",
        _service(srv.ErrorNamesLastRow),
    ),
    Mutant(
        "VALID-2.errors-replaced-each-cycle",
        "a completed cycle's errors replace the errors still open (the old behaviour)",
        "sync_errors",
        _device(dev.ErrorsReplacedEachCycle),
    ),
    Mutant(
        "VALID-3.delete-of-missing-row-succeeds",
        "deleting a row that no longer exists is reported as success",
        "validation",
        _service(srv.DeleteOfMissingRowSucceeds),
    ),
    Mutant(
        "VALID-4.rejected-create-kept",
        "a rejected create stays on the device after the sync",
        "validation",
        _device(dev.RejectedCreateKept),
    ),
    Mutant(
        "VALID-4.rejected-update-kept",
        "a rejected update is not rolled back on the device",
        "conflicts",
        _device(dev.RejectedUpdateKept),
    ),
    Mutant(
        "VALID-5.retry-reuses-op-id",
        "a retry queues the change again under its old operation id: the server answers with "
        "the first outcome",
        "sync_errors",
        _device(dev.RetryReusesOperationId),
    ),
    Mutant(
        "VALID-5.dismiss-clears-all",
        "dismissing one sync error closes every open error",
        "sync_errors",
        _device(dev.DismissClearsAll),
    ),
    Mutant(
        "SYNC-1.pending-count-without-batch",
        "the pending count leaves out the batch under way",
        "outbox",
        _device(dev.PendingCountsQueuedOnly),
    ),
    Mutant(
        "SYNC-2.newest-first-upload",
        "the outbox is uploaded newest first",
        "outbox",
        _store(dev.NewestFirst),
    ),
    Mutant(
        "SYNC-3.edits-during-cycle-lost",
        "edits made during a sync cycle are dropped when it ends",
        "outbox",
        _store(dev.AcknowledgeEverything),
    ),
    Mutant(
        "SYNC-5.retry-applied-twice",
        "an upload sent again is applied again",
        "outbox",
        _service(srv.NoOperationLog),
    ),
    Mutant(
        "SYNC-6.updates-shown-after-sync",
        "a local update shows only after the server has it",
        "outbox",
        _device(dev.UpdatesShownAfterSync),
    ),
    Mutant(
        "SYNC-8.restart-drops-batch",
        "a restart during a cycle loses the batch under way",
        "outbox",
        _store(dev.RestartDropsBatch),
    ),
    Mutant(
        "CONFLICT-1.own-changes-conflict",
        "the device's own earlier changes count as conflicts",
        "conflicts",
        _service(srv.OwnChangesConflict),
    ),
    Mutant(
        "CONFLICT-2.client-wins-as-server-wins",
        "client_wins behaves as server_wins",
        "conflicts",
        _service(srv.AlwaysServerWins),
    ),
    Mutant(
        "DEVICE-1.privilege-before-values",
        "the device checks privileges before the values of an update",
        "validation",
        _device(dev.PrivilegeBeforeValues),
    ),
    Mutant(
        "FAULT-1.lost-upload-acknowledged",
        "an upload that failed is taken as received: its batch leaves the outbox",
        "faults",
        _device(dev.LostUploadAcknowledged),
    ),
    Mutant(
        "FAULT-2.retry-under-new-ids",
        "a failed upload is retried under new operation ids (applied twice when it had "
        "gone through)",
        "faults",
        _device(dev.RetryUnderNewIds),
    ),
    Mutant(
        "FAULT-3.lost-download-acknowledges",
        "a sync end whose download was lost acknowledges the batch anyway",
        "faults",
        _device(dev.LostDownloadAcknowledges),
    ),
    Mutant(
        "FAULT-4.download-stored-in-two-steps",
        "the rows and the acknowledgement are committed before the snapshot: an app killed "
        "in between keeps half a download",
        "faults",
        _device(dev.DownloadStoredInTwoSteps),
    ),
    Mutant(
        "FAULT-5.operation-log-in-memory",
        "the record of applied operation ids is lost when the server restarts",
        "faults",
        _service(srv.OperationLogInMemory),
    ),
    Mutant(
        "PROFILE-6.offline-operations-ignored",
        "an edit its table does not allow offline is queued anyway",
        "profile",
        _device(dev.OfflineOperationsIgnored),
    ),
    Mutant(
        "PROFILE-6.delete-with-create",
        "a table that allows creates offline is taken to allow deletes too",
        "profile",
        _device(dev.DeleteAllowedOnCreateOnlyTables),
    ),
    Mutant(
        "PROFILE-8.profile-read-ignored",
        "a user without Read on the offline profile gets the device tables anyway",
        "profile",
        _service(srv.ProfileReadIgnored),
    ),
    Mutant(
        "PROFILE-8.outbox-refused-after-revocation",
        "edits queued before Read on the offline profile was revoked are refused at sync",
        "profile",
        _service(srv.UploadsRefusedWithoutProfile),
    ),
)

MUTANT_BY_NAME = {m.name: m for m in MUTANTS}
