/**
 * Command sources end to end: the built CLI pulls a program's output (jsonl, a Singer tap) into its
 * snapshot and imports it into the Plain emulator; the next run hands the program the stored cursor or
 * STATE and lands only what changed. A failing program, a bad line, and the program's environment.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { AGENTS, LABELS } from './workspace.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/live/', import.meta.url));
const AGENT = AGENTS[0]!.id;

let emu: PlainEmulator;
const dirs: string[] = [];
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Ticket {
  id: number;
  subject: string;
  status: string;
  requester: { email: string; name: string };
  created_at: string;
  updated_at: string;
}
interface Comment {
  id: number;
  ticket_id: number;
  from: 'customer' | 'agent';
  body: string;
  created_at: string;
  updated_at: string;
}

const iso = (day: number, hour = 10) => new Date(Date.UTC(2024, 0, day, hour)).toISOString();

function seedData(): { tickets: Ticket[]; comments: Comment[] } {
  const tickets: Ticket[] = [1, 2, 3].map((id) => ({
    id,
    subject: `Legacy ticket ${id}`,
    status: id === 2 ? 'solved' : 'open',
    requester: { email: `customer${id}@example.test`, name: `Customer ${id}` },
    created_at: iso(id),
    updated_at: iso(id, 12),
  }));
  const comments: Comment[] = [];
  for (const t of tickets) {
    comments.push({ id: t.id * 10 + 1, ticket_id: t.id, from: 'customer', body: `Help with ${t.id}`, created_at: iso(t.id, 10), updated_at: iso(t.id, 10) });
    comments.push({ id: t.id * 10 + 2, ticket_id: t.id, from: 'agent', body: `Looking at ${t.id}`, created_at: iso(t.id, 11), updated_at: iso(t.id, 11) });
  }
  return { tickets, comments };
}

/** The mapping of the records the fixtures write, into Plain. */
const THREADS = `threads:
  source: tickets
  externalId: "'lg-' & $string(id)"
  title: subject
  createdAt: created_at
  status: "status = 'solved' ? 'DONE' : 'TODO'"
  customer:
    email: requester.email
    fullName: requester.name
  messages:
    each: $records('comments', id)
    externalId: "'lg-c-' & $string(id)"
    type: "from = 'customer' ? 'INBOUND' : 'NOTE'"
    text: body
    createdAt: created_at
    author: "from = 'customer' ? null : '${AGENT}'"
batching:
  concurrency: 2
  requestsPerMinute: 100000
  maxAttempts: 3
  requestTimeout: 5s
`;

const HEAD = (name: string) => `version: 1
name: ${name}
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
`;

interface Ws {
  dir: string;
  data: { tickets: Ticket[]; comments: Comment[] };
  write(): void;
}

function workspace(manifest: string, data = seedData()): Ws {
  const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-live-cmd-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'data'));
  cpSync(FIXTURES, join(dir, 'fixtures'), { recursive: true });
  writeFileSync(join(dir, 'plain-migrate.yaml'), manifest);
  const ws: Ws = {
    dir,
    data,
    write() {
      writeFileSync(join(dir, 'data/tickets.json'), JSON.stringify(ws.data.tickets, null, 1));
      writeFileSync(join(dir, 'data/comments.json'), JSON.stringify(ws.data.comments, null, 1));
    },
  };
  ws.write();
  return ws;
}

