// What the Node tests (test/node/) give the library in place of a browser: IndexedDB from
// fake-indexeddb, navigator.onLine that a test can switch, and window's `online`/`offline`
// events on globalThis. Node itself has EventTarget, CustomEvent, BroadcastChannel, fetch,
// crypto and timers; it has no Web Locks, so the library takes its one-run-per-page path.
import 'fake-indexeddb/auto';
import { after } from 'node:test';
import { openSync } from '../src/index.js';
import { error, FakeServer } from './fake-server.js';

export { error, FakeServer };

const g = /** @type {any} */ (globalThis);
if (g.navigator == null) {
  Object.defineProperty(g, 'navigator', { value: {}, configurable: true, writable: true });
}
let online = true;
Object.defineProperty(g.navigator, 'onLine', { get: () => online, configurable: true });
if (typeof g.addEventListener !== 'function') {
  const win = new EventTarget();
  g.addEventListener = win.addEventListener.bind(win);
  g.removeEventListener = win.removeEventListener.bind(win);
  g.dispatchEvent = win.dispatchEvent.bind(win);
}

/** Switches navigator.onLine and fires `online` or `offline`, as a browser does. @param {boolean} on */
export function setOnline(on) {
  online = on;
  g.dispatchEvent(new Event(on ? 'online' : 'offline'));
}

/** @type {Set<import('../src/index.js').SyncClient>} */
const opened = new Set();
// A client a failed test left open would keep the process alive (its BroadcastChannel).
after(() => { for (const c of opened) c.close(); });

let dbs = 0;
/** A fresh IndexedDB database name. @param {string} [name] */
export const idbName = (name = 'test') => `${name}-${++dbs}-${Date.now().toString(36)}`;

/**
 * Opens the library against a fake server, by default through the `transport` option; with
 * `via: 'fetch'` through its own fetch transport (globalThis.fetch is the server's). Unless the
 * test says otherwise: its own IndexedDB database, no automatic syncing, and every event it
 * fires recorded in `events`.
 * @param {FakeServer} server
 * @param {Record<string, any> & {via?: 'transport' | 'fetch'}} [opts]
 */
export async function open(server, opts = {}) {
  const { via = 'transport', ...rest } = opts;
  if (via === 'fetch') g.fetch = server.fetch;
  const options = { db: server.db, stores: ['notes'], idbName: idbName(), auto: false, ...rest };
  if (via === 'transport') /** @type {any} */ (options).transport = server.transport();
  const client = await openSync(/** @type {any} */ (options));
  opened.add(client);
  /** @type {Array<{type: string, detail: any}>} */
  const events = [];
  for (const type of ['conflict', 'rejected', 'change', 'synced', 'error', 'auth', 'renumbered', 'status']) {
    client.addEventListener(type, (e) => events.push({ type, detail: /** @type {CustomEvent} */ (e).detail }));
  }
  const of = (/** @type {string} */ type) => events.filter((e) => e.type === type).map((e) => e.detail);
  return { client, events, of, options };
}

/** sync() that must succeed. @param {import('../src/index.js').SyncClient} client */
export async function syncOk(client) {
  const r = await client.sync();
  if (!r.ok) throw new Error('sync() failed: ' + JSON.stringify(r) + ' ' + r.error?.message);
  return r;
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until fn() returns something truthy.
 * @template T @param {() => Promise<T>|T} fn @param {{timeout?: number, what?: string}} [o]
 * @returns {Promise<T>}
 */
export async function waitFor(fn, { timeout = 5000, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(10);
  }
}
