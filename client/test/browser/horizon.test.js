// The client horizon (retention.clients) against real ./run-local servers in headless Chromium:
// a client the server no longer knows gets the changes waiting in its outbox applied once, under
// new seqs from 1, and nothing of its history is sent again.
//
// The horizon is at least an hour, so the test does not wait for the server to forget the client:
// it gives the client a server that holds nothing of it, which is what a server that forgot it
// holds. Server 1 (retention.clients 1h) gets 4 records from the page; it is stopped and server 2,
// same config, same port (IndexedDB belongs to the origin, port included), a fresh data dir, takes
// its place. The same page, client and IndexedDB record 3 more changes offline (seqs 5-7) and sync:
// server 2 answers out_of_order with unknownClient, the library renumbers the outbox to 1-3 and
// pushes those. The client's feed cursor is server 1's; server 2's head (3) is behind it (4), so
// the pull is answered 400 bad_cursor and the library pulls again from the beginning (asserted
// below). That is this stand-in's doing: a server that really forgot a client keeps its feed, and
// the client's cursor stays valid there. A cursor of another server that is not ahead of this
// one's feed is taken as this one's (200, what lies before it never sent): reported at the end,
// not asserted.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { call, events, launchBrowser, openClient, serverRecords, startServer, syncOk } from '../../testkit/harness.js';

/** @type {Awaited<ReturnType<typeof startServer>>|undefined} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
const run = Date.now().toString(36);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const PULL_LIMIT = 77;

/**
 * conf/local.yaml (its relative paths made absolute: the copy lives elsewhere) with the client
 * horizon on: retention.clients 1h, and the outcome and rejected retention cut to 1 hour (the
 * server refuses a horizon shorter than either).
 */
