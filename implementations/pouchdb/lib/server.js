// The sync server: one PouchDB database of rows served over HTTP on loopback by
// express-pouchdb, with the security rules where a CouchDB-style server has them:
//
// - writes: the design document's `validate_doc_update`, run on every document a device
//   pushes (the directory of users, roles, shares and managers is its `secObj`);
// - reads: the design document's replication filter, which the server imposes on every
//   `_changes` request of a device (a device cannot ask for another filter, or none);
// - conflicts: a pushed revision that does not descend from the current revision is refused
//   by `validate_doc_update` under server_wins; under client_wins it is stored (a conflict in
//   the revision tree) and the resolver below merges it at once.
//
// Administrator events (SPEC EVENT-1) change the directory, or write the database directly
// as `_admin`, without HTTP.
'use strict';

const fs = require('fs');
const path = require('path');
const vm = require('vm');
const express = require('express');
const expressPouchDB = require('express-pouchdb');
const wrappers = require('pouchdb-wrappers');
const coucheval = require('couchdb-eval');
const PouchMap = require('pouchdb-collections').Map;

const rules = require('./rules');
const world = require('./world');

const DESIGN_ID = '_design/offsync';
const ADMIN = Object.freeze({ name: null, roles: ['_admin'] });
const RULES_SOURCE = fs.readFileSync(path.join(__dirname, 'rules.js'), 'utf8');

// The design document. `validate_doc_update` and the filter are source text, evaluated by
// the PouchDB stack the way CouchDB evaluates them; both use lib/rules.js.
function designDoc() {
  const validate = `function (newDoc, oldDoc, userCtx, secObj) {
    var reason = require('lib/rules').rejection(newDoc, oldDoc, userCtx, secObj);
    if (reason) { throw {forbidden: reason}; }
  }`;
  // A filter is evaluated without CouchDB's require (PouchDB uses a fresh vm context): the
  // rules are inlined. As in CouchDB, `req` carries the user's context and the security
  // object (see SyncServer.authenticate).
  const filter = `(function () {
    var module = {exports: {}}, exports = module.exports;
    ${RULES_SOURCE}
    var rules = module.exports;
    return function (doc, req) { return rules.projected(doc, req.userCtx, req.secObj); };
  })()`;
  return { _id: DESIGN_ID, validate_doc_update: validate, filters: { projection: filter },
    lib: { rules: RULES_SOURCE } };
}

function refused(reason) {
  return { status: 'refused', reason };
}
const ACCEPTED = Object.freeze({ status: 'accepted' });

function forbidden(id, reason) {
  return { id, error: true, name: 'forbidden', status: 403, message: reason, reason };
}

class SyncServer {
  // `PouchDB` is a constructor with the memory adapter registered. With `stockValidation`,
  // express-pouchdb's own validation part (pouchdb-validation) runs validate_doc_update
  // instead of ours (see FINDINGS.md: it loses replicated updates).
  constructor(PouchDB, { stockValidation = false, explore = new Set(), workDir } = {}) {
    this.Pouch = PouchDB.defaults({ adapter: 'memory' });
    this.stockValidation = stockValidation;
    this.explore = explore;
    this.db = null;
    this.dbName = null;
    this.loads = 0;
    this.dir = null; // the directory (secObj)
    this.meta = null; // what devices download as metadata
    this.tokens = new Map(); // device -> {token, user}
    this.validators = null; // validate_doc_update functions of the design document
    const app = express();
    app.disable('x-powered-by');
    app.use((req, res, next) => this.authenticate(req, res, next));
    app.get('/_offsync/metadata', (req, res) => res.json(this.meta));
    app.get('/_offsync/session', (req, res, next) => {
      this.session(req.device.user).then((body) => res.json(body), next);
    });
    const include = stockValidation ? ['validation'] : [];
    app.use(expressPouchDB(this.Pouch, {
      mode: 'minimumForPouchDB',
      // no gzip: every byte goes over loopback
      overrideMode: { include, exclude: ['compression'] },
      logPath: path.join(workDir, 'express-pouchdb.log'),
      configPath: path.join(workDir, 'express-pouchdb.json'),
    }));
    this.app = app;
  }

  async start() {
    await new Promise((resolve, reject) => {
      this.http = this.app.listen(0, '127.0.0.1', resolve);
      this.http.once('error', reject);
    });
    this.url = `http://127.0.0.1:${this.http.address().port}`;
  }

