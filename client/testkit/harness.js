// Shared by the browser tests (test/*.test.js): a real ./run-local server, headless Chromium,
// and helpers that drive the library inside a page. Not a test file itself (node --test runs
// every .js under test/).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CLIENT_DIR = path.resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO_ROOT = path.resolve(CLIENT_DIR, '..');
export const OUT_DIR = path.join(CLIENT_DIR, 'test', 'out');
export const DB = 'notes-app';

const READY_TIMEOUT_MS = 180_000;
const children = new Set();
/** Data dirs the harness made: emptied when the test process ends (Ignite leaves ~650 MB a start), but for run-local's output. */
const madeDirs = new Set();
process.on('exit', () => {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  for (const dir of madeDirs) {
    try {
      for (const name of fs.readdirSync(dir)) {
        if (!name.endsWith('.out')) fs.rmSync(path.join(dir, name), { recursive: true, force: true });
      }
    } catch { /* gone already */ }
  }
});

/** @returns {Promise<number>} a port that was free a moment ago */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = /** @type {net.AddressInfo} */ (s.address());
      s.close(() => resolve(port));
    });
  });
}

/**
 * @typedef {object} ServerOptions
 * @property {number} [port]
 * @property {string} [dataDir]
 * @property {string[]} [args] more arguments for run-local, e.g. ['--jwt-secret-env', 'NAME']
 * @property {Record<string, string>} [env] more environment variables for it
 */

/**
 * Starts ../run-local and waits for "ready on http://127.0.0.1:PORT". A start-up that fails at
 * once (e.g. a port taken by another local run between its check and its bind) is tried again,
 * unless run-local refused one of its arguments (UnknownArgument: a server without that option).
 * @param {ServerOptions} [opts]
 * @returns {Promise<Server>}
 */
export async function startServer(opts = {}) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startServerOnce(opts);
    } catch (e) {
      if (attempt >= 3 || !(e instanceof EarlyExit) || e instanceof UnknownArgument) throw e;
      console.log(`run-local failed to start (attempt ${attempt}), trying again: ${e.message.split('\n').find((l) => /error|failed/i.test(l)) ?? ''}`);
      await sleep(2000);
    }
  }
}

class EarlyExit extends Error {}

/** run-local exited at once because it does not know one of the arguments it was given. */
export class UnknownArgument extends EarlyExit {
  /** @param {string} message @param {string} argument */
  constructor(message, argument) {
    super(message);
    /** The argument it refused. */ this.argument = argument;
  }
}

/**
 * @typedef {{url: string, port: number, dataDir: string, logFile: string, startMs: number, stop: () => Promise<void>}} Server
 * @param {ServerOptions} opts
 * @returns {Promise<Server>}
 */
async function startServerOnce(opts) {
  const port = opts.port ?? await freePort();
  const ignitePort = await freePort();
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'idbsync-client-test-'));
  if (opts.dataDir == null) madeDirs.add(dataDir);
  const logFile = path.join(dataDir, `run-local-${Date.now()}.out`);
  const log = fs.createWriteStream(logFile);
  const started = Date.now();
  // IDBSYNC_RUN_LOCAL: another command that takes run-local's options (default: the repo's ./run-local)
  const command = process.env.IDBSYNC_RUN_LOCAL || path.join(REPO_ROOT, 'run-local');
  const child = spawn(command,
    ['--port', String(port), '--ignite-port', String(ignitePort), '--data-dir', dataDir, ...(opts.args ?? [])],
    { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...(opts.env ?? {}) } });
  children.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    children.delete(child);
    resolve({ code, signal });
  }));
  let tail = '';
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`./run-local printed no "ready on" line within ${READY_TIMEOUT_MS / 1000} s; output:\n${tail}`));
    }, READY_TIMEOUT_MS);
    let buffered = '';
    const onData = (/** @type {Buffer} */ chunk) => {
      const text = chunk.toString();
      log.write(text);
      tail = (tail + text).slice(-4000);
      buffered += text;
      const m = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(buffered);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      const message = `./run-local exited (${code ?? signal}) before it was ready; output:\n${tail}`;
      const unknown = /unknown argument:? (\S+)/i.exec(tail);
      reject(unknown ? new UnknownArgument(message, unknown[1]) : new EarlyExit(message));
    });
  });
  const startMs = Date.now() - started;
  return {
    url, port, dataDir, logFile, startMs,
    /** Stops it with SIGTERM and waits for the process to end. */
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      await exited;
      clearTimeout(killer);
      log.end();
    },
  };
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

