/**
 * The plan's mapping pool (issue 17): records mapped by worker threads give the same plan, byte for
 * byte, as records mapped one at a time in the main thread — with every kind of diagnostic in it
 * (invalid records and messages, a read error, filtered records, a duplicate externalId, unmapped table
 * values, agents who are not users, label types looked up by name), the look-ups the workers ask the
 * plan's resolver counted once; apply maps in the pool and a re-plan then finds every thread unchanged
 * without mapping it. The fast path (src/manifest/fast-path.ts) gives the same plan as JSONata alone.
 * The built CLI against the Plain emulator.
 */
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { execa } from 'execa';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { MIN_CHUNKED_BYTES } from '../../src/sources/index-build.js';
import { cli } from './cli.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
/** More than the records a plan maps itself before it starts the pool (POOL_AFTER, 256). */
const TICKETS = 700;
const AGENTS = ['sara@acme.test', 'tom@acme.test', 'gone@acme.test', 'ana@acme.test', 'leaver@acme.test'];
const PLAIN_USERS = [
  { id: 'u_01HB924PME9C0YWKW1N4AK3B01', email: 'sara@acme.test', fullName: 'Sara' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B02', email: 'tom@acme.test', fullName: 'Tom' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B04', email: 'ana@acme.test', fullName: 'Ana' },
];
const LABEL_TYPES = [
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZA', name: 'Billing' },
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZB', name: 'Bug' },
];
const STATUSES = ['new', 'open', 'pending', 'solved', 'closed', 'weird'];

function exportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-pool-'));
  const users = [
    ...AGENTS.map((email, i) => ({ id: i + 1, name: email.split('@')[0], email })),
    ...Array.from({ length: 300 }, (_, i) => ({ id: 100 + i, name: `Customer ${i}`, email: `c${i}@example.test` })),
  ];
  const lines: string[] = [];
  const comments: unknown[] = [];
  for (let id = 1; id <= TICKETS; id++) {
    const created = new Date(Date.UTC(2023, 0, 1) + id * 3_600_000).toISOString();
    const ticket = {
      id: id === 651 ? 12 : id, // a duplicate externalId, found in the pool's part
      subject: id % 97 === 0 ? null : `Ticket ${id} <about> "billing"`,
      status: id % 50 === 0 ? 'deleted' : STATUSES[id % STATUSES.length],
      priority: ['urgent', 'high', 'normal', 'low', 'odd'][id % 5],
      tags: [['billing'], ['bug', 'billing'], ['vip'], []][id % 4],
      requester_id: 100 + (id % 300),
      assignee_id: id % 7 === 0 ? null : (id % AGENTS.length) + 1,
      created_at: id % 123 === 0 ? 'last tuesday' : created,
    };
    lines.push(id === 400 ? '{"id": 400, "subject": broken' : JSON.stringify(ticket));
    for (let c = 0; c < 3; c++) {
      const author = c === 0 ? ticket.requester_id : (id % AGENTS.length) + 1; // the note (c 2) by an agent
      comments.push({
        id: id * 10 + c,
        ticket_id: id,
        author_id: author,
        public: c !== 2,
        html_body: `<p>Comment <b>${c}</b> on ${id}</p><ul><li>one</li><li>two &amp; three</li></ul>${c === 2 ? '<table><tr><td>a</td></tr></table>' : ''}`,
        created_at: id % 211 === 0 && c === 2 ? '2999-01-01T00:00:00Z' : new Date(Date.parse(created) + c * 60_000).toISOString(),
      });
    }
  }
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(dir, 'tickets.jsonl'), lines.join('\n') + '\n');
  writeFileSync(join(dir, 'users.jsonl'), jsonl(users));
  writeFileSync(join(dir, 'comments.jsonl'), jsonl(comments));
  writeFileSync(
    join(dir, 'plain-migrate.yaml'),
    `version: 1
name: pool
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
sources:
  tickets: { path: tickets.jsonl }
  users: { path: users.jsonl, key: id }
  comments: { path: comments.jsonl, groupBy: ticket_id }
tables:
  status:
    new: { status: TODO }
    open: { status: TODO }
    pending: { status: SNOOZED }
    solved: { status: DONE }
    closed: { status: DONE }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }
  labels: { billing: Billing, bug: Bug, _default: null }
threads:
  source: tickets
  where: status != 'deleted'
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: $toISO(created_at)
  status: $table('status', status)
  priority: $table('priority', priority)
  labels: $table('labels', tags)
  assignee: "assignee_id ? $record('users', assignee_id).email : null"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
  messages:
    each: $records('comments', id)
    externalId: "'c-' & $string(id)"
    type: "public ? (author_id = $thread.requester_id ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: $htmlToMarkdown(html_body)
    createdAt: created_at
    author: "author_id = $thread.requester_id ? null : $record('users', author_id).email"
batching: { concurrency: 8, requestsPerMinute: 1000000, maxAttempts: 2, requestTimeout: 10s }
`,
  );
  return dir;
}

