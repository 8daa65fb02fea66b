// Pushing the outbox: results, retries after transient failures, permanent failures, resends.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { error, FakeServer, idbName, open, setOnline, sleep, syncOk, waitFor } from '../../testkit/node-env.js';
import { INTERNAL_STORES, SyncError } from '../../src/index.js';

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

/**
 * A client whose changes 1..4 the server decided (they are in its history of sent changes) and
 * whose changes 5..7 wait in the outbox; then the server forgets it, as its client horizon does.
 * @param {Record<string, any>} [opts] more options for open()
 */
async function forgottenClient(opts = {}) {
  const server = new FakeServer();
  const env = await open(server, opts);
  const { client } = env;
  for (const k of ['h1', 'h2', 'h3', 'h4']) await client.put('notes', k, { title: k });
  await syncOk(client);
  await client.put('notes', 'k5', { title: 'five' });
  await client.delete('notes', 'h1');
  await client.put('notes', ['k', 7], { title: 'seven', done: true });
  server.clients.delete(client.clientId);
  server.requests.length = 0;
  return { server, ...env };
}

/** What the server answers a push of a client it holds nothing of, with the new `unknownClient`. @param {FakeServer} server */
const forgetting = (server) => (/** @type {any} */ req) => {
  if (server.clients.has(req.body.clientId) || req.body.changes[0].seq === 1) return undefined;
  return { status: 200, body: { results: req.body.changes.map((/** @type {any} */ c) => ({ seq: c.seq, status: 'out_of_order', expectedSeq: 1, unknownClient: true })) } };
};

test('out_of_order with unknownClient (the server forgot this client): the outbox is renumbered from 1 and pushed, nothing of the history is resent', async () => {
  const { server, client, of } = await forgottenClient();
  const before = await client.outbox();
  assert.deepEqual(before.map((c) => c.seq), [5, 6, 7]);
  server.script('push', forgetting(server));
  const r = await client.push();
  assert.deepEqual([r.ok, r.pushed, r.pending], [true, 3, 0]);
  assert.deepEqual(seqsOf(server), [[5, 6, 7], [1, 2, 3]], 'renumbered, and no resend of 1..4 from the history');
  const sent = /** @type {any} */ (server.requestsOf('push')[1]).body.changes;
  assert.deepEqual(sent, before.map((c, i) => ({ ...c, seq: i + 1 })), 'the same stores, keys, ops, values, base versions and times');
  assert.deepEqual(of('renumbered'), [{ from: 5, to: 1, count: 3 }]);
  assert.deepEqual(of('error'), []);
  assert.deepEqual(server.record('h1')?.op, 'delete');
  assert.deepEqual(server.record(['k', 7])?.value, { title: 'seven', done: true });
  assert.equal(server.record('h2')?.version, 1, 'h2 was applied once');
  const history = await /** @type {any} */ (client)._idb.tx([INTERNAL_STORES.sent], 'readonly', (/** @type {IDBTransaction} */ tx) =>
    new Promise((resolve) => { tx.objectStore(INTERNAL_STORES.sent).getAll().onsuccess = (e) => resolve(/** @type {any} */ (e.target).result); }));
  assert.deepEqual(history.map((/** @type {any} */ e) => [e.seq, e.key]), [[1, 'k5'], [2, 'h1'], [3, ['k', 7]]], 'the old history (1..4) is gone');

  assert.equal(await client.put('notes', 'k8', { title: 'eight' }), 4, 'nextSeq is 4 after the renumbering');
  await syncOk(client);
  assert.deepEqual(seqsOf(server).slice(2), [[4]]);
  assert.equal(server.record('k8')?.version, 1);

  // the server's mark then lags behind again (the ordinary case): the history it resends is the new one
  server.script('push', (req) => ({ status: 200, body: { results: [{ seq: req.body.changes[0].seq, status: 'out_of_order', expectedSeq: 3 }] } }));
  await client.put('notes', 'k9', { title: 'nine' });
  await syncOk(client);
  assert.deepEqual(seqsOf(server).slice(3), [[5], [3, 4, 5]]);
  assert.deepEqual(/** @type {any} */ (server.requestsOf('push')[4]).body.changes.map((/** @type {any} */ c) => c.key), [['k', 7], 'k8', 'k9'],
    'the history resent is the renumbered changes');
  assert.equal(server.record(['k', 7])?.version, 1, 'the resent 3 came back duplicate');
  assert.deepEqual(of('renumbered').length, 1);
});

test('a renumbering keeps the rejected changes the app has not dismissed, under negative keys, apart from the new seqs', async () => {
  const server = new FakeServer();
  const { client } = await open(server);
  await client.put('notes', 'ok1', { title: 'one' });
  const bad = await client.put('notes', 'bad', { done: true }); // no title: rejected by the schema
  await syncOk(client);
  assert.equal(bad, 2);
  await client.put('notes', 'k3', { title: 'three' });
  await client.put('notes', 'bad2', { done: false }); // seq 4, rejected once renumbered as 2
  server.clients.delete(client.clientId);
  server.script('push', forgetting(server));
  await syncOk(client);
  const stored = await client.rejected();
  assert.deepEqual(stored.map((r) => [r.seq, r.change.seq, r.change.key]), [[-1, 2, 'bad'], [2, 2, 'bad2']],
    'the old rejection of seq 2 is still there, beside the new one of the renumbered seq 2');
  await client.dismissRejected(-1);
  assert.deepEqual((await client.rejected()).map((r) => r.change.key), ['bad2']);
});

