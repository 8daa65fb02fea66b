// idbsync browser client, bundled from client/src/ (entry src/index.js) by esbuild.
// GENERATED FILE: do not edit. Change the sources under client/src/, then run `npm run build`
// in client/ and commit this file too (`npm test` fails while it differs from a fresh build).
// Types: idbsync.d.ts (client/src/idbsync.d.ts, served beside this file).

// src/names.js
var INTERNAL_STORES = Object.freeze({
  outbox: "idbsync.outbox",
  meta: "idbsync.meta",
  versions: "idbsync.versions",
  rejected: "idbsync.rejected",
  sent: "idbsync.sent"
});
var OUTBOX = INTERNAL_STORES.outbox;
var META = INTERNAL_STORES.meta;
var VERSIONS = INTERNAL_STORES.versions;
var REJECTED = INTERNAL_STORES.rejected;
var SENT = INTERNAL_STORES.sent;
var INTERNAL_PREFIX = "idbsync.";

// src/errors.js
var SyncError = class extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {{status?: number, transient?: boolean, retryAfterMs?: number|null}} [info]
   */
  constructor(code, message, info = {}) {
    super(message);
    this.name = "SyncError";
    this.code = code;
    this.status = info.status;
    this.transient = !!info.transient;
    this.retryAfterMs = info.retryAfterMs ?? null;
  }
};
function httpError(res, what) {
  const err = res.body?.error;
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  return new SyncError(
    typeof err?.code === "string" ? err.code : "http_" + res.status,
    `${what} answered ${res.status}` + (typeof err?.message === "string" ? ": " + err.message : ""),
    { status: res.status, transient, retryAfterMs: parseRetryAfter(res.headers?.get("Retry-After") ?? null) }
  );
}
function parseRetryAfter(v) {
  if (v == null || v.trim() === "") return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1e3;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}