  async stop() {
    if (this.http) await new Promise((resolve) => this.http.close(resolve));
    if (this.db) await this.db.destroy().catch(() => {});
  }

  // Every request comes from a device with its token (HTTP basic auth: device id and token).
  // express-pouchdb reads the user's context and the security object from the request.
  authenticate(req, res, next) {
    const header = req.headers.authorization || '';
    const [scheme, encoded] = header.split(' ');
    const [username, token] = Buffer.from(encoded || '', 'base64').toString('utf8').split(':');
    const known = scheme === 'Basic' ? this.tokens.get(username) : undefined;
    if (!known || known.token !== token) {
      res.status(401).json({ error: 'unauthorized', reason: 'a device token is required' });
      return;
    }
    req.device = known;
    const userCtx = { name: known.user, roles: [], device: known.device };
    req.couchSession = { userCtx };
    req.couchSecurityObj = this.dir;
    if (/\/_changes$/.test(req.path)) {
      // Reads: the server, not the device, chooses the filter: the design document's, which
      // a device may name or not (any other filter, view, selector or doc_ids is ignored).
      // PouchDB would evaluate the filter's source again for every request, in a new vm
      // context, and hand it `req.query` only; the server evaluates it once per world, as
      // CouchDB's query server keeps its functions, and hands it CouchDB's `req`.
      const projection = this.filter;
      const filterReq = { query: { ...req.query }, userCtx, secObj: this.dir };
      req.query.filter = (doc) => projection(doc, filterReq);
      delete req.query.doc_ids;
      delete req.query.selector;
      delete req.query.view;
      if (req.body) delete req.body.doc_ids;
    }
    next();
  }

  // --- world ------------------------------------------------------------------------------

  // A fresh database for a world (setup replaces everything); returns device id ->
  // {username, token}, the device's credentials.
  async load(spec) {
    world.checkWorld(spec);
    if (this.db) {
      const cache = this.Pouch.__dbCacheMap;
      if (cache) cache.delete(this.dbName);
      await this.db.destroy();
    }
    this.loads += 1;
    this.dbName = `rows${this.loads}`;
    this.db = new this.Pouch(this.dbName);
    // express-pouchdb serves this very object (its cache is keyed by name), so the
    // server program and HTTP requests share one database and one set of wrappers.
    this.Pouch.__dbCacheMap ??= new PouchMap();
    this.Pouch.__dbCacheMap.set(this.dbName, this.db);
    if (!this.stockValidation) this.installValidation(this.db);
    this.dir = world.directory(spec);
    this.meta = world.metadata(spec);
    this.validators = null;
    const ddoc = designDoc();
    this.filter = vm.runInNewContext(`(function () { "use strict"; return ${ddoc.filters.projection}; })()`);
    await this.db.put(ddoc);
    await this.db.bulkDocs(spec.rows.map((r) => ({
      _id: r.id, table: r.table, owner: r.owner, values: r.values })));
    // device ids are any strings: the credentials name devices by number
    this.tokens = new Map(spec.devices.map((d, i) => [`device${i}`, {
      device: d.id, user: d.user, token: `${this.loads}.${Math.random().toString(36).slice(2)}` }]));
    return new Map([...this.tokens].map(([username, t]) => [t.device, { username, token: t.token }]));
  }

  dbUrl() {
    return `${this.url}/${this.dbName}`;
  }

  // --- validation (writes) --------------------------------------------------------------

  // validate_doc_update on every write that comes with a user's context (every HTTP write of
  // a device), as express-pouchdb's validation part does: `oldDoc` is the current winning
  // revision with its history, or null. Unlike that part, the pushed document keeps its own
  // `_revisions` (pouchdb-validation 4.2.0 overwrites them with oldDoc's, which turns every
  // replicated update of an existing document into a no-op: see FINDINGS.md).
  installValidation(db) {
    const server = this;
    wrappers.installWrapperMethods(db, {
      bulkDocs(orig, args) {
        const userCtx = args.options && args.options.userCtx;
        if (!userCtx) return orig(); // the server program itself
        return server.validatedWrite(db, orig, args, userCtx, args.options.secObj || server.dir);
      },
    });
  }

  async validateFunctions() {
    if (!this.validators) {
      const ddoc = await this.db.get(DESIGN_ID);
      this.validators = [coucheval.evaluate(ddoc, {}, ddoc.validate_doc_update)];
    }
    return this.validators;
  }