test('renumbered is passed on to the other tabs; a change another tab writes before the renumbering is renumbered with the rest, one written after gets the next seq', async () => {
  /** @param {FakeServer} server */
  const keysOf = (server) => server.requestsOf('push').flatMap((p) => /** @type {any} */ (p).body.changes.map((/** @type {any} */ c) => [c.seq, c.key]));

  // before: the other tab writes while the push that gets unknownClient is under way
  const name = idbName('renumber-tabs');
  const one = await forgottenClient({ idbName: name });
  const two = await open(one.server, { idbName: name });
  /** @type {number[]} */ const seqs = [];
  one.server.script('push', async (req) => {
    seqs.push(await two.client.put('notes', 'tab2', { title: 'from the other tab' }));
    return forgetting(one.server)(req);
  });
  await syncOk(one.client);
  assert.deepEqual(seqs, [8]);
  assert.deepEqual(one.of('renumbered'), [{ from: 5, to: 1, count: 4 }]);
  assert.deepEqual(keysOf(one.server), [[5, 'k5'], [6, 'h1'], [7, ['k', 7]], [1, 'k5'], [2, 'h1'], [3, ['k', 7]], [4, 'tab2']]);
  assert.equal(await two.client.put('notes', 'next', { title: 'next' }), 5);
  await waitFor(() => two.of('renumbered').length === 1, { what: 'the other tab to hear of the renumbering' });
  assert.deepEqual(two.of('renumbered'), [{ from: 5, to: 1, count: 4, fromOtherTab: true }]);

  // after: the other tab writes once it hears of the renumbering (the push may still go on)
  const name2 = idbName('renumber-tabs');
  const three = await forgottenClient({ idbName: name2 });
  const four = await open(three.server, { idbName: name2 });
  /** @type {Promise<number>[]} */ const later = [];
  four.client.on('renumbered', () => later.push(four.client.put('notes', 'tab2', { title: 'from the other tab' })));
  three.server.script('push', forgetting(three.server));
  await syncOk(three.client);
  await waitFor(() => later.length === 1, { what: 'the other tab to hear of the renumbering' });
  assert.equal(await later[0], 4);
  await syncOk(three.client);
  assert.deepEqual(keysOf(three.server).slice(3), [[1, 'k5'], [2, 'h1'], [3, ['k', 7]], [4, 'tab2']]);
  assert.equal(three.server.record('tab2')?.version, 1);
  assert.equal(await three.client.pending(), 0);
});

test('a server that keeps answering unknownClient makes the push give up with out_of_order, not loop', async () => {
  // as the server should: it refuses seq 1 too (it expects 1: a server that is wrong)
  const first = await forgottenClient();
  first.server.script('push', ...Array.from({ length: 20 }, () => (/** @type {any} */ req) => ({
    status: 200, body: { results: req.body.changes.map((/** @type {any} */ c) => ({ seq: c.seq, status: 'out_of_order', expectedSeq: 1, unknownClient: true })) },
  })));
  const r1 = await first.client.push();
  assert.deepEqual([r1.ok, r1.error?.code, r1.error?.transient], [false, 'out_of_order', true]);
  assert.equal(r1.error?.message, 'the server keeps answering out_of_order (expectedSeq 1)');
  assert.deepEqual(seqsOf(first.server), [[5, 6, 7], [1, 2, 3]]);
  assert.deepEqual((await first.client.outbox()).map((c) => c.seq), [1, 2, 3], 'renumbered once, kept');
  assert.deepEqual(first.of('renumbered'), [{ from: 5, to: 1, count: 3 }]);

  // refusing the batch's last change only (expectedSeq never the refused seq): the loop limit ends it
  const second = await forgottenClient();
  second.server.script('push', ...Array.from({ length: 20 }, () => (/** @type {any} */ req) => {
    const last = req.body.changes[req.body.changes.length - 1];
    return { status: 200, body: { results: [{ seq: last.seq, status: 'out_of_order', expectedSeq: 1, unknownClient: true }] } };
  }));
  const r2 = await second.client.push();
  assert.deepEqual([r2.ok, r2.error?.code], [false, 'out_of_order']);
  assert.deepEqual(seqsOf(second.server), [[5, 6, 7], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, 3]]);
  assert.deepEqual(second.of('renumbered'), [{ from: 5, to: 1, count: 3 }], 'renumbering what is already from 1 fires nothing');
  assert.deepEqual(second.server.requestsOf('push').flatMap((p) => /** @type {any} */ (p).body.changes.map((/** @type {any} */ c) => c.key)).filter((k) => k === 'h2'), [], 'no history resent');
});
