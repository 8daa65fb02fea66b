// The browser library against a real ./run-local, in headless Chromium. The last test stops the
// server in the middle of a push and starts it again.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  attach, call, events, launchBrowser, openClient, serverRecord, serverRecords, sleep, startServer, syncOk, waitFor,
} from '../../testkit/harness.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;
/** @type {string} */ let base;
const run = Date.now().toString(36);
const key = (/** @type {string} */ name) => `${name}-${run}`;

/**
 * The entries of all('notes') with these keys (each client also pulls the other tests' notes).
 * @param {import('playwright-core').Page} page @param {...any} keys
 */
async function entries(page, ...keys) {
  const wanted = new Set(keys.map((k) => JSON.stringify(k)));
  return (await call(page, 'all', 'notes')).filter((/** @type {any} */ e) => wanted.has(JSON.stringify(e.key)));
}

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
  base = server.url;
  console.log(`run-local ready in ${server.startMs} ms at ${base}`);
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test('a put made offline survives a reload and is pushed once when the browser is back online', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const opts = { idbName: 'offline', pullIntervalMs: 0 };
  const page = await openClient(ctx, base, opts);
  const k = key('offline');

  await ctx.setOffline(true);
  const seq = await call(page, 'put', 'notes', k, { title: 'written offline', done: false });
  assert.equal(await call(page, 'pending'), 1);
  const r = await call(page, 'sync');
  assert.equal(r.ok, false);
  assert.equal(r.offline, true);

  // Reload: the page itself must load, but the sync API stays unreachable until we say so.
  await ctx.route('**/v1/**', (route) => route.abort('internetdisconnected'));
  await ctx.setOffline(false);
  await page.reload();
  await attach(page, opts);
  assert.deepEqual(await call(page, 'get', 'notes', k), { title: 'written offline', done: false });
  assert.deepEqual((await call(page, 'outbox')).map((/** @type {any} */ c) => [c.seq, c.key, c.op, c.baseVersion]), [[seq, k, 'put', 0]]);

  /** @type {number[]} */ const answered = [];
  page.on('response', (res) => {
    if (res.url().endsWith('/v1/sync') && res.status() === 200) answered.push(...res.request().postDataJSON().changes.map((/** @type {any} */ c) => c.seq));
  });
  await ctx.unroute('**/v1/**');
  await ctx.setOffline(true);
  await ctx.setOffline(false); // fires `online`: the client pushes by itself
  await waitFor(async () => (await call(page, 'pending')) === 0, { what: 'the outbox to empty' });

  assert.deepEqual(answered, [seq], 'the change went out in exactly one answered push');
  const rec = await serverRecord(base, k);
  assert.equal(rec.op, 'put');
  assert.deepEqual(rec.value, { title: 'written offline', done: false });
  assert.equal(rec.version, 1, 'applied once');
  const [entry] = await entries(page, k);
  assert.deepEqual({ version: entry.version, pending: entry.pending }, { version: 1, pending: false });
  await ctx.close();
});

/** Two clients (browser contexts) that sync only when told to. @param {string} name */
async function twoClients(name) {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await openClient(ctxA, base, { idbName: name, auto: false });
  const b = await openClient(ctxB, base, { idbName: name, auto: false });
  assert.notEqual(await a.evaluate(() => /** @type {any} */ (window).lib.clientId), await b.evaluate(() => /** @type {any} */ (window).lib.clientId));
  return { ctxA, ctxB, a, b, close: () => Promise.all([ctxA.close(), ctxB.close()]) };
}

