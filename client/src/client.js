/**
 * SyncClient, the library's public face: local reads and writes, and sync on request or by
 * itself. It composes the parts: the local database (idb.js), the outbox (outbox.js), push
 * (push.js), pull (pull.js), when runs happen (scheduler.js), events (events.js) and the
 * other tabs (tabs.js); the server is reached through a transport (transport.js).
 */

import { Auth } from './auth.js';
import { Events } from './events.js';
import { LocalDb, req } from './idb.js';
import { META, OUTBOX, REJECTED } from './names.js';
import { readOptions } from './options.js';
import { countPending, readOutbox, readRecords, writeChange } from './outbox.js';
import { pullFeed } from './pull.js';
import { pushOutbox } from './push.js';
import { Scheduler } from './scheduler.js';
import { Tabs } from './tabs.js';
import { byteLength, isOnline, normalizeKey, normalizeValue, randomId } from './util.js';

/** @typedef {import('./options.js').OpenSyncOptions} OpenSyncOptions */
/** @typedef {import('./types.js').IDBSyncKey} IDBSyncKey */
/** @typedef {import('./types.js').SyncResult} SyncResult */
/** @typedef {import('./types.js').SyncStatus} SyncStatus */
/** @typedef {import('./types.js').OutboxEntry} OutboxEntry */
/** @typedef {import('./types.js').RejectedChange} RejectedChange */

/**
 * Opens (and creates or upgrades) the app's IndexedDB database and starts syncing it.
 * @param {OpenSyncOptions} options
 * @returns {Promise<SyncClient>}
 */
export async function openSync(options) {
  const client = new SyncClient(options);
  await client._open();
  return client;
}

/**
 * A sync client over one IndexedDB database. Made by {@link openSync}.
 *
 * Events (use `addEventListener(type, e => e.detail)` or `on(type, detail => ...)`):
 * `conflict`, `rejected`, `change`, `synced`, `error`, `auth`, `renumbered`, `status`.
 */
export class SyncClient extends EventTarget {
  /** @param {OpenSyncOptions} options */
  constructor(options) {
    super();
    const config = readOptions(options);
    /** The server's db name. */ this.db = config.db;
    /** The local IndexedDB database's name. */ this.idbName = config.idbName;
    /** The synced stores. */ this.stores = config.stores;
    /** This client's id (set once the database is open). @type {string} */ this.clientId = '';
    /** @internal */ this._config = config;
    const idb = new LocalDb(config.idbName, config.stores);
    const isClosed = () => idb.closed;
    const events = new Events(this, () => this.status(), isClosed);
    /** @internal */ this._idb = idb;
    /** @internal */ this._events = events;
    /** @internal */ this._tabs = new Tabs(config.idbName, config.storeSet, events, isClosed);
    events.tabs = this._tabs;
    const auth = new Auth(config.getToken);
    const ctx = { config, idb, events, auth };
    /** @internal */ this._scheduler = new Scheduler({
      config, events, auth, isClosed,
      pending: () => this.pending(),
      push: () => pushOutbox(ctx, this.clientId),
      pull: () => pullFeed(ctx),
      synced: (at) => idb.tx([META], 'readwrite', async (tx) => { tx.objectStore(META).put(at, 'lastSyncAt'); }),
    });
  }

  /** @internal */
  async _open() {
    const wanted = this._config.wantedClientId;
    const stored = await this._idb.tx([META], 'readwrite', async (tx) => {
      const meta = tx.objectStore(META);
      let id = await req(meta.get('clientId'));
      if (id == null) {
        id = wanted ?? randomId();
        meta.put(id, 'clientId');
        meta.put(1, 'nextSeq');
      }
      return id;
    });
    if (wanted != null && stored !== wanted) {
      this._idb.close();
      throw new Error(`IndexedDB database "${this.idbName}" belongs to clientId "${stored}", not "${wanted}"`);
    }
    this.clientId = stored;
    this._tabs.open();
    if (this._config.auto) this._scheduler.startAuto();
  }

  // ---------------------------------------------------------------- local reads and writes

  /**
   * Writes a record and its outbox entry in one IndexedDB transaction.
   * The value is stored as JSON would carry it (a copy made with JSON.stringify/parse).
   * @param {string} store
   * @param {IDBSyncKey} key
   * @param {object} value a JSON object
   * @returns {Promise<number>} the change's seq
   */
  async put(store, key, value) {
    this._checkStore(store);
    const k = normalizeKey(key);
    const v = normalizeValue(value);
    const size = byteLength(JSON.stringify({ store, key: k, value: v })) + 200;
    const max = this._config.maxBodyBytes;
    if (size > max) {
      throw new RangeError(`the change is about ${size} bytes; a push body may be at most ${max} bytes`);
    }
    return this._write(store, k, 'put', v);
  }

