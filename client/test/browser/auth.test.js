// The library with getToken against a real ./run-local with authentication on
// (`--jwt-secret-env NAME`, PROTOCOL.md "Authentication and scoping"), in headless Chromium: a
// token that expires in the middle of a sync is renewed and the push sent again, nothing lost or
// doubled; a token refused twice stops syncing with the outbox kept, until a good one comes.
//
// Skipped, with a message, when this checkout's run-local has no --jwt-secret-env yet.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, test } from 'node:test';
import {
  call, DB, launchBrowser, mintToken, serverRecords, sleep, startServer, UnknownArgument, waitFor,
} from '../../testkit/harness.js';

const SECRET_ENV = 'IDBSYNC_CLIENT_TEST_JWT_SECRET';
const secret = crypto.randomBytes(32).toString('base64url'); // 43 bytes: HS256 wants at least 32
const run = Date.now().toString(36);

/** @type {Awaited<ReturnType<typeof startServer>> | undefined} */ let server;
/** @type {string | false} */ let skip = false;
try {
  server = await startServer({ args: ['--jwt-secret-env', SECRET_ENV], env: { [SECRET_ENV]: secret } });
  console.log(`run-local (auth on) ready in ${server.startMs} ms at ${server.url}`);
} catch (e) {
  if (!(e instanceof UnknownArgument) || e.argument !== '--jwt-secret-env') throw e;
  skip = 'this run-local has no --jwt-secret-env yet (the server side of issue 12): the auth browser tests are skipped';
  console.log(skip);
}
const base = server?.url ?? '';
/** @type {import('playwright-core').Browser | undefined} */
const browser = skip ? undefined : await launchBrowser();

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A token the server takes (sub alice, read and write on notes-app). @param {Record<string, any>} [claims] */
const token = (claims = {}) => mintToken(secret, claims);

/** GET /v1/changes with this token: its status. @param {string} t */
async function statusWith(t) {
  const res = await fetch(`${base}/v1/changes?db=${DB}&limit=1`, { headers: { Authorization: `Bearer ${t}` } });
  await res.arrayBuffer();
  return res.status;
}

/**
 * Opens the demo page (for the origin) and the library on it as window.lib with getToken, which
 * gives window.token; when window.renewTo is set, the call after the next gives that one (the
 * app's token cache learns of an expiry one call late, as one going by its own clock does).
 * window.requests logs every request the library makes: [method, path, status, token] (those
 * with a token: the demo page's own client, which has none, is left out).
 * @param {import('playwright-core').BrowserContext} context @param {object} opts openSync's options
 * @param {string} first the token getToken gives at first
 */
async function openWithToken(context, opts, first) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(base + '/');
  await page.evaluate(async ([opts, first]) => {
    const w = /** @type {any} */ (window);
    const { openSync } = await import('/client/idbsync.js');
    w.token = first;
    w.renewTo = null;
    w.tokenCalls = 0;
    w.requests = [];
    w.events = [];
    w.hold = null; // an async function the fetch below awaits once after the first accepted push
    const realFetch = window.fetch.bind(window);
    window.fetch = async (input, init) => {
      const res = await realFetch(input, init);
      const auth = new Headers(init?.headers).get('Authorization');
      const url = new URL(String(input), location.href);
      if (url.pathname.startsWith('/v1/') && auth != null) { // not the demo page's own client, which sends no token
        w.requests.push([init?.method ?? 'GET', url.pathname, res.status, auth?.replace(/^Bearer /, '') ?? null]);
        if (w.hold && init?.method === 'POST' && res.status === 200) {
          const hold = w.hold;
          w.hold = null;
          await hold();
        }
      }
      return res;
    };
    const plain = (/** @type {any} */ v) => JSON.parse(JSON.stringify(v ?? null, (_k, x) =>
      x instanceof Error ? { name: x.name, message: x.message, ...x } : x));
    w.lib = await openSync({
      ...opts,
      getToken: async () => {
        w.tokenCalls++;
        const t = w.token;
        if (w.renewTo) { w.token = w.renewTo; w.renewTo = null; }
        return t;
      },
    });
    for (const type of ['conflict', 'rejected', 'change', 'synced', 'error', 'auth']) {
      w.lib.addEventListener(type, (/** @type {CustomEvent} */ e) => w.events.push({ type, detail: plain(e.detail) }));
    }
  }, /** @type {[any, string]} */ ([{ db: DB, stores: ['notes'], ...opts }, first]));
  return page;
}

