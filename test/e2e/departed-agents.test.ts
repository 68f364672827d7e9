/**
 * Agents who left (issue 13): a Zendesk-shaped export of 120 tickets assigned round-robin to five
 * agents, two of whom are not users of the target, migrated with
 * `assignee: "assignee_id ? $record('users', assignee_id).email : null"` and no agents table. Every
 * ticket is imported (the departed agents' ones unassigned), the plan lists both agents once with
 * their counts, and `--strict` refuses. For Plain and for There There, the built CLI against each
 * emulator.
 *
 * The two targets' suites run side by side (each its tests one after another, on an emulator of its
 * own): most of the There There one is spent at its documented pace of 300 imports a minute.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { startThereThereEmulator, type ThereThereEmulator } from '../../src/emulators/therethere/index.js';
import { cli } from './cli.js';

const TICKETS = 120;
/** Round-robin over these: gone and leaver are nobody in either target. */
const AGENTS = ['sara@acme.test', 'tom@acme.test', 'gone@acme.test', 'ana@acme.test', 'leaver@acme.test'];
const DEPARTED = ['gone@acme.test', 'leaver@acme.test'];
const PER_AGENT = TICKETS / AGENTS.length;
/** The one reply a departed agent wrote (on ticket 3, which gone@ is assigned). */
const GONE_REPLY_TICKET = 3;

const PLAIN_USERS = [
  { id: 'u_01HB924PME9C0YWKW1N4AK3B01', email: 'sara@acme.test', fullName: 'Sara' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B02', email: 'tom@acme.test', fullName: 'Tom' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B04', email: 'ana@acme.test', fullName: 'Ana' },
];
const ulid = (ch: string): string => `01J${'0'.repeat(22)}${ch}`;
const TT_TOKEN = 'tt-departed-token';
const TT_SEED = {
  workspace: { id: 3, name: 'Acme Support', slug: 'acme' },
  channels: [{ ulid: ulid('1'), name: 'Support', emailAddress: 'support@acme.test' }],
  members: [
    { ulid: ulid('A'), email: 'migration@acme.test', name: 'Migration Bot' },
    { ulid: ulid('B'), email: 'sara@acme.test', name: 'Sara' },
    { ulid: ulid('C'), email: 'tom@acme.test', name: 'Tom' },
    { ulid: ulid('D'), email: 'ana@acme.test', name: 'Ana' },
    { ulid: ulid('E'), email: 'leaver@acme.test', name: 'Leaver', active: false },
  ],
  tags: [],
  tokens: [{ token: TT_TOKEN, admin: true, member: 'migration@acme.test' }],
};

const assigneeOf = (id: number): string => AGENTS[(id - 1) % AGENTS.length]!;

/** tickets.jsonl, users.jsonl (agents 1–5, customers 100+) and comments.jsonl into a new directory. */
function exportDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-departed-'));
  const users = [
    ...AGENTS.map((email, i) => ({ id: i + 1, name: email.split('@')[0], email })),
    ...Array.from({ length: TICKETS }, (_, i) => ({ id: 100 + i, name: `Customer ${i}`, email: `c${i}@example.test` })),
  ];
  const tickets = Array.from({ length: TICKETS }, (_, i) => ({
    id: i + 1,
    subject: `Ticket ${i + 1}`,
    requester_id: 100 + i,
    assignee_id: AGENTS.indexOf(assigneeOf(i + 1)) + 1,
    created_at: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000).toISOString(),
  }));
  const comments = tickets.flatMap((t) => [
    { id: t.id * 10, ticket_id: t.id, author_id: t.requester_id, body: `Help with ${t.subject}`, created_at: t.created_at },
    ...(t.id === GONE_REPLY_TICKET
      ? [{ id: t.id * 10 + 1, ticket_id: t.id, author_id: t.assignee_id, body: 'On it.', created_at: new Date(Date.parse(t.created_at) + 60_000).toISOString() }]
      : []),
  ]);
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(join(dir, 'tickets.jsonl'), jsonl(tickets));
  writeFileSync(join(dir, 'users.jsonl'), jsonl(users));
  writeFileSync(join(dir, 'comments.jsonl'), jsonl(comments));
  return dir;
}

