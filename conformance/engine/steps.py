"""Step generation: what the next operation of an example is, drawn from the model's state.

A step is one Hypothesis choice: the seed of a ``random.Random`` (``machine.STEP_SEEDS``),
from which ``Steps`` draws the kind, the device, the target and the values, aimed at what
exists (rows the device shows, rows with pending changes, rows reached through a share or a
manager) so that the rules meet.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any, TypeVar

from conformance.engine.driver import Driver
from conformance.engine.families import (
    ERROR_ACTIONS,
    FAULTY_END,
    FAULTY_START,
    REGAIN,
    SYNC,
    faults_for,
)
from conformance.engine.strategies import (
    TABLE_BY_NAME,
    TABLE_NAMES,
    VALUE_POOLS,
    Source,
    draw_event,
    index,
    pick,
    pick_each,
    pooled_row,
    pooled_update,
)
from models import ModelSystem
from models.profile import device_tables, passes_filter
from models.records import SERVER_KINDS, Operation, Privilege, RowRight, WorldSpec
from models.security import (
    depth_of,
    hierarchy_rights,
    hierarchy_subjects,
    level_above,
    row_rights,
    steps_up,
)
from models.server import Server
from models.world import World

T = TypeVar("T")

#: how many times more likely an operation aims at something that exists (a visible row, a
#: device table) than at anything at all
AIM_WEIGHT = 6
#: how many targets an event tries before it settles for one that changes nothing a device
#: downloads (``Steps.event_and_cycle``)
AIM_TRIES = 3
#: the events whose targets rarely change what a device shows (a share of a row its user
#: reads anyway, a position in a world of managers): ``Steps.search_effective`` tries this
#: many candidates built from the world for one that does
SEARCHED = (
    "share",
    "unshare",
    "share_team",
    "unshare_team",
    "set_manager",
    "set_position",
    "move_position",
)
SEARCH_TRIES = 6
#: the events of each hierarchy model (``weighted_for``)
HIERARCHY_EVENTS = {"manager": ("set_manager",), "position": ("set_position", "move_position")}
#: one create in this many names an id that exists (WORLD-4): DEVICE-1's and VALID-3's
#: clauses about ids, never reached while every id was fresh
ID_CLASH_ODDS = 8
#: a family kind with this suffix is an edit carrying a value outside its column's schema
INVALID_SUFFIX = "!"
#: the privilege each edit needs (SEC-3, SEC-12)
NEEDED: dict[str, Privilege] = {"create": "create", "update": "write", "delete": "delete"}


def _to_change(roles: Iterable[str], held: set[str], grant: bool) -> list[str]:
    """The roles a grant may name (not held yet) or a removal (held): what changes something."""
    return sorted(r for r in roles if (r in held) != grant)


def weighted_for(kinds: tuple[str, ...], world: World, weight: int) -> tuple[str, ...]:
    """A family's ``kinds`` for one world: with hierarchy security on, the events of the
    world's hierarchy model (SEC-5's ``set_manager``, SEC-8's ``set_position`` and
    ``move_position``) ``weight`` times as often (``Family.hierarchy_weight``). The other
    model's events change nothing any device downloads there; drawn as often, the model's own
    were too rare to reach EVENT-1's clauses (issue 18)."""
    if not world.hierarchy_enabled or weight == 1:
        return kinds
    own = HIERARCHY_EVENTS[world.hierarchy_model]
    return kinds + tuple(k for k in kinds if k in own) * (weight - 1)


def every_position_change(
    kind: str, parent: dict[str, str | None], users: list[str]
) -> list[list[Operation]]:
    """Every ``set_position`` of ``users`` (to another position or none), or every
    ``move_position`` (under another position or to the top) that makes no cycle (SEC-8)."""
    if kind == "set_position":
        return [
            [{"kind": "set_position", "user": u, "position": p}]
            for u in users
            for p in (None, *sorted(parent))
        ]
    return [
        [{"kind": "move_position", "position": p, "parent": q}]
        for p in sorted(parent)
        for q in (None, *sorted(parent))
        if q != parent[p] and q != p and (q is None or steps_up(parent, q, p) is None)
    ]


def aimed(preferred: list[T], anything: list[T]) -> list[T]:
    """Choices weighted towards ``preferred``: one draw picks from the result."""
    return preferred * AIM_WEIGHT + anything if preferred else anything


