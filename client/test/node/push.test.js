// Pushing the outbox: results, retries after transient failures, permanent failures, resends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { error, FakeServer, open, setOnline, sleep, syncOk, waitFor } from '../../testkit/node-env.js';
import { SyncError } from '../../src/index.js';

const seqsOf = (/** @type {FakeServer} */ server) =>
  server.requestsOf('push').map((p) => /** @type {any} */ (p).body.changes.map((/** @type {any} */ c) => c.seq));

test('applied: the outbox empties, each record keeps its new version, and synced reports the run', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  await client.put('notes', 'a', { title: 'a' });
  await client.put('notes', 'a', { title: 'a2' });
  await client.put('notes', 'b', { title: 'b' });
  const r = await client.push();
  assert.deepEqual(r, { ok: true, pushed: 3, pulled: 0, pending: 0 });
  assert.deepEqual(await client.all('notes'), [
    { key: 'a', value: { title: 'a2' }, version: 2, pending: false },
    { key: 'b', value: { title: 'b' }, version: 1, pending: false },
  ]);
  assert.deepEqual(server.record('a'), { op: 'put', value: { title: 'a2' }, version: 2, clientId: client.clientId });
  const [synced] = of('synced');
  assert.deepEqual({ ...synced, at: 0 }, { pushed: 3, pulled: 0, pending: 0, at: 0 });
  assert.equal((await client.status()).lastSyncAt, synced.at);
  assert.deepEqual(of('conflict').concat(of('rejected'), of('error')), []);
  assert.deepEqual(server.requestsOf('pull'), [], 'push() does not pull');
});

test('503 with Retry-After: the run fails as transient, and the next sync() waits the Retry-After out before it pushes', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  await client.put('notes', 'k', { title: 'after a 503' });
  server.script('push', error(503, 'unavailable', 'overloaded (test)', { 'Retry-After': '1' }));
  const r = await client.sync();
  assert.equal(r.ok, false);
  assert.equal(r.pending, 1);
  assert.equal(r.retryInMs, 1000);
  assert.ok(r.error instanceof SyncError);
  assert.deepEqual({ ...r.error, message: r.error.message }, {
    name: 'SyncError', code: 'unavailable', status: 503, transient: true, retryAfterMs: 1000,
    message: 'POST /v1/sync answered 503: overloaded (test)',
  });
  const [err] = of('error');
  assert.equal(err.error, r.error);
  assert.equal(err.retryInMs, 1000);
  const st = await client.status();
  assert.equal(st.lastError, r.error);
  assert.ok(st.nextRetryAt && st.nextRetryAt > Date.now() + 500);
  assert.deepEqual(server.requestsOf('pull'), [], 'a failed push stops the run');

  const started = Date.now();
  const again = await syncOk(client);
  assert.ok(Date.now() - started >= 900, `waited ${Date.now() - started} ms`);
  assert.deepEqual([again.pushed, again.pending], [1, 0]);
  assert.deepEqual(seqsOf(server), [[1], [1]]);
  const after = await client.status();
  assert.deepEqual([after.lastError, after.nextRetryAt], [null, null]);
});

