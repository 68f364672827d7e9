#!/usr/bin/env node
/**
 * plain-migrate benchmarks (not part of `npm test`).
 *
 *   npm run bench                 full sizes (about an hour and a quarter on 2 vCPUs)
 *   npm run bench -- --quick      small sizes, under two minutes
 *
 * Options: --only apply,ceiling,plan,replan   run some of them (default: all four)
 *          --only pull                         the pull benchmark (bench/pull.mjs; not in the default set):
 *                                              writes only its own section of RESULTS.md
 *          --pull-tickets N --pull-limit RPM   its size (default 20,000 / quick 2,000) and account limit (2,500)
 *          --only state                        the state-backend benchmark (bench/state.mjs; not in the default
 *                                              set): apply's rate and commits/s with SQLite and PostgreSQL at
 *                                              0, 2 and 4 ms; writes only its own section of RESULTS.md
 *          --state-threads N --state-limit RPM --state-seconds S   its apply size (default 1,800 / quick 200
 *                                              threads × 10 messages), limit (3,000) and seconds per commits run (10 / 3)
 *          --only connectors                   the live-connector benchmark (bench/connectors.mjs; not in the default
 *                                              set): requests per 1,000 tickets and rate ÷ limit of each built kind
 *          --connectors-tickets N --connectors-kinds a,b --connectors-parallel   its size (default 1,000 / quick
 *                                              200), kinds (all built) and whether they run at the same time
 *          --out FILE                          where to write the results (default bench/RESULTS.md)
 *          --apply-threads N --plan-tickets N --rss-tickets A,B,C --naive-budget-s S   override sizes
 *          --no-profile                        skip the CPU profiles of goals that are not met
 *          --keep                              keep the generated workspaces (printed at the end)
 *
 * Uses the built code (dist/, `npm run build` first) and the CLI bin/plain-migrate.js, each CLI run as a
 * child process measured with /usr/bin/time; the Plain emulator runs in this process, on loopback.
 * See bench/README.md for what each benchmark measures and how.
 */
import { distInfo } from './lib/dist.mjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emulatorSeed, generate, manifestText } from './generate.mjs';
import { HAS_TIME, killRunning, runMeasured } from './lib/proc.mjs';
import { profileMarkdown, summariseFile } from './profile.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/plain-migrate.js');
const NODE = process.execPath;

// ---------------------------------------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const value = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = flag('quick');
const MODE = QUICK ? 'quick' : 'full';
const ONLY = new Set((value('only') ?? 'apply,ceiling,plan,replan').split(','));
const OUT = resolve(value('out') ?? join(ROOT, 'bench/RESULTS.md'));
const PROFILE = !flag('no-profile');
const KEEP = flag('keep');

const SIZES = QUICK
  ? { applyThreads: 200, messages: 30, ceilingThreads: 200, planTickets: 1000, comments: 10, rssTickets: [250, 1000, 2500], naiveBudgetS: 4, profileTickets: 250 }
  : { applyThreads: 2000, messages: 30, ceilingThreads: 2000, planTickets: 100_000, comments: 10, rssTickets: [10_000, 100_000, 300_000], naiveBudgetS: 45, profileTickets: 5000 };
if (value('apply-threads')) SIZES.applyThreads = SIZES.ceilingThreads = Number(value('apply-threads'));
if (value('plan-tickets')) SIZES.planTickets = Number(value('plan-tickets'));
if (value('rss-tickets')) SIZES.rssTickets = value('rss-tickets').split(',').map(Number);
if (value('naive-budget-s')) SIZES.naiveBudgetS = Number(value('naive-budget-s'));

/** Limits of the apply-efficiency benchmark. */
const LIMIT_RPM = 6000;
const LATENCY_MS = 80;
/**
 * Requests in flight. 100 requests/s × 80 ms latency needs ≥ 8 in flight just to cover the latency;
 * 16 leaves room for the client's own time per request (serialising, hashing, committing state).
 */
const CONCURRENCY = 16;

// ------------------------------------------------------------------------------------------ utilities
const log = (s) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const s1 = (ms) => `${fmt(ms / 1000, 1)} s`;
const mb = (kb) => `${fmt(kb / 1024)} MB`;
const met = (ok) => (ok === undefined ? '—' : ok ? '**met**' : '**not met**');

if (!existsSync(join(ROOT, 'dist/cli/main.js'))) {
  process.stderr.write('dist/ is missing: run `npm run build` first\n');
  process.exit(1);
}
const { startPlainEmulator } = await import(pathToFileURL(join(ROOT, 'dist/emulators/plain/index.js')).href);

const WORK = mkdtempSync(join(os.tmpdir(), 'pm-bench-'));
const PROFILES = join(WORK, 'profiles');
mkdirSync(PROFILES);
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    killRunning();
    if (!KEEP) rmSync(WORK, { recursive: true, force: true });
    process.stderr.write(`\nbench: interrupted (${sig}); children ended${KEEP ? '' : ` and ${WORK} removed`}\n`);
    process.exit(130);
  });
}
const startedAt = new Date();
const loadStart = os.loadavg();

function cliEnv(endpoint) {
  return { ...process.env, PLAIN_API_KEY: 'bench-key', PLAIN_ENDPOINT: endpoint ?? 'http://127.0.0.1:9/graphql/v1', PLAIN_MIGRATE_HEARTBEAT_MS: '0', NO_COLOR: '1' };
}

