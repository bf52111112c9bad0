"""Plain, JSON-serialisable records shared by the model, the engine and the wire protocol.

Everything here is a ``TypedDict`` over JSON types (str, int, bool, None, list, dict), so a
record can be written with ``json.dumps`` and read back with ``json.loads`` unchanged. The
constants name the closed vocabularies of SPEC.md (privileges, depths, reasons, ...).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# --- vocabularies -------------------------------------------------------------------------

Privilege = Literal["create", "read", "write", "delete"]
PRIVILEGES: tuple[Privilege, ...] = ("create", "read", "write", "delete")
RowRight = Literal["read", "write", "delete"]
ROW_RIGHTS: tuple[RowRight, ...] = ("read", "write", "delete")

Depth = Literal["none", "user", "business_unit", "parent_child", "organization"]
#: Depths in increasing order of reach (SEC-1).
DEPTHS: tuple[Depth, ...] = ("none", "user", "business_unit", "parent_child", "organization")

RowFilter = Literal["all", "mine", "my_business_unit"]
ROW_FILTERS: tuple[RowFilter, ...] = ("all", "mine", "my_business_unit")

ConflictPolicy = Literal["client_wins", "server_wins"]
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = ("client_wins", "server_wins")

EditKind = Literal["create", "update", "delete"]

#: Why a local operation, an uploaded change or an administrator event was refused.
Reason = Literal[
    "not_offline",
    "privilege",
    "conflict",
    "not_found",
    "invalid",
    "busy",
    "idle",
    "network",
    "crashed",
]
SYNC_REASONS: tuple[Reason, ...] = ("privilege", "conflict", "not_found", "invalid")

JSON = Any  # a JSON value (column values are arbitrary JSON allowed by the column schema)
Values = dict[str, JSON]

# --- the world ----------------------------------------------------------------------------


class BusinessUnitSpec(TypedDict):
    id: str
    parent: str | None


class UserSpec(TypedDict):
    id: str
    business_unit: str
    manager: str | None
    roles: list[str]


class RoleSpec(TypedDict):
    id: str
    #: table -> privilege -> depth; a missing entry means depth "none".
    privileges: dict[str, dict[Privilege, Depth]]


class TableSpec(TypedDict):
    name: str
    #: column -> JSON Schema of the column's value (the subset listed in SPEC.md, WORLD-3).
    columns: dict[str, dict[str, JSON]]
    #: lookup column -> target table name.
    lookups: dict[str, str]
    #: columns under field-level security.
    secured: list[str]


class FieldPermissionSpec(TypedDict):
    table: str
    column: str
    #: users allowed to set this secured column (create or update).
    users: list[str]


class RowSpec(TypedDict):
    id: str
    table: str
    owner: str
    values: Values


class ShareSpec(TypedDict):
    row: str
    user: str
    rights: list[RowRight]


class AppModuleSpec(TypedDict):
    id: str
    offline_enabled: bool
    tables: list[str]


class ViewSpec(TypedDict):
    id: str
    table: str
    #: every table the view references (its own table is implied).
    references: list[str]


class HierarchySpec(TypedDict):
    enabled: bool
    depth: int


class DeviceSpec(TypedDict):
    id: str
    user: str


class WorldSpec(TypedDict):
    business_units: list[BusinessUnitSpec]
    users: list[UserSpec]
    roles: list[RoleSpec]
    tables: list[TableSpec]
    field_permissions: list[FieldPermissionSpec]
    rows: list[RowSpec]
    shares: list[ShareSpec]
    hierarchy: HierarchySpec
    app_modules: list[AppModuleSpec]
    #: offline profile: table -> row filter.
    profile: dict[str, RowFilter]
    views: list[ViewSpec]
    devices: list[DeviceSpec]
    conflict_policy: ConflictPolicy


# --- operations ---------------------------------------------------------------------------
# Every operation is a dict with a "kind". Device operations name a "device"; server-side
# events do not. Client-generated ids (row ids, operation ids) are chosen by the caller so
# that the model and an implementation see the same ids.


class Operation(TypedDict):
    kind: str
    device: NotRequired[str]
    table: NotRequired[str]
    row: NotRequired[str]
    values: NotRequired[Values]
    op_id: NotRequired[str]
    user: NotRequired[str]
    role: NotRequired[str]
    privilege: NotRequired[Privilege]
    depth: NotRequired[Depth]
    rights: NotRequired[list[RowRight]]
    manager: NotRequired[str | None]
    business_unit: NotRequired[str]
    owner: NotRequired[str]
    #: a fault injected into a cycle step (FAULT-1 to FAULT-4): see START_FAULTS, END_FAULTS
    fault: NotRequired[str]


DEVICE_EDIT_KINDS = ("create", "update", "delete")
DEVICE_KINDS = DEVICE_EDIT_KINDS + ("read", "sync_start", "sync_end", "restart")
SERVER_KINDS = (
    "assign_role",
    "remove_role",
    "set_depth",
    "share",
    "unshare",
    "set_manager",
    "move_user",
    "reassign",
    "server_create",
    "server_update",
    "server_delete",
)
#: operations on the system itself, not on a device nor on the server's data (FAULT-5)
SYSTEM_KINDS = ("server_restart",)
OPERATION_KINDS = DEVICE_KINDS + SERVER_KINDS + SYSTEM_KINDS

#: the faults a ``sync_start`` may carry: the upload lost before the server saw it, applied
#: with its answer lost, or the server restarted while handling it (before committing)
START_FAULTS = ("request_lost", "response_lost", "server_restart")
#: the faults a ``sync_end`` may carry: the download lost or cut, the server restarted before
#: answering, the app killed while storing the download
END_FAULTS = ("download_lost", "server_restart", "crash")


# --- results and observations -------------------------------------------------------------


class Result(TypedDict):
    """The answer to one operation."""

    status: Literal["accepted", "refused"]
    reason: NotRequired[Reason]
    #: for "read": row id -> values of the visible rows of the table.
    rows: NotRequired[dict[str, Values]]


class SyncError(TypedDict):
    table: str
    row: str
    op: EditKind
    reason: Reason


class DeviceObservation(TypedDict):
    #: table -> row id -> values, for rows visible on the device (cache plus pending edits).
    rows: dict[str, dict[str, Values]]
    views: list[str]
    metadata_tables: list[str]
    pending: int
    in_cycle: bool
    #: errors of the last completed cycle, in upload order.
    errors: list[SyncError]


class ServerRow(TypedDict):
    table: str
    owner: str
    values: Values


class Observation(TypedDict):
    devices: dict[str, DeviceObservation]
    server: dict[str, ServerRow]


class Step(TypedDict):
    operation: Operation
    result: Result
    observation: Observation
