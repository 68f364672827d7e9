#!/usr/bin/env node
/**
 * The pull benchmark: `plain-migrate pull` of N tickets × 10 comments from the Zendesk emulator at a
 * given account limit, by each ticket_comments method (lists, then events on a fresh state), and an
 * incremental pull after 1% of the tickets changed. Writes its section of bench/RESULTS.md (between
 * <!-- pull:start --> and <!-- pull:end -->, the rest of the file kept byte for byte) and a "pull" key in
 * bench/RESULTS.json.
 *
 *   npm run bench -- --only pull [--quick]          (through bench/run.mjs)
 *   node bench/pull.mjs [--quick] [--tickets N] [--limit 2500] [--methods lists,events] [--out FILE] [--keep]
 *
 * Full: 20,000 tickets (about 35 minutes: ~9 for lists at 2,500/min, ~23 for events at 10 exports/min);
 * quick: 2,000 tickets (about 5 minutes). Uses dist/ (`npm run build` first) and bin/plain-migrate.js,
 * each pull a child process under /usr/bin/time; the emulator runs in this process on loopback.
 */
import { distInfo } from './lib/dist.mjs';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { killRunning, runMeasured } from './lib/proc.mjs';
import { cursorExportPages, generateZendeskExport, timeExportPages } from './lib/zendesk-export.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const CLI = join(ROOT, 'bin/plain-migrate.js');
const NODE = process.execPath;
export const START_MARK = '<!-- pull:start -->';
export const END_MARK = '<!-- pull:end -->';
/** Zendesk's export limit (per account, without the High Volume add-on) and page size. */
const EXPORTS_PER_MINUTE = 10;
const EXPORT_PAGE = 1000;
const COMMENTS_PER_TICKET = 10;
const COMMENT_PAGE = 100;
const CHANGED_SHARE = 0.01;

const log = (s) => process.stderr.write(`[bench pull ${new Date().toISOString().slice(11, 19)}] ${s}\n`);
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d }) : 'n/a');
const s1 = (ms) => `${fmt(ms / 1000, 1)} s`;
const mins = (ms) => `${fmt(ms / 60_000, 2)} min`;
const mb = (kb) => `${fmt(kb / 1024)} MB`;
const met = (ok) => (ok === undefined ? '—' : ok ? '**met**' : '**not met**');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The manifest: a zendesk connection on the emulator, three sources, a minimal mapping into a Plain target that pull never contacts. */
function manifestText({ baseUrl, limit, method }) {
  return `version: 1
name: bench-pull
target:
  plain:
    apiKey: bench-key
    endpoint: http://127.0.0.1:9/graphql/v1
connections:
  zendesk:
    kind: zendesk
    baseUrl: ${baseUrl}
    auth:
      email: admin@acme.test
      token: zd-emulator-token
    requestsPerMinute: ${limit}
sources:
  tickets:
    connection: zendesk
    stream: tickets
  users:
    connection: zendesk
    stream: users
    key: id
  comments:
    connection: zendesk
    stream: ticket_comments
    groupBy: ticket_id
    method: ${method}
threads:
  source: tickets
  where: status != 'deleted'
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: created_at
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
    externalId: "'zd-user-' & $string(requester_id)"
  messages:
    each: $records('comments', id)
    externalId: "'zd-comment-' & $string(id)"
    type: "public ? (author_id = $thread.requester_id ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: body
    createdAt: created_at
`;
}

function cliEnv() {
  return { ...process.env, PLAIN_MIGRATE_HEARTBEAT_MS: '0', NO_COLOR: '1' };
}

/** The counts per snapshot stream, read from the state database with better-sqlite3. */
async function snapshotCounts(statePath) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(statePath, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT stream, count(*) AS n, sum(deleted) AS deleted FROM snapshot_records GROUP BY stream').all();
    const streams = db.prepare('SELECT stream, complete FROM snapshot_streams').all();
    // Snapshot streams are named <connection>.<stream>: zendesk.tickets, zendesk.users, zendesk.ticket_comments.
    const name = (stream) => ({ tickets: 'tickets', users: 'users', ticket_comments: 'comments' })[stream.split('.').pop()] ?? stream;
    const out = {};
    for (const r of rows) out[name(r.stream)] = { stream: r.stream, records: r.n, deleted: r.deleted ?? 0 };
    for (const s of streams) (out[name(s.stream)] ??= { stream: s.stream, records: 0, deleted: 0 }).complete = s.complete === 1;
    return out;
  } finally {
    db.close();
  }
}

