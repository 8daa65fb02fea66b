/** The library's own object stores inside the app's database, and the names they reserve. */

/** Names of the library's own object stores inside the app's database. */
export const INTERNAL_STORES = Object.freeze({
  outbox: 'idbsync.outbox',
  meta: 'idbsync.meta',
  versions: 'idbsync.versions',
  rejected: 'idbsync.rejected',
  sent: 'idbsync.sent',
});

/** Pending changes, by seq, with an index `rid` (the record they change). */
export const OUTBOX = INTERNAL_STORES.outbox;
/** clientId, nextSeq, the pull cursor, lastSyncAt. */
export const META = INTERNAL_STORES.meta;
/** Per record (by rid): `{v, d?}`, the server version the local value is based on and a newer server state put aside. */
export const VERSIONS = INTERNAL_STORES.versions;
/** Changes the server rejected, by seq. */
export const REJECTED = INTERNAL_STORES.rejected;
/** Recently finished changes, by seq, for resends. */
export const SENT = INTERNAL_STORES.sent;
/** App stores must not begin with it. */
export const INTERNAL_PREFIX = 'idbsync.';
