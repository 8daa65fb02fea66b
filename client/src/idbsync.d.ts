// Types of idbsync.js, the idbsync browser client (dist/idbsync.js, bundled from src/index.js).
// `npm test` holds them to the sources' JSDoc types with tsc (test/types/check.ts).

/** A record key: a string, a finite number or a non-empty array of keys (as in IndexedDB). */
export type IDBSyncKey = string | number | IDBSyncKey[];

/**
 * The app's stores with the types of their keys and values, to type `put`, `get`, `delete` and
 * `all` per store (as the `idb` library's DBSchema):
 *
 *     interface NotesApp extends SyncSchema {
 *       notes: { key: string; value: { title: string; done?: boolean } };
 *     }
 *     const sync = await openSync<NotesApp>({ db: 'notes-app', stores: ['notes'] });
 *
 * Without a schema, store names are strings, keys are IDBSyncKey and values are untyped.
 */
export interface SyncSchema {
  [store: string]: SyncSchemaStore;
}

export interface SyncSchemaStore {
  key: IDBSyncKey;
  /** A JSON object. */
  value: object;
}

type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] };

/** The store names of a schema (any string without one). */
export type StoreNames<Schema extends SyncSchema | unknown> =
  Schema extends SyncSchema ? Extract<KnownKeys<Schema>, string> : string;

/** The key type of a store (IDBSyncKey without a schema). */
export type StoreKey<Schema extends SyncSchema | unknown, Name extends StoreNames<Schema>> =
  Schema extends SyncSchema ? Schema[Name]['key'] : IDBSyncKey;

/** The value type of a store (any without a schema). */
export type StoreValue<Schema extends SyncSchema | unknown, Name extends StoreNames<Schema>> =
  Schema extends SyncSchema ? Schema[Name]['value'] : any;

/** What `put` takes for a store (a JSON object without a schema). */
export type StorePutValue<Schema extends SyncSchema | unknown, Name extends StoreNames<Schema>> =
  Schema extends SyncSchema ? Schema[Name]['value'] : Record<string, unknown>;

export interface OpenSyncOptions<Schema extends SyncSchema | unknown = unknown> {
  /** Base URL of the idbsync server, e.g. "https://sync.example.com". Default "" (the page's origin). */
  url?: string;
  /** The database name: the server's db, and the local IndexedDB database's name unless `idbName` is given. */
  db: string;
  /** The app's object stores that are synced; created when missing. */
  stores: StoreNames<Schema>[];
  /** Name of the local IndexedDB database, when it differs from `db`. */
  idbName?: string;
  /** This client's id (1-128 chars of [A-Za-z0-9._:-]). Default: a random one, made once and kept in IndexedDB. */
  clientId?: string;
  /** Changes per push request. Default 100. */
  batchSize?: number;
  /** Push the outbox this often. Default 10000; 0: never on a timer. */
  pushIntervalMs?: number;
  /** Sync (push, then pull) this often. Default 30000; 0: never on a timer. */
  pullIntervalMs?: number;
  /** Changes asked for per pull request. Default 500. */
  pullLimit?: number;
  /**
   * Sync on its own: on open, after each write, when the browser comes online, on the
   * intervals and after failures (with backoff). Default true. With false only sync(),
   * push() and pull() talk to the server.
   */
  auto?: boolean;
  /** Longest wait between retries after failures. Default 60000. */
  maxBackoffMs?: number;
  /** A request not answered by then counts as a network error. Default 60000. */
  requestTimeoutMs?: number;
  /** Largest push body sent. Default 4194304 (the server's default limit). */
  maxBodyBytes?: number;
  /** Extra request headers (e.g. Authorization), or a function returning them for each request. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>);
  /**
   * Gives the token for a request, sent as `Authorization: Bearer <token>` (null or undefined:
   * no token). Called before each request (each push and each pull page), and once more after
   * a 401, whose request is then sent again; nothing is cached beyond one request. A token
   * refused twice in a row (401), or a 403, fires `auth` and stops automatic syncing until
   * getToken gives another token or sync(), push() or pull() is called; the outbox is kept.
   * Throwing or rejecting counts as a transient error (retried with backoff).
   */
  getToken?: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * How pushes and pulls reach the server. Default: fetch() to `url` (with `headers` and
   * `requestTimeoutMs`, which only the default uses).
   */
  transport?: Transport;
}

/** The body of `POST /v1/sync` (PROTOCOL.md). */
export interface PushBody {
  db: string;
  clientId: string;
  sentAt: number;
  changes: OutboxEntry[];
}

/** The query of `GET /v1/changes`; no `since`: from the beginning. */
export interface PullQuery {
  db: string;
  since?: string;
  limit: number;
}

