"""The server's sqlite schema. Teams, positions, role inheritance and Read on the offline
profile (``profile_readers``, PROFILE-8) have tables of their own
(no new column in an older table), so opening a database file of an earlier version adds
them."""

SERVER_DDL = """
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (id TEXT PRIMARY KEY, parent TEXT);
CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, unit TEXT NOT NULL, manager TEXT);
CREATE TABLE IF NOT EXISTS user_roles (user TEXT, role TEXT, PRIMARY KEY (user, role));
CREATE TABLE IF NOT EXISTS roles (id TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS role_privileges (
    role TEXT, tbl TEXT, privilege TEXT, depth TEXT, PRIMARY KEY (role, tbl, privilege));
CREATE TABLE IF NOT EXISTS rows (
    id TEXT PRIMARY KEY, tbl TEXT NOT NULL, owner TEXT NOT NULL, vals TEXT NOT NULL,
    version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS row_changes (row TEXT, number INTEGER, source TEXT);
CREATE TABLE IF NOT EXISTS shares (row TEXT, user TEXT, rights TEXT, PRIMARY KEY (row, user));
CREATE TABLE IF NOT EXISTS field_permissions (
    tbl TEXT, col TEXT, user TEXT, PRIMARY KEY (tbl, col, user));
CREATE TABLE IF NOT EXISTS applied_ops (
    device TEXT, op_id TEXT, outcome TEXT, PRIMARY KEY (device, op_id));
CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, device TEXT, user TEXT);
CREATE TABLE IF NOT EXISTS role_inheritance (role TEXT PRIMARY KEY, inheritance TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS positions (id TEXT PRIMARY KEY, parent TEXT);
CREATE TABLE IF NOT EXISTS user_positions (user TEXT PRIMARY KEY, position TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS teams (id TEXT PRIMARY KEY, kind TEXT NOT NULL, unit TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS team_members (team TEXT, user TEXT, PRIMARY KEY (team, user));
CREATE TABLE IF NOT EXISTS team_roles (team TEXT, role TEXT, PRIMARY KEY (team, role));
CREATE TABLE IF NOT EXISTS team_shares (row TEXT, team TEXT, rights TEXT, PRIMARY KEY (row, team));
CREATE TABLE IF NOT EXISTS profile_readers (user TEXT PRIMARY KEY);
"""

ALL_TABLES = (
    "kv",
    "units",
    "users",
    "user_roles",
    "roles",
    "role_privileges",
    "rows",
    "row_changes",
    "shares",
    "field_permissions",
    "applied_ops",
    "tokens",
    "role_inheritance",
    "positions",
    "user_positions",
    "teams",
    "team_members",
    "team_roles",
    "team_shares",
    "profile_readers",
)
