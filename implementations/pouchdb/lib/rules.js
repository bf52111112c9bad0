// The security and value rules of SPEC.md, as pure functions over a directory.
//
// This file is deliberately self-contained (no require, no closure over anything outside
// it): the server embeds its source in the design document `_design/offsync`, where
// `validate_doc_update` loads it with CouchDB's `require('lib/rules')` and the replication
// filter inlines it (PouchDB evaluates filters in a fresh `vm` context). The device and the
// server program `require` the same file, so every party judges with the same code.
//
// The directory is the server's security state as one JSON object (the design document's
// functions receive it as CouchDB's `secObj`):
//   users: {id: {business_unit, manager, roles: [role]}}
//   bu_parent: {bu: parent or null}
//   roles: {role: {table: {create|read|write|delete: depth}}}
//   shares: {row: {user: [read|write|delete]}}
//   hierarchy: {enabled, depth}
//   field_permissions: {table: {column: [user]}}
//   tables: {name: {columns: {column: JSON Schema}, secured: [column]}}
//   device_tables: [table], profile: {table: all|mine|my_business_unit}
//   conflict_policy: client_wins|server_wins
'use strict';

var DEPTHS = ['none', 'user', 'business_unit', 'parent_child', 'organization'];
var PRIVILEGES = ['create', 'read', 'write', 'delete'];
var ROW_RIGHTS = ['read', 'write', 'delete'];
var USER_LEVEL = 1;

// --- values (WORLD-3) ----------------------------------------------------------------------

function isType(value, type) {
  if (type === 'null') return value === null;
  if (type === 'boolean') return typeof value === 'boolean';
  if (type === 'string') return typeof value === 'string';
  if (type === 'integer') return typeof value === 'number' && Number.isInteger(value);
  if (type === 'number') return typeof value === 'number' && Number.isFinite(value);
  return false;
}

// JSON Schema counts a string's length in code points, not UTF-16 units.
function codePoints(text) {
  var n = 0;
  for (var i = 0; i < text.length; i += 1) {
    var c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      var d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i += 1;
    }
    n += 1;
  }
  return n;
}

function sameJson(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  var ka = Object.keys(a);
  var kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (var i = 0; i < ka.length; i += 1) {
    if (!Object.prototype.hasOwnProperty.call(b, ka[i]) || !sameJson(a[ka[i]], b[ka[i]])) {
      return false;
    }
  }
  return true;
}

// Whether `value` satisfies a column schema (the subset WORLD-3 allows).
function valueMatches(schema, value) {
  if (schema.enum !== undefined) {
    var found = false;
    for (var i = 0; i < schema.enum.length; i += 1) {
      if (sameJson(schema.enum[i], value)) found = true;
    }
    if (!found) return false;
  }
  if (schema.type !== undefined) {
    var types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    var typed = false;
    for (var j = 0; j < types.length; j += 1) {
      if (isType(value, types[j])) typed = true;
    }
    if (!typed) return false;
  }
  if (typeof value === 'string') {
    var length = codePoints(value);
    if (schema.minLength !== undefined && length < schema.minLength) return false;
    if (schema.maxLength !== undefined && length > schema.maxLength) return false;
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value)) return false;
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) return false;
    if (schema.maximum !== undefined && value > schema.maximum) return false;
  }
  return true;
}

// Why `values` are invalid for a table's columns, or null. A create gives every column
// (`complete`); an update a non-empty subset.
function valuesProblem(columns, values, complete) {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    return 'values must be an object';
  }
  var names = Object.keys(values);
  for (var i = 0; i < names.length; i += 1) {
    if (!Object.prototype.hasOwnProperty.call(columns, names[i])) {
      return 'unknown column ' + JSON.stringify(names[i]);
    }
  }
  if (complete) {
    var all = Object.keys(columns);
    for (var j = 0; j < all.length; j += 1) {
      if (!Object.prototype.hasOwnProperty.call(values, all[j])) {
        return 'missing column ' + JSON.stringify(all[j]);
      }
    }
  } else if (names.length === 0) {
    return 'an update must change at least one column';
  }
  for (var k = 0; k < names.length; k += 1) {
    if (!valueMatches(columns[names[k]], values[names[k]])) {
      return 'column ' + JSON.stringify(names[k]) + ': value does not match its schema';
    }
  }
  return null;
}

// --- security (SEC-1 .. SEC-7) -------------------------------------------------------------

function subtree(dir, bu) {
  var found = {};
  found[bu] = true;
  var changed = true;
  while (changed) {
    changed = false;
    var units = Object.keys(dir.bu_parent);
    for (var i = 0; i < units.length; i += 1) {
      var parent = dir.bu_parent[units[i]];
      if (parent !== null && found[parent] && !found[units[i]]) {
        found[units[i]] = true;
        changed = true;
      }
    }
  }
  return found;
}

