"""The offline profile: which tables, views and rows a device holds.

Everything here depends on the world only, except ``passes_filter``, which reads the current
business units of the user and of the row owner.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache

from models.records import RowFilter, Values
from models.security import Directory, owner_bu
from models.world import World


@lru_cache(maxsize=64)
def device_tables(world: World) -> frozenset[str]:
    """PROFILE-1: the tables on a device are the offline profile's tables that belong to at
    least one offline-enabled app module."""
    return frozenset(t for t in world.profile if t in world.offline_modules_tables)


@lru_cache(maxsize=64)
def _available_views(world: World) -> tuple[str, ...]:
    """PROFILE-3: a view is available offline iff its table and every table it references are
    on the device."""
    tables = device_tables(world)
    return tuple(sorted(v for v, refs in world.views.items() if refs <= tables))


def available_views(world: World) -> list[str]:
    """PROFILE-3 (see ``_available_views``)."""
    return list(_available_views(world))


def metadata_tables(world: World) -> list[str]:
    """PROFILE-4: the initial metadata download covers exactly the device's tables."""
    return sorted(device_tables(world))


def is_offline_table(world: World, table: str) -> bool:
    """PROFILE-2: operations on any other table are refused with ``not_offline``."""
    return table in device_tables(world)


def passes_filter(world: World, d: Directory, user: str, row_filter: RowFilter, owner: str) -> bool:
    """PROFILE-5: the profile's row filter for a table: all rows, rows the user owns (not those
    of their teams), or rows owned in the user's business unit (WORLD-2: a team-owned row's is
    its team's). A ``related`` table's rows pass here: ``related_rows`` decides them."""
    if row_filter in ("all", "related"):
        return True
    if row_filter == "mine":
        return owner == user
    return owner_bu(world, d, owner) == d.user_bu[user]


def related_rows(
    world: World,
    rows: Mapping[str, tuple[str, Values]],
    seeds: Iterable[str],
    candidates: Iterable[str],
) -> set[str]:
    """PROFILE-7: the rows of ``related`` tables a download holds. ``rows`` are the server's
    rows in the device tables (id -> table, values), ``seeds`` the downloaded rows of the other
    profile tables (readable, passing their own filters) and ``candidates`` the rows of the
    ``related`` tables the user may read. A candidate is downloaded when a lookup joins it to
    a downloaded row, in either direction: the downloaded row's lookup names it in the lookup's
    target table, or its own lookup names the downloaded row in that row's table; a candidate
    downloaded so makes further candidates related, to a fixed point. Only readable rows are
    ever reached: the filter never widens what security allows."""
    links: dict[str, set[str]] = {rid: set() for rid in rows}
    for rid, (table, values) in rows.items():
        spec = world.tables.get(table)
        if spec is None:
            continue
        for column, target in spec.lookups.items():
            other = values.get(column)
            if isinstance(other, str) and other != rid and rows.get(other, ("",))[0] == target:
                links[rid].add(other)
                links[other].add(rid)
    allowed = set(candidates)
    reached = {rid for rid in seeds if rid in links}
    frontier = sorted(reached)
    found: set[str] = set()
    while frontier:
        for other in links[frontier.pop()]:
            if other in allowed and other not in found:
                found.add(other)
                frontier.append(other)
    return found
