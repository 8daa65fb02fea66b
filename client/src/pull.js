/** Pulling the change feed into the local stores, page by page, versions only going up. */

import { SyncError, httpError } from './errors.js';
import { req, writeRecord } from './idb.js';
import { META, OUTBOX, VERSIONS } from './names.js';
import { normalizeKey, ridOf } from './util.js';

/** @typedef {import('./push.js').SyncContext} SyncContext */
/** @typedef {import('./types.js').ServerState} ServerState */
/** @typedef {import('./types.js').ChangedRecord} ChangedRecord */

/**
 * Pulls the change feed until `hasMore` is false.
 * @param {SyncContext} ctx @returns {Promise<number>} changes received
 */
export async function pullFeed(ctx) {
  const { config, idb, events, auth } = ctx;
  let received = 0;
  let resetCursor = false;
  /** @type {ChangedRecord[]} */ const changed = [];
  for (let page = 0; page < 100000; page++) {
    if (idb.closed) throw new SyncError('closed', 'this sync client is closed');
    const cursor = await idb.tx([META], 'readonly', (tx) => req(tx.objectStore(META).get('cursor')));
    /** @type {import('./transport.js').PullQuery} */
    const query = cursor == null ? { db: config.db, limit: config.pullLimit } : { db: config.db, since: String(cursor), limit: config.pullLimit };
    const res = await auth.request('GET /v1/changes', (a) => config.transport.pull(query, a));
    if (res.status === 400 && res.body?.error?.code === 'bad_cursor' && !resetCursor) {
      resetCursor = true; // start over: versions only go up, so nothing is applied twice
      await idb.tx([META], 'readwrite', async (tx) => { tx.objectStore(META).delete('cursor'); });
      continue;
    }
    if (res.status !== 200) throw httpError(res, 'GET /v1/changes');
    const body = res.body;
    if (!body || !Array.isArray(body.changes)) throw new SyncError('bad_response', 'GET /v1/changes answered 200 without changes', { transient: true });
    received += body.changes.length;
    changed.push(...await applyPulled(ctx, body.changes, body.cursor));
    if (!body.hasMore || body.cursor == null || (body.cursor === cursor && body.changes.length === 0)) break;
  }
  if (changed.length) events.emit('change', { origin: 'server', changes: changed }, true);
  return received;
}

/**
 * Applies one page of the feed and stores its cursor, in one transaction.
 * @param {SyncContext} ctx @param {any[]} changes @param {any} cursor
 * @returns {Promise<ChangedRecord[]>} the records changed locally
 */
async function applyPulled({ config, idb }, changes, cursor) {
  const appStores = (await idb.appStoreNames()).filter((n) => config.storeSet.has(n));
  /** @type {ChangedRecord[]} */ const changed = [];
  await idb.tx([...appStores, OUTBOX, VERSIONS, META], 'readwrite', async (tx) => {
    const vs = tx.objectStore(VERSIONS);
    const byRid = tx.objectStore(OUTBOX).index('rid');
    for (const c of changes) {
      if (!c || !appStores.includes(c.store) || typeof c.version !== 'number') continue;
      let key;
      try { key = normalizeKey(c.key); } catch { continue; }
      const rid = ridOf(c.store, key);
      /** @type {{v: number, d?: ServerState}} */
      const ver = (await req(vs.get(rid))) ?? { v: 0 };
      if (c.version <= Math.max(ver.v, ver.d?.version ?? 0)) continue; // versions only go up
      /** @type {ServerState} */
      const state = c.op === 'delete' || c.value == null
        ? { version: c.version, op: 'delete' }
        : { version: c.version, op: 'put', value: c.value };
      if ((await req(byRid.count(rid))) > 0) {
        ver.d = state; // a local change waits in the outbox: keep the user's value for now
      } else {
        writeRecord(tx.objectStore(c.store), key, state);
        ver.v = c.version;
        delete ver.d;
        changed.push({ store: c.store, key, op: state.op, value: state.value, version: c.version, clientId: c.clientId });
      }
      vs.put(ver, rid);
    }
    if (cursor != null) tx.objectStore(META).put(cursor, 'cursor');
  }, 'strict');
  return changed;
}