/** Figures from the emulator's request log (the entries since `from`). */
function requestFigures(entries) {
  const byOp = {};
  let r429 = 0;
  let other = 0;
  let first = Infinity;
  let last = -Infinity;
  let okAccount = 0;
  let okExports = 0;
  for (const e of entries) {
    const op = e.operation ?? '(none)';
    byOp[op] ??= { sent: 0, ok: 0, r429: 0 };
    byOp[op].sent++;
    if (e.status === 200) byOp[op].ok++;
    else if (e.status === 429) {
      byOp[op].r429++;
      r429++;
    } else other++;
    if (e.status === 200) {
      if (op.startsWith('incremental.')) okExports++;
      else okAccount++;
    }
    const t = Date.parse(e.at);
    first = Math.min(first, t);
    last = Math.max(last, t);
  }
  const r429At = entries.filter((e) => e.status === 429).map((e) => ({ op: e.operation, atMs: Date.parse(e.at) - first }));
  const exportTimes = entries.filter((e) => (e.operation ?? '').startsWith('incremental.')).map((e) => Date.parse(e.at) - first);
  const lastExportMs = exportTimes.length ? Math.max(...exportTimes) : undefined;
  const exportsSent = Object.entries(byOp)
    .filter(([op]) => op.startsWith('incremental.'))
    .reduce((a, [, v]) => a + v.sent, 0);
  return { sent: entries.length, r429, other, byOp, first, last, spanMs: last - first, exportsSent, okAccount, okExports, r429At, lastExportMs };
}

/** Requests (and 429s) per bucket from the first request. */
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

/** The longest stretch with no request at all, and where it starts (ms from the first request). */
function longestGap(entries) {
  let best = { ms: 0, atMs: 0 };
  const ts = entries.map((e) => Date.parse(e.at)).sort((a, b) => a - b);
  for (let i = 1; i < ts.length; i++) if (ts[i] - ts[i - 1] > best.ms) best = { ms: ts[i] - ts[i - 1], atMs: ts[i - 1] - ts[0] };
  return best;
}

/** The JSON lines of `pull --output json` (the summary line has the requests per connection). */
function pullSummary(stdout) {
  let summary;
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const o = JSON.parse(line);
      if (o.type === 'summary' || o.type === 'pull-summary' || o.outcome !== undefined) summary = o;
    } catch {
      /* not JSON */
    }
  }
  return summary;
}

function codeLine(git, start, end) {
  return end.hash === start.hash
    ? `${git}; dist/ ${start.hash} (newest file ${start.newest})`
    : `${git}; **dist/ changed during the run** (${start.hash} at the start, ${end.hash} built ${end.newest} at the end): the figures may mix two builds`;
}

function gitInfo() {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--', 'src'], { cwd: ROOT, encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    return `${head}${dirty ? ` with ${dirty} uncommitted file(s) under src/ (dist/ built from the working tree)` : ''}`;
  } catch {
    return 'unknown';
  }
}


/** Replace the marked section of `file` (or append it), keeping every other byte. */
export function writeSection(file, section) {
  const block = `${START_MARK}\n${section.trimEnd()}\n${END_MARK}`;
  const old = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const a = old.indexOf(START_MARK);
  const b = a >= 0 ? old.indexOf(END_MARK, a) : -1;
  let next;
  if (a >= 0 && b >= 0) next = old.slice(0, a) + block + old.slice(b + END_MARK.length);
  else next = `${old}${old === '' || old.endsWith('\n\n') ? '' : old.endsWith('\n') ? '\n' : '\n\n'}${block}\n`;
  writeFileSync(file, next);
}

/** The marked section of a RESULTS.md text (with its markers), or undefined. */
export function readSection(text) {
  const a = text.indexOf(START_MARK);
  const b = a >= 0 ? text.indexOf(END_MARK, a) : -1;
  return a >= 0 && b >= 0 ? text.slice(a, b + END_MARK.length) : undefined;
}

/**
 * Runs the benchmark. Options: quick, tickets, limit (the account's requests/minute), methods, out (the
 * RESULTS.md to write the section into; undefined: none), json (RESULTS.json to add "pull" to), keep,
 * command (shown in the section).
 * Returns { results, section, goals: [[name, ok]…] }.
 */
