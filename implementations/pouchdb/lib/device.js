// A device: a signed-in app installation with its own PouchDB databases on disk (LevelDB).
//
// - `cache`: a pull replica of the user's projection (filtered replication from the server).
//   Its local document `_local/offsync` holds what the device knows besides rows: metadata,
//   the privilege snapshot of its last completed sync, the journal of pending edits with
//   their operation ids, the open sync errors (VALID-2), whether a cycle is under way.
// - `out-N`: outboxes. An edit writes a revision into the current outbox (after copying the
//   row there, with its revision history, from where the device last had it); `sync_start`
//   pushes every outbox not pushed yet with PouchDB replication, so the server receives each
//   row once per outbox, as its newest revision with the history it descends from. Edits
//   made during a cycle go to a new outbox, for the next cycle.
//
// What the device shows is computed as SPEC says (SYNC-6): the cache with the journal's
// edits on top. The journal is the outbox as the user sees it (one entry per edit); the
// outbox databases are what replication sends.
'use strict';

const path = require('path');
const nodeFetch = require('node-fetch');
const rules = require('./rules');

const STATE_ID = '_local/offsync';
const FILTER = 'offsync/projection';
const ACCEPTED = Object.freeze({ status: 'accepted' });

function refused(reason) {
  return { status: 'refused', reason };
}

function withoutRevisions(doc) {
  const { _revisions, ...rest } = doc; // eslint-disable-line no-unused-vars
  return rest;
}

class Device {
  // `Pouch` opens local databases (LevelDB); `link` is {dbUrl, serverUrl, username, token,
  // agent}: where the server is, the device's credentials, and an HTTP agent.
  constructor({ id, user, root, Pouch, link, explore = new Set() }) {
    this.id = id;
    this.explore = explore;
    this.user = user;
    this.root = root;
    this.Pouch = Pouch;
    this.link = link;
    this.remote = new Pouch(link.dbUrl, {
      adapter: 'http',
      skip_setup: true,
      auth: { username: link.username, password: link.token },
      // node-fetch (PouchDB's own) on a kept-alive connection, without PouchDB's cookie jar:
      // basic auth needs no session cookie
      fetch: (url, options) => nodeFetch(url, { ...options, agent: link.agent }),
    });
    this.authorization = `Basic ${Buffer.from(`${link.username}:${link.token}`).toString('base64')}`;
    this.cache = null;
    this.outboxes = new Map(); // outbox number -> open database
    this.state = null;
    this.stateRev = null;
    this.rows = new Map(); // the cache's rows in memory: id -> {table, owner, values, rev}
  }

  cachePath() {
    return path.join(this.root, 'cache');
  }

  outboxPath(n) {
    return path.join(this.root, `out-${n}`);
  }

  async fetchJson(route) {
    const response = await nodeFetch(this.link.serverUrl + route, {
      headers: { Authorization: this.authorization },
      agent: this.link.agent,
    });
    if (!response.ok) {
      throw new Error(`device ${this.id}: GET ${route} answered ${response.status}: ${await response.text()}`);
    }
    return response.json();
  }

  // PROFILE-4: the device starts signed in: metadata, the user's projection and the
  // privilege snapshot, as after a completed cycle with nothing pending.
  async signIn() {
    this.cache = new this.Pouch(this.cachePath());
    this.state = {
      metadata: await this.fetchJson('/_offsync/metadata'),
      snapshot: null,
      errors: [],
      in_cycle: false,
      journal: [],
      outboxes: [], // [{n, pushed, refused: {row: reason}}], oldest first
      next_outbox: 1,
    };
    this.stateRev = null;
    await this.download();
    await this.saveState();
  }

  async saveState() {
    const doc = { _id: STATE_ID, ...this.state };
    if (this.stateRev) doc._rev = this.stateRev;
    this.stateRev = (await this.cache.put(doc)).rev;
  }

  async loadState() {
    const doc = await this.cache.get(STATE_ID);
    this.stateRev = doc._rev;
    const { _id, _rev, ...state } = doc; // eslint-disable-line no-unused-vars
    this.state = state;
  }