// src/transport.js
async function send(what, call) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SyncError) throw err;
    const e = (
      /** @type {any} */
      err
    );
    throw new SyncError("network", `${what} failed: ${String(e?.message ?? e)}`, { transient: true });
  }
}
function fetchTransport({ url, headers, requestTimeoutMs }) {
  async function request(method, path, body, auth) {
    const ctrl = typeof AbortController === "function" ? new AbortController() : null;
    const timer = setTimeout(() => ctrl?.abort(), requestTimeoutMs);
    try {
      const extra = typeof headers === "function" ? await headers() : headers;
      const h = new Headers(extra ?? void 0);
      if (auth?.token != null) h.set("Authorization", "Bearer " + auth.token);
      if (body != null) h.set("Content-Type", "application/json");
      h.set("Accept", "application/json");
      const res = await fetch(url + path, {
        method,
        headers: h,
        body: body ?? void 0,
        cache: "no-store",
        signal: ctrl?.signal
      });
      const text = await res.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = null;
      }
      return { status: res.status, headers: res.headers, body: parsed };
    } catch (err) {
      if (
        /** @type {any} */
        err?.name === "AbortError"
      ) throw new Error(`no answer within ${requestTimeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    push: (_body, json, auth) => request("POST", "/v1/sync", json, auth),
    pull(query, auth) {
      const q = new URLSearchParams({ db: query.db });
      if (query.since != null) q.set("since", query.since);
      q.set("limit", String(query.limit));
      return request("GET", "/v1/changes?" + q, null, auth);
    }
  };
}

// src/auth.js
var Auth = class {
  /** @param {(() => string | null | undefined | Promise<string | null | undefined>) | null} getToken */
  constructor(getToken) {
    this.getToken = getToken;
    this.lastToken = null;
  }
  /**
   * A fresh token from getToken (null without getToken). A getToken that throws, rejects or
   * returns something else than a string or null is a transient error: the run is retried later.
   * @returns {Promise<string | null>}
   */
  async token() {
    if (!this.getToken) return null;
    let t;
    try {
      t = await this.getToken();
    } catch (err) {
      const e = (
        /** @type {any} */
        err
      );
      throw new SyncError("token", `getToken failed: ${String(e?.message ?? e)}`, { transient: true });
    }
    if (t == null || t === "") return null;
    if (typeof t !== "string") throw new SyncError("token", `getToken returned ${typeof t}, not a string or null`, { transient: true });
    return t;
  }
  /**
   * Sends one request with a fresh token; on a 401 gets a token again and sends the same
   * request once more. A second 401, or a 403, throws an auth error (see isAuthError).
   * @param {string} what e.g. "POST /v1/sync"
   * @param {(auth: TransportAuth) => Promise<TransportResponse>} call
   * @returns {Promise<TransportResponse>} any other answer, for the caller to read
   */
  async request(what, call) {
    let token = await this.token();
    this.lastToken = token;
    let res = await send(what, () => call({ token }));
    if (res.status === 401) {
      token = await this.token();
      this.lastToken = token;
      res = await send(what, () => call({ token }));
    }
    if (res.status === 401 || res.status === 403) {
      const err = httpError(res, what);
      err.transient = false;
      throw err;
    }
    return res;
  }
};
function isAuthError(e) {
  return e instanceof SyncError && !e.transient && (e.status === 401 || e.status === 403);
}

// src/events.js
var Events = class {
  /**
   * @param {EventTarget} target the client, which the events are dispatched on
   * @param {() => Promise<import('./types.js').SyncStatus>} readStatus
   * @param {() => boolean} isClosed
   */
  constructor(target, readStatus, isClosed) {
    this.target = target;
    this.readStatus = readStatus;
    this.isClosed = isClosed;
    this.tabs = null;
    this.statusTimer = 0;
    this.listeners = [];
  }
  /**
   * Fires an event (and posts it to the other tabs when `broadcast`); then a `status` event follows.
   * @template {keyof SyncEventMap} K @param {K} type @param {SyncEventMap[K]} detail @param {boolean} broadcast
   */
  emit(type, detail, broadcast) {
    if (broadcast) this.tabs?.post({ type: "event", name: type, detail });
    this.dispatch(type, detail);
    if (type !== "status") this.emitStatus();
  }
  /** @param {string} type @param {any} detail */
  dispatch(type, detail) {
    this.target.dispatchEvent(new CustomEvent(type, { detail }));
  }
  /** Fires `status` once the current task is done (many changes at once make one event). */
  emitStatus() {
    if (this.isClosed() || this.statusTimer) return;
    this.statusTimer = setTimeout(async () => {
      this.statusTimer = 0;
      if (this.isClosed()) return;
      try {
        const s = await this.readStatus();
        this.dispatch("status", s);
      } catch {
      }
    }, 0);
  }
  /** Adds a listener that close() removes. @param {EventTarget} target @param {string} type @param {EventListener} fn */
  listen(target, type, fn) {
    target.addEventListener(type, fn);
    this.listeners.push([target, type, fn]);
  }
  close() {
    clearTimeout(this.statusTimer);
    for (const [target, type, fn] of this.listeners) target.removeEventListener(type, fn);
    this.listeners = [];
  }
};

// src/idb.js
var LocalDb = class {
  /** @param {string} name @param {readonly string[]} appStores */
  constructor(name, appStores) {
    this.name = name;
    this.appStores = appStores;
    this.db = null;
    this.opening = null;
    this.closed = false;
  }
  /** @returns {Promise<IDBDatabase>} */
  get() {
    if (this.closed) return Promise.reject(new Error("this sync client is closed"));
    if (this.db) return Promise.resolve(this.db);
    if (!this.opening) {
      this.opening = openDatabase(this.name, this.appStores).then((db) => {
        this.opening = null;
        if (this.closed) {
          db.close();
          throw new Error("this sync client is closed");
        }
        db.onversionchange = () => {
          db.close();
          if (this.db === db) this.db = null;
        };
        db.onclose = () => {
          if (this.db === db) this.db = null;
        };
        this.db = db;
        return db;
      }, (e) => {
        this.opening = null;
        throw e;
      });
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
  async tx(names, mode, fn, durability = "default") {
    const db = await this.get();
    const tx = db.transaction(
      names,
      mode,
      /** @type {any} */
      { durability }
    );
    const done = new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(void 0);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new DOMException("the transaction was aborted", "AbortError"));
    });
    let result;
    try {
      result = await fn(tx);
    } catch (e) {
      try {
        tx.abort();
      } catch {
      }
      await done.catch(() => {
      });
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
};
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
          if (s === OUTBOX) up.createObjectStore(s, { keyPath: "seq" }).createIndex("rid", "rid");
          else if (s === REJECTED || s === SENT) up.createObjectStore(s, { keyPath: "seq" });
          else up.createObjectStore(s);
        }
      });
    } catch (e) {
      if (
        /** @type {any} */
        e?.name === "VersionError" && attempt < 5
      ) continue;
      throw e;
    }
  }
}
function openRequest(r, upgrade) {
  return new Promise((resolve, reject) => {
    r.onupgradeneeded = () => {
      if (upgrade) upgrade(r.result);
    };
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
    r.onblocked = () => {
    };
  });
}
function req(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}
function uniqueIndexKeys(index) {
  return new Promise((resolve, reject) => {
    const keys = /* @__PURE__ */ new Set();
    const r = index.openKeyCursor(null, "nextunique");
    r.onerror = () => reject(r.error);
    r.onsuccess = () => {
      const c = r.result;
      if (!c) return resolve(keys);
      keys.add(c.key);
      c.continue();
    };
  });
}
function writeRecord(s, key, state) {
  if (!s) return;
  if (state.op === "delete") s.delete(key);
  else if (s.keyPath == null) s.put(state.value, key);
  else s.put(state.value);
}

// src/options.js
var NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
var CLIENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
function readOptions(options) {
  if (!options || typeof options !== "object") throw new TypeError("openSync needs an options object");
  const { db, stores } = options;
  if (typeof db !== "string" || !NAME_RE.test(db) || db === "." || db === "..") {
    throw new TypeError("db must be 1-128 characters of [A-Za-z0-9._-]");
  }
  if (!Array.isArray(stores) || stores.length === 0) throw new TypeError("stores must be a non-empty array of store names");
  for (const s of stores) {
    if (typeof s !== "string" || !NAME_RE.test(s) || s === "." || s === "..") {
      throw new TypeError(`store name ${JSON.stringify(s)} must be 1-128 characters of [A-Za-z0-9._-]`);
    }
    if (s.startsWith(INTERNAL_PREFIX)) throw new TypeError(`store names starting with "${INTERNAL_PREFIX}" are the library's own`);
  }
  if (options.clientId != null && (typeof options.clientId !== "string" || !CLIENT_ID_RE.test(options.clientId))) {
    throw new TypeError("clientId must be 1-128 characters of [A-Za-z0-9._:-]");
  }
  const idbName = options.idbName ?? db;
  const unique = Object.freeze([...new Set(stores)]);
  const url = String(options.url ?? "").replace(/\/+$/, "");
  const batchSize = positive(options.batchSize, 100, "batchSize");
  const pushIntervalMs = nonNegative(options.pushIntervalMs, 1e4, "pushIntervalMs");
  const pullIntervalMs = nonNegative(options.pullIntervalMs, 3e4, "pullIntervalMs");
  const pullLimit = positive(options.pullLimit, 500, "pullLimit");
  const maxBackoffMs = positive(options.maxBackoffMs, 6e4, "maxBackoffMs");
  const requestTimeoutMs = positive(options.requestTimeoutMs, 6e4, "requestTimeoutMs");
  const maxBodyBytes = positive(options.maxBodyBytes, 4 * 1024 * 1024, "maxBodyBytes");
  const { transport, getToken } = options;
  if (getToken != null && typeof getToken !== "function") throw new TypeError("getToken must be a function");
  if (transport != null && (typeof transport.push !== "function" || typeof transport.pull !== "function")) {
    throw new TypeError("transport must have the functions push and pull");
  }
  return Object.freeze({
    db,
    idbName,
    stores: unique,
    storeSet: new Set(unique),
    wantedClientId: options.clientId ?? null,
    batchSize,
    pushIntervalMs,
    pullIntervalMs,
    pullLimit,
    auto: options.auto ?? true,
    maxBackoffMs,
    maxBodyBytes,
    lockName: "idbsync-push-" + idbName,
    getToken: getToken ?? null,
    /** @type {import('./transport.js').Transport} */
    transport: transport ?? fetchTransport({ url, headers: options.headers ?? null, requestTimeoutMs })
  });
}
function positive(v, dflt, name) {
  if (v == null) return dflt;
  if (typeof v !== "number" || !(v > 0)) throw new TypeError(`${name} must be a positive number`);
  return v;
}
function nonNegative(v, dflt, name) {
  if (v == null) return dflt;
  if (typeof v !== "number" || !(v >= 0)) throw new TypeError(`${name} must be 0 or more`);
  return v;
}

// src/util.js
function ridOf(store, key) {
  return JSON.stringify([store, key]);
}
function normalizeKey(key) {
  if (typeof key === "string") return key;
  if (typeof key === "number") {
    if (!Number.isFinite(key)) throw new TypeError("a number key must be finite");
    return key === 0 ? 0 : key;
  }
  if (Array.isArray(key)) {
    if (key.length === 0) throw new TypeError("an array key must not be empty");
    return key.map(normalizeKey);
  }
  throw new TypeError(`a key must be a string, a finite number or a non-empty array of keys, not ${key === null ? "null" : typeof key}`);
}
function normalizeValue(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError("a value must be a JSON object");
  }
  let json;
  try {
    json = JSON.stringify(value);
  } catch (e) {
    throw new TypeError("the value cannot be written as JSON: " + /** @type {any} */
    e.message);
  }
  const copy = JSON.parse(json);
  if (copy === null || typeof copy !== "object" || Array.isArray(copy)) throw new TypeError("a value must be a JSON object");
  return copy;
}
function isOnline() {
  const n = (
    /** @type {any} */
    globalThis.navigator
  );
  return !n || n.onLine !== false;
}
function byteLength(s) {
  return new TextEncoder().encode(s).length;
}
function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
function randomId() {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return "c-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// src/outbox.js
function writeChange(idb, store, key, op, value) {
  const rid = ridOf(store, key);
  const ts = Date.now();
  return idb.tx([store, OUTBOX, META, VERSIONS], "readwrite", async (tx) => {
    const meta = tx.objectStore(META);
    const [next, ver] = await Promise.all([req(meta.get("nextSeq")), req(tx.objectStore(VERSIONS).get(rid))]);
    const seq = typeof next === "number" ? next : 1;
    const entry = { seq, store, key, op, baseVersion: ver?.v ?? 0, ts, rid };
    if (op === "put") entry.value = value;
    writeRecord(tx.objectStore(store), key, { op, value });
    tx.objectStore(OUTBOX).add(entry);
    meta.put(seq + 1, "nextSeq");
    return seq;
  }, "strict");
}
function readRecords(idb, store) {
  return idb.tx([store, OUTBOX, VERSIONS], "readonly", async (tx) => {
    const s = tx.objectStore(store);
    const [keys, values, pendingRids] = await Promise.all([
      req(s.getAllKeys()),
      req(s.getAll()),
      uniqueIndexKeys(tx.objectStore(OUTBOX).index("rid"))
    ]);
    const vs = tx.objectStore(VERSIONS);
    const versions = await Promise.all(keys.map((k) => req(vs.get(ridOf(
      store,
      /** @type {any} */
      k
    )))));
    return keys.map((k, i) => ({
      key: (
        /** @type {IDBSyncKey} */
        k
      ),
      value: values[i],
      version: versions[i]?.v ?? 0,
      pending: pendingRids.has(ridOf(
        store,
        /** @type {any} */
        k
      ))
    }));
  });
}
function countPending(idb) {
  return idb.tx([OUTBOX], "readonly", (tx) => req(tx.objectStore(OUTBOX).count()));
}
function readOutbox(idb) {
  return idb.tx([OUTBOX], "readonly", async (tx) => (await req(tx.objectStore(OUTBOX).getAll())).map(wireChange));
}
function readBatch(idb, from, limit) {
  return idb.tx([OUTBOX, SENT], "readonly", async (tx) => {
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
async function dropBefore(idb, seq) {
  await idb.tx([OUTBOX, SENT], "readwrite", async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    const range = IDBKeyRange.upperBound(seq, true);
    for (const e of await req(outbox.getAll(range))) tx.objectStore(SENT).put(e);
    outbox.delete(range);
  }, "strict");
}
function renumberFrom(idb, seq) {
  return idb.tx([OUTBOX, SENT, META, REJECTED], "readwrite", async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    const rejected = tx.objectStore(REJECTED);
    const [entries, refused] = await Promise.all([req(outbox.getAll()), req(rejected.getAll())]);
    if (refused.some((r) => r.seq > 0)) {
      rejected.clear();
      refused.forEach((r, i) => rejected.add({ ...r, seq: i - refused.length }));
    }
    tx.objectStore(SENT).clear();
    outbox.clear();
    entries.forEach((e, i) => outbox.add({ ...e, seq: seq + i }));
    tx.objectStore(META).put(seq + entries.length, "nextSeq");
    return entries.length ? { from: entries[0].seq, to: seq, count: entries.length } : null;
  }, "strict");
}
function wireChange(e) {
  const c = { seq: e.seq, store: e.store, key: e.key, op: e.op };
  if (e.op === "put") c.value = e.value;
  c.baseVersion = e.baseVersion;
  c.ts = e.ts;
  return c;
}

// src/pull.js
async function pullFeed(ctx) {
  const { config, idb, events, auth } = ctx;
  let received = 0;
  let resetCursor = false;
  let resynced = false;
  const changed = [];
  let resync;
  for (let page = 0; page < 1e5; page++) {
    if (idb.closed) throw new SyncError("closed", "this sync client is closed");
    const meta = await idb.tx([META], "readonly", async (tx) => {
      const m = tx.objectStore(META);
      const [cursor2, gen] = await Promise.all([req(m.get("cursor")), req(m.get("resync"))]);
      return { cursor: cursor2, gen };
    });
    const cursor = meta.cursor;
    resync = typeof meta.gen === "number" ? meta.gen : void 0;
    const query = cursor == null ? { db: config.db, limit: config.pullLimit } : { db: config.db, since: String(cursor), limit: config.pullLimit };
    const res = await auth.request("GET /v1/changes", (a) => config.transport.pull(query, a));
    if (res.status === 400 && res.body?.error?.code === "bad_cursor" && !resetCursor) {
      resetCursor = true;
      await idb.tx([META], "readwrite", async (tx) => {
        tx.objectStore(META).delete("cursor");
      });
      continue;
    }
    if (res.status === 410 && res.body?.error?.code === "resync" && !resynced) {
      resynced = true;
      await idb.tx([META], "readwrite", async (tx) => {
        const m = tx.objectStore(META);
        m.delete("cursor");
        m.put(Date.now(), "resync");
      });
      continue;
    }
    if (res.status !== 200) throw httpError(res, "GET /v1/changes");
    const body = res.body;
    if (!body || !Array.isArray(body.changes)) throw new SyncError("bad_response", "GET /v1/changes answered 200 without changes", { transient: true });
    received += body.changes.length;
    changed.push(...await applyPulled(ctx, body.changes, body.cursor, resync));
    if (!body.hasMore || body.cursor == null || body.cursor === cursor && body.changes.length === 0) break;
  }
  if (resync !== void 0) changed.push(...await endResync(ctx, resync));
  if (changed.length) events.emit("change", { origin: "server", changes: changed }, true);
  return received;
}
async function endResync({ config, idb }, gen) {
  const appStores = (await idb.appStoreNames()).filter((n) => config.storeSet.has(n));
  const changed = [];
  await idb.tx([...appStores, OUTBOX, VERSIONS, META], "readwrite", async (tx) => {
    const vs = tx.objectStore(VERSIONS);
    const byRid = tx.objectStore(OUTBOX).index("rid");
    const [rids, vers] = await Promise.all([req(vs.getAllKeys()), req(vs.getAll())]);
    for (let i = 0; i < rids.length; i++) {
      const rid = (
        /** @type {string} */
        rids[i]
      );
      const ver = vers[i];
      if (ver.g === gen) {
        delete ver.g;
        vs.put(ver, rid);
        continue;
      }
      if (await req(byRid.count(rid)) > 0) continue;
      const [store, key] = JSON.parse(rid);
      vs.delete(rid);
      if (!appStores.includes(store) || !ver.v) continue;
      const s = tx.objectStore(store);
      if (await req(s.count(key)) === 0) continue;
      writeRecord(s, key, { op: "delete" });
      changed.push({ store, key, op: "delete", value: void 0, version: ver.v, clientId: void 0 });
    }
    tx.objectStore(META).delete("resync");
  }, "strict");
  return changed;
}
async function applyPulled({ config, idb }, changes, cursor, resync) {
  const appStores = (await idb.appStoreNames()).filter((n) => config.storeSet.has(n));
  const changed = [];
  await idb.tx([...appStores, OUTBOX, VERSIONS, META], "readwrite", async (tx) => {
    const vs = tx.objectStore(VERSIONS);
    const byRid = tx.objectStore(OUTBOX).index("rid");
    for (const c of changes) {
      if (!c || !appStores.includes(c.store) || typeof c.version !== "number") continue;
      let key;
      try {
        key = normalizeKey(c.key);
      } catch {
        continue;
      }
      const rid = ridOf(c.store, key);
      const ver = await req(vs.get(rid)) ?? { v: 0 };
      if (resync !== void 0 && ver.g !== resync) {
        ver.g = resync;
        vs.put(ver, rid);
      }
      if (c.version <= Math.max(ver.v, ver.d?.version ?? 0)) continue;
      const state = c.op === "delete" || c.value == null ? { version: c.version, op: "delete" } : { version: c.version, op: "put", value: c.value };
      if (await req(byRid.count(rid)) > 0) {
        ver.d = state;
      } else {
        writeRecord(tx.objectStore(c.store), key, state);
        ver.v = c.version;
        delete ver.d;
        changed.push({ store: c.store, key, op: state.op, value: state.value, version: c.version, clientId: c.clientId });
      }
      vs.put(ver, rid);
    }
    if (cursor != null) tx.objectStore(META).put(cursor, "cursor");
  }, "strict");
  return changed;
}

// src/push.js
var FINAL = /* @__PURE__ */ new Set(["applied", "conflict", "rejected", "duplicate"]);
var HISTORY = 1e3;
async function pushOutbox(ctx, clientId) {
  const { config, idb } = ctx;
  let pushed = 0;
  let size = config.batchSize;
  let from = null;
  let outOfOrder = 0;
  let pendings = 0;
  for (; ; ) {
    if (idb.closed) throw new SyncError("closed", "this sync client is closed");
    const batch = await readBatch(idb, from, size);
    if (from != null && (batch.length === 0 || batch[0].seq !== from)) {
      throw new SyncError("resend_impossible", `the server expects seq ${from} next, and this client no longer holds that change`);
    }
    if (batch.length === 0) return pushed;
    const request = { db: config.db, clientId, sentAt: Date.now(), changes: batch.map(wireChange) };
    const body = JSON.stringify(request);
    if (batch.length > 1 && byteLength(body) > config.maxBodyBytes) {
      size = Math.max(1, Math.floor(batch.length / 2));
      continue;
    }
    const res = await ctx.auth.request("POST /v1/sync", (auth) => config.transport.push(request, body, auth));
    if (res.status === 413 && batch.length > 1) {
      size = Math.max(1, Math.floor(batch.length / 2));
      continue;
    }
    if (res.status !== 200) throw httpError(res, "POST /v1/sync");
    const results = res.body?.results;
    if (!Array.isArray(results)) throw new SyncError("bad_response", "POST /v1/sync answered 200 without results", { transient: true });
    const out = await applyResults(ctx, batch, results);
    pushed += out.final;
    if (out.stop === "pending") {
      if (++pendings > 3) {
        throw new SyncError("pending", "the server is still processing an earlier push of this client", { transient: true });
      }
      await sleep(250 * 2 ** pendings);
      continue;
    }
    pendings = 0;
    if (out.stop === "out_of_order") {
      const expected = out.expectedSeq;
      if (++outOfOrder > 5 || typeof expected !== "number" || expected === out.stopSeq) {
        throw new SyncError("out_of_order", `the server keeps answering out_of_order (expectedSeq ${expected})`, { transient: true });
      }
      if (out.unknownClient) {
        if (!Number.isSafeInteger(expected) || expected < 1) {
          throw new SyncError("out_of_order", `the server does not know this client and expects seq ${expected}`, { transient: true });
        }
        const moved = await renumberFrom(idb, expected);
        if (moved && moved.from !== moved.to) ctx.events.emit("renumbered", moved, true);
        from = null;
      } else if (expected < /** @type {number} */
      out.stopSeq) {
        from = expected;
      } else {
        await dropBefore(idb, expected);
        from = null;
      }
      continue;
    }
    const last = batch[batch.length - 1];
    from = last._history ? last.seq + 1 : null;
  }
}
async function applyResults({ idb, events: out }, batch, results) {
  const bySeq = new Map(batch.map((e) => [e.seq, e]));
  const events = [];
  const changed = [];
  let final = 0;
  let stop = null;
  let expectedSeq;
  let stopSeq;
  let unknownClient = false;
  const appStores = await idb.appStoreNames();
  await idb.tx([...appStores, OUTBOX, VERSIONS, REJECTED, SENT], "readwrite", async (tx) => {
    const outbox = tx.objectStore(OUTBOX);
    for (const r of results) {
      const e = bySeq.get(r?.seq);
      if (!e) continue;
      if (!FINAL.has(r.status)) {
        stop = r.status === "out_of_order" ? "out_of_order" : "pending";
        expectedSeq = r.expectedSeq;
        stopSeq = r.seq;
        unknownClient = r.status === "out_of_order" && r.unknownClient === true;
        break;
      }
      if (e._history) continue;
      const cur = await req(outbox.get(e.seq));
      if (!cur) continue;
      outbox.delete(cur.seq);
      tx.objectStore(SENT).put(cur);
      final++;
      const status = r.status === "duplicate" ? r.first ?? null : r.status;
      await settle(tx, appStores, cur, status, r, events, changed);
    }
    const top = batch[batch.length - 1].seq;
    if (top > HISTORY) tx.objectStore(SENT).delete(IDBKeyRange.upperBound(top - HISTORY));
  }, "strict");
  for (const [type, detail] of events) out.emit(type, detail, true);
  if (changed.length) out.emit("change", { origin: "server", changes: changed }, true);
  return { final, stop, expectedSeq, stopSeq, unknownClient };
}
async function settle(tx, appStores, cur, status, r, events, changed) {
  const vs = tx.objectStore(VERSIONS);
  const [verRaw, seqs] = await Promise.all([
    req(vs.get(cur.rid)),
    req(tx.objectStore(OUTBOX).index("rid").getAllKeys(cur.rid))
  ]);
  const ver = verRaw ?? { v: 0 };
  const later = seqs.some((s2) => (
    /** @type {number} */
    s2 > cur.seq
  ));
  const s = appStores.includes(cur.store) ? tx.objectStore(cur.store) : null;
  const version = typeof r.version === "number" ? r.version : null;
  if (status === "applied") {
    if (version != null && version > ver.v) ver.v = version;
  } else if (status === "conflict" && version != null) {
    const server = r.value == null ? { version, op: "delete" } : { version, op: "put", value: r.value };
    if (ver.d && ver.d.version > version) {
    } else if (later) {
      ver.d = server;
    } else {
      await replace(s, cur, server, ver, r, events, changed);
    }
  } else if (status === "rejected") {
    const change = wireChange(cur);
    const error = r.error ?? { code: "unknown", message: "rejected without an error" };
    tx.objectStore(REJECTED).put({ seq: cur.seq, change, error, at: Date.now() });
    events.push(["rejected", { change, error }]);
  }
  if (ver.d && ver.d.version <= ver.v) delete ver.d;
  if (ver.d && !later) {
    await replace(s, cur, ver.d, ver, status === "conflict" ? r : null, events, changed);
  }
  vs.put(ver, cur.rid);
}
async function replace(s, cur, state, ver, lost, events, changed) {
  const { store, key } = cur;
  const oldValue = s ? await req(s.get(key)) : void 0;
  writeRecord(s, key, state);
  ver.v = Math.max(ver.v, state.version);
  delete ver.d;
  if (lost) {
    events.push(["conflict", {
      store,
      key,
      oldValue,
      newValue: state.value,
      deleted: state.op === "delete",
      version: state.version,
      policy: lost.policy,
      seq: cur.seq
    }]);
  }
  changed.push({ store, key, op: state.op, value: state.value, version: state.version });
}

// src/scheduler.js
var BASE_BACKOFF_MS = 1e3;
var pageLocks = /* @__PURE__ */ new Map();
var Scheduler = class {
  /** @param {SchedulerDeps} deps */
  constructor(deps) {
    this.deps = deps;
    this.tail = Promise.resolve();
    this.queued = null;
    this.syncing = false;
    this.attempt = 0;
    this.retryAt = 0;
    this.retryAfterUntil = 0;
    this.lastError = null;
    this.authStopped = void 0;
    this.timers = [];
    this.retryTimer = 0;
    this.pushSoonTimer = 0;
  }
  /** Starts the automatic runs: window events, the intervals, and one run now. */
  startAuto() {
    const { config, events } = this.deps;
    const g = (
      /** @type {any} */
      globalThis
    );
    if (typeof g.addEventListener === "function") {
      events.listen(g, "online", () => {
        this.attempt = 0;
        this.retryAt = 0;
        events.emitStatus();
        this.autoRun({ push: true, pull: true });
      });
      events.listen(g, "offline", () => events.emitStatus());
    }
    if (typeof document !== "undefined") {
      events.listen(document, "visibilitychange", () => {
        if (document.visibilityState === "visible") this.autoRun({ push: true, pull: true });
      });
    }
    if (config.pushIntervalMs > 0) {
      this.timers.push(setInterval(async () => {
        if (await this.deps.pending().catch(() => 0) > 0) this.autoRun({ push: true, pull: false });
      }, config.pushIntervalMs));
    }
    if (config.pullIntervalMs > 0) {
      this.timers.push(setInterval(() => this.autoRun({ push: true, pull: true }), config.pullIntervalMs));
    }
    this.autoRun({ push: true, pull: true });
  }
  /** After a local write: push soon (writes in a burst make one push). */
  afterWrite() {
    if (!this.deps.config.auto) return;
    clearTimeout(this.pushSoonTimer);
    this.pushSoonTimer = setTimeout(() => this.autoRun({ push: true, pull: false }), 50);
  }
  /** @param {{push: boolean, pull: boolean, retry?: boolean}} opts */
  autoRun(opts) {
    if (this.deps.isClosed() || !this.deps.config.auto) return;
    this.schedule({ retry: false, ...opts, manual: false }).catch(() => {
    });
  }
  /**
   * Runs one sync at a time in this tab; a request made while one runs joins the next run.
   * @param {RunOptions} opts
   * @returns {Promise<SyncResult>}
   */
  schedule(opts) {
    const q = this.queued;
    if (q) {
      q.opts.push ||= opts.push;
      q.opts.pull ||= opts.pull;
      q.opts.manual ||= opts.manual;
      q.opts.retry ||= opts.retry;
      return q.promise;
    }
    const next = { opts: { ...opts }, promise: (
      /** @type {any} */
      null
    ) };
    next.promise = this.tail.then(() => {
      if (this.queued === next) this.queued = null;
      return this.run(next.opts);
    });
    this.queued = next;
    this.tail = next.promise.catch(() => {
    });
    return next.promise;
  }
  /**
   * @param {RunOptions} opts
   * @returns {Promise<SyncResult>}
   */
  async run(opts) {
    const { config, events, pending } = this.deps;
    const result = { ok: false, pushed: 0, pulled: 0, pending: 0 };
    if (this.deps.isClosed()) return { ...result, error: new SyncError("closed", "this sync client is closed") };
    if (!isOnline()) {
      result.offline = true;
      result.pending = await pending().catch(() => 0);
      return result;
    }
    const now = Date.now();
    if (!opts.manual && !opts.retry && now < this.retryAt) {
      result.skipped = true;
      result.pending = await pending().catch(() => 0);
      return result;
    }
    if (this.authStopped !== void 0) {
      if (!opts.manual) {
        const token = await this.deps.auth.token().catch(() => this.authStopped);
        if (token === this.authStopped) {
          result.skipped = true;
          result.pending = await pending().catch(() => 0);
          return result;
        }
      }
      this.authStopped = void 0;
    }
    if (opts.manual && now < this.retryAfterUntil) await sleep(this.retryAfterUntil - now);
    this.syncing = true;
    events.emitStatus();
    try {
      await this.withLock(async () => {
        if (opts.push) result.pushed = await this.deps.push();
        if (opts.pull) result.pulled = await this.deps.pull();
      });
      result.ok = true;
      this.attempt = 0;
      this.retryAt = 0;
      this.lastError = null;
      clearTimeout(this.retryTimer);
      const at = Date.now();
      await this.deps.synced(at);
      result.pending = await pending();
      events.emit("synced", { pushed: result.pushed, pulled: result.pulled, pending: result.pending, at }, true);
    } catch (err) {
      const e = err instanceof SyncError ? err : new SyncError("internal", String(
        /** @type {any} */
        err?.message ?? err
      ), { transient: true });
      if (isAuthError(e)) {
        this.authStopped = this.deps.auth.lastToken;
        this.attempt = 0;
        this.retryAt = 0;
        clearTimeout(this.retryTimer);
        this.lastError = e;
        result.error = e;
        result.pending = await pending().catch(() => 0);
        events.emit("auth", { error: e, status: (
          /** @type {number} */
          e.status
        ), code: e.code, message: e.message }, false);
        return result;
      }
      this.attempt++;
      const exp = Math.min(config.maxBackoffMs, BASE_BACKOFF_MS * 2 ** (this.attempt - 1));
      let delay = exp / 2 + Math.random() * (exp / 2);
      if (e.retryAfterMs != null) {
        delay = Math.max(delay, e.retryAfterMs);
        this.retryAfterUntil = Date.now() + e.retryAfterMs;
      }
      delay = Math.round(delay);
      this.retryAt = Date.now() + delay;
      this.lastError = e;
      result.error = e;
      result.retryInMs = delay;
      result.pending = await pending().catch(() => 0);
      if (config.auto && !this.deps.isClosed()) {
        clearTimeout(this.retryTimer);
        this.retryTimer = setTimeout(() => this.autoRun({ push: true, pull: true, retry: true }), delay);
      }
      events.emit("error", { error: e, retryInMs: delay }, false);
    } finally {
      this.syncing = false;
      events.emitStatus();
    }
    return result;
  }
  /**
   * One tab at a time (Web Locks; in a context without them, one run at a time in this page).
   * @template T @param {() => Promise<T>} fn @returns {Promise<T>}
   */
  withLock(fn) {
    const { lockName } = this.deps.config;
    const locks = (
      /** @type {any} */
      globalThis.navigator?.locks
    );
    if (locks && typeof locks.request === "function") return locks.request(lockName, fn);
    const prev = pageLocks.get(lockName) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    pageLocks.set(lockName, run.catch(() => {
    }));
    return run;
  }
  /** Stops the timers. */
  close() {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryTimer);
    clearTimeout(this.pushSoonTimer);
  }
};

// src/tabs.js
var Tabs = class {
  /**
   * @param {string} idbName @param {Set<string>} storeSet
   * @param {import('./events.js').Events} events @param {() => boolean} isClosed
   */
  constructor(idbName, storeSet, events, isClosed) {
    this.name = "idbsync-" + idbName;
    this.storeSet = storeSet;
    this.events = events;
    this.isClosed = isClosed;
    this.channel = null;
  }
  /** Starts listening (where there is a BroadcastChannel). */
  open() {
    if (typeof BroadcastChannel === "function") {
      this.channel = new BroadcastChannel(this.name);
      this.channel.onmessage = (e) => this.receive(e.data);
    }
  }
  /** @param {any} msg */
  post(msg) {
    try {
      this.channel?.postMessage(msg);
    } catch {
    }
  }
  /** @param {any} msg */
  receive(msg) {
    if (this.isClosed() || !msg || typeof msg !== "object") return;
    if (msg.type === "local") {
      const changes = (msg.changes ?? []).filter((c) => this.storeSet.has(c.store));
      if (changes.length) this.events.dispatch("change", { origin: "tab", changes, fromOtherTab: true });
    } else if (msg.type === "event" && typeof msg.name === "string") {
      this.events.dispatch(msg.name, { ...msg.detail, fromOtherTab: true });
    }
    this.events.emitStatus();
  }
  close() {
    this.channel?.close();
    this.channel = null;
  }
};

// src/client.js
async function openSync(options) {
  const client = new SyncClient(options);
  await client._open();
  return client;
}
var SyncClient = class extends EventTarget {
  /** @param {OpenSyncOptions} options */
  constructor(options) {
    super();
    const config = readOptions(options);
    this.db = config.db;
    this.idbName = config.idbName;
    this.stores = config.stores;
    this.clientId = "";
    this._config = config;
    const idb = new LocalDb(config.idbName, config.stores);
    const isClosed = () => idb.closed;
    const events = new Events(this, () => this.status(), isClosed);
    this._idb = idb;
    this._events = events;
    this._tabs = new Tabs(config.idbName, config.storeSet, events, isClosed);
    events.tabs = this._tabs;
    const auth = new Auth(config.getToken);
    const ctx = { config, idb, events, auth };
    this._scheduler = new Scheduler({
      config,
      events,
      auth,
      isClosed,
      pending: () => this.pending(),
      push: () => pushOutbox(ctx, this.clientId),
      pull: () => pullFeed(ctx),
      synced: (at) => idb.tx([META], "readwrite", async (tx) => {
        tx.objectStore(META).put(at, "lastSyncAt");
      })
    });
  }
  /** @internal */
  async _open() {
    const wanted = this._config.wantedClientId;
    const stored = await this._idb.tx([META], "readwrite", async (tx) => {
      const meta = tx.objectStore(META);
      let id = await req(meta.get("clientId"));
      if (id == null) {
        id = wanted ?? randomId();
        meta.put(id, "clientId");
        meta.put(1, "nextSeq");
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
    return this._write(store, k, "put", v);
  }
  /**
   * Deletes a record and writes its outbox entry in one IndexedDB transaction.
   * @param {string} store
   * @param {IDBSyncKey} key
   * @returns {Promise<number>} the change's seq
   */
  async delete(store, key) {
    this._checkStore(store);
    return this._write(store, normalizeKey(key), "delete", void 0);
  }
  /**
   * @param {string} store
   * @param {IDBSyncKey} key
   * @returns {Promise<any>} the record's value, or undefined
   */
  async get(store, key) {
    this._checkStore(store);
    const k = normalizeKey(key);
    return this._idb.tx([store], "readonly", (tx) => req(tx.objectStore(store).get(k)));
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
    return this._idb.tx([REJECTED], "readonly", (tx) => req(tx.objectStore(REJECTED).getAll()));
  }
  /**
   * Removes rejected changes from the local rejected store (all of them without an argument).
   * @param {number} [seq]
   */
  async dismissRejected(seq) {
    await this._idb.tx([REJECTED], "readwrite", async (tx) => {
      if (seq == null) tx.objectStore(REJECTED).clear();
      else tx.objectStore(REJECTED).delete(seq);
    });
    this._tabs.post({ type: "status" });
    this._events.emitStatus();
  }
  /** @returns {Promise<SyncStatus>} */
  async status() {
    const [pending, rejected, lastSyncAt] = await this._idb.tx([OUTBOX, REJECTED, META], "readonly", (tx) => Promise.all([
      req(tx.objectStore(OUTBOX).count()),
      req(tx.objectStore(REJECTED).count()),
      req(tx.objectStore(META).get("lastSyncAt"))
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
      lastError: s.lastError
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
    const listener = (e) => handler(
      /** @type {CustomEvent} */
      e.detail,
      /** @type {CustomEvent} */
      e
    );
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
    if (this._idb.closed) throw new Error("this sync client is closed");
    if (!this._config.storeSet.has(store)) throw new TypeError(`store "${store}" is not one of this client's stores (${this.stores.join(", ")})`);
  }
  /**
   * @param {string} store @param {IDBSyncKey} key @param {'put'|'delete'} op @param {any} value
   * @returns {Promise<number>}
   */
  async _write(store, key, op, value) {
    const seq = await writeChange(this._idb, store, key, op, value);
    this._tabs.post({ type: "local", changes: [{ store, key, op, value }] });
    this._events.emitStatus();
    this._scheduler.afterWrite();
    return seq;
  }
};
export {
  INTERNAL_STORES,
  SyncClient,
  SyncError,
  openSync
};
