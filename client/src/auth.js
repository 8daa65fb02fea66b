/**
 * Tokens: openSync's `getToken`, called before each request and once more after a 401, and
 * what a refusal (401 twice in a row, or a 403) does: the request fails with an error that
 * the scheduler takes as "stop syncing until a new token or a manual sync".
 */

import { SyncError, httpError } from './errors.js';
import { send } from './transport.js';

/** @typedef {import('./transport.js').TransportResponse} TransportResponse */
/** @typedef {import('./transport.js').TransportAuth} TransportAuth */

export class Auth {
  /** @param {(() => string | null | undefined | Promise<string | null | undefined>) | null} getToken */
  constructor(getToken) {
    this.getToken = getToken;
    /** The token of the last request sent (null: none). @type {string | null} */
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
      const e = /** @type {any} */ (err);
      throw new SyncError('token', `getToken failed: ${String(e?.message ?? e)}`, { transient: true });
    }
    if (t == null || t === '') return null;
    if (typeof t !== 'string') throw new SyncError('token', `getToken returned ${typeof t}, not a string or null`, { transient: true });
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
}

/**
 * An error that stops syncing until a new token is available or sync() is called: the server
 * refused the token (401, after one renewal) or the grant (403).
 * @param {unknown} e
 */
export function isAuthError(e) {
  return e instanceof SyncError && !e.transient && (e.status === 401 || e.status === 403);
}