/** Run the CLI with `args` in `dir`; `nodeFlags` go before the script (e.g. --cpu-prof). */
async function cli(dir, args, { endpoint, timeoutMs, nodeFlags = [] }) {
  const r = await runMeasured(NODE, [...nodeFlags, CLI, ...args], { cwd: dir, env: cliEnv(endpoint), timeoutMs });
  if (r.timedOut) throw new Error(`plain-migrate ${args.join(' ')} did not finish within ${timeoutMs / 1000} s`);
  if (r.code !== 0) throw new Error(`plain-migrate ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
  return r;
}

const PLAN_LINE = /Plan: ([\d,]+) threads to import \(([\d,]+) messages\), ([\d,]+) to update, ([\d,]+) to append \(([\d,]+) messages\), ([\d,]+) invalid, ([\d,]+) orphaned, ([\d,]+) unchanged\./;
function planLine(stdout) {
  const m = PLAN_LINE.exec(stdout);
  if (!m) throw new Error(`no plan summary line in:\n${stdout.slice(-1000)}`);
  const n = (i) => Number(m[i].replace(/,/g, ''));
  return { line: m[0], create: n(1), createMessages: n(2), update: n(3), append: n(4), appendMessages: n(5), invalid: n(6), orphaned: n(7), unchanged: n(8) };
}

async function workspace(name, tickets, comments, batching = {}) {
  const dir = join(WORK, name);
  const t0 = performance.now();
  const meta = await generate({ out: dir, tickets, comments, ...batching });
  log(`generated ${name}: ${fmt(tickets)} tickets × ${comments} comments (${mb((meta.bytes.comments + meta.bytes.tickets) / 1024)}) in ${s1(performance.now() - t0)}`);
  return { dir, meta, manifest: join(dir, 'plain-migrate.yaml') };
}

function dropWorkspace(ws) {
  if (!KEEP) rmSync(ws.dir, { recursive: true, force: true });
}

function resetState(ws) {
  rmSync(join(ws.dir, '.plain-migrate'), { recursive: true, force: true });
}

/** Figures from the emulator's request log. */
function requestFigures(entries) {
  const byOp = {};
  const byStatus = {};
  let first = Infinity;
  let last = -Infinity;
  let firstOk = Infinity;
  let lastOk = -Infinity;
  for (const e of entries) {
    const op = e.operationName ?? '(none)';
    byOp[op] ??= { sent: 0, ok: 0 };
    byOp[op].sent++;
    byStatus[e.status] = (byStatus[e.status] ?? 0) + 1;
    const t = Date.parse(e.at);
    first = Math.min(first, t);
    last = Math.max(last, t);
    if (e.status === 200) {
      byOp[op].ok++;
      firstOk = Math.min(firstOk, t);
      lastOk = Math.max(lastOk, t);
    }
  }
  const sent = entries.length;
  const ok = byStatus[200] ?? 0;
  const spanMs = last - first;
  // The achieved rate counts the requests the target accepted (200), between the first and the last of them.
  const okSpanMs = lastOk - firstOk;
  return { sent, ok, r429: byStatus[429] ?? 0, other: sent - ok - (byStatus[429] ?? 0), byOp, byStatus, first, last, spanMs, okSpanMs, rate: okSpanMs > 0 ? ((ok - 1) * 1000) / okSpanMs : NaN };
}

/** Bucket width for a sending period: about 10–30 buckets. */
function bucketWidth(spanMs) {
  return spanMs <= 30_000 ? 1000 : spanMs <= 300_000 ? 5000 : 10_000;
}

/** Requests per bucket from the first request: shows ramp-up, stalls and window effects. */
function buckets(entries, first, widthMs) {
  const b = [];
  for (const e of entries) {
    const i = Math.floor((Date.parse(e.at) - first) / widthMs);
    b[i] ??= { all: 0, r429: 0 };
    b[i].all++;
    if (e.status === 429) b[i].r429++;
  }
  return Array.from(b, (x) => x ?? { all: 0, r429: 0 });
}

function snapshotCounts(emu) {
  const snap = emu.snapshot();
  let messages = 0;
  for (const t of snap.threads) messages += (t.messages ?? []).length;
  return { threads: snap.threads.length, messages, customers: snap.customers.length };
}

/** Run the CLI under --cpu-prof; returns the profile file and when the process was spawned (epoch ms). */
async function profileRun(name, dir, args, endpoint, timeoutMs) {
  const pdir = join(PROFILES, name);
  mkdirSync(pdir, { recursive: true });
  const spawnedAt = Date.now();
  await cli(dir, args, { endpoint, timeoutMs, nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${pdir}`] });
  const file = readdirSync(pdir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`no .cpuprofile written for ${name}`);
  return { file: join(pdir, file), spawnedAt };
}

const AREA_WORDS = {
  turndown: '$htmlToMarkdown (turndown)',
  '@mixmark-io/domino': 'the HTML parser/DOM under turndown (domino)',
  jsonata: 'JSONata evaluation',
  '(garbage collector)': 'garbage collection',
  '(program)': 'V8/native work outside JS frames',
  '(idle)': 'idle (waiting for I/O or timers)',
  '(native / builtin)': 'builtins (JSON, RegExp, strings)',
  'node internals': 'Node internals (streams, HTTP, timers, module loading)',
  'better-sqlite3': 'SQLite calls',
  'graphql-request': 'the GraphQL client',
  graphql: 'graphql-js',
  ajv: 'schema validation (ajv)',
};
/** "42% turndown + domino ($htmlToMarkdown), 15% garbage collection, …" */
function areaSentence(summary, n = 6) {
  return summary.byArea
    .slice(0, n)
    .map((a) => `${fmt((100 * a.ms) / summary.totalMs)}% ${AREA_WORDS[a.area] ?? a.area}`)
    .join(', ');
}
function share(summary, areas) {
  const ms = summary.byArea.filter((a) => areas.includes(a.area)).reduce((x, a) => x + a.ms, 0);
  return (100 * ms) / summary.totalMs;
}
const HTML_AREAS = ['turndown', '@mixmark-io/domino'];

/** Which side limits the ceiling. */
function ceilingReading(b, cores) {
  const side = b.netCpuMsPerRequest > 2 * b.emulatorCpuMsPerRequest ? 'the CLI' : b.emulatorCpuMsPerRequest > 2 * b.netCpuMsPerRequest ? 'the emulator' : 'neither clearly';
  return (
    `The CLI and the emulator share ${cores} cores. Per request the CLI spends ${fmt(b.netCpuMsPerRequest, 2)} ms of CPU beyond one plan pass, the emulator ${fmt(b.emulatorCpuMsPerRequest, 2)} ms: ` +
    `the limit here is ${side}.`
  );
}

/** What the anon / file-backed peaks say, comparing the two largest sizes. */
function anonReading(rss) {
  const [mid, last] = rss.slice(-2);
  const k = last.tickets / mid.tickets;
  const anonGrowth = last.anonKb / mid.anonKb - 1;
  const fileGrowth = last.fileKb / mid.fileKb - 1;
  const anon =
    // "Levels off": less than 10% more anonymous memory for each 1× more tickets.
    anonGrowth > 0.1 * (k - 1)
      ? `Between the two largest sizes (${fmt(k, 1)}× the tickets) the anonymous part grows by ${fmt(100 * anonGrowth)}%: the plan keeps data per record for the whole run (a heap profile, \`node --heap-prof\`, would name it).`
      : `Between the two largest sizes (${fmt(k, 1)}× the tickets) the anonymous part grows by only ${fmt(100 * anonGrowth)}%: it levels off (heap and JIT warm-up at the smaller sizes) rather than growing with the number of records.`;
  const file =
    fileGrowth > 0.2
      ? ` The file-backed part grows by ${fmt(100 * fileGrowth)}% over the same step: it follows the size of the files the plan reads through mmap (the source indexes, if SQLite maps them), which is page cache that the kernel can reclaim, but which counts in RSS.`
      : ` The file-backed part grows by ${fmt(100 * fileGrowth)}% over the same step.`;
  return anon + file;
}

