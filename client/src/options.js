/** openSync's options: their defaults and checks. */

import { INTERNAL_PREFIX } from './names.js';
import { fetchTransport } from './transport.js';

const NAME_RE = /^[A-Za-z0-9._-]{1,128}$/;
const CLIENT_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

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
 * @property {() => string | null | undefined | Promise<string | null | undefined>} [getToken] Gives
 *   the token for a request, sent as `Authorization: Bearer <token>` (null: no token). Called
 *   before each request, and once more after a 401; nothing is cached beyond one request.
 * @property {import('./transport.js').Transport} [transport] How pushes and pulls reach the
 *   server (default: fetch() to `url`, with `headers` and `requestTimeoutMs`).
 */

/**
 * The options checked, with their defaults.
 * @param {OpenSyncOptions} options
 */
export function readOptions(options) {
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
  const idbName = options.idbName ?? db;
  const unique = Object.freeze([...new Set(stores)]);
  const url = String(options.url ?? '').replace(/\/+$/, '');
  const batchSize = positive(options.batchSize, 100, 'batchSize');
  const pushIntervalMs = nonNegative(options.pushIntervalMs, 10000, 'pushIntervalMs');
  const pullIntervalMs = nonNegative(options.pullIntervalMs, 30000, 'pullIntervalMs');
  const pullLimit = positive(options.pullLimit, 500, 'pullLimit');
  const maxBackoffMs = positive(options.maxBackoffMs, 60000, 'maxBackoffMs');
  const requestTimeoutMs = positive(options.requestTimeoutMs, 60000, 'requestTimeoutMs');
  const maxBodyBytes = positive(options.maxBodyBytes, 4 * 1024 * 1024, 'maxBodyBytes');
  const { transport, getToken } = options;
  if (getToken != null && typeof getToken !== 'function') throw new TypeError('getToken must be a function');
  if (transport != null && (typeof transport.push !== 'function' || typeof transport.pull !== 'function')) {
    throw new TypeError('transport must have the functions push and pull');
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
    lockName: 'idbsync-push-' + idbName,
    getToken: getToken ?? null,
    /** @type {import('./transport.js').Transport} */
    transport: transport ?? fetchTransport({ url, headers: options.headers ?? null, requestTimeoutMs }),
  });
}

/** @typedef {ReturnType<typeof readOptions>} Config */

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