  async loadRows() {
    const all = await this.cache.allDocs({ include_docs: true });
    this.rows = new Map();
    for (const { doc } of all.rows) {
      if (doc._id.startsWith('_design/')) continue;
      this.rows.set(doc._id, { table: doc.table, owner: doc.owner, values: doc.values, rev: doc._rev });
    }
  }

  async outbox(n) {
    let db = this.outboxes.get(n);
    if (!db) {
      db = new this.Pouch(this.outboxPath(n));
      this.outboxes.set(n, db);
    }
    return db;
  }

  // --- what the device shows ----------------------------------------------------------

  // SYNC-6: the cache with every pending edit on top, in order.
  visible() {
    const shown = new Map();
    for (const [id, row] of this.rows) shown.set(id, { table: row.table, values: row.values });
    for (const edit of this.state.journal) {
      const current = shown.get(edit.row);
      if (edit.kind === 'create') {
        shown.set(edit.row, { table: edit.table, values: { ...edit.values } });
      } else if (current && current.table === edit.table) {
        if (edit.kind === 'delete') shown.delete(edit.row);
        else shown.set(edit.row, { table: edit.table, values: { ...current.values, ...edit.values } });
      }
    }
    return shown;
  }

  observe() {
    const meta = this.state.metadata;
    const rows = Object.fromEntries(meta.tables.map((t) => [t, {}]));
    const shown = this.visible();
    for (const id of [...shown.keys()].sort()) {
      const { table, values } = shown.get(id);
      (rows[table] ??= {})[id] = values;
    }
    return {
      rows,
      views: [...meta.views],
      metadata_tables: [...meta.tables],
      pending: this.state.journal.length,
      in_cycle: this.state.in_cycle,
      errors: this.state.errors,
    };
  }

  // --- local operations (DEVICE-1, STALE-1) ---------------------------------------------

  async local(op) {
    const meta = this.state.metadata;
    const { kind, table } = op;
    if (!meta.tables.includes(table)) return refused('not_offline');
    const shown = this.visible();
    if (kind === 'read') {
      const rows = {};
      for (const id of [...shown.keys()].sort()) {
        if (shown.get(id).table === table) rows[id] = shown.get(id).values;
      }
      return { status: 'accepted', rows };
    }
    const row = op.row || '';
    const opId = op.op_id || '';
    let values = op.values === undefined ? {} : op.values;
    const columns = meta.columns[table];
    const snap = this.state.snapshot;
    if (kind === 'create') {
      if (!row || !opId || shown.has(row)) return refused('invalid');
      if (rules.valuesProblem(columns, values, true)) return refused('invalid');
      if (!snap.create_tables.includes(table)) return refused('privilege');
    } else if (kind === 'update' || kind === 'delete') {
      if (!shown.has(row) || shown.get(row).table !== table) return refused('not_found');
      if (!opId) return refused('invalid');
      if (kind === 'update' && rules.valuesProblem(columns, values, false)) return refused('invalid');
      // STALE-1: the snapshot's rights on a downloaded row; own-row rights on a row created here
      const rights = this.rows.has(row) ? (snap.row_rights[row] || []) : (snap.own_rights[table] || []);
      if (!rights.includes(kind === 'update' ? 'write' : 'delete')) return refused('privilege');
      if (kind === 'delete') values = {};
    } else {
      return refused('invalid');
    }
    const edit = { op_id: opId, kind, table, row, values };
    edit.outbox = await this.write(edit);
    this.state.journal.push(edit);
    await this.saveState();
    return ACCEPTED;
  }

  // The outbox that takes new edits: the newest, unless it was pushed (during a cycle).
  currentOutbox() {
    const outboxes = this.state.outboxes;
    const last = outboxes[outboxes.length - 1];
    if (last && !last.pushed) return last;
    const fresh = { n: this.state.next_outbox, pushed: false, refused: {} };
    this.state.next_outbox += 1;
    outboxes.push(fresh);
    return fresh;
  }

