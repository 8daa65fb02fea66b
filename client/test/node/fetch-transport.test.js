// The library's own transport: fetch, with the url, headers and timeout options.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, open, syncOk } from '../../testkit/node-env.js';

test('the default transport POSTs /v1/sync and GETs /v1/changes under url, with JSON headers and the extra ones', async () => {
  const server = new FakeServer();
  /** @type {Array<[string, RequestInit]>} */ const calls = [];
  const { client } = await open(server, {
    via: 'fetch', url: 'http://sync.test//', pullLimit: 2,
    headers: async () => ({ Authorization: 'Bearer t0ken' }),
  });
  globalThis.fetch = /** @type {any} */ ((/** @type {string} */ url, /** @type {RequestInit} */ init) => {
    calls.push([url, init]);
    return server.fetch(url, init);
  });
  await client.put('notes', 'k', { title: 'x' });
  await syncOk(client);
  await syncOk(client);
  assert.deepEqual(calls.map(([url, init]) => [init.method, url]), [
    ['POST', 'http://sync.test/v1/sync'],
    ['GET', 'http://sync.test/v1/changes?db=notes-app&limit=2'],
    ['GET', 'http://sync.test/v1/changes?db=notes-app&since=c1&limit=2'],
  ]);
  const [, push] = calls[0];
  assert.deepEqual(Object.fromEntries(/** @type {Headers} */ (push.headers).entries()),
    { accept: 'application/json', authorization: 'Bearer t0ken', 'content-type': 'application/json' });
  assert.equal(push.cache, 'no-store');
  assert.ok(push.signal instanceof AbortSignal);
  assert.deepEqual(JSON.parse(String(push.body)).changes.map((/** @type {any} */ c) => c.key), ['k']);
  const [, pull] = calls[1];
  assert.deepEqual(Object.fromEntries(/** @type {Headers} */ (pull.headers).entries()), { accept: 'application/json', authorization: 'Bearer t0ken' });
  assert.equal(pull.body, undefined);
});

test('the default transport: no answer within requestTimeoutMs, or headers that fail, are network errors', async () => {
  const server = new FakeServer();
  let fail = false;
  const { client } = await open(server, {
    via: 'fetch', requestTimeoutMs: 50,
    headers: () => { if (fail) throw new Error('no token'); return { 'X-A': '1' }; },
  });
  globalThis.fetch = /** @type {any} */ ((/** @type {string} */ _url, /** @type {RequestInit} */ init) => new Promise((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(new DOMException('This operation was aborted', 'AbortError')));
  }));
  await client.put('notes', 'k', { title: 'x' });
  const started = Date.now();
  const r = await client.sync();
  assert.ok(Date.now() - started >= 45);
  assert.deepEqual([r.error?.code, r.error?.transient, r.error?.message], ['network', true, 'POST /v1/sync failed: no answer within 50 ms']);
  fail = true;
  const r2 = await client.pull();
  assert.deepEqual([r2.error?.code, r2.error?.message], ['network', 'GET /v1/changes failed: no token']);
});
