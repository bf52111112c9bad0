"""Rule families: focused stateful properties, each drawing the operations that matter to a
group of rules, plus one broad property that draws everything."""

from __future__ import annotations

from dataclasses import dataclass

from models.records import SERVER_KINDS

EDITS = ("create", "update", "delete")
#: edits with a value outside the column's schema (WORLD-3); see conformance.engine.machine
INVALID_EDITS = ("create!", "update!")
CYCLE = ("sync_start", "sync_end")
#: a whole cycle on one device in one step: ``sync_start`` then ``sync_end`` (most effects of
#: the server's state show on a device only after one)
SYNC = "sync"
DATA_EVENTS = ("server_create", "server_update", "server_delete")
#: events of teams (SEC-9, SEC-10) and of positions (SEC-8); only sent to an implementation
#: that declares the capability (``models.rules.CAPABILITY_KINDS``)
TEAM_EVENTS = (
    "add_member",
    "remove_member",
    "assign_team_role",
    "remove_team_role",
    "share_team",
    "unshare_team",
)
POSITION_EVENTS = ("set_position", "move_position")
#: the privilege events every implementation is sent
PRIVILEGE_EVENTS = tuple(
    k for k in SERVER_KINDS if k not in DATA_EVENTS + TEAM_EVENTS + POSITION_EVENTS
)
#: the privilege changes of teams and positions that families about staleness and validation
#: draw (the others would crowd out their own steps)
MEMBERSHIP_EVENTS = ("add_member", "remove_member", "set_position")


@dataclass(frozen=True)
class Family:
    name: str
    title: str
    #: the rule ID prefixes this family is about (for the report's grouping)
    focus: tuple[str, ...]
    #: operation kinds to draw from; a kind listed twice is drawn twice as often
    kinds: tuple[str, ...]
    min_devices: int = 1
    #: whether every world gives the devices at least one table (all but the profile family:
    #: without one, every local operation is refused ``not_offline``)
    device_tables_required: bool = True
    #: how strongly worlds favour deep units, manager chains and hierarchy security
    #: (see strategies.worlds)
    depth_odds: int = 2
    #: this many times as many examples, each this many times shorter: for families whose
    #: bugs show in the world more than in long programs (see profiles.settings_for)
    worlds_scale: int = 1


FAMILIES: tuple[Family, ...] = (
    Family(
        "broad",
        "everything interleaved",
        ("WORLD", "PROFILE", "SEC", "STALE", "VALID", "SYNC", "CONFLICT", "EVENT", "DEVICE"),
        EDITS * 2
        + INVALID_EDITS
        + ("read",)
        + CYCLE
        + (SYNC,) * 3
        + ("restart",)
        + PRIVILEGE_EVENTS
        + TEAM_EVENTS
        + POSITION_EVENTS
        + DATA_EVENTS,
    ),
    Family(
        "profile",
        "tables, views, metadata and row filters on the device",
        ("PROFILE",),
        EDITS + ("read", "read", SYNC, SYNC) + CYCLE + ("move_user", "reassign", "server_create"),
        device_tables_required=False,
        worlds_scale=4,
    ),
    Family(
        "security",
        "privilege evaluation: depths, roles, sharing, hierarchy, teams, Append, field security",
        ("SEC",),
        EDITS * 3
        + (SYNC,) * 6
        + PRIVILEGE_EVENTS
        + TEAM_EVENTS
        + POSITION_EVENTS
        + ("server_create",),
        depth_odds=8,
        worlds_scale=4,
    ),
    Family(
        "staleness",
        "between syncs the device keeps what it knew",
        ("STALE",),
        EDITS
        + ("read", "read")
        + (SYNC,) * 3
        + CYCLE
        + PRIVILEGE_EVENTS
        + MEMBERSHIP_EVENTS
        + DATA_EVENTS,
    ),
    Family(
        "validation",
        "uploaded changes validated at sync",
        ("VALID",),
        EDITS * 3
        + INVALID_EDITS
        + (SYNC,) * 3
        + CYCLE
        + PRIVILEGE_EVENTS
        + MEMBERSHIP_EVENTS
        + DATA_EVENTS,
    ),
    Family(
        "outbox",
        "the outbox, cycles, retries and restarts",
        ("SYNC",),
        EDITS * 3 + ("read",) + CYCLE * 3 + (SYNC,) + ("restart", "restart") + ("server_update",),
    ),
    Family(
        "conflicts",
        "concurrent changes under the conflict policy",
        ("CONFLICT",),
        ("update", "update", "delete", "create")
        + CYCLE * 2
        + (SYNC,) * 2
        + ("server_update",) * 2
        + ("server_delete", "reassign"),
        min_devices=2,
    ),
)

FAMILY_BY_NAME = {f.name: f for f in FAMILIES}