test('two clients edit one note: the earlier edit gets a conflict event and ends with the later one (lww)', { timeout: 60_000 }, async () => {
  const { ctxB, a, b, close } = await twoClients('conflict');
  const k = key('conflict');
  await call(a, 'put', 'notes', k, { title: 'first' });
  await syncOk(a);
  await syncOk(b);
  assert.deepEqual(await call(b, 'get', 'notes', k), { title: 'first' });

  await ctxB.setOffline(true);
  await call(b, 'put', 'notes', k, { title: 'edited on B, earlier' });
  await sleep(300);
  await call(a, 'put', 'notes', k, { title: 'edited on A, later' });
  await syncOk(a);
  await ctxB.setOffline(false);
  await syncOk(b);

  const conflicts = await events(b, 'conflict');
  assert.equal(conflicts.length, 1);
  assert.deepEqual(conflicts[0].detail.oldValue, { title: 'edited on B, earlier' });
  assert.deepEqual(conflicts[0].detail.newValue, { title: 'edited on A, later' });
  assert.equal(conflicts[0].detail.version, 2);
  assert.equal(conflicts[0].detail.policy, 'lww');
  assert.equal(conflicts[0].detail.key, k);
  assert.deepEqual(await call(b, 'get', 'notes', k), { title: 'edited on A, later' });
  await syncOk(a);
  assert.deepEqual(await call(a, 'get', 'notes', k), { title: 'edited on A, later' });
  assert.equal((await events(a, 'conflict')).length, 0);
  assert.deepEqual((await serverRecord(base, k)).value, { title: 'edited on A, later' });
  await close();
});

test('two clients edit one note: a later offline edit wins when it arrives last, and the other client pulls it', { timeout: 60_000 }, async () => {
  const { ctxB, a, b, close } = await twoClients('conflict2');
  const k = key('conflict2');
  await call(a, 'put', 'notes', k, { title: 'first' });
  await syncOk(a);
  await syncOk(b);

  await call(a, 'put', 'notes', k, { title: 'edited on A, earlier' });
  await syncOk(a);
  await ctxB.setOffline(true);
  await sleep(300);
  await call(b, 'put', 'notes', k, { title: 'edited on B offline, later' });
  await ctxB.setOffline(false);
  await syncOk(b);
  assert.equal((await events(b, 'conflict')).length, 0, 'the later edit is applied');
  const [entry] = await entries(b, k);
  assert.deepEqual(entry, { key: k, value: { title: 'edited on B offline, later' }, version: 3, pending: false });
  await syncOk(a);
  assert.deepEqual(await call(a, 'get', 'notes', k), { title: 'edited on B offline, later' });
  const changes = (await events(a, 'change')).flatMap((/** @type {any} */ e) => e.detail.changes);
  assert.ok(changes.some((/** @type {any} */ c) => c.key === k && c.version === 3), 'A saw the change come in');
  await close();
});

test('a change the schema refuses lands in the rejected store, fires rejected, and the next change still syncs', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await openClient(ctx, base, { idbName: 'rejected', auto: false });
  const bad = key('no-title');
  const good = key('after-bad');
  const badSeq = await call(page, 'put', 'notes', bad, { done: true });
  await call(page, 'put', 'notes', good, { title: 'after the bad one' });
  const r = await syncOk(page);
  assert.equal(r.pushed, 2);
  assert.equal(r.pending, 0);

  const rejectedEvents = await events(page, 'rejected');
  assert.equal(rejectedEvents.length, 1);
  const { change, error } = rejectedEvents[0].detail;
  assert.deepEqual({ seq: change.seq, key: change.key, op: change.op, value: change.value }, { seq: badSeq, key: bad, op: 'put', value: { done: true } });
  assert.deepEqual(error, { code: 'schema', path: '/value/title', message: "required property 'title' is missing" });

  const stored = await call(page, 'rejected');
  assert.equal(stored.length, 1);
  assert.equal(stored[0].seq, badSeq);
  assert.deepEqual(stored[0].error, error);
  assert.equal(stored[0].change.key, bad);
  assert.equal(typeof stored[0].at, 'number');

  assert.equal(await serverRecord(base, bad), undefined, 'the server never stored it');
  assert.deepEqual((await serverRecord(base, good)).value, { title: 'after the bad one' });
  await call(page, 'dismissRejected', badSeq);
  assert.deepEqual(await call(page, 'rejected'), []);
  await ctx.close();
});

