// A world (SPEC WORLD-1): checked once, then turned into the server's directory and the
// devices' metadata.
'use strict';

const rules = require('./rules');

const ROW_FILTERS = ['all', 'mine', 'my_business_unit'];
const SCHEMA_KEYWORDS = ['type', 'enum', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
  'description'];
const TYPES = ['string', 'integer', 'number', 'boolean', 'null'];

class InvalidWorld extends Error {}

function fail(what) {
  return new InvalidWorld(`invalid world: ${what}`);
}

function checkSchema(where, schema) {
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw fail(`column ${where}: the schema must be an object`);
  }
  const extra = Object.keys(schema).filter((k) => !SCHEMA_KEYWORDS.includes(k));
  if (extra.length) throw fail(`column ${where}: unsupported schema keywords ${JSON.stringify(extra)}`);
  if (schema.type === undefined && schema.enum === undefined) {
    throw fail(`column ${where}: a column schema needs 'type' or 'enum'`);
  }
  if (schema.type !== undefined) {
    const listed = typeof schema.type === 'string' ? [schema.type] : schema.type;
    if (!Array.isArray(listed) || !listed.length || !listed.every((t) => TYPES.includes(t))) {
      throw fail(`column ${where}: unsupported type ${JSON.stringify(schema.type)}`);
    }
  }
  if (schema.enum !== undefined && (!Array.isArray(schema.enum) || !schema.enum.length)) {
    throw fail(`column ${where}: enum must be a non-empty list`);
  }
  if (schema.pattern !== undefined) {
    try {
      new RegExp(schema.pattern, 'u'); // eslint-disable-line no-new
    } catch (err) {
      throw fail(`column ${where}: bad pattern: ${err.message}`);
    }
  }
}

function unique(kind, items, key = (x) => x.id) {
  const seen = new Set();
  for (const item of items) {
    if (seen.has(key(item))) throw fail(`${kind} ${JSON.stringify(key(item))} is defined twice`);
    seen.add(key(item));
  }
  return seen;
}

// Whether making `manager` the manager of `user` closes a cycle (WORLD-1, EVENT-2).
function managerCycle(managers, user, manager) {
  const seen = new Set([user]);
  let current = manager;
  while (current !== null && current !== undefined) {
    if (seen.has(current)) return true;
    seen.add(current);
    current = managers[current];
  }
  return false;
}

