/**
 * The other tabs of the app: writes and sync results are posted on the BroadcastChannel
 * `idbsync-<idbName>`, and what the other tabs post is fired here as events with `fromOtherTab`.
 */

export class Tabs {
  /**
   * @param {string} idbName @param {Set<string>} storeSet
   * @param {import('./events.js').Events} events @param {() => boolean} isClosed
   */
  constructor(idbName, storeSet, events, isClosed) {
    this.name = 'idbsync-' + idbName;
    this.storeSet = storeSet;
    this.events = events;
    this.isClosed = isClosed;
    /** @type {BroadcastChannel|null} */ this.channel = null;
  }

  /** Starts listening (where there is a BroadcastChannel). */
  open() {
    if (typeof BroadcastChannel === 'function') {
      this.channel = new BroadcastChannel(this.name);
      this.channel.onmessage = (e) => this.receive(e.data);
    }
  }

  /** @param {any} msg */
  post(msg) {
    try { this.channel?.postMessage(msg); } catch { /* a value that cannot be cloned: tabs re-read anyway */ }
  }

  /** @param {any} msg */
  receive(msg) {
    if (this.isClosed() || !msg || typeof msg !== 'object') return;
    if (msg.type === 'local') {
      const changes = (msg.changes ?? []).filter((/** @type {any} */ c) => this.storeSet.has(c.store));
      if (changes.length) this.events.dispatch('change', { origin: 'tab', changes, fromOtherTab: true });
    } else if (msg.type === 'event' && typeof msg.name === 'string') {
      this.events.dispatch(msg.name, { ...msg.detail, fromOtherTab: true });
    }
    this.events.emitStatus();
  }

  close() {
    this.channel?.close();
    this.channel = null;
  }
}