  /**
   * Deletes a record and writes its outbox entry in one IndexedDB transaction.
   * @param {string} store
   * @param {IDBSyncKey} key
   * @returns {Promise<number>} the change's seq
   */
  async delete(store, key) {
    this._checkStore(store);
    return this._write(store, normalizeKey(key), 'delete', undefined);
  }

  /**
   * @param {string} store
   * @param {IDBSyncKey} key
   * @returns {Promise<any>} the record's value, or undefined
   */
  async get(store, key) {
    this._checkStore(store);
    const k = normalizeKey(key);
    return this._idb.tx([store], 'readonly', (tx) => req(tx.objectStore(store).get(k)));
  }

  /**
   * Every record of a store, in key order.
   * @param {string} store
   * @returns {Promise<Array<{key: IDBSyncKey, value: any, version: number, pending: boolean}>>}
   *   `version`: the server version the local value is based on (0: never seen from the server);
   *   `pending`: a local change of the record is still in the outbox.
   */
  async all(store) {
    this._checkStore(store);
    return readRecords(this._idb, store);
  }

  /** @returns {Promise<number>} how many local changes wait in the outbox */
  async pending() {
    return countPending(this._idb);
  }

  /** @returns {Promise<OutboxEntry[]>} the local changes not yet decided by the server, in seq order */
  async outbox() {
    return readOutbox(this._idb);
  }

  /** @returns {Promise<RejectedChange[]>} the changes the server rejected, oldest first */
  async rejected() {
    return this._idb.tx([REJECTED], 'readonly', (tx) => req(tx.objectStore(REJECTED).getAll()));
  }

  /**
   * Removes rejected changes from the local rejected store (all of them without an argument).
   * @param {number} [seq]
   */
  async dismissRejected(seq) {
    await this._idb.tx([REJECTED], 'readwrite', async (tx) => {
      if (seq == null) tx.objectStore(REJECTED).clear();
      else tx.objectStore(REJECTED).delete(seq);
    });
    this._tabs.post({ type: 'status' });
    this._events.emitStatus();
  }

  /** @returns {Promise<SyncStatus>} */
  async status() {
    const [pending, rejected, lastSyncAt] = await this._idb.tx([OUTBOX, REJECTED, META], 'readonly', (tx) =>
      Promise.all([
        req(tx.objectStore(OUTBOX).count()),
        req(tx.objectStore(REJECTED).count()),
        req(tx.objectStore(META).get('lastSyncAt')),
      ]));
    const s = this._scheduler;
    return {
      clientId: this.clientId,
      online: isOnline(),
      syncing: s.syncing,
      pending,
      rejected,
      lastSyncAt: lastSyncAt ?? null,
      nextRetryAt: s.retryAt > Date.now() ? s.retryAt : null,
      lastError: s.lastError,
    };
  }

  // ---------------------------------------------------------------- syncing

  /**
   * Pushes the outbox, then pulls the change feed, now. Waits out a server's Retry-After.
   * Never rejects for server or network failures: they are in the result (and an `error` event),
   * and a retry is scheduled when `auto` is on.
   * @returns {Promise<SyncResult>}
   */
  sync() {
    return this._scheduler.schedule({ push: true, pull: true, manual: true, retry: false });
  }

  /** Pushes the outbox now (no pull). @returns {Promise<SyncResult>} */
  push() {
    return this._scheduler.schedule({ push: true, pull: false, manual: true, retry: false });
  }

  /** Pulls the change feed now (no push). @returns {Promise<SyncResult>} */
  pull() {
    return this._scheduler.schedule({ push: false, pull: true, manual: true, retry: false });
  }

  /**
   * Adds a listener that gets the event's detail; returns a function that removes it.
   * @param {string} type
   * @param {(detail: any, event: CustomEvent) => void} handler
   * @returns {() => void}
   */
  on(type, handler) {
    /** @param {Event} e */
    const listener = (e) => handler(/** @type {CustomEvent} */ (e).detail, /** @type {CustomEvent} */ (e));
    this.addEventListener(type, listener);
    return () => this.removeEventListener(type, listener);
  }

  /** Stops syncing and closes the database connection. */
  close() {
    if (this._idb.closed) return;
    this._scheduler.close();
    this._events.close();
    this._tabs.close();
    this._idb.close();
  }

  // ---------------------------------------------------------------- internals

  /** @param {string} store */
  _checkStore(store) {
    if (this._idb.closed) throw new Error('this sync client is closed');
    if (!this._config.storeSet.has(store)) throw new TypeError(`store "${store}" is not one of this client's stores (${this.stores.join(', ')})`);
  }

  /**
   * @param {string} store @param {IDBSyncKey} key @param {'put'|'delete'} op @param {any} value
   * @returns {Promise<number>}
   */
  async _write(store, key, op, value) {
    const seq = await writeChange(this._idb, store, key, op, value);
    this._tabs.post({ type: 'local', changes: [{ store, key, op, value }] });
    this._events.emitStatus();
    this._scheduler.afterWrite();
    return seq;
  }
}
