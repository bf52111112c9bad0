"""The server's sqlite schema."""

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
)
