#!/usr/bin/env node
/**
 * Deterministic generator of Zendesk-shaped exports for the benchmarks.
 *
 *   node bench/generate.mjs --tickets 10000 --comments 10 --out /tmp/ws [--seed 42]
 *                           [--concurrency 16] [--rpm 6000]
 *
 * Writes, into --out:
 *   export/tickets.jsonl   N tickets (id 1..N, in order)
 *   export/comments.jsonl  M comments per ticket with 1–2 KB HTML bodies, grouped by ticket in ticket order
 *   export/users.jsonl     agents (ids 1..AGENTS) and customers (ids 1000..)
 *   plain-migrate.yaml     a manifest like test/e2e/workspace.ts's (status/priority/labels/agents tables)
 *   seed.json              the emulator seed: the agents (users) and label types the tables point at
 *   meta.json              what was generated, and the minimum number of requests an apply needs
 *
 * Everything comes from a seeded PRNG (mulberry32): the same arguments give the same bytes. Records are
 * written as they are made (bounded buffers, backpressure honoured); nothing is held for the whole
 * export except one bit per customer (which customers are requesters).
 */
import { createWriteStream, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** mulberry32: a small, fast, seeded PRNG; returns floats in [0, 1). */
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A Plain-shaped id (`<prefix>_` + 26 Crockford base-32 characters) that is a pure function of n. */
export function plainId(prefix, n) {
  let tail = '';
  let x = n;
  for (let i = 0; i < 6; i++) {
    tail = CROCKFORD[x % 32] + tail;
    x = Math.floor(x / 32);
  }
  return `${prefix}_01HB924PME9C0YWKW1N4${tail}`;
}

export const AGENT_COUNT = 12;
/** Zendesk user ids 1..AGENT_COUNT are agents; customers are CUSTOMER_BASE + k. */
export const CUSTOMER_BASE = 1000;
const TAGS = ['billing', 'bug', 'vip', 'feature', 'refund', 'login', 'mobile', 'api', 'invoice', 'outage', 'churn-risk', 'onboarding'];
/** The tags that have a label type in the seed (the others map to nothing). */
const LABELLED_TAGS = TAGS.slice(0, 6);
const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'];
const PRIORITIES = ['urgent', 'high', 'normal', 'low', null];
const CHANNELS = ['email', 'web', 'api', 'chat'];
const WORDS = (
  'account access admin after again agent already answer app attached billing browser cancel card change charge ' +
  'check click config confirm customer dashboard data delete details device different email error export failed ' +
  'feature file fixed form hello help invoice issue last link login message missing mobile monday months name ' +
  'need order page password payment people plan please problem profile question receipt refund report request ' +
  'reset screen second settings setup should since still subscription support team thanks their there thing ' +
  'ticket today trying update upgrade user using version week when while work working would wrong yesterday'
).split(' ');

export function agents() {
  const names = ['Sara', 'Tom', 'Ines', 'Kofi', 'Mei', 'Lars', 'Priya', 'Diego', 'Hana', 'Omar', 'Zoe', 'Ivan'];
  return names.slice(0, AGENT_COUNT).map((n, i) => ({
    zendeskId: i + 1,
    id: plainId('u', i + 1),
    email: `${n.toLowerCase()}@acme.test`,
    fullName: `${n} Agent`,
  }));
}

export function labelTypes() {
  return LABELLED_TAGS.map((name, i) => ({ id: plainId('lt', 100 + i), name }));
}

export function emulatorSeed() {
  return {
    users: agents().map(({ id, email, fullName }) => ({ id, email, fullName })),
    labelTypes: labelTypes(),
  };
}

/**
 * The manifest. Every value under `threads` is JSONata; the tables point at ids in emulatorSeed().
 * `batching` is what the benchmark in question needs.
 */
export function manifestText({ concurrency = 16, requestsPerMinute = 6000, maxAttempts = 8, requestTimeout = '30s', name = 'bench' } = {}) {
  const ag = agents();
  const lt = labelTypes();
  return `version: 1
name: ${name}
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
sources:
  tickets:
    path: export/tickets.jsonl
  users:
    path: export/users.jsonl
    key: id
  comments:
    path: export/comments.jsonl
    groupBy: ticket_id
tables:
  status:
    new:     { status: TODO, statusDetail: NEW_REPLY }
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    hold:    { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    solved:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }
  labels:
${lt.map((l) => `    ${l.name}: ${l.id}`).join('\n')}
    _default: null
  agents:
${ag.map((a) => `    "${a.email}": ${a.id}`).join('\n')}
    _default: ${ag[0].id}
threads:
  source: tickets
  where: status != 'deleted'
  externalId: "'zd-' & $string(id)"
  title: subject
  externalUrl: "'https://acme.zendesk.com/agent/tickets/' & $string(id)"
  createdAt: created_at
  status: $table('status', status)
  priority: $table('priority', priority)
  labels: $table('labels', tags)
  assignee: "assignee_id ? $table('agents', $record('users', assignee_id).email) : null"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
    externalId: "'zd-user-' & $string(requester_id)"
  messages:
    each: $records('comments', id)
    externalId: "'zd-comment-' & $string(id)"
    type: "public ? (author_id = $thread.requester_id ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: $htmlToMarkdown(html_body)
    createdAt: created_at
    author: "author_id = $thread.requester_id ? null : $table('agents', $record('users', author_id).email)"
batching:
  messagesPerRequest: 25
  concurrency: ${concurrency}
  requestsPerMinute: ${requestsPerMinute}
  maxAttempts: ${maxAttempts}
  requestTimeout: ${requestTimeout}
`;
}

/** A buffered line writer over a file stream that waits for 'drain' when the stream is full; `bytes`: written so far. */
export class LineWriter {
  constructor(file) {
    this.stream = createWriteStream(file, { highWaterMark: 1 << 20 });
    this.buf = [];
    this.size = 0;
    this.bytes = 0;
  }
  async line(s) {
    this.buf.push(s, '\n');
    this.size += s.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }
  async flush() {
    if (this.buf.length === 0) return;
    const chunk = this.buf.join('');
    this.buf = [];
    this.bytes += Buffer.byteLength(chunk);
    this.size = 0;
    if (!this.stream.write(chunk)) await new Promise((r) => this.stream.once('drain', r));
  }
  async close() {
    await this.flush();
    await new Promise((r, j) => this.stream.end((e) => (e ? j(e) : r())));
  }
}

function pick(rng, xs) {
  return xs[Math.floor(rng() * xs.length)];
}

function sentence(rng, n) {
  let s = '';
  for (let i = 0; i < n; i++) {
    const w = pick(rng, WORDS);
    s += i === 0 ? w[0].toUpperCase() + w.slice(1) : ` ${w}`;
  }
  return `${s}.`;
}

/** One HTML body of `min`..`max` bytes (ASCII), made of Zendesk-like blocks. */
export function htmlBody(rng, min = 1024, max = 2048) {
  const target = min + Math.floor(rng() * (max - min - 220));
  let html = '';
  while (html.length < target) {
    const r = rng();
    if (r < 0.5) {
      html += `<p>${sentence(rng, 6 + Math.floor(rng() * 10))} ${sentence(rng, 4 + Math.floor(rng() * 8))}</p>`;
    } else if (r < 0.62) {
      html += `<p>Could you <b>${pick(rng, WORDS)} the ${pick(rng, WORDS)}</b> &amp; <i>${pick(rng, WORDS)}</i> it again?<br>${sentence(rng, 5)}</p>`;
    } else if (r < 0.74) {
      html += `<ul><li>${sentence(rng, 4)}</li><li>${sentence(rng, 5)}</li><li>${sentence(rng, 3)}</li></ul>`;
    } else if (r < 0.84) {
      html += `<p>See <a href="https://help.acme.test/articles/${Math.floor(rng() * 100000)}">this article</a> about ${pick(rng, WORDS)} &lt;${pick(rng, WORDS)}&gt;.</p>`;
    } else if (r < 0.92) {
      html += `<blockquote><p>${sentence(rng, 8)}</p></blockquote>`;
    } else {
      html += `<pre><code>error: ${pick(rng, WORDS)}_${pick(rng, WORDS)} failed (code ${Math.floor(rng() * 999)})</code></pre>`;
    }
  }
  return html;
}

/**
 * Generates the export into `out`. Returns (and writes to meta.json) the counts, including the minimum
 * number of requests an apply of it needs: customers + threads + Σ⌈messages/25⌉.
 */
export async function generate({ out, tickets, comments, seed = 42, concurrency = 16, requestsPerMinute = 6000, log = () => {} }) {
  if (!Number.isInteger(tickets) || tickets < 1) throw new Error('--tickets must be a positive integer');
  if (!Number.isInteger(comments) || comments < 1) throw new Error('--comments must be a positive integer');
  const dir = resolve(out);
  mkdirSync(join(dir, 'export'), { recursive: true });
  const started = Date.now();
  const rng = mulberry32(seed);
  const customers = Math.max(1, Math.ceil(tickets / 3));
  const requester = new Uint8Array(customers);
  const ag = agents();

  const t = new LineWriter(join(dir, 'export/tickets.jsonl'));
  const c = new LineWriter(join(dir, 'export/comments.jsonl'));
  const base = Date.parse('2019-01-01T00:00:00Z');
  let commentId = 5_000_000;
  let htmlBytes = 0;
  for (let i = 1; i <= tickets; i++) {
    const k = Math.floor(rng() * customers);
    requester[k] = 1;
    const requesterId = CUSTOMER_BASE + k;
    const created = base + i * 60_000;
    const nTags = Math.floor(rng() * 4);
    const tags = [];
    for (let j = 0; j < nTags; j++) {
      const tag = pick(rng, TAGS);
      if (!tags.includes(tag)) tags.push(tag);
    }
    const ticket = {
      url: `https://acme.zendesk.com/api/v2/tickets/${i}.json`,
      id: i,
      external_id: null,
      via: { channel: pick(rng, CHANNELS) },
      created_at: new Date(created).toISOString(),
      updated_at: new Date(created + comments * 137_000 + 1000).toISOString(),
      type: pick(rng, ['question', 'incident', 'problem', 'task']),
      subject: `${sentence(rng, 3 + Math.floor(rng() * 6)).slice(0, -1)} (#${i})`,
      priority: pick(rng, PRIORITIES),
      status: pick(rng, STATUSES),
      requester_id: requesterId,
      submitter_id: requesterId,
      assignee_id: rng() < 0.2 ? null : pick(rng, ag).zendeskId,
      organization_id: null,
      group_id: 360000000 + (i % 5),
      tags,
      custom_fields: [{ id: 360001, value: pick(rng, ['plan_free', 'plan_pro', 'plan_enterprise']) }],
    };
    await t.line(JSON.stringify(ticket));
    for (let m = 0; m < comments; m++) {
      // The first comment is the customer's; then customer and agents take turns, agents sometimes as internal notes.
      const byCustomer = m === 0 || rng() < 0.45;
      const html = htmlBody(rng);
      htmlBytes += html.length;
      await c.line(
        JSON.stringify({
          id: ++commentId,
          ticket_id: i,
          type: 'Comment',
          author_id: byCustomer ? requesterId : pick(rng, ag).zendeskId,
          public: byCustomer ? true : rng() < 0.8,
          html_body: html,
          attachments: [],
          created_at: new Date(created + (m + 1) * 137_000).toISOString(),
        }),
      );
    }
    if (i % 100_000 === 0) log(`  generated ${i.toLocaleString('en-US')} tickets`);
  }
  await t.close();
  await c.close();

  const u = new LineWriter(join(dir, 'export/users.jsonl'));
  for (const a of ag) {
    await u.line(JSON.stringify({ id: a.zendeskId, name: a.fullName, email: a.email, role: 'agent', active: true }));
  }
  for (let k = 0; k < customers; k++) {
    await u.line(JSON.stringify({ id: CUSTOMER_BASE + k, name: `Customer ${k}`, email: `customer${k}@example.test`, role: 'end-user', active: true }));
  }
  await u.close();

  let customersUsed = 0;
  for (const x of requester) customersUsed += x;
  const batchesPerThread = Math.ceil(comments / 25);
  const meta = {
    seed,
    tickets,
    commentsPerTicket: comments,
    messages: tickets * comments,
    customers,
    agents: ag.length,
    customersUsed,
    htmlBytesAvg: Math.round(htmlBytes / (tickets * comments)),
    bytes: { tickets: t.bytes, comments: c.bytes, users: u.bytes },
    minimumRequests: {
      upsertCustomer: customersUsed,
      importThread: tickets,
      importThreadMessages: tickets * batchesPerThread,
      total: customersUsed + tickets + tickets * batchesPerThread,
    },
    generatedInMs: Date.now() - started,
  };
  writeFileSync(join(dir, 'plain-migrate.yaml'), manifestText({ concurrency, requestsPerMinute }));
  writeFileSync(join(dir, 'seed.json'), `${JSON.stringify(emulatorSeed(), null, 2)}\n`);
  writeFileSync(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  return meta;
}

function parseArgs(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    o[a.slice(2)] = v;
  }
  return o;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const a = parseArgs(process.argv.slice(2));
  if (!a.out || !a.tickets) {
    process.stderr.write('usage: node bench/generate.mjs --tickets N [--comments M] --out DIR [--seed S] [--concurrency C] [--rpm R]\n');
    process.exit(2);
  }
  const meta = await generate({
    out: a.out,
    tickets: Number(a.tickets),
    comments: Number(a.comments ?? 10),
    seed: Number(a.seed ?? 42),
    concurrency: Number(a.concurrency ?? 16),
    requestsPerMinute: Number(a.rpm ?? 6000),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(`${JSON.stringify(meta, null, 2)}\n`);
}