// ----------------------------------------------------------------------------------------- benchmarks
const results = { mode: MODE, sizes: SIZES, concurrency: CONCURRENCY };
const sections = [];
const goals = [];

/** a. Apply efficiency against a rate-limited, slow emulator, and a naive importer for comparison. */
async function benchApply() {
  const ws = await workspace('apply', SIZES.applyThreads, SIZES.messages, { concurrency: CONCURRENCY, requestsPerMinute: LIMIT_RPM });
  const min = ws.meta.minimumRequests;
  const emu = await startPlainEmulator({ seed: emulatorSeed(), rateLimitPerMinute: LIMIT_RPM, latencyMs: LATENCY_MS, maxLoggedRequests: 1_000_000 });
  try {
    log(`apply: ${fmt(SIZES.applyThreads)} threads × ${SIZES.messages} messages at ${LIMIT_RPM}/min, ${LATENCY_MS} ms latency, concurrency ${CONCURRENCY}`);
    const cliStart = Date.now();
    const r = await cli(ws.dir, ['--output', 'plain', 'apply', '--auto-approve'], { endpoint: emu.graphqlUrl, timeoutMs: QUICK ? 150_000 : 1_200_000 });
    const entries = emu.requests();
    const f = requestFigures(entries);
    const snap = snapshotCounts(emu);
    const limitPerS = LIMIT_RPM / 60;
    const a = {
      wallMs: r.wallMs,
      cpuS: r.cpuS,
      maxRssKb: r.maxRssKb,
      firstRequestAfterMs: f.first - cliStart,
      sendingMs: f.spanMs,
      ...f,
      minimum: min,
      snapshot: snap,
      rateRatio: f.rate / limitPerS,
      bucketMs: bucketWidth(f.spanMs),
    };
    a.buckets = buckets(entries, f.first, a.bucketMs);
    log(`apply: ${fmt(f.sent)} requests (minimum ${fmt(min.total)}), ${fmt(f.rate, 1)} req/s = ${fmt(a.rateRatio, 3)} of the limit, ${f.r429} × 429, wall ${s1(r.wallMs)}`);

    // The naive importer, one request at a time, on the same data, the emulator reset before each.
    const naive = {};
    for (const mode of ['per-message', 'batched']) {
      emu.reset();
      const n = await runMeasured(NODE, [join(ROOT, 'bench/naive.mjs'), '--dir', ws.dir, '--endpoint', emu.graphqlUrl, '--mode', mode, '--budget-ms', String(SIZES.naiveBudgetS * 1000)], {
        cwd: ROOT,
        env: process.env,
        timeoutMs: SIZES.naiveBudgetS * 1000 + 120_000,
      });
      if (n.code !== 0) throw new Error(`naive ${mode} failed: ${n.stderr.slice(-2000)}`);
      const out = JSON.parse(n.stdout.trim().split('\n').pop());
      const logged = emu.requests().length;
      const perCall = mode === 'batched' ? 25 : 1;
      const total = ws.meta.customersUsed + ws.meta.tickets + ws.meta.tickets * Math.ceil(SIZES.messages / perCall);
      const msPerRequest = out.ms / out.requests;
      naive[mode] = { ...out, logged, totalRequests: total, msPerRequest, projectedMs: msPerRequest * total, speedup: (msPerRequest * total) / r.wallMs };
      log(`naive ${mode}: ${out.threads} threads, ${out.requests} requests in ${s1(out.ms)} (${fmt(msPerRequest, 1)} ms each) → projected ${s1(msPerRequest * total)} for ${fmt(total)} requests`);
    }
    a.naive = naive;

    const exact = f.ok === min.total && f.sent - f.r429 === min.total;
    const rateOk = a.rateRatio >= 0.95;
    const r429Ok = f.r429 <= 0.01 * f.sent;
    const complete = snap.threads === ws.meta.tickets && snap.messages === ws.meta.messages;
    goals.push(['a. requests sent = minimum', exact], ['a. achieved rate ÷ limit ≥ 0.95', rateOk], ['a. 429s ≤ 1% of requests', r429Ok]);

    let why = '';
    if (!rateOk && PROFILE) {
      log('apply: rate goal not met; profiling the same apply (fresh state, emulator reset)');
      emu.reset();
      resetState(ws);
      const run = await profileRun('apply', ws.dir, ['--output', 'plain', 'apply', '--auto-approve'], emu.graphqlUrl, QUICK ? 150_000 : 1_200_000);
      const pf = requestFigures(emu.requests());
      // The profile starts when the process does (a few ms after the spawn): the sending period, approximately.
      const p = summariseFile(run.file, { fromMs: pf.first - run.spawnedAt, toMs: pf.last - run.spawnedAt });
      const whole = summariseFile(run.file);
      const idle = share(p, ['(idle)']);
      const html = share(p, HTML_AREAS);
      const jn = share(p, ['jsonata']);
      why =
        `\n**Why the rate is below 0.95.** The CLI used ${fmt(r.cpuS, 1)} s of CPU in ${s1(r.wallMs)} of wall time; ` +
        `its first request reached the emulator ${s1(a.firstRequestAfterMs)} after it started (the plan it shows before applying), and sending then took ${s1(f.spanMs)} ` +
        `at ${fmt(f.rate, 1)} req/s against ${fmt(limitPerS)} allowed. ` +
        `A CPU profile of the same apply (run again, ${fmt(pf.rate, 1)} req/s under the profiler), restricted to its sending period (${s1(pf.spanMs)}), ` +
        `shows the main thread idle only ${fmt(idle)}% of that time; the rest goes to ${areaSentence(p, 7)}. ` +
        (html + jn > 25
          ? `Mapping (${fmt(html)}% $htmlToMarkdown, ${fmt(jn)}% JSONata) runs on the same thread that paces and sends the requests: the executor pulls the next thread's plan item, and maps it, from the planner stream when a slot frees up, and mapping one thread (${SIZES.messages} bodies through turndown, JSONata's evaluation chained on promises) runs as one long stretch of microtasks during which no timer fires and no answer is read, so the limiter's paced starts slip and fewer than ${CONCURRENCY} requests are in flight. `
          : '') +
        `(Over the whole run, including the plan shown first: ${areaSentence(whole, 4)}.)\n\n` +
        `Top functions during the sending period:\n\n` +
        profileMarkdown(p) +
        '\n';
    } else if (!rateOk) {
      why = '\n(Profiling skipped: --no-profile.)\n';
    }
    if (!exact) {
      why += `\n**Why the request count differs from the minimum.** Per operation (sent / answered 200 / minimum): ${Object.entries(f.byOp)
        .map(([op, x]) => `${op} ${fmt(x.sent)} / ${fmt(x.ok)} / ${fmt(min[op] ?? 0)}`)
        .join('; ')}. Statuses: ${Object.entries(f.byStatus)
        .map(([s, n]) => `${s} × ${fmt(n)}`)
        .join(', ')}.\n`;
    }
    if (!r429Ok) {
      const w = a.bucketMs / 1000;
      why += `\n**Why there are 429s.** The emulator's window is a fixed 60 s from the first request, ${fmt(LIMIT_RPM)} requests per window; the 429s fall in these ${w}-s buckets: ${a.buckets
        .map((b, i) => (b.r429 ? `${i * w}–${i * w + w} s: ${b.r429}` : null))
        .filter(Boolean)
        .join(', ')}. The client's token bucket starts full (one second's worth) and refills at the limit, so a run longer than one window can send limit + burst requests in the first window.\n`;
    }
    results.apply = a;

    const pm = naive['per-message'];
    const pb = naive.batched;
    sections.push(`## a. Apply efficiency

${fmt(SIZES.applyThreads)} threads × ${SIZES.messages} messages (${fmt(ws.meta.customersUsed)} distinct customers), emulator limit ${fmt(LIMIT_RPM)} requests/min (${fmt(limitPerS)}/s), latency ${LATENCY_MS} ms per request; manifest \`requestsPerMinute: ${LIMIT_RPM}\`, \`messagesPerRequest: 25\`, **\`concurrency: ${CONCURRENCY}\`** (100 req/s × 80 ms needs ≥ 8 in flight to cover the latency alone; 16 leaves headroom for the client's own time per request). Command: \`plain-migrate --output plain apply --auto-approve\` (it plans, then applies). Counts are from the emulator's request log.

| figure | value | goal | |
|---|---:|---|---|
| requests sent (all statuses) | ${fmt(f.sent)} | | |
| requests answered 200 | ${fmt(f.ok)} | = minimum | ${met(exact)} |
| minimum: customers + threads + Σ⌈messages/25⌉ | ${fmt(min.upsertCustomer)} + ${fmt(min.importThread)} + ${fmt(min.importThreadMessages)} = ${fmt(min.total)} | | |
| per operation (sent) | ${Object.entries(f.byOp)
      .map(([op, x]) => `${op} ${fmt(x.sent)}`)
      .join(', ')} | | |
| achieved rate over the sending period (requests answered 200, first to last) | ${fmt(f.rate, 1)} req/s over ${s1(f.okSpanMs)} | | |
| achieved rate ÷ limit | ${fmt(a.rateRatio, 3)} | ≥ 0.95 | ${met(rateOk)} |
| 429s received | ${fmt(f.r429)} (${fmt((100 * f.r429) / f.sent, 2)}%) | ≤ 1% | ${met(r429Ok)} |
| other non-200 answers | ${fmt(f.other)} | | |
| time from CLI start to first request (planning) | ${s1(a.firstRequestAfterMs)} | | |
| wall time (CLI, start to exit) | ${s1(r.wallMs)} | | |
| CLI CPU time (user + sys) / peak RSS | ${fmt(r.cpuS, 1)} s / ${mb(r.maxRssKb)} | | |
| imported (emulator state): threads / messages | ${fmt(snap.threads)} / ${fmt(snap.messages)} | all | ${met(complete)} |

${a.rateRatio > 1 ? `The ratio is above 1.0 because the client's token bucket starts full (one second's worth, ${fmt(limitPerS)} requests) and the emulator's limit is per 60-s window: a run of T seconds may average up to ${fmt(limitPerS)} × (1 + 1/T) per second (here T = ${fmt(f.okSpanMs / 1000, 1)}, so up to ${fmt(1 + 1000 / f.okSpanMs, 3)}); the longer full run shows the sustained rate.\n\n` : ''}Requests per ${a.bucketMs / 1000} s from the first request (429s in brackets): ${a.buckets.map((b) => `${b.all}${b.r429 ? ` (${b.r429})` : ''}`).join(' · ')}

**Naive baseline** (\`bench/naive.mjs\`: the same records mapped to the same inputs, sent with fetch one request at a time, emulator reset before each; it stops after ${SIZES.naiveBudgetS} s and the time for the whole data set is projected from its time per request, because one request at a time at ${LATENCY_MS} ms each would take far longer than the benchmark's budget):

| variant | measured | ms per request | requests for all the data | projected wall time | engine speed-up |
|---|---|---:|---:|---:|---:|
| one message per call, one request at a time | ${fmt(pm.threads)} thread(s), ${fmt(pm.requests)} requests in ${s1(pm.ms)} | ${fmt(pm.msPerRequest, 1)} | ${fmt(pm.totalRequests)} | ${s1(pm.projectedMs)} | **${fmt(pm.speedup, 1)}×** |
| 25 messages per call, one request at a time | ${fmt(pb.threads)} thread(s), ${fmt(pb.requests)} requests in ${s1(pb.ms)} | ${fmt(pb.msPerRequest, 1)} | ${fmt(pb.totalRequests)} | ${s1(pb.projectedMs)} | **${fmt(pb.speedup, 1)}×** |

Speed-up = projected naive wall time ÷ the engine's wall time (${s1(r.wallMs)}, planning included).
${why}`);
  } finally {
    await emu.close();
    dropWorkspace(ws);
  }
}