/** @param {import('playwright-core').Page} page @param {string} expr */
const read = (page, expr) => page.evaluate((expr) => globalThis.eval(expr), expr);

/** The server's notes of these keys: [key, version, title]. @param {string} t @param {string[]} keys */
async function onServer(t, keys) {
  const records = await serverRecords(base, t);
  return keys.map((k) => {
    const r = records.get(JSON.stringify(['notes', k]));
    return r ? [k, r.version, r.value?.title] : [k, null, null];
  });
}

test('a token that expires in the middle of a sync is renewed and the push sent again: nothing lost or doubled',
  { skip, timeout: 240_000 }, async () => {
    const context = await /** @type {import('playwright-core').Browser} */ (browser).newContext();
    const a = token({ exp: Math.floor(Date.now() / 1000) + 2 }); // expires now, but for the server's clock leeway
    const b = token();
    assert.equal(await statusWith(a), 200, 'the server takes the first token for now');
    const page = await openWithToken(context, { idbName: `auth-expiry-${run}`, auto: false, batchSize: 2, requestTimeoutMs: 200_000 }, a);
    const keys = [1, 2, 3, 4, 5, 6].map((i) => `expiry-${run}-${i}`);
    for (const [i, k] of keys.entries()) await call(page, 'put', 'notes', k, { title: `note ${i + 1}` });

    // After the first push is answered, hold the sync until the server refuses the first token;
    // then the app's token cache gives it once more (a 401) and the new one after.
    await page.exposeFunction('untilRefused', async () => {
      await waitFor(async () => (await statusWith(a)) === 401, { timeout: 150_000, interval: 1000, what: 'the first token to expire' });
    });
    await page.evaluate((b) => {
      const w = /** @type {any} */ (window);
      w.hold = async () => { await w.untilRefused(); w.renewTo = b; };
    }, b);
    const r = await call(page, 'sync');
    assert.deepEqual([r.ok, r.pushed, r.pending], [true, 6, 0], JSON.stringify(r));
    const requests = await read(page, 'window.requests');
    assert.deepEqual(requests.map((/** @type {any[]} */ [m, p, s, t]) => [m, p, s, t === a ? 'A' : t === b ? 'B' : t]), [
      ['POST', '/v1/sync', 200, 'A'], // seqs 1-2
      ['POST', '/v1/sync', 401, 'A'], // seqs 3-4: the token has expired meanwhile
      ['POST', '/v1/sync', 200, 'B'], // seqs 3-4 again, with the renewed token
      ['POST', '/v1/sync', 200, 'B'], // seqs 5-6
      ['GET', '/v1/changes', 200, 'B'],
    ]);
    assert.equal(await read(page, 'window.tokenCalls'), 5);
    const events = await read(page, 'window.events');
    assert.deepEqual(events.filter((/** @type {any} */ e) => e.type === 'auth' || e.type === 'error'), []);
    // each note once, at version 1: a change applied twice would have made version 2
    assert.deepEqual(await onServer(b, keys), keys.map((k, i) => [k, 1, `note ${i + 1}`]));
    assert.deepEqual((await call(page, 'all', 'notes')).filter((/** @type {any} */ e) => keys.includes(e.key)).map((/** @type {any} */ e) => [e.key, e.version, e.pending]),
      keys.map((k) => [k, 1, false]));
    await context.close();
  });

