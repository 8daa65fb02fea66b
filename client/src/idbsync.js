/**
 * idbsync browser client: keeps an app's IndexedDB database in sync with an idbsync server.
 *
 * Dependency-free ES module. Writes go to IndexedDB at once, together with an entry in an
 * outbox (same transaction); the outbox is pushed to `POST /v1/sync` in seq order, and
 * `GET /v1/changes` is pulled into the local stores. The wire format is PROTOCOL.md's.
 *
 * @module idbsync
 */

/** Names of the library's own object stores inside the app's database. */
export const INTERNAL_STORES = Object.freeze({
  outbox: 'idbsync.outbox',
  meta: 'idbsync.meta',
  versions: 'idbsync.versions',
  rejected: 'idbsync.rejected',
  sent: 'idbsync.sent',
});

const OUTBOX = INTERNAL_STORES.outbox;
const META = INTERNAL_STORES.meta;
const VERSIONS = INTERNAL_STORES.versions;
const REJECTED = INTERNAL_STORES.rejected;
const SENT = INTERNAL_STORES.sent;
const INTERNAL_PREFIX = 'idbsync.';

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
const CLIENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const FINAL = new Set(['applied', 'conflict', 'rejected', 'duplicate']);
/** Final changes kept after their result, to resend when a server asks for an earlier seq. */
const HISTORY = 1000;
const BASE_BACKOFF_MS = 1000;

/**
 * @typedef {string | number | any[]} IDBSyncKey
 * A record key: a string, a finite number or a non-empty array of keys (as in IndexedDB).
 */

/**
 * @typedef {object} OpenSyncOptions
 * @property {string} [url] Base URL of the idbsync server, e.g. "https://sync.example.com".
 *   Default "" (the page's own origin).
 * @property {string} db The database name: the server's db and the IndexedDB database's name.
 * @property {string[]} stores The app's object stores that are synced (created when missing).
 * @property {string} [idbName] Name of the local IndexedDB database, when it differs from `db`.
 * @property {string} [clientId] This client's id; by default a random one is made once and kept.
 * @property {number} [batchSize] Changes per push request (default 100).
 * @property {number} [pushIntervalMs] Push the outbox this often (default 10000; 0: never on a timer).
 * @property {number} [pullIntervalMs] Sync (push, then pull) this often (default 30000; 0: never on a timer).
 * @property {number} [pullLimit] Changes per pull request (default 500).
 * @property {boolean} [auto] Sync on its own: on open, after each write, when the browser comes
 *   online, on the intervals and after a failure (default true). With false, only `sync()`,
 *   `push()` and `pull()` talk to the server.
 * @property {number} [maxBackoffMs] Longest wait between retries after failures (default 60000).
 * @property {number} [requestTimeoutMs] A request not answered by then counts as a network error (default 60000).
 * @property {number} [maxBodyBytes] Largest push body sent (default 4 MiB, the server's default limit).
 * @property {HeadersInit | (() => HeadersInit | Promise<HeadersInit>)} [headers] Extra request
 *   headers (e.g. an Authorization header), or a function that returns them for each request.
 */

/** An error from talking to the server. */
export class SyncError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{status?: number, transient?: boolean, retryAfterMs?: number|null}} [info]
   */
  constructor(code, message, info = {}) {
    super(message);
    this.name = 'SyncError';
    /** @type {string} */ this.code = code;
    /** @type {number|undefined} */ this.status = info.status;
    /** Whether retrying later may succeed (network errors, 408, 429, 5xx, pending). */
    /** @type {boolean} */ this.transient = !!info.transient;
    /** @type {number|null} */ this.retryAfterMs = info.retryAfterMs ?? null;
  }
}

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
 * `conflict`, `rejected`, `change`, `synced`, `error`, `status`.
 */