/** b. Engine ceiling (no limit, no latency) and d. re-plan with nothing changed, on the same workspace. */
async function benchCeilingAndReplan() {
  const ws = await workspace('ceiling', SIZES.ceilingThreads, SIZES.messages, { concurrency: CONCURRENCY, requestsPerMinute: 1_000_000 });
  const min = ws.meta.minimumRequests;
  const emu = await startPlainEmulator({ seed: emulatorSeed(), rateLimitPerMinute: 0, latencyMs: 0, maxLoggedRequests: 1_000_000 });
  const timeoutMs = QUICK ? 120_000 : 1_800_000;
  try {
    log(`plan (first, cold): ${fmt(SIZES.ceilingThreads)} threads × ${SIZES.messages} messages`);
    const p1 = await cli(ws.dir, ['plan'], { timeoutMs });
    const l1 = planLine(p1.stdout);
    log('plan (first, source indexes built)');
    const p1w = await cli(ws.dir, ['plan'], { timeoutMs });

    log('apply (no rate limit, no latency)');
    const cpu0 = process.cpuUsage();
    const r = await cli(ws.dir, ['--output', 'plain', 'apply', '--auto-approve'], { endpoint: emu.graphqlUrl, timeoutMs });
    const emuCpu = process.cpuUsage(cpu0);
    const entries = emu.requests();
    const f = requestFigures(entries);
    const emuCpuS = (emuCpu.user + emuCpu.system) / 1e6;
    const netCpuS = r.cpuS - p1w.cpuS;
    const b = {
      wallMs: r.wallMs,
      cpuS: r.cpuS,
      sent: f.sent,
      ok: f.ok,
      minimum: min.total,
      spanMs: f.spanMs,
      rate: f.rate,
      cpuMsPerRequest: (1000 * r.cpuS) / f.sent,
      netCpuMsPerRequest: (1000 * netCpuS) / f.sent,
      emulatorCpuMsPerRequest: (1000 * emuCpuS) / f.sent,
      maxRssKb: r.maxRssKb,
    };
    results.ceiling = b;
    log(`ceiling: ${fmt(f.rate)} req/s, ${fmt(b.cpuMsPerRequest, 2)} ms CPU per request (${fmt(b.netCpuMsPerRequest, 2)} net of one plan pass)`);

    log('re-plan (nothing changed), the first plan after the apply');
    const p2 = await cli(ws.dir, ['plan'], { timeoutMs });
    const l2 = planLine(p2.stdout);
    log('re-plan again (nothing changed)');
    const p3 = await cli(ws.dir, ['plan'], { timeoutMs });
    const l3 = planLine(p3.stdout);
    const ratio = p1.wallMs / p2.wallMs;
    const ratio2 = p1.wallMs / p3.wallMs;
    const ratioOk = ratio >= 5;
    const nothing = (l) => l.create === 0 && l.update === 0 && l.append === 0 && l.unchanged === ws.meta.tickets;
    goals.push(['d. first plan ÷ re-plan (the first plan after the apply) ≥ 5×', ratioOk]);
    results.replan = { first: p1.wallMs, firstWarm: p1w.wallMs, replan: p2.wallMs, replanAgain: p3.wallMs, ratio, ratioAgain: ratio2, line: l2.line, firstCpuS: p1.cpuS, replanCpuS: p2.cpuS, replanAgainCpuS: p3.cpuS };
    log(`re-plan: first ${s1(p1.wallMs)}, re-plan ${s1(p2.wallMs)} → ${fmt(ratio, 2)}×, again ${s1(p3.wallMs)} → ${fmt(ratio2, 2)}×`);

    let why = '';
    if (!ratioOk && PROFILE) {
      // Profile the case that missed: the first plan after the apply, i.e. with no plan cache yet.
      const cacheDir = join(ws.dir, '.plain-migrate/cache');
      const removed = existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.startsWith('plan-cache')) : [];
      for (const f of removed) rmSync(join(cacheDir, f), { force: true });
      log(`re-plan goal not met; profiling a re-plan${removed.length ? ' with the plan cache removed (as right after the apply)' : ''}`);
      const p = summariseFile((await profileRun('replan', ws.dir, ['plan'], undefined, timeoutMs)).file);
      const html = share(p, HTML_AREAS);
      const jn = share(p, ['jsonata']);
      why =
        `\n**Why the re-plan is not ≥ 5× faster.** The first plan after the apply took ${s1(p2.wallMs)} (${fmt(p2.cpuS, 1)} s CPU) against ${s1(p1.wallMs)} for the first plan ` +
        `and ${s1(p1w.wallMs)} for a first plan whose source indexes were already built. ` +
        (ratio2 >= 5
          ? `The plan after that took ${s1(p3.wallMs)} (${fmt(ratio2, 1)}×): the plan cache only remembers threads that a *plan* found unchanged, and the apply does not fill it, so the first plan after an apply maps every record again and only the next one is fast. `
          : '') +
        `In a CPU profile of that first re-plan${removed.length ? ` (run again with the plan cache file${removed.length > 1 ? 's' : ''} ${removed.join(', ')} removed, which puts it back in the state right after the apply)` : ''} the time goes to ${areaSentence(p)}. ` +
        (html + jn > 40
          ? `${fmt(html + jn)}% of it is mapping (JSONata and $htmlToMarkdown): every record and every message is mapped and hashed again to find that nothing changed.`
          : 'Mapping is not the main cost; the functions above are.') +
        '\n\n' +
        profileMarkdown(p) +
        '\n';
    } else if (!ratioOk) why = '\n(Profiling skipped: --no-profile.)\n';

    sections.push(`## b. Engine ceiling

${fmt(SIZES.ceilingThreads)} threads × ${SIZES.messages} messages, emulator with no rate limit and no latency, manifest \`requestsPerMinute: 1000000\`, \`concurrency: ${CONCURRENCY}\`. CPU time is the CLI child's user + system time from \`/usr/bin/time\`${HAS_TIME ? '' : ' (not installed here: the last figures seen in /proc/<pid>/stat)'}; "net" subtracts the CPU of one \`plan\` of the same data (the apply command plans once before it starts sending). The emulator runs in the benchmark process; its CPU is that process's \`process.cpuUsage()\` during the apply.

| figure | value |
|---|---:|
| requests (answered 200 / sent / minimum) | ${fmt(f.ok)} / ${fmt(f.sent)} / ${fmt(min.total)} |
| sending period | ${s1(f.spanMs)} |
| **requests per second sustained** | **${fmt(f.rate)}** |
| wall time (CLI) | ${s1(r.wallMs)} |
| CLI CPU (user + sys) | ${fmt(r.cpuS, 1)} s |
| **CLI CPU per request** | **${fmt(b.cpuMsPerRequest, 2)} ms** (net of one plan pass: ${fmt(b.netCpuMsPerRequest, 2)} ms) |
| emulator CPU per request | ${fmt(b.emulatorCpuMsPerRequest, 2)} ms |
| CLI peak RSS | ${mb(r.maxRssKb)} |

${ceilingReading(b, os.cpus().length)}

## d. Re-plan with nothing changed

The same workspace: a first \`plan\` (no state, source indexes not built yet), the same again (indexes built), the apply above (emulator with no limit), then \`plan\` twice with nothing changed. The goal is judged on the first plan after the apply (what a user runs when the next export arrives unchanged).

| run | wall | CPU | summary |
|---|---:|---:|---|
| first plan (cold) | ${s1(p1.wallMs)} | ${fmt(p1.cpuS, 1)} s | ${l1.line} |
| first plan (indexes built) | ${s1(p1w.wallMs)} | ${fmt(p1w.cpuS, 1)} s | |
| re-plan: the first plan after the apply | ${s1(p2.wallMs)} | ${fmt(p2.cpuS, 1)} s | ${l2.line} |
| re-plan again | ${s1(p3.wallMs)} | ${fmt(p3.cpuS, 1)} s | ${l3.line} |

| figure | value | goal | |
|---|---:|---|---|
| first plan ÷ re-plan (the first plan after the apply) | ${fmt(ratio, 2)}× | ≥ 5× | ${met(ratioOk)} |
| first plan ÷ re-plan again | ${fmt(ratio2, 2)}× | | |
| first plan (indexes built) ÷ re-plan | ${fmt(p1w.wallMs / p2.wallMs, 2)}× | | |
| both re-plans say nothing to do | ${nothing(l2) && nothing(l3) ? 'yes' : 'no'} | | |
${why}`);
  } finally {
    await emu.close();
    dropWorkspace(ws);
  }
}

