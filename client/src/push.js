/** Pushing the outbox: batches in seq order, the server's results applied as they come. */

import { SyncError, httpError } from './errors.js';
import { req, writeRecord } from './idb.js';
import { OUTBOX, REJECTED, SENT, VERSIONS } from './names.js';
import { dropBefore, readBatch, renumberFrom, wireChange } from './outbox.js';
import { byteLength, sleep } from './util.js';

/** @typedef {import('./types.js').ServerState} ServerState */
/** @typedef {import('./types.js').SyncEvent} SyncEvent */
/** @typedef {import('./types.js').ChangedRecord} ChangedRecord */
/**
 * What a push or a pull works with.
 * @typedef {{config: import('./options.js').Config, idb: import('./idb.js').LocalDb, events: import('./events.js').Events, auth: import('./auth.js').Auth}} SyncContext
 */

const FINAL = new Set(['applied', 'conflict', 'rejected', 'duplicate']);
/** Final changes kept after their result, to resend when a server asks for an earlier seq. */
const HISTORY = 1000;

/**
 * Pushes the whole outbox.
 * @param {SyncContext} ctx @param {string} clientId
 * @returns {Promise<number>} how many changes got a final result
 */
export async function pushOutbox(ctx, clientId) {
  const { config, idb } = ctx;
  let pushed = 0;
  let size = config.batchSize;
  /** @type {number|null} resend from this seq (below the outbox head) */
  let from = null;
  let outOfOrder = 0;
  let pendings = 0;
  for (;;) {
    if (idb.closed) throw new SyncError('closed', 'this sync client is closed');
    const batch = await readBatch(idb, from, size);
    if (from != null && (batch.length === 0 || batch[0].seq !== from)) {
      throw new SyncError('resend_impossible', `the server expects seq ${from} next, and this client no longer holds that change`);
    }
    if (batch.length === 0) return pushed;
    const request = { db: config.db, clientId, sentAt: Date.now(), changes: batch.map(wireChange) };
    const body = JSON.stringify(request);
    if (batch.length > 1 && byteLength(body) > config.maxBodyBytes) {
      size = Math.max(1, Math.floor(batch.length / 2));
      continue;
    }
    const res = await ctx.auth.request('POST /v1/sync', (auth) => config.transport.push(request, body, auth));
    if (res.status === 413 && batch.length > 1) {
      size = Math.max(1, Math.floor(batch.length / 2));
      continue;
    }
    if (res.status !== 200) throw httpError(res, 'POST /v1/sync');
    const results = res.body?.results;
    if (!Array.isArray(results)) throw new SyncError('bad_response', 'POST /v1/sync answered 200 without results', { transient: true });
    const out = await applyResults(ctx, batch, results);
    pushed += out.final;
    if (out.stop === 'pending') {
      if (++pendings > 3) {
        throw new SyncError('pending', 'the server is still processing an earlier push of this client', { transient: true });
      }
      await sleep(250 * 2 ** pendings);
      continue;
    }
    pendings = 0;
    if (out.stop === 'out_of_order') {
      const expected = out.expectedSeq;
      if (++outOfOrder > 5 || typeof expected !== 'number' || expected === out.stopSeq) {
        throw new SyncError('out_of_order', `the server keeps answering out_of_order (expectedSeq ${expected})`, { transient: true });
      }
      if (out.unknownClient) {
        // The server holds nothing of this client (it forgot it, or never knew it): what it once
        // decided is unknown to it, so the history must not be resent (it would be applied again).
        // The outbox goes out again under new seqs from expectedSeq (1).
        if (!Number.isSafeInteger(expected) || expected < 1) {
          throw new SyncError('out_of_order', `the server does not know this client and expects seq ${expected}`, { transient: true });
        }
        const moved = await renumberFrom(idb, expected);
        if (moved && moved.from !== moved.to) ctx.events.emit('renumbered', moved, true);
        from = null;
      } else if (expected < /** @type {number} */ (out.stopSeq)) {
        from = expected; // the server's mark is behind: resend from there (those come back duplicate)
      } else {
        await dropBefore(idb, expected); // the server has decided them all: they are final
        from = null;
      }
      continue;
    }
    const last = batch[batch.length - 1];
    from = last._history ? last.seq + 1 : null;
  }
}

/**
 * Applies a push's results in one transaction: final ones leave the outbox.
 * @param {SyncContext} ctx @param {any[]} batch @param {any[]} results
 */