export class SyncClient extends EventTarget {
  /** @param {OpenSyncOptions} options */
  constructor(options) {
    super();
    if (!options || typeof options !== 'object') throw new TypeError('openSync needs an options object');
    const { db, stores } = options;
    if (typeof db !== 'string' || !NAME_RE.test(db) || db === '.' || db === '..') {
      throw new TypeError('db must be 1-128 characters of [A-Za-z0-9._-]');
    }
    if (!Array.isArray(stores) || stores.length === 0) throw new TypeError('stores must be a non-empty array of store names');
    for (const s of stores) {
      if (typeof s !== 'string' || !NAME_RE.test(s) || s === '.' || s === '..') {
        throw new TypeError(`store name ${JSON.stringify(s)} must be 1-128 characters of [A-Za-z0-9._-]`);
      }
      if (s.startsWith(INTERNAL_PREFIX)) throw new TypeError(`store names starting with "${INTERNAL_PREFIX}" are the library's own`);
    }
    if (options.clientId != null && (typeof options.clientId !== 'string' || !CLIENT_ID_RE.test(options.clientId))) {
      throw new TypeError('clientId must be 1-128 characters of [A-Za-z0-9._:-]');
    }
    /** The server's db name. */ this.db = db;
    /** The local IndexedDB database's name. */ this.idbName = options.idbName ?? db;
    /** The synced stores. */ this.stores = Object.freeze([...new Set(stores)]);
    /** This client's id (set once the database is open). @type {string} */ this.clientId = '';
    this._url = String(options.url ?? '').replace(/\/+$/, '');
    this._wantedClientId = options.clientId ?? null;
    this._storeSet = new Set(this.stores);
    this._batchSize = positive(options.batchSize, 100, 'batchSize');
    this._pushIntervalMs = nonNegative(options.pushIntervalMs, 10000, 'pushIntervalMs');
    this._pullIntervalMs = nonNegative(options.pullIntervalMs, 30000, 'pullIntervalMs');
    this._pullLimit = positive(options.pullLimit, 500, 'pullLimit');
    this._auto = options.auto ?? true;
    this._maxBackoffMs = positive(options.maxBackoffMs, 60000, 'maxBackoffMs');
    this._requestTimeoutMs = positive(options.requestTimeoutMs, 60000, 'requestTimeoutMs');
    this._maxBodyBytes = positive(options.maxBodyBytes, 4 * 1024 * 1024, 'maxBodyBytes');
    this._headers = options.headers ?? null;
    this._lockName = 'idbsync-push-' + this.idbName;
    /** @type {IDBDatabase|null} */ this._db = null;
    /** @type {Promise<IDBDatabase>|null} */ this._opening = null;
    this._closed = false;
    /** @type {Promise<unknown>} */ this._tail = Promise.resolve();
    /** @type {{opts: RunOptions, promise: Promise<SyncResult>}|null} */ this._queued = null;
    this._syncing = false;
    this._attempt = 0;
    this._retryAt = 0;
    this._retryAfterUntil = 0;
    /** @type {SyncError|null} */ this._lastError = null;
    /** @type {any[]} */ this._timers = [];
    this._retryTimer = 0;
    this._pushSoonTimer = 0;
    this._statusTimer = 0;
    /** @type {BroadcastChannel|null} */ this._channel = null;
    /** @type {Array<[EventTarget, string, EventListener]>} */ this._listeners = [];
  }