// SEC-2: the deepest depth any of the user's roles grants (as a level, 0 = none).
function depthOf(dir, user, table, privilege) {
  var best = 0;
  var roles = dir.users[user].roles;
  for (var i = 0; i < roles.length; i += 1) {
    var byTable = dir.roles[roles[i]][table] || {};
    var level = DEPTHS.indexOf(byTable[privilege] || 'none');
    if (level > best) best = level;
  }
  return best;
}

// SEC-1: which rows a depth reaches, by the owner's business unit (WORLD-2).
function depthCovers(dir, user, level, owner) {
  if (level >= 4) return true;
  if (level >= 3) return !!subtree(dir, dir.users[user].business_unit)[dir.users[owner].business_unit];
  if (level >= 2) return dir.users[owner].business_unit === dir.users[user].business_unit;
  if (level >= 1) return owner === user;
  return false;
}

// SEC-5: 1 for the owner's direct manager, n for the n-th manager up, null otherwise.
function managerLevel(dir, user, owner) {
  if (!dir.hierarchy.enabled) return null;
  var seen = {};
  seen[owner] = true;
  var current = dir.users[owner] ? dir.users[owner].manager : null;
  var level = 1;
  while (current !== null && current !== undefined && !seen[current]) {
    if (current === user) return level;
    seen[current] = true;
    current = dir.users[current] ? dir.users[current].manager : null;
    level += 1;
  }
  return null;
}

// The rights `user` holds on one row now: depths (SEC-1, SEC-2), shares (SEC-4) and the
// manager hierarchy (SEC-5: the direct manager gets Read and Write, not Delete; managers
// above, Read only).
function rowRights(dir, user, table, row, owner) {
  var rights = [];
  if (!dir.users[user] || !dir.users[owner]) return rights;
  var shared = (dir.shares[row] || {})[user] || null;
  var above = managerLevel(dir, user, owner);
  if (above !== null && above > dir.hierarchy.depth) above = null;
  for (var i = 0; i < ROW_RIGHTS.length; i += 1) {
    var right = ROW_RIGHTS[i];
    var level = depthOf(dir, user, table, right);
    if (depthCovers(dir, user, level, owner)) {
      rights.push(right);
    } else if (
      level >= USER_LEVEL &&
      ((shared !== null && shared.indexOf(right) !== -1) ||
        (above === 1 && right !== 'delete') ||
        (above !== null && right === 'read'))
    ) {
      rights.push(right);
    }
  }
  return rights;
}

// SEC-3: creating needs Create at User depth at least.
function canCreate(dir, user, table) {
  return depthOf(dir, user, table, 'create') >= USER_LEVEL;
}

// SEC-7: the secured columns among `columns` that `user` may not set.
function securedDenied(dir, user, table, columns) {
  var secured = dir.tables[table].secured;
  var allowed = dir.field_permissions[table] || {};
  return columns.filter(function (c) {
    return secured.indexOf(c) !== -1 && (allowed[c] || []).indexOf(user) === -1;
  });
}

// PROFILE-5: the profile's row filter.
function passesFilter(dir, user, rowFilter, owner) {
  if (rowFilter === 'all') return true;
  if (rowFilter === 'mine') return owner === user;
  return dir.users[owner].business_unit === dir.users[user].business_unit;
}

// The user's projection (PROFILE-5, SEC): a row of a device table that passes the profile's
// filter and that the user may read.
function readable(dir, user, doc) {
  if (dir.device_tables.indexOf(doc.table) === -1 || !dir.users[user]) return false;
  if (!passesFilter(dir, user, dir.profile[doc.table], doc.owner)) return false;
  return rowRights(dir, user, doc.table, doc._id, doc.owner).indexOf('read') !== -1;
}

// The replication filter (reads): a device pulls its user's projection, and every
// tombstone of a device table (a deletion must reach the devices that hold the row).
function projected(doc, userCtx, dir) {
  if (typeof doc._id !== 'string' || doc._id.indexOf('_design/') === 0) return false;
  if (doc._deleted) return dir.device_tables.indexOf(doc.table) !== -1;
  return readable(dir, userCtx.name, doc);
}

