// The notes demo: db "notes-app", store "notes" (PROTOCOL.md's example app), on the idbsync client.
import { openSync } from '/client/idbsync.js';

const STORE = 'notes';
const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

// A server with auth on wants a bearer token: the demo takes one from ?token=... (then drops it
// from the address bar) or pasted into the token field, keeps it for this tab (sessionStorage)
// and hands it to the library through getToken, which is asked before each request. With auth
// off there is no token and nothing changes.
const TOKEN_KEY = 'idbsync-demo-token';
const fromQuery = new URLSearchParams(location.search).get('token');
if (fromQuery) {
  sessionStorage.setItem(TOKEN_KEY, fromQuery);
  const url = new URL(location.href);
  url.searchParams.delete('token');
  history.replaceState(null, '', url);
}
let token = sessionStorage.getItem(TOKEN_KEY);

const sync = await openSync({ url: '', db: 'notes-app', stores: [STORE], pullIntervalMs: 3000, getToken: async () => token });
/** @type {any} */ (window).notesSync = sync; // for the console (and the tests)
$('client-id').textContent = sync.clientId;

/** @type {Array<{at: number, title: string, mine: string, theirs: string, version: number, policy?: string}>} */
const conflicts = [];
let editing = /** @type {string|null} */ (null); // JSON of the key whose title is being edited

const titleOf = (/** @type {any} */ v) => (v && typeof v.title === 'string' ? v.title : '');
const describe = (/** @type {any} */ v, /** @type {boolean} */ deleted) => (deleted ? '(deleted)' : `“${titleOf(v) || '(no title)'}”`);

// ------------------------------------------------------------------ the list

async function renderNotes() {
  const list = $('notes');
  const notes = await sync.all(STORE);
  notes.sort((a, b) => (a.value?.created ?? 0) - (b.value?.created ?? 0) || String(a.key).localeCompare(String(b.key)));
  list.replaceChildren();
  if (notes.length === 0) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = 'No notes yet.';
    list.append(li);
    return;
  }
  for (const n of notes) {
    const keyJson = JSON.stringify(n.key);
    const li = document.createElement('li');
    li.dataset.key = keyJson;
    li.classList.toggle('done', !!n.value?.done);

    const box = document.createElement('input');
    box.type = 'checkbox';
    box.className = 'toggle';
    box.checked = !!n.value?.done;
    box.title = 'done';
    box.addEventListener('change', () => save(n.key, { ...n.value, done: box.checked }));

    let title;
    if (editing === keyJson) {
      title = document.createElement('input');
      title.className = 'edit';
      title.value = titleOf(n.value);
      const input = /** @type {HTMLInputElement} */ (title);
      const finish = (/** @type {boolean} */ keep) => {
        if (editing !== keyJson) return;
        editing = null;
        if (keep && input.value !== titleOf(n.value)) save(n.key, { ...n.value, title: input.value });
        else renderNotes();
      };
      input.addEventListener('keydown', (e) => {
        if (e.key === 'Enter') finish(true);
        if (e.key === 'Escape') finish(false);
      });
      input.addEventListener('blur', () => finish(true));
      queueMicrotask(() => input.focus());
    } else {
      title = document.createElement('span');
      title.className = 'title';
      title.textContent = titleOf(n.value) || '(no title)';
      title.title = 'click to edit';
      title.addEventListener('click', () => { editing = keyJson; renderNotes(); });
    }

    const meta = document.createElement('span');
    meta.className = 'meta' + (n.pending ? ' unsynced' : '');
    // version 0 and nothing pending: the server never took it (its change was rejected)
    meta.textContent = n.pending ? 'not synced' : n.version ? `v${n.version}` : 'local only';

    const del = document.createElement('button');
    del.type = 'button';
    del.className = 'del';
    del.textContent = '✕';
    del.title = 'delete';
    del.addEventListener('click', () => sync.delete(STORE, n.key).then(renderNotes, showError));

    li.append(box, title, meta, del);
    list.append(li);
  }
}

/** @param {any} key @param {any} value */
function save(key, value) {
  sync.put(STORE, key, value).then(renderNotes, showError);
}

