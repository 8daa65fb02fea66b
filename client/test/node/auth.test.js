// getToken and what the server's 401, 403 and 429 answers do (PROTOCOL.md, "Authentication
// and scoping"): a token per request, renewed once after a 401, syncing stopped (outbox kept)
// when the token is refused again or the grant is missing, 429 waited out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, open, sleep, syncOk, waitFor } from '../../testkit/node-env.js';

/** The seqs the server applied for a client, in the order it applied them. @param {FakeServer} server @param {string} clientId */
function appliedSeqs(server, clientId) {
  return server.feed.filter((c) => c.clientId === clientId).map((c) => c.seq);
}

/** Writes n notes k1..kn. @param {import('../../src/index.js').SyncClient} client @param {number} n @param {number} [from] */
async function write(client, n, from = 1) {
  for (let i = from; i < from + n; i++) await client.put('notes', 'k' + i, { title: 'note ' + i });
}

test('getToken is called before each request, and its token is sent as a bearer token (transport and fetch)', async () => {
  for (const via of /** @type {const} */ (['transport', 'fetch'])) {
    const server = new FakeServer({ tokens: ['t-1', 't-2', 't-3', 't-4'] });
    let calls = 0;
    const { client } = await open(server, {
      via, batchSize: 2, pullLimit: 2,
      headers: { Authorization: 'Bearer not-this-one', 'X-App': 'notes' },
      getToken: async () => 't-' + (++calls),
    });
    await write(client, 4);
    const r = await syncOk(client);
    assert.deepEqual([r.pushed, r.pulled], [4, 4]);
    // two pushes of two, then two pull pages of two
    assert.deepEqual(server.requests.map((q) => [q.kind, q.token]),
      [['push', 't-1'], ['push', 't-2'], ['pull', 't-3'], ['pull', 't-4']], via);
    assert.equal(calls, 4, 'one call per request, nothing cached');
    if (via === 'fetch') {
      assert.equal(server.requests[0].headers?.authorization, 'Bearer t-1', 'the token wins over the headers option');
      assert.equal(server.requests[0].headers?.['x-app'], 'notes');
    }
    client.close();
  }
});

test('no getToken, or a getToken that gives null: no Authorization header but the headers option\'s', async () => {
  const server = new FakeServer();
  const { client } = await open(server, { via: 'fetch', getToken: () => null });
  await write(client, 1);
  await syncOk(client);
  assert.deepEqual(server.requests.map((q) => q.headers?.authorization ?? null), [null, null]);
  const two = await open(server, { via: 'fetch', headers: { Authorization: 'Bearer fixed' } });
  await syncOk(two.client);
  assert.equal(server.requests[2].headers?.authorization, 'Bearer fixed');
});

test('a token that expires mid-sync is renewed after the 401 and the same push is sent again: nothing lost or doubled', async () => {
  for (const via of /** @type {const} */ (['transport', 'fetch'])) {
    const server = new FakeServer({ tokens: ['A'] });
    // The app's token cache learns of the expiry one call late (as a cache going by its own clock
    // would): the first call after the server stopped taking A still gives A, the next gives B.
    let current = 'A';
    const getToken = () => {
      const t = current;
      if (!server.tokens?.has('A')) current = 'B';
      return t;
    };
    const { client, of } = await open(server, { via, batchSize: 2, getToken });
    await write(client, 5);
    const inner = server.push.bind(server);
    server.push = (body) => {
      const a = inner(body);
      if (server.requestsOf('push').length === 1) { server.revoke('A'); server.allow('B'); } // expires after the first push
      return a;
    };
    const r = await syncOk(client);
    assert.equal(r.pushed, 5);
    assert.deepEqual(server.requests.map((q) => [q.kind, q.token, q.kind === 'push' ? q.body.changes.map((/** @type {any} */ c) => c.seq) : null]), [
      ['push', 'A', [1, 2]],
      ['push', 'A', [3, 4]], // 401
      ['push', 'B', [3, 4]], // the same push, with the renewed token
      ['push', 'B', [5]],
      ['pull', 'B', null],
    ], via);
    assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2, 3, 4, 5], 'each change applied once, in order');
    assert.equal(await client.pending(), 0);
    assert.deepEqual([of('auth').length, of('error').length], [0, 0]);
    client.close();
  }
});

test('a token refused twice in a row: auth event, automatic syncing stops, the outbox stays; a new token delivers it all once, in order', async () => {
  const server = new FakeServer({ tokens: ['good'] });
  let token = 'bad';
  let calls = 0;
  const { client, of } = await open(server, { auto: true, pushIntervalMs: 30, pullIntervalMs: 50, maxBackoffMs: 50, getToken: async () => { calls++; return token; } });
  await write(client, 3);
  await waitFor(() => of('auth').length > 0, { what: 'the auth event' });
  const [auth] = of('auth');
  assert.deepEqual([auth.status, auth.code, auth.error.code, auth.error.status, auth.error.transient], [401, 'unauthorized', 'unauthorized', 401, false]);
  assert.match(auth.message, /^(POST \/v1\/sync|GET \/v1\/changes) answered 401: the token is expired or invalid$/);
  // the run on open (a pull) or the one after the writes (a push): one renewal, one resend
  const [first, second] = server.requests;
  assert.equal(server.requests.length, 2);
  assert.deepEqual([second.kind, first.token, second.token], [first.kind, 'bad', 'bad']);
  const s = await client.status();
  assert.deepEqual([s.nextRetryAt, s.lastError?.code], [null, 'unauthorized']);

  // stopped: writes, the intervals and the online event send nothing while getToken gives the refused token
  await write(client, 1, 4);
  /** @type {any} */ (globalThis).dispatchEvent(new Event('online'));
  await sleep(300);
  assert.equal(server.requests.length, 2, 'no request while stopped');
  assert.ok(calls > 2, 'getToken is asked whether there is a new token');
  assert.equal(of('auth').length, 1);
  assert.deepEqual((await client.outbox()).map((c) => c.seq), [1, 2, 3, 4], 'the outbox is intact, in order');

  token = 'good'; // a new token: the next automatic run goes out
  await waitFor(async () => (await client.pending()) === 0, { what: 'the outbox to be delivered' });
  assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2, 3, 4], 'each change applied once, in order');
  assert.deepEqual(server.requests.slice(2).filter((q) => q.kind === 'push').map((q) => q.token), ['good']);
  assert.equal(of('error').length, 0, 'an auth stop is not an error event');
  client.close();
});