/**
 * The read-and-parse floor of a workspace's export (bench/floor.mjs), in a child of its own: the best of
 * three runs (the first one after generating the export can share the disk with its write-back).
 */
async function floorOf(ws, timeoutMs) {
  let best;
  for (let i = 0; i < 3; i++) {
    const r = await runMeasured(NODE, [join(ROOT, 'bench/floor.mjs'), join(ws.dir, 'export')], { cwd: ws.dir, env: cliEnv(), timeoutMs });
    if (r.code !== 0 || r.timedOut) throw new Error(`bench/floor.mjs failed: ${r.stderr.slice(-2000)}`);
    const f = { ...JSON.parse(r.stdout.trim().split('\n').pop()), wallMs: r.wallMs, maxRssKb: r.maxRssKb };
    if (!best || f.ms < best.ms) best = f;
  }
  return best;
}

/** A first plan (no state, no source indexes) of a workspace, with `--workers` when given, of `manifest` when given. */
async function firstPlan(ws, n, timeoutMs, workers, manifest) {
  resetState(ws);
  const p = await cli(ws.dir, [...(manifest ? ['-f', manifest] : []), 'plan', ...(workers ? ['--workers', String(workers)] : [])], { timeoutMs });
  const l = planLine(p.stdout);
  if (l.create !== n) throw new Error(`plan of ${n} tickets planned ${l.create} imports: ${l.line}`);
  return { ...p, line: l.line };
}