test('a token refused twice stops syncing with the outbox kept; a good token then delivers it once, in order',
  { skip, timeout: 120_000 }, async () => {
    const context = await /** @type {import('playwright-core').Browser} */ (browser).newContext();
    const forged = mintToken('another secret, not the server one!', {});
    const page = await openWithToken(context, { idbName: `auth-refused-${run}`, auto: true, pushIntervalMs: 200, pullIntervalMs: 300, maxBackoffMs: 200 }, forged);
    const keys = [1, 2, 3].map((i) => `refused-${run}-${i}`);
    for (const [i, k] of keys.entries()) await call(page, 'put', 'notes', k, { title: `note ${i + 1}` });
    await waitFor(async () => (await read(page, 'window.events')).some((/** @type {any} */ e) => e.type === 'auth'), { what: 'the auth event' });
    const [auth] = (await read(page, 'window.events')).filter((/** @type {any} */ e) => e.type === 'auth');
    assert.deepEqual([auth.detail.status, auth.detail.code], [401, 'unauthorized']);
    const refusedRequests = (await read(page, 'window.requests')).length;
    assert.equal(refusedRequests, 2, 'the request and its one resend');

    // stopped: a write, the intervals and going online again send nothing
    await call(page, 'put', 'notes', `refused-${run}-4`, { title: 'note 4' });
    keys.push(`refused-${run}-4`);
    await context.setOffline(true);
    await context.setOffline(false);
    await sleep(1500);
    assert.equal((await read(page, 'window.requests')).length, refusedRequests, 'no request while stopped');
    assert.deepEqual((await call(page, 'outbox')).map((/** @type {any} */ c) => [c.seq, c.key]), keys.map((k, i) => [i + 1, k]));

    const good = token();
    await page.evaluate((t) => { /** @type {any} */ (window).token = t; }, good);
    await waitFor(async () => (await call(page, 'pending')) === 0, { what: 'the outbox to go out with the good token' });
    const pushes = (await read(page, 'window.requests')).slice(refusedRequests).filter((/** @type {any[]} */ q) => q[0] === 'POST');
    assert.deepEqual(pushes.map((/** @type {any[]} */ q) => [q[2], q[3] === good]), [[200, true]], 'one push, with the good token');
    assert.deepEqual(await onServer(good, keys), keys.map((k, i) => [k, 1, `note ${i + 1}`]));
    const records = await serverRecords(base, good);
    const seqs = keys.map((k) => records.get(JSON.stringify(['notes', k]))?.seq);
    if (seqs.every((s) => s != null)) assert.deepEqual(seqs, [1, 2, 3, 4], 'applied in order');
    await context.close();
  });

test('the demo page with auth on: asks for a token, syncs once one is pasted in, or given as ?token=',
  { skip, timeout: 120_000 }, async () => {
    const b = /** @type {import('playwright-core').Browser} */ (browser);
    const title = `demo with a token ${run}`;
    const ctxA = await b.newContext();
    const a = await ctxA.newPage();
    a.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await a.goto(base + '/');
    await a.locator('#auth-box').waitFor({ state: 'visible' }); // the server refused the page's first requests
    await a.fill('#new-title', title);
    await a.press('#new-title', 'Enter');
    const noteA = a.locator('#notes li').filter({ has: a.locator('.title', { hasText: title }) });
    await noteA.locator('.meta.unsynced').waitFor();
    await a.locator('#pending', { hasText: /^1 pending$/ }).waitFor();
    await a.fill('#token', token());
    await a.click('#use-token');
    await noteA.locator('.meta', { hasText: /^v1$/ }).waitFor();
    await a.locator('#pending', { hasText: /^0 pending$/ }).waitFor();
    assert.equal(await a.locator('#auth-box').isHidden(), true);

    // another browser, another user with the read grant, the token in the address
    const ctxB = await b.newContext();
    const p = await ctxB.newPage();
    p.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
    await p.goto(`${base}/?token=${encodeURIComponent(token({ sub: 'bob' }))}`);
    await p.locator('#notes li .title', { hasText: title }).waitFor();
    assert.ok(!p.url().includes('token='), 'the token is taken out of the address bar');
    assert.equal(await p.locator('#auth-box').isHidden(), true);
    await Promise.all([ctxA.close(), ctxB.close()]);
  });