$('add-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('new-title'));
  const key = 'n-' + Date.now().toString(36) + '-' + Math.random().toString(36).slice(2, 6);
  // An empty title is sent as it is: the server's schema rejects it (shown under "Rejected changes").
  save(key, { title: input.value.trim(), done: false, created: Date.now() });
  input.value = '';
});

// ------------------------------------------------------------------ status, conflicts, rejections

/** @param {import('/client/idbsync.js').SyncStatus} s */
function renderStatus(s) {
  const net = $('net');
  net.className = 'pill ' + (!s.online ? 'offline' : s.syncing ? 'syncing' : 'online');
  net.textContent = !s.online ? 'offline' : s.syncing ? 'syncing…' : 'online';
  const pending = $('pending');
  pending.textContent = `${s.pending} pending`;
  pending.classList.toggle('some', s.pending > 0);
  $('last-sync').textContent = s.lastSyncAt ? `last sync ${new Date(s.lastSyncAt).toLocaleTimeString()}` : 'not synced yet';
  $('error').textContent = s.lastError && s.online
    ? `${s.lastError.message}${s.nextRetryAt ? ` (retry in ${Math.max(0, Math.round((s.nextRetryAt - Date.now()) / 1000))} s)` : ''}`
    : '';
}

function renderConflicts() {
  $('conflicts-section').hidden = conflicts.length === 0;
  $('conflicts').replaceChildren(...conflicts.slice(-10).reverse().map((c) => {
    const li = document.createElement('li');
    const text = document.createElement('span');
    text.textContent = `Your edit ${c.mine} lost to ${c.theirs} (version ${c.version}${c.policy ? `, ${c.policy}` : ''}) at ${new Date(c.at).toLocaleTimeString()}`;
    li.append(text);
    return li;
  }));
}

async function renderRejected() {
  const rejected = await sync.rejected();
  $('rejected-section').hidden = rejected.length === 0;
  $('rejected').replaceChildren(...rejected.slice().reverse().map((r) => {
    const li = document.createElement('li');
    li.dataset.seq = String(r.seq);
    const text = document.createElement('span');
    const what = r.change.op === 'delete' ? 'delete' : describe(r.change.value, false);
    text.append(`${what}: `);
    const code = document.createElement('code');
    code.textContent = r.error.code + (r.error.path ? ` ${r.error.path}` : '');
    text.append(code, ` ${r.error.message}`);
    const dismiss = document.createElement('button');
    dismiss.type = 'button';
    dismiss.textContent = 'Dismiss';
    dismiss.addEventListener('click', () => sync.dismissRejected(r.seq).then(renderRejected));
    li.append(text, dismiss);
    return li;
  }));
}

/** @param {any} e */
function showError(e) {
  $('error').textContent = String(e?.message ?? e);
}

sync.on('status', renderStatus);
const refresh = () => { if (editing === null) renderNotes(); }; // never while a title is being edited
sync.on('change', refresh);
sync.on('synced', refresh);
sync.on('conflict', (d) => {
  conflicts.push({ at: Date.now(), title: titleOf(d.newValue), mine: describe(d.oldValue, false), theirs: describe(d.newValue, d.deleted), version: d.version, policy: d.policy });
  renderConflicts();
  refresh();
});
sync.on('rejected', () => { renderRejected(); refresh(); });
$('sync-now').addEventListener('click', () => sync.sync());

// ------------------------------------------------------------------ the token

/** @param {string} [message] */
function showTokenBox(message) {
  $('auth-box').hidden = false;
  if (message) $('auth-message').textContent = message;
}
sync.on('auth', (d) => showTokenBox(d.status === 403
  ? `The server refused this token for notes-app (${d.code}): ${d.message}. Syncing is paused; your changes wait here.`
  : `The server refused the token (${d.code}). Syncing is paused; your changes wait here. Paste a new token.`));
$('show-token').addEventListener('click', () => showTokenBox());
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ ($('token'));
  token = input.value.trim() || null;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  input.value = '';
  $('auth-box').hidden = true;
  sync.sync();
});

renderStatus(await sync.status());
await Promise.all([renderNotes(), renderRejected()]);
