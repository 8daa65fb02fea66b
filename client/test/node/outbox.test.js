// Local writes and the outbox, in Node against a fake server (testkit/fake-server.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, idbName, open, syncOk } from '../../testkit/node-env.js';
import { INTERNAL_STORES, openSync, SyncClient } from '../../src/index.js';

test('put and delete write the record and an outbox entry, in seq order, as they will be sent', async () => {
  const { client } = await open(new FakeServer());
  assert.match(client.clientId, /^c-[0-9a-f]{32}$/);
  const before = Date.now();
  assert.equal(await client.put('notes', 'n-1', { title: 'one', done: false }), 1);
  assert.equal(await client.put('notes', ['2026', 7], { title: 'two' }), 2);
  assert.equal(await client.delete('notes', 'n-1'), 3);
  assert.equal(await client.put('notes', 5, { title: 'five' }), 4);
  const outbox = await client.outbox();
  assert.deepEqual(outbox.map((c) => Object.keys(c)), [
    ['seq', 'store', 'key', 'op', 'value', 'baseVersion', 'ts'],
    ['seq', 'store', 'key', 'op', 'value', 'baseVersion', 'ts'],
    ['seq', 'store', 'key', 'op', 'baseVersion', 'ts'],
    ['seq', 'store', 'key', 'op', 'value', 'baseVersion', 'ts'],
  ]);
  assert.deepEqual(outbox.map(({ ts, ...c }) => c), [
    { seq: 1, store: 'notes', key: 'n-1', op: 'put', value: { title: 'one', done: false }, baseVersion: 0 },
    { seq: 2, store: 'notes', key: ['2026', 7], op: 'put', value: { title: 'two' }, baseVersion: 0 },
    { seq: 3, store: 'notes', key: 'n-1', op: 'delete', baseVersion: 0 },
    { seq: 4, store: 'notes', key: 5, op: 'put', value: { title: 'five' }, baseVersion: 0 },
  ]);
  assert.ok(outbox.every((c) => c.ts >= before && c.ts <= Date.now()));
  assert.equal(await client.pending(), 4);
  assert.equal(await client.get('notes', 'n-1'), undefined);
  assert.deepEqual(await client.get('notes', ['2026', 7]), { title: 'two' });
  assert.deepEqual(await client.all('notes'), [
    { key: 5, value: { title: 'five' }, version: 0, pending: true },
    { key: ['2026', 7], value: { title: 'two' }, version: 0, pending: true },
  ]);
  client.close();
});

test('the outbox, the next seq and the client id survive closing and opening the database again', async () => {
  const server = new FakeServer();
  const name = idbName('reopen');
  const first = await open(server, { idbName: name });
  await first.client.put('notes', 'a', { title: 'a' });
  await first.client.put('notes', 'b', { title: 'b' });
  const id = first.client.clientId;
  first.client.close();

  const again = await open(server, { idbName: name });
  assert.equal(again.client.clientId, id);
  assert.deepEqual((await again.client.outbox()).map((c) => [c.seq, c.key]), [[1, 'a'], [2, 'b']]);
  assert.equal(await again.client.put('notes', 'c', { title: 'c' }), 3);
  const r = await syncOk(again.client);
  assert.deepEqual([r.pushed, r.pending], [3, 0]);
  assert.deepEqual(server.requestsOf('push').map((p) => /** @type {any} */ (p).body.changes.map((/** @type {any} */ c) => c.seq)), [[1, 2, 3]]);
  again.client.close();

  await assert.rejects(open(server, { idbName: name, clientId: 'someone-else' }),
    { message: `IndexedDB database "${name}" belongs to clientId "${id}", not "someone-else"` });
  const named = await open(server, { idbName: idbName('named'), clientId: 'c:my.id_1' });
  assert.equal(named.client.clientId, 'c:my.id_1');
  named.client.close();
});