describe('the mapping pool', () => {
  let emu: PlainEmulator;
  let dir: string;
  beforeAll(async () => {
    emu = await startPlainEmulator({ seed: { users: PLAIN_USERS, labelTypes: LABEL_TYPES } });
    dir = exportDir();
  });
  afterAll(async () => emu?.close());
  beforeEach(() => emu.reset());
  const run = (args: string[]) => cli(args, { cwd: dir, endpoint: emu.graphqlUrl });
  const lookups = () => emu.requests().filter((r) => r.operationName !== undefined).map((r) => r.operationName).sort();

  it('gives the same plan with 3 workers as with the main thread alone, every diagnostic included', async () => {
    const one = await run(['plan', '--json', '--workers', '1', '--verbose']);
    expect(one.exitCode, String(one.stderr)).toBe(0);
    const oneLookups = lookups();
    emu.reset();
    const three = await run(['plan', '--json', '--workers', '3', '--verbose']);
    expect(three.exitCode, String(three.stderr)).toBe(0);
    expect(lookups()).toEqual(oneLookups);
    const a = JSON.parse(String(one.stdout));
    const b = JSON.parse(String(three.stdout));
    // The records past the first 256 were mapped by the 3 workers, and nothing else differs.
    expect(a.mapping).toEqual({ workers: 0, recordsMappedInWorkers: 0, startedWhileIndexing: false });
    expect(b.mapping).toEqual({ workers: 3, recordsMappedInWorkers: TICKETS - 256, startedWhileIndexing: false }); // a small source: the pool starts at record 256
    expect(b.plan).toEqual(a.plan);
    expect(b.cache).toEqual(a.cache);
    // The plan has every kind of diagnostic, so that the comparison means something.
    const p = a.plan;
    expect(p.threads.invalid).toBeGreaterThan(10);
    expect(p.messages.invalid).toBeGreaterThan(0);
    expect(p.threads.filtered).toBeGreaterThan(10);
    expect(p.unmapped.map((u: { table: string; value: string }) => `${u.table}:${u.value}`)).toEqual(expect.arrayContaining(['priority:odd', 'status:weird', 'labels:vip']));
    // (c12: the duplicate of ticket 12 gathers ticket 12's comments, whose customer is not its own.)
    expect(p.unresolvedAgents.map((u: { email: string }) => u.email).sort()).toEqual(['c12@example.test', 'gone@acme.test', 'leaver@acme.test']);
    const reasons = p.invalid.items.map((i: { reasons: string[] }) => i.reasons.join(' ')).join('\n');
    expect(reasons).toContain('is also produced by tickets.jsonl:12');
    expect(reasons).toMatch(/\$toISO cannot read "last tuesday"/);
    expect(p.invalid.items.some((i: { where: string }) => i.where === 'tickets.jsonl:400')).toBe(true);
    expect(oneLookups.filter((o) => o === 'userByEmail')).toHaveLength(AGENTS.length + 1); // each asked once, c12 too
  });

  it('gives the same plan with the fast path as with JSONata alone (PLAIN_MIGRATE_JSONATA_ONLY=1), pool or not', async () => {
    const plan = async (workers: string, extraEnv: Record<string, string> = {}) => {
      emu.reset();
      const r = await cli(['plan', '--json', '--workers', workers, '--verbose'], { cwd: dir, endpoint: emu.graphqlUrl, extraEnv });
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return { plan: JSON.parse(String(r.stdout)).plan, lookups: lookups() };
    };
    const slow = await plan('1', { PLAIN_MIGRATE_JSONATA_ONLY: '1' });
    expect(await plan('1')).toEqual(slow);
    expect(await plan('3')).toEqual(slow);
    expect(slow.plan.invalid.items.map((i: { reasons: string[] }) => i.reasons.join(' ')).join('\n')).toMatch(/\$toISO cannot read "last tuesday"/);
  });

  it('stops on a failed look-up in a worker as it does in the main thread: the same error, nothing planned', async () => {
    // The 6th userByEmail (c12, asked only by ticket 651, in the pool's part) is refused.
    const fail = () =>
      fetch(`${emu.url}/__emulator/faults`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ rules: [{ operation: 'userByEmail', every: 6, times: 1, action: 'status:401' }] }),
      });
    expect((await fail()).ok).toBe(true);
    const one = await run(['plan', '--workers', '1']);
    emu.reset();
    expect((await fail()).ok).toBe(true);
    const three = await run(['plan', '--workers', '3']);
    expect(one.exitCode).not.toBe(0);
    expect(three.exitCode).toBe(one.exitCode);
    expect(String(one.stderr)).toMatch(/401|API key|unauthori[sz]ed/i);
    expect(String(three.stderr)).toBe(String(one.stderr));
    expect(String(three.stderr)).not.toMatch(/ at .*\.js:\d+/); // no stack trace
  });

  it('applies with workers, and a re-plan then maps nothing it does not have to', async () => {
    const apply = await run(['apply', '--auto-approve', '--workers', '3']);
    expect(apply.exitCode, `${String(apply.stdout)}\n${String(apply.stderr)}`).toBe(0);
    const threads = emu.snapshot().threads;
    const imported = threads.length;
    expect(imported).toBeGreaterThan(500);
    // The workers' messages carry their text when apply sends them (a plan leaves it behind).
    const t501 = threads.find((t) => t.externalId === 'zd-501')!;
    expect(t501.messages.map((m) => m.text)).toEqual(['Comment **0** on 501\n\n-   one\n-   two & three', 'Comment **1** on 501\n\n-   one\n-   two & three', expect.stringMatching(/^Comment \*\*2\*\* on 501/)]);
    const again = await run(['plan', '--json', '--workers', '3']);
    const j = JSON.parse(String(again.stdout));
    expect(j.mapping.workers).toBe(3);
    expect(j.plan.threads.noop).toBe(imported);
    expect(j.plan.threads.create).toBe(0);
    // Threads with an agent who is not a user are mapped again every time (the plan lists the agents); the rest come from the cache.
    const unassignedByDeparture = j.plan.unresolvedAgents.reduce((n: number, u: { threads: number }) => n + u.threads, 0);
    expect(j.cache.unchangedNotRemapped).toBeGreaterThanOrEqual(imported - unassignedByDeparture - 200);
    expect(j.cache.unchangedNotRemapped).toBeGreaterThan(300);
  });
});