test('a change pushed by another client arrives by pull, and so does its delete', { timeout: 60_000 }, async () => {
  const ctxA = await browser.newContext();
  const ctxB = await browser.newContext();
  const a = await openClient(ctxA, base, { idbName: 'remote', auto: false });
  const b = await openClient(ctxB, base, { idbName: 'remote', pullIntervalMs: 300 });
  const k = ['remote', run, 7]; // an array key
  await call(a, 'put', 'notes', k, { title: 'from A' });
  await syncOk(a);
  await waitFor(async () => (await call(b, 'get', 'notes', k))?.title === 'from A', { what: 'B to pull the note' });
  const pulled = (await events(b, 'change')).flatMap((/** @type {any} */ e) => e.detail.changes);
  assert.ok(pulled.some((/** @type {any} */ c) => JSON.stringify(c.key) === JSON.stringify(k) && c.op === 'put' && c.version === 1));

  await call(a, 'delete', 'notes', k);
  await syncOk(a);
  await waitFor(async () => (await call(b, 'get', 'notes', k)) === null, { what: 'B to pull the delete' });
  assert.deepEqual(await entries(b, k), []);
  await Promise.all([ctxA.close(), ctxB.close()]);
});

test('a pull does not clobber a local edit still in the outbox', { timeout: 60_000 }, async () => {
  const { a, b, close } = await twoClients('noclobber');
  const k = key('noclobber');
  await call(a, 'put', 'notes', k, { title: 'a1' });
  await syncOk(a);
  await syncOk(b);
  await call(a, 'put', 'notes', k, { title: 'a2' });
  await syncOk(a); // version 2
  await sleep(50);
  await call(b, 'put', 'notes', k, { title: 'b-local' }); // later than a2, made on version 1

  const pulled = await call(b, 'pull');
  assert.equal(pulled.ok, true);
  assert.ok(pulled.pulled >= 1);
  assert.deepEqual(await call(b, 'get', 'notes', k), { title: 'b-local' }, 'the local edit is still there');
  assert.deepEqual(await entries(b, k), [{ key: k, value: { title: 'b-local' }, version: 1, pending: true }]);
  assert.deepEqual((await call(b, 'outbox')).map((/** @type {any} */ c) => c.baseVersion), [1]);

  await syncOk(b); // made on 1 while 2 exists: a conflict, and lww keeps the later edit: B's
  assert.equal((await events(b, 'conflict')).length, 0);
  assert.deepEqual(await entries(b, k), [{ key: k, value: { title: 'b-local' }, version: 3, pending: false }]);
  await syncOk(a);
  assert.deepEqual(await call(a, 'get', 'notes', k), { title: 'b-local' });
  await close();
});

test('two tabs of one client: one pushes at a time (Web Locks), each change is sent once, both see the result', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  let inFlight = 0;
  let maxInFlight = 0;
  /** @type {number[]} */ const sent = [];
  await ctx.route('**/v1/sync', async (route) => {
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    sent.push(...route.request().postDataJSON().changes.map((/** @type {any} */ c) => c.seq));
    try {
      await sleep(300);
      await route.fulfill({ response: await route.fetch() });
    } finally {
      inFlight--;
    }
  });
  const opts = { idbName: 'tabs', auto: false, batchSize: 3 };
  const t1 = await openClient(ctx, base, opts);
  const t2 = await openClient(ctx, base, opts);
  const id = (/** @type {import('playwright-core').Page} */ p) => p.evaluate(() => /** @type {any} */ (window).lib.clientId);
  assert.equal(await id(t1), await id(t2), 'one client');
  const keys = [];
  for (let i = 0; i < 4; i++) {
    keys.push(key(`tab1-${i}`), key(`tab2-${i}`));
    await call(t1, 'put', 'notes', key(`tab1-${i}`), { title: `tab 1 note ${i}` });
    await call(t2, 'put', 'notes', key(`tab2-${i}`), { title: `tab 2 note ${i}` });
  }
  assert.equal(await call(t1, 'pending'), 8);

  const [r1, r2] = await Promise.all([call(t1, 'sync'), call(t2, 'sync')]);
  assert.ok(r1.ok && r2.ok);
  assert.equal(maxInFlight, 1, 'never two pushes at once');
  assert.deepEqual([...sent].sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8], 'every seq sent exactly once');
  assert.deepEqual([r1.pushed, r2.pushed].sort(), [0, 8]);

  const pusher = r1.pushed === 8 ? t1 : t2;
  const other = pusher === t1 ? t2 : t1;
  await waitFor(async () => (await events(other, 'synced')).some((/** @type {any} */ e) => e.detail.fromOtherTab && e.detail.pushed === 8),
    { what: 'the other tab to hear of the push' });
  for (const p of [t1, t2]) {
    assert.equal(await call(p, 'pending'), 0);
    const all = await entries(p, ...keys);
    assert.equal(all.length, 8);
    assert.ok(all.every((/** @type {any} */ e) => e.version === 1 && !e.pending));
  }
  await ctx.close();
});

