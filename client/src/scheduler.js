/**
 * When the client talks to the server: one run (push, then pull) at a time in a tab and across
 * tabs (Web Locks), automatic runs (on open, after writes, online, visible, on intervals),
 * and exponential backoff after a failure, never sooner than the server's Retry-After. A token
 * the server refuses (401 twice, or 403) stops the automatic runs until getToken gives another
 * token or the app calls sync(), push() or pull().
 */

import { isAuthError } from './auth.js';
import { SyncError } from './errors.js';
import { isOnline, sleep } from './util.js';

/** @typedef {import('./types.js').RunOptions} RunOptions */
/** @typedef {import('./types.js').SyncResult} SyncResult */

const BASE_BACKOFF_MS = 1000;

/** Runs under each lock name in a page without Web Locks. @type {Map<string, Promise<any>>} */
const pageLocks = new Map();

/**
 * @typedef {object} SchedulerDeps
 * @property {import('./options.js').Config} config
 * @property {import('./events.js').Events} events
 * @property {import('./auth.js').Auth} auth
 * @property {() => boolean} isClosed
 * @property {() => Promise<number>} pending the number of changes in the outbox
 * @property {() => Promise<number>} push pushes the outbox; resolves with how many changes got a final result
 * @property {() => Promise<number>} pull pulls the feed; resolves with how many changes came
 * @property {(at: number) => Promise<void>} synced stores the time of a sync that succeeded
 */

export class Scheduler {
  /** @param {SchedulerDeps} deps */
  constructor(deps) {
    this.deps = deps;
    /** @type {Promise<unknown>} */ this.tail = Promise.resolve();
    /** @type {{opts: RunOptions, promise: Promise<SyncResult>}|null} */ this.queued = null;
    /** A run is under way. */ this.syncing = false;
    /** Failed runs since the last success. */ this.attempt = 0;
    /** When the next retry is due (0: none). */ this.retryAt = 0;
    /** Until when the server asked us to wait. */ this.retryAfterUntil = 0;
    /** @type {SyncError|null} */ this.lastError = null;
    /**
     * Stopped by a refused token: the token refused (null: none was sent), else undefined.
     * @type {string|null|undefined}
     */
    this.authStopped = undefined;
    /** @type {any[]} */ this.timers = [];
    this.retryTimer = 0;
    this.pushSoonTimer = 0;
  }

  /** Starts the automatic runs: window events, the intervals, and one run now. */
  startAuto() {
    const { config, events } = this.deps;
    const g = /** @type {any} */ (globalThis);
    if (typeof g.addEventListener === 'function') {
      events.listen(g, 'online', () => {
        this.attempt = 0;
        this.retryAt = 0;
        events.emitStatus();
        this.autoRun({ push: true, pull: true });
      });
      events.listen(g, 'offline', () => events.emitStatus());
    }
    if (typeof document !== 'undefined') {
      events.listen(document, 'visibilitychange', () => {
        if (document.visibilityState === 'visible') this.autoRun({ push: true, pull: true });
      });
    }
    if (config.pushIntervalMs > 0) {
      this.timers.push(setInterval(async () => {
        if ((await this.deps.pending().catch(() => 0)) > 0) this.autoRun({ push: true, pull: false });
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
    this.schedule({ retry: false, ...opts, manual: false }).catch(() => {});
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
    /** @type {{opts: RunOptions, promise: Promise<SyncResult>}} */
    const next = { opts: { ...opts }, promise: /** @type {any} */ (null) };
    next.promise = this.tail.then(() => {
      if (this.queued === next) this.queued = null;
      return this.run(next.opts);
    });
    this.queued = next;
    this.tail = next.promise.catch(() => {});
    return next.promise;
  }

  /**
   * @param {RunOptions} opts
   * @returns {Promise<SyncResult>}
   */
  async run(opts) {
    const { config, events, pending } = this.deps;
    /** @type {SyncResult} */
    const result = { ok: false, pushed: 0, pulled: 0, pending: 0 };
    if (this.deps.isClosed()) return { ...result, error: new SyncError('closed', 'this sync client is closed') };
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
    if (this.authStopped !== undefined) {
      if (!opts.manual) {
        // stopped by a refused token: go on only once getToken gives another one
        const token = await this.deps.auth.token().catch(() => this.authStopped);
        if (token === this.authStopped) {
          result.skipped = true;
          result.pending = await pending().catch(() => 0);
          return result;
        }
      }
      this.authStopped = undefined;
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
      events.emit('synced', { pushed: result.pushed, pulled: result.pulled, pending: result.pending, at }, true);
    } catch (err) {
      const e = err instanceof SyncError ? err
        : new SyncError('internal', String(/** @type {any} */ (err)?.message ?? err), { transient: true });
      if (isAuthError(e)) {
        // no retries: the same token would be refused again
        this.authStopped = this.deps.auth.lastToken;
        this.attempt = 0;
        this.retryAt = 0;
        clearTimeout(this.retryTimer);
        this.lastError = e;
        result.error = e;
        result.pending = await pending().catch(() => 0);
        events.emit('auth', { error: e, status: /** @type {number} */ (e.status), code: e.code, message: e.message }, false);
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
      events.emit('error', { error: e, retryInMs: delay }, false);
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
    const locks = /** @type {any} */ (globalThis.navigator)?.locks;
    if (locks && typeof locks.request === 'function') return locks.request(lockName, fn);
    const prev = pageLocks.get(lockName) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    pageLocks.set(lockName, run.catch(() => {}));
    return run;
  }

  /** Stops the timers. */
  close() {
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryTimer);
    clearTimeout(this.pushSoonTimer);
  }
}
