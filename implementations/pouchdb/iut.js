#!/usr/bin/env node
// An offsync implementation under test built on PouchDB: the JSON-lines protocol of
// conformance/iut/protocol/README.md on stdin/stdout.
//
//   offsync run --iut "exec:node implementations/pouchdb/iut.js"
//
// One process serves the whole run: a sync server (express-pouchdb over a PouchDB database,
// on a loopback port) and, per world, one device per world device, each with its own
// LevelDB databases in a directory of its own. `setup` replaces everything.
//
// Options: --stock-validation runs express-pouchdb's own validation part instead of ours
// (to show what it does to replicated updates; see FINDINGS.md). OFFSYNC_POUCHDB_DIR names
// the directory for the device databases (default: /dev/shm when writable, else the
// system's temporary directory). OFFSYNC_POUCHDB_EXPLORE turns on exploration switches
// (below; never in the recorded runs).
'use strict';

// Nothing but responses may reach stdout: PouchDB's plugins log with console.log.
console.log = console.error;
console.info = console.error;

const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const readline = require('readline');

const PouchDB = require('pouchdb-core')
  .plugin(require('pouchdb-adapter-leveldb'))
  .plugin(require('pouchdb-adapter-memory'))
  .plugin(require('pouchdb-adapter-http'))
  .plugin(require('pouchdb-replication'))
  .plugin(require('pouchdb-mapreduce'));

const { SyncServer } = require('./lib/server');
const { Device } = require('./lib/device');

const NAME = `offsync PouchDB IUT (pouchdb ${require('pouchdb-core/package.json').version}, `
  + `express-pouchdb ${require('express-pouchdb/package.json').version}, LevelDB devices)`;
const CAPABILITIES = ['field_security', 'hierarchy', 'multiple_devices_per_user', 'restart', 'server_wins'];
const SERVER_KINDS = new Set(['assign_role', 'remove_role', 'set_depth', 'share', 'unshare',
  'set_manager', 'move_user', 'reassign', 'server_create', 'server_update', 'server_delete']);
const DEVICE_KINDS = new Set(['create', 'update', 'delete', 'read', 'sync_start', 'sync_end', 'restart']);

// Exploration switches (OFFSYNC_POUCHDB_EXPLORE=a,b): each makes the server do what SPEC
// says where a finding of FINDINGS.md shows PouchDB does otherwise, to look past it
const EXPLORE = ['deleted-rows', 'named-columns'];

class RequestError extends Error {}

// OFFSYNC_POUCHDB_TIMES=FILE: the time spent per method (and operation kind) is written to FILE
// at exit
const TIMES = process.env.OFFSYNC_POUCHDB_TIMES ? new Map() : null;

function workRoot() {
  const chosen = process.env.OFFSYNC_POUCHDB_DIR;
  let base = chosen || os.tmpdir();
  if (!chosen) {
    try {
      fs.accessSync('/dev/shm', fs.constants.W_OK);
      base = '/dev/shm';
    } catch {
      // no shared memory file system: the temporary directory it is
    }
  }
  return fs.mkdtempSync(path.join(base, 'offsync-pouchdb-'));
}

class IUT {
  constructor({ stockValidation, explore }) {
    this.root = workRoot();
    this.LocalPouch = PouchDB.defaults({ adapter: 'leveldb' });
    this.server = new SyncServer(PouchDB, { stockValidation, explore, workDir: this.root });
    this.explore = explore;
    this.devices = new Map();
    this.agent = new http.Agent({ keepAlive: true });
    this.worlds = 0;
    this.worldDir = null;
  }

  async start() {
    await this.server.start();
  }

  async handle(method, params) {
    if (method === 'hello') return { name: NAME, capabilities: CAPABILITIES };
    if (method === 'setup') {
      if (typeof params.world !== 'object' || params.world === null) {
        throw new RequestError('setup: params.world must be an object');
      }
      await this.setup(params.world);
      return null;
    }
    if (method === 'apply') {
      const op = params.operation;
      if (typeof op !== 'object' || op === null) throw new RequestError('apply: params.operation must be an object');
      return this.apply(op);
    }
    if (method === 'observe') return this.observe();
    if (method === 'close') return null;
    throw new RequestError(`unknown method ${JSON.stringify(method)}`);
  }

  ready(method) {
    if (!this.worldDir) throw new RequestError(`${method}: setup has not been called`);
  }

  async dropWorld() {
    await Promise.all([...this.devices.values()].map((device) => device.close()));
    this.devices.clear();
    if (this.worldDir) fs.rmSync(this.worldDir, { recursive: true, force: true });
    this.worldDir = null;
  }