/** The CLI with the emulator as target; PATH so that `node` is found (the program gets PATH, HOME, the locale and its env: only). */
const run = (ws: Ws, args: string[], extraEnv: Record<string, string> = {}) =>
  cli(args, { cwd: ws.dir, endpoint: emu.graphqlUrl, extraEnv: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', ...extraEnv } });

const out = (r: { stdout?: unknown; stderr?: unknown }) => `${String(r.stdout)}\n${String(r.stderr)}`;
const lines = <T>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as T);

const thread = (ext: string) => emu.snapshot().threads.find((t) => t.externalId === ext);
const opsSince = (n: number) => emu.requests().slice(n).map((r) => r.operationName ?? '');

describe('a jsonl command source with cursor: updated_at', () => {
  it('imports the export; the next apply passes the stored cursor and lands only the changed tickets', async () => {
    emu.reset();
    const ws = workspace(`${HEAD('live-jsonl')}sources:
  tickets:
    command: [node, fixtures/export.mjs, tickets, --since, "{{cursor}}"]
    cursor: updated_at
    env: { ARGS_LOG: args.log }
  comments:
    command: [node, fixtures/export.mjs, comments, --since, "{{cursor}}"]
    cursor: updated_at
    groupBy: ticket_id
    env: { ARGS_LOG: args.log }
${THREADS}`);

    const pulled = await run(ws, ['pull']);
    expect(pulled.exitCode, out(pulled)).toBe(0);
    expect(pulled.stdout).toMatch(/command\.tickets: 3 records/);
    expect(pulled.stdout).toMatch(/command\.comments: 6 records/);
    expect(lines<{ kind: string; argv: string[] }>(join(ws.dir, 'args.log'))).toEqual([
      { kind: 'tickets', argv: ['tickets', '--since', ''] },
      { kind: 'comments', argv: ['comments', '--since', ''] },
    ]);

    const first = await run(ws, ['apply', '--auto-approve']);
    expect(first.exitCode, out(first)).toBe(0);
    expect(first.stdout).toMatch(/threads: 3 created, 0 noop, 0 failed/);
    expect(emu.snapshot().threads.map((t) => t.externalId).sort()).toEqual(['lg-1', 'lg-2', 'lg-3']);
    expect(thread('lg-1')!.messages.map((m) => m.externalId)).toEqual(['lg-c-11', 'lg-c-12']);
    // apply pulled again first, from the cursors the pull stored (nothing changed in between)
    const afterFirst = lines<{ kind: string; argv: string[] }>(join(ws.dir, 'args.log')).slice(2);
    expect(afterFirst).toEqual([
      { kind: 'tickets', argv: ['tickets', '--since', iso(3, 12)] },
      { kind: 'comments', argv: ['comments', '--since', iso(3, 11)] },
    ]);

    // The helpdesk changes: ticket 2 is renamed, ticket 3 gets a reply, ticket 4 is new.
    const t2 = ws.data.tickets.find((t) => t.id === 2)!;
    t2.subject = 'Legacy ticket 2 (renamed)';
    t2.updated_at = iso(20);
    ws.data.comments.push({ id: 33, ticket_id: 3, from: 'agent', body: 'A late answer', created_at: iso(20, 9), updated_at: iso(20, 9) });
    ws.data.tickets.push({ id: 4, subject: 'Legacy ticket 4', status: 'open', requester: { email: 'customer4@example.test', name: 'Customer 4' }, created_at: iso(21), updated_at: iso(21, 12) });
    ws.data.comments.push({ id: 41, ticket_id: 4, from: 'customer', body: 'Help with 4', created_at: iso(21, 10), updated_at: iso(21, 10) });
    ws.write();

    const before = emu.requests().length;
    const second = await run(ws, ['apply', '--auto-approve']);
    expect(second.exitCode, out(second)).toBe(0);
    const args = lines<{ kind: string; argv: string[] }>(join(ws.dir, 'args.log')).slice(4);
    expect(args).toEqual([
      { kind: 'tickets', argv: ['tickets', '--since', iso(3, 12)] },
      { kind: 'comments', argv: ['comments', '--since', iso(3, 11)] },
    ]);
    // the pull brought only the changed records: 2 tickets (1 changed, 1 new), 2 comments (new)
    expect(second.stdout).toMatch(/command\.tickets: 2 records \(1 new, 1 changed\)/);
    expect(second.stdout).toMatch(/command\.comments: 2 records \(2 new, 0 changed\)/);
    expect(second.stdout).toMatch(/Plan: 1 threads? to import \(1 messages?\), 1 to update, 1 to append \(1 messages?\), 0 invalid, 0 orphaned, 1 unchanged\./);
    expect(second.stdout).toMatch(/threads: 1 created, 0 noop, 1 updated, 0 failed/);
    // exactly: the new thread and its message, the renamed title, the appended reply (lg-1 is not touched)
    const sent = opsSince(before).filter((o) => !/^read/.test(o));
    expect(sent.sort()).toEqual(['importThread', 'importThreadMessages', 'importThreadMessages', 'updateThreadTitle', 'upsertCustomer']);
    expect(thread('lg-2')!.title).toBe('Legacy ticket 2 (renamed)');
    expect(thread('lg-3')!.messages.map((m) => m.externalId)).toEqual(['lg-c-31', 'lg-c-32', 'lg-c-33']);
    expect(thread('lg-4')!.messages.map((m) => m.externalId)).toEqual(['lg-c-41']);
    expect(thread('lg-1')!.title).toBe('Legacy ticket 1');

    // a third run: the cursor moved on; nothing left to do
    const third = await run(ws, ['plan', '--detailed-exitcode']);
    expect(third.exitCode, out(third)).toBe(0);
    expect(lines<{ kind: string; argv: string[] }>(join(ws.dir, 'args.log')).slice(6)).toEqual([
      { kind: 'tickets', argv: ['tickets', '--since', iso(21, 12)] },
      { kind: 'comments', argv: ['comments', '--since', iso(21, 10)] },
    ]);
    expect(third.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 0 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 4 unchanged\./);
  });
});

describe('a Singer tap read by two sources', () => {
  it('takes each stream from its RECORD messages and hands the STATE back on the next run', async () => {
    emu.reset();
    const ws = workspace(`${HEAD('live-singer')}sources:
  tickets:
    command: [node, fixtures/tap.mjs, --state, "{{state}}"]
    protocol: singer
    stream: tickets
    env: { TAP_LOG: tap-tickets.log }
  comments:
    command: [node, fixtures/tap.mjs, --state, "{{state}}"]
    protocol: singer
    stream: comments
    groupBy: ticket_id
    env: { TAP_LOG: tap-comments.log }
${THREADS}`);

    const first = await run(ws, ['apply', '--auto-approve']);
    expect(first.exitCode, out(first)).toBe(0);
    expect(first.stdout).toMatch(/command\.tickets: 3 records \(3 new, 0 changed\)/);
    expect(first.stdout).toMatch(/command\.comments: 6 records \(6 new, 0 changed\)/);
    expect(first.stdout).toMatch(/threads: 3 created, 0 noop, 0 failed/);
    expect(thread('lg-2')!.messages.map((m) => m.externalId)).toEqual(['lg-c-21', 'lg-c-22']);
    type TapRun = { state: { bookmarks?: Record<string, { updated_at: string }> }; emitted: Record<string, number[]> };
    // the first run of each source got the empty state {}
    expect(lines<TapRun>(join(ws.dir, 'tap-tickets.log'))).toEqual([{ state: {}, emitted: { tickets: [1, 2, 3], comments: [11, 12, 21, 22, 31, 32] } }]);
    expect(lines<TapRun>(join(ws.dir, 'tap-comments.log'))).toEqual([{ state: {}, emitted: { tickets: [1, 2, 3], comments: [11, 12, 21, 22, 31, 32] } }]);

    const t1 = ws.data.tickets.find((t) => t.id === 1)!;
    t1.status = 'solved';
    t1.updated_at = iso(20);
    ws.data.comments.push({ id: 13, ticket_id: 1, from: 'agent', body: 'Fixed, closing', created_at: iso(20, 9), updated_at: iso(20, 9) });
    ws.write();

    const before = emu.requests().length;
    const second = await run(ws, ['apply', '--auto-approve']);
    expect(second.exitCode, out(second)).toBe(0);
    const bookmarks = { tickets: { updated_at: iso(3, 12) }, comments: { updated_at: iso(3, 11) } };
    // STATE round trip: each source's tap got the state it emitted last time, and emitted only what came after
    expect(lines<TapRun>(join(ws.dir, 'tap-tickets.log'))[1]).toEqual({ state: { bookmarks }, emitted: { tickets: [1], comments: [13] } });
    expect(lines<TapRun>(join(ws.dir, 'tap-comments.log'))[1]).toEqual({ state: { bookmarks }, emitted: { tickets: [1], comments: [13] } });
    expect(second.stdout).toMatch(/command\.tickets: 1 record \(0 new, 1 changed\)/);
    expect(second.stdout).toMatch(/command\.comments: 1 record \(1 new, 0 changed\)/);
    expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 0 invalid, 0 orphaned, 2 unchanged\./);
    expect(second.stdout).toMatch(/threads: 0 created, 0 noop, 1 updated, 0 failed/);
    expect(opsSince(before).filter((o) => !/^read/.test(o)).sort()).toEqual(['importThreadMessages', 'markThreadAsDone']);
    expect(thread('lg-1')!.status).toBe('DONE');
    expect(thread('lg-1')!.messages.map((m) => m.externalId)).toEqual(['lg-c-11', 'lg-c-12', 'lg-c-13']);
    expect(emu.snapshot().threads).toHaveLength(3);
  });
});