  // Writes an edit as a revision into the current outbox; returns that outbox's number.
  async write(edit) {
    const outbox = this.currentOutbox();
    const db = await this.outbox(outbox.n);
    // Each revision carries the id of the edit that made it (`op`). Without it, a revision
    // is named by its parent and content alone: a device's deletion of a row the server had
    // deleted too would be the very revision the server already holds, and never go up.
    if (edit.kind === 'create') {
      await db.put({ _id: edit.row, table: edit.table, owner: this.user, values: edit.values, op: edit.op_id });
      return outbox.n;
    }
    const [parent, ours] = await this.checkout(outbox, db, edit.row);
    if (!parent) {
      throw new Error(`device ${this.id}: no revision of row ${JSON.stringify(edit.row)} to ${edit.kind}`);
    }
    const doc = withoutRevisions(parent);
    if (edit.kind === 'update') {
      const update = { ...doc, values: { ...doc.values, ...edit.values }, op: edit.op_id };
      delete update.named;
      if (this.explore.has('named-columns')) {
        // exploration only: the columns named since the revision the server holds
        update.named = [...new Set([...(ours && doc.named ? doc.named : []), ...Object.keys(edit.values)])];
      }
      await db.put(update);
    } else {
      await db.put({ _id: doc._id, _rev: doc._rev, _deleted: true, table: doc.table, owner: doc.owner,
        op: edit.op_id });
    }
    return outbox.n;
  }

  // The revision an edit of `id` descends from, copied into the outbox `db` with its history
  // (PouchDB's new_edits=false, as replication does), and whether it was this outbox's own:
  // the row's revision in this outbox if it has one; else the newest revision in an older
  // outbox that the server did not refuse; else the cache's; else (a row created here whose
  // creation the server refused) the refused revision itself.
  async checkout(outbox, db, id) {
    const here = await db.get(id, { revs: true }).catch(() => null);
    if (here) return [here, true];
    let source = null;
    let refusedSource = null;
    for (const older of [...this.state.outboxes].reverse()) {
      if (older.n === outbox.n) continue;
      const doc = await (await this.outbox(older.n)).get(id, { revs: true }).catch(() => null);
      if (!doc) continue;
      if (older.refused[id]) {
        refusedSource ??= doc;
        continue;
      }
      source = doc;
      break;
    }
    if (!source && this.rows.has(id)) source = await this.cache.get(id, { revs: true });
    if (!source && refusedSource) {
      // the server refused to create this row: it does not exist there (see syncStart)
      source = refusedSource;
      (outbox.orphans ??= {})[id] = true;
    }
    if (!source) return [null, false];
    await db.bulkDocs([source], { new_edits: false });
    return [await db.get(id, { revs: true }), false];
  }

  // --- cycles (SYNC-3, SYNC-8) ----------------------------------------------------------

  // The batch is uploaded when the cycle starts: every outbox not pushed yet, oldest first,
  // by PouchDB replication. A revision the server refuses comes back as a `denied` document
  // (validate_doc_update's `forbidden`); its reason is kept for the errors at the end.
  async syncStart() {
    if (this.state.in_cycle) return refused('busy');
    this.state.in_cycle = true;
    await this.saveState();
    for (const outbox of this.state.outboxes) {
      if (outbox.pushed) continue;
      const db = await this.outbox(outbox.n);
      const unknown = this.unknownToServer(outbox.n);
      const orphans = outbox.orphans || {};
      // What never goes up: a row created and deleted again in this outbox (its tombstone
      // would delete a row the server does not have), and edits of a row whose creation the
      // server refused in an earlier outbox: the server would take them for its creation;
      // the device knows the row does not exist there (SYNC-2: not_found).
      const filter = (doc) => !(doc._deleted && unknown.has(doc._id)) && !orphans[doc._id];
      const result = await db.replicate.to(this.remote, { filter });
      for (const error of result.errors) outbox.refused[error.id] = error.reason || error.message;
      for (const id of Object.keys(orphans)) outbox.refused[id] = 'not_found';
      outbox.pushed = true;
      await this.saveState();
    }
    return ACCEPTED;
  }

