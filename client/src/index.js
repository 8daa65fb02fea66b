/**
 * idbsync browser client: keeps an app's IndexedDB database in sync with an idbsync server.
 *
 * Dependency-free ES module. Writes go to IndexedDB at once, together with an entry in an
 * outbox (same transaction); the outbox is pushed to `POST /v1/sync` in seq order, and
 * `GET /v1/changes` is pulled into the local stores. The wire format is PROTOCOL.md's.
 * This is the entry of the sources; `npm run build` bundles them into one file, dist/idbsync.js,
 * which is what the server serves at /client/idbsync.js. Its types: idbsync.d.ts.
 *
 * @module idbsync
 */

export { INTERNAL_STORES } from './names.js';
export { SyncError } from './errors.js';
export { SyncClient, openSync } from './client.js';
