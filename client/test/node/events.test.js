// Status and events, and what other tabs of the app (other clients on the same database) hear.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { error, FakeServer, idbName, open, sleep, syncOk, waitFor } from '../../testkit/node-env.js';
import { SyncError } from '../../src/index.js';

test('status() and the status event follow pending, syncing, errors and the last sync', async () => {
  const server = new FakeServer();
  const { client, of } = await open(server);
  assert.deepEqual(await client.status(), {
    clientId: client.clientId, online: true, syncing: false, pending: 0, rejected: 0, lastSyncAt: null, nextRetryAt: null, lastError: null,
  });
  await client.put('notes', 'a', { title: 'a' });
  await client.put('notes', 'b', { title: 'b' });
  await waitFor(() => of('status').some((s) => s.pending === 2), { what: 'a status with 2 pending' });
  of('status').length = 0;

  server.script('push', async () => { await sleep(50); return error(503, 'unavailable', 'busy'); });
  const failed = await client.sync();
  await waitFor(() => of('status').some((s) => s.lastError), { what: 'a status with the error' });
  const statuses = of('status');
  assert.ok(statuses.some((s) => s.syncing), 'a status while syncing');
  const last = statuses[statuses.length - 1];
  assert.deepEqual({ ...last, nextRetryAt: typeof last.nextRetryAt }, {
    clientId: client.clientId, online: true, syncing: false, pending: 2, rejected: 0, lastSyncAt: null, nextRetryAt: 'number', lastError: failed.error,
  });
  const [err] = of('error');
  assert.ok(err.error instanceof SyncError && err.error instanceof Error);
  assert.equal(err.error.name, 'SyncError');

  await syncOk(client);
  const s = await client.status();
  assert.deepEqual([s.pending, s.lastError, s.nextRetryAt, typeof s.lastSyncAt], [0, null, null, 'number']);
});

test('on() passes the detail and the event, and returns a function that removes the listener', async () => {
  const { client } = await open(new FakeServer());
  /** @type {any[]} */ const seen = [];
  const off = client.on('synced', (detail, event) => seen.push([detail.pushed, event.type, event instanceof CustomEvent]));
  await client.put('notes', 'a', { title: 'a' });
  await syncOk(client);
  off();
  await syncOk(client);
  assert.deepEqual(seen, [[1, 'synced', true]]);
});

test('tabs: a write and a sync in one tab raise change and synced in the others, marked fromOtherTab', async () => {
  const server = new FakeServer();
  const name = idbName('tabs');
  const one = await open(server, { idbName: name });
  const two = await open(server, { idbName: name });
  assert.equal(one.client.clientId, two.client.clientId, 'one client, two tabs');
  await one.client.put('notes', 'k', { done: true });
  await waitFor(() => two.of('change').length === 1, { what: 'the other tab to hear of the write' });
  assert.deepEqual(two.of('change'), [{ origin: 'tab', changes: [{ store: 'notes', key: 'k', op: 'put', value: { done: true } }], fromOtherTab: true }]);
  assert.deepEqual(one.of('change'), [], 'a tab\'s own writes raise no change');
  assert.equal(await two.client.pending(), 1, 'one outbox');

  await syncOk(one.client);
  await waitFor(() => two.of('synced').length === 1 && two.of('rejected').length === 1, { what: 'the other tab to hear of the sync' });
  assert.equal(two.of('synced')[0].fromOtherTab, true);
  assert.equal(two.of('synced')[0].pushed, 1);
  assert.deepEqual(two.of('rejected')[0].error.code, 'schema');
  assert.equal(two.of('rejected')[0].fromOtherTab, true);
  assert.equal(one.of('rejected')[0].fromOtherTab, undefined);
  const r = await syncOk(two.client);
  assert.equal(r.pushed, 0, 'the outbox was already sent');
  await one.client.dismissRejected();
  await waitFor(async () => two.of('status').some((s) => s.rejected === 0), { what: 'the other tab\'s status' });
});