/**
 * Opens the demo page (same origin as the server) and the library on top of it as window.lib,
 * with every event it fires recorded in window.events.
 * @param {import('playwright-core').BrowserContext} context
 * @param {string} base
 * @param {object} opts openSync's options
 */
export async function openClient(context, base, opts) {
  const page = await context.newPage();
  page.on('pageerror', (e) => console.error(`[page error] ${e.message}`));
  if (process.env.DEBUG_PAGES) page.on('console', (m) => console.log(`[page] ${m.text()}`));
  await page.goto(base + '/');
  await attach(page, opts);
  return page;
}

/** (Re)opens the library in a loaded page. @param {import('playwright-core').Page} page @param {object} opts */
export async function attach(page, opts) {
  await page.evaluate(async (opts) => {
    const { openSync } = await import('/client/idbsync.js');
    const w = /** @type {any} */ (window);
    w.events = [];
    const plain = (/** @type {any} */ v) => JSON.parse(JSON.stringify(v ?? null, (_k, x) =>
      x instanceof Error ? { name: x.name, message: x.message, ...x } : x));
    w.lib = await openSync(opts);
    for (const type of ['conflict', 'rejected', 'change', 'synced', 'error', 'renumbered']) {
      w.lib.addEventListener(type, (/** @type {CustomEvent} */ e) => w.events.push({ type, at: Date.now(), detail: plain(e.detail) }));
    }
  }, { db: DB, stores: ['notes'], ...opts });
}

/** Calls a method of window.lib in the page. @param {import('playwright-core').Page} page @param {string} method @param {...any} args */
export function call(page, method, ...args) {
  return page.evaluate(async ([method, args]) => {
    const r = await /** @type {any} */ (window).lib[method](...args);
    return JSON.parse(JSON.stringify(r ?? null, (_k, x) => (x instanceof Error ? { name: x.name, message: x.message, ...x } : x)));
  }, /** @type {[string, any[]]} */ ([method, args]));
}

/** The events window.lib fired, optionally of one type. @param {import('playwright-core').Page} page @param {string} [type] */
export async function events(page, type) {
  const all = await page.evaluate(() => /** @type {any} */ (window).events);
  return type ? all.filter((/** @type {any} */ e) => e.type === type) : all;
}

/** sync() that must succeed. @param {import('playwright-core').Page} page */
export async function syncOk(page) {
  const r = await call(page, 'sync');
  if (!r.ok) throw new Error('sync() failed: ' + JSON.stringify(r));
  return r;
}

/**
 * Waits until fn() returns something truthy.
 * @template T @param {() => Promise<T>|T} fn @param {{timeout?: number, interval?: number, what?: string}} [o]
 * @returns {Promise<T>}
 */
export async function waitFor(fn, { timeout = 20_000, interval = 100, what = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(interval);
  }
}

/** @param {number} ms */
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * A development JWT for a server started with --jwt-secret-env: HS256 over `secret` (PROTOCOL.md,
 * "Authentication and scoping"), with `sub`, `scope` and `exp` (default: an hour from now).
 * @param {string} secret @param {{sub?: string, scope?: string, exp?: number, [claim: string]: any}} [claims]
 */
export function mintToken(secret, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  const b64 = (/** @type {any} */ o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', scope: `${DB}:read ${DB}:write`, iat: now, exp: now + 3600, ...claims })}`;
  return `${body}.${crypto.createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/**
 * The server's view, read with GET /v1/changes from the beginning: the latest change per record.
 * @param {string} base @param {string} [token] a bearer token, for a server with auth on
 * @returns {Promise<Map<string, any>>} by JSON.stringify([store, key])
 */
export async function serverRecords(base, token) {
  const records = new Map();
  let since = null;
  for (let i = 0; i < 1000; i++) {
    const q = new URLSearchParams({ db: DB, limit: '1000' });
    if (since != null) q.set('since', since);
    const res = await fetch(`${base}/v1/changes?${q}`, token ? { headers: { Authorization: `Bearer ${token}` } } : {});
    const body = await res.json();
    if (res.status !== 200) throw new Error(`GET /v1/changes answered ${res.status}: ${JSON.stringify(body)}`);
    for (const c of body.changes) {
      const rid = JSON.stringify([c.store, c.key]);
      const prev = records.get(rid);
      if (!prev || prev.version < c.version) records.set(rid, c);
    }
    since = body.cursor;
    if (!body.hasMore) return records;
  }
  throw new Error('GET /v1/changes kept answering hasMore');
}

/** @param {string} base @param {any} key @param {string} [store] */
export async function serverRecord(base, key, store = 'notes') {
  return (await serverRecords(base)).get(JSON.stringify([store, key]));
}