  /** @internal */
  async _open() {
    const db = await this._getDb();
    const stored = await this._tx([META], 'readwrite', async (tx) => {
      const meta = tx.objectStore(META);
      let id = await req(meta.get('clientId'));
      if (id == null) {
        id = this._wantedClientId ?? randomId();
        meta.put(id, 'clientId');
        meta.put(1, 'nextSeq');
      }
      return id;
    });
    if (this._wantedClientId != null && stored !== this._wantedClientId) {
      db.close();
      this._db = null;
      this._closed = true;
      throw new Error(`IndexedDB database "${this.idbName}" belongs to clientId "${stored}", not "${this._wantedClientId}"`);
    }
    this.clientId = stored;
    if (typeof BroadcastChannel === 'function') {
      this._channel = new BroadcastChannel('idbsync-' + this.idbName);
      this._channel.onmessage = (e) => this._onTabMessage(e.data);
    }
    if (this._auto) {
      const g = /** @type {any} */ (globalThis);
      if (typeof g.addEventListener === 'function') {
        this._listen(g, 'online', () => {
          this._attempt = 0;
          this._retryAt = 0;
          this._emitStatus();
          this._autoRun({ push: true, pull: true });
        });
        this._listen(g, 'offline', () => this._emitStatus());
      }
      if (typeof document !== 'undefined') {
        this._listen(document, 'visibilitychange', () => {
          if (document.visibilityState === 'visible') this._autoRun({ push: true, pull: true });
        });
      }
      if (this._pushIntervalMs > 0) {
        this._timers.push(setInterval(async () => {
          if ((await this.pending().catch(() => 0)) > 0) this._autoRun({ push: true, pull: false });
        }, this._pushIntervalMs));
      }
      if (this._pullIntervalMs > 0) {
        this._timers.push(setInterval(() => this._autoRun({ push: true, pull: true }), this._pullIntervalMs));
      }
      this._autoRun({ push: true, pull: true });
    }
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
    if (size > this._maxBodyBytes) {
      throw new RangeError(`the change is about ${size} bytes; a push body may be at most ${this._maxBodyBytes} bytes`);
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
    return this._tx([store], 'readonly', (tx) => req(tx.objectStore(store).get(k)));
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
    return this._tx([store, OUTBOX, VERSIONS], 'readonly', async (tx) => {
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

  /** @returns {Promise<number>} how many local changes wait in the outbox */
  async pending() {
    return this._tx([OUTBOX], 'readonly', (tx) => req(tx.objectStore(OUTBOX).count()));
  }

  /** @returns {Promise<OutboxEntry[]>} the local changes not yet decided by the server, in seq order */
  async outbox() {
    return this._tx([OUTBOX], 'readonly', async (tx) =>
      (await req(tx.objectStore(OUTBOX).getAll())).map(wireChange));
  }

  /** @returns {Promise<RejectedChange[]>} the changes the server rejected, oldest first */
  async rejected() {
    return this._tx([REJECTED], 'readonly', (tx) => req(tx.objectStore(REJECTED).getAll()));
  }

  /**
   * Removes rejected changes from the local rejected store (all of them without an argument).
   * @param {number} [seq]
   */
  async dismissRejected(seq) {
    await this._tx([REJECTED], 'readwrite', async (tx) => {
      if (seq == null) tx.objectStore(REJECTED).clear();
      else tx.objectStore(REJECTED).delete(seq);
    });
    this._post({ type: 'status' });
    this._emitStatus();
  }

  /** @returns {Promise<SyncStatus>} */
  async status() {
    const [pending, rejected, lastSyncAt] = await this._tx([OUTBOX, REJECTED, META], 'readonly', (tx) =>
      Promise.all([
        req(tx.objectStore(OUTBOX).count()),
        req(tx.objectStore(REJECTED).count()),
        req(tx.objectStore(META).get('lastSyncAt')),
      ]));
    return {
      clientId: this.clientId,
      online: isOnline(),
      syncing: this._syncing,
      pending,
      rejected,
      lastSyncAt: lastSyncAt ?? null,
      nextRetryAt: this._retryAt > Date.now() ? this._retryAt : null,
      lastError: this._lastError,
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
    return this._schedule({ push: true, pull: true, manual: true, retry: false });
  }

  /** Pushes the outbox now (no pull). @returns {Promise<SyncResult>} */
  push() {
    return this._schedule({ push: true, pull: false, manual: true, retry: false });
  }

  /** Pulls the change feed now (no push). @returns {Promise<SyncResult>} */
  pull() {
    return this._schedule({ push: false, pull: true, manual: true, retry: false });
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
    if (this._closed) return;
    this._closed = true;
    for (const t of this._timers) clearInterval(t);
    clearTimeout(this._retryTimer);
    clearTimeout(this._pushSoonTimer);
    clearTimeout(this._statusTimer);
    for (const [target, type, fn] of this._listeners) target.removeEventListener(type, fn);
    this._listeners = [];
    this._channel?.close();
    this._channel = null;
    this._db?.close();
    this._db = null;
  }

  // ---------------------------------------------------------------- internals: writes

  /** @param {string} store */
  _checkStore(store) {
    if (this._closed) throw new Error('this sync client is closed');
    if (!this._storeSet.has(store)) throw new TypeError(`store "${store}" is not one of this client's stores (${this.stores.join(', ')})`);
  }

  /**
   * @param {string} store @param {IDBSyncKey} key @param {'put'|'delete'} op @param {any} value
   * @returns {Promise<number>}
   */
  async _write(store, key, op, value) {
    const rid = ridOf(store, key);
    const ts = Date.now();
    const seq = await this._tx([store, OUTBOX, META, VERSIONS], 'readwrite', async (tx) => {
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
    this._post({ type: 'local', changes: [{ store, key, op, value }] });
    this._emitStatus();
    if (this._auto) {
      clearTimeout(this._pushSoonTimer);
      this._pushSoonTimer = setTimeout(() => this._autoRun({ push: true, pull: false }), 50);
    }
    return seq;
  }

  // ---------------------------------------------------------------- internals: the sync runs

  /** @param {{push: boolean, pull: boolean, retry?: boolean}} opts */
  _autoRun(opts) {
    if (this._closed || !this._auto) return;
    this._schedule({ retry: false, ...opts, manual: false }).catch(() => {});
  }

  /**
   * Runs one sync at a time in this tab; a request made while one runs joins the next run.
   * @param {RunOptions} opts
   * @returns {Promise<SyncResult>}
   */
  _schedule(opts) {
    const q = this._queued;
    if (q) {
      q.opts.push ||= opts.push;
      q.opts.pull ||= opts.pull;
      q.opts.manual ||= opts.manual;
      q.opts.retry ||= opts.retry;
      return q.promise;
    }
    /** @type {{opts: RunOptions, promise: Promise<SyncResult>}} */
    const next = { opts: { ...opts }, promise: /** @type {any} */ (null) };
    next.promise = this._tail.then(() => {
      if (this._queued === next) this._queued = null;
      return this._run(next.opts);
    });
    this._queued = next;
    this._tail = next.promise.catch(() => {});
    return next.promise;
  }

  /**
   * @param {RunOptions} opts
   * @returns {Promise<SyncResult>}
   */
  async _run(opts) {
    /** @type {SyncResult} */
    const result = { ok: false, pushed: 0, pulled: 0, pending: 0 };
    if (this._closed) return { ...result, error: new SyncError('closed', 'this sync client is closed') };
    if (!isOnline()) {
      result.offline = true;
      result.pending = await this.pending().catch(() => 0);
      return result;
    }
    const now = Date.now();
    if (!opts.manual && !opts.retry && now < this._retryAt) {
      result.skipped = true;
      result.pending = await this.pending().catch(() => 0);
      return result;
    }
    if (opts.manual && now < this._retryAfterUntil) await sleep(this._retryAfterUntil - now);
    this._syncing = true;
    this._emitStatus();
    try {
      await this._withLock(async () => {
        if (opts.push) result.pushed = await this._push();
        if (opts.pull) result.pulled = await this._pull();
      });
      result.ok = true;
      this._attempt = 0;
      this._retryAt = 0;
      this._lastError = null;
      clearTimeout(this._retryTimer);
      const at = Date.now();
      await this._tx([META], 'readwrite', async (tx) => { tx.objectStore(META).put(at, 'lastSyncAt'); });
      result.pending = await this.pending();
      this._emit('synced', { pushed: result.pushed, pulled: result.pulled, pending: result.pending, at }, true);
    } catch (err) {
      const e = err instanceof SyncError ? err
        : new SyncError('internal', String(/** @type {any} */ (err)?.message ?? err), { transient: true });
      this._attempt++;
      const exp = Math.min(this._maxBackoffMs, BASE_BACKOFF_MS * 2 ** (this._attempt - 1));
      let delay = exp / 2 + Math.random() * (exp / 2);
      if (e.retryAfterMs != null) {
        delay = Math.max(delay, e.retryAfterMs);
        this._retryAfterUntil = Date.now() + e.retryAfterMs;
      }
      delay = Math.round(delay);
      this._retryAt = Date.now() + delay;
      this._lastError = e;
      result.error = e;
      result.retryInMs = delay;
      result.pending = await this.pending().catch(() => 0);
      if (this._auto && !this._closed) {
        clearTimeout(this._retryTimer);
        this._retryTimer = setTimeout(() => this._autoRun({ push: true, pull: true, retry: true }), delay);
      }
      this._emit('error', { error: e, retryInMs: delay }, false);
    } finally {
      this._syncing = false;
      this._emitStatus();
    }
    return result;
  }

  /**
   * One tab at a time (Web Locks; in a context without them, one run at a time in this page).
   * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
   */
  _withLock(fn) {
    const locks = /** @type {any} */ (globalThis.navigator)?.locks;
    if (locks && typeof locks.request === 'function') return locks.request(this._lockName, fn);
    const prev = pageLocks.get(this._lockName) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    pageLocks.set(this._lockName, run.catch(() => {}));
    return run;
  }

  /** Pushes the whole outbox. @returns {Promise<number>} how many changes got a final result */
  async _push() {
    let pushed = 0;
    let size = this._batchSize;
    /** @type {number|null} resend from this seq (below the outbox head) */
    let from = null;
    let outOfOrder = 0;
    let pendings = 0;
    for (;;) {
      if (this._closed) throw new SyncError('closed', 'this sync client is closed');
      const batch = await this._readBatch(from, size);
      if (from != null && (batch.length === 0 || batch[0].seq !== from)) {
        throw new SyncError('resend_impossible', `the server expects seq ${from} next, and this client no longer holds that change`);
      }
      if (batch.length === 0) return pushed;
      const body = JSON.stringify({ db: this.db, clientId: this.clientId, sentAt: Date.now(), changes: batch.map(wireChange) });
      if (batch.length > 1 && byteLength(body) > this._maxBodyBytes) {
        size = Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      const res = await this._request('POST', '/v1/sync', body);
      if (res.status === 413 && batch.length > 1) {
        size = Math.max(1, Math.floor(batch.length / 2));
        continue;
      }
      if (res.status !== 200) throw httpError(res, 'POST /v1/sync');
      const results = res.body?.results;
      if (!Array.isArray(results)) throw new SyncError('bad_response', 'POST /v1/sync answered 200 without results', { transient: true });
      const out = await this._applyResults(batch, results);
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
        if (expected < /** @type {number} */ (out.stopSeq)) {
          from = expected; // the server's mark is behind: resend from there (those come back duplicate)
        } else {
          await this._dropBefore(expected); // the server has decided them all: they are final
          from = null;
        }
        continue;
      }
      const last = batch[batch.length - 1];
      from = last._history ? last.seq + 1 : null;
    }
  }

  /**
   * The next batch: history entries from `from` (when resending), then the outbox, consecutive seqs.
   * @param {number|null} from @param {number} limit @returns {Promise<any[]>}
   */
  async _readBatch(from, limit) {
    return this._tx([OUTBOX, SENT], 'readonly', async (tx) => {
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

  /** Moves outbox entries below `seq` to the history without a result (the server decided them). @param {number} seq */
  async _dropBefore(seq) {
    await this._tx([OUTBOX, SENT], 'readwrite', async (tx) => {
      const outbox = tx.objectStore(OUTBOX);
      const range = IDBKeyRange.upperBound(seq, true);
      for (const e of await req(outbox.getAll(range))) tx.objectStore(SENT).put(e);
      outbox.delete(range);
    }, 'strict');
  }

  /**
   * Applies a push's results in one transaction: final ones leave the outbox.
   * @param {any[]} batch @param {any[]} results
   */
  async _applyResults(batch, results) {
    const bySeq = new Map(batch.map((e) => [e.seq, e]));
    /** @type {Array<[string, any]>} */ const events = [];
    /** @type {any[]} */ const changed = [];
    let final = 0;
    /** @type {string|null} */ let stop = null;
    /** @type {number|undefined} */ let expectedSeq;
    /** @type {number|undefined} */ let stopSeq;
    const appStores = appStoreNames(await this._getDb());
    await this._tx([...appStores, OUTBOX, VERSIONS, REJECTED, SENT], 'readwrite', async (tx) => {
      const outbox = tx.objectStore(OUTBOX);
      for (const r of results) {
        const e = bySeq.get(r?.seq);
        if (!e) continue;
        if (!FINAL.has(r.status)) {
          stop = r.status === 'out_of_order' ? 'out_of_order' : 'pending';
          expectedSeq = r.expectedSeq;
          stopSeq = r.seq;
          break;
        }
        if (e._history) continue; // a resent change: its result was handled the first time
        const cur = await req(outbox.get(e.seq));
        if (!cur) continue; // handled by another tab meanwhile
        outbox.delete(cur.seq);
        tx.objectStore(SENT).put(cur);
        final++;
        const status = r.status === 'duplicate' ? (r.first ?? null) : r.status;
        await this._settle(tx, appStores, cur, status, r, events, changed);
      }
      const top = batch[batch.length - 1].seq;
      if (top > HISTORY) tx.objectStore(SENT).delete(IDBKeyRange.upperBound(top - HISTORY));
    }, 'strict');
    for (const [type, detail] of events) this._emit(type, detail, true);
    if (changed.length) this._emit('change', { origin: 'server', changes: changed }, true);
    return { final, stop, expectedSeq, stopSeq };
  }

  /**
   * What one final result does to the local copy of its record.
   * `versions` holds per record `{v, d?}`: `v` the server version the local value is based on,
   * `d` a newer server state that a pull delivered while a local change was still in the outbox.
   * @param {IDBTransaction} tx @param {string[]} appStores @param {any} cur
   * @param {string|null} status @param {any} r @param {Array<[string, any]>} events @param {any[]} changed
   */
  async _settle(tx, appStores, cur, status, r, events, changed) {
    const vs = tx.objectStore(VERSIONS);
    const [verRaw, seqs] = await Promise.all([
      req(vs.get(cur.rid)),
      req(tx.objectStore(OUTBOX).index('rid').getAllKeys(cur.rid)),
    ]);
    /** @type {{v: number, d?: ServerState}} */
    const ver = verRaw ?? { v: 0 };
    const later = seqs.some((s) => /** @type {number} */ (s) > cur.seq);
    const s = appStores.includes(cur.store) ? tx.objectStore(cur.store) : null;
    const { store, key } = cur;
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
        const oldValue = s ? await req(s.get(key)) : undefined;
        writeRecord(s, key, server);
        ver.v = Math.max(ver.v, version);
        delete ver.d;
        events.push(['conflict', {
          store, key, oldValue, newValue: server.value, deleted: server.op === 'delete', version,
          policy: r.policy, seq: cur.seq,
        }]);
        changed.push({ store, key, op: server.op, value: server.value, version });
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
      const d = ver.d;
      const oldValue = s ? await req(s.get(key)) : undefined;
      writeRecord(s, key, d);
      ver.v = d.version;
      delete ver.d;
      if (status === 'conflict') {
        events.push(['conflict', {
          store, key, oldValue, newValue: d.value, deleted: d.op === 'delete', version: d.version,
          policy: r.policy, seq: cur.seq,
        }]);
      }
      changed.push({ store, key, op: d.op, value: d.value, version: d.version });
    }
    vs.put(ver, cur.rid);
  }

  /** Pulls the change feed until `hasMore` is false. @returns {Promise<number>} changes received */
  async _pull() {
    let received = 0;
    let resetCursor = false;
    /** @type {any[]} */ const changed = [];
    for (let page = 0; page < 100000; page++) {
      if (this._closed) throw new SyncError('closed', 'this sync client is closed');
      const cursor = await this._tx([META], 'readonly', (tx) => req(tx.objectStore(META).get('cursor')));
      const q = new URLSearchParams({ db: this.db });
      if (cursor != null) q.set('since', String(cursor));
      q.set('limit', String(this._pullLimit));
      const res = await this._request('GET', '/v1/changes?' + q, null);
      if (res.status === 400 && res.body?.error?.code === 'bad_cursor' && !resetCursor) {
        resetCursor = true; // start over: versions only go up, so nothing is applied twice
        await this._tx([META], 'readwrite', async (tx) => { tx.objectStore(META).delete('cursor'); });
        continue;
      }
      if (res.status !== 200) throw httpError(res, 'GET /v1/changes');
      const body = res.body;
      if (!body || !Array.isArray(body.changes)) throw new SyncError('bad_response', 'GET /v1/changes answered 200 without changes', { transient: true });
      received += body.changes.length;
      changed.push(...await this._applyPulled(body.changes, body.cursor));
      if (!body.hasMore || body.cursor == null || (body.cursor === cursor && body.changes.length === 0)) break;
    }
    if (changed.length) this._emit('change', { origin: 'server', changes: changed }, true);
    return received;
  }

  /**
   * Applies one page of the feed and stores its cursor, in one transaction.
   * @param {any[]} changes @param {any} cursor @returns {Promise<any[]>} the records changed locally
   */
  async _applyPulled(changes, cursor) {
    const appStores = appStoreNames(await this._getDb()).filter((n) => this._storeSet.has(n));
    /** @type {any[]} */ const changed = [];
    await this._tx([...appStores, OUTBOX, VERSIONS, META], 'readwrite', async (tx) => {
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

  /**
   * @param {string} method @param {string} path @param {string|null} body
   * @returns {Promise<{status: number, headers: Headers, body: any}>}
   */
  async _request(method, path, body) {
    const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = setTimeout(() => ctrl?.abort(), this._requestTimeoutMs);
    try {
      const extra = typeof this._headers === 'function' ? await this._headers() : this._headers;
      const headers = new Headers(extra ?? undefined);
      if (body != null) headers.set('Content-Type', 'application/json');
      headers.set('Accept', 'application/json');
      const res = await fetch(this._url + path, {
        method, headers, body: body ?? undefined, cache: 'no-store', signal: ctrl?.signal,
      });
      const text = await res.text();
      let parsed = null;
      try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
      return { status: res.status, headers: res.headers, body: parsed };
    } catch (err) {
      const e = /** @type {any} */ (err);
      const why = e?.name === 'AbortError' ? `no answer within ${this._requestTimeoutMs} ms` : String(e?.message ?? e);
      throw new SyncError('network', `${method} ${path.split('?')[0]} failed: ${why}`, { transient: true });
    } finally {
      clearTimeout(timer);
    }
  }

  // ---------------------------------------------------------------- internals: IndexedDB

  /** @returns {Promise<IDBDatabase>} */
  _getDb() {
    if (this._closed) return Promise.reject(new Error('this sync client is closed'));
    if (this._db) return Promise.resolve(this._db);
    if (!this._opening) {
      this._opening = openDatabase(this.idbName, this.stores).then((db) => {
        this._opening = null;
        if (this._closed) {
          db.close();
          throw new Error('this sync client is closed');
        }
        db.onversionchange = () => { db.close(); if (this._db === db) this._db = null; };
        /** @type {any} */ (db).onclose = () => { if (this._db === db) this._db = null; };
        this._db = db;
        return db;
      }, (e) => { this._opening = null; throw e; });
    }
    return this._opening;
  }

  /**
   * Runs `fn` in a transaction and resolves with its result once the transaction committed.
   * @template T
   * @param {string[]} names @param {IDBTransactionMode} mode @param {(tx: IDBTransaction) => Promise<T>} fn
   * @param {'strict'|'relaxed'|'default'} [durability]
   * @returns {Promise<T>}
   */
  async _tx(names, mode, fn, durability = 'default') {
    const db = await this._getDb();
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

  // ---------------------------------------------------------------- internals: events and tabs

  /** @param {EventTarget} target @param {string} type @param {EventListener} fn */
  _listen(target, type, fn) {
    target.addEventListener(type, fn);
    this._listeners.push([target, type, fn]);
  }

  /** @param {string} type @param {any} detail @param {boolean} broadcast */
  _emit(type, detail, broadcast) {
    if (broadcast) this._post({ type: 'event', name: type, detail });
    this.dispatchEvent(new CustomEvent(type, { detail }));
    if (type !== 'status') this._emitStatus();
  }

  /** @param {any} msg */
  _post(msg) {
    try { this._channel?.postMessage(msg); } catch { /* a value that cannot be cloned: tabs re-read anyway */ }
  }

  /** @param {any} msg */
  _onTabMessage(msg) {
    if (this._closed || !msg || typeof msg !== 'object') return;
    if (msg.type === 'local') {
      const changes = (msg.changes ?? []).filter((/** @type {any} */ c) => this._storeSet.has(c.store));
      if (changes.length) this.dispatchEvent(new CustomEvent('change', { detail: { origin: 'tab', changes, fromOtherTab: true } }));
    } else if (msg.type === 'event' && typeof msg.name === 'string') {
      this.dispatchEvent(new CustomEvent(msg.name, { detail: { ...msg.detail, fromOtherTab: true } }));
    }
    this._emitStatus();
  }

  _emitStatus() {
    if (this._closed || this._statusTimer) return;
    this._statusTimer = setTimeout(async () => {
      this._statusTimer = 0;
      if (this._closed) return;
      try {
        const s = await this.status();
        this.dispatchEvent(new CustomEvent('status', { detail: s }));
      } catch { /* closed meanwhile */ }
    }, 0);
  }
}

// -------------------------------------------------------------------- helpers

/** @type {Map<string, Promise<any>>} */
const pageLocks = new Map();

/** @typedef {{push: boolean, pull: boolean, manual: boolean, retry?: boolean}} RunOptions */
/** @typedef {{version: number, op: 'put'|'delete', value?: any}} ServerState */

/**
 * @typedef {object} SyncResult
 * @property {boolean} ok
 * @property {number} pushed changes that got a final result
 * @property {number} pulled changes received from the feed
 * @property {number} pending changes left in the outbox
 * @property {boolean} [offline] nothing was tried: the browser is offline
 * @property {boolean} [skipped] an automatic run skipped during a backoff
 * @property {SyncError} [error]
 * @property {number} [retryInMs]
 */

/**
 * @typedef {object} SyncStatus
 * @property {string} clientId
 * @property {boolean} online
 * @property {boolean} syncing
 * @property {number} pending
 * @property {number} rejected
 * @property {number|null} lastSyncAt
 * @property {number|null} nextRetryAt
 * @property {SyncError|null} lastError
 */

/**
 * @typedef {object} OutboxEntry
 * @property {number} seq
 * @property {string} store
 * @property {IDBSyncKey} key
 * @property {'put'|'delete'} op
 * @property {object} [value]
 * @property {number} baseVersion
 * @property {number} ts
 */

/**
 * @typedef {object} RejectedChange
 * @property {number} seq
 * @property {OutboxEntry} change
 * @property {{code: string, path?: string, message: string}} error
 * @property {number} at
 */

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
function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** @param {IDBIndex} index @returns {Promise<Set<any>>} */
function uniqueIndexKeys(index) {
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

/** @param {IDBDatabase} db @returns {string[]} */
function appStoreNames(db) {
  return Array.from(db.objectStoreNames).filter((n) => !n.startsWith(INTERNAL_PREFIX));
}

/** @param {IDBObjectStore|null} s @param {IDBSyncKey} key @param {{op: string, value?: any}} state */
function writeRecord(s, key, state) {
  if (!s) return;
  if (state.op === 'delete') s.delete(key);
  else if (s.keyPath == null) s.put(state.value, key);
  else s.put(state.value);
}

/** @param {any} e @returns {OutboxEntry} */
function wireChange(e) {
  /** @type {any} */
  const c = { seq: e.seq, store: e.store, key: e.key, op: e.op };
  if (e.op === 'put') c.value = e.value;
  c.baseVersion = e.baseVersion;
  c.ts = e.ts;
  return c;
}

/** @param {string} store @param {IDBSyncKey} key */
function ridOf(store, key) {
  return JSON.stringify([store, key]);
}

/** @param {any} key @returns {IDBSyncKey} */
function normalizeKey(key) {
  if (typeof key === 'string') return key;
  if (typeof key === 'number') {
    if (!Number.isFinite(key)) throw new TypeError('a number key must be finite');
    return key === 0 ? 0 : key; // -0 is the key 0
  }
  if (Array.isArray(key)) {
    if (key.length === 0) throw new TypeError('an array key must not be empty');
    return key.map(normalizeKey);
  }
  throw new TypeError(`a key must be a string, a finite number or a non-empty array of keys, not ${key === null ? 'null' : typeof key}`);
}

/** @param {any} value @returns {object} */
function normalizeValue(value) {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('a value must be a JSON object');
  }
  let json;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new TypeError('the value cannot be written as JSON: ' + /** @type {any} */ (e).message);
  }
  const copy = JSON.parse(json);
  if (copy === null || typeof copy !== 'object' || Array.isArray(copy)) throw new TypeError('a value must be a JSON object');
  return copy;
}

/** @param {{status: number, headers: Headers, body: any}} res @param {string} what */
function httpError(res, what) {
  const err = res.body?.error;
  // 408: the server gave up on a body that arrived too slowly (a slow link); the same push may pass later.
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  return new SyncError(
    typeof err?.code === 'string' ? err.code : 'http_' + res.status,
    `${what} answered ${res.status}` + (typeof err?.message === 'string' ? ': ' + err.message : ''),
    { status: res.status, transient, retryAfterMs: parseRetryAfter(res.headers.get('Retry-After')) },
  );
}

/** @param {string|null} v @returns {number|null} milliseconds */
function parseRetryAfter(v) {
  if (v == null || v.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

function isOnline() {
  const n = /** @type {any} */ (globalThis.navigator);
  return !n || n.onLine !== false;
}

/** @param {string} s */
function byteLength(s) {
  return new TextEncoder().encode(s).length;
}

/** @param {number} ms */
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return 'c-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** @param {any} v @param {number} dflt @param {string} name */
function positive(v, dflt, name) {
  if (v == null) return dflt;
  if (typeof v !== 'number' || !(v > 0)) throw new TypeError(`${name} must be a positive number`);
  return v;
}

/** @param {any} v @param {number} dflt @param {string} name */
function nonNegative(v, dflt, name) {
  if (v == null) return dflt;
  if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`${name} must be 0 or more`);
  return v;
}