describe('the mapping pool with a large source to index', () => {
  it('starts its workers while the index is built, which they help build, and the plan is the same as with the main thread alone', async () => {
    // 4,100 tickets × 10 comments of 1–2 KB HTML: a comments file over 64 MiB (EARLY_POOL_BYTES, and
    // MIN_CHUNKED_BYTES: its index is built from chunks the workers parse). The main thread maps the
    // first 255 records, the pool the rest from the 256th (POOL_AFTER) on.
    const tickets = 4100;
    const dir = mkdtempSync(join(tmpdir(), 'pm-pool-early-'));
    const gen = await execa(process.execPath, [join(REPO, 'bench/generate.mjs'), '--tickets', String(tickets), '--comments', '10', '--out', dir], { reject: false });
    expect(gen.exitCode, String(gen.stderr)).toBe(0);
    expect(statSync(join(dir, 'export/comments.jsonl')).size).toBeGreaterThan(MIN_CHUNKED_BYTES);
    const run = (workers: string) => cli(['plan', '--json', '--workers', workers], { cwd: dir, endpoint: 'http://127.0.0.1:9/graphql/v1' });
    /** The comments index: its rows and digests, and how many of its chunks the workers parsed. */
    const commentsIndex = () => {
      const cache = join(dir, '.plain-migrate/cache');
      const db = new Database(join(cache, readdirSync(cache).find((f) => f.startsWith('comments.groupBy.') && f.endsWith('.sqlite'))!), { readonly: true });
      try {
        return {
          rows: db.prepare('SELECT k, line, idx, off, len FROM recs ORDER BY id').raw().all(),
          digests: db.prepare('SELECT k, d FROM digests ORDER BY k').raw().all(),
          chunks: db.prepare("SELECT v FROM meta WHERE k = 'chunks'").pluck().get() as string | undefined,
        };
      } finally {
        db.close();
      }
    };
    const early = await run('2');
    expect(early.exitCode, String(early.stderr)).toBe(0);
    const e = JSON.parse(String(early.stdout));
    expect(e.mapping).toEqual({ workers: 2, recordsMappedInWorkers: tickets - 255, startedWhileIndexing: true });
    const chunked = commentsIndex();
    expect(chunked.chunks).toMatch(/^(\d+)\/\1$/); // every chunk parsed by a worker
    expect(Number(chunked.chunks!.split('/')[1])).toBeGreaterThan(1);
    rmSync(join(dir, '.plain-migrate'), { recursive: true, force: true });
    const alone = await run('1');
    expect(alone.exitCode, String(alone.stderr)).toBe(0);
    const a = JSON.parse(String(alone.stdout));
    expect(a.mapping).toEqual({ workers: 0, recordsMappedInWorkers: 0, startedWhileIndexing: false });
    const whole = commentsIndex();
    expect(whole.chunks).toBeUndefined();
    expect(chunked.rows).toEqual(whole.rows);
    expect(chunked.digests).toEqual(whole.digests);
    expect(e.plan).toEqual(a.plan);
    expect(a.plan.threads.create).toBe(tickets);
    // The indexes are built now: a plan that reuses them starts its pool at record 256, as before.
    const again = JSON.parse(String((await run('2')).stdout));
    expect(again.mapping).toEqual({ workers: 2, recordsMappedInWorkers: tickets - 255, startedWhileIndexing: false });
    expect(again.plan).toEqual(a.plan);
    rmSync(dir, { recursive: true, force: true });
  });
});