async function applyResults({ idb, events: out }, batch, results) {
  const bySeq = new Map(batch.map((e) => [e.seq, e]));
  /** @type {SyncEvent[]} */ const events = [];
  /** @type {ChangedRecord[]} */ const changed = [];
  let final = 0;
  /** @type {string|null} */ let stop = null;
  /** @type {number|undefined} */ let expectedSeq;
  /** @type {number|undefined} */ let stopSeq;
  let unknownClient = false;
  const appStores = await idb.appStoreNames();
  await idb.tx([...appStores, OUTBOX, VERSIONS, REJECTED, SENT], 'readwrite', async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    for (const r of results) {
      const e = bySeq.get(r?.seq);
      if (!e) continue;
      if (!FINAL.has(r.status)) {
        stop = r.status === 'out_of_order' ? 'out_of_order' : 'pending';
        expectedSeq = r.expectedSeq;
        stopSeq = r.seq;
        unknownClient = r.status === 'out_of_order' && r.unknownClient === true;
        break;
      }
      if (e._history) continue; // a resent change: its result was handled the first time
      const cur = await req(outbox.get(e.seq));
      if (!cur) continue; // handled by another tab meanwhile
      outbox.delete(cur.seq);
      tx.objectStore(SENT).put(cur);
      final++;
      const status = r.status === 'duplicate' ? (r.first ?? null) : r.status;
      await settle(tx, appStores, cur, status, r, events, changed);
    }
    const top = batch[batch.length - 1].seq;
    if (top > HISTORY) tx.objectStore(SENT).delete(IDBKeyRange.upperBound(top - HISTORY));
  }, 'strict');
  for (const [type, detail] of events) out.emit(type, detail, true);
  if (changed.length) out.emit('change', { origin: 'server', changes: changed }, true);
  return { final, stop, expectedSeq, stopSeq, unknownClient };
}

/**
 * What one final result does to the local copy of its record.
 * `versions` holds per record `{v, d?}`: `v` the server version the local value is based on,
 * `d` a newer server state that a pull delivered while a local change was still in the outbox.
 * @param {IDBTransaction} tx @param {string[]} appStores @param {any} cur
 * @param {string|null} status @param {any} r @param {SyncEvent[]} events @param {ChangedRecord[]} changed
 */
async function settle(tx, appStores, cur, status, r, events, changed) {
  const vs = tx.objectStore(VERSIONS);
  const [verRaw, seqs] = await Promise.all([
    req(vs.get(cur.rid)),
    req(tx.objectStore(OUTBOX).index('rid').getAllKeys(cur.rid)),
  ]);
  /** @type {{v: number, d?: ServerState}} */
  const ver = verRaw ?? { v: 0 };
  const later = seqs.some((s) => /** @type {number} */ (s) > cur.seq);
  const s = appStores.includes(cur.store) ? tx.objectStore(cur.store) : null;
  const version = typeof r.version === 'number' ? r.version : null;
  if (status === 'applied') {
    if (version != null && version > ver.v) ver.v = version;
  } else if (status === 'conflict' && version != null) {
    /** @type {ServerState} */
    const server = r.value == null ? { version, op: 'delete' } : { version, op: 'put', value: r.value };
    if (ver.d && ver.d.version > version) {
      // a pull already brought a newer state: settled below
    } else if (later) {
      ver.d = server; // a later local change of this record is still to be pushed; keep the user's value
    } else {
      await replace(s, cur, server, ver, r, events, changed);
    }
  } else if (status === 'rejected') {
    const change = wireChange(cur);
    const error = r.error ?? { code: 'unknown', message: 'rejected without an error' };
    tx.objectStore(REJECTED).put({ seq: cur.seq, change, error, at: Date.now() });
    events.push(['rejected', { change, error }]);
  }
  if (ver.d && ver.d.version <= ver.v) delete ver.d;
  if (ver.d && !later) {
    // nothing local left to push for this record: the newer server state it missed comes in
    await replace(s, cur, ver.d, ver, status === 'conflict' ? r : null, events, changed);
  }
  vs.put(ver, cur.rid);
}

/**
 * Replaces the local record with a server state, whose version the record then has.
 * @param {IDBObjectStore|null} s @param {any} cur the outbox entry @param {ServerState} state
 * @param {{v: number, d?: ServerState}} ver @param {{policy?: string}|null} lost the result of the
 *   local change when it lost (a `conflict` event follows), else null
 * @param {SyncEvent[]} events @param {ChangedRecord[]} changed
 */
async function replace(s, cur, state, ver, lost, events, changed) {
  const { store, key } = cur;
  const oldValue = s ? await req(s.get(key)) : undefined;
  writeRecord(s, key, state);
  ver.v = Math.max(ver.v, state.version);
  delete ver.d;
  if (lost) {
    events.push(['conflict', {
      store, key, oldValue, newValue: state.value, deleted: state.op === 'delete', version: state.version,
      policy: lost.policy, seq: cur.seq,
    }]);
  }
  changed.push({ store, key, op: state.op, value: state.value, version: state.version });
}