const SOURCES = `sources:
  tickets: { path: tickets.jsonl }
  users: { path: users.jsonl, key: id }
  comments: { path: comments.jsonl, groupBy: ticket_id }
`;
const threads = (target: 'plain' | 'therethere') => `threads:
  source: tickets
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: created_at
  assignee: "assignee_id ? $record('users', assignee_id).email : null"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
  messages:
    each: $records('comments', id)
    externalId: "'c-' & $string(id)"
    type: "author_id = $thread.requester_id ? 'INBOUND' : 'OUTBOUND'"
    text: ${target === 'plain' ? 'body' : `"'<p>' & body & '</p>'"`}
    createdAt: created_at
    author: "author_id = $thread.requester_id ? null : $record('users', author_id).email"
batching: { concurrency: 4, requestsPerMinute: 100000, maxAttempts: 2, requestTimeout: 10s }
`;

function write(dir: string, manifest: string): void {
  writeFileSync(join(dir, 'plain-migrate.yaml'), manifest);
}

const summary = (out: string) => out.split('\n').find((l) => l.startsWith('Plan: ')) ?? '(no summary line)';

describe('Plain: agents who left', { concurrent: true }, () => {
  let emu: PlainEmulator;
  beforeAll(async () => {
    emu = await startPlainEmulator({ seed: { users: PLAIN_USERS, labelTypes: [] } });
  });
  afterAll(async () => emu?.close());
  beforeEach(() => emu.reset());

  const manifest = (tables = '') => `version: 1
name: departed-plain
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
${SOURCES}${tables}${threads('plain')}`;
  const run = (dir: string, args: string[]) => cli(args, { cwd: dir, endpoint: emu.graphqlUrl });

  it.sequential('imports every ticket, unassigned where the assignee is not a Plain user; the plan lists both agents with their counts; --strict refuses', async () => {
    const dir = exportDir();
    write(dir, manifest());

    const plan = await run(dir, ['plan']);
    const out = String(plan.stdout);
    expect(plan.exitCode, `${out}\n${String(plan.stderr)}`).toBe(0);
    expect(out).toContain('Agents given by email who are not Plain users (people who left, mostly):');
    expect(out).toContain(`  ! gone@acme.test: is not a Plain user → ${PER_AGENT} threads imported unassigned, 1 message invalid (a message needs an author`);
    expect(out).toContain(`  ! leaver@acme.test: is not a Plain user → ${PER_AGENT} threads imported unassigned\n`);
    // The reply gone@ wrote is the one invalid record: a message needs an author.
    expect(out).toMatch(/message\["zd-3\/c-31"\][\s\S]*messages\.author: gone@acme\.test is not a Plain user; a message needs an author/);
    expect(summary(out)).toBe(`Plan: ${TICKETS} threads to import (${TICKETS} messages), 0 to update, 0 to append (0 messages), 1 invalid, 0 orphaned, 0 unchanged.`);
    // Each email is looked up once, however many tickets name it.
    expect(emu.requests().filter((r) => r.operationName === 'userByEmail')).toHaveLength(AGENTS.length);

    const strict = await run(dir, ['plan', '--strict']);
    expect(strict.exitCode).toBe(1);
    expect(String(strict.stderr)).toContain(`--strict: 1 invalid record(s), 2 assignee(s) who are not Plain users (${2 * PER_AGENT} thread(s) would be imported unassigned)`);
    expect(String(strict.stderr)).toMatch(/agents table \(its _default takes everyone who left\)/);
    const strictApply = await run(dir, ['apply', '--auto-approve', '--strict']);
    expect(strictApply.exitCode).toBe(1);
    expect(emu.snapshot().threads).toHaveLength(0);

    const apply = await run(dir, ['apply', '--auto-approve']);
    expect(apply.exitCode, `${String(apply.stdout)}\n${String(apply.stderr)}`).toBe(0);
    const imported = emu.snapshot().threads;
    expect(imported).toHaveLength(TICKETS);
    const userId = new Map(PLAIN_USERS.map((u) => [u.email, u.id]));
    for (const t of imported) {
      const agent = assigneeOf(Number(t.externalId.slice(3)));
      expect(t.assignedTo, t.externalId).toEqual(DEPARTED.includes(agent) ? null : { userId: userId.get(agent) });
    }
    // Nothing left to do, and the agents are still listed (their threads are re-mapped every time).
    const again = String((await run(dir, ['plan'])).stdout);
    expect(summary(again)).toBe(`Plan: 0 threads to import (0 messages), 0 to update, 0 to append (0 messages), 1 invalid, 0 orphaned, ${TICKETS} unchanged.`);
    expect(again).toContain(`  ! leaver@acme.test: is not a Plain user → ${PER_AGENT} threads imported unassigned\n`);
  });

  it.sequential("with an agents table _default, their threads go to it (and the reply is imported as the _default's)", async () => {
    const dir = exportDir();
    write(dir, manifest('tables:\n  agents: { _default: sara@acme.test }\n'));
    const out = String((await run(dir, ['plan', '--strict'])).stdout);
    expect(out).toContain(`  ! gone@acme.test: is not a Plain user → the agents table's _default ${PLAIN_USERS[0]!.id} for ${PER_AGENT} threads and 1 message`);
    expect(summary(out)).toBe(`Plan: ${TICKETS} threads to import (${TICKETS + 1} messages), 0 to update, 0 to append (0 messages), 0 invalid, 0 orphaned, 0 unchanged.`);
  });
});

