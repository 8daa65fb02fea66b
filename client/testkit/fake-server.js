// An in-memory idbsync server for the Node tests (test/node/): enough of PROTOCOL.md's push and
// pull for the library (seqs, duplicate, out_of_order, lww and server-wins conflicts, a schema
// rule, unknown_version, a paged change feed with opaque cursors), plus scripted failures and,
// when given tokens, PROTOCOL.md's bearer tokens (401 with WWW-Authenticate, 403) and 429s.
// Reachable two ways: transport() for openSync's `transport` option, and fetch for the
// library's default fetch transport (installed as globalThis.fetch).

/**
 * @typedef {{status: number, body?: any, headers?: Record<string, string>}} FakeAnswer
 * What a scripted step does instead of the server: an answer, 'network' (the request fails as
 * fetch fails on a dropped connection), or a function of the request that returns either, or
 * undefined to let the server answer.
 * @typedef {FakeAnswer | 'network' | ((req: FakeRequest) => FakeAnswer | 'network' | undefined | Promise<FakeAnswer | 'network' | undefined>)} Step
 * @typedef {({kind: 'push', body: any} | {kind: 'pull', query: {db: string, since?: string, limit: number}}) & {token?: string | null, headers?: Record<string, string>, at?: number}} FakeRequest
 *   `token`: the bearer token the request carried (null: none); `at`: when it came (Date.now()).
 */

const SCHEMA_ERROR = { code: 'schema', path: '/value/title', message: "required property 'title' is missing" };

export class FakeServer {
  /**
   * @param {{db?: string, stores?: Record<string, string>, tokens?: string[]}} [opts] stores:
   *   name → policy ('lww' or 'server-wins'); default one store "notes" with lww, as
   *   conf/local.yaml. tokens: auth is on, and these bearer tokens are accepted (see allow,
   *   revoke, forbid); without: auth is off and any token is ignored.
   */
  constructor(opts = {}) {
    this.db = opts.db ?? 'notes-app';
    /** The accepted tokens; null: auth is off. @type {Set<string>|null} */
    this.tokens = opts.tokens ? new Set(opts.tokens) : null;
    /** Accepted tokens without the grant (answered 403). @type {Set<string>} */
    this.forbidden = new Set();
    /** The next requests answered 429: how many, and their Retry-After in seconds. */
    this.limited = { count: 0, retryAfter: 1 };
    /** @type {Record<string, string>} */ this.policies = opts.stores ?? { notes: 'lww' };
    /** @type {Map<string, {store: string, key: any, op: string, value?: any, version: number, ts: number, clientId: string, writers: Map<string, number>}>} */
    this.records = new Map();
    /** @type {any[]} the change feed, oldest first; a cursor is "c<index>" */
    this.feed = [];
    /** Feed entries before this index were removed by retention ({@link FakeServer#expire}): older cursors get 410. */
    this.trimmed = 0;
    /** The highest version of a removed tombstone: a record that is not there counts as at this version. */
    this.floor = 0;
    /** @type {Map<string, {nextSeq: number, outcomes: Map<number, any>}>} */
    this.clients = new Map();
    /** @type {FakeRequest[]} every request, as the server saw it */
    this.requests = [];
    /** @type {{push: Step[], pull: Step[]}} */
    this.steps = { push: [], pull: [] };
    /** Answers fetch's requests, as globalThis.fetch. */
    this.fetch = this.fetch.bind(this);
  }

  /** The next requests of that kind get these steps, one each, before the server answers again. @param {'push'|'pull'} kind @param {...Step} steps */
  script(kind, ...steps) {
    this.steps[kind].push(...steps);
  }

  /** @param {'push'|'pull'} kind */
  requestsOf(kind) {
    return this.requests.filter((r) => r.kind === kind);
  }

  /** Accepts these tokens (turns auth on). @param {...string} tokens */
  allow(...tokens) {
    this.tokens ??= new Set();
    for (const t of tokens) this.tokens.add(t);
  }

  /** Refuses these tokens from now on (401, as an expired token). @param {...string} tokens */
  revoke(...tokens) {
    for (const t of tokens) this.tokens?.delete(t);
  }

  /** Answers these (accepted) tokens 403, as a token without the grant. @param {...string} tokens */
  forbid(...tokens) {
    for (const t of tokens) this.forbidden.add(t);
  }

  /** Answers the next `count` requests 429 rate_limited with Retry-After. @param {number} count @param {number} [retryAfter] seconds */
  rateLimit(count, retryAfter = 1) {
    this.limited = { count, retryAfter };
  }