test('options, keys and values are checked before anything is written', async () => {
  const bad = (/** @type {any} */ o) => assert.throws(() => new SyncClient(o), TypeError);
  bad(undefined);
  bad({ db: 'a/b', stores: ['notes'] });
  bad({ db: '..', stores: ['notes'] });
  bad({ db: 'x', stores: [] });
  bad({ db: 'x', stores: ['no/slash'] });
  bad({ db: 'x', stores: ['idbsync.mine'] });
  bad({ db: 'x', stores: ['notes'], clientId: 'has space' });
  bad({ db: 'x', stores: ['notes'], batchSize: 0 });
  bad({ db: 'x', stores: ['notes'], pushIntervalMs: -1 });
  bad({ db: 'x', stores: ['notes'], maxBodyBytes: '10' });
  assert.deepEqual(Object.values(INTERNAL_STORES), ['idbsync.outbox', 'idbsync.meta', 'idbsync.versions', 'idbsync.rejected', 'idbsync.sent']);

  const { client } = await open(new FakeServer(), { maxBodyBytes: 1000 });
  await assert.rejects(client.put('other', 'k', { title: 'x' }), { name: 'TypeError', message: 'store "other" is not one of this client\'s stores (notes)' });
  await assert.rejects(client.put('notes', new Date(), { title: 'x' }), TypeError);
  await assert.rejects(client.put('notes', [], { title: 'x' }), { message: 'an array key must not be empty' });
  await assert.rejects(client.put('notes', Infinity, { title: 'x' }), { message: 'a number key must be finite' });
  await assert.rejects(client.put('notes', 'k', /** @type {any} */ (['x'])), { message: 'a value must be a JSON object' });
  await assert.rejects(client.put('notes', 'k', { title: 'x'.repeat(1000) }), RangeError);
  await client.put('notes', -0, { title: 'zero', at: new Date(0), skip: undefined });
  assert.deepEqual(await client.all('notes'), [{ key: 0, value: { title: 'zero', at: '1970-01-01T00:00:00.000Z' }, version: 0, pending: true }]);
  assert.equal(await client.pending(), 1);
  client.close();
  await assert.rejects(client.put('notes', 'k', { title: 'x' }), { message: 'this sync client is closed' });
  await assert.rejects(client.get('notes', 0), { message: 'this sync client is closed' });
  const r = await client.sync();
  assert.equal(r.ok, false);
  assert.equal(r.error?.code, 'closed');
});

test('a push sends batchSize changes at a time, in seq order, halving a batch over maxBodyBytes or answered 413', async () => {
  const server = new FakeServer();
  const { client } = await open(server, { batchSize: 4, maxBodyBytes: 1500 });
  for (let i = 1; i <= 10; i++) await client.put('notes', `k${i}`, { title: `note ${i}`, pad: i === 7 || i === 8 ? 'x'.repeat(700) : '' });
  server.script('push', { status: 413, body: { error: { code: 'too_large', message: 'too many' } } });
  const before = Date.now();
  const r = await syncOk(client);
  assert.deepEqual([r.pushed, r.pending], [10, 0]);
  const pushes = server.requestsOf('push').map((p) => /** @type {any} */ (p).body);
  assert.deepEqual(pushes.map((b) => b.changes.map((/** @type {any} */ c) => c.seq)),
    [[1, 2, 3, 4], [1, 2], [3, 4], [5, 6], [7], [8], [9], [10]]);
  for (const b of pushes) {
    assert.deepEqual(Object.keys(b), ['db', 'clientId', 'sentAt', 'changes']);
    assert.deepEqual([b.db, b.clientId], ['notes-app', client.clientId]);
    assert.ok(b.sentAt >= before);
  }
  assert.deepEqual((await client.all('notes')).map((e) => [e.key, e.version, e.pending]).slice(0, 2), [['k1', 1, false], ['k10', 1, false]]);
  client.close();
});

test('openSync with an idbName keeps the server db name apart from the local database', async () => {
  const server = new FakeServer();
  const name = idbName('local-name');
  const client = await openSync({ db: server.db, stores: ['notes', 'notes'], idbName: name, auto: false, url: 'http://fake.test/' });
  assert.deepEqual([client.db, client.idbName, client.stores], ['notes-app', name, ['notes']]);
  assert.equal(Object.isFrozen(client.stores), true);
  client.close();
});