  async validatedWrite(db, orig, args, userCtx, secObj) {
    const validators = await this.validateFunctions();
    const accepted = [];
    const refusals = [];
    const merges = [];
    for (const doc of args.docs) {
      if (String(doc._id).startsWith('_local/')) {
        accepted.push(doc);
        continue;
      }
      const oldDoc = await db.get(doc._id, { revs: true }).catch(() => null);
      if (!oldDoc && this.explore.has('deleted-rows') && await this.editsDeletedRow(db, doc)) {
        refusals.push(forbidden(doc._id, 'not_found'));
        continue;
      }
      try {
        for (const validate of validators) validate(doc, oldDoc, userCtx, secObj);
      } catch (err) {
        if (err && err.forbidden !== undefined) {
          refusals.push(forbidden(doc._id, err.forbidden));
          continue;
        }
        throw err;
      }
      accepted.push(doc);
      if (oldDoc && !rules.history(doc).includes(oldDoc._rev)) {
        merges.push({ id: doc._id, rev: doc._rev, theirs: oldDoc._rev }); // CONFLICT-1
      }
    }
    args.docs = accepted;
    const written = accepted.length ? await orig() : [];
    for (const merge of merges) await this.resolve(merge);
    for (const doc of accepted) {
      if (doc._deleted) await this.forgetIfDeleted(doc._id);
    }
    return [...refusals, ...written];
  }

  // Exploration only (OFFSYNC_POUCHDB_EXPLORE=deleted-rows, see FINDINGS.md): whether `doc`
  // edits a row that the server has deleted (its history meets the row's revision tree, whose
  // winner is a tombstone). validate_doc_update cannot tell: it gets no oldDoc then.
  async editsDeletedRow(db, doc) {
    const deleted = await db.get(doc._id).then(() => false, (err) => err.reason === 'deleted');
    if (!deleted) return false;
    const history = rules.history(doc);
    const diff = await db.revsDiff({ [doc._id]: history });
    const missing = diff[doc._id] ? diff[doc._id].missing.length : 0;
    return missing < history.length;
  }

  // CONFLICT-2 (client_wins): the pushed revision `rev` was stored beside the current one
  // (`theirs`). The device's changed columns (its revision against the newest revision of its
  // history that the server holds) go over the current values on the device's branch, and the
  // other branch is closed. A conflicting delete deletes: every other branch is closed.
  async resolve({ id, rev, theirs }) {
    const leaves = await this.db.get(id, { open_revs: [rev, theirs], revs: true });
    const mine = leaves.map((l) => l.ok).find((d) => d && d._rev === rev);
    const current = leaves.map((l) => l.ok).find((d) => d && d._rev === theirs);
    if (!mine || !current) return;
    const close = { _id: id, _rev: theirs, _deleted: true, table: current.table, owner: current.owner };
    if (mine._deleted) {
      await this.db.put(close);
      return;
    }
    let base = null;
    for (const ancestor of rules.history(mine).slice(1)) {
      base = await this.db.get(id, { rev: ancestor }).catch(() => null);
      if (base) break;
    }
    const merged = { ...current.values };
    for (const column of rules.changedColumns(mine, base)) merged[column] = mine.values[column];
    await this.db.put({ _id: id, _rev: rev, table: current.table, owner: current.owner, values: merged,
      op: mine.op, named: undefined });
    await this.db.put(close);
  }

  // A deleted row takes its shares with it (as in the model: a row id is never reused).
  async forgetIfDeleted(id) {
    const alive = await this.db.get(id).then(() => true, () => false);
    if (!alive) delete this.dir.shares[id];
  }

  // --- reads ------------------------------------------------------------------------------

  // What a device downloads beside the rows at the end of a cycle: the ids and winning
  // revisions of its user's projection (to find what filtered replication leaves behind)
  // and the privilege snapshot that goes with it (STALE-4).
  async session(user) {
    const all = await this.db.allDocs({ include_docs: true });
    const projection = {};
    const rows = {};
    for (const { doc } of all.rows) {
      if (doc._id.startsWith('_design/') || !rules.readable(this.dir, user, doc)) continue;
      projection[doc._id] = doc._rev;
      rows[doc._id] = { table: doc.table, owner: doc.owner };
    }
    return { projection, snapshot: rules.snapshot(this.dir, user, rows) };
  }

