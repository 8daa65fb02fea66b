/**
 * Pulling the change feed into the local stores, page by page, versions only going up.
 *
 * A server that keeps its feed for a limited time answers a cursor older than that 410 `resync`
 * (PROTOCOL.md 1.1, "Feed retention"). The client then pulls the whole feed from the beginning,
 * marking every record the server sends; when that pull ends, a record the server no longer has
 * (deleted so long ago that even its tombstone expired) is deleted here too, unless a local edit
 * of it waits in the outbox. The mark is kept in the meta store, so a resync that is cut short
 * (a closed tab, a network error) goes on at the next pull.
 */

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
  let resynced = false;
  /** @type {ChangedRecord[]} */ const changed = [];
  /** @type {number|undefined} the resync under way: every record the server sends is marked with it */
  let resync;
  for (let page = 0; page < 100000; page++) {
    if (idb.closed) throw new SyncError('closed', 'this sync client is closed');
    const meta = await idb.tx([META], 'readonly', async (tx) => {
      const m = tx.objectStore(META);
      const [cursor, gen] = await Promise.all([req(m.get('cursor')), req(m.get('resync'))]);
      return { cursor, gen };
    });
    const cursor = meta.cursor;
    resync = typeof meta.gen === 'number' ? meta.gen : undefined;
    /** @type {import('./transport.js').PullQuery} */
    const query = cursor == null ? { db: config.db, limit: config.pullLimit } : { db: config.db, since: String(cursor), limit: config.pullLimit };
    const res = await auth.request('GET /v1/changes', (a) => config.transport.pull(query, a));
    if (res.status === 400 && res.body?.error?.code === 'bad_cursor' && !resetCursor) {
      resetCursor = true; // start over: versions only go up, so nothing is applied twice
      await idb.tx([META], 'readwrite', async (tx) => { tx.objectStore(META).delete('cursor'); });
      continue;
    }
    if (res.status === 410 && res.body?.error?.code === 'resync' && !resynced) {
      resynced = true; // the server no longer keeps the feed from this cursor on: pull it all again
      await idb.tx([META], 'readwrite', async (tx) => {
        const m = tx.objectStore(META);
        m.delete('cursor');
        m.put(Date.now(), 'resync');
      });
      continue;
    }
    if (res.status !== 200) throw httpError(res, 'GET /v1/changes');
    const body = res.body;
    if (!body || !Array.isArray(body.changes)) throw new SyncError('bad_response', 'GET /v1/changes answered 200 without changes', { transient: true });
    received += body.changes.length;
    changed.push(...await applyPulled(ctx, body.changes, body.cursor, resync));
    if (!body.hasMore || body.cursor == null || (body.cursor === cursor && body.changes.length === 0)) break;
  }
  if (resync !== undefined) changed.push(...await endResync(ctx, resync));
  if (changed.length) events.emit('change', { origin: 'server', changes: changed }, true);
  return received;
}

/**
 * The end of a resync's full pull: a record the server did not send (it no longer has it) is
 * deleted, unless a local edit of it waits in the outbox; the marks and the resync are cleared.
 * @param {SyncContext} ctx @param {number} gen @returns {Promise<ChangedRecord[]>}
 */
async function endResync({ config, idb }, gen) {
  const appStores = (await idb.appStoreNames()).filter((n) => config.storeSet.has(n));
  /** @type {ChangedRecord[]} */ const changed = [];
  await idb.tx([...appStores, OUTBOX, VERSIONS, META], 'readwrite', async (tx) => {
    const vs = tx.objectStore(VERSIONS);
    const byRid = tx.objectStore(OUTBOX).index('rid');
    const [rids, vers] = await Promise.all([req(vs.getAllKeys()), req(vs.getAll())]);
    for (let i = 0; i < rids.length; i++) {
      const rid = /** @type {string} */ (rids[i]);
      /** @type {{v: number, d?: ServerState, g?: number}} */ const ver = vers[i];
      if (ver.g === gen) {
        delete ver.g;
        vs.put(ver, rid);
        continue;
      }
      if ((await req(byRid.count(rid))) > 0) continue; // a local edit waits: the push result decides
      /** @type {[string, any]} */ const [store, key] = JSON.parse(rid);
      vs.delete(rid);
      if (!appStores.includes(store) || !ver.v) continue;
      const s = tx.objectStore(store);
      if ((await req(s.count(key))) === 0) continue; // deleted here already (the server's tombstone expired since)
      writeRecord(s, key, { op: 'delete' });
      changed.push({ store, key, op: 'delete', value: undefined, version: ver.v, clientId: undefined });
    }
    tx.objectStore(META).delete('resync');
  }, 'strict');
  return changed;
}

/**
 * Applies one page of the feed and stores its cursor, in one transaction.
 * @param {SyncContext} ctx @param {any[]} changes @param {any} cursor
 * @param {number} [resync] the resync under way: each record sent is marked with it, applied or not
 * @returns {Promise<ChangedRecord[]>} the records changed locally
 */
async function applyPulled({ config, idb }, changes, cursor, resync) {
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
      /** @type {{v: number, d?: ServerState, g?: number}} */
      const ver = (await req(vs.get(rid))) ?? { v: 0 };
      if (resync !== undefined && ver.g !== resync) {
        ver.g = resync; // the server still has this record
        vs.put(ver, rid);
      }
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