describe('There There: agents who left', { concurrent: true }, () => {
  let emu: ThereThereEmulator;
  beforeAll(async () => {
    emu = await startThereThereEmulator({ seed: TT_SEED });
  });
  afterAll(async () => emu?.close());
  beforeEach(() => emu.reset());

  const manifest = (tables = '') => `version: 1
name: departed-therethere
target:
  therethere:
    token: \${THERETHERE_TOKEN}
    baseUrl: \${THERETHERE_BASE_URL}
    channel: Support
${SOURCES}${tables}${threads('therethere')}`;
  const run = (dir: string, args: string[]) => cli(args, { cwd: dir, extraEnv: { THERETHERE_TOKEN: TT_TOKEN, THERETHERE_BASE_URL: emu.url } });

  it.sequential('imports every ticket, unassigned where the assignee is not a member; the plan lists both agents with their counts; --strict refuses', async () => {
    const dir = exportDir();
    write(dir, manifest());

    const plan = await run(dir, ['plan']);
    const out = String(plan.stdout);
    expect(plan.exitCode, `${out}\n${String(plan.stderr)}`).toBe(0);
    expect(out).toContain('Agents given by email who are not There There users (people who left, mostly):');
    expect(out).toContain(`  ! gone@acme.test: is not a There There user → ${PER_AGENT} threads imported unassigned\n`);
    expect(out).toContain(`  ! leaver@acme.test: is not a There There user → ${PER_AGENT} threads imported unassigned\n`);
    // There There keeps a reply's author as the export gives it (no look-up): gone@'s reply is imported.
    expect(summary(out)).toBe(`Plan: ${TICKETS} threads to import (${TICKETS + 1} messages), 0 to update, 0 to append (0 messages), 0 invalid, 0 orphaned, 0 unchanged.`);

    const strict = await run(dir, ['plan', '--strict']);
    expect(strict.exitCode).toBe(1);
    expect(String(strict.stderr)).toContain(`--strict: 2 assignee(s) who are not There There users (${2 * PER_AGENT} thread(s) would be imported unassigned)`);

    const apply = await run(dir, ['apply', '--auto-approve']);
    expect(apply.exitCode, `${String(apply.stdout)}\n${String(apply.stderr)}`).toBe(0);
    const tickets = emu.snapshot().tickets;
    expect(tickets).toHaveLength(TICKETS);
    for (const t of tickets) {
      const agent = assigneeOf(Number(t.external_id!.slice(3)));
      expect(t.assignee_email, t.external_id!).toBe(DEPARTED.includes(agent) ? null : agent);
    }
    expect(tickets.find((t) => t.external_id === `zd-${GONE_REPLY_TICKET}`)!.messages).toHaveLength(2);
  });

  it.sequential("with an agents table _default, their tickets go to it; --strict passes", async () => {
    const dir = exportDir();
    write(dir, manifest('tables:\n  agents: { _default: ana@acme.test }\n'));
    const r = await run(dir, ['plan', '--strict']);
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(String(r.stdout)).toContain(`  ! gone@acme.test: is not a There There user → the agents table's _default ana@acme.test for ${PER_AGENT} threads`);
  });
});
