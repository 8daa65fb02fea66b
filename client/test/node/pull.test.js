// Pulling the change feed: paging, cursors, versions that only go up, local edits kept.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { error, FakeServer, open, sleep, syncOk } from '../../testkit/node-env.js';

const queries = (/** @type {FakeServer} */ server) => server.requestsOf('pull').map((p) => /** @type {any} */ (p).query);

test('the feed is read page by page with the cursor it gives, and the next pull starts where the last ended', async () => {
  const server = new FakeServer();
  for (let i = 1; i <= 7; i++) server.write('other', { store: 'notes', key: `k${i}`, op: 'put', value: { title: `t${i}` } });
  server.write('other', { store: 'notes', key: 'k2', op: 'delete' });
  const { client, of } = await open(server, { pullLimit: 3 });
  const r = await client.pull();
  assert.deepEqual(r, { ok: true, pushed: 0, pulled: 8, pending: 0 });
  assert.deepEqual(queries(server), [
    { db: 'notes-app', limit: 3 },
    { db: 'notes-app', since: 'c3', limit: 3 },
    { db: 'notes-app', since: 'c6', limit: 3 },
  ]);
  const changes = of('change');
  assert.equal(changes.length, 1, 'one change event for the whole pull');
  assert.equal(changes[0].origin, 'server');
  assert.deepEqual(changes[0].changes.slice(0, 2), [
    { store: 'notes', key: 'k1', op: 'put', value: { title: 't1' }, version: 1, clientId: 'other' },
    { store: 'notes', key: 'k2', op: 'put', value: { title: 't2' }, version: 1, clientId: 'other' },
  ]);
  assert.deepEqual(changes[0].changes[7], { store: 'notes', key: 'k2', op: 'delete', value: undefined, version: 2, clientId: 'other' });
  assert.deepEqual((await client.all('notes')).map((e) => [e.key, e.value.title, e.version, e.pending]),
    [['k1', 't1', 1, false], ['k3', 't3', 1, false], ['k4', 't4', 1, false], ['k5', 't5', 1, false], ['k6', 't6', 1, false], ['k7', 't7', 1, false]]);

  server.write('other', { store: 'notes', key: 'k1', op: 'put', value: { title: 't1, again' } });
  const again = await client.pull();
  assert.equal(again.pulled, 1);
  assert.deepEqual(queries(server).slice(3), [{ db: 'notes-app', since: 'c8', limit: 3 }]);
  assert.deepEqual(await client.get('notes', 'k1'), { title: 't1, again' });
  const none = await client.pull();
  assert.equal(none.pulled, 0);
  assert.equal(of('change').length, 2, 'no change event for an empty page');
});

test('versions only go up: a change at or below the known version is skipped, and so are unknown stores and keys', async () => {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'v1' } });
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'v2' } });
  const { client, of } = await open(server);
  await syncOk(client);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'v2' }, version: 2, pending: false }]);
  server.feed.push({ store: 'notes', key: 'k', op: 'put', value: { title: 'stale' }, version: 1, clientId: 'x', seq: 9 },
    { store: 'elsewhere', key: 'k', op: 'put', value: { title: 'x' }, version: 5, clientId: 'x', seq: 10 },
    { store: 'notes', key: { no: 'key' }, op: 'put', value: { title: 'x' }, version: 5, clientId: 'x', seq: 11 },
    { store: 'notes', key: 'k', op: 'put', value: { title: 'v3' }, clientId: 'x', seq: 12 });
  const r = await syncOk(client);
  assert.equal(r.pulled, 4);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'v2' }, version: 2, pending: false }]);
  assert.equal(of('change').length, 1);
});

test('a cursor the server cannot read (bad_cursor) makes the client read the feed from the beginning, once per run', async () => {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'v1' } });
  const { client } = await open(server);
  await syncOk(client);
  server.script('pull', error(400, 'bad_cursor', 'cannot read it'));
  const r = await syncOk(client);
  assert.equal(r.pulled, 1);
  assert.deepEqual(queries(server), [
    { db: 'notes-app', limit: 500 }, { db: 'notes-app', since: 'c1', limit: 500 }, { db: 'notes-app', limit: 500 }]);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'v1' }, version: 1, pending: false }], 'nothing applied twice');

  server.script('pull', error(400, 'bad_cursor', 'cannot read it'), error(400, 'bad_cursor', 'still not'));
  const twice = await client.sync();
  assert.deepEqual([twice.error?.code, twice.error?.transient, twice.error?.message], ['bad_cursor', false, 'GET /v1/changes answered 400: still not']);
  server.script('pull', { status: 200, body: { cursor: 'c1' } }, error(503, 'unavailable', 'busy', { 'Retry-After': '0' }));
  assert.deepEqual([(await client.pull()).error?.code, (await client.pull()).error?.code], ['bad_response', 'unavailable']);
});

