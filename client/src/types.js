/**
 * Types shared by the modules (JSDoc only: this module exports no values). The public ones are
 * the same as in idbsync.d.ts; test/types/agrees.ts makes tsc hold the two to each other.
 */

/**
 * @typedef {string | number | any[]} IDBSyncKey
 * A record key: a string, a finite number or a non-empty array of keys (as in IndexedDB).
 */

/**
 * @typedef {object} OutboxEntry A change as it is sent to the server.
 * @property {number} seq
 * @property {string} store
 * @property {IDBSyncKey} key
 * @property {'put'|'delete'} op
 * @property {Record<string, unknown>} [value]
 * @property {number} baseVersion
 * @property {number} ts
 */

/** @typedef {{code: string, path?: string, message: string}} ServerError */

/**
 * @typedef {object} RejectedChange
 * @property {number} seq
 * @property {OutboxEntry} change
 * @property {ServerError} error
 * @property {number} at
 */

/**
 * @template [T=any]
 * @typedef {object} RecordEntry
 * @property {IDBSyncKey} key
 * @property {T} value
 * @property {number} version The server version the local value is based on; 0 if never seen from the server.
 * @property {boolean} pending A local change of this record is still in the outbox.
 */

/**
 * @typedef {object} SyncResult
 * @property {boolean} ok
 * @property {number} pushed changes that got a final result
 * @property {number} pulled changes received from the feed
 * @property {number} pending changes left in the outbox
 * @property {boolean} [offline] nothing was tried: the browser is offline
 * @property {boolean} [skipped] an automatic run skipped during a backoff
 * @property {import('./errors.js').SyncError} [error]
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
 * @property {import('./errors.js').SyncError|null} lastError
 */

/** @typedef {{push: boolean, pull: boolean, manual: boolean, retry?: boolean}} RunOptions */
/** @typedef {{version: number, op: 'put'|'delete', value?: any}} ServerState */

/**
 * @typedef {object} ConflictDetail
 * @property {string} store
 * @property {IDBSyncKey} key
 * @property {any} oldValue The local value that was replaced (undefined if there was none).
 * @property {any} newValue The server's value, now the local one (undefined when the record is now deleted).
 * @property {boolean} deleted
 * @property {number} version
 * @property {string} [policy]
 * @property {number} seq The seq of the local change that lost.
 * @property {true} [fromOtherTab]
 */

/** @typedef {{change: OutboxEntry, error: ServerError, fromOtherTab?: true}} RejectedDetail */

/**
 * @typedef {object} ChangedRecord
 * @property {string} store
 * @property {IDBSyncKey} key
 * @property {'put'|'delete'} op
 * @property {any} [value]
 * @property {number} [version]
 * @property {string} [clientId]
 */

/** @typedef {{origin: 'server'|'tab', changes: ChangedRecord[], fromOtherTab?: true}} ChangeDetail */
/** @typedef {{pushed: number, pulled: number, pending: number, at: number, fromOtherTab?: true}} SyncedDetail */
/** @typedef {{error: import('./errors.js').SyncError, retryInMs: number}} ErrorDetail */

/**
 * @typedef {object} AuthDetail The server refused the token (401, also after getting a new one)
 *   or the grant (403): automatic syncing stops until getToken gives another token or the app
 *   calls sync(), push() or pull(). The outbox is kept as it is.
 * @property {import('./errors.js').SyncError} error
 * @property {number} status 401 or 403
 * @property {string} code The server's error code (`unauthorized`, `forbidden`).
 * @property {string} message The error's message, with the server's.
 */

/**
 * @typedef {object} RenumberedDetail The server no longer knows this client (it forgot it after
 *   the client was idle longer than its client horizon, or never knew it) and expects its seqs
 *   from 1 again: the changes still in the outbox got new seqs, in the same order, and are pushed
 *   under them. The history of sent changes is forgotten (nothing decided before is sent again).
 * @property {number} from The outbox's first seq before: the seqs `from`..`from + count - 1` ...
 * @property {number} to ... are now `to`..`to + count - 1` (a seq s is now s - from + to).
 * @property {number} count How many changes were renumbered.
 * @property {true} [fromOtherTab]
 */

/**
 * @typedef {object} SyncEventMap
 * @property {ConflictDetail} conflict
 * @property {RejectedDetail} rejected
 * @property {ChangeDetail} change
 * @property {SyncedDetail} synced
 * @property {ErrorDetail} error
 * @property {AuthDetail} auth
 * @property {RenumberedDetail} renumbered
 * @property {SyncStatus} status
 */

/** @typedef {{[K in keyof SyncEventMap]: [K, SyncEventMap[K]]}[keyof SyncEventMap]} SyncEvent an event's type and detail */

export {};