// WORLD-1 and WORLD-3: throws InvalidWorld naming the offending entry.
function checkWorld(world) {
  if (typeof world !== 'object' || world === null) throw fail('the world must be an object');
  for (const key of ['business_units', 'users', 'roles', 'tables', 'field_permissions', 'rows',
    'shares', 'hierarchy', 'app_modules', 'profile', 'views', 'devices', 'conflict_policy']) {
    if (!(key in world)) throw fail(`missing ${JSON.stringify(key)}`);
  }
  const units = unique('business unit', world.business_units);
  const parents = Object.fromEntries(world.business_units.map((b) => [b.id, b.parent]));
  const roots = world.business_units.filter((b) => b.parent === null);
  if (roots.length !== 1) {
    throw fail(`exactly one root business unit is required, found ${JSON.stringify(roots.map((b) => b.id))}`);
  }
  for (const b of world.business_units) {
    if (b.parent !== null && !units.has(b.parent)) {
      throw fail(`business unit ${JSON.stringify(b.id)} has unknown parent ${JSON.stringify(b.parent)}`);
    }
    const seen = new Set([b.id]);
    for (let cur = b.parent; cur !== null; cur = parents[cur]) {
      if (seen.has(cur)) throw fail(`business unit ${JSON.stringify(b.id)} is in a parent cycle`);
      seen.add(cur);
    }
  }
  const tables = {};
  unique('table', world.tables, (t) => t.name);
  for (const t of world.tables) {
    for (const [column, schema] of Object.entries(t.columns)) checkSchema(`${t.name}.${column}`, schema);
    for (const column of [...Object.keys(t.lookups), ...t.secured]) {
      if (!(column in t.columns)) throw fail(`table ${JSON.stringify(t.name)} names unknown column ${JSON.stringify(column)}`);
    }
    tables[t.name] = t;
  }
  for (const t of world.tables) {
    for (const [column, target] of Object.entries(t.lookups)) {
      if (!(target in tables)) throw fail(`lookup ${t.name}.${column} targets unknown table ${JSON.stringify(target)}`);
    }
  }
  const roles = unique('role', world.roles);
  for (const role of world.roles) {
    for (const [table, privileges] of Object.entries(role.privileges)) {
      if (!(table in tables)) throw fail(`role ${JSON.stringify(role.id)} names unknown table ${JSON.stringify(table)}`);
      for (const [privilege, depth] of Object.entries(privileges)) {
        if (!rules.PRIVILEGES.includes(privilege) || !rules.DEPTHS.includes(depth)) {
          throw fail(`role ${JSON.stringify(role.id)} has bad privilege ${JSON.stringify(privilege)}: ${JSON.stringify(depth)}`);
        }
      }
    }
  }
  const users = unique('user', world.users);
  const managers = Object.fromEntries(world.users.map((u) => [u.id, u.manager]));
  for (const u of world.users) {
    if (!units.has(u.business_unit)) throw fail(`user ${JSON.stringify(u.id)} is in unknown business unit ${JSON.stringify(u.business_unit)}`);
    for (const r of u.roles) {
      if (!roles.has(r)) throw fail(`user ${JSON.stringify(u.id)} has unknown role ${JSON.stringify(r)}`);
    }
    if (u.manager !== null && !users.has(u.manager)) throw fail(`user ${JSON.stringify(u.id)} has unknown manager ${JSON.stringify(u.manager)}`);
    if (managerCycle(managers, u.id, u.manager)) throw fail(`user ${JSON.stringify(u.id)} is in a manager cycle`);
  }
  for (const fp of world.field_permissions) {
    const table = tables[fp.table];
    if (!table || !table.secured.includes(fp.column)) throw fail(`field permission on ${fp.table}.${fp.column} is not a secured column`);
    const unknown = fp.users.filter((u) => !users.has(u));
    if (unknown.length) throw fail(`field permission on ${fp.table}.${fp.column} names unknown users ${JSON.stringify(unknown)}`);
  }
  const rows = unique('row', world.rows);
  for (const row of world.rows) {
    if (!(row.table in tables)) throw fail(`row ${JSON.stringify(row.id)} is in unknown table ${JSON.stringify(row.table)}`);
    if (!users.has(row.owner)) throw fail(`row ${JSON.stringify(row.id)} has unknown owner ${JSON.stringify(row.owner)}`);
    const problem = rules.valuesProblem(tables[row.table].columns, row.values, true);
    if (problem) throw fail(`row ${JSON.stringify(row.id)}: ${problem}`);
  }
  for (const share of world.shares) {
    if (!rows.has(share.row) || !users.has(share.user)) throw fail(`share of ${JSON.stringify(share.row)} to ${JSON.stringify(share.user)} names an unknown entry`);
    if (!share.rights.every((r) => rules.ROW_RIGHTS.includes(r))) throw fail(`share of ${JSON.stringify(share.row)} has bad rights ${JSON.stringify(share.rights)}`);
  }
  unique('app module', world.app_modules);
  for (const m of world.app_modules) {
    for (const t of m.tables) {
      if (!(t in tables)) throw fail(`app module ${JSON.stringify(m.id)} names unknown table ${JSON.stringify(t)}`);
    }
  }
  for (const [table, filter] of Object.entries(world.profile)) {
    if (!(table in tables) || !ROW_FILTERS.includes(filter)) throw fail(`profile entry ${JSON.stringify(table)}: ${JSON.stringify(filter)} is not valid`);
  }
  unique('view', world.views);
  for (const v of world.views) {
    const unknown = [v.table, ...v.references].filter((t) => !(t in tables));
    if (unknown.length) throw fail(`view ${JSON.stringify(v.id)} references unknown tables ${JSON.stringify(unknown)}`);
  }
  const devices = new Set();
  for (const d of world.devices) {
    if (devices.has(d.id) || !users.has(d.user)) throw fail(`device ${JSON.stringify(d.id)} is defined twice or has unknown user ${JSON.stringify(d.user)}`);
    devices.add(d.id);
  }
  if (!(Number.isInteger(world.hierarchy.depth) && world.hierarchy.depth >= 1)) throw fail('hierarchy depth must be at least 1');
  if (!['client_wins', 'server_wins'].includes(world.conflict_policy)) throw fail(`unknown conflict policy ${JSON.stringify(world.conflict_policy)}`);
}

// PROFILE-1: the profile's tables that belong to at least one offline-enabled app module.
function deviceTables(world) {
  const offline = new Set(world.app_modules.filter((m) => m.offline_enabled).flatMap((m) => m.tables));
  return Object.keys(world.profile).filter((t) => offline.has(t)).sort();
}

// PROFILE-3 / PROFILE-4: what a device downloads before any row: its tables (with their
// column schemas, for its own checks), and the views whose tables are all on it.
function metadata(world) {
  const tables = deviceTables(world);
  const columns = {};
  for (const t of world.tables) if (tables.includes(t.name)) columns[t.name] = t.columns;
  const views = world.views
    .filter((v) => [v.table, ...v.references].every((t) => tables.includes(t)))
    .map((v) => v.id)
    .sort();
  return { tables, views, columns };
}

// The server's security state (the design document's `secObj`), from a checked world.
function directory(world) {
  const roles = {};
  for (const role of world.roles) {
    roles[role.id] = {};
    for (const [table, privileges] of Object.entries(role.privileges)) {
      roles[role.id][table] = { ...privileges };
    }
  }
  const shares = {};
  for (const s of world.shares) {
    (shares[s.row] ??= {})[s.user] = [...new Set(s.rights)];
  }
  const fieldPermissions = {};
  for (const fp of world.field_permissions) {
    (fieldPermissions[fp.table] ??= {})[fp.column] = [...fp.users];
  }
  return {
    users: Object.fromEntries(world.users.map((u) => [u.id,
      { business_unit: u.business_unit, manager: u.manager, roles: [...new Set(u.roles)] }])),
    bu_parent: Object.fromEntries(world.business_units.map((b) => [b.id, b.parent])),
    roles,
    shares,
    hierarchy: { enabled: world.hierarchy.enabled, depth: world.hierarchy.depth },
    field_permissions: fieldPermissions,
    tables: Object.fromEntries(world.tables.map((t) => [t.name, { columns: t.columns, secured: t.secured }])),
    device_tables: deviceTables(world),
    profile: { ...world.profile },
    conflict_policy: world.conflict_policy,
  };
}

module.exports = { InvalidWorld, checkWorld, deviceTables, metadata, directory, managerCycle };