test('408, a network error and a lost answer are transient; retrying never applies a change twice', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  await client.put('notes', 'k', { title: 'one' });
  server.script('push',
    error(408, 'request_timeout', 'the body did not arrive in time'),
    'network',
    (req) => { server.push(req.body); return 'network'; }); // applied, but the answer is lost
  const r1 = await client.sync();
  assert.deepEqual([r1.error?.code, r1.error?.status, r1.error?.transient, r1.error?.retryAfterMs], ['request_timeout', 408, true, null]);
  assert.ok(r1.retryInMs !== undefined && r1.retryInMs >= 500 && r1.retryInMs <= 1000);
  const r2 = await client.sync();
  assert.deepEqual([r2.error?.code, r2.error?.status, r2.error?.transient], ['network', undefined, true]);
  assert.equal(r2.error?.message, 'POST /v1/sync failed: fetch failed');
  assert.ok(r2.retryInMs !== undefined && r2.retryInMs >= 1000 && r2.retryInMs <= 2000, 'the backoff doubles');
  const r3 = await client.sync();
  assert.equal(r3.error?.code, 'network');
  assert.equal(server.record('k')?.version, 1, 'the server applied it');
  assert.equal(await client.pending(), 1, 'the client does not know yet');

  const r4 = await syncOk(client);
  assert.equal(r4.pushed, 1);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'one' }, version: 1, pending: false }]);
  assert.equal(server.record('k')?.version, 1, 'applied once');
  assert.equal(of('error').length, 3);
  assert.deepEqual(seqsOf(server), [[1], [1], [1], [1]]);
});

test('other failures: a 4xx is not transient, a 5xx without a body and a 200 without results are', async () => {
  const server = new FakeServer();
  const { client } = await open(server);
  await client.put('notes', 'k', { title: 'x' });
  server.script('push', error(400, 'bad_request', 'changes/0/key is wrong'), { status: 500 }, { status: 200, body: { nope: 1 } });
  const e1 = (await client.sync()).error;
  assert.deepEqual([e1?.code, e1?.status, e1?.transient, e1?.message], ['bad_request', 400, false, 'POST /v1/sync answered 400: changes/0/key is wrong']);
  const e2 = (await client.sync()).error;
  assert.deepEqual([e2?.code, e2?.status, e2?.transient, e2?.message], ['http_500', 500, true, 'POST /v1/sync answered 500']);
  const e3 = (await client.sync()).error;
  assert.deepEqual([e3?.code, e3?.transient, e3?.message], ['bad_response', true, 'POST /v1/sync answered 200 without results']);
  assert.equal(await client.pending(), 1, 'nothing left the outbox');
});

test('rejected: the change moves to the rejected store with its error, and the changes after it still sync', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  const bad = await client.put('notes', 'bad', { done: true });
  await client.put('notes', 'good', { title: 'after the bad one' });
  const r = await syncOk(client);
  assert.deepEqual([r.pushed, r.pending], [2, 0]);
  const schema = { code: 'schema', path: '/value/title', message: "required property 'title' is missing" };
  const [ev] = of('rejected');
  assert.deepEqual({ ...ev, change: { ...ev.change, ts: 0 } },
    { change: { seq: bad, store: 'notes', key: 'bad', op: 'put', value: { done: true }, baseVersion: 0, ts: 0 }, error: schema });
  const stored = await client.rejected();
  assert.deepEqual(stored.map((s) => [s.seq, s.change, s.error]), [[bad, ev.change, schema]]);
  assert.equal(typeof stored[0].at, 'number');
  assert.equal((await client.status()).rejected, 1);
  assert.deepEqual(await client.get('notes', 'bad'), { done: true }, 'the refused value stays until the app writes another');
  assert.equal(server.record('bad'), undefined);
  assert.equal(server.record('good')?.version, 1);
  await client.dismissRejected(bad);
  assert.deepEqual(await client.rejected(), []);
  await client.put('notes', 'bad2', { done: 1 });
  await client.put('notes', 'bad3', { done: 2 });
  await syncOk(client);
  assert.equal((await client.rejected()).length, 2);
  await client.dismissRejected();
  assert.deepEqual(await client.rejected(), []);
});

test('pending: an earlier push is still being processed; the client waits and sends again', async () => {
  const server = new FakeServer();
  const { client } = await open(server);
  await client.put('notes', 'k', { title: 'x' });
  server.script('push', (req) => ({ status: 200, body: { results: req.body.changes.map((/** @type {any} */ c) => ({ seq: c.seq, status: 'pending' })) } }));
  const started = Date.now();
  const r = await syncOk(client);
  assert.ok(Date.now() - started >= 450, 'waited before sending again');
  assert.deepEqual([r.pushed, r.pending], [1, 0]);
  assert.deepEqual(seqsOf(server), [[1], [1]]);
});

