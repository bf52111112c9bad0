"""A small, readable sample world used by the documented scenarios and the tests."""

from __future__ import annotations

import copy

from models.records import ConflictPolicy, RowFilter, TableSpec, WorldSpec

NAME = {"type": "string", "minLength": 1, "maxLength": 40}
LOOKUP = {"type": ["string", "null"], "maxLength": 40}

TABLES: list[TableSpec] = [
    {
        "name": "account",
        "columns": {
            "name": NAME,
            "revenue": {"type": "integer", "minimum": 0, "maximum": 10**9},
            "primarycontact": LOOKUP,
            "creditlimit": {"type": ["number", "null"], "minimum": 0},
        },
        "lookups": {"primarycontact": "contact"},
        "secured": ["creditlimit"],
    },
    {
        "name": "contact",
        "columns": {"fullname": NAME, "email": {"type": ["string", "null"], "maxLength": 60}},
        "lookups": {},
        "secured": [],
    },
    {
        "name": "opportunity",
        "columns": {
            "topic": NAME,
            "stage": {"enum": ["qualify", "develop", "propose", "close"]},
            "account": LOOKUP,
        },
        "lookups": {"account": "account"},
        "secured": [],
    },
    {
        "name": "task",
        "columns": {"subject": NAME, "done": {"type": "boolean"}},
        "lookups": {},
        "secured": [],
    },
]

ALL_TABLES = ("account", "contact", "opportunity", "task")


def sample_world(
    profile: dict[str, RowFilter] | None = None,
    conflict_policy: ConflictPolicy = "client_wins",
) -> WorldSpec:
    """Contoso: org > sales > (east, west); org > service.

    carol (org) manages alice (sales), who manages bob (east) and dan (west); erin is in
    service. Salespeople read rows of their business unit and write and delete their own; the
    manager role reads the whole organisation. Devices: bob's phone and tablet, alice's phone.
    """
    everything: dict[str, RowFilter] = {t: "all" for t in ALL_TABLES}
    world: WorldSpec = {
        "business_units": [
            {"id": "org", "parent": None},
            {"id": "sales", "parent": "org"},
            {"id": "east", "parent": "sales"},
            {"id": "west", "parent": "sales"},
            {"id": "service", "parent": "org"},
        ],
        "users": [
            {"id": "carol", "business_unit": "org", "manager": None, "roles": ["manager"]},
            {"id": "alice", "business_unit": "sales", "manager": "carol", "roles": ["salesperson"]},
            {"id": "bob", "business_unit": "east", "manager": "alice", "roles": ["salesperson"]},
            {"id": "dan", "business_unit": "west", "manager": "alice", "roles": ["salesperson"]},
            {"id": "erin", "business_unit": "service", "manager": None, "roles": ["salesperson"]},
        ],
        "roles": [
            {
                "id": "salesperson",
                "privileges": {
                    t: {
                        "create": "user",
                        "read": "business_unit",
                        "write": "user",
                        "delete": "user",
                    }
                    for t in ALL_TABLES
                },
            },
            {
                "id": "manager",
                "privileges": {
                    t: {"create": "user", "read": "organization", "write": "user", "delete": "user"}
                    for t in ALL_TABLES
                },
            },
            {"id": "reader", "privileges": {t: {"read": "organization"} for t in ALL_TABLES}},
        ],
        "tables": TABLES,
        "field_permissions": [
            {"table": "account", "column": "creditlimit", "users": ["alice", "carol"]}
        ],
        "rows": [
            {
                "id": "acc-east",
                "table": "account",
                "owner": "bob",
                "values": {
                    "name": "Fabrikam",
                    "revenue": 100,
                    "primarycontact": "con-east",
                    "creditlimit": 5000,
                },
            },
            {
                "id": "acc-west",
                "table": "account",
                "owner": "dan",
                "values": {
                    "name": "Litware",
                    "revenue": 200,
                    "primarycontact": None,
                    "creditlimit": None,
                },
            },
            {
                "id": "acc-sales",
                "table": "account",
                "owner": "alice",
                "values": {
                    "name": "Northwind",
                    "revenue": 300,
                    "primarycontact": None,
                    "creditlimit": 100,
                },
            },
            {
                "id": "con-east",
                "table": "contact",
                "owner": "bob",
                "values": {"fullname": "Ana Ruiz", "email": None},
            },
            {
                "id": "task-east",
                "table": "task",
                "owner": "bob",
                "values": {"subject": "Call Ana", "done": False},
            },
        ],
        "shares": [],
        "hierarchy": {"enabled": True, "depth": 2},
        "app_modules": [
            {"id": "field-sales", "offline_enabled": True, "tables": list(ALL_TABLES)},
            {"id": "back-office", "offline_enabled": False, "tables": ["task"]},
        ],
        "profile": everything if profile is None else profile,
        "views": [
            {"id": "active-accounts", "table": "account", "references": []},
            {"id": "accounts-with-contact", "table": "account", "references": ["contact"]},
            {"id": "open-opportunities", "table": "opportunity", "references": ["account"]},
        ],
        "devices": [
            {"id": "bob-phone", "user": "bob"},
            {"id": "bob-tablet", "user": "bob"},
            {"id": "alice-phone", "user": "alice"},
        ],
        "conflict_policy": conflict_policy,
    }
    return copy.deepcopy(world)