  /** openSync's `transport` option over this server. */
  transport() {
    return {
      /** @param {any} body @param {string} [_json] @param {{token: string|null}} [auth] */
      push: (body, _json, auth) => this.answer({ kind: 'push', body: structuredClone(body), token: auth?.token ?? null }),
      /** @param {{db: string, since?: string, limit: number}} query @param {{token: string|null}} [auth] */
      pull: (query, auth) => this.answer({ kind: 'pull', query: { ...query }, token: auth?.token ?? null }),
    };
  }

  /**
   * fetch() as the library's default transport uses it, over this server.
   * @param {string | URL | Request} input @param {RequestInit} [init]
   */
  async fetch(input, init = {}) {
    const url = new URL(String(input), 'http://fake.test');
    /** @type {FakeRequest} */
    let req;
    if (init.method === 'POST' && url.pathname === '/v1/sync') {
      req = { kind: 'push', body: JSON.parse(String(init.body)) };
    } else if ((init.method ?? 'GET') === 'GET' && url.pathname === '/v1/changes') {
      const p = url.searchParams;
      req = { kind: 'pull', query: { db: String(p.get('db')), limit: Number(p.get('limit') ?? 500) } };
      if (p.has('since')) req.query.since = String(p.get('since'));
    } else {
      return new Response(JSON.stringify({ error: { code: 'not_found', message: url.pathname } }), { status: 404 });
    }
    req.headers = Object.fromEntries(new Headers(init.headers).entries());
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    req.token = bearer ? bearer[1] : null;
    const a = await this.answer(req);
    return new Response(a.body === undefined ? '' : JSON.stringify(a.body), { status: a.status, headers: a.headers });
  }

  /** @param {FakeRequest} req @returns {Promise<{status: number, body: any, headers: Headers}>} */
  async answer(req) {
    req.at = Date.now();
    this.requests.push(req);
    const refused = this.authorize(req);
    if (refused) return { status: refused.status, body: refused.body, headers: new Headers(refused.headers ?? {}) };
    const step = this.steps[req.kind].shift();
    let a = typeof step === 'function' ? await step(req) : step;
    if (a === 'network') throw new TypeError('fetch failed');
    a ??= req.kind === 'push' ? this.push(req.body) : this.pull(req.query);
    return { status: a.status, body: a.body, headers: new Headers(a.headers ?? {}) };
  }

  /**
   * What PROTOCOL.md's "Authentication and scoping" answers before the request is handled:
   * 401 (no or an unknown token), 403 (no grant), 429 (rate limited), or undefined to go on.
   * @param {FakeRequest} req @returns {FakeAnswer|undefined}
   */
  authorize(req) {
    if (this.tokens) {
      const token = req.token ?? null;
      if (token == null || !this.tokens.has(token)) {
        const challenge = token == null ? 'Bearer realm="idbsync"' : 'Bearer realm="idbsync", error="invalid_token"';
        return error(401, 'unauthorized', token == null ? 'a bearer token is required' : 'the token is expired or invalid', { 'WWW-Authenticate': challenge });
      }
      if (this.forbidden.has(token)) return error(403, 'forbidden', `the token does not grant ${this.db}:${req.kind === 'push' ? 'write' : 'read'}`);
    }
    if (this.limited.count > 0) {
      this.limited.count--;
      return error(429, 'rate_limited', 'too many requests', { 'Retry-After': String(this.limited.retryAfter) });
    }
    return undefined;
  }

  /** @param {any} body @returns {FakeAnswer} */
  push(body) {
    if (body?.db !== this.db || typeof body.clientId !== 'string' || !Array.isArray(body.changes) || body.changes.length === 0) {
      return error(400, 'bad_request', 'db, clientId and changes are required');
    }
    const skew = Date.now() - body.sentAt;
    let client = this.clients.get(body.clientId);
    if (!client) this.clients.set(body.clientId, client = { nextSeq: 1, outcomes: new Map() });
    const results = [];
    let stopped = false;
    for (const c of body.changes) {
      if (stopped || c.seq > client.nextSeq) {
        stopped = true;
        results.push({ seq: c.seq, status: 'out_of_order', expectedSeq: client.nextSeq });
      } else if (c.seq < client.nextSeq) {
        const first = client.outcomes.get(c.seq);
        results.push({ ...first, seq: c.seq, status: 'duplicate', first: first.status });
      } else {
        const r = this.decide(body.clientId, c, c.ts + skew);
        client.outcomes.set(c.seq, r);
        client.nextSeq++;
        results.push(r);
      }
    }
    return { status: 200, body: { results } };
  }

