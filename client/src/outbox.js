/**
 * The outbox: local changes waiting for the server's final result, in seq order, and the
 * history of recently finished ones (kept to resend when the server asks for an earlier seq).
 */

import { req, uniqueIndexKeys, writeRecord } from './idb.js';
import { META, OUTBOX, REJECTED, SENT, VERSIONS } from './names.js';
import { ridOf } from './util.js';

/** @typedef {import('./idb.js').LocalDb} LocalDb */
/** @typedef {import('./types.js').IDBSyncKey} IDBSyncKey */
/** @typedef {import('./types.js').OutboxEntry} OutboxEntry */

/**
 * Writes the record and its outbox entry in one transaction.
 * @param {LocalDb} idb @param {string} store @param {IDBSyncKey} key @param {'put'|'delete'} op @param {any} value
 * @returns {Promise<number>} the change's seq
 */
export function writeChange(idb, store, key, op, value) {
  const rid = ridOf(store, key);
  const ts = Date.now();
  return idb.tx([store, OUTBOX, META, VERSIONS], 'readwrite', async (tx) => {
    const meta = tx.objectStore(META);
    const [next, ver] = await Promise.all([req(meta.get('nextSeq')), req(tx.objectStore(VERSIONS).get(rid))]);
    const seq = typeof next === 'number' ? next : 1;
    /** @type {any} */
    const entry = { seq, store, key, op, baseVersion: ver?.v ?? 0, ts, rid };
    if (op === 'put') entry.value = value;
    writeRecord(tx.objectStore(store), key, { op, value });
    tx.objectStore(OUTBOX).add(entry);
    meta.put(seq + 1, 'nextSeq');
    return seq;
  }, 'strict');
}

/**
 * Every record of a store, in key order, with its version and whether a change of it is pending.
 * @param {LocalDb} idb @param {string} store
 * @returns {Promise<Array<{key: IDBSyncKey, value: any, version: number, pending: boolean}>>}
 */
export function readRecords(idb, store) {
  return idb.tx([store, OUTBOX, VERSIONS], 'readonly', async (tx) => {
    const s = tx.objectStore(store);
    const [keys, values, pendingRids] = await Promise.all([
      req(s.getAllKeys()),
      req(s.getAll()),
      uniqueIndexKeys(tx.objectStore(OUTBOX).index('rid')),
    ]);
    const vs = tx.objectStore(VERSIONS);
    const versions = await Promise.all(keys.map((k) => req(vs.get(ridOf(store, /** @type {any} */ (k))))));
    return keys.map((k, i) => ({
      key: /** @type {IDBSyncKey} */ (k),
      value: values[i],
      version: versions[i]?.v ?? 0,
      pending: pendingRids.has(ridOf(store, /** @type {any} */ (k))),
    }));
  });
}

/** @param {LocalDb} idb @returns {Promise<number>} how many changes wait in the outbox */
export function countPending(idb) {
  return idb.tx([OUTBOX], 'readonly', (tx) => req(tx.objectStore(OUTBOX).count()));
}

/** @param {LocalDb} idb @returns {Promise<OutboxEntry[]>} the outbox, in seq order, as it will be sent */
export function readOutbox(idb) {
  return idb.tx([OUTBOX], 'readonly', async (tx) =>
    (await req(tx.objectStore(OUTBOX).getAll())).map(wireChange));
}

/**
 * The next batch: history entries from `from` (when resending), then the outbox, consecutive seqs.
 * @param {LocalDb} idb @param {number|null} from @param {number} limit @returns {Promise<any[]>}
 */
export function readBatch(idb, from, limit) {
  return idb.tx([OUTBOX, SENT], 'readonly', async (tx) => {
    /** @type {any[]} */
    const out = [];
    if (from != null) {
      const hist = await req(tx.objectStore(SENT).getAll(IDBKeyRange.lowerBound(from), limit));
      for (const e of hist) out.push({ ...e, _history: true });
    }
    if (out.length < limit) {
      const lower = out.length ? IDBKeyRange.lowerBound(out[out.length - 1].seq + 1) : null;
      out.push(...await req(tx.objectStore(OUTBOX).getAll(lower, limit - out.length)));
    }
    const batch = [];
    for (const e of out) {
      if (batch.length && e.seq !== batch[batch.length - 1].seq + 1) break;
      batch.push(e);
    }
    return batch;
  });
}

/** Moves outbox entries below `seq` to the history without a result (the server decided them). @param {LocalDb} idb @param {number} seq */
export async function dropBefore(idb, seq) {
  await idb.tx([OUTBOX, SENT], 'readwrite', async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    const range = IDBKeyRange.upperBound(seq, true);
    for (const e of await req(outbox.getAll(range))) tx.objectStore(SENT).put(e);
    outbox.delete(range);
  }, 'strict');
}

/**
 * Gives the outbox entries consecutive seqs from `seq` on, in seq order (everything else of each
 * entry is kept), forgets the history of sent changes (its seqs mean nothing to the server now)
 * and sets `nextSeq` to the seq after the last entry (`seq` itself when the outbox is empty).
 * For a server that no longer knows this client. One transaction over the outbox and the meta
 * store, as {@link writeChange}'s, so a change written meanwhile in another tab is either
 * renumbered with the rest or gets its seq after them.
 *
 * The changes rejected before, which the app has not dismissed, stay, under keys -n..-1 in their
 * order (their `change.seq` keeps the seq they were sent with): the new seqs start at `seq` again,
 * and a change rejected under one of them must not replace an older rejection of the same seq.
 * @param {LocalDb} idb @param {number} seq
 * @returns {Promise<{from: number, to: number, count: number}|null>} the outbox's first seq before
 *   and after and how many entries it holds; null when it was empty
 */
export function renumberFrom(idb, seq) {
  return idb.tx([OUTBOX, SENT, META, REJECTED], 'readwrite', async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    const rejected = tx.objectStore(REJECTED);
    const [entries, refused] = await Promise.all([req(outbox.getAll()), req(rejected.getAll())]);
    if (refused.some((/** @type {any} */ r) => r.seq > 0)) {
      rejected.clear();
      refused.forEach((/** @type {any} */ r, /** @type {number} */ i) => rejected.add({ ...r, seq: i - refused.length }));
    }
    tx.objectStore(SENT).clear();
    outbox.clear();
    entries.forEach((e, i) => outbox.add({ ...e, seq: seq + i }));
    tx.objectStore(META).put(seq + entries.length, 'nextSeq');
    return entries.length ? { from: entries[0].seq, to: seq, count: entries.length } : null;
  }, 'strict');
}

/** An outbox entry as the server gets it. @param {any} e @returns {OutboxEntry} */
export function wireChange(e) {
  /** @type {any} */
  const c = { seq: e.seq, store: e.store, key: e.key, op: e.op };
  if (e.op === 'put') c.value = e.value;
  c.baseVersion = e.baseVersion;
  c.ts = e.ts;
  return c;
}
