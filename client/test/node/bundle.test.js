// dist/idbsync.js, the one file the server serves: the same API as the sources, and it works.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeServer, idbName } from '../../testkit/node-env.js';
import * as bundle from '../../dist/idbsync.js';
import * as src from '../../src/index.js';

test('the bundle exports what src/index.js exports, and syncs through a transport', async () => {
  assert.deepEqual(Object.keys(bundle).sort(), ['INTERNAL_STORES', 'SyncClient', 'SyncError', 'openSync']);
  assert.deepEqual(Object.keys(bundle).sort(), Object.keys(src).sort());
  assert.deepEqual(bundle.INTERNAL_STORES, src.INTERNAL_STORES);
  assert.equal(bundle.SyncClient.name, 'SyncClient');
  assert.equal(new bundle.SyncError('x', 'y').name, 'SyncError');

  const server = new FakeServer();
  const client = await bundle.openSync({ db: server.db, stores: ['notes'], idbName: idbName('bundle'), auto: false, transport: server.transport() });
  try {
    assert.ok(client instanceof bundle.SyncClient);
    await client.put('notes', 'k', { title: 'from the bundle' });
    const r = await client.sync();
    assert.deepEqual([r.ok, r.pushed, r.pending], [true, 1, 0]);
    assert.equal(server.record('k')?.version, 1);
  } finally {
    client.close();
  }
});