  /** @param {string} clientId @param {any} c @param {number} ts the skew-corrected time */
  decide(clientId, c, ts) {
    const policy = this.policies[c.store];
    if (!policy) return { seq: c.seq, status: 'rejected', error: { code: 'unknown_store', message: `no store ${c.store}` } };
    if (c.op === 'put' && (typeof c.value?.title !== 'string' || c.value.title.length === 0)) {
      return { seq: c.seq, status: 'rejected', error: SCHEMA_ERROR };
    }
    const rid = JSON.stringify([c.store, c.key]);
    const rec = this.records.get(rid);
    const current = rec?.version ?? this.floor;
    if (c.baseVersion > current) {
      return { seq: c.seq, status: 'rejected', error: { code: 'unknown_version', message: `no version ${c.baseVersion}` } };
    }
    const conflicting = rec && [...rec.writers].some(([id, v]) => id !== clientId && v > c.baseVersion);
    if (rec && conflicting) {
      const wins = policy === 'lww' && (ts > rec.ts || (ts === rec.ts && clientId > rec.clientId));
      if (!wins) {
        const r = { seq: c.seq, status: 'conflict', version: rec.version, policy };
        return rec.op === 'put' ? { ...r, value: rec.value } : r;
      }
    }
    const version = current + 1;
    const next = { store: c.store, key: c.key, op: c.op, version, ts, clientId, writers: new Map(rec?.writers ?? []) };
    if (c.op === 'put') /** @type {any} */ (next).value = c.value;
    next.writers.set(clientId, version);
    this.records.set(rid, next);
    const change = { store: c.store, key: c.key, op: c.op, version, clientId, seq: c.seq };
    this.feed.push(c.op === 'put' ? { ...change, value: c.value } : change);
    return { seq: c.seq, status: 'applied', version };
  }

  /** A write by another client, straight into the server's state. @param {string} clientId @param {any} change {store, key, op, value?, ts?} */
  write(clientId, change) {
    let client = this.clients.get(clientId);
    if (!client) this.clients.set(clientId, client = { nextSeq: 1, outcomes: new Map() });
    const rec = this.records.get(JSON.stringify([change.store, change.key]));
    const c = { baseVersion: rec?.version ?? 0, ...change, seq: client.nextSeq++ };
    return this.decide(clientId, c, change.ts ?? Date.now());
  }

  /** @param {{db: string, since?: string, limit: number}} q @returns {FakeAnswer} */
  pull(q) {
    if (q.db !== this.db) return error(400, 'bad_request', 'unknown db');
    let from = 0;
    if (q.since != null) {
      const m = /^c(\d+)$/.exec(q.since);
      if (!m || Number(m[1]) > this.feed.length) return error(400, 'bad_cursor', `cannot read cursor ${q.since}`);
      from = Number(m[1]);
      if (from < this.trimmed) return error(410, 'resync', `the feed before ${q.since} is no longer kept; pull again without since`);
    } else {
      from = this.trimmed;
    }
    const limit = Math.min(q.limit || 500, 1000);
    const changes = this.feed.slice(from, from + limit).map((c) => structuredClone(c));
    const to = from + changes.length;
    return { status: 200, body: { changes, cursor: 'c' + to, hasMore: to < this.feed.length } };
  }

  /**
   * Retention, as the server does it once everything so far is past its horizon: the feed so far
   * is removed (older cursors get 410 resync), each record's current version is appended again,
   * and tombstones too unless `dropTombstones` (then those records are gone, and a key written
   * again gets a version above the ones it had).
   * @param {{dropTombstones?: boolean}} [opts]
   */
  expire({ dropTombstones = false } = {}) {
    const end = this.feed.length;
    for (const [rid, r] of [...this.records]) {
      if (r.op === 'delete' && dropTombstones) {
        this.records.delete(rid);
        this.floor = Math.max(this.floor, r.version);
        continue;
      }
      const change = { store: r.store, key: r.key, op: r.op, version: r.version, clientId: r.clientId, seq: 0 };
      this.feed.push(r.op === 'put' ? { ...change, value: structuredClone(r.value) } : change);
    }
    for (let i = 0; i < end; i++) this.feed[i] = null;
    this.trimmed = end;
  }

  /** The server's record, or undefined. @param {any} key @param {string} [store] */
  record(key, store = 'notes') {
    const r = this.records.get(JSON.stringify([store, key]));
    return r && { op: r.op, value: r.value, version: r.version, clientId: r.clientId };
  }
}

/** @param {number} status @param {string} code @param {string} message @param {Record<string, string>} [headers] @returns {FakeAnswer} */
export function error(status, code, message, headers) {
  return { status, body: { error: { code, message } }, headers };
}