describe('a program that fails', () => {
  it('exits non-zero: pull exits 1 naming the source and the exit code, with its last stderr lines', async () => {
    const ws = workspace(`${HEAD('live-fail')}sources:
  tickets:
    command: [node, fixtures/fail.mjs]
  comments:
    command: [node, fixtures/export.mjs, comments, --since, "{{cursor}}"]
    groupBy: ticket_id
${THREADS}`);
    const r = await run(ws, ['pull']);
    expect(r.exitCode).toBe(1);
    const text = out(r);
    expect(text).toMatch(/source "tickets": node exited with code 3/);
    expect(text).toContain('legacy-export: ERROR the database refused the connection');
    expect(text).toContain('legacy-export: giving up');
    // the last 20 stderr lines, not all 25
    expect(text).toMatch(/its last lines on stderr:\n\s+progress 6\n[\s\S]*progress 23\n/);
    expect(text).not.toMatch(/progress 5\n/);
    // the pull stopped there: the later source was not run
    expect(text).not.toMatch(/command\.comments: \d+ records? \(/);
    // plan fails the same way (it pulls first)
    const plan = await run(ws, ['plan']);
    expect(plan.exitCode).toBe(1);
    expect(out(plan)).toMatch(/source "tickets": node exited with code 3/);
  });

  it('writes a line that is not JSON: pull exits 1 with the line number, and the program is stopped', async () => {
    const ws = workspace(`${HEAD('live-bad-line')}sources:
  tickets:
    command: [node, fixtures/bad-line.mjs]
  comments:
    command: [node, fixtures/export.mjs, comments, --since, "{{cursor}}"]
    groupBy: ticket_id
${THREADS}`);
    const started = Date.now();
    const r = await run(ws, ['pull']);
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.exitCode).toBe(1);
    expect(out(r)).toMatch(/source "tickets": node output line 4 is not JSON/);
    expect(out(r)).toMatch(/its last lines on stderr:\n\s+about to hang/);
  });

  it('a program that is not on PATH: pull exits 1 naming the source and the program', async () => {
    const ws = workspace(`${HEAD('live-missing')}sources:
  tickets:
    command: [no-such-exporter-xyz, --all]
  comments:
    command: [node, fixtures/export.mjs, comments, --since, "{{cursor}}"]
    groupBy: ticket_id
${THREADS}`);
    const r = await run(ws, ['pull']);
    expect(r.exitCode).toBe(1);
    expect(out(r)).toMatch(/source "tickets": no-such-exporter-xyz could not be started/);
  });
});

