"""The offline profile: which tables, views and rows a device holds.

Everything here depends on the world only, except ``passes_filter``, which reads the current
business units of the user and of the row owner.
"""

from __future__ import annotations

from functools import lru_cache

from models.records import RowFilter
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
    its team's)."""
    if row_filter == "all":
        return True
    if row_filter == "mine":
        return owner == user
    return owner_bu(world, d, owner) == d.user_bu[user]