  // The server's rows, as SPEC observes them.
  async rows() {
    const all = await this.db.allDocs({ include_docs: true });
    const out = {};
    for (const { doc } of all.rows) {
      if (doc._id.startsWith('_design/')) continue;
      out[doc._id] = { table: doc.table, owner: doc.owner, values: doc.values };
    }
    return out;
  }

  // --- administrator events and other users' edits (EVENT-1, EVENT-2) --------------------

  async row(id) {
    if (typeof id !== 'string' || id.startsWith('_')) return null;
    return this.db.get(id).catch(() => null);
  }

  async event(op) {
    const d = this.dir;
    const kind = op.kind;
    const user = op.user;
    if (user !== undefined && user !== null && !Object.hasOwn(d.users, user)) return refused('invalid');
    if (kind === 'assign_role' || kind === 'remove_role') {
      if (user === undefined || !Object.hasOwn(d.roles, op.role)) return refused('invalid');
      const roles = d.users[user].roles;
      if (kind === 'assign_role' && !roles.includes(op.role)) roles.push(op.role);
      if (kind === 'remove_role') d.users[user].roles = roles.filter((r) => r !== op.role);
      return ACCEPTED;
    }
    if (kind === 'set_depth') {
      if (!Object.hasOwn(d.roles, op.role) || !Object.hasOwn(d.tables, op.table)
        || !rules.PRIVILEGES.includes(op.privilege) || !rules.DEPTHS.includes(op.depth)) {
        return refused('invalid');
      }
      (d.roles[op.role][op.table] ??= {})[op.privilege] = op.depth;
      return ACCEPTED;
    }
    if (kind === 'set_manager') {
      const manager = op.manager === undefined ? null : op.manager;
      if (user === undefined || (manager !== null && !Object.hasOwn(d.users, manager))) return refused('invalid');
      const managers = Object.fromEntries(Object.entries(d.users).map(([u, v]) => [u, v.manager]));
      if (world.managerCycle(managers, user, manager)) return refused('invalid');
      d.users[user].manager = manager;
      return ACCEPTED;
    }
    if (kind === 'move_user') {
      if (user === undefined || !Object.hasOwn(d.bu_parent, op.business_unit)) return refused('invalid');
      d.users[user].business_unit = op.business_unit;
      return ACCEPTED;
    }
    if (kind === 'server_create') {
      const table = d.tables[op.table];
      if (!Object.hasOwn(d.tables, op.table) || typeof op.row !== 'string' || op.row.startsWith('_')
        || (await this.row(op.row)) || !Object.hasOwn(d.users, op.owner)
        || rules.valuesProblem(table.columns, op.values || {}, true)) {
        return refused('invalid');
      }
      // a tombstone of the same id, if any, is extended (PouchDB allows a put without _rev)
      await this.db.put({ _id: op.row, table: op.table, owner: op.owner, values: op.values });
      return ACCEPTED;
    }
    if (!['share', 'unshare', 'reassign', 'server_update', 'server_delete'].includes(kind)) {
      return refused('invalid');
    }
    const row = await this.row(op.row);
    if (!row) return refused('not_found');
    if (kind === 'share') {
      const rights = op.rights || [];
      if (user === undefined || !Array.isArray(rights) || !rights.every((r) => rules.ROW_RIGHTS.includes(r))) {
        return refused('invalid');
      }
      (d.shares[op.row] ??= {})[user] = [...new Set(rights)];
    } else if (kind === 'unshare') {
      if (user === undefined) return refused('invalid');
      if (d.shares[op.row]) delete d.shares[op.row][user];
    } else if (kind === 'reassign') {
      if (!Object.hasOwn(d.users, op.owner)) return refused('invalid');
      await this.db.put({ ...row, owner: op.owner, op: undefined, named: undefined });
    } else if (kind === 'server_update') {
      const values = op.values || {};
      if (rules.valuesProblem(d.tables[row.table].columns, values, false)) return refused('invalid');
      await this.db.put({ ...row, values: { ...row.values, ...values }, op: undefined, named: undefined });
    } else {
      // a tombstone keeps the row's table and owner: the replication filter sends it to the
      // devices of that table
      await this.db.put({ _id: row._id, _rev: row._rev, _deleted: true, table: row.table, owner: row.owner });
      delete d.shares[op.row];
    }
    return ACCEPTED;
  }
}

module.exports = { SyncServer, ADMIN };
