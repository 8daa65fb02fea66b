// Types of idbsync.js, the idbsync browser client.

/** A record key: a string, a finite number or a non-empty array of keys (as in IndexedDB). */
export type IDBSyncKey = string | number | IDBSyncKey[];

export interface OpenSyncOptions {
  /** Base URL of the idbsync server, e.g. "https://sync.example.com". Default "" (the page's origin). */
  url?: string;
  /** The database name: the server's db, and the local IndexedDB database's name unless `idbName` is given. */
  db: string;
  /** The app's object stores that are synced; created when missing. */
  stores: string[];
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
  seq: number;
  change: OutboxEntry;
  error: ServerError;
  at: number;
}

export interface RecordEntry<T = any> {
  key: IDBSyncKey;
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

export interface SyncEventMap {
  conflict: ConflictDetail;
  rejected: RejectedDetail;
  change: ChangeDetail;
  synced: SyncedDetail;
  error: ErrorDetail;
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

export declare class SyncClient extends EventTarget {
  readonly db: string;
  readonly idbName: string;
  readonly stores: readonly string[];
  readonly clientId: string;

  /** Writes the record and its outbox entry in one IndexedDB transaction; resolves with the change's seq. */
  put(store: string, key: IDBSyncKey, value: Record<string, unknown>): Promise<number>;
  /** Deletes the record and writes its outbox entry in one IndexedDB transaction; resolves with the change's seq. */
  delete(store: string, key: IDBSyncKey): Promise<number>;
  get<T = any>(store: string, key: IDBSyncKey): Promise<T | undefined>;
  all<T = any>(store: string): Promise<RecordEntry<T>[]>;
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

/** Opens (creating or upgrading) the app's IndexedDB database and starts syncing it. */
export declare function openSync(options: OpenSyncOptions): Promise<SyncClient>;
