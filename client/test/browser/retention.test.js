// Feed retention (PROTOCOL.md 1.1) against a real ./run-local whose config keeps the feed and
// tombstones 3 s: a client offline longer than that gets 410 resync, pulls everything again,
// drops the record the server forgot, and keeps (then pushes) its own edit.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { call, launchBrowser, openClient, serverRecord, startServer, syncOk, waitFor } from '../../testkit/harness.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
const run = Date.now().toString(36);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** conf/local.yaml with a 3 s retention (its relative paths made absolute: the copy lives elsewhere). */
function shortRetentionConfig() {
  let yaml = readFileSync(path.join(root, 'conf', 'local.yaml'), 'utf8');
  yaml = yaml.replace(/(schema|embeddedAgent): (\S+)/g, (_m, k, p) => `${k}: ${path.join(root, 'conf', p)}`);
  const replaced = yaml.replace(/^retention:\n(?:[ #].*\n)+/m, 'retention:\n  feed: 3s\n  tombstones: 3s\n  sweepEvery: 500ms\n\n');
  assert.notEqual(replaced, yaml, 'conf/local.yaml has a retention section to replace');
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'idbsync-retention-')), 'local.yaml');
  writeFileSync(file, replaced);
  return file;
}

/** The cursor at the feed's end now, read as any client would. */
async function headCursor() {
  let since = null;
  for (let i = 0; i < 1000; i++) {
    const q = new URLSearchParams({ db: 'notes-app', limit: '1000' });
    if (since != null) q.set('since', since);
    const body = await (await fetch(`${server.url}/v1/changes?${q}`)).json();
    since = body.cursor;
    if (!body.hasMore) return since;
  }
  throw new Error('the feed did not end');
}

before(async () => {
  browser = await launchBrowser();
  server = await startServer({ args: ['--config', shortRetentionConfig()] });
  console.log(`run-local (retention 3 s) ready in ${server.startMs} ms at ${server.url}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a client offline past the feed\'s retention resyncs: 410, a full pull, the forgotten record dropped, its own edit kept', { timeout: 90_000 }, async () => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await openClient(ctxA, server.url, { idbName: 'retention', auto: false });
  const b = await openClient(ctxB, server.url, { idbName: 'retention', auto: false });
  const k = (/** @type {number} */ i) => `ret-${run}-${i}`;
  for (const i of [1, 2, 3]) await call(b, 'put', 'notes', k(i), { title: `t${i}` });
  await syncOk(b);
  await syncOk(a);
  assert.deepEqual(await call(a, 'get', 'notes', k(2)), { title: 't2' });

  // While A is away: B deletes 2, edits 1, adds 4; A edits 3 locally, not yet pushed.
  await call(b, 'delete', 'notes', k(2));
  await call(b, 'put', 'notes', k(1), { title: 't1, edited by B' });
  await call(b, 'put', 'notes', k(4), { title: 't4' });
  await syncOk(b);
  await call(a, 'put', 'notes', k(3), { title: 't3, edited by A' });

  // Past the horizon: a cursor taken now is answered 410 once the sweep has removed its part.
  const old = await headCursor();
  await waitFor(async () => (await fetch(`${server.url}/v1/changes?db=notes-app&since=${encodeURIComponent(old)}`)).status === 410,
    { timeout: 30_000, interval: 250, what: 'the feed to be trimmed past the cursor (410)' });
  assert.equal(await serverRecord(server.url, k(2)), undefined, 'the server forgot record 2 (its tombstone expired)');

  /** @type {number[]} */ const statuses = [];
  a.on('response', (r) => { if (r.url().includes('/v1/changes')) statuses.push(r.status()); });
  const pulled = await call(a, 'pull');
  assert.equal(pulled.ok, true, JSON.stringify(pulled));
  assert.equal(statuses[0], 410, `the first pull answer: ${statuses}`);
  assert.ok(statuses.slice(1).every((s) => s === 200), `then the full pull: ${statuses}`);
  assert.deepEqual(await call(a, 'get', 'notes', k(1)), { title: 't1, edited by B' });
  assert.equal(await call(a, 'get', 'notes', k(2)), null, 'the record the server forgot is dropped');
  assert.deepEqual(await call(a, 'get', 'notes', k(3)), { title: 't3, edited by A' }, 'the local edit is kept');
  assert.deepEqual(await call(a, 'get', 'notes', k(4)), { title: 't4' });

  await syncOk(a);
  assert.deepEqual((await serverRecord(server.url, k(3)))?.value, { title: 't3, edited by A' }, 'the kept edit is pushed');
  await Promise.all([ctxA.close(), ctxB.close()]);
});
