"""The source document's own examples, written as replayable scenarios of the model.

Each scenario is a world, a list of operations, and expectations on the steps. ``check`` runs
one through the model and returns what did not hold (an empty list when it passed). Scenarios
are plain data, so an implementation under test can be driven through the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from models.examples import sample_world
from models.records import Depth, HierarchyModel, Operation, Privilege, Step, WorldSpec
from models.system import run

#: (index of the step, what is expected, predicate on that step)
Expectation = tuple[int, str, Callable[[Step], bool]]


@dataclass(frozen=True)
class Scenario:
    name: str
    rules: tuple[str, ...]
    source: str
    world: WorldSpec
    operations: list[Operation]
    expectations: list[Expectation] = field(default_factory=list)


def check(scenario: Scenario) -> list[str]:
    """Run a scenario through the model; return each expectation that failed, as text."""
    steps = run(scenario.world, scenario.operations)
    failures = []
    for index, what, holds in scenario.expectations:
        if not holds(steps[index]):
            failures.append(f"step {index} ({scenario.operations[index]['kind']}): {what}")
    return failures


def _device(step: Step, device: str) -> dict[str, object]:
    return dict(step["observation"]["devices"][device])


def _shows(step: Step, device: str, table: str, row: str) -> bool:
    return row in step["observation"]["devices"][device]["rows"].get(table, {})


_REVOKE_WRITE: Operation = {
    "kind": "set_depth",
    "role": "salesperson",
    "table": "account",
    "privilege": "write",
    "depth": "none",
}
_REVOKE_READ: Operation = {
    "kind": "set_depth",
    "role": "salesperson",
    "table": "account",
    "privilege": "read",
    "depth": "none",
}
_START: Operation = {"kind": "sync_start", "device": "bob-phone"}
_ALICE_START: Operation = {"kind": "sync_start", "device": "alice-phone"}
_ALICE_END: Operation = {"kind": "sync_end", "device": "alice-phone"}
_TABLES = ("account", "contact", "opportunity", "task")
_EVERY_AT_USER: dict[Privilege, Depth] = {
    "create": "user",
    "read": "user",
    "write": "user",
    "delete": "user",
}


def _own_world(model: HierarchyModel = "manager") -> WorldSpec:
    """The sample world where everyone holds only the role own (every privilege on every
    table at User depth), with hierarchy security in ``model``: in the position model, carol
    holds vp, alice sales-mgr and bob sales (vp > sales-mgr > sales)."""
    world = sample_world()
    world["hierarchy"]["model"] = model
    world["roles"].append({"id": "own", "privileges": {t: dict(_EVERY_AT_USER) for t in _TABLES}})
    for user in world["users"]:
        user["roles"] = ["own"]
    if model == "position":
        world["positions"] = [
            {"id": "vp", "parent": None},
            {"id": "sales-mgr", "parent": "vp"},
            {"id": "sales", "parent": "sales-mgr"},
        ]
        holders = {"carol": "vp", "alice": "sales-mgr", "bob": "sales"}
        for user in world["users"]:
            user["position"] = holders.get(user["id"])
            user["manager"] = None  # managers give nothing here anyway
    return world


def _team_world(alice_in_team: bool = True) -> WorldSpec:
    """The sample world with an owner team east-team (unit east) whose role grants account at
    User depth, Team privileges only; alice (who holds only the role reader) is its only
    member, or with ``alice_in_team`` False it has none. An access team helpers has alice and
    bob; acc-west is shared with it for Read and Write."""
    world = sample_world()
    world["hierarchy"]["enabled"] = False
    world["roles"].append(
        {
            "id": "team-role",
            "privileges": {"account": dict(_EVERY_AT_USER)},
            "member_inheritance": "team",
        }
    )
    for user in world["users"]:
        if user["id"] == "alice":
            user["roles"] = ["reader"]  # reads everything; creates nothing of her own
    world["teams"] = [
        {
            "id": "east-team",
            "kind": "owner",
            "business_unit": "east",
            "members": ["alice"] if alice_in_team else [],
            "roles": ["team-role"],
        },
        {"id": "helpers", "kind": "access", "business_unit": "org", "members": ["alice", "bob"],
         "roles": []},
    ]  # fmt: skip
    world["team_shares"] = [{"row": "acc-west", "team": "helpers", "rights": ["read", "write"]}]
    return world


def _append_world() -> WorldSpec:
    """The sample world with Append privileges: salespeople hold Append on account and Append
    To on contact, both at User depth."""
    world = sample_world()
    world["append_privileges"] = True
    for role in world["roles"]:
        if role["id"] == "salesperson":
            role["privileges"]["account"]["append"] = "user"
            role["privileges"]["contact"]["append_to"] = "user"
    world["rows"].append(
        {"id": "con-dan", "table": "contact", "owner": "dan",
         "values": {"fullname": "Dan's", "email": None}}
    )  # fmt: skip
    return world


def _read_and_delete_tasks() -> WorldSpec:
    """The sample world where tasks allow only Read and Delete offline (as the platform's
    Activity Pointer does)."""
    world = sample_world()
    world["tables"] = [
        {**t, "offline_operations": ["read", "delete"]} if t["name"] == "task" else t
        for t in world["tables"]
    ]  # fmt: skip
    return world


def _without_profile_read(*users: str) -> WorldSpec:
    """The sample world where ``users`` have no Read on the offline profile."""
    world = sample_world()
    world["profile_users"] = [u["id"] for u in world["users"] if u["id"] not in users]
    return world


def _related_world() -> WorldSpec:
    """The sample world with the profile opportunity (all), account and contact (related rows
    only): bob's opportunity opp-east names acc-east, whose primary contact is con-east; bob's
    con-lone is named by nothing."""
    world = sample_world({"opportunity": "all", "account": "related", "contact": "related"})
    world["rows"].append(
        {"id": "opp-east", "table": "opportunity", "owner": "bob",
         "values": {"topic": "Renewal", "stage": "qualify", "account": "acc-east"}}
    )  # fmt: skip
    world["rows"].append(
        {"id": "con-lone", "table": "contact", "owner": "bob",
         "values": {"fullname": "Lone", "email": None}}
    )  # fmt: skip
    return world


_END: Operation = {"kind": "sync_end", "device": "bob-phone"}
#: bob raises the revenue of his own account (his phone, operation op-1)
_UPDATE_EAST: Operation = {
    "kind": "update",
    "device": "bob-phone",
    "table": "account",
    "row": "acc-east",
    "values": {"revenue": 999},
    "op_id": "op-1",
}
_ACCOUNT = {"name": "Adatum", "revenue": 7, "primarycontact": None, "creditlimit": None}

SCENARIOS: list[Scenario] = [
    Scenario(
        name="account-view-needs-contact",
        rules=("PROFILE-1", "PROFILE-2", "PROFILE-3", "PROFILE-4"),
        source=(
            "assuming Account is in the offline profile, then an Account view that references "
            "the primary contact when Contact isn't in the profile isn't available."
        ),
        world=sample_world(profile={"account": "all", "task": "all"}),
        operations=[
            {"kind": "read", "device": "bob-phone", "table": "account"},
            {"kind": "read", "device": "bob-phone", "table": "contact"},
        ],
        expectations=[
            (
                0,
                "the Account view without references is available",
                lambda s: "active-accounts" in s["observation"]["devices"]["bob-phone"]["views"],
            ),
            (
                0,
                "the Account view referencing the primary contact is not available",
                lambda s: (
                    "accounts-with-contact" not in s["observation"]["devices"]["bob-phone"]["views"]
                ),
            ),
            (
                0,
                "metadata covers exactly account and task",
                lambda s: _device(s, "bob-phone")["metadata_tables"] == ["account", "task"],
            ),
            (0, "reading account works", lambda s: s["result"]["status"] == "accepted"),
            (
                1,
                "reading contact is refused as not_offline",
                lambda s: s["result"] == {"status": "refused", "reason": "not_offline"},
            ),
        ],
    ),
    Scenario(
        name="revoked-privilege-edit-rejected-at-sync",
        rules=("STALE-1", "VALID-1", "VALID-2", "VALID-4", "STALE-4"),
        source=(
            "Until that time, users can continue to access data according to their previous "
            "security privileges, but any changes they make are validated during the "
            "synchronization to the server. If they no longer have privileges to make changes "
            "for a row, they receive an error and the row won't be created, updated, or deleted."
        ),
        world=sample_world(),
        operations=[
            _REVOKE_WRITE,
            _UPDATE_EAST,
            _START,
            _END,
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"revenue": 1000},
                "op_id": "op-2",
            },
        ],
        expectations=[
            (
                1,
                "the offline edit is still accepted on the device",
                lambda s: s["result"]["status"] == "accepted",
            ),
            (
                1,
                "the device shows its edit",
                lambda s: (
                    s["observation"]["devices"]["bob-phone"]["rows"]["account"]["acc-east"][
                        "revenue"
                    ]
                    == 999
                ),
            ),
            (
                3,
                "the sync reports exactly one privilege error for the row",
                lambda s: (
                    s["observation"]["devices"]["bob-phone"]["errors"]
                    == [
                        {
                            "table": "account",
                            "row": "acc-east",
                            "op": "update",
                            "reason": "privilege",
                            "values": {"revenue": 999},
                            "op_id": "op-1",
                        }
                    ]
                ),
            ),
            (
                3,
                "the row is not changed on the server",
                lambda s: s["observation"]["server"]["acc-east"]["values"]["revenue"] == 100,
            ),
            (
                3,
                "the device shows the server's values again",
                lambda s: (
                    s["observation"]["devices"]["bob-phone"]["rows"]["account"]["acc-east"][
                        "revenue"
                    ]
                    == 100
                ),
            ),
            (
                4,
                "after the sync the device knows the privilege is gone",
                lambda s: s["result"] == {"status": "refused", "reason": "privilege"},
            ),
        ],
    ),
    Scenario(
        name="read-access-lost-stays-until-sync",
        rules=("STALE-3", "STALE-4", "SYNC-4"),
        source=(
            "Any changes to a user's privilege to view a row won't take effect on the mobile "
            "device until the next synchronization cycle."
        ),
        world=sample_world(),
        operations=[
            _REVOKE_READ,
            {"kind": "read", "device": "bob-phone", "table": "account"},
            _START,
            _END,
        ],
        expectations=[
            (
                1,
                "the row is still visible on the device",
                lambda s: "acc-east" in s["result"].get("rows", {}),
            ),
            (
                3,
                "after the sync the row is gone",
                lambda s: not _shows(s, "bob-phone", "account", "acc-east"),
            ),
            (
                3,
                "and the other device of the same user, not synced, still shows it",
                lambda s: _shows(s, "bob-tablet", "account", "acc-east"),
            ),
        ],
    ),
    Scenario(
        name="new-rows-wait-for-sync",
        rules=("STALE-2", "EVENT-1", "SYNC-4"),
        source=(
            "Any changes to a user's privilege to view a row won't take effect on the mobile "
            "device until the next synchronization cycle."
        ),
        world=sample_world(),
        operations=[
            {"kind": "share", "row": "acc-west", "user": "bob", "rights": ["read"]},
            _START,
            _END,
        ],
        expectations=[
            (
                0,
                "the shared row is not on the device yet",
                lambda s: not _shows(s, "bob-phone", "account", "acc-west"),
            ),
            (2, "after the sync it is", lambda s: _shows(s, "bob-phone", "account", "acc-west")),
        ],
    ),
    Scenario(
        name="edits-during-a-cycle-belong-to-the-next",
        rules=("SYNC-3", "SYNC-7", "SYNC-1", "SYNC-6"),
        source="Users can still use the mobile apps during synchronization.",
        world=sample_world(),
        operations=[
            _START,
            {
                "kind": "create",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-new",
                "values": _ACCOUNT,
                "op_id": "op-1",
            },
            _END,
            _START,
            _END,
        ],
        expectations=[
            (
                1,
                "an edit during the cycle is accepted",
                lambda s: s["result"]["status"] == "accepted",
            ),
            (
                2,
                "it survives the download and is still pending",
                lambda s: (
                    _shows(s, "bob-phone", "account", "acc-new")
                    and _device(s, "bob-phone")["pending"] == 1
                    and "acc-new" not in s["observation"]["server"]
                ),
            ),
            (
                4,
                "the next cycle uploads it once",
                lambda s: (
                    "acc-new" in s["observation"]["server"]
                    and _device(s, "bob-phone")["pending"] == 0
                ),
            ),
        ],
    ),
    Scenario(
        name="direct-manager-reads-and-writes-but-does-not-delete",
        rules=("SEC-5", "DEVICE-1"),
        source=(
            "Hierarchy security to control access: For a nondirect report in the same "
            "management chain of the manager, a manager has read-only access to the nondirect "
            "report's data. For a direct report, the manager has Read, Write, Append, AppendTo "
            "access to the report's data."
        ),
        world=_own_world(),
        operations=[
            {
                "kind": "update",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"revenue": 1},
                "op_id": "op-1",
            },
            {
                "kind": "delete",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-east",
                "op_id": "op-2",
            },
            _ALICE_START,
            _ALICE_END,
        ],  # fmt: skip
        expectations=[
            (0, "alice, bob's manager, may write bob's row", lambda s: _accepted(s)),
            (1, "but not delete it", lambda s: _refused(s, "privilege")),
            (
                3,
                "the write reaches the server",
                lambda s: s["observation"]["server"]["acc-east"]["values"]["revenue"] == 1,
            ),
        ],
    ),
    Scenario(
        name="position-parent-writes-higher-position-reads",
        rules=("SEC-8",),
        source=(
            "Hierarchy security to control access: The direct higher positions have Read, "
            "Write, Append, AppendTo access to the lower positions' data in the direct ancestor "
            "path. The nondirect higher positions have read-only access to the lower positions' "
            "data in the direct ancestor path."
        ),
        world=_own_world("position"),
        operations=[
            {
                "kind": "update",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"revenue": 2},
                "op_id": "op-1",
            },
            {"kind": "set_position", "user": "alice", "position": None},
            _ALICE_START,
            _ALICE_END,
        ],  # fmt: skip
        expectations=[
            (0, "alice (sales-mgr) may write a row of bob (sales)", lambda s: _accepted(s)),
            (
                3,
                "out of her position, the write is rejected and bob's rows leave her device",
                lambda s: (
                    _device(s, "alice-phone")["errors"]
                    == [
                        {
                            "table": "account",
                            "row": "acc-east",
                            "op": "update",
                            "reason": "privilege",
                            "values": {"revenue": 2},
                            "op_id": "op-1",
                        }
                    ]
                    and not _shows(s, "alice-phone", "account", "acc-east")
                ),
            ),  # fmt: skip
        ],
    ),
    Scenario(
        name="a-team-member-creates-for-the-team",
        rules=("SEC-9", "SEC-3", "SEC-10"),
        source=(
            "Security roles and privileges: For team members who do not have user privileges of "
            "their own, they can only create records with the team as the owner and they have "
            "access to records owned by the Team when Basic access level for Create and Read "
            "were given."
        ),
        world=_team_world(),
        operations=[
            {
                "kind": "create",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-1",
                "values": _ACCOUNT,
                "op_id": "op-1",
            },
            {
                "kind": "create",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-2",
                "values": _ACCOUNT,
                "op_id": "op-2",
                "owner": "east-team",
            },
            _ALICE_START,
            _ALICE_END,
        ],  # fmt: skip
        expectations=[
            (0, "alice may not create a row of her own", lambda s: _refused(s, "privilege")),
            (1, "she may create one for her team", lambda s: _accepted(s)),
            (
                3,
                "the row is the team's",
                lambda s: s["observation"]["server"]["acc-2"]["owner"] == "east-team",
            ),
        ],
    ),
    Scenario(
        name="an-access-team-share-counts-within-each-members-privileges",
        rules=("SEC-10", "SEC-4"),
        source=(
            "Use access teams and owner teams: An access team doesn't own records and doesn't "
            "have security roles assigned to the team. The team members have privileges defined "
            "by their individual security roles ... The records are shared with an access team "
            "and the team is granted access rights on the records"
        ),
        world=_team_world(alice_in_team=False),
        operations=[
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-west",
                "values": {"revenue": 3},
                "op_id": "op-1",
            },
            {
                "kind": "update",
                "device": "alice-phone",
                "table": "account",
                "row": "acc-west",
                "values": {"revenue": 4},
                "op_id": "op-2",
            },
        ],  # fmt: skip
        expectations=[
            (0, "bob (Write at User depth) writes the shared row", lambda s: _accepted(s)),
            (
                0,
                "and sees it",
                lambda s: _shows(s, "bob-phone", "account", "acc-west"),
            ),
            (
                1,
                "alice, a member too but with no Write privilege at all, may not",
                lambda s: _refused(s, "privilege"),
            ),
        ],
    ),
    Scenario(
        name="a-lookup-needs-append-to-on-the-row-it-names",
        rules=("SEC-11", "STALE-1", "VALID-1"),
        source=(
            "Security roles and privileges: *Append* means to attach another record ... to a "
            "record. *Append to* means to be attached to a record."
        ),
        world=_append_world(),
        operations=[
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"primarycontact": "con-dan"},
                "op_id": "op-1",
            },
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"primarycontact": None},
                "op_id": "op-2",
            },
            _START,
            _END,
        ],  # fmt: skip
        expectations=[
            (0, "dan's contact is not on bob's phone: the server decides", lambda s: _accepted(s)),
            (1, "clearing a lookup needs neither Append nor Append To", lambda s: _accepted(s)),
            (
                3,
                "bob holds no Append To on dan's contact: the first change is rejected",
                lambda s: (
                    _device(s, "bob-phone")["errors"]
                    == [
                        {
                            "table": "account",
                            "row": "acc-east",
                            "op": "update",
                            "reason": "privilege",
                            "values": {"primarycontact": "con-dan"},
                            "op_id": "op-1",
                        }
                    ]
                    and s["observation"]["server"]["acc-east"]["values"]["primarycontact"] is None
                ),
            ),  # fmt: skip
        ],
    ),
    Scenario(
        name="related-rows-follow-the-chain-of-lookups",
        rules=("PROFILE-7", "STALE-3"),
        source=(
            "Set up mobile offline: a table's rows can be limited to related rows only, the"
            " rows reached through a relationship from rows downloaded for the other tables."
        ),
        world=_related_world(),
        operations=[
            {"kind": "server_update", "row": "opp-east", "values": {"account": None}},
            _START,
            _END,
        ],  # fmt: skip
        expectations=[
            (
                0,
                "signed in, bob holds acc-east (named by his opportunity) and con-east (named"
                " by acc-east), not his con-lone, named by nothing he holds; the update waits",
                lambda s: (
                    _shows(s, "bob-phone", "account", "acc-east")
                    and _shows(s, "bob-phone", "contact", "con-east")
                    and not _shows(s, "bob-phone", "contact", "con-lone")
                ),
            ),
            (
                2,
                "once the opportunity names no account, both leave at the next cycle",
                lambda s: (
                    not _shows(s, "bob-phone", "account", "acc-east")
                    and not _shows(s, "bob-phone", "contact", "con-east")
                    and _shows(s, "bob-phone", "opportunity", "opp-east")
                ),
            ),
        ],
    ),
    Scenario(
        name="write-without-read-is-applied",
        rules=("SEC-12", "SYNC-4", "VALID-2"),
        source=(
            "Data operations and access rights: Update requires WRITE; Delete requires DELETE."
        ),
        world=sample_world(),
        operations=[
            _REVOKE_READ,
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"revenue": 5},
                "op_id": "op-1",
            },
            _START,
            _END,
        ],  # fmt: skip
        expectations=[
            (
                3,
                "the update is applied, without an error",
                lambda s: (
                    s["observation"]["server"]["acc-east"]["values"]["revenue"] == 5
                    and _device(s, "bob-phone")["errors"] == []
                ),
            ),
            (
                3,
                "and the row, no longer readable, leaves the device",
                lambda s: not _shows(s, "bob-phone", "account", "acc-east"),
            ),
        ],
    ),
    Scenario(
        name="read-and-delete-only-offline",
        rules=("PROFILE-6", "DEVICE-1"),
        source=(
            "Page, Mobile offline limitations: Activity Pointer allows Read and Delete only "
            "offline."
        ),
        world=_read_and_delete_tasks(),
        operations=[
            {"kind": "update", "device": "bob-phone", "table": "task", "row": "task-east",
             "values": {"done": True}, "op_id": "op-1"},
            {"kind": "create", "device": "bob-phone", "table": "task", "row": "task-new",
             "values": {"subject": "Call", "done": False}, "op_id": "op-2"},
            {"kind": "delete", "device": "bob-phone", "table": "task", "row": "task-east",
             "op_id": "op-3"},
        ],  # fmt: skip
        expectations=[
            (0, "an update of a task is refused offline", lambda s: (
                _refused(s, "not_supported_offline")
            )),
            (1, "so is a create, and nothing is queued", lambda s: (
                _refused(s, "not_supported_offline") and _device(s, "bob-phone")["pending"] == 0
            )),
            (2, "a delete is allowed and queued", lambda s: (
                s["result"]["status"] == "accepted" and _device(s, "bob-phone")["pending"] == 1
            )),
        ],  # fmt: skip
    ),
    Scenario(
        name="read-on-the-profile-to-go-offline",
        rules=("PROFILE-8", "STALE-4", "VALID-1"),
        source="Page, Set up mobile offline: a user needs Read on the offline profile.",
        world=sample_world(),
        operations=[
            {"kind": "update", "device": "bob-phone", "table": "account", "row": "acc-east",
             "values": {"revenue": 5}, "op_id": "op-1"},
            {"kind": "revoke_profile", "user": "bob"},
            {"kind": "read", "device": "bob-phone", "table": "account"},
            _START,
            _END,
            {"kind": "read", "device": "bob-phone", "table": "account"},
            {"kind": "grant_profile", "user": "bob"},
            _START,
            _END,
        ],  # fmt: skip
        expectations=[
            (2, "until the next cycle the device still works", lambda s: (
                s["result"]["status"] == "accepted"
            )),
            (4, "the cycle uploads what was pending, then the device holds no table", lambda s: (
                s["observation"]["server"]["acc-east"]["values"]["revenue"] == 5
                and _device(s, "bob-phone")["metadata_tables"] == []
                and _device(s, "bob-phone")["rows"] == {}
            )),
            (5, "and refuses every local operation", lambda s: _refused(s, "not_offline")),
            (8, "a grant brings the tables back at the next cycle", lambda s: (
                _shows(s, "bob-phone", "account", "acc-east")
            )),
        ],  # fmt: skip
    ),
    Scenario(
        name="no-profile-read-no-tables",
        rules=("PROFILE-8", "PROFILE-4"),
        source="Page, Set up mobile offline: a user needs Read on the offline profile.",
        world=_without_profile_read("bob"),
        operations=[{"kind": "read", "device": "bob-phone", "table": "account"}],
        expectations=[
            (0, "bob's devices start without tables and refuse to read", lambda s: (
                _refused(s, "not_offline")
                and _device(s, "bob-phone")["metadata_tables"] == []
                and _device(s, "alice-phone")["metadata_tables"] != []
            )),
        ],  # fmt: skip
    ),
]

SCENARIOS.append(
    Scenario(
        name="a-sync-error-stays-open-until-retried",
        rules=("VALID-2", "VALID-4", "VALID-5"),
        source=(
            "Mobile offline limitations (power-apps/mobile/offline-limitations): changes "
            "rejected at sync are reverted on the device and recorded as sync errors (error "
            "type, action, the change's data, error code) that the user can see and retry."
        ),
        world=sample_world(),
        operations=[
            _REVOKE_WRITE,
            _UPDATE_EAST,
            _START,
            _END,
            _START,
            _END,
            {**_REVOKE_WRITE, "depth": "user"},
            {"kind": "retry", "device": "bob-phone", "error": "op-1", "op_id": "op-2"},
            _START,
            _END,
            {"kind": "dismiss", "device": "bob-phone", "error": "op-1"},
        ],  # fmt: skip
        expectations=[
            (
                3,
                "the rejected update is a sync error with its values and operation id",
                lambda s: (
                    _device(s, "bob-phone")["errors"]
                    == [
                        {
                            "table": "account",
                            "row": "acc-east",
                            "op": "update",
                            "reason": "privilege",
                            "values": {"revenue": 999},
                            "op_id": "op-1",
                        }
                    ]
                ),
            ),  # fmt: skip
            (
                5,
                "the next cycle leaves it open, once",
                lambda s: len(_device(s, "bob-phone")["errors"]) == 1,  # type: ignore[arg-type]
            ),
            (
                7,
                "write regained, the user retries it: queued under a new id, the error closed",
                lambda s: (
                    _accepted(s)
                    and _device(s, "bob-phone")["errors"] == []
                    and _device(s, "bob-phone")["pending"] == 1
                ),
            ),
            (
                9,
                "the next cycle applies it",
                lambda s: s["observation"]["server"]["acc-east"]["values"]["revenue"] == 999,
            ),
            (10, "an error no longer open cannot be dismissed", lambda s: _refused(s, "not_found")),
        ],
    )
)


def _accepted(step: Step) -> bool:
    return step["result"] == {"status": "accepted"}


def _refused(step: Step, reason: str) -> bool:
    return step["result"] == {"status": "refused", "reason": reason}