export async function benchPull(o = {}) {
  const quick = !!o.quick;
  const tickets = o.tickets ?? (quick ? 2000 : 20_000);
  const limit = o.limit ?? 2500;
  const methods = o.methods ?? ['lists', 'events'];
  const startedAt = new Date();
  const loadStart = os.loadavg();
  const codeAtStart = gitInfo();
  const distAtStart = distInfo(ROOT);
  const work = o.work ?? mkdtempSync(join(os.tmpdir(), 'pm-bench-pull-'));
  mkdirSync(work, { recursive: true });
  if (!existsSync(join(ROOT, 'dist/emulators/zendesk/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const { startZendeskEmulator, loadZendeskSeed } = await import(pathToFileURL(join(ROOT, 'dist/emulators/zendesk/index.js')).href);

  let emu;
  try {
    // ------------------------------------------------------------------------------ data and emulator
    let t0 = performance.now();
    const data = await generateZendeskExport({ dir: join(work, 'export'), tickets, comments: COMMENTS_PER_TICKET });
    log(`generated ${fmt(tickets)} tickets × ${COMMENTS_PER_TICKET} comments, ${fmt(data.users)} users (${mb((data.bytes.tickets + data.bytes.comments + data.bytes.users) / 1024)}) in ${s1(performance.now() - t0)}`);
    t0 = performance.now();
    const seed = await loadZendeskSeed(data.dir);
    emu = await startZendeskEmulator({
      host: '127.0.0.1',
      port: 0,
      seed,
      requestsPerMinute: limit,
      incrementalPerMinute: EXPORTS_PER_MINUTE,
      hideLastSeconds: 0,
      maxLoggedRequests: 10_000_000,
    });
    log(`emulator on ${emu.url} (account ${fmt(limit)}/min, exports ${EXPORTS_PER_MINUTE}/min), seeded in ${s1(performance.now() - t0)}`);

    // ------------------------------------------------------------------------------- the minimum
    const ticketPages = cursorExportPages(data.keys.tickets, { perPage: EXPORT_PAGE });
    const userPages = cursorExportPages(data.keys.users, { perPage: EXPORT_PAGE });
    const eventPages = timeExportPages(data.keys.events, { perPage: EXPORT_PAGE });
    const commentLists = tickets * Math.ceil(COMMENTS_PER_TICKET / COMMENT_PAGE);
    const minimum = {
      tickets: ticketPages,
      users: userPages,
      events: eventPages,
      commentLists,
      lists: ticketPages.pages + userPages.pages + commentLists,
      events_total: ticketPages.pages + userPages.pages + eventPages.pages,
      // The brief's formula, without the leading empty pages and the repeated boundary events.
      simple: {
        tickets: Math.ceil(tickets / EXPORT_PAGE),
        users: Math.ceil(data.users / EXPORT_PAGE),
        events: Math.ceil(data.comments / EXPORT_PAGE),
      },
    };

    // ------------------------------------------------------------------------------------- pulls
    const runs = {};
    for (const method of methods) {
      emu.reset();
      const dir = join(work, method);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'plain-migrate.yaml'), manifestText({ baseUrl: emu.url, limit, method }));
      const statePath = join(dir, '.plain-migrate/state.db');
      // lists: comments 2,500/min; events: every page under the 10/min export limit.
      const expectMin = method === 'lists' ? minimum.lists / limit : minimum.events_total / EXPORTS_PER_MINUTE;
      const timeoutMs = Math.max(180_000, expectMin * 60_000 * 3);

      log(`${method}: full pull (expected about ${fmt(expectMin, 1)} min)`);
      const full = await pullOnce(dir, timeoutMs);
      const fullEntries = emu.requests();
      const ff = requestFigures(fullEntries);
      const counts = await snapshotCounts(statePath);
      log(`${method}: ${fmt(ff.sent)} requests (${ff.r429} × 429) in ${s1(full.wallMs)}; snapshot ${JSON.stringify(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.records])))}`);

      // The incremental: 1% of the tickets change status and get one comment, as a later pull would see
      // them (after the export window of the full pull has reset).
      await sleep(61_000);
      const changed = changeTickets(emu, tickets);
      minimum.incremental ??= incrementalMinimum(data, changed);
      const before = emu.requests().length;
      log(`${method}: incremental pull after ${changed.tickets} tickets changed`);
      const inc = await pullOnce(dir, 300_000);
      const incEntries = emu.requests().slice(before);
      const fi = requestFigures(incEntries);
      const countsAfter = await snapshotCounts(statePath);
      log(`${method}: incremental ${fmt(fi.sent)} requests (${fi.r429} × 429) in ${s1(inc.wallMs)}`);

      const widthMs = ff.spanMs > 600_000 ? 60_000 : ff.spanMs > 120_000 ? 30_000 : 10_000;
      runs[method] = {
        full: {
          wallMs: full.wallMs,
          cpuS: full.cpuS,
          maxRssKb: full.maxRssKb,
          peakAnonKb: full.peakAnonKb,
          peakFileKb: full.peakFileKb,
          summary: full.summary,
          ...ff,
          bucketMs: widthMs,
          buckets: buckets(fullEntries, ff.first, widthMs),
          gap: longestGap(fullEntries),
          snapshot: counts,
        },
        incremental: { wallMs: inc.wallMs, maxRssKb: inc.maxRssKb, summary: inc.summary, ...fi, changed, snapshot: countsAfter },
      };
      if (!o.keep) rmSync(dir, { recursive: true, force: true });
    }

    const cpus = os.cpus();
    const meta = {
      date: startedAt.toISOString(),
      command: o.command ?? `node bench/pull.mjs${quick ? ' --quick' : ''}`,
      machine: `${cpus[0]?.model ?? 'unknown'}, ${cpus.length} cores, ${fmt(os.totalmem() / 2 ** 30, 1)} GB memory, ${os.platform()} ${os.release()}`,
      load: `${loadStart.map((x) => x.toFixed(2)).join(' ')} / ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`,
      node: process.version,
      code: codeLine(codeAtStart, distAtStart, distInfo(ROOT)),
    };
    const results = { date: startedAt.toISOString(), mode: quick ? 'quick' : 'full', meta, tickets, commentsPerTicket: COMMENTS_PER_TICKET, users: data.users, comments: data.comments, limit, exportsPerMinute: EXPORTS_PER_MINUTE, minimum, runs };
    const { section, goals } = renderSection(results);
    if (o.out) {
      writeSection(o.out, section);
      log(`wrote the pull section of ${o.out}`);
    }
    if (o.json) {
      let j = {};
      try {
        j = JSON.parse(readFileSync(o.json, 'utf8'));
      } catch {
        /* none yet */
      }
      j.pull = results;
      writeFileSync(o.json, `${JSON.stringify(j, null, 2)}\n`);
    }
    return { results, section, goals };
  } finally {
    await emu?.close();
    if (o.keep) log(`kept ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/**
 * The incremental pull's pages: the tickets export from the stored cursor (the last ticket pulled) to the
 * changed tickets, stamped now (more than 30 days later: an empty page moves the cursor first); the
 * users export from its cursor (nothing new: one empty page that says end_of_stream); the ticket events
 * from the stored start time, the last event's second: that event again + a comment and a status event
 * per changed ticket.
 */
function incrementalMinimum(data, changed) {
  const n = changed.tickets;
  const changedKeys = Array.from({ length: n }, (_, i) => [changed.at, (i + 1) * 100]);
  const tickets = cursorExportPages(changedKeys, { perPage: EXPORT_PAGE, after: data.keys.tickets.at(-1) });
  const users = cursorExportPages([], { perPage: EXPORT_PAGE, after: data.keys.users.at(-1) });
  const events = Math.max(1, Math.ceil((1 + 2 * n) / EXPORT_PAGE));
  return { tickets: tickets.pages, ticketsEmpty: tickets.empty, users: users.pages, events };
}

async function pullOnce(dir, timeoutMs) {
  const r = await runMeasured(NODE, [CLI, '--output', 'json', 'pull'], { cwd: dir, env: cliEnv(), timeoutMs });
  if (r.timedOut) throw new Error(`plain-migrate pull did not finish within ${fmt(timeoutMs / 1000)} s`);
  if (r.code !== 0) throw new Error(`plain-migrate pull exited ${r.code}:\n${r.stderr.slice(-2000)}\n${r.stdout.slice(-2000)}`);
  return { ...r, summary: pullSummary(r.stdout) };
}

/** 1% of the tickets (every 100th): a status change and one new comment each, through the account hook. */
function changeTickets(emu, tickets) {
  const nowS = Math.floor(Date.now() / 1000);
  const ids = [];
  const step = Math.round(1 / CHANGED_SHARE);
  for (let id = step; id <= tickets; id += step) ids.push(id);
  const current = new Map(emu.snapshot().tickets.map((t) => [t.id, t.status]));
  emu.account.change({
    tickets: ids.map((id) => ({ id, status: current.get(id) === 'solved' ? 'open' : 'solved' })),
    comments: ids.map((id) => ({ ticket_id: id, author_id: 1, body: `Follow-up on ticket ${id}.`, public: true })),
  });
  return { tickets: ids.length, comments: ids.length, statusChanges: ids.length, at: nowS };
}

// ------------------------------------------------------------------------------------------ the section
/** The requests/min over the whole buckets after the last bucket with no request (the last bucket is partial). */
function steadyRate(f) {
  const b = f.buckets;
  const zero = b.slice(0, -1).map((v, i) => (v.all === 0 ? i : -1)).filter((i) => i >= 0);
  const from = zero.length ? zero[zero.length - 1] + 1 : 0;
  const steady = b.slice(from, -1);
  return { zero, rate: steady.length ? steady.reduce((a, v) => a + v.all, 0) / ((steady.length * f.bucketMs) / 60_000) : NaN };
}

/** Why a method's rate or requests are what they are: stalls, 429s, the rate once the exports ended. */
function diagnosis(x, r) {
  const f = x.f;
  const L = r.limit;
  const exp429 = Object.entries(f.byOp)
    .filter(([op]) => op.startsWith('incremental.'))
    .reduce((a, [, v]) => a + v.r429, 0);
  const out = [];
  if (x.method === 'lists') {
    const st = steadyRate(f);
    const zero = st.zero;
    const steady = st.rate;
    const lost = (f.spanMs - (x.ok200 / Math.min(steady, L)) * 60_000) / 1000;
    if (zero.length || x.rate < 0.95) {
      const at429 = f.r429At?.length ? f.r429At.map((e) => `${e.op} at ${s1(e.atMs)}`).join(', ') : `${exp429} on export requests, in the buckets just before the stalls`;
      out.push(
        `**Why the rate is ${fmt(x.rate, 3)}.** ${zero.length ? `The sending period has ${zero.length} bucket(s) with no request at all (the longest stretch: ${s1(f.gap.ms)} from ${s1(f.gap.atMs)}). ` : ''}` +
          (exp429
            ? `Each stall follows a 429 on an export request (${at429}): the adapter paces the exports with a token bucket of 10 at once then one every 6 s (\`paceExport\`), so an 11th export request falls inside one of the emulator's fixed 60-s export windows and is refused; the 429's Retry-After (the rest of that window) is then applied by \`HttpSourceClient\` to the connection's whole limiter (\`pauseUntil\`), so the comment lists, which have the account budget to themselves, stop as well until the export window resets. `
            : '') +
          `${f.lastExportMs !== undefined ? `The exports ended at ${s1(f.lastExportMs)}; after` : 'After'} the last stall the lists ran at ${fmt(steady)}/min = ${fmt(steady / L, 3)} of the limit, so the stalls cost about ${fmt(Math.max(0, lost))} s of the ${s1(f.spanMs)} (without them: about ${mins((x.ok200 / Math.min(steady, L)) * 60_000)}, a rate of ${fmt(Math.min(steady, L) / L, 3)}). ` +
          `A 429 from the export limit should pause the exports only (the account budget was not spent).\n`,
      );
    }
  } else if (exp429) {
    out.push(
      `**429s.** ${fmt(f.r429)} × 429 (${fmt((100 * f.r429) / f.sent, 1)}% of the requests), ${fmt(exp429)} of them on export requests, about one per 60-s window: while the client waits for a 429's Retry-After its export bucket refills, so each window opens with 10 requests at once and the 11th is refused. They cost requests, not time: 10 a window is the limit anyway, and the export rate held ${fmt(x.rate, 3)} of it.\n`,
    );
  }
  return out.length ? `\n${out.join('\n')}` : '';
}

