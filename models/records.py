"""Plain, JSON-serialisable records shared by the model, the engine and the wire protocol.

Everything here is a ``TypedDict`` over JSON types (str, int, bool, None, list, dict), so a
record can be written with ``json.dumps`` and read back with ``json.loads`` unchanged. The
constants name the closed vocabularies of SPEC.md (privileges, depths, reasons, ...).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

# --- vocabularies -------------------------------------------------------------------------

Privilege = Literal["create", "read", "write", "delete", "append", "append_to"]
#: every privilege of SEC-2; the last two only with Append privileges in the world (SEC-11)
PRIVILEGES: tuple[Privilege, ...] = ("create", "read", "write", "delete", "append", "append_to")
#: the privileges of a world without Append privileges
BASIC_PRIVILEGES: tuple[Privilege, ...] = PRIVILEGES[:4]
RowRight = Literal["read", "write", "delete", "append", "append_to"]
#: every right on one row (SEC-4); the last two only with Append privileges (SEC-11)
ROW_RIGHTS: tuple[RowRight, ...] = ("read", "write", "delete", "append", "append_to")
BASIC_ROW_RIGHTS: tuple[RowRight, ...] = ROW_RIGHTS[:3]
#: what the direct manager (SEC-5) or direct parent position (SEC-8) gets: not Delete
DIRECT_HIERARCHY_RIGHTS: frozenset[RowRight] = frozenset({"read", "write", "append", "append_to"})

Depth = Literal["none", "user", "business_unit", "parent_child", "organization"]
#: Depths in increasing order of reach (SEC-1).
DEPTHS: tuple[Depth, ...] = ("none", "user", "business_unit", "parent_child", "organization")

RowFilter = Literal["all", "mine", "my_business_unit", "related"]
#: every row filter; ``related`` (PROFILE-7) only with the capability related_rows
ROW_FILTERS: tuple[RowFilter, ...] = ("all", "mine", "my_business_unit", "related")
#: the row filters of PROFILE-5 (every implementation)
BASIC_ROW_FILTERS: tuple[RowFilter, ...] = ROW_FILTERS[:3]
#: at most this many ``related`` tables in a profile (PROFILE-7, WORLD-1)
MAX_RELATED_TABLES = 10

ConflictPolicy = Literal["client_wins", "server_wins"]
CONFLICT_POLICIES: tuple[ConflictPolicy, ...] = ("client_wins", "server_wins")

HierarchyModel = Literal["manager", "position"]
HIERARCHY_MODELS: tuple[HierarchyModel, ...] = ("manager", "position")
TeamKind = Literal["owner", "access"]
TEAM_KINDS: tuple[TeamKind, ...] = ("owner", "access")
#: a team role's member's privilege inheritance (SEC-9): Team privileges only, or Direct User
#: (Basic) access level and Team privileges
Inheritance = Literal["team", "direct_basic"]
INHERITANCES: tuple[Inheritance, ...] = ("team", "direct_basic")

EditKind = Literal["create", "update", "delete"]
#: what a table may allow offline (PROFILE-6)
OfflineOperation = Literal["create", "read", "update", "delete"]
OFFLINE_OPERATIONS: tuple[OfflineOperation, ...] = ("create", "read", "update", "delete")

#: Why a local operation, an uploaded change or an administrator event was refused.
Reason = Literal[
    "not_offline",
    "not_supported_offline",
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
    #: the user's position (SEC-8); absent or None: none
    position: NotRequired[str | None]


class RoleSpec(TypedDict):
    id: str
    #: table -> privilege -> depth; a missing entry means depth "none".
    privileges: dict[str, dict[Privilege, Depth]]
    #: for a role of a team (SEC-9); absent: "team"
    member_inheritance: NotRequired[Inheritance]


class TableSpec(TypedDict):
    name: str
    #: column -> JSON Schema of the column's value (the subset listed in SPEC.md, WORLD-3).
    columns: dict[str, dict[str, JSON]]
    #: lookup column -> target table name.
    lookups: dict[str, str]
    #: columns under field-level security.
    secured: list[str]
    #: capability offline_operations (PROFILE-6): the operations that work offline, "read"
    #: among them; absent: all four
    offline_operations: NotRequired[list[OfflineOperation]]


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


class TeamShareSpec(TypedDict):
    """A row shared with a team (SEC-10)."""

    row: str
    team: str
    rights: list[RowRight]


class TeamSpec(TypedDict):
    """An owner team (roles, owns rows: SEC-9) or an access team (neither: SEC-10)."""

    id: str
    kind: TeamKind
    business_unit: str
    members: list[str]
    roles: list[str]


class PositionSpec(TypedDict):
    """A position of the position hierarchy (SEC-8)."""

    id: str
    parent: str | None


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
    #: absent: "manager" (SEC-5); "position" needs the capability position_hierarchy (SEC-8)
    model: NotRequired[HierarchyModel]


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
    #: offline profile: table -> row filter ("related" needs the capability related_rows:
    #: PROFILE-7)
    profile: dict[str, RowFilter]
    views: list[ViewSpec]
    devices: list[DeviceSpec]
    conflict_policy: ConflictPolicy
    # --- parts of optional capabilities: absent in a world for an implementation without them
    #: capability position_hierarchy (SEC-8); absent: no positions
    positions: NotRequired[list[PositionSpec]]
    #: capability teams (SEC-9, SEC-10); absent: no teams, no team shares
    teams: NotRequired[list[TeamSpec]]
    team_shares: NotRequired[list[TeamShareSpec]]
    #: capability append (SEC-11): roles grant Append and Append To and lookups need them;
    #: absent or false: they do not matter
    append_privileges: NotRequired[bool]
    #: capability profile_membership (PROFILE-8): the users with Read on the offline profile;
    #: absent: every user
    profile_users: NotRequired[list[str]]


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
    #: the owner of a server-side create or reassignment, or of a device's create (SEC-9)
    owner: NotRequired[str]
    #: a fault injected into a cycle step (FAULT-1 to FAULT-4): see START_FAULTS, END_FAULTS
    fault: NotRequired[str]
    team: NotRequired[str]
    #: set_position: the position (None: none); move_position: the position moved
    position: NotRequired[str | None]
    #: move_position: the new parent (None: a root)
    parent: NotRequired[str | None]
    #: retry, dismiss: the open sync error they name, by the operation id of its failed
    #: change (VALID-5); a retry's own ``op_id`` is the new operation id of the change
    error: NotRequired[str]


DEVICE_EDIT_KINDS = ("create", "update", "delete")
#: what the user does with an open sync error (VALID-5, capability sync_error_retry)
ERROR_KINDS = ("retry", "dismiss")
DEVICE_KINDS = DEVICE_EDIT_KINDS + ("read", "sync_start", "sync_end", "restart") + ERROR_KINDS
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
    "set_position",
    "move_position",
    "add_member",
    "remove_member",
    "assign_team_role",
    "remove_team_role",
    "share_team",
    "unshare_team",
    "grant_profile",
    "revoke_profile",
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
    """A change rejected at sync, open until the user retries or dismisses it (VALID-2)."""

    table: str
    row: str
    op: EditKind
    reason: Reason
    #: the change's values (an update's changed columns; a delete's: none)
    values: Values
    #: the change's operation id: it names the error (VALID-5)
    op_id: str


class DeviceObservation(TypedDict):
    #: table -> row id -> values, for rows visible on the device (cache plus pending edits).
    rows: dict[str, dict[str, Values]]
    views: list[str]
    metadata_tables: list[str]
    pending: int
    in_cycle: bool
    #: the open sync errors, in the order they were recorded (VALID-2).
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