class Steps:
    """Draws the operations of one example from the state of its ``driver``'s model, over
    the operation ``kinds`` of a family; numbers new rows and operation ids itself."""

    def __init__(
        self,
        driver: Driver,
        kinds: tuple[str, ...],
        capabilities: frozenset[str] = frozenset(),
        hierarchy_weight: int = 1,
    ) -> None:
        self.driver, self.kinds, self.capabilities = driver, kinds, capabilities
        self.hierarchy_weight = hierarchy_weight
        self.counter = 0
        #: (device, table) of a depth change that just took Read on the table away from the
        #: device's user (``aim_event``), for ``edit_while_stale``
        self.stale_edit: tuple[str, str] | None = None
        #: ``kinds`` weighted for the example's world (``weighted_for``), once it has one
        self.world_kinds: tuple[str, ...] | None = None

    @property
    def model(self) -> ModelSystem:
        assert self.driver.model is not None, "the driver has not started an example"
        return self.driver.model

    @property
    def spec(self) -> WorldSpec:
        assert self.driver.world is not None, "the driver has not started an example"
        return self.driver.world

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def draw_operations(self, draw: Source) -> list[Operation]:
        """One step's operations: one, or the two of a whole cycle (``families.SYNC``).

        ``draw`` is the step's generator, seeded by the step's one Hypothesis choice and its
        position (see ``STEP_SEEDS``). The kind and the device are drawn together, over lists
        that stay the same for the whole example."""
        if self.world_kinds is None:
            self.world_kinds = weighted_for(self.kinds, self.model.world, self.hierarchy_weight)
        kind, device = pick_each(draw, self.world_kinds, sorted(self.model.devices))
        if kind == SYNC:
            return [
                {"kind": "sync_start", "device": device},
                {"kind": "sync_end", "device": device},
            ]
        if kind in (*ERROR_ACTIONS, REGAIN):
            return self.about_errors(draw, kind, device)
        if kind in SERVER_KINDS:
            return self.event_and_cycle(draw, kind)
        return [self.draw_operation(draw, kind, device)]

    def event_and_cycle(self, draw: Source, kind: str) -> list[Operation]:
        """A server-side event, aimed most of the time at what it changes for a device's
        user (``aim_at_holder``) and then, one time in two, that device's cycle: without the
        cycle, a wrong answer to the event shows on no device (STALE-2, STALE-3, STALE-4)."""
        self.stale_edit = None
        op = self._event(draw, kind)
        device = None
        if self.stale_edit is not None and index(draw, 3):  # two times in three
            return [op, *self.edit_while_stale(draw, *self.stale_edit)]
        if kind in SEARCHED and index(draw, 4):  # three times in four
            found = self.search_effective(draw, kind)
            if found is not None:
                ops, device = found
                if index(draw, 4) == 0:  # most of the time, the device's cycle follows
                    return ops
                if len(ops) > 1:  # a grant, its cycle and the removal: the device is idle
                    return [
                        *ops,
                        {"kind": "sync_start", "device": device},
                        {"kind": "sync_end", "device": device},
                    ]
                return [*ops, *self.cycle_of(device)]
        if index(draw, 4):  # three times in four: up to three aims, the first that matters
            downloads: dict[str, str] = {}  # user -> what they download now
            for _ in range(AIM_TRIES):
                aimed_op = dict(op)
                device = self.aim_at_holder(draw, aimed_op)  # type: ignore[arg-type]
                if device is not None:
                    op = aimed_op  # type: ignore[assignment]
                    if self.changes_download(op, self.model.devices[device].user, downloads):
                        break
        if device is None or index(draw, 2) == 0:
            return [op]
        return [op, *self.cycle_of(device)]

    def edit_while_stale(self, draw: Source, device: str, table: str) -> list[Operation]:
        """After Read on ``table`` was taken from the device's user: the device, with its
        snapshot of before (STALE-1), updates a row of that table it holds, then syncs: the
        server applies the update if the user may still write the row (SEC-12)."""
        dev = self.model.devices[device]
        held = sorted(r for r, cached in dev.cache.items() if cached.table == table)
        if not held:
            return self.cycle_of(device)
        edit: Operation = {
            "kind": "update",
            "device": device,
            "table": table,
            "row": pick(draw, held),
            "values": pooled_update(draw, TABLE_BY_NAME[table]),
            "op_id": self.fresh("op"),
        }
        return [edit, *self.cycle_of(device)]

    def cycle_of(self, device: str) -> list[Operation]:
        """The device's cycle, or the end of the one it is in."""
        cycle: list[Operation] = [{"kind": "sync_end", "device": device}]
        if self.model.devices[device].in_flight is None:
            cycle.insert(0, {"kind": "sync_start", "device": device})
        return cycle

    def search_effective(self, draw: Source, kind: str) -> tuple[list[Operation], str] | None:
        """For the events whose targets rarely change anything a device shows (``SEARCHED``):
        up to ``SEARCH_TRIES`` candidates built from the world, tried on copies of the model's
        server, the first that changes a device's next download with the device it concerns.
        A removal with nothing to remove that would matter (``unshare``, ``unshare_team``)
        comes after the grant that it takes back."""
        candidates = self.candidates(draw, kind)
        tried = []
        for _ in range(min(SEARCH_TRIES, len(candidates))):
            tried.append(candidates.pop(index(draw, len(candidates))))
        downloads: dict[str, str] = {}
        for ops in tried:
            device = self.changed_device(ops, downloads)
            if device is not None and len(ops) > 1:  # the device sees the grant first
                return [ops[0], *self.cycle_of(device), ops[1]], device
            if device is not None:
                return ops, device
        return None

    def candidates(self, draw: Source, kind: str) -> list[list[Operation]]:  # noqa: C901
        """The events of ``kind`` (each with the grant it takes back, for a removal) that may
        change what a device's user reads: shares of rows a user could read through one,
        managers and positions above or below the owners of such rows."""
        model = self.model
        d, world, rows = model.server.directory, model.world, model.server.rows
        users = sorted({dev.user for dev in model.devices.values()})
        unseen = {u: self.shareable(u) for u in users}
        rights: list[RowRight] = ["read", "write"]
        found: list[list[Operation]] = []
        if kind in ("share", "unshare"):
            shares: list[Operation] = [
                {"kind": "share", "row": r, "user": u, "rights": rights}
                for u in users
                for r in unseen[u]
            ]
            if kind == "share":
                return [[op] for op in shares]
            held = [(r, u) for (r, u) in sorted(d.shares) if u in users]
            found = [[{"kind": "unshare", "row": r, "user": u}] for r, u in held]
            found += [
                [op, {"kind": "unshare", "row": op["row"], "user": op["user"]}] for op in shares
            ]
        elif kind in ("share_team", "unshare_team"):
            teams = {u: sorted(t for t, m in d.team_members.items() if u in m) for u in users}
            shares = [
                {"kind": "share_team", "row": r, "team": t, "rights": rights}
                for u in users
                for t in teams[u]
                for r in unseen[u]
            ]
            if kind == "share_team":
                return [[op] for op in shares]
            mine = {t for u in users for t in teams[u]}
            found = [
                [{"kind": "unshare_team", "row": r, "team": t}]
                for r, t in sorted(d.team_shares)
                if t in mine
            ]
            found += [
                [op, {"kind": "unshare_team", "row": op["row"], "team": op["team"]}]
                for op in shares
            ]
        elif kind == "set_manager" and world.hierarchy_enabled:
            for u in users:
                found += [
                    [{"kind": "set_manager", "user": o, "manager": u}]
                    for o in sorted({rows[r].owner for r in unseen[u]} & d.user_bu.keys())
                    if o != u
                ]
                found += [
                    [{"kind": "set_manager", "user": o, "manager": None}]
                    for o, m in sorted(d.user_manager.items())
                    if m == u
                ]
        elif kind in ("set_position", "move_position") and world.hierarchy_model == "position":
            # without a row that points the way: any change of the positions may still
            # matter (a row the user reads only through the hierarchy, or a related one)
            found = self.position_candidates(kind, users, unseen) or every_position_change(
                kind, d.position_parent, sorted(d.user_position)
            )
        return found

    def position_candidates(
        self, kind: str, users: list[str], unseen: dict[str, list[str]]
    ) -> list[list[Operation]]:
        """SEC-8: for a row a device's user does not read (or write), its owner put below the
        user's position within the hierarchy's depth, the user put above the owner's, or the
        owner's branch moved under the user's position (when neither holds a position: the
        user given one, then the owner one below it); for a row the user holds, the owner or
        the user taken out of the positions, or the owner's position moved out from under the
        user's. Each grant comes alone and also followed, after the device's cycle, by the
        change back. Rows of ``related`` tables count too: one comes with a related row the
        user downloads once the user may read it (PROFILE-7)."""
        model = self.model
        world, d, rows = model.world, model.server.directory, model.server.rows
        parent = d.position_parent
        found: list[list[Operation]] = []
        if not world.hierarchy_enabled or not parent:
            return found
        depth = world.hierarchy_depth

        def below(top: str) -> list[str]:
            """The positions 1 to ``depth`` levels below ``top``."""
            return [p for p in sorted(parent) if (steps_up(parent, p, top) or depth + 1) <= depth]

        def above(start: str) -> list[str]:
            """The positions 1 to ``depth`` levels above ``start``, nearest first."""
            chain: list[str] = []
            cur = parent.get(start)
            while cur is not None and cur not in chain and len(chain) < depth:
                chain.append(cur)
                cur = parent.get(cur)
            return chain

        def root(start: str) -> str:
            """The top of ``start``'s branch."""
            seen, up = {start}, parent.get(start)
            while up is not None and up not in seen:
                start = up
                seen.add(up)
                up = parent.get(up)
            return start

        grants: list[Operation] = []
        for u in users:
            mine = d.user_position.get(u)
            cached = sorted(r for dev in model.devices.values() if dev.user == u for r in dev.cache)
            for r in [*unseen[u], *self.related_unread(u)]:
                owner = rows[r].owner
                theirs = d.user_position.get(owner)
                if owner not in d.user_bu or owner == u:
                    continue
                if kind == "set_position":
                    if mine is not None:
                        grants += [
                            {"kind": "set_position", "user": owner, "position": p}
                            for p in below(mine)
                        ]
                    if theirs is not None:
                        grants += [
                            {"kind": "set_position", "user": u, "position": p}
                            for p in above(theirs)
                        ]
                    if mine is None and theirs is None:
                        found += [
                            [
                                {"kind": "set_position", "user": u, "position": p},
                                {"kind": "set_position", "user": owner, "position": c},
                            ]
                            for p in sorted(parent)
                            for c in below(p)[:1]
                        ]
                elif theirs is not None and mine is not None and theirs != mine:
                    # a position moved under one of its own descendants is refused (a cycle)
                    grants += [
                        {"kind": "move_position", "position": moved, "parent": mine}
                        for moved in dict.fromkeys((theirs, root(theirs)))
                        if moved != mine and steps_up(parent, mine, moved) is None
                    ]
            for r in cached:
                owner = rows[r].owner if r in rows else ""
                theirs = d.user_position.get(owner)
                if theirs is None or owner == u or mine is None:
                    continue
                if kind == "set_position":
                    found.append([{"kind": "set_position", "user": owner, "position": None}])
                    found.append([{"kind": "set_position", "user": u, "position": None}])
                else:
                    found.append([{"kind": "move_position", "position": theirs, "parent": None}])
        # each grant alone, and followed (after the device's cycle) by the event that takes it
        # back: a second change of the same kind, the other way (STALE-2, then STALE-3)
        for grant in grants:
            if grant["kind"] == "set_position":
                undo: Operation = {**grant, "position": d.user_position.get(grant["user"])}
            else:
                undo = {**grant, "parent": parent[str(grant["position"])]}
            found += [[grant], [grant, undo]]
        return found

    def related_unread(self, user: str) -> list[str]:
        """Rows of the device's ``related`` tables (PROFILE-7) that ``user`` may not read but
        holds Read on at User depth at least: a hierarchy could let them come with the rows
        they relate to."""
        model = self.model
        d, world, rows = model.server.directory, model.world, model.server.rows
        on_device = device_tables(world)
        return [
            r
            for r, row in sorted(rows.items())
            if row.table in on_device
            and world.profile.get(row.table) == "related"
            and "read" not in row_rights(world, d, user, row.table, r, row.owner, only=("read",))
            and depth_of(world, d, user, row.table, "read") >= 1
        ]

    def shareable(self, user: str) -> list[str]:
        """Rows on the device tables that a share or a hierarchy could give ``user`` more
        rights on: it passes the profile's filter, and the user holds Read at User depth at
        least but may not read the row, or reads it and holds Write so but may not write it
        (SEC-4, SEC-5, SEC-8)."""
        model = self.model
        d, world, rows = model.server.directory, model.world, model.server.rows
        on_device = device_tables(world)
        found = []
        for r in sorted(rows):
            row = rows[r]
            row_filter = world.profile.get(row.table, "related")
            # a "related" table's rows come only with the rows they relate to (PROFILE-7)
            if (
                row.table not in on_device
                or row_filter == "related"
                or not passes_filter(world, d, user, row_filter, row.owner)
            ):
                continue
            rights = row_rights(world, d, user, row.table, r, row.owner, only=("read", "write"))
            # a right on a row the user does not read shows nowhere: Read first, then Write
            lacking: Privilege | None = (
                "read" if "read" not in rights else "write" if "write" not in rights else None
            )
            if lacking is not None and depth_of(world, d, user, row.table, lacking) >= 1:
                found.append(r)
        return found

    def changed_device(self, ops: list[Operation], downloads: dict[str, str]) -> str | None:
        """The first device whose user's next download the last of ``ops`` changes, after
        the others (tried on a copy of the model's server), or None; ``downloads`` keeps what
        each user downloads now (for a single event)."""
        trial = self.trial_server()
        devices = sorted(self.model.devices.items())
        for op in ops[:-1]:
            if trial.event(op)["status"] != "accepted":
                return None
        before = downloads if len(ops) == 1 else {}
        for _, dev in devices:
            if dev.user not in before:
                before[dev.user] = repr(trial.download(dev.user))
        if trial.event(ops[-1])["status"] != "accepted":
            return None
        after: dict[str, str] = {}
        for name, dev in devices:
            if dev.user not in after:
                after[dev.user] = repr(trial.download(dev.user))
            if after[dev.user] != before[dev.user]:
                return name
        return None

    def about_errors(self, draw: Source, kind: str, device: str) -> list[Operation]:
        """A retry or dismiss of an open error (VALID-5), or the privilege an open error
        lacked given back and the error retried (``regain``). While no device has such an
        error, three times in four what makes one instead (``make_error``)."""
        regain = kind == REGAIN
        device = self.with_errors(device, privilege=regain)
        errors = self.model.devices[device].errors
        if not any(not regain or e["reason"] == "privilege" for e in errors) and index(draw, 4):
            return self.make_error(draw, device)
        if regain and errors:
            return self.regain_and_retry(draw, device)
        op = self.error_action(draw, "retry" if regain else kind, device)
        if op["kind"] == "retry" and index(draw, 2) == 0:  # and its outcome, often
            return [op, *self.cycle(device)]
        return [op]

    def make_error(self, draw: Source, device: str) -> list[Operation]:
        """What makes an open error: an edit (unless the device has one queued), the
        privilege it needs taken away (``revoke_for``) and a cycle: it is rejected."""
        dev = self.model.devices[device]
        ops: list[Operation] = []
        kind: str
        if dev.outbox:
            change = pick(draw, dev.outbox)
            kind, table = change.kind, change.table
        else:
            edit = self._device_op(draw, pick(draw, ["create", "update", "delete"]), device)
            ops.append(edit)
            kind, table = edit["kind"], edit.get("table", "")
        revoke = self.revoke_for(draw, device, kind, table)
        if revoke is None:
            return ops or [self._device_op(draw, "update", device)]
        return [*ops, revoke, *self.cycle(device)]

    def cycle(self, device: str) -> list[Operation]:
        """A whole cycle on ``device`` (none when a cycle is under way there)."""
        if self.model.devices[device].in_flight is not None:
            return []
        return [{"kind": "sync_start", "device": device}, {"kind": "sync_end", "device": device}]

    def regain_and_retry(self, draw: Source, device: str) -> list[Operation]:
        """The privilege an open error of ``device`` lacked given back: its operation's
        privilege at organization depth in a role of the device's user; a cycle that brings
        it to the device, then the error retried and the cycle that applies it (VALID-5)."""
        dev = self.model.devices[device]
        lacking = [e for e in dev.errors if e["reason"] == "privilege"]
        roles = sorted(self.model.server.directory.user_roles.get(dev.user, ()))
        if not lacking or not roles:
            return [self.error_action(draw, "retry", device)]
        error = pick(draw, lacking)
        grant: Operation = {
            "kind": "set_depth",
            "role": pick(draw, roles),
            "table": error["table"],
            "privilege": NEEDED[error["op"]],
            "depth": "organization",
        }
        retry: Operation = {
            "kind": "retry",
            "device": device,
            "error": error["op_id"],
            "op_id": self.fresh("op"),
        }
        return [grant, *self.cycle(device), retry, *self.cycle(device)]

    def draw_operation(self, draw: Source, kind: str, device: str) -> Operation:
        if kind in (FAULTY_START, FAULTY_END):  # a cycle step that a fault breaks
            op = self._device_op(draw, kind.removesuffix("~"), device)
            op["fault"] = pick(draw, faults_for(kind, self.capabilities))
            return op
        if kind == "server_restart":
            return {"kind": "server_restart"}
        invalid = kind.endswith(INVALID_SUFFIX)
        kind = kind.removesuffix(INVALID_SUFFIX)
        if kind in ("create", "update", "delete", "read", "sync_start", "sync_end", "restart"):
            op = self._device_op(draw, kind, device)
            if invalid and "values" in op:
                op["values"] = self.break_values(draw, op["kind"], op["values"])
            return op
        return self._event(draw, kind)

    def break_values(self, draw: Source, kind: str, values: dict[str, Any]) -> dict[str, Any]:
        """Values that break WORLD-3, one of three ways: a value no column schema allows, a
        column the table does not have, or, for a create, a column left out (for an update,
        no column at all)."""
        how = index(draw, 3)
        if how == 0 and len(values) > 1 and kind == "create":
            return {c: v for c, v in values.items() if c != pick(draw, sorted(values))}
        if how == 0 and kind == "update":
            return {}
        if how == 1:
            return {**values, "no_such_column": pick(draw, sorted(values, key=str))}
        return {**values, pick(draw, sorted(values)): {"bad": True}}

    def _device_op(self, draw: Source, kind: str, device: str) -> Operation:
        if kind in ("sync_start", "sync_end"):
            # a cycle step goes to a device where it does something, when there is one: the
            # first such device from the one drawn on
            in_cycle = kind == "sync_end"
            devices = sorted(self.model.devices)
            start = devices.index(device)
            for d in devices[start:] + devices[:start]:
                if (self.model.devices[d].in_flight is not None) == in_cycle:
                    device = d
                    break
        op: Operation = {"kind": kind, "device": device}
        if kind in ("sync_start", "sync_end", "restart"):
            return op
        if kind in ("update", "delete"):
            visible = self.model.devices[device].visible()
            # mostly a row the device shows; sometimes any row the server has, or none
            base = [(visible[r][0], r) for r in sorted(visible)]
            # and rows whose rights come from a share or a manager, and rows this device has
            # changed since its last sync (its own changes must not conflict), where rules meet
            pending = {ch.row for ch in self.model.devices[device].pending()}
            dev = self.model.devices[device]
            shown = (
                base
                + [t_r for t_r in base if self.related(device, t_r[1])] * 2
                # directly above a user of the row: Write without Delete (SEC-5, SEC-8)
                + [t_r for t_r in base if self.directly_above(device, t_r[1])] * 2
                + [t_r for t_r in base if t_r[1] in pending] * 2
                # rows the snapshot lets the user change but not read (SEC-12)
                + [t_r for t_r in base if "read" not in dev.rights(t_r[1], t_r[0])] * 2
            )
            rows = self.model.server.rows
            elsewhere = [(rows[r].table, r) for r in sorted(rows)] + [
                (t, "ghost") for t in TABLE_NAMES
            ]
            op["table"], op["row"] = pick(draw, aimed(shown, elsewhere))
        else:
            on_device = sorted(device_tables(self.model.world))
            if kind == "create":  # and tables where the user may create rows but not read them
                snapshot = self.model.devices[device].snapshot
                blind = [t for t in on_device if "read" not in snapshot.own_rights.get(t, ())]
                on_device += [t for t in blind if t in snapshot.create_tables]
            op["table"] = pick(draw, aimed(on_device, TABLE_NAMES))
        if kind == "read":
            return op
        if kind == "create":
            op["row"] = self.fresh("n")
            if index(draw, ID_CLASH_ODDS) == 0:  # an id that exists (WORLD-4)
                taken = sorted({*self.model.devices[device].visible(), *self.model.server.rows})
                if taken:  # refused here if shown (DEVICE-1), else rejected at sync (VALID-3)
                    op["row"] = pick(draw, taken)
            op["values"] = pooled_row(draw, TABLE_BY_NAME[op["table"]])
            owner = self.owner(draw, device)
            if owner is not None:
                op["owner"] = owner
        elif kind == "update":
            table = TABLE_BY_NAME[op["table"]]
            op["values"] = pooled_update(draw, table)
            if table["secured"] and index(draw, 2) == 0:  # a field-secured column (SEC-6, SEC-7)
                column = pick(draw, table["secured"])
                op["values"][column] = pick(draw, VALUE_POOLS[(table["name"], column)])
        if kind in ("create", "update"):
            self.aim_lookups(draw, device, op)
        op["op_id"] = self.fresh("op")
        return op

    def with_errors(self, device: str, privilege: bool = False) -> str:
        """The first device, from ``device`` on, with an open sync error (with ``privilege``,
        one for ``privilege``), or ``device`` when none has one."""
        devices = sorted(self.model.devices)
        start = devices.index(device)
        return next(
            (
                d
                for d in devices[start:] + devices[:start]
                if any(
                    not privilege or e["reason"] == "privilege"
                    for e in self.model.devices[d].errors
                )
            ),
            device,
        )

    def error_action(self, draw: Source, kind: str, device: str) -> Operation:
        """A retry or dismiss (VALID-5) of an open error of ``device``, now and then of one
        that is not open (``not_found``); one retry in ten reuses the failed change's
        operation id (``invalid``)."""
        open_ids = [e["op_id"] for e in self.model.devices[device].errors]
        named = pick(draw, aimed(open_ids, ["op-ghost"]))
        op: Operation = {"kind": kind, "device": device, "error": named}
        if kind == "retry":
            op["op_id"] = named if index(draw, 10) == 0 else self.fresh("op")
        return op

    def revoke_for(self, draw: Source, device: str, kind: str, table: str) -> Operation | None:
        """The privilege an edit of ``kind`` in ``table`` needs, taken from a role of the
        device's user that grants it; None when no role of theirs grants it."""
        dev = self.model.devices[device]
        privilege = NEEDED[kind]
        d = self.model.server.directory
        granting = [
            r
            for r in sorted(d.user_roles.get(dev.user, ()))
            if d.role_privileges.get(r, {}).get((table, privilege), "none") != "none"
        ]
        if not granting:
            return None
        return {
            "kind": "set_depth",
            "role": pick(draw, granting),
            "table": table,
            "privilege": privilege,
            "depth": "none",
        }

    def new_id(self, draw: Source) -> str:
        """The id of another user's create: new, or now and then one a device has a pending
        create for (that create is then rejected at sync, VALID-3) or one the server holds
        (refused, EVENT-2) (WORLD-4)."""
        if index(draw, ID_CLASH_ODDS) == 0:
            pending = {
                ch.row for dev in self.model.devices.values() for ch in dev.pending()
                if ch.kind == "create"
            }  # fmt: skip
            taken = sorted(pending - set(self.model.server.rows))
            if taken:
                return pick(draw, [*taken, *taken, *sorted(self.model.server.rows)])
        return self.fresh("s")

    def owner(self, draw: Source, device: str) -> str | None:
        """The owner a create names (SEC-9): mostly none (the creator), often an owner team
        of the device's user, now and then any team (refused: not theirs, or an access team)."""
        teams = self.spec.get("teams", [])
        if not teams:
            return None
        user = self.model.devices[device].user
        members = self.model.server.directory.team_members
        mine = [t["id"] for t in teams if t["kind"] == "owner" and user in members[t["id"]]]
        return pick(draw, [None, None, None, *mine * 3, *(t["id"] for t in teams)])

    def aim_lookups(self, draw: Source, device: str, op: Operation) -> None:
        """Each lookup of the table, two times in three, is set to a row: one the device shows
        in the target table (the device decides Append To itself), or one of the server's that
        it does not show, mostly one its user may not append to (the server decides at sync),
        sometimes one it shows in another table, or cleared (SEC-11)."""
        lookups = TABLE_BY_NAME[op["table"]]["lookups"]
        if not lookups or index(draw, 3) == 0:
            return
        model = self.model
        user, shown = model.devices[device].user, model.devices[device].visible()
        rows, world, d = model.server.rows, model.world, model.server.directory
        for column, target in sorted(lookups.items()):
            here = [r for r in sorted(shown) if shown[r][0] == target]
            there = [r for r in sorted(rows) if rows[r].table == target and r not in shown]
            barred = [
                r
                for r in there
                if world.append_privileges
                and "append_to" not in row_rights(world, d, user, target, r, rows[r].owner)
            ]
            there = [*there, *barred * 3]
            # one time in six, a row the device shows in another table: it is not in the
            # lookup's target table, so no Append To is asked of it (SEC-11)
            elsewhere = [r for r in sorted(shown) if shown[r][0] != target]
            if elsewhere and index(draw, 6) == 0:
                op["values"][column] = pick(draw, elsewhere)
                continue
            op["values"][column] = pick(draw, [*(here or there), *(there or here), None])

    def trial_server(self) -> Server:
        """A copy of the model's server to try events on (what they change is the copy's
        alone, and its evaluations count as exercising no rule)."""
        server = self.model.server
        trial = copy.copy(server)
        trial.directory, trial.rows = copy.deepcopy((server.directory, server.rows))
        trial.trace = set()
        return trial

    def changes_download(self, op: Operation, user: str, downloads: dict[str, str]) -> bool:
        """Whether the event would change what ``user``'s device downloads next (rows,
        values or privilege snapshot), tried on a copy of the model's server; ``downloads``
        keeps what each user downloads now, for the next try."""
        trial = self.trial_server()
        if user not in downloads:
            downloads[user] = repr(trial.download(user))
        if trial.event(op)["status"] != "accepted":
            return False
        return repr(trial.download(user)) != downloads[user]

    def aim_at_holder(self, draw: Source, op: Operation) -> str | None:  # noqa: C901
        """Point an event at the state it would change for a device's user, where there is
        such a state (issue 18): a share, a team share, a role or a team's role the user
        holds (a removal) or does not hold (a grant); a manager or position link above or
        below the user; a row the device holds (an update, a delete, a reassignment); the
        user's own unit. Returns the device whose user it concerns, or None when nothing
        could be aimed (``op`` unchanged)."""
        model, kind = self.model, op["kind"]
        d, world, rows = model.server.directory, model.world, model.server.rows
        devices = sorted(model.devices)
        device = pick(draw, devices)
        dev = model.devices[device]
        user = dev.user
        held = sorted(r for r in {*dev.cache, *(ch.row for ch in dev.pending())} if r in rows)
        on_device = device_tables(world)
        # rows on the device's tables its user may not read now, but that a share or a
        # manager could bring: they pass the profile's filter and the user holds Read at User
        # depth at least (SEC-4, SEC-5); any row it does not hold when there is none
        unseen = sorted(r for r in rows if rows[r].table in on_device and r not in dev.cache)
        unseen = [
            r
            for r in unseen
            if depth_of(world, d, user, rows[r].table, "read") >= 1
            and passes_filter(world, d, user, world.profile[rows[r].table], rows[r].owner)
            and "read" not in row_rights(world, d, user, rows[r].table, r, rows[r].owner)
        ] or unseen
        mine_teams = sorted(t for t, members in d.team_members.items() if user in members)
        others = sorted(u for u in d.user_bu if u != user)
        if kind == "unshare":
            shares = sorted(r for (r, u) in d.shares if u == user)
            if not shares:
                return None
            op["row"], op["user"] = pick(draw, shares), user
        elif kind == "share":
            if not unseen:
                return None
            op["row"], op["user"] = pick(draw, unseen), user
            op["rights"] = sorted({"read", *op.get("rights", [])})  # what brings the row
        elif kind == "unshare_team":
            team_shares = sorted(key for key in d.team_shares if key[1] in mine_teams)
            if not team_shares:
                return None
            op["row"], op["team"] = pick(draw, team_shares)
        elif kind == "share_team":
            if not unseen or not mine_teams:
                return None
            op["row"], op["team"] = pick(draw, unseen), pick(draw, mine_teams)
            op["rights"] = sorted({"read", *op.get("rights", [])})
        elif kind in ("assign_role", "remove_role"):
            roles = _to_change(d.role_privileges, d.user_roles[user], kind == "assign_role")
            if not roles:
                return None
            op["user"], op["role"] = user, pick(draw, roles)
        elif kind in ("assign_team_role", "remove_team_role"):
            owners = [t for t in mine_teams if t in world.owner_teams]
            if not owners:
                return None
            team = pick(draw, owners)
            roles = _to_change(d.role_privileges, d.team_roles[team], kind == "assign_team_role")
            if not roles:
                return None
            op["team"], op["role"] = team, pick(draw, roles)
        elif kind == "set_manager":
            # the user's reports lose their manager, or someone owning rows gets the user as
            # manager (SEC-5); never a cycle: the model refuses it as the implementation must
            reports = sorted(u for u, m in d.user_manager.items() if m == user)
            owners = sorted({rows[r].owner for r in unseen} & set(others))
            if reports and index(draw, 2):
                op["user"], op["manager"] = pick(draw, reports), None
            elif owners:
                op["user"], op["manager"] = pick(draw, owners), user
            else:
                return None
        elif kind == "set_position":
            positions = sorted(d.position_parent)
            if not positions:
                return None
            below = sorted(u for u in others if d.user_position.get(u) is not None)
            if below and index(draw, 2):
                op["user"], op["position"] = pick(draw, below), None
            else:
                op["user"], op["position"] = user, pick(draw, positions)
        elif kind == "move_position":
            mine = d.user_position.get(user)
            children = sorted(p for p, parent in d.position_parent.items() if parent == mine)
            if mine is None or not d.position_parent:
                return None
            if children and index(draw, 2):
                op["position"], op["parent"] = pick(draw, children), None
            else:
                free = sorted(p for p in d.position_parent if p != mine)
                if not free:
                    return None
                op["position"], op["parent"] = pick(draw, free), mine
        elif kind == "move_user":
            units = sorted(world.bu_parent)
            owners = [rows[r].owner for r in held if rows[r].owner in d.user_bu]
            moved = pick(draw, [user, *owners])
            op["user"] = moved
            op["business_unit"] = pick(draw, [u for u in units if u != d.user_bu[moved]] or units)
        elif kind in ("reassign", "server_update", "server_delete"):
            # mostly a row with a pending change: where validation and conflicts meet
            pending = sorted({ch.row for ch in dev.pending()} & set(rows))
            if not held:
                return None
            op["row"] = pick(draw, [*pending * 3, *held])
            if kind == "reassign":
                op["owner"] = pick(draw, [user, *others, *sorted(world.owner_teams)])
        elif kind in ("add_member", "remove_member"):
            teams = sorted(d.team_members)
            if kind == "remove_member":
                teams = mine_teams
            else:
                teams = [t for t in teams if user not in d.team_members[t]]
            if not teams:
                return None
            op["team"], op["user"] = pick(draw, teams), user
        elif kind in ("grant_profile", "revoke_profile"):
            op["user"] = user
        elif kind != "server_create":
            return None
        return device

    def aim_event_lookups(self, draw: Source, op: Operation) -> None:
        """In a world with "related" tables (PROFILE-7), each lookup of another user's create or
        update, one time in two, names a row of its target table, or is cleared: rows become
        related, and stop being, at the next cycle."""
        rows = self.model.server.rows
        table = op.get("table") if op["kind"] == "server_create" else None
        if table is None:
            table = rows[op["row"]].table if op.get("row") in rows else None
        if table is None or "values" not in op:
            return
        for column, target in sorted(TABLE_BY_NAME[table]["lookups"].items()):
            if index(draw, 2):
                targets = [r for r in sorted(rows) if rows[r].table == target]
                op["values"][column] = pick(draw, [*targets, *targets, None])

    def related(self, device: str, row: str) -> bool:
        """Whether the device's user holds a share of ``row`` (themselves or through a team),
        is in the team that owns it, or is above one of its users in the hierarchy."""
        user, server_row = self.model.devices[device].user, self.model.server.rows.get(row)
        d, world = self.model.server.directory, self.model.world
        if server_row is None:
            return False
        if (row, user) in d.shares or user in d.team_members.get(server_row.owner, ()):
            return True
        if any(r == row and user in d.team_members[t] for r, t in d.team_shares):
            return True
        return hierarchy_rights(world, d, user, row, server_row.owner)[1]

    def directly_above(self, device: str, row: str) -> bool:
        """Whether the device's user is directly above one of the row's users (SEC-5, SEC-8)."""
        user, server_row = self.model.devices[device].user, self.model.server.rows.get(row)
        world, d = self.model.world, self.model.server.directory
        if server_row is None or not world.hierarchy_enabled:
            return False
        return any(
            level_above(world, d, user, subject) == 1
            for subject, _ in hierarchy_subjects(world, d, row, server_row.owner)
        )

    def _event(self, draw: Source, kind: str) -> Operation:
        rows = self.model.server.rows

        def table_of(row: str) -> str | None:
            return rows[row].table if row in rows else None

        targets = aimed(sorted(rows), ["ghost"])
        # a row a device has a pending change for is where a server-side change conflicts
        pending = sorted(
            {ch.row for dev in self.model.devices.values() for ch in dev.pending()} & set(rows)
        )
        if pending and index(draw, 3) < 2:  # two times in three
            targets = pending
        op = draw_event(draw, self.spec, kind, targets, table_of, lambda: self.new_id(draw))
        self.aim_event(draw, op, pending)
        return op

    def aim_event(self, draw: Source, op: Operation, pending: list[str]) -> None:
        """Point some events where the security rules meet the devices: one time in two, a
        depth change takes Read away, on the table of a row a device holds (or has a pending
        change for), from that user's role that grants it: the device goes on editing with its
        snapshot and the user may still hold Write or Delete (SEC-12); one time in three, a
        role change or a membership names a device's user (or a member: a removal)."""
        model, kind = self.model, op["kind"]
        d = model.server.directory
        if kind in ("server_update", "server_create") and "related" in model.world.profile.values():
            self.aim_event_lookups(draw, op)
        if kind == "set_depth" and index(draw, 2):
            name = pick(draw, sorted(model.devices))
            dev = model.devices[name]
            held = sorted({*dev.cache, *(ch.row for ch in dev.pending())} & set(model.server.rows))
            if held:
                table = model.server.rows[
                    pick(draw, [*held, *(r for r in pending if r in held)])
                ].table
                roles = sorted(d.user_roles[dev.user])
                # mostly Read (SEC-12); else a right a pending edit uses: Append To and
                # Append are checked again at sync (SEC-11), Write and Delete too (VALID-1)
                used: list[Privilege] = ["write", "delete"]
                if model.world.append_privileges:
                    used += ["append", "append_to"]
                reads: list[Privilege] = ["read"] * 6
                privilege = pick(draw, reads + used)
                holders = [
                    r
                    for r in roles
                    if d.role_privileges[r].get((table, privilege), "none") != "none"
                ]
                if roles:
                    op["role"], op["table"] = pick(draw, holders or roles), table
                    op["privilege"], op["depth"] = privilege, "none"
                    if privilege == "read":
                        self.stale_edit = (name, table)
            return
        holders = sorted({dev.user for dev in model.devices.values()})
        if kind in ("grant_profile", "revoke_profile") and index(draw, 4):
            # mostly a device's user, and one for whom it changes something (PROFILE-8)
            members = d.profile_members
            changing = [u for u in holders if (u in members) == (kind == "revoke_profile")]
            op["user"] = pick(draw, changing or holders)
            return
        if index(draw, 3):
            return
        if kind in ("assign_role", "remove_role", "add_member", "set_position"):
            op["user"] = pick(draw, holders)
        if kind == "remove_member" and any(d.team_members.values()):
            team = pick(draw, sorted(t for t, m in d.team_members.items() if m))
            op["team"], op["user"] = team, pick(draw, sorted(d.team_members[team]))
