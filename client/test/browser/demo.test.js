// The demo page at GET /, used as a person would: add, tick, edit offline, a rejected note, and a
// conflict between two browsers. Screenshots go to test/out/.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchBrowser, OUT_DIR, serverRecords, sleep, startServer } from '../../testkit/harness.js';

/** @type {Awaited<ReturnType<typeof startServer>>} */ let server;
/** @type {import('playwright-core').Browser} */ let browser;

before(async () => {
  browser = await launchBrowser();
  server = await startServer();
  console.log(`run-local ready in ${server.startMs} ms at ${server.url}`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** @param {import('playwright-core').BrowserContext} ctx */
async function openDemo(ctx) {
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  await page.goto(server.url + '/');
  await page.waitForFunction(() => document.getElementById('client-id')?.textContent?.startsWith('c-'));
  return page;
}

/** @param {import('playwright-core').Page} page @param {string} title */
const note = (page, title) => page.locator('#notes li').filter({ has: page.locator('.title', { hasText: title }) });

/** @param {import('playwright-core').Page} page @param {string} title */
async function addNote(page, title) {
  await page.fill('#new-title', title);
  await page.press('#new-title', 'Enter');
}

/** @param {import('playwright-core').Page} page @param {string} from @param {string} to */
async function editTitle(page, from, to) {
  await note(page, from).locator('.title').click();
  const input = page.locator('#notes li input.edit');
  await input.fill(to);
  await input.press('Enter');
}

test('the demo page: add, tick, edit offline, a rejected note, and a conflict between two browsers', { timeout: 120_000 }, async () => {
  const ctxA = await browser.newContext({ viewport: { width: 820, height: 600 } });
  const a = await openDemo(ctxA);
  await a.waitForSelector('#notes li.empty');

  await addNote(a, 'Buy milk');
  await addNote(a, 'Call the plumber');
  await note(a, 'Call the plumber').locator('input.toggle').check();
  await note(a, 'Buy milk').locator('.meta', { hasText: /^v1$/ }).waitFor();
  await note(a, 'Call the plumber').locator('.meta', { hasText: /^v2$/ }).waitFor();
  await a.locator('#pending', { hasText: /^0 pending$/ }).waitFor();
  await a.locator('#last-sync', { hasText: /^last sync / }).waitFor();
  let records = [...(await serverRecords(server.url)).values()];
  assert.ok(records.some((r) => r.value?.title === 'Buy milk' && r.version === 1), 'the server has the note');
  assert.ok(records.some((r) => r.value?.title === 'Call the plumber' && r.value.done === true && r.version === 2));

  // Offline: the edit stays local and shows as pending, then syncs when the browser is back online.
  await ctxA.setOffline(true);
  await a.locator('#net', { hasText: 'offline' }).waitFor();
  await addNote(a, 'Written offline');
  await note(a, 'Written offline').locator('.meta.unsynced', { hasText: 'not synced' }).waitFor();
  await a.locator('#pending', { hasText: /^1 pending$/ }).waitFor();
  await a.screenshot({ path: path.join(OUT_DIR, 'demo-offline.png') });
  await ctxA.setOffline(false);
  await note(a, 'Written offline').locator('.meta', { hasText: /^v1$/ }).waitFor();
  await a.locator('#pending', { hasText: /^0 pending$/ }).waitFor();

  // An empty title breaks the store's schema: the change is shown as rejected.
  await addNote(a, '');
  await a.locator('#rejected li', { hasText: 'schema /value/title' }).waitFor();
  assert.match(await a.locator('#rejected li').first().innerText(), /^“\(no title\)”: schema \/value\/title \S/);

  // A second browser gets the notes by pull; both edit "Buy milk", B offline and earlier.
  const ctxB = await browser.newContext({ viewport: { width: 820, height: 600 } });
  const b = await openDemo(ctxB);
  await note(b, 'Buy milk').waitFor();
  await ctxB.setOffline(true);
  await b.locator('#net', { hasText: 'offline' }).waitFor();
  await editTitle(b, 'Buy milk', 'Buy oat milk (B, offline)');
  await note(b, 'Buy oat milk (B, offline)').locator('.meta.unsynced').waitFor();
  await sleep(300);
  await editTitle(a, 'Buy milk', 'Buy whole milk (A, later)');
  await note(a, 'Buy whole milk (A, later)').locator('.meta', { hasText: /^v2$/ }).waitFor();
  await ctxB.setOffline(false);
  await b.locator('#conflicts li', { hasText: 'lost to' }).waitFor();
  await note(b, 'Buy whole milk (A, later)').locator('.meta', { hasText: /^v2$/ }).waitFor();
  assert.equal(await note(b, 'Buy oat milk (B, offline)').count(), 0);
  assert.match(await b.locator('#conflicts li').first().innerText(), /“Buy oat milk \(B, offline\)” lost to “Buy whole milk \(A, later\)” \(version 2, lww\)/);
  await b.screenshot({ path: path.join(OUT_DIR, 'demo-conflict.png') });

  // Delete on B; A pulls it.
  await note(b, 'Written offline').locator('button.del').click();
  await a.locator('#notes li .title', { hasText: 'Written offline' }).waitFor({ state: 'detached', timeout: 15_000 });

  records = [...(await serverRecords(server.url)).values()];
  assert.ok(records.some((r) => r.value?.title === 'Buy whole milk (A, later)' && r.version === 2));
  assert.ok(records.some((r) => r.op === 'delete' && r.version === 2), 'the delete reached the server');
  await a.screenshot({ path: path.join(OUT_DIR, 'demo.png') });
  await Promise.all([ctxA.close(), ctxB.close()]);
});