test('out_of_order past the outbox head: the changes before expectedSeq are final and leave the outbox', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  for (const k of ['k1', 'k2', 'k3']) await client.put('notes', k, { title: k });
  server.script('push', (req) => {
    server.push({ ...req.body, changes: req.body.changes.slice(0, 2) }); // decided earlier, answer never seen
    return { status: 200, body: { results: req.body.changes.map((/** @type {any} */ c) => ({ seq: c.seq, status: 'out_of_order', expectedSeq: 3 })) } };
  });
  const r = await client.push();
  assert.deepEqual([r.ok, r.pushed, r.pending], [true, 1, 0]);
  assert.deepEqual(seqsOf(server), [[1, 2, 3], [3]]);
  assert.deepEqual((await client.all('notes')).map((e) => [e.key, e.version, e.pending]), [['k1', 0, false], ['k2', 0, false], ['k3', 1, false]],
    'k1 and k2 left without a result: their versions come by pull');
  await syncOk(client);
  assert.deepEqual((await client.all('notes')).map((e) => e.version), [1, 1, 1]);
  assert.deepEqual(of('error'), []);
});

test('out_of_order below the outbox head (the server is behind): the client resends from its history and gets duplicates', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  await client.put('notes', 'k1', { title: 'one' });
  await client.put('notes', 'k2', { title: 'two' });
  await syncOk(client);
  await client.put('notes', 'k3', { title: 'three' });
  server.script('push', (req) => ({ status: 200, body: { results: [{ seq: req.body.changes[0].seq, status: 'out_of_order', expectedSeq: 1 }] } }));
  await syncOk(client);
  assert.deepEqual(seqsOf(server), [[1, 2], [3], [1, 2, 3]]);
  assert.equal(server.record('k1')?.version, 1);
  assert.equal(await client.pending(), 0);
  assert.deepEqual(of('conflict').concat(of('rejected'), of('error')), []);

  await client.put('notes', 'k4', { title: 'four' });
  server.script('push', { status: 200, body: { results: [{ seq: 4, status: 'out_of_order', expectedSeq: 0 }] } });
  const r = await client.sync();
  assert.deepEqual([r.error?.code, r.error?.transient], ['resend_impossible', false]);
  assert.equal(r.error?.message, 'the server expects seq 0 next, and this client no longer holds that change');
});

test('auto: a write is pushed by itself, a failure is retried after its Retry-After, and going online syncs at once', async () => {
  const server = new FakeServer();
  server.script('push', error(503, 'unavailable', 'overloaded (test)', { 'Retry-After': '1' }));
  const { client, of } = await open(server, { auto: true, pushIntervalMs: 0, pullIntervalMs: 0 });
  await waitFor(() => of('synced').length === 1, { what: 'the sync on open' });
  await client.put('notes', 'k', { title: 'pushed by itself' });
  await waitFor(() => of('error').length === 1, { what: 'the failed push' });
  const failedAt = Date.now();
  await waitFor(async () => (await client.pending()) === 0, { what: 'the retry' });
  assert.ok(Date.now() - failedAt >= 900, 'not before Retry-After');
  assert.equal(server.record('k')?.version, 1);

  setOnline(false);
  try {
    await client.put('notes', 'k', { title: 'written offline' });
    await sleep(100);
    const r = await client.sync();
    assert.deepEqual(r, { ok: false, pushed: 0, pulled: 0, pending: 1, offline: true });
    assert.equal((await client.status()).online, false);
    assert.equal(server.requestsOf('push').length, 2, 'nothing is tried offline');
  } finally {
    setOnline(true);
  }
  await waitFor(async () => (await client.pending()) === 0, { what: 'the push when online' });
  assert.deepEqual(server.record('k')?.value, { title: 'written offline' });
  client.close();
});