/** The line of the bench's manifest that converts each comment's HTML, and what the variant without it says instead. */
const CONVERTED_TEXT = 'text: $htmlToMarkdown(html_body)';
const RAW_TEXT = 'text: html_body';

/**
 * The workspace's manifest with each message's text taken as it is (its HTML) instead of converted: every
 * other step of the plan is the same (read, index, map, hash, compare), so its time is what a plan costs
 * apart from $htmlToMarkdown. Returns the variant's file name in the workspace.
 */
function manifestWithoutConversion(ws) {
  const text = readFileSync(ws.manifest, 'utf8');
  if (text.split(CONVERTED_TEXT).length !== 2) throw new Error(`${ws.manifest}: expected one "${CONVERTED_TEXT}"`);
  writeFileSync(join(ws.dir, 'without-conversion.yaml'), text.replace(CONVERTED_TEXT, RAW_TEXT));
  return 'without-conversion.yaml';
}

/**
 * c. Plan throughput against the read-and-parse floor of the same export (issue 17: a first plan costs at
 * most 8× the floor), with the default workers and with --workers 1, the same plan without the HTML
 * conversion, and peak RSS at three sizes.
 */
async function benchPlan() {
  const timeoutMs = QUICK ? 120_000 : 5_400_000;
  const ratioSizes = QUICK ? [SIZES.rssTickets[0], SIZES.planTickets] : [10_000, SIZES.planTickets];
  const sizes = [...new Set([...SIZES.rssTickets, ...ratioSizes])].sort((a, b) => a - b);
  const workers = Math.min(os.availableParallelism(), 8);
  const rss = [];
  const rows = [];
  for (const n of sizes) {
    const ws = await workspace(`plan-${n}`, n, SIZES.comments);
    try {
      const floor = await floorOf(ws, timeoutMs);
      log(`floor ${fmt(n)}: ${fmt(floor.ms)} ms (${mb(floor.bytes / 1024)}, ${fmt(floor.records)} records)`);
      log(`plan: ${fmt(n)} tickets × ${SIZES.comments} comments (default workers: ${workers})`);
      const p = await firstPlan(ws, n, timeoutMs);
      log(`plan ${fmt(n)}: ${s1(p.wallMs)} = ${fmt(p.wallMs / floor.ms, 1)}× the floor, peak RSS ${mb(p.maxRssKb)} (anon ${mb(p.peakAnonKb)}, file ${mb(p.peakFileKb)})`);
      if (SIZES.rssTickets.includes(n)) rss.push({ tickets: n, wallMs: p.wallMs, maxRssKb: p.maxRssKb, anonKb: p.peakAnonKb, fileKb: p.peakFileKb });
      if (ratioSizes.includes(n)) {
        const one = await firstPlan(ws, n, timeoutMs, 1);
        log(`plan ${fmt(n)} --workers 1: ${s1(one.wallMs)} = ${fmt(one.wallMs / floor.ms, 1)}× the floor, peak RSS ${mb(one.maxRssKb)}`);
        const raw = await firstPlan(ws, n, timeoutMs, undefined, manifestWithoutConversion(ws));
        log(`plan ${fmt(n)} without $htmlToMarkdown: ${s1(raw.wallMs)} = ${fmt(raw.wallMs / floor.ms, 1)}× the floor`);
        rows.push({ tickets: n, messages: n * SIZES.comments, htmlBytesAvg: ws.meta.htmlBytesAvg, floor, plan: p, one, raw });
      }
    } finally {
      dropWorkspace(ws);
    }
  }
  const maxKb = Math.max(...rss.map((x) => x.maxRssKb));
  const minKb = Math.min(...rss.map((x) => x.maxRssKb));
  const flat = maxKb <= 1.2 * minKb;
  const under = maxKb < 512 * 1024;
  const big = rows[rows.length - 1];
  const ratio = big.plan.wallMs / big.floor.ms;
  const ratioOk = ratio <= 8;
  goals.push([`c. first plan ÷ read-and-parse floor ≤ 8 (${fmt(big.tickets)} tickets)`, ratioOk], ['c. peak RSS flat within 20% across sizes', flat], ['c. peak RSS < 512 MB', under]);
  results.plan = {
    workers,
    throughput: rows.map((r) => ({
      tickets: r.tickets,
      messages: r.messages,
      floorMs: r.floor.ms,
      floorBytes: r.floor.bytes,
      planWallMs: r.plan.wallMs,
      planCpuS: r.plan.cpuS,
      planRssKb: r.plan.maxRssKb,
      ratio: r.plan.wallMs / r.floor.ms,
      oneWallMs: r.one.wallMs,
      oneCpuS: r.one.cpuS,
      oneRssKb: r.one.maxRssKb,
      oneRatio: r.one.wallMs / r.floor.ms,
      rawWallMs: r.raw.wallMs,
      rawCpuS: r.raw.cpuS,
      rawRatio: r.raw.wallMs / r.floor.ms,
    })),
    rss,
  };

  let why = '';
  if (!ratioOk && PROFILE) {
    const n = SIZES.profileTickets;
    log(`plan ÷ floor goal not met; profiling plan --workers 1 over ${fmt(n)} tickets`);
    const ws = await workspace(`profile-${n}`, n, SIZES.comments);
    try {
      const p = summariseFile((await profileRun('plan', ws.dir, ['plan', '--workers', '1'], undefined, timeoutMs)).file);
      why +=
        `\n**Why plan is more than 8× the floor.** \`plan --workers 1\` profiled on ${fmt(n)} tickets × ${SIZES.comments} comments (${fmt(p.totalMs / 1000, 1)} s of samples; with workers the same work is spread over threads): ` +
        `its time goes to ${areaSentence(p)}. The first plan also builds the on-disk source indexes (each keyed/grouped source read and parsed; a key index keeps a copy of each record in SQLite, a groupBy index of a .jsonl its place in the file)` +
        (results.replan ? ` (in benchmark d, a first plan with the indexes already built took ${fmt((100 * results.replan.firstWarm) / results.replan.first)}% of the time of a cold one)` : '') +
        `.\n\n` +
        profileMarkdown(p) +
        '\n';
    } finally {
      dropWorkspace(ws);
    }
  } else if (!ratioOk) why += '\n(Profiling skipped: --no-profile.)\n';
  if (!flat || !under) {
    const grow = rss.map((x) => `${fmt(x.tickets)}: anon ${mb(x.anonKb)} + file-backed ${mb(x.fileKb)}`).join('; ');
    why +=
      `\n**Why peak RSS is ${!flat ? 'not flat' : ''}${!flat && !under ? ' and ' : ''}${!under ? 'over 512 MB' : ''}.** Peak resident memory split (sampled every 100 ms from /proc/<pid>/status): ${grow}. ` +
      `"File-backed" is file pages mapped into the process (code, and any memory-mapped file such as a SQLite database opened with mmap), counted in RSS; "anon" is the JS heap and native allocations. ` +
      anonReading(rss) +
      '\n';
  }

  const perS = (count, ms) => `${fmt(count / (ms / 1000))}/s`;
  sections.push(`## c. Plan throughput and memory

A first \`plain-migrate plan\` (no state, source indexes not built yet) of a generated export, ${SIZES.comments} comments of 1–2 KB HTML per ticket (average ${fmt(big.htmlBytesAvg)} bytes), under \`/usr/bin/time\`: with the default workers (${workers} here: one per core, at most 8) and with \`--workers 1\` (every record mapped in the main thread). The **floor** is \`bench/floor.mjs\` on the same export: every \`.jsonl\` file read in 1 MiB chunks, split at newlines and each line given to \`JSON.parse\` (the best of three runs) — what no plan can be faster than.

| tickets × comments | export | floor | plan | plan ÷ floor | messages/s | peak RSS | \`--workers 1\` | ÷ floor | messages/s | peak RSS |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
${rows
  .map(
    (r) =>
      `| ${fmt(r.tickets)} × ${SIZES.comments} | ${mb(r.floor.bytes / 1024)} | ${fmt(r.floor.ms / 1000, 2)} s | ${s1(r.plan.wallMs)} (CPU ${fmt(r.plan.cpuS, 1)} s) | **${fmt(r.plan.wallMs / r.floor.ms, 1)}** | ${perS(r.messages, r.plan.wallMs)} | ${mb(r.plan.maxRssKb)} | ${s1(r.one.wallMs)} | ${fmt(r.one.wallMs / r.floor.ms, 1)} | ${perS(r.messages, r.one.wallMs)} | ${mb(r.one.maxRssKb)} |`,
  )
  .join('\n')}

| figure | value | goal | |
|---|---:|---|---|
| first plan ÷ floor, ${fmt(big.tickets)} tickets, default workers | ${fmt(ratio, 1)} | ≤ 8 | ${met(ratioOk)} |

**Without the conversion.** The same first plan (default workers) of the manifest with \`${RAW_TEXT}\` instead of \`${CONVERTED_TEXT}\`: every other step is the same (read, index, map, hash, compare with the state), so this is what a plan costs apart from converting the HTML (a little more than that: the messages' texts are then their HTML, about a tenth longer than the Markdown and full of quotes, which take the slower way through the hash's JSON).

| tickets × comments | plan without conversion | ÷ floor | CPU | the conversion's share of the plan's CPU |
|---|---:|---:|---:|---:|
${rows.map((r) => `| ${fmt(r.tickets)} × ${SIZES.comments} | ${s1(r.raw.wallMs)} | ${fmt(r.raw.wallMs / r.floor.ms, 1)} | ${fmt(r.raw.cpuS, 1)} s | ${fmt((100 * (r.plan.cpuS - r.raw.cpuS)) / r.plan.cpuS)}% |`).join('\n')}

Peak RSS of \`plan\` (default workers) by size (max RSS from \`/usr/bin/time\`; anon / file-backed peaks sampled from /proc):

| tickets | wall | peak RSS | anon peak | file-backed peak |
|---:|---:|---:|---:|---:|
${rss.map((x) => `| ${fmt(x.tickets)} | ${s1(x.wallMs)} | ${mb(x.maxRssKb)} | ${mb(x.anonKb)} | ${mb(x.fileKb)} |`).join('\n')}

| figure | value | goal | |
|---|---:|---|---|
| largest ÷ smallest peak RSS | ${fmt(maxKb / minKb, 2)} | ≤ 1.2 | ${met(flat)} |
| largest peak RSS | ${mb(maxKb)} | < 512 MB | ${met(under)} |
${why}`);
}

