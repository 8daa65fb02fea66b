// src/idbsync.d.ts, the types users get, against the JSDoc types of the sources (src/*.js): tsc
// fails here when the two drift apart (a member, an option, a field or an event detail that one
// has and the other has not, or of another type). Run by `npm run check:types`.
import type * as Decl from '../../src/idbsync.js'; // there is no src/idbsync.js: this is src/idbsync.d.ts
import * as Impl from '../../src/index.js';
import type * as T from '../../src/types.js';
import type { OpenSyncOptions } from '../../src/options.js';
import type * as Tr from '../../src/transport.js';

/** Each is assignable to the other. */
type Mutual<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Mutual, with the same keys, optional ones too, of the same types. */
type Agree<A, B> = Mutual<A, B> extends true
  ? Mutual<keyof A, keyof B> extends true ? Mutual<Required<A>, Required<B>> : false
  : false;
/** The members that are not internal (`_name`). */
type Public<C> = { [K in keyof C as K extends `_${string}` ? never : K]: C[K] };

// The same exports.
export const exportNames: Mutual<keyof typeof Impl, keyof typeof Decl> = true;

// The functions and classes: what the sources do is what the declarations promise. The
// declarations type addEventListener and removeEventListener per event (EventTarget's own, as
// the sources have them, take any Event); `eventMap` below holds the events to the sources.
type Members<C> = Omit<Public<C>, 'addEventListener' | 'removeEventListener'>;
export const syncClientMembers: Mutual<keyof Public<Impl.SyncClient>, keyof Decl.SyncClient> = true;
declare const implClient: Members<Impl.SyncClient>;
declare const declClient: Members<Decl.SyncClient>;
export const syncClientIsDeclared: Members<Decl.SyncClient> = implClient;
export const declaredIsSyncClient: Members<Impl.SyncClient> = declClient;
export const syncClientNew: Mutual<ConstructorParameters<typeof Impl.SyncClient>, ConstructorParameters<typeof Decl.SyncClient<unknown>>> = true;
export const openSyncParameters: Mutual<Parameters<typeof Impl.openSync>, Parameters<typeof Decl.openSync<unknown>>> = true;
export const openSyncResult: Mutual<Awaited<ReturnType<typeof Impl.openSync>>, Impl.SyncClient> & Mutual<Awaited<ReturnType<typeof Decl.openSync<unknown>>>, Decl.SyncClient> = true;
export const syncError: Agree<Impl.SyncError, Decl.SyncError> = true;
export const syncErrorNew: Mutual<ConstructorParameters<typeof Impl.SyncError>, ConstructorParameters<typeof Decl.SyncError>> = true;
export const internalStores: Agree<typeof Impl.INTERNAL_STORES, typeof Decl.INTERNAL_STORES> = true;

// Options, results and records.
export const options: Agree<OpenSyncOptions, Decl.OpenSyncOptions> = true;
export const key: Mutual<T.IDBSyncKey, Decl.IDBSyncKey> = true;
export const outboxEntry: Agree<T.OutboxEntry, Decl.OutboxEntry> = true;
export const serverError: Agree<T.ServerError, Decl.ServerError> = true;
export const rejectedChange: Agree<T.RejectedChange, Decl.RejectedChange> = true;
export const recordEntry: Agree<T.RecordEntry, Decl.RecordEntry> = true;
export const allResult: Mutual<Awaited<ReturnType<Impl.SyncClient['all']>>, Decl.RecordEntry[]> = true;
export const syncResult: Agree<T.SyncResult, Decl.SyncResult> = true;
export const syncStatus: Agree<T.SyncStatus, Decl.SyncStatus> = true;

// The transport.
export const transport: Agree<Tr.Transport, Decl.Transport> = true;
export const pushBody: Agree<Tr.PushBody, Decl.PushBody> = true;
export const pullQuery: Agree<Tr.PullQuery, Decl.PullQuery> = true;
export const transportResponse: Agree<Tr.TransportResponse, Decl.TransportResponse> = true;
export const transportAuth: Agree<Tr.TransportAuth, Decl.TransportAuth> = true;

// Events.
export const eventMap: Agree<T.SyncEventMap, Decl.SyncEventMap> = true;
export const conflictDetail: Agree<T.ConflictDetail, Decl.ConflictDetail> = true;
export const rejectedDetail: Agree<T.RejectedDetail, Decl.RejectedDetail> = true;
export const changeDetail: Agree<T.ChangeDetail, Decl.ChangeDetail> = true;
export const changedRecord: Agree<T.ChangedRecord, Decl.ChangedRecord> = true;
export const syncedDetail: Agree<T.SyncedDetail, Decl.SyncedDetail> = true;
export const errorDetail: Agree<T.ErrorDetail, Decl.ErrorDetail> = true;
export const authDetail: Agree<T.AuthDetail, Decl.AuthDetail> = true;
export const renumberedDetail: Agree<T.RenumberedDetail, Decl.RenumberedDetail> = true;