  async setup(world) {
    await this.dropWorld();
    const credentials = await this.server.load(world);
    this.worlds += 1;
    this.worldDir = path.join(this.root, `world-${this.worlds}`);
    const ids = world.devices.map((d) => d.id);
    for (const [number, spec] of world.devices.entries()) {
      const link = { dbUrl: this.server.dbUrl(), serverUrl: this.server.url, agent: this.agent,
        ...credentials.get(spec.id) };
      const root = path.join(this.worldDir, `device-${number}`);
      fs.mkdirSync(root, { recursive: true });
      const device = new Device({ id: spec.id, user: spec.user, root, Pouch: this.LocalPouch, link,
        explore: this.explore });
      this.devices.set(spec.id, device);
    }
    // the devices sign in side by side: each waits on its own files and HTTP requests
    await Promise.all(ids.map((id) => this.devices.get(id).signIn()));
  }

  async apply(op) {
    this.ready('apply');
    const kind = op.kind;
    if (SERVER_KINDS.has(kind)) return this.server.event(op);
    const device = this.devices.get(op.device);
    if (!DEVICE_KINDS.has(kind) || !device) return { status: 'refused', reason: 'invalid' };
    if (kind === 'sync_start') return device.syncStart();
    if (kind === 'sync_end') return device.syncEnd();
    if (kind === 'restart') return device.restart();
    return device.local(op);
  }

  async observe() {
    this.ready('observe');
    const devices = {};
    for (const id of [...this.devices.keys()].sort()) devices[id] = this.devices.get(id).observe();
    return { devices, server: await this.server.rows() };
  }

  async shutdown() {
    await this.dropWorld().catch(() => {});
    this.agent.destroy();
    await this.server.stop().catch(() => {});
    fs.rmSync(this.root, { recursive: true, force: true });
  }
}

// JSON for the engine. JavaScript has one number type: a double with an integral value
// beyond 2^53 (say 3.893954676381415e+16, sent by the engine as a float) would come out of
// JSON.stringify as the digits 38939546763814150, which Python reads as an integer that is
// not equal to the float it sent. Such numbers are written in exponent form.
function toJson(value) {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'number') {
    if (Number.isInteger(value) && Math.abs(value) > Number.MAX_SAFE_INTEGER) return value.toExponential();
    return JSON.stringify(value);
  }
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`;
  const members = Object.keys(value).filter((k) => value[k] !== undefined);
  return `{${members.map((k) => `${JSON.stringify(k)}:${toJson(value[k])}`).join(',')}}`;
}

function response(id, result, error) {
  return toJson(error === undefined ? { id, result } : { id, error: { message: error } });
}

async function answer(iut, line) {
  let request;
  try {
    request = JSON.parse(line);
  } catch (err) {
    return [response(null, undefined, `the request is not JSON: ${err.message}`), false];
  }
  if (typeof request !== 'object' || request === null || Array.isArray(request)) {
    return [response(null, undefined, 'the request is not a JSON object'), false];
  }
  const { id, method } = request;
  if (!Number.isInteger(id)) return [response(id ?? null, undefined, "the request's id must be an integer"), false];
  const params = request.params === undefined ? {} : request.params;
  if (typeof params !== 'object' || params === null || Array.isArray(params)) {
    return [response(id, undefined, "the request's params must be an object"), false];
  }
  try {
    const started = process.hrtime.bigint();
    const result = await iut.handle(method, params);
    if (TIMES) {
      const key = method === 'apply' ? `apply:${params.operation.kind}` : method;
      const t = TIMES.get(key) || [0, 0];
      t[0] += 1;
      t[1] += Number(process.hrtime.bigint() - started) / 1e6;
      TIMES.set(key, t);
    }
    return [response(id, result === undefined ? null : result), method === 'close'];
  } catch (err) {
    const message = err instanceof RequestError ? err.message : `${method}: ${err && err.stack ? err.stack : err}`;
    if (!(err instanceof RequestError)) console.error(message);
    return [response(id, undefined, message), false];
  }
}

async function main() {
  const explore = new Set((process.env.OFFSYNC_POUCHDB_EXPLORE || '').split(',').filter(Boolean));
  const unknown = [...explore].filter((name) => !EXPLORE.includes(name));
  if (unknown.length) throw new Error(`OFFSYNC_POUCHDB_EXPLORE: unknown ${JSON.stringify(unknown)} (known: ${EXPLORE.join(', ')})`);
  const iut = new IUT({ stockValidation: process.argv.includes('--stock-validation'), explore });
  await iut.start();
  const stop = async (code) => {
    if (TIMES) {
      const lines = [...TIMES].sort((a, b) => b[1][1] - a[1][1]).map(([key, [n, ms]]) =>
        `${key.padEnd(22)} ${String(n).padStart(7)} calls ${ms.toFixed(0).padStart(8)} ms ${(ms / n).toFixed(2).padStart(8)} ms/call\n`);
      fs.appendFileSync(process.env.OFFSYNC_POUCHDB_TIMES, lines.join(''));
    }
    await iut.shutdown();
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(143));
  process.on('SIGINT', () => stop(130));
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  // one request at a time: the engine never sends the next before it has the answer
  for await (const line of lines) {
    if (!line.trim()) continue;
    const [out, last] = await answer(iut, line);
    process.stdout.write(`${out}\n`);
    if (last) break;
  }
  await stop(0); // close, or the end of stdin: the engine is gone
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err);
  process.exit(1);
});