// STALE-4: the privilege snapshot that goes with a download of `rows` ({id: {table, owner}}).
function snapshot(dir, user, rows) {
  var createTables = [];
  var ownRights = {};
  dir.device_tables.forEach(function (t) {
    if (canCreate(dir, user, t)) createTables.push(t);
    ownRights[t] = ROW_RIGHTS.filter(function (r) {
      return depthOf(dir, user, t, r) >= USER_LEVEL;
    });
  });
  var rowRightsById = {};
  Object.keys(rows).forEach(function (id) {
    rowRightsById[id] = rowRights(dir, user, rows[id].table, id, rows[id].owner);
  });
  return { create_tables: createTables.sort(), own_rights: ownRights, row_rights: rowRightsById };
}

// --- revisions ----------------------------------------------------------------------------

// The revision ids ("3-abc") of a document's known history, newest first.
function history(doc) {
  if (doc._revisions && doc._revisions.ids) {
    return doc._revisions.ids.map(function (id, i) {
      return doc._revisions.start - i + '-' + id;
    });
  }
  return doc._rev ? [doc._rev] : [];
}

// The columns a revision changes against `base`: those whose values differ. (Exploration
// only: a revision that lists the columns its edits named, `named`, is taken at its word;
// see FINDINGS.md.)
function changedColumns(doc, base) {
  if (Array.isArray(doc.named)) return doc.named.slice();
  return Object.keys(doc.values).filter(function (c) {
    return !base || !sameJson(doc.values[c], base.values[c]);
  });
}

// --- validate_doc_update (VALID-3) --------------------------------------------------------

// Why the server refuses to store `newDoc` (a revision a device pushed), in SPEC's order
// not_found, invalid, privilege, conflict; null when it may be stored. `oldDoc` is what
// the express-pouchdb stack passes: the document's current winning revision with its
// `_revisions`, or null when there is none (never created, or deleted).
//
// A revision is judged as one change: its kind is inferred from the two documents
// (a tombstone is a delete; a revision without a current document is a create; one whose
// history meets the current revision's is an update; one whose history does not is a
// create of an id that exists). A pushed revision that does not descend from the current
// revision conflicts (CONFLICT-1): the server changed the row since the device's base, or
// another device did; under server_wins it is refused here, under client_wins it is stored
// and the server's resolver merges it.
function rejection(newDoc, oldDoc, userCtx, dir) {
  if (userCtx.roles && userCtx.roles.indexOf('_admin') !== -1) return null;
  var user = userCtx.name;
  if (!dir.users[user] || String(newDoc._id).indexOf('_design/') === 0) return 'privilege';
  var table = dir.tables[newDoc.table];
  var newHistory = history(newDoc);
  var conflicting = !!oldDoc && newHistory.indexOf(oldDoc._rev) === -1;
  if (newDoc._deleted) {
    if (!oldDoc || oldDoc.table !== newDoc.table) return 'not_found';
    if (rowRights(dir, user, oldDoc.table, oldDoc._id, oldDoc.owner).indexOf('delete') === -1) {
      return 'privilege';
    }
    return conflicting && dir.conflict_policy === 'server_wins' ? 'conflict' : null;
  }
  if (!table) return 'invalid';
  if (!oldDoc) {
    if (valuesProblem(table.columns, newDoc.values, true)) return 'invalid';
    if (newDoc.owner !== user || !canCreate(dir, user, newDoc.table)) return 'privilege';
    var set = Object.keys(newDoc.values).filter(function (c) {
      return newDoc.values[c] !== null;
    });
    return securedDenied(dir, user, newDoc.table, set).length ? 'privilege' : null;
  }
  var oldHistory = history(oldDoc);
  var related = newHistory.some(function (rev) {
    return oldHistory.indexOf(rev) !== -1;
  });
  if (!related) return 'invalid'; // a create of an id that exists
  if (oldDoc.table !== newDoc.table) return 'not_found';
  if (valuesProblem(table.columns, newDoc.values, true)) return 'invalid';
  if (!conflicting && newDoc.owner !== oldDoc.owner) return 'privilege'; // only admins reassign
  if (rowRights(dir, user, oldDoc.table, oldDoc._id, oldDoc.owner).indexOf('write') === -1) {
    return 'privilege';
  }
  var changed = changedColumns(newDoc, oldDoc);
  if (securedDenied(dir, user, newDoc.table, changed).length) return 'privilege';
  return conflicting && dir.conflict_policy === 'server_wins' ? 'conflict' : null;
}

module.exports = {
  DEPTHS: DEPTHS,
  PRIVILEGES: PRIVILEGES,
  ROW_RIGHTS: ROW_RIGHTS,
  valueMatches: valueMatches,
  valuesProblem: valuesProblem,
  sameJson: sameJson,
  subtree: subtree,
  rowRights: rowRights,
  canCreate: canCreate,
  securedDenied: securedDenied,
  readable: readable,
  projected: projected,
  snapshot: snapshot,
  history: history,
  changedColumns: changedColumns,
  rejection: rejection,
};
