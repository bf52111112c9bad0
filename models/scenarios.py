"""The source document's own examples, written as replayable scenarios of the model.

Each scenario is a world, a list of operations, and expectations on the steps. ``check`` runs
one through the model and returns what did not hold (an empty list when it passed). Scenarios
are plain data, so an implementation under test can be driven through the same steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from models.examples import sample_world
from models.records import Operation, Step, WorldSpec
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
_END: Operation = {"kind": "sync_end", "device": "bob-phone"}
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
            {
                "kind": "update",
                "device": "bob-phone",
                "table": "account",
                "row": "acc-east",
                "values": {"revenue": 999},
                "op_id": "op-1",
            },
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
]
