/** The events a client fires, its debounced `status` event, and the window listeners it holds. */

/** @typedef {import('./types.js').SyncEventMap} SyncEventMap */

export class Events {
  /**
   * @param {EventTarget} target the client, which the events are dispatched on
   * @param {() => Promise<import('./types.js').SyncStatus>} readStatus
   * @param {() => boolean} isClosed
   */
  constructor(target, readStatus, isClosed) {
    this.target = target;
    this.readStatus = readStatus;
    this.isClosed = isClosed;
    /** Where events that other tabs must hear of are posted. @type {{post(msg: any): void}|null} */
    this.tabs = null;
    this.statusTimer = 0;
    /** @type {Array<[EventTarget, string, EventListener]>} */ this.listeners = [];
  }

  /**
   * Fires an event (and posts it to the other tabs when `broadcast`); then a `status` event follows.
   * @template {keyof SyncEventMap} K @param {K} type @param {SyncEventMap[K]} detail @param {boolean} broadcast
   */
  emit(type, detail, broadcast) {
    if (broadcast) this.tabs?.post({ type: 'event', name: type, detail });
    this.dispatch(type, detail);
    if (type !== 'status') this.emitStatus();
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
        this.dispatch('status', s);
      } catch { /* closed meanwhile */ }
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
}