/** The server's answer to a push or a pull, as a transport hands it back. */
export interface TransportResponse {
  /** The HTTP status. */
  status: number;
  /** The parsed JSON body; null when there was none or it was not JSON. */
  body: any;
  /** The answer's headers (a `Headers` will do); the library reads `Retry-After`. */
  headers?: { get(name: string): string | null };
}

/** What a transport must send with a request to authenticate it. */
export interface TransportAuth {
  /**
   * The token openSync's `getToken` gave for this request, to send as
   * `Authorization: Bearer <token>`; null: none (no getToken, or it returned null).
   */
  token: string | null;
}

/**
 * How the library talks to the server (as Replicache's pusher and puller). A transport answers
 * with the server's status and body, whatever they are; the library decides what they mean
 * (retries, backoff, 413 halving, bad_cursor, 410 resync). What it throws counts as a network error
 * (transient, retried), except a SyncError, which is passed on as it is.
 */
export interface Transport {
  /**
   * Sends a push. `json` is `body` serialized, as the default transport sends it; `auth.token`,
   * when not null, goes in `Authorization: Bearer <token>`.
   */
  push(body: PushBody, json: string, auth: TransportAuth): Promise<TransportResponse>;
  /** Reads one page of the change feed (with `auth` as for push). */
  pull(query: PullQuery, auth: TransportAuth): Promise<TransportResponse>;
}

/** A change as it is sent to the server. */
export interface OutboxEntry {
  seq: number;
  store: string;
  key: IDBSyncKey;
  op: 'put' | 'delete';
  value?: Record<string, unknown>;
  baseVersion: number;
  ts: number;
}

export interface ServerError {
  code: string;
  path?: string;
  message: string;
}

export interface RejectedChange {
  /**
   * Its key, for `dismissRejected`: the change's seq; negative for a change rejected before the
   * outbox was renumbered (the `renumbered` event), whose `change.seq` keeps the seq it was sent with.
   */
  seq: number;
  change: OutboxEntry;
  error: ServerError;
  at: number;
}

export interface RecordEntry<T = any, K = IDBSyncKey> {
  key: K;
  value: T;
  /** The server version the local value is based on; 0 if never seen from the server. */
  version: number;
  /** A local change of this record is still in the outbox. */
  pending: boolean;
}

export interface SyncStatus {
  clientId: string;
  online: boolean;
  syncing: boolean;
  pending: number;
  rejected: number;
  lastSyncAt: number | null;
  nextRetryAt: number | null;
  lastError: SyncError | null;
}

export interface SyncResult {
  ok: boolean;
  /** Changes that got a final result. */
  pushed: number;
  /** Changes received from the feed. */
  pulled: number;
  /** Changes left in the outbox. */
  pending: number;
  /** Nothing was tried: the browser is offline. */
  offline?: boolean;
  /** An automatic run skipped during a backoff. */
  skipped?: boolean;
  error?: SyncError;
  retryInMs?: number;
}

/** Set on events that another tab's client raised and passed on. */
interface FromTab {
  fromOtherTab?: true;
}

export interface ConflictDetail extends FromTab {
  store: string;
  key: IDBSyncKey;
  /** The local value that was replaced (undefined if there was none). */
  oldValue: any;
  /** The server's value, now the local one (undefined when the record is now deleted). */
  newValue: any;
  deleted: boolean;
  version: number;
  policy?: string;
  /** The seq of the local change that lost. */
  seq: number;
}

export interface RejectedDetail extends FromTab {
  change: OutboxEntry;
  error: ServerError;
}

export interface ChangedRecord {
  store: string;
  key: IDBSyncKey;
  op: 'put' | 'delete';
  value?: any;
  version?: number;
  clientId?: string;
}

export interface ChangeDetail extends FromTab {
  /** "server": a pull or a push result changed local records; "tab": another tab wrote. */
  origin: 'server' | 'tab';
  changes: ChangedRecord[];
}

export interface SyncedDetail extends FromTab {
  pushed: number;
  pulled: number;
  pending: number;
  at: number;
}

export interface ErrorDetail {
  error: SyncError;
  retryInMs: number;
}

/**
 * The server refused the token (401, also after getting a new one) or the grant (403):
 * automatic syncing stops until getToken gives another token or the app calls sync(), push()
 * or pull(). The outbox is kept as it is.
 */
export interface AuthDetail {
  error: SyncError;
  /** 401 or 403. */
  status: number;
  /** The server's error code (`unauthorized`, `forbidden`). */
  code: string;
  /** The error's message, with the server's. */
  message: string;
}

