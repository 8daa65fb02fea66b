/** SyncError, and how an HTTP answer that is not a success becomes one. */

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

/** @param {import('./transport.js').TransportResponse} res @param {string} what */
export function httpError(res, what) {
  const err = res.body?.error;
  // 408: the server gave up on a body that arrived too slowly (a slow link); the same push may pass later.
  const transient = res.status === 408 || res.status === 429 || res.status >= 500;
  return new SyncError(
    typeof err?.code === 'string' ? err.code : 'http_' + res.status,
    `${what} answered ${res.status}` + (typeof err?.message === 'string' ? ': ' + err.message : ''),
    { status: res.status, transient, retryAfterMs: parseRetryAfter(res.headers?.get('Retry-After') ?? null) },
  );
}

/** @param {string|null} v @returns {number|null} milliseconds */
function parseRetryAfter(v) {
  if (v == null || v.trim() === '') return null;
  if (/^\s*\d+\s*$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - Date.now());
}