test('out_of_order below the outbox (server marks behind after a restart): resends from expectedSeq, gets duplicates', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await openClient(ctx, base, { idbName: 'ooo', auto: false });
  const [k1, k2, k3] = [key('ooo-1'), key('ooo-2'), key('ooo-3')];
  await call(page, 'put', 'notes', k1, { title: 'one' });
  await call(page, 'put', 'notes', k2, { title: 'two' });
  await syncOk(page);
  await call(page, 'put', 'notes', k3, { title: 'three' });
  /** @type {Array<{seqs: number[], results: any[]}>} */ const pushes = [];
  await page.route('**/v1/sync', async (route) => {
    const seqs = route.request().postDataJSON().changes.map((/** @type {any} */ c) => c.seq);
    if (pushes.length === 0) {
      const results = [{ seq: seqs[0], status: 'out_of_order', expectedSeq: 1 }];
      pushes.push({ seqs, results });
      await route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ results }) });
      return;
    }
    const res = await route.fetch();
    pushes.push({ seqs, results: (await res.json()).results });
    await route.fulfill({ response: res });
  });
  await syncOk(page);
  assert.deepEqual(pushes.map((p) => p.seqs), [[3], [1, 2, 3]]);
  assert.deepEqual(pushes[1].results.map((/** @type {any} */ r) => [r.seq, r.status, r.first]),
    [[1, 'duplicate', 'applied'], [2, 'duplicate', 'applied'], [3, 'applied', undefined]]);
  assert.equal(await call(page, 'pending'), 0);
  assert.equal((await serverRecord(base, k1)).version, 1, 'nothing applied twice');
  assert.equal((await serverRecord(base, k3)).version, 1);
  assert.deepEqual((await events(page)).filter((/** @type {any} */ e) => e.type === 'conflict' || e.type === 'rejected' || e.type === 'error'), []);
  await ctx.close();
});

test('503 with Retry-After: the client waits at least that long, then pushes', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await openClient(ctx, base, { idbName: 'backoff', pushIntervalMs: 0, pullIntervalMs: 0 });
  /** @type {number[]} */ const hits = [];
  await page.route('**/v1/sync', async (route) => {
    hits.push(Date.now());
    if (hits.length === 1) {
      await route.fulfill({
        status: 503,
        headers: { 'Retry-After': '2', 'Content-Type': 'application/json' },
        body: JSON.stringify({ error: { code: 'unavailable', message: 'overloaded (test)' } }),
      });
    } else {
      await route.continue();
    }
  });
  const k = key('backoff');
  await call(page, 'put', 'notes', k, { title: 'after a 503' }); // pushed on its own
  await waitFor(async () => (await call(page, 'pending')) === 0, { timeout: 20_000, what: 'the retry to push' });
  assert.equal(hits.length, 2);
  assert.ok(hits[1] - hits[0] >= 1950, `retried after ${hits[1] - hits[0]} ms`);
  const [err] = await events(page, 'error');
  assert.equal(err.detail.error.code, 'unavailable');
  assert.equal(err.detail.error.status, 503);
  assert.ok(err.detail.retryInMs >= 2000);
  assert.equal((await serverRecord(base, k)).version, 1);
  await ctx.close();
});