function horizonConfig() {
  let yaml = readFileSync(path.join(root, 'conf', 'local.yaml'), 'utf8');
  yaml = yaml.replace(/(schema|embeddedAgent): (\S+)/g, (_m, k, p) => `${k}: ${path.join(root, 'conf', p)}`);
  const retention = 'retention:\n  enabled: true\n  feed: 30d\n  tombstones: 30d\n  sweepEvery: 1m\n  clients: 1h\n\n';
  const replaced = yaml.replace(/^retention:\n(?:[ #].*\n)+\n*/m, retention);
  assert.notEqual(replaced, yaml, 'conf/local.yaml has a retention section to replace');
  yaml = replaced;
  // ignite's section: its lines up to the next top-level key
  const section = /^ignite:\n(?:(?:[ #].*)?\n)+?(?=\S)/m.exec(yaml);
  assert.ok(section, 'conf/local.yaml has an ignite section');
  let ignite = section[0];
  for (const key of ['outcomeRetentionHours', 'rejectedRetentionHours']) {
    const line = new RegExp(`^  ${key}:.*$`, 'm');
    ignite = line.test(ignite) ? ignite.replace(line, `  ${key}: 1`) : ignite.replace(/^ignite:\n/, `ignite:\n  ${key}: 1\n`);
    assert.equal(ignite.match(new RegExp(`^  ${key}: 1$`, 'gm'))?.length, 1, `ignite.${key} is set to 1 once`);
  }
  yaml = yaml.slice(0, section.index) + ignite + yaml.slice(section.index + section[0].length);
  assert.equal(yaml.match(/^ {2}clients: 1h$/gm)?.length, 1);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'idbsync-horizon-')), 'local.yaml');
  writeFileSync(file, yaml);
  return file;
}

const config = horizonConfig();

/** The pull cursor the client keeps in its IndexedDB. @param {import('playwright-core').Page} page @param {string} idbName */
function storedCursor(page, idbName) {
  return page.evaluate((name) => new Promise((resolve, reject) => {
    const open = indexedDB.open(name);
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const db = open.result;
      const get = db.transaction('idbsync.meta').objectStore('idbsync.meta').get('cursor');
      get.onsuccess = () => { db.close(); resolve(get.result); };
      get.onerror = () => { db.close(); reject(get.error); };
    };
  }), idbName);
}

before(async () => {
  browser = await launchBrowser();
  server = await startServer({ args: ['--config', config] });
  console.log(`run-local 1 (retention.clients 1h) ready in ${server.startMs} ms at ${server.url}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a client the server does not know: its waiting changes are renumbered from 1 and applied once, its history is not resent', { timeout: 90_000 }, async () => {
  const s1 = /** @type {NonNullable<typeof server>} */ (server);
  const ctx = await browser.newContext();
  // The demo page runs a sync client of its own (idbName notes-app): this one's pulls are told
  // from its pulls by their limit, its pushes by their clientId.
  const page = await openClient(ctx, s1.url, { idbName: `horizon-${run}`, auto: false, pullLimit: PULL_LIMIT });
  const k = (/** @type {number} */ i) => `hz-${run}-${i}`;
  const clientId = (await call(page, 'status')).clientId;

  // Server 1 gets seqs 1-4.
  for (const i of [1, 2, 3, 4]) assert.equal(await call(page, 'put', 'notes', k(i), { title: `t${i}` }), i);
  await syncOk(page);
  assert.equal(await call(page, 'pending'), 0);
  const onS1 = await serverRecords(s1.url);
  for (const i of [1, 2, 3, 4]) assert.equal(onS1.get(JSON.stringify(['notes', k(i)]))?.version, 1, `server 1 holds record ${i}`);

  const oldCursor = await storedCursor(page, `horizon-${run}`);
  assert.equal(typeof oldCursor, 'string', 'the client holds a cursor of server 1');

  // Server 2: same config and port, a data dir that never saw this client.
  let t0 = Date.now();
  await s1.stop();
  server = undefined;
  console.log(`run-local 1 stopped in ${Date.now() - t0} ms`);
  t0 = Date.now();
  const s2 = server = await startServer({ port: s1.port, args: ['--config', config] });
  console.log(`run-local 2 (fresh data dir ${s2.dataDir}) ready in ${s2.startMs} ms at ${s2.url}`);
  assert.equal(s2.url, s1.url, 'server 2 is at the page\'s origin');
  assert.notEqual(s2.dataDir, s1.dataDir);
  assert.equal((await serverRecords(s2.url)).size, 0, 'server 2 holds nothing');

  // Three changes recorded before the page talks to server 2: seqs 5-7.
  for (const i of [5, 6, 7]) assert.equal(await call(page, 'put', 'notes', k(i), { title: `t${i}` }), i);
  assert.deepEqual((await call(page, 'outbox')).map((/** @type {any} */ e) => e.seq), [5, 6, 7]);

  /** @type {{seqs: number[], keys: any[], results: any[]}[]} */ const pushes = [];
  /** @type {{status: number, code?: string}[]} */ const pulls = [];
  /** @type {Promise<void>[]} */ const reading = [];
  page.on('response', (r) => {
    const url = r.url();
    if (url.includes('/v1/sync')) {
      const body = JSON.parse(r.request().postData() ?? '{}');
      if (body.clientId !== clientId) return;
      /** @type {{seqs: number[], keys: any[], results: any[]}} */
      const push = { seqs: body.changes.map((/** @type {any} */ c) => c.seq), keys: body.changes.map((/** @type {any} */ c) => c.key), results: [] };
      pushes.push(push);
      reading.push(r.json().then((a) => { push.results = a?.results ?? []; }, () => {}));
    } else if (url.includes('/v1/changes') && new URL(url).searchParams.get('limit') === String(PULL_LIMIT)) {
      /** @type {{status: number, code?: string}} */ const pull = { status: r.status() };
      pulls.push(pull);
      if (r.status() !== 200) reading.push(r.json().then((a) => { if (a?.error?.code) pull.code = a.error.code; }, () => {}));
    }
  });
  /** sync() that must succeed, then the answers it got read. */
  const sync = async () => {
    const r = await syncOk(page);
    await Promise.all(reading);
    return r;
  };

  const synced = await sync();
  console.log(`sync against server 2: ${JSON.stringify(synced)}; pushes ${JSON.stringify(pushes.map((p) => ({ seqs: p.seqs, results: p.results.map((x) => x.status + (x.unknownClient ? ' unknownClient' : '')) })))}; pulls ${JSON.stringify(pulls)}`);

  // The push: 5-7 refused as from an unknown client, then the same changes as 1-3, applied.
  assert.equal(pushes.length, 2, JSON.stringify(pushes));
  assert.deepEqual(pushes[0].seqs, [5, 6, 7]);
  assert.deepEqual(pushes[0].results[0], { seq: 5, status: 'out_of_order', expectedSeq: 1, unknownClient: true });
  assert.deepEqual(pushes[1].seqs, [1, 2, 3]);
  assert.deepEqual(pushes[1].keys, [k(5), k(6), k(7)]);
  assert.deepEqual(pushes[1].results.map((r) => [r.seq, r.status]), [[1, 'applied'], [2, 'applied'], [3, 'applied']]);
  const renumbered = await events(page, 'renumbered');
  assert.equal(renumbered.length, 1, JSON.stringify(renumbered));
  assert.deepEqual(renumbered[0].detail, { from: 5, to: 1, count: 3 });
  assert.equal(synced.pushed, 3);
  assert.equal(synced.pending, 0);

  // The pull: the cursor is server 1's, ahead of server 2's feed: 400 bad_cursor, then from the beginning.
  assert.deepEqual(pulls.map((p) => p.status), [400, 200], JSON.stringify(pulls));
  assert.equal(pulls[0].code, 'bad_cursor');
  assert.equal(synced.pulled, 3, 'the full pull brings back the 3 records, already held at their version');
  assert.deepEqual(await events(page, 'error'), []);

  // Server 2 holds the 3 new records at version 1, and none of the 4 that server 1 got (not resent).
  const onS2 = await serverRecords(s2.url);
  assert.deepEqual([...onS2.keys()].sort(), [5, 6, 7].map((i) => JSON.stringify(['notes', k(i)])).sort());
  for (const i of [5, 6, 7]) {
    const c = onS2.get(JSON.stringify(['notes', k(i)]));
    assert.equal(c.version, 1);
    assert.deepEqual(c.value, { title: `t${i}` });
    assert.equal(c.clientId, clientId);
  }
  for (const i of [1, 2, 3, 4]) assert.ok(!pushes.some((p) => p.keys.includes(k(i))), `record ${i} was not sent to server 2`);
  for (const i of [1, 2, 3, 4]) assert.deepEqual(await call(page, 'get', 'notes', k(i)), { title: `t${i}` }, `record ${i} is kept locally`);

  // The next change is seq 4 and is applied.
  assert.equal(await call(page, 'put', 'notes', k(8), { title: 't8' }), 4);
  assert.deepEqual((await call(page, 'outbox')).map((/** @type {any} */ e) => e.seq), [4]);
  const next = await sync();
  assert.equal(next.pushed, 1);
  assert.deepEqual(pushes[2].seqs, [4]);
  assert.deepEqual(pushes[2].results.map((r) => [r.seq, r.status]), [[4, 'applied']]);
  assert.equal(pushes.length, 3);
  assert.equal(pulls.at(-1)?.status, 200);
  assert.equal((await serverRecords(s2.url)).get(JSON.stringify(['notes', k(8)]))?.version, 1);
  assert.equal(await call(page, 'pending'), 0);
  assert.equal((await events(page, 'renumbered')).length, 1);

  // Not asserted, only reported: server 1's cursor, now that server 2's feed is as long, is no
  // longer ahead of it; server 2 cannot tell it is another server's and answers from there on.
  const stale = await fetch(`${s2.url}/v1/changes?${new URLSearchParams({ db: 'notes-app', since: oldCursor, limit: '100' })}`);
  const staleBody = await stale.json();
  console.log(`server 1's cursor ${oldCursor} (${Buffer.from(oldCursor.replace(/^[^.]*\./, ''), 'base64url')}) against server 2 with 4 records: `
    + `${stale.status}, ${staleBody.changes?.length ?? JSON.stringify(staleBody)} changes`);
  await ctx.close();
});