// ------------------------------------------------------------------------------------------------ main
const distAtStart = distInfo(ROOT);

function gitInfo() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    return `${head}${dirty ? ` with ${dirty} uncommitted file(s) under src/ (dist/ built from the working tree)` : ''}`;
  } catch {
    return 'unknown';
  }
}

const command = `npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}`;
const failures = [];
const t0 = performance.now();
for (const [name, fn] of [
  ['apply', benchApply],
  ['ceiling', benchCeilingAndReplan],
  ['plan', benchPlan],
]) {
  if (!(ONLY.has(name) || (name === 'ceiling' && ONLY.has('replan')))) continue;
  try {
    await fn();
  } catch (e) {
    log(`${name} failed: ${e.stack ?? e}`);
    failures.push(`${name}: ${String(e.message ?? e).split('\n')[0]}`);
    sections.push(`## ${name}\n\nThe benchmark failed: \`${String(e.message ?? e).split('\n')[0]}\`\n`);
  }
}
const totalMs = performance.now() - t0;
const distAtEnd = distInfo(ROOT);
const distLine =
  distAtEnd.hash === distAtStart.hash
    ? `dist/ ${distAtStart.hash} (newest file ${distAtStart.newest})`
    : `**dist/ changed during the run** (${distAtStart.hash} at the start, ${distAtEnd.hash} built ${distAtEnd.newest} at the end): the figures mix two builds`;