describe("the program's environment", () => {
  const SECRET = 'tok-9f8e7d6c5b4a-SECRET';
  const manifest = `${HEAD('live-env')}sources:
  tickets:
    command: [node, fixtures/env.mjs]
    env:
      LEGACY_API_TOKEN: \${LEGACY_TOKEN}
      GREETING: "hello \${WHO}"
      ECHO_SECRET: \${ECHO_SECRET:-}
  comments:
    command: [node, fixtures/export.mjs, comments, --since, "{{cursor}}"]
    groupBy: ticket_id
${THREADS}`;

  it('is what env: gives it (with ${VAR} read from the CLI environment), nothing more, and its secret is never shown', async () => {
    const ws = workspace(manifest);
    const r = await run(ws, ['pull'], { LEGACY_TOKEN: SECRET, WHO: 'world', UNRELATED_SECRET: 'do-not-pass-me', ECHO_SECRET: '' });
    expect(r.exitCode, out(r)).toBe(0);
    const seen = JSON.parse(readFileSync(join(ws.dir, 'env-seen.json'), 'utf8')) as Record<string, string>;
    expect(seen['LEGACY_API_TOKEN']).toBe(SECRET);
    expect(seen['GREETING']).toBe('hello world');
    expect(seen['PATH']).toBe(process.env['PATH']);
    // the CLI's own environment is not passed on: not the variables env: reads, not the Plain key, not the rest
    expect(seen['UNRELATED_SECRET']).toBeUndefined();
    expect(seen['LEGACY_TOKEN']).toBeUndefined();
    expect(seen['WHO']).toBeUndefined();
    expect(seen['PLAIN_API_KEY']).toBeUndefined();
    expect(seen['PLAIN_ENDPOINT']).toBeUndefined();
    expect(out(r)).not.toContain(SECRET);
    const plan = await run(ws, ['plan', '--offline'], { LEGACY_TOKEN: SECRET, WHO: 'world' });
    expect(out(plan)).not.toContain(SECRET);
  });

  it("masks the secret when the failing program echoes it on stderr", async () => {
    const ws = workspace(manifest);
    const r = await run(ws, ['pull'], { LEGACY_TOKEN: SECRET, WHO: 'world', ECHO_SECRET: '1' });
    expect(r.exitCode).toBe(1);
    const text = out(r);
    expect(text).toMatch(/source "tickets": node exited with code 2/);
    expect(text).toMatch(/auth failed with token \*\*\*/);
    expect(text).not.toContain(SECRET);
    // nor is it kept: the state database holds no trace of it
    for (const f of ['.plain-migrate/state.db', '.plain-migrate/state.db-wal']) {
      const p = join(ws.dir, f);
      if (existsSync(p)) expect(readFileSync(p).includes(Buffer.from(SECRET))).toBe(false);
    }
  });
});
