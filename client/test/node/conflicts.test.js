// Conflicts as the server's policy settles them, and what the client does with the result.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, open, sleep, syncOk } from '../../testkit/node-env.js';

/** A client that has a note from the server and edits it, while another client edits it later (not pushed yet). */
async function losingEdit() {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'first' } });
  const { client, of } = await open(server);
  await syncOk(client);
  const seq = await client.put('notes', 'k', { title: 'mine, earlier' });
  await sleep(20);
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'theirs, later' } });
  return { server, client, of, seq };
}

test('lww: an earlier offline edit loses to a later one; the client gets conflict and keeps the winner', async () => {
  const { server, client, of, seq } = await losingEdit();
  await syncOk(client);
  assert.deepEqual(server.record('k')?.value, { title: 'theirs, later' });
  assert.deepEqual(of('conflict'), [{
    store: 'notes', key: 'k', oldValue: { title: 'mine, earlier' }, newValue: { title: 'theirs, later' },
    deleted: false, version: 2, policy: 'lww', seq,
  }]);
  assert.deepEqual(of('change')[1], { origin: 'server', changes: [{ store: 'notes', key: 'k', op: 'put', value: { title: 'theirs, later' }, version: 2 }] });
  assert.equal(of('change').length, 2, 'the pull after it brings nothing new');
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'theirs, later' }, version: 2, pending: false }]);
});

test('server-wins: a change to a record deleted meanwhile gets conflict with deleted: true, and the record goes', async () => {
  const server = new FakeServer({ stores: { notes: 'server-wins' } });
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'first' } });
  const { client, of } = await open(server);
  await syncOk(client);
  server.write('other', { store: 'notes', key: 'k', op: 'delete' });
  const seq = await client.put('notes', 'k', { title: 'mine, later' });
  await client.push();
  assert.deepEqual(of('conflict'), [{
    store: 'notes', key: 'k', oldValue: { title: 'mine, later' }, newValue: undefined, deleted: true, version: 2, policy: 'server-wins', seq,
  }]);
  assert.equal(await client.get('notes', 'k'), undefined);
  assert.deepEqual(await client.all('notes'), []);
});

test('a conflict while a later local edit of the record waits in the outbox keeps the local value for the server to decide next', async () => {
  const server = new FakeServer();
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'first' } });
  const { client, of } = await open(server, { batchSize: 1 });
  await syncOk(client);
  await client.put('notes', 'k', { title: 'mine 1' });
  const [{ ts }] = await client.outbox();
  await sleep(30);
  server.write('other', { store: 'notes', key: 'k', op: 'put', value: { title: 'theirs' }, ts: ts + 15 });
  await client.put('notes', 'k', { title: 'mine 2' });
  const r = await client.push();
  assert.deepEqual([r.ok, r.pushed], [true, 2]);
  const results = server.requestsOf('push').map((p) => server.clients.get(client.clientId)?.outcomes.get(/** @type {any} */ (p).body.changes[0].seq).status);
  assert.deepEqual(results, ['conflict', 'applied'], 'mine 1 lost, mine 2 won');
  assert.deepEqual(of('conflict'), [], 'the user never saw "theirs" replace "mine 2"');
  assert.deepEqual(await client.all('notes'), [{ key: 'k', value: { title: 'mine 2' }, version: 3, pending: false }]);
});

test('a conflict answered as duplicate (a resend after a lost answer) is handled like its first status', async () => {
  const { server, client, of, seq } = await losingEdit();
  server.script('push', (req) => { server.push(req.body); return 'network'; });
  assert.equal((await client.push()).error?.code, 'network');
  await client.push();
  assert.equal(server.requestsOf('push').length, 2);
  assert.deepEqual(of('conflict').map((c) => [c.seq, c.version, c.newValue]), [[seq, 2, { title: 'theirs, later' }]]);
  assert.deepEqual(await client.get('notes', 'k'), { title: 'theirs, later' });
});