/**
 * The server no longer knows this client (it forgot it after the client was idle longer than its
 * client horizon, or never knew it) and expects its seqs from 1 again: the changes still in the
 * outbox got new seqs, in the same order, and are pushed under them. The history of sent changes
 * is forgotten (nothing decided before is sent again). Seqs that put() and delete() returned for
 * these changes are now others: a seq s is now s - from + to.
 */
export interface RenumberedDetail extends FromTab {
  /** The outbox's first seq before: the seqs from..from + count - 1 ... */
  from: number;
  /** ... are now to..to + count - 1. */
  to: number;
  /** How many changes were renumbered. */
  count: number;
}

export interface SyncEventMap {
  conflict: ConflictDetail;
  rejected: RejectedDetail;
  change: ChangeDetail;
  synced: SyncedDetail;
  error: ErrorDetail;
  auth: AuthDetail;
  renumbered: RenumberedDetail;
  status: SyncStatus;
}

export declare const INTERNAL_STORES: Readonly<{
  outbox: 'idbsync.outbox';
  meta: 'idbsync.meta';
  versions: 'idbsync.versions';
  rejected: 'idbsync.rejected';
  sent: 'idbsync.sent';
}>;

export declare class SyncError extends Error {
  constructor(code: string, message: string, info?: { status?: number; transient?: boolean; retryAfterMs?: number | null });
  code: string;
  status: number | undefined;
  transient: boolean;
  retryAfterMs: number | null;
}

/** Only for a client without a schema: `this` is never anything else. */
type Untyped<Schema, C> = unknown extends Schema ? C : never;

export declare class SyncClient<Schema extends SyncSchema | unknown = unknown> extends EventTarget {
  readonly db: string;
  readonly idbName: string;
  readonly stores: readonly StoreNames<Schema>[];
  readonly clientId: string;

  /** Checks the options. Use openSync(), which also opens the database and starts syncing. */
  constructor(options: OpenSyncOptions<Schema>);

  /** Writes the record and its outbox entry in one IndexedDB transaction; resolves with the change's seq. */
  put<Name extends StoreNames<Schema>>(store: Name, key: StoreKey<Schema, Name>, value: StorePutValue<Schema, Name>): Promise<number>;
  /** Deletes the record and writes its outbox entry in one IndexedDB transaction; resolves with the change's seq. */
  delete<Name extends StoreNames<Schema>>(store: Name, key: StoreKey<Schema, Name>): Promise<number>;
  /** The local value, or undefined. */
  get<Name extends StoreNames<Schema>>(store: Name, key: StoreKey<Schema, Name>): Promise<StoreValue<Schema, Name> | undefined>;
  /** As before schemas: the value's type given at the call (a client without a schema only). */
  get<T = any>(this: Untyped<Schema, this>, store: string, key: IDBSyncKey): Promise<T | undefined>;
  /** Every local record of the store, in key order. */
  all<Name extends StoreNames<Schema>>(store: Name): Promise<RecordEntry<StoreValue<Schema, Name>, StoreKey<Schema, Name>>[]>;
  /** As before schemas: the values' type given at the call (a client without a schema only). */
  all<T = any>(this: Untyped<Schema, this>, store: string): Promise<RecordEntry<T>[]>;
  /** How many local changes wait in the outbox. */
  pending(): Promise<number>;
  outbox(): Promise<OutboxEntry[]>;
  rejected(): Promise<RejectedChange[]>;
  dismissRejected(seq?: number): Promise<void>;
  status(): Promise<SyncStatus>;
  /** Push, then pull, now. Resolves (never rejects) with what happened. */
  sync(): Promise<SyncResult>;
  push(): Promise<SyncResult>;
  pull(): Promise<SyncResult>;
  /** Listens with the event's detail; returns a function that removes the listener. */
  on<K extends keyof SyncEventMap>(type: K, handler: (detail: SyncEventMap[K], event: CustomEvent<SyncEventMap[K]>) => void): () => void;
  addEventListener<K extends keyof SyncEventMap>(
    type: K,
    listener: (event: CustomEvent<SyncEventMap[K]>) => void,
    options?: boolean | AddEventListenerOptions,
  ): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof SyncEventMap>(
    type: K,
    listener: (event: CustomEvent<SyncEventMap[K]>) => void,
    options?: boolean | EventListenerOptions,
  ): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
  /** Stops syncing and closes the database connection. */
  close(): void;
}

/**
 * Opens (creating or upgrading) the app's IndexedDB database and starts syncing it.
 * `Schema` (optional) types the stores' keys and values: see SyncSchema.
 */
export declare function openSync<Schema extends SyncSchema | unknown = unknown>(options: OpenSyncOptions<Schema>): Promise<SyncClient<Schema>>;