test('while stopped, sync() tries again at once (and stops again when refused again)', async () => {
  const server = new FakeServer({ tokens: ['good'] });
  let token = 'bad';
  const { client, of } = await open(server, { getToken: () => token });
  await write(client, 2);
  const r1 = await client.sync();
  assert.deepEqual([r1.ok, r1.error?.code, r1.retryInMs, r1.pending], [false, 'unauthorized', undefined, 2]);
  const r2 = await client.push();
  assert.deepEqual([r2.ok, r2.error?.code, r2.skipped], [false, 'unauthorized', undefined]);
  assert.equal(of('auth').length, 2);
  assert.equal(server.requests.length, 4);
  token = 'good';
  const r3 = await syncOk(client);
  assert.deepEqual([r3.pushed, r3.pending], [2, 0]);
  assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2]);
});

test('a 403 is not retried: auth event, syncing stops, nothing dropped or marked rejected; a token with the grant sends it', async () => {
  const server = new FakeServer({ tokens: ['reader', 'writer'] });
  server.forbid('reader');
  let token = 'reader';
  let calls = 0;
  const { client, of } = await open(server, { getToken: () => { calls++; return token; } });
  await write(client, 2);
  const r = await client.sync();
  assert.deepEqual([r.ok, r.error?.code, r.error?.status], [false, 'forbidden', 403]);
  assert.equal(server.requests.length, 1, 'no retry');
  assert.equal(calls, 1);
  assert.deepEqual(of('auth').map((d) => [d.status, d.code]), [[403, 'forbidden']]);
  assert.deepEqual((await client.outbox()).map((c) => c.seq), [1, 2]);
  assert.deepEqual([await client.rejected(), of('rejected')], [[], []]);
  token = 'writer';
  await syncOk(client);
  assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2]);
});

test('a 429 rate_limited is transient: retried by itself, not before its Retry-After', async () => {
  const server = new FakeServer({ tokens: ['A'] });
  server.rateLimit(1, 1);
  const { client, of } = await open(server, { auto: true, pushIntervalMs: 0, pullIntervalMs: 0, maxBackoffMs: 50, getToken: () => 'A' });
  await write(client, 2);
  await waitFor(async () => (await client.pending()) === 0 && of('synced').length > 0, { what: 'the retried sync' });
  const [err] = of('error');
  assert.deepEqual([err.error.code, err.error.status, err.error.transient, err.error.retryAfterMs], ['rate_limited', 429, true, 1000]);
  assert.ok(err.retryInMs >= 1000, `retry in ${err.retryInMs} ms`);
  const [limited, next] = server.requests; // the run on open (or after the writes), then the retry
  assert.ok(/** @type {number} */ (next.at) - /** @type {number} */ (limited.at) >= 990, 'the retry waited for Retry-After');
  assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2]);
  assert.equal(of('auth').length, 0);
  client.close();
});

test('getToken throwing or rejecting is a transient error: retried with backoff, nothing lost', async () => {
  const server = new FakeServer({ tokens: ['A'] });
  let failures = 2;
  const getToken = async () => {
    if (failures-- === 2) throw new Error('identity provider unreachable');
    if (failures >= 0) return Promise.reject(new Error('still unreachable'));
    return 'A';
  };
  const { client, of } = await open(server, { auto: true, pushIntervalMs: 0, pullIntervalMs: 0, maxBackoffMs: 50, getToken });
  await write(client, 3);
  await waitFor(async () => (await client.pending()) === 0 && of('synced').length > 0, { what: 'the sync after getToken recovered' });
  assert.deepEqual(of('error').slice(0, 2).map((d) => [d.error.code, d.error.transient, d.error.message]), [
    ['token', true, 'getToken failed: identity provider unreachable'],
    ['token', true, 'getToken failed: still unreachable'],
  ]);
  assert.deepEqual(appliedSeqs(server, client.clientId), [1, 2, 3]);
  assert.equal(of('auth').length, 0);
  client.close();

  // getToken giving something else than a string is an error of the same kind
  const two = await open(server, { getToken: () => /** @type {any} */ (42) });
  await write(two.client, 1);
  const r = await two.client.sync();
  assert.deepEqual([r.error?.code, r.error?.transient, r.error?.message], ['token', true, 'getToken returned number, not a string or null']);
  assert.equal(await two.client.pending(), 1);
});