test('408 (a body that arrived too slowly) is a transient error: the push is tried again', { timeout: 60_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await openClient(ctx, base, { idbName: 'slow-upload', pushIntervalMs: 0, pullIntervalMs: 0 });
  /** @type {number[]} */ const hits = [];
  await page.route('**/v1/sync', async (route) => {
    hits.push(Date.now());
    if (hits.length === 1) {
      await route.fulfill({
        status: 408,
        headers: { 'Content-Type': 'application/json', Connection: 'close' },
        body: JSON.stringify({ error: { code: 'request_timeout', message: 'the body did not arrive in time (test)' } }),
      });
    } else {
      await route.continue();
    }
  });
  const k = key('slow-upload');
  await call(page, 'put', 'notes', k, { title: 'after a 408' });
  await waitFor(async () => (await call(page, 'pending')) === 0, { timeout: 20_000, what: 'the retry to push' });
  assert.equal(hits.length, 2);
  const [err] = await events(page, 'error');
  assert.equal(err.detail.error.code, 'request_timeout');
  assert.equal(err.detail.error.status, 408);
  assert.equal(err.detail.error.transient, true);
  assert.equal((await serverRecord(base, k)).version, 1);
  await ctx.close();
});

// Last: it stops the server and starts it again.
test('the server is stopped mid-push and started again: no change lost, none doubled', { timeout: 240_000 }, async () => {
  const ctx = await browser.newContext();
  const page = await openClient(ctx, base, { idbName: 'restart', auto: false, batchSize: 10 });
  const n = 300;
  const keys = await page.evaluate(async (n) => {
    const lib = /** @type {any} */ (window).lib;
    const keys = [];
    for (let i = 0; i < n; i++) {
      const k = `restart-${i}`;
      await lib.put('notes', k, { title: `note ${i}`, i });
      keys.push(k);
    }
    return keys;
  }, n);
  assert.equal(await call(page, 'pending'), n);

  // Slow each push down a little so that the stop lands in the middle of the outbox.
  let answered = 0;
  /** @type {Record<string, number>} */ const statuses = {};
  await ctx.route('**/v1/sync', async (route) => {
    await sleep(150);
    try {
      const res = await route.fetch();
      const key = String(res.status());
      statuses[key] = (statuses[key] ?? 0) + 1;
      if (res.status() === 200) {
        answered++;
        for (const r of (await res.json()).results) statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      }
      await route.fulfill({ response: res });
    } catch {
      statuses.network = (statuses.network ?? 0) + 1;
      await route.abort('connectionreset');
    }
  });
  const first = call(page, 'sync');
  await waitFor(() => answered >= 3, { what: 'a few pushes to be answered' });
  const stopping = Date.now();
  await server.stop();
  console.log(`stopped after ${answered} answered pushes, in ${Date.now() - stopping} ms`);
  const r1 = await first;
  assert.equal(r1.ok, false, 'the sync in flight failed');
  const left = await call(page, 'pending');
  assert.ok(left > 0 && left < n, `some changes were pushed and some were not (${left} left)`);

  server = await startServer({ port: server.port, dataDir: server.dataDir });
  console.log(`restarted in ${server.startMs} ms`);
  await waitFor(async () => (await call(page, 'sync')).pending === 0, { timeout: 90_000, interval: 500, what: 'the outbox to empty after the restart' });

  console.log(`push answers and results seen: ${JSON.stringify(statuses)}`);
  const records = await serverRecords(base);
  for (let i = 0; i < n; i++) {
    const rec = records.get(JSON.stringify(['notes', keys[i]]));
    assert.ok(rec, `${keys[i]} reached the server`);
    assert.deepEqual(rec.value, { title: `note ${i}`, i });
    assert.equal(rec.version, 1, `${keys[i]} was applied once`);
  }
  const all = await entries(page, ...keys);
  assert.equal(all.length, n);
  assert.ok(all.every((/** @type {any} */ e) => e.version === 1 && !e.pending));
  assert.deepEqual(await call(page, 'rejected'), []);
  await ctx.close();
});