test('a pull does not clobber a local edit still in the outbox; the push result then decides', async () => {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'a1' } });
  const { client, of } = await open(server);
  await syncOk(client);
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'a2' } }); // version 2, made earlier
  await sleep(20);
  await client.put('notes', 'k', { title: 'b-local' }); // on version 1, later

  const pulled = await client.pull();
  assert.equal(pulled.pulled, 1);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'b-local' }, version: 1, pending: true }]);
  assert.deepEqual((await client.outbox()).map((c) => c.baseVersion), [1]);
  assert.equal(of('change').length, 1, 'only the first pull changed a record');

  await syncOk(client); // a conflict on the server, and lww keeps the later edit: this client's
  assert.deepEqual(of('conflict'), []);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'b-local' }, version: 3, pending: false }]);
  assert.deepEqual(server.record('k')?.value, { title: 'b-local' });
});

test('a delete pulled from the feed removes the local record', async () => {
  const server = new FakeServer();
  const key = ['remote', 7];
  server.write('other', { store: 'notes', key, op: 'put', value: { title: 'from A' } });
  const { client, of } = await open(server);
  await syncOk(client);
  assert.deepEqual(await client.get('notes', key), { title: 'from A' });
  server.write('other', { store: 'notes', key, op: 'delete' });
  await syncOk(client);
  assert.equal(await client.get('notes', key), undefined);
  assert.deepEqual(await client.all('notes'), []);
  assert.deepEqual(of('change').map((d) => d.changes.map((/** @type {any} */ c) => [c.op, c.version])), [[['put', 1]], [['delete', 2]]]);
});

test('a cursor older than the server keeps (410 resync): the client pulls it all again, drops what the server no longer has, keeps local edits', async () => {
  const server = new FakeServer();
  for (const k of ['k1', 'k2', 'k3']) server.write('other', { store: 'notes', key: k, op: 'put', value: { title: k } });
  const { client, of } = await open(server);
  await syncOk(client);
  server.write('other', { store: 'notes', key: 'k2', op: 'delete' });
  server.write('other', { store: 'notes', key: 'k4', op: 'put', value: { title: 'k4' } });
  server.expire({ dropTombstones: true }); // k2's tombstone is past its horizon too: the server forgets k2
  await client.put('notes', 'k3', { title: 'k3, edited here' });

  const r = await client.pull();
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual(queries(server).slice(1), [{ db: 'notes-app', since: 'c3', limit: 500 }, { db: 'notes-app', limit: 500 }]);
  assert.deepEqual((await client.all('notes')).map((e) => [e.key, e.value.title, e.pending]),
    [['k1', 'k1', false], ['k3', 'k3, edited here', true], ['k4', 'k4', false]], 'k2 is gone; the local edit of k3 is kept');
  const last = of('change').at(-1);
  assert.deepEqual(last.changes.map((/** @type {any} */ c) => [c.key, c.op]), [['k4', 'put'], ['k2', 'delete']]);

  // the next pull goes on from the full pull's cursor, with no resync left over
  server.write('other', { store: 'notes', key: 'k5', op: 'put', value: { title: 'k5' } });
  assert.equal((await client.pull()).pulled, 1);
  assert.deepEqual(queries(server).at(-1), { db: 'notes-app', since: 'c8', limit: 500 });
  await syncOk(client);
  assert.deepEqual(server.record('k3')?.value, { title: 'k3, edited here' }, 'the kept edit reaches the server');
});

test('a resync cut short goes on at the next pull, and still drops what the server no longer has', async () => {
  const server = new FakeServer();
  for (const k of ['a', 'b', 'c', 'd']) server.write('other', { store: 'notes', key: k, op: 'put', value: { title: k } });
  const { client } = await open(server, { pullLimit: 2 });
  await syncOk(client);
  server.write('other', { store: 'notes', key: 'b', op: 'delete' });
  server.expire({ dropTombstones: true });
  server.script('pull', undefined, undefined, 'network'); // 410, the full pull's first page, then its second fails
  const cut = await client.pull();
  assert.equal(cut.ok, false, 'the full pull failed on its second page');
  assert.deepEqual((await client.all('notes')).map((e) => e.key), ['a', 'b', 'c', 'd'], 'nothing dropped before the full pull ends');
  const r = await client.pull();
  assert.equal(r.ok, true, JSON.stringify(r));
  assert.deepEqual((await client.all('notes')).map((e) => e.key), ['a', 'c', 'd']);
});

test('a key the server forgot (tombstone expired) and another client wrote again comes back at a version above the old ones', async () => {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'v1' } });
  const { client } = await open(server);
  await syncOk(client);
  server.write('other', { store: 'notes', key: 'k', op: 'delete' });
  await syncOk(client);
  assert.deepEqual(await client.all('notes'), []);
  server.expire({ dropTombstones: true });
  server.write('another', { store: 'notes', key: 'k', op: 'put', value: { title: 'back' } });
  await syncOk(client);
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'back' }, version: 3, pending: false }]);
});
