// The transport option: what the library hands a transport, and what it makes of the answers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, idbName } from '../../testkit/node-env.js';
import { openSync, SyncClient, SyncError } from '../../src/index.js';

test('a transport gets the push body with its JSON and the pull query; url, headers and fetch are not used', async () => {
  const server = new FakeServer();
  const inner = server.transport();
  /** @type {any[]} */ const seen = [];
  const transport = {
    /** @param {any} body @param {string} json */
    push(body, json) { seen.push(['push', body, json]); return inner.push(body); },
    /** @param {any} query */
    pull(query) { seen.push(['pull', query]); return inner.pull(query); },
  };
  const fetchBefore = globalThis.fetch;
  globalThis.fetch = () => { throw new Error('fetch must not be called'); };
  try {
    const client = await openSync({ db: server.db, stores: ['notes'], idbName: idbName('transport'), auto: false, url: 'http://nowhere.test', headers: () => { throw new Error('not called'); }, transport });
    await client.put('notes', 'k', { title: 'x' });
    const r = await client.sync();
    assert.deepEqual([r.ok, r.pushed, r.pulled], [true, 1, 1]);
    const [[kind, body, json], [kind2, query]] = seen;
    assert.deepEqual([kind, kind2], ['push', 'pull']);
    assert.equal(json, JSON.stringify(body));
    assert.deepEqual(Object.keys(body), ['db', 'clientId', 'sentAt', 'changes']);
    assert.deepEqual(query, { db: 'notes-app', limit: 500 });
    client.close();
  } finally {
    globalThis.fetch = fetchBefore;
  }
});

test('what a transport throws is a transient network error, unless it is a SyncError; a bad transport is refused', async () => {
  const server = new FakeServer();
  let thrown = /** @type {any} */ (new Error('socket hang up'));
  const transport = { push: async () => { throw thrown; }, pull: async () => { throw thrown; } };
  const client = await openSync({ db: server.db, stores: ['notes'], idbName: idbName('throws'), auto: false, transport });
  await client.put('notes', 'k', { title: 'x' });
  const r1 = await client.sync();
  assert.ok(r1.error instanceof SyncError);
  assert.deepEqual([r1.error.code, r1.error.transient, r1.error.message], ['network', true, 'POST /v1/sync failed: socket hang up']);
  thrown = new SyncError('unauthorized', 'log in again', { status: 401 });
  const r2 = await client.pull();
  assert.equal(r2.error, thrown);
  assert.equal(await client.pending(), 1);
  client.close();
  assert.throws(() => new SyncClient({ db: 'x', stores: ['notes'], transport: /** @type {any} */ ({ push() {} }) }),
    { name: 'TypeError', message: 'transport must have the functions push and pull' });
});
