/**
 * How the library talks to the server: a transport with `push` and `pull` (openSync's
 * `transport` option, as Replicache's pusher and puller), by default fetch() to the server's
 * `POST /v1/sync` and `GET /v1/changes`.
 */

import { SyncError } from './errors.js';

/**
 * @typedef {object} PushBody The body of `POST /v1/sync` (PROTOCOL.md).
 * @property {string} db
 * @property {string} clientId
 * @property {number} sentAt
 * @property {import('./types.js').OutboxEntry[]} changes
 */

/**
 * @typedef {object} PullQuery The query of `GET /v1/changes` (`since` absent: from the beginning).
 * @property {string} db
 * @property {string} [since]
 * @property {number} limit
 */

/**
 * @typedef {object} TransportResponse The server's answer.
 * @property {number} status The HTTP status.
 * @property {any} body The parsed JSON body; null when there was none or it was not JSON.
 * @property {{get(name: string): string | null}} [headers] The answer's headers (a `Headers`);
 *   the library reads `Retry-After`.
 */

/**
 * @typedef {object} TransportAuth What a transport must send with a request to authenticate it.
 * @property {string | null} token The token openSync's `getToken` gave for this request, to send
 *   as `Authorization: Bearer <token>`; null: none (no getToken, or it returned null).
 */

/**
 * @typedef {object} Transport
 * @property {(body: PushBody, json: string, auth: TransportAuth) => Promise<TransportResponse>} push
 *   Sends a push; `json` is `body` serialized, as the default transport sends it.
 * @property {(query: PullQuery, auth: TransportAuth) => Promise<TransportResponse>} pull Reads one
 *   page of the change feed.
 */

/**
 * Calls the transport. What it throws is a network error (transient), except a SyncError,
 * which is passed on as it is.
 * @param {string} what e.g. "POST /v1/sync" @param {() => Promise<TransportResponse>} call
 * @returns {Promise<TransportResponse>}
 */
export async function send(what, call) {
  try {
    return await call();
  } catch (err) {
    if (err instanceof SyncError) throw err;
    const e = /** @type {any} */ (err);
    throw new SyncError('network', `${what} failed: ${String(e?.message ?? e)}`, { transient: true });
  }
}

/**
 * The default transport: fetch() to the server at `url`.
 * @param {{url: string, headers: import('./options.js').OpenSyncOptions['headers'] | null, requestTimeoutMs: number}} options
 * @returns {Transport}
 */
export function fetchTransport({ url, headers, requestTimeoutMs }) {
  /**
   * @param {string} method @param {string} path @param {string|null} body @param {TransportAuth} [auth]
   * @returns {Promise<TransportResponse>}
   */
  async function request(method, path, body, auth) {
    const ctrl = typeof AbortController === 'function' ? new AbortController() : null;
    const timer = setTimeout(() => ctrl?.abort(), requestTimeoutMs);
    try {
      const extra = typeof headers === 'function' ? await headers() : headers;
      const h = new Headers(extra ?? undefined);
      if (auth?.token != null) h.set('Authorization', 'Bearer ' + auth.token);
      if (body != null) h.set('Content-Type', 'application/json');
      h.set('Accept', 'application/json');
      const res = await fetch(url + path, {
        method, headers: h, body: body ?? undefined, cache: 'no-store', signal: ctrl?.signal,
      });
      const text = await res.text();
      let parsed = null;
      try { parsed = text ? JSON.parse(text) : null; } catch { parsed = null; }
      return { status: res.status, headers: res.headers, body: parsed };
    } catch (err) {
      if (/** @type {any} */ (err)?.name === 'AbortError') throw new Error(`no answer within ${requestTimeoutMs} ms`);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
  return {
    push: (_body, json, auth) => request('POST', '/v1/sync', json, auth),
    pull(query, auth) {
      const q = new URLSearchParams({ db: query.db });
      if (query.since != null) q.set('since', query.since);
      q.set('limit', String(query.limit));
      return request('GET', '/v1/changes?' + q, null, auth);
    },
  };
}