const cpus = os.cpus();
const machine = `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GB memory, ${os.platform()} ${os.release()}`;
const md = `# plain-migrate benchmarks

Mode: **${MODE}**${QUICK ? ' (small sizes; `npm run bench` runs the full sizes)' : ''}. Written by \`bench/run.mjs\`; see \`bench/README.md\`.

| | |
|---|---|
| date | ${startedAt.toISOString()} |
| command | \`${command}\` |
| total time | ${s1(totalMs)} |
| machine | ${machine} |
| load average at start / end | ${loadStart.map((x) => x.toFixed(2)).join(' ')} / ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} |
| Node | ${process.version} |
| code | ${gitInfo()}; ${distLine} |

## Goals

| goal | |
|---|---|
${[...goals]
  .sort((x, y) => x[0][0].localeCompare(y[0][0]))
  .map(([g, ok]) => `| ${g} | ${met(ok)} |`)
  .join('\n')}
${failures.length ? `\nFailed benchmarks: ${failures.join('; ')}\n` : ''}
${sections.join('\n')}`;
// The pull and state benchmarks (bench/pull.mjs, bench/state.mjs) keep their own sections of RESULTS.md
// and keys of RESULTS.json: run alone they write only those; run with others their fresh sections, else the
// ones already there, are kept.
const pullModule = await import('./pull.mjs');
const stateModule = await import('./state.mjs');
const connectorsModule = await import('./connectors.mjs');
const EXTRAS = [
  {
    name: 'pull',
    marks: pullModule,
    run: () =>
      pullModule.benchPull({
        quick: QUICK,
        tickets: value('pull-tickets') ? Number(value('pull-tickets')) : undefined,
        limit: value('pull-limit') ? Number(value('pull-limit')) : undefined,
        work: join(WORK, 'pull'),
        keep: KEEP,
        command,
      }),
  },
  {
    name: 'state',
    marks: stateModule,
    run: () =>
      stateModule.benchState({
        quick: QUICK,
        threads: value('state-threads') ? Number(value('state-threads')) : undefined,
        limit: value('state-limit') ? Number(value('state-limit')) : undefined,
        seconds: value('state-seconds') ? Number(value('state-seconds')) : undefined,
        work: join(WORK, 'state'),
        keep: KEEP,
        command,
        machine,
        code: gitInfo(),
      }),
  },
  {
    name: 'connectors',
    marks: connectorsModule,
    run: () =>
      connectorsModule.benchConnectors({
        quick: QUICK,
        tickets: value('connectors-tickets') ? Number(value('connectors-tickets')) : undefined,
        kinds: value('connectors-kinds') ? value('connectors-kinds').split(',') : undefined,
        parallel: flag('connectors-parallel'),
        work: join(WORK, 'connectors'),
        keep: KEEP,
        command,
        code: gitInfo(),
      }),
  },
];
const fresh = {};
for (const x of EXTRAS) {
  if (!ONLY.has(x.name)) continue;
  try {
    fresh[x.name] = await x.run();
    if (fresh[x.name].failed?.length) failures.push(`${x.name}: ${fresh[x.name].failed.join(', ')} failed (see its section)`);
  } catch (e) {
    log(`${x.name} failed: ${e.stack ?? e}`);
    failures.push(`${x.name}: ${String(e.message ?? e).split('\n')[0]}`);
  }
}
const JSON_OUT = OUT.replace(/\.md$/, '.json');
const readOr = (f, d) => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return d;
  }
};
let oldJson = {};
try {
  oldJson = JSON.parse(readOr(JSON_OUT, '{}'));
} catch {
  /* not JSON */
}
/** An extra's block, markers included, in a RESULTS.md text; undefined when it has none. */
const markedBlock = (text, { START_MARK, END_MARK }) => {
  const a = text.indexOf(START_MARK);
  const b = a >= 0 ? text.indexOf(END_MARK, a) : -1;
  return a >= 0 && b >= 0 ? text.slice(a, b + END_MARK.length) : undefined;
};
const freshBlock = (x) => `${x.marks.START_MARK}\n${fresh[x.name].section.trimEnd()}\n${x.marks.END_MARK}`;
if (EXTRAS.some((x) => ONLY.has(x.name)) && !['apply', 'ceiling', 'plan', 'replan'].some((n) => ONLY.has(n))) {
  // Only extras: each replaces its block (or is appended), every other byte of the file is kept.
  let text = readOr(OUT, '');
  const json = { ...oldJson };
  for (const x of EXTRAS) {
    if (!fresh[x.name]) continue;
    const old = markedBlock(text, x.marks);
    if (old !== undefined) text = text.replace(old, () => freshBlock(x));
    else text = `${text}${text === '' || text.endsWith('\n\n') ? '' : text.endsWith('\n') ? '\n' : '\n\n'}${freshBlock(x)}\n`;
    json[x.name] = fresh[x.name].results;
  }
  writeFileSync(OUT, text);
  writeFileSync(JSON_OUT, `${JSON.stringify(json, null, 2)}\n`);
} else {
  const oldText = readOr(OUT, '');
  const kept = EXTRAS.map((x) => (fresh[x.name] ? freshBlock(x) : markedBlock(oldText, x.marks))).filter(Boolean);
  writeFileSync(OUT, kept.length ? `${md.trimEnd()}\n\n${kept.join('\n\n')}\n` : md);
  const extrasJson = Object.fromEntries(EXTRAS.map((x) => [x.name, fresh[x.name]?.results ?? oldJson[x.name]]).filter(([, v]) => v !== undefined));
  writeFileSync(JSON_OUT, `${JSON.stringify({ date: startedAt.toISOString(), command, ...results, ...extrasJson }, null, 2)}\n`);
}
log(`wrote ${OUT} in ${s1(totalMs)}`);
if (KEEP) log(`workspaces and profiles kept in ${WORK}`);
else rmSync(WORK, { recursive: true, force: true });
process.exitCode = failures.length ? 1 : 0;