  // The rows whose first edit in outbox `n` creates them, with no edit in another pending
  // outbox: the server has never seen them.
  unknownToServer(n) {
    const first = new Map();
    const elsewhere = new Set();
    for (const edit of this.state.journal) {
      if (edit.outbox !== n) elsewhere.add(edit.row);
      else if (!first.has(edit.row)) first.set(edit.row, edit.kind);
    }
    return new Set([...first].filter(([row, kind]) => kind === 'create' && !elsewhere.has(row)).map(([row]) => row));
  }

  // The end acknowledges the batch (the edits of the pushed outboxes), records one open error
  // per refused edit in upload order after the errors still open, once per operation id, with
  // the edit's values and operation id (VALID-2), and downloads (STALE-4). Errors stay open:
  // this implementation offers no retry or dismiss (it does not declare sync_error_retry).
  async syncEnd() {
    if (!this.state.in_cycle) return refused('idle');
    const pushed = new Map(this.state.outboxes.filter((o) => o.pushed).map((o) => [o.n, o]));
    const errors = [...this.state.errors];
    const recorded = new Set(errors.map((e) => e.op_id));
    const journal = [];
    const gone = new Set(); // outbox/row pairs whose creation the server refused
    for (const edit of this.state.journal) {
      const outbox = pushed.get(edit.outbox);
      if (!outbox) {
        journal.push(edit);
        continue;
      }
      // The server judged the row's revision as a whole: every edit it carried shares the
      // outcome, except that after a refused creation the row does not exist (SYNC-2).
      let reason = outbox.refused[edit.row];
      if (!reason) continue;
      const key = JSON.stringify([edit.outbox, edit.row]);
      if (gone.has(key)) reason = 'not_found';
      else if (edit.kind === 'create') gone.add(key);
      if (recorded.has(edit.op_id)) continue;
      recorded.add(edit.op_id);
      errors.push({
        table: edit.table, row: edit.row, op: edit.kind, reason, values: edit.values, op_id: edit.op_id,
      });
    }
    await this.download();
    this.state.journal = journal;
    this.state.outboxes = this.state.outboxes.filter((o) => !o.pushed);
    this.state.errors = errors;
    this.state.in_cycle = false;
    await this.saveState();
    for (const n of pushed.keys()) {
      const db = await this.outbox(n);
      this.outboxes.delete(n);
      await db.destroy();
    }
    return ACCEPTED;
  }

  // The download: pull the projection by filtered replication, then make sure the cache is
  // exactly the projection. Filtered replication leaves behind rows that stopped passing the
  // filter, and does not bring rows that started passing it without changing: then the cache
  // is rebuilt from scratch (a new database, a full pull).
  async download() {
    const session = await this.fetchJson('/_offsync/session');
    await this.cache.replicate.from(this.remote, { filter: FILTER });
    await this.loadRows();
    if (!this.holds(session.projection)) {
      await this.cache.destroy();
      this.cache = new this.Pouch(this.cachePath());
      this.stateRev = null;
      await this.saveState();
      await this.cache.replicate.from(this.remote, { filter: FILTER });
      await this.loadRows();
      if (!this.holds(session.projection)) {
        throw new Error(`device ${this.id}: the rebuilt cache is not the projection`);
      }
    }
    this.state.snapshot = session.snapshot;
  }

  holds(projection) {
    const ids = Object.keys(projection);
    if (ids.length !== this.rows.size) return false;
    return ids.every((id) => this.rows.has(id) && this.rows.get(id).rev === projection[id]);
  }

  // SYNC-8: the app process ends and starts again: every database is closed and opened
  // again, and only what they hold survives. A cycle under way is abandoned: its edits stay
  // in the journal, in order, before those made since, and go up again with the next cycle
  // (their outboxes were pushed already: the outcomes recorded then stand).
  async restart() {
    await this.closeDatabases();
    this.cache = new this.Pouch(this.cachePath());
    await this.loadState();
    await this.loadRows();
    if (this.state.in_cycle) {
      this.state.in_cycle = false;
      await this.saveState();
    }
    return ACCEPTED;
  }

  async closeDatabases() {
    for (const db of this.outboxes.values()) await db.close();
    this.outboxes.clear();
    if (this.cache) await this.cache.close();
    this.cache = null;
  }

  async close() {
    await this.closeDatabases();
    await this.remote.close().catch(() => {});
  }
}

module.exports = { Device };
