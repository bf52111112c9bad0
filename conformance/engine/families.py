"""Rule families: focused stateful properties, each drawing the operations that matter to a
group of rules, plus one broad property that draws everything."""

from __future__ import annotations

from dataclasses import dataclass

from models.records import END_FAULTS, SERVER_KINDS, START_FAULTS
from models.rules import kinds_within

EDITS = ("create", "update", "delete")
#: edits with a value outside the column's schema (WORLD-3); see conformance.engine.machine
INVALID_EDITS = ("create!", "update!")
CYCLE = ("sync_start", "sync_end")
#: a whole cycle on one device in one step: ``sync_start`` then ``sync_end`` (most effects of
#: the server's state show on a device only after one)
SYNC = "sync"
DATA_EVENTS = ("server_create", "server_update", "server_delete")
#: a cycle step with a fault (FAULT-1 to FAULT-4; which fault depends on the capabilities)
FAULTY_START, FAULTY_END = "sync_start~", "sync_end~"
#: what each fault needs the implementation to declare
FAULT_CAPABILITY = {
    "request_lost": "faults",
    "response_lost": "faults",
    "download_lost": "faults",
    "crash": "crash_faults",
    "server_restart": "server_restart",
}


#: what the user does with an open sync error (VALID-5), and an event that gives back the
#: privilege an open error lacked (a ``set_depth`` to organization depth), so that a retry
#: is applied as often as it fails again: only for an implementation declaring
#: ``sync_error_retry``
ERROR_ACTIONS = ("retry", "dismiss")
REGAIN = "regain"


def faults_for(kind: str, capabilities: frozenset[str]) -> tuple[str, ...]:
    """The faults a faulty cycle step of ``kind`` may carry against these capabilities."""
    every = START_FAULTS if kind == FAULTY_START else END_FAULTS
    return tuple(f for f in every if FAULT_CAPABILITY[f] in capabilities)


def kinds_for(kinds: tuple[str, ...], capabilities: frozenset[str]) -> tuple[str, ...]:
    """A family's kinds without those the implementation cannot take: the operations of a
    capability it lacks (``models.rules.CAPABILITY_KINDS``: restarts, team and position
    events, server restarts, retries) and the faulty cycle steps none of whose faults it
    declares."""
    return tuple(
        k
        for k in kinds_within(kinds, capabilities)
        if (k not in (FAULTY_START, FAULTY_END) or faults_for(k, capabilities))
        and (k != REGAIN or "sync_error_retry" in capabilities)
    )


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
#: Read on the offline profile given and taken away (PROFILE-8): only in the families about
#: the profile, staleness and everything (a device without it refuses every local operation,
#: which would starve the other families' rules)
PROFILE_EVENTS = ("grant_profile", "revoke_profile")
#: the privilege events every implementation is sent
PRIVILEGE_EVENTS = tuple(
    k for k in SERVER_KINDS if k not in DATA_EVENTS + TEAM_EVENTS + POSITION_EVENTS + PROFILE_EVENTS
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
    #: how often a table joined to another by a lookup has the "related" filter, for an
    #: implementation that declares related_rows (PROFILE-7; see strategies.worlds)
    related_odds: int = 1
    #: one world in this many grants every privilege at User depth at most (0: none; see
    #: strategies.random_world): where shares, teams and the hierarchy decide what users read
    narrow_odds: int = 0
    #: in a world with hierarchy security on, the events of its hierarchy model (managers or
    #: positions) are drawn this many times as often as ``kinds`` lists them (see
    #: steps.weighted_for): the other model's change nothing a device downloads there
    hierarchy_weight: int = 1
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
        + PROFILE_EVENTS
        + DATA_EVENTS
        # faults at a low rate: the faults family draws them often
        + (FAULTY_START, FAULTY_END),
        narrow_odds=4,
    ),
    Family(
        "profile",
        "tables, views, metadata and row filters on the device",
        ("PROFILE",),
        EDITS
        + ("read", "read", SYNC, SYNC)
        + CYCLE
        + ("move_user", "reassign", "server_create", "server_update")
        + PROFILE_EVENTS,
        device_tables_required=False,
        worlds_scale=4,
        related_odds=4,
    ),
    Family(
        "security",
        "privilege evaluation: depths, roles, sharing, hierarchy, teams, Append, field security",
        ("SEC",),
        EDITS * 3
        + (SYNC,) * 6
        + PRIVILEGE_EVENTS
        + TEAM_EVENTS
        + POSITION_EVENTS * 2
        + ("server_create",),
        depth_odds=8,
        worlds_scale=4,
        narrow_odds=2,
        hierarchy_weight=3,
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
        + PROFILE_EVENTS
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

FAMILIES += (
    Family(
        "faults",
        "lost uploads and downloads, in-doubt answers, crashes and server restarts",
        ("FAULT",),
        EDITS * 2
        + (SYNC,) * 2
        + CYCLE
        + (FAULTY_START,) * 3
        + (FAULTY_END,) * 3
        + ("server_restart", "restart", "server_update", "set_depth"),
    ),
)

FAMILIES += (
    Family(
        "sync_errors",
        "sync errors kept open, retried and dismissed",
        ("VALID",),
        EDITS * 3
        + (SYNC,) * 3
        + CYCLE
        + PRIVILEGE_EVENTS
        + DATA_EVENTS
        + ("restart",)
        # open errors retried (after the privilege came back, or not) and dismissed; for an
        # implementation without sync_error_retry, errors kept open across cycles alone
        + ERROR_ACTIONS * 3
        + ("retry", "retry", REGAIN, REGAIN),
    ),
)

FAMILY_BY_NAME = {f.name: f for f in FAMILIES}
