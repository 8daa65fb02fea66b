// How the declarations type put/get/delete/all per store with a schema (as the idb library's
// DBSchema), and that a client without one is typed as before. Checked by `npm run check:types`.
import { openSync, type SyncClient, type SyncSchema } from '../../src/idbsync.js';

interface Note {
  title: string;
  done?: boolean;
}

interface NotesApp extends SyncSchema {
  notes: { key: string; value: Note };
  tags: { key: [string, number]; value: { name: string } };
}

export async function typed(): Promise<void> {
  const sync = await openSync<NotesApp>({ db: 'notes-app', stores: ['notes', 'tags'] });
  const sameType: SyncClient<NotesApp> = sync;
  await sameType.put('notes', 'n-1', { title: 'Buy milk', done: false });
  await sync.put('tags', ['home', 1], { name: 'home' });
  await sync.delete('tags', ['home', 1]);
  const note: Note | undefined = await sync.get('notes', 'n-1');
  const title: string | undefined = note?.title;
  for (const { key, value, version, pending } of await sync.all('tags')) {
    const k: [string, number] = key;
    const n: string = value.name;
    void [k, n, version, pending];
  }
  const stores: readonly ('notes' | 'tags')[] = sync.stores;
  void [title, stores];

  // @ts-expect-error a store the schema does not have
  await sync.put('other', 'k', { title: 'x' });
  // @ts-expect-error a value of another type
  await sync.put('notes', 'n-1', { title: 7 });
  // @ts-expect-error a key of another type
  await sync.get('tags', 'home');
  // @ts-expect-error a value is not a string
  const wrong: string | undefined = await sync.get('notes', 'n-1');
  // @ts-expect-error naming the value's type at the call is for clients without a schema
  await sync.get<Note>('notes', 'n-1');
  // @ts-expect-error stores must be the schema's
  await openSync<NotesApp>({ db: 'notes-app', stores: ['other'] });
  void wrong;
}

export async function untyped(): Promise<void> {
  const sync = await openSync({ db: 'notes-app', stores: ['notes'] });
  const plain: SyncClient = sync;
  await plain.put('notes', ['2026', 7], { title: 'x', anything: [1, 2] });
  const anyValue = await sync.get('notes', 'n-1');
  const t: number = anyValue.whatever; // untyped: any, as before
  const note: Note | undefined = await sync.get<Note>('notes', 'n-1');
  const notes = await sync.all<Note>('notes');
  const first: string | undefined = notes[0]?.value.title;
  const off = sync.on('conflict', ({ oldValue, newValue, deleted }) => void [oldValue, newValue, deleted]);
  off();
  sync.addEventListener('status', (e) => void e.detail.pending);
  // @ts-expect-error a value must be an object
  await sync.put('notes', 'k', 'text');
  // @ts-expect-error a key must be an IDBSyncKey
  await sync.get('notes', { id: 1 });
  void [t, note, first];
}