/** The RESULTS.md section (and the goals) from a run's results (RESULTS.json's "pull" key). */
export function renderSection(r) {
  const L = r.limit;
  const m = r.minimum;
  const goals = [];
  const rows = [];
  const per = {};
  for (const [method, run] of Object.entries(r.runs)) {
    const f = run.full;
    const need = method === 'lists' ? m.lists : m.events_total;
    const ok200 = f.okAccount + f.okExports;
    const spanMin = f.spanMs / 60_000;
    const wallMin = f.wallMs / 60_000;
    // The rate that counts against the limit that bounds the method: every answered request against the
    // account limit (lists); the export requests against the 10/min export limit (events).
    const rate = method === 'lists' ? ok200 / spanMin / L : f.okExports / spanMin / r.exportsPerMinute;
    const rateWall = method === 'lists' ? ok200 / wallMin / L : f.okExports / wallMin / r.exportsPerMinute;
    const snap = f.snapshot;
    const complete = snap.tickets?.records === r.tickets && snap.users?.records === r.users && snap.comments?.records === r.comments;
    per[method] = { need, ok200, rate, rateWall, complete, spanMin };
    goals.push([`pull (${method}): requests answered = minimum (${fmt(need)})`, ok200 === need && f.other === 0]);
    if (method === 'lists') goals.push([`pull (lists): achieved rate ÷ account limit ≥ 0.95`, rate >= 0.95]);
    else goals.push([`pull (events): export requests/min ÷ the 10/min export limit ≥ 0.95`, rate >= 0.95]);
    goals.push([`pull (${method}): snapshot = generated data`, complete]);
    const inc = run.incremental;
    const incNeed = method === 'lists' ? m.incremental.tickets + m.incremental.users + inc.changed.tickets : m.incremental.tickets + m.incremental.users + m.incremental.events;
    per[method].incNeed = incNeed;
    const is = inc.snapshot;
    const incComplete = is.tickets?.records === r.tickets && is.users?.records === r.users && is.comments?.records === r.comments + inc.changed.comments;
    goals.push([`pull (${method}): incremental requests = minimum (${fmt(incNeed)} for ${fmt(inc.changed.tickets)} changed tickets)`, inc.sent === incNeed]);
    rows.push({ method, f, need, ok200, rate, rateWall, complete, inc, incNeed, incComplete });
  }

  const opLine = (byOp) =>
    Object.entries(byOp)
      .sort((a, b) => b[1].sent - a[1].sent)
      .map(([op, v]) => `${op} ${fmt(v.sent)}${v.r429 ? ` (${fmt(v.r429)} × 429)` : ''}`)
      .join(', ');
  const snapLine = (s) => ['tickets', 'users', 'comments'].map((k) => `${k} ${fmt(s[k]?.records ?? 0)}`).join(' / ');
  const table = (x) => {
    const f = x.f;
    const lists = x.method === 'lists';
    const minText = lists
      ? `${m.tickets.pages} + ${m.users.pages} + ${fmt(m.commentLists)} = ${fmt(m.lists)}`
      : `${m.tickets.pages} + ${m.users.pages} + ${m.events.pages} = ${fmt(m.events_total)}`;
    return `### ${x.method}

| figure | value | goal | |
|---|---:|---|---|
| wall time (CLI start to exit) | ${s1(f.wallMs)} (${mins(f.wallMs)}) | | |
| sending period (first to last request) | ${s1(f.spanMs)} | | |
| requests sent (emulator log) | ${fmt(f.sent)} | | |
| per operation | ${opLine(f.byOp)} | | |
| 429s / other non-200 | ${fmt(f.r429)} / ${fmt(f.other)} | | |
| requests answered 200 | ${fmt(x.ok200)} | = minimum | ${met(x.ok200 === x.need && f.other === 0)} |
| minimum (tickets pages + users pages + ${lists ? 'comment lists' : 'ticket_events pages'}) | ${minText} | | |
| ${lists ? 'achieved rate: answered ÷ sending minutes ÷ account limit' : 'achieved export rate: export requests answered ÷ sending minutes ÷ 10/min'} | ${fmt(lists ? x.ok200 / (f.spanMs / 60_000) : f.okExports / (f.spanMs / 60_000), 1)}/min ÷ ${fmt(lists ? L : r.exportsPerMinute)} = ${fmt(x.rate, 3)} | ≥ 0.95 | ${met(x.rate >= 0.95)} |
| the same over the CLI's wall time | ${fmt(x.rateWall, 3)} | | |
| ${lists ? 'requests/min ÷ account limit' : 'all requests/min ÷ account limit'} | ${fmt(x.ok200 / (f.spanMs / 60_000) / L, 3)} | | |
| snapshot (better-sqlite3: snapshot_records by stream) | ${snapLine(f.snapshot)} | = ${fmt(r.tickets)} / ${fmt(r.users)} / ${fmt(r.comments)} | ${met(x.complete)} |
| CLI CPU (user + sys) / peak RSS | ${fmt(f.cpuS, 1)} s / ${mb(f.maxRssKb)} (anon ${mb(f.peakAnonKb)}, file-backed ${mb(f.peakFileKb)}) | | |
| longest stretch without a request | ${s1(f.gap.ms)} at ${s1(f.gap.atMs)} | | |
| **incremental** after ${fmt(x.inc.changed.tickets)} tickets (1%) changed: requests sent | ${fmt(x.inc.sent)} (${opLine(x.inc.byOp)}) | = ${fmt(x.incNeed)} | ${met(x.inc.sent === x.incNeed)} |
| incremental: wall time / 429s | ${s1(x.inc.wallMs)} / ${fmt(x.inc.r429)} | | |
| incremental: snapshot after | ${snapLine(x.inc.snapshot)} | = ${fmt(r.tickets)} / ${fmt(r.users)} / ${fmt(r.comments + x.inc.changed.comments)} | ${met(x.incComplete)} |

Requests per ${fmt(f.bucketMs / 1000)} s from the first request (429s in brackets): ${f.buckets.map((b) => `${b.all}${b.r429 ? ` (${b.r429})` : ''}`).join(' · ')}
${diagnosis(x, r)}`;
  };

  // Lists vs events, and the crossover. Lists' time = its fixed part (start-up, the first tickets page, the
  // end) + its requests ÷ (the share of L it holds × L); events' time is set by the 10/min export limit
  // whatever L is. The crossover is the L at which the two wall times are equal.
  let comparison = '';
  const li = rows.find((x) => x.method === 'lists');
  const ev = rows.find((x) => x.method === 'events');
  if (li && ev) {
    const share = Math.min(1, li.rate);
    const liFixedMin = (li.f.wallMs - li.f.spanMs) / 60_000;
    const evMin = ev.f.wallMs / 60_000;
    const crossover = li.ok200 / (share * Math.max(0.01, evMin - liFixedMin));
    const plans = [
      ['Suite Team', 200],
      ['Growth', 400],
      ['Professional', 400],
      ['Enterprise', 700],
      ['Enterprise Plus or the High Volume add-on', 2500],
    ];
    const below = plans.filter(([, l]) => l < crossover).map(([n, l]) => `${n} ${fmt(l)}`);
    const above = plans.filter(([, l]) => l >= crossover).map(([n, l]) => `${n} ${fmt(l)}`);
    const faster = li.f.wallMs < ev.f.wallMs ? 'lists' : 'events';
    const ratio = Math.max(li.f.wallMs, ev.f.wallMs) / Math.min(li.f.wallMs, ev.f.wallMs);
    // With 30 exports a minute (High Volume), after a burst of 30.
    const ev30Min = Math.max(0, ev.f.okExports - 30) / 30 + (ev.f.wallMs - ev.f.spanMs) / 60_000;
    const crossover30 = li.ok200 / (share * Math.max(0.01, ev30Min - liFixedMin));
    const steadyShare = Math.min(1, steadyRate(li.f).rate / L);
    const crossoverSteady = li.ok200 / (steadyShare * Math.max(0.01, evMin - liFixedMin));
    comparison = `### lists vs events (the measured basis for the default)

For ${fmt(r.tickets)} tickets × ${r.commentsPerTicket} comments at an account limit of ${fmt(L)}/min, **lists** sent ${fmt(li.f.sent)} requests in ${mins(li.f.wallMs)} and **events** ${fmt(ev.f.sent)} in ${mins(ev.f.wallMs)}: ${faster} was ${fmt(ratio, 1)}× faster, and events needed ${fmt(li.f.sent / Math.max(1, ev.f.sent))}× fewer requests. Lists costs one request per ticket (${fmt(m.commentLists)} comment lists) and is bounded by the account limit (it held ${fmt(li.rate, 3)} of it over its sending period); events costs one export page per 1,000 comments (${m.events.pages} pages) and is bounded by Zendesk's 10 export requests a minute, shared with the tickets and users exports (${fmt(ev.f.okExports)} export requests in all) whatever the account limit: its time does not move with L, and it spends about ${fmt((100 * ev.f.sent) / (evMin * L), 1)}% of the account's budget over its run, leaving the rest to other API users.

**Crossover.** Lists takes about ${fmt(liFixedMin, 2)} min (start-up and the first tickets page) + ${fmt(li.ok200)} ÷ (${fmt(share, 2)} × L) min; events ${fmt(evMin, 1)} min at any L. They are equal at **L ≈ ${fmt(crossover)} requests/min** for this shape (${r.commentsPerTicket} comments a ticket; roughly 10 exports/min × 1,000 events a page ÷ comments per ticket, so it falls as tickets have more comments and rises as they have fewer): below it events is faster${below.length ? ` (${below.join(', ')})` : ''}, above it lists is${above.length ? ` (${above.join(', ')})` : ''}.${Number.isFinite(steadyShare) && steadyShare - share > 0.02 ? ` At the share lists held once its stalls were over (${fmt(steadyShare, 3)}), the crossover would be about ${fmt(crossoverSteady)}/min.` : ''} ${ev.f.okExports > 30 ? `With the High Volume add-on Zendesk also allows 30 exports a minute; if the adapter paced exports at 30/min (it uses 10), events would take about ${fmt(ev30Min, 1)} min and the crossover would move to about ${fmt(crossover30)}/min. ` : ''}Incrementally the cost differs in kind: lists reads each changed ticket's comment list (${fmt(li.inc.sent)} requests for ${fmt(li.inc.changed.tickets)} changed tickets, ${s1(li.inc.wallMs)}), events only the new events (${fmt(ev.inc.sent)} requests, ${s1(ev.inc.wallMs)}).
`;
  }

  const quickFlag = r.mode === 'quick' ? ' --quick' : '';
  const section = `## e. Pull from Zendesk (live source)

Mode: **${r.mode}**. Written by \`bench/pull.mjs\` (\`npm run bench -- --only pull${quickFlag}\`); see \`bench/README.md\`.

| | |
|---|---|
| date | ${r.meta.date} |
| command | \`${r.meta.command}\` |
| machine | ${r.meta.machine} |
| load average at start / end | ${r.meta.load} |
| Node | ${r.meta.node} |
| code | ${r.meta.code} |

${fmt(r.tickets)} tickets × ${r.commentsPerTicket} comments (${fmt(r.comments)} comments, 300–800 characters each as body / html_body / plain_body), ${fmt(r.users)} users, generated by \`bench/lib/zendesk-export.mjs\` (tickets and users spread over 2017–2024) and served by the Zendesk emulator in process (\`dist/emulators/zendesk\`, seeded with \`loadZendeskSeed\`) with an account limit of **${fmt(L)} requests/min** (Zendesk's High Volume), exports limited to **${r.exportsPerMinute}/min** (Zendesk's own), \`hideLastSeconds: 0\`. The manifest's connection has \`requestsPerMinute: ${fmt(L)}\`; each method runs \`plain-migrate --output json pull\` on a fresh state under \`/usr/bin/time\`, then an incremental pull after 1% of the tickets each got a status change and a new comment (account hook; the pull started 61 s after the full one, once the export window had reset). Requests are counted from the emulator's request log.

**How the minimum is counted.** Each export is paged to its end, the last page being the one that says \`end_of_stream\`; the pages are counted by replaying the emulator's (Zendesk's) paging rules over the generated timestamps (\`bench/lib/zendesk-export.mjs\`):
- tickets and users (cursor exports, 1,000 a page, from \`start_time=0\` since the manifest sets no \`connections.zendesk.since\`): ${m.tickets.empty + m.users.empty} leading empty page(s) (${m.tickets.empty} tickets, ${m.users.empty} users: Zendesk answers an empty page with \`end_of_stream: false\` when the first record lies more than 30 days after the position, which no client can skip) + ⌈${fmt(r.tickets)}/1000⌉ = ${m.simple.tickets} and ⌈${fmt(r.users)}/1000⌉ = ${m.simple.users} pages, the last of each saying \`end_of_stream\` (it holds the last record) → ${m.tickets.pages} + ${m.users.pages};
- lists: ${fmt(r.tickets)} tickets × ⌈10/100⌉ = ${fmt(m.commentLists)} comment lists;
- events: the ticket_events export (1,000 events a page) starts each page at the previous page's \`end_time\`, the last event's second, so that event comes again: ${fmt(r.comments)} events take ${m.events.pages} pages (⌈${fmt(r.comments)}/1000⌉ = ${m.simple.events}, plus ${m.events.pages - m.simple.events} for the ${fmt(m.events.repeated)} repeated events), the last saying \`end_of_stream\`;
- incremental: the tickets export from its stored cursor (the last ticket of the full pull, in 2024) to the changed tickets, stamped now: ${m.incremental ? `${m.incremental.ticketsEmpty} empty page (more than 30 days between them) + ${m.incremental.tickets - m.incremental.ticketsEmpty} page = ${m.incremental.tickets}` : 'n/a'}; the users export, nothing new: 1 empty page that says \`end_of_stream\`; then one comment list per changed ticket (lists), or 1 ticket_events page holding the last event pulled before and a comment and a status event per changed ticket (events).

| goal | |
|---|---|
${goals.map(([g, ok]) => `| ${g} | ${met(ok)} |`).join('\n')}

${rows.map(table).join('\n')}
Rates can exceed 1.0: the client's buckets start full (one second's worth of the account limit; 10 export requests, which Zendesk allows at once) and the emulator counts fixed 60-s windows, so a short run averages above the limit; the longer the run, the closer to the sustained rate.

${comparison}`;
  return { section, goals };
}

// ------------------------------------------------------------------------------------------------ CLI
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  const flag = (n) => argv.includes(`--${n}`);
  const value = (n) => {
    const i = argv.indexOf(`--${n}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  for (const sig of ['SIGINT', 'SIGTERM']) {
    process.on(sig, () => {
      killRunning();
      process.stderr.write(`\nbench pull: interrupted (${sig})\n`);
      process.exit(130);
    });
  }
  const out = resolve(value('out') ?? join(ROOT, 'bench/RESULTS.md'));
  const { goals } = await benchPull({
    quick: flag('quick'),
    tickets: value('tickets') ? Number(value('tickets')) : undefined,
    limit: value('limit') ? Number(value('limit')) : undefined,
    methods: value('methods') ? value('methods').split(',') : undefined,
    out,
    json: out.replace(/\.md$/, '.json'),
    keep: flag('keep'),
    command: `node bench/pull.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`,
  });
  for (const [g, ok] of goals) process.stderr.write(`${ok ? 'met    ' : 'NOT MET'}  ${g}\n`);
}
