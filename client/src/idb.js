/** The app's IndexedDB database: opening and upgrading it, transactions, and request helpers. */

import { INTERNAL_PREFIX, META, OUTBOX, REJECTED, SENT, VERSIONS } from './names.js';

/** One connection to the app's database, opened on first use and again after another tab's upgrade closed it. */
export class LocalDb {
  /** @param {string} name @param {readonly string[]} appStores */
  constructor(name, appStores) {
    this.name = name;
    this.appStores = appStores;
    /** @type {IDBDatabase|null} */ this.db = null;
    /** @type {Promise<IDBDatabase>|null} */ this.opening = null;
    /** Set by close(): nothing is opened again. */
    this.closed = false;
  }

  /** @returns {Promise<IDBDatabase>} */
  get() {
    if (this.closed) return Promise.reject(new Error('this sync client is closed'));
    if (this.db) return Promise.resolve(this.db);
    if (!this.opening) {
      this.opening = openDatabase(this.name, this.appStores).then((db) => {
        this.opening = null;
        if (this.closed) {
          db.close();
          throw new Error('this sync client is closed');
        }
        db.onversionchange = () => { db.close(); if (this.db === db) this.db = null; };
        /** @type {any} */ (db).onclose = () => { if (this.db === db) this.db = null; };
        this.db = db;
        return db;
      }, (e) => { this.opening = null; throw e; });
    }
    return this.opening;
  }

  /**
   * Runs `fn` in a transaction and resolves with its result once the transaction committed.
   * @template T
   * @param {string[]} names @param {IDBTransactionMode} mode @param {(tx: IDBTransaction) => Promise<T>} fn
   * @param {'strict'|'relaxed'|'default'} [durability]
   * @returns {Promise<T>}
   */
  async tx(names, mode, fn, durability = 'default') {
    const db = await this.get();
    const tx = db.transaction(names, mode, /** @type {any} */ ({ durability }));
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(undefined);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
    });
    let result;
    try {
      result = await fn(tx);
    } catch (e) {
      try { tx.abort(); } catch { /* already finished */ }
      await done.catch(() => {});
      throw e;
    }
    await done;
    return result;
  }

  /** The app stores that the database holds now. @returns {Promise<string[]>} */
  async appStoreNames() {
    return Array.from((await this.get()).objectStoreNames).filter((n) => !n.startsWith(INTERNAL_PREFIX));
  }

  /** Closes the connection for good. */
  close() {
    this.closed = true;
    this.db?.close();
    this.db = null;
  }
}

/**
 * @param {string} name @param {readonly string[]} appStores @returns {Promise<IDBDatabase>}
 */
async function openDatabase(name, appStores) {
  const wanted = [...appStores, OUTBOX, META, VERSIONS, REJECTED, SENT];
  for (let attempt = 0; ; attempt++) {
    const db = await openRequest(indexedDB.open(name), null);
    const missing = wanted.filter((s) => !db.objectStoreNames.contains(s));
    if (missing.length === 0) return db;
    const version = db.version + 1;
    db.close();
    try {
      return await openRequest(indexedDB.open(name, version), (up) => {
        for (const s of wanted) {
          if (up.objectStoreNames.contains(s)) continue;
          if (s === OUTBOX) up.createObjectStore(s, { keyPath: 'seq' }).createIndex('rid', 'rid');
          else if (s === REJECTED || s === SENT) up.createObjectStore(s, { keyPath: 'seq' });
          else up.createObjectStore(s);
        }
      });
    } catch (e) {
      // another tab upgraded first: open again and look
      if (/** @type {any} */ (e)?.name === 'VersionError' && attempt < 5) continue;
      throw e;
    }
  }
}

/**
 * @param {IDBOpenDBRequest} r @param {((db: IDBDatabase) => void)|null} upgrade
 * @returns {Promise<IDBDatabase>}
 */
function openRequest(r, upgrade) {
  return new Promise((resolve, reject) => {
    r.onupgradeneeded = () => { if (upgrade) upgrade(r.result); };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => { /* waits until the other tabs close their connections (they do on versionchange) */ };
  });
}

/** @template T @param {IDBRequest<T>} r @returns {Promise<T>} */
export function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** @param {IDBIndex} index @returns {Promise<Set<any>>} */
export function uniqueIndexKeys(index) {
  return new Promise((resolve, reject) => {
    const keys = new Set();
    const r = index.openKeyCursor(null, 'nextunique');
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const c = r.result;
      if (!c) return resolve(keys);
      keys.add(c.key);
      c.continue();
    };
  });
}

/**
 * Writes a server state (or a local change) to the record.
 * @param {IDBObjectStore|null} s @param {import('./types.js').IDBSyncKey} key @param {{op: string, value?: any}} state
 */
export function writeRecord(s, key, state) {
  if (!s) return;
  if (state.op === 'delete') s.delete(key);
  else if (s.keyPath == null) s.put(state.value, key);
  else s.put(state.value);
}
