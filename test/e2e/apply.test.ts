/**
 * End to end: the built CLI (bin/plain-migrate.js) against the Plain emulator on loopback.
 */
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { htmlToMarkdown } from '../../src/mapping/convert.js';
import { cli } from './cli.js';
import { normalize } from './normalize.js';
import { AGENTS, LABELS, makeWorkspace, type Workspace } from './workspace.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => emu.reset());

const mutations = () => emu.requests().filter((r) => /^\s*mutation/.test(r.query));

function apply(ws: Workspace, extra: string[] = []) {
  return cli(['apply', '-f', ws.manifest, '--auto-approve', ...extra], { cwd: ws.dir, endpoint: emu.graphqlUrl });
}

/** What the manifest in workspace.ts should make of the generated export, computed independently. */
function expected(ws: Workspace, skip: number[] = []) {
  const users = new Map(ws.users.map((u) => [u.id, u]));
  const agentId = (uid: number) => AGENTS.find((a) => a.email === users.get(uid)!.email)?.id ?? AGENTS[2]!.id;
  const status: Record<string, [string, string]> = {
    new: ['TODO', 'NEW_REPLY'],
    open: ['TODO', 'IN_PROGRESS'],
    hold: ['TODO', 'IN_PROGRESS'],
    pending: ['SNOOZED', 'WAITING_FOR_CUSTOMER'],
    solved: ['DONE', 'DONE_MANUALLY_SET'],
    closed: ['DONE', 'DONE_MANUALLY_SET'],
  };
  const prio: Record<string, number> = { urgent: 0, high: 1, normal: 2, low: 3 };
  const labels: Record<string, string> = { billing: LABELS[0]!.id, bug: LABELS[1]!.id };
  return ws.tickets
    .filter((t) => t.status !== 'deleted' && !skip.includes(t.id))
    .map((t) => ({
      externalId: `zd-${t.id}`,
      customer: users.get(t.requester_id)!.email,
      title: t.subject,
      externalUrl: `https://acme.zendesk.com/agent/tickets/${t.id}`,
      status: status[t.status]![0],
      statusDetail: status[t.status]![1],
      priority: t.priority ? prio[t.priority] : 2,
      labelTypeIds: t.tags.map((x) => labels[x]).filter(Boolean).sort(),
      assignedTo: t.assignee_id ? { userId: agentId(t.assignee_id) } : null,
      createdAt: t.created_at,
      messages: ws.comments
        .filter((c) => c.ticket_id === t.id)
        .sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at))
        .map((c) => ({
          externalId: `zd-comment-${c.id}`,
          type: !c.public ? 'NOTE' : c.author_id === t.requester_id ? 'INBOUND' : 'OUTBOUND',
          text: htmlToMarkdown(c.html_body),
          createdAt: c.created_at,
          author: c.author_id === t.requester_id && c.public ? { customer: users.get(t.requester_id)!.email } : { userId: agentId(c.author_id) },
        })),
    }))
    .sort((a, b) => a.externalId.localeCompare(b.externalId));
}

describe('apply', () => {
  it('imports every valid thread and message exactly as mapped, reports invalid records, and a second apply sends no mutation', async () => {
    const ws = makeWorkspace({ tickets: 30, noEmail: [5] });
    const r1 = await apply(ws);
    expect(r1.stderr).toBe('');
    expect(r1.exitCode).toBe(0);
    expect(r1.stdout).toContain('INVALID thread["zd-5"]');
    expect(r1.stdout).toMatch(/threads\.customer\.email is required/);
    const got = normalize(emu.snapshot());
    expect(got.threads).toEqual(expected(ws, [5]));
    // exactly once: one customer per identity, one thread per ticket
    expect(new Set(got.customers.map((c) => c.email)).size).toBe(got.customers.length);
    // the fewest requests: one upsert per customer, one importThread per thread, ceil(n/25) per thread's messages
    const byOp = (op: string) => emu.requests().filter((r) => r.operationName === op).length;
    expect(byOp('upsertCustomer')).toBe(got.customers.length);
    expect(byOp('importThread')).toBe(got.threads.length);
    expect(byOp('importThreadMessages')).toBe(got.threads.reduce((n, t) => n + Math.ceil(t.messages.length / 25), 0));

    const before = emu.requests().length;
    const r2 = await apply(ws);
    expect(r2.exitCode).toBe(0);
    expect(emu.requests().length).toBe(before);
    expect(r2.stdout).toMatch(/threads: 0 created, 0 noop, 0 failed/);
    expect(normalize(emu.snapshot())).toEqual(got);
  });

  it('appends messages that appear in the source after the import, and only those', async () => {
    const ws = makeWorkspace({ tickets: 6 });
    expect((await apply(ws)).exitCode).toBe(0);
    const t = ws.tickets[1]!;
    ws.addComment({ id: 99_001, ticket_id: t.id, author_id: 1, public: true, html_body: '<p>A late reply</p>', created_at: '2025-01-01T00:00:00.000Z' });
    const before = mutations().length;
    const plan = await cli(['plan', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(plan.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 0 to update, 1 to append \(1 message\), 0 invalid, 0 orphaned, 5 unchanged\./);
    const r = await apply(ws);
    expect(r.exitCode).toBe(0);
    const sent = mutations().slice(before);
    expect(sent.map((m) => m.operationName)).toEqual(['importThreadMessages']);
    const thread = emu.snapshot().threads.find((x) => x.externalId === `zd-${t.id}`)!;
    expect(thread.messages.at(-1)!.externalId).toBe('zd-comment-99001');
    expect(thread.messages.at(-1)!.text).toBe('A late reply');
    expect(normalize(emu.snapshot()).threads).toEqual(expected(ws));
  });

  it('records Plain’s validation errors on the address, with field errors, and goes on with the rest', async () => {
    // The agents table's _default names a user that does not exist in Plain: Plain refuses those
    // messages (and assignments); everything else is imported.
    const ws = makeWorkspace({ tickets: 6 });
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('_default: u_01HB924PME9C0YWKW1N4AK3B03', '_default: u_01HB924PME9C0YWKW1N4AK3B99'));
    const r = await apply(ws);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/FAILED (thread|message)\[.+\]: .+\[/);
    const show = await cli(['state', 'show', '*', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(show.stdout).toMatch(/last error: .+\[\w+\]/);
    const snap = emu.snapshot();
    const failed = r.stdout.split('\n').filter((l) => /^(\S+ )?FAILED /.test(l));
    expect(failed.length).toBeGreaterThan(0);
    // the rest got in: every thread that does not use the missing user is there
    expect(snap.threads.length).toBeGreaterThan(0);
    // a second apply retries only what failed, and fails the same way (nothing duplicated)
    const before = normalize(snap);
    const r2 = await apply(ws);
    expect(r2.exitCode).toBe(1);
    expect(normalize(emu.snapshot())).toEqual(before);
  });

  it('refuses to apply without --auto-approve when standard input is not a terminal', async () => {
    const ws = makeWorkspace({ tickets: 2 });
    const r = await cli(['apply', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/--auto-approve/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(emu.requests().length).toBe(0);
  });

  it('stops on a bad API key with a clear error and records nothing as done', async () => {
    const ws = makeWorkspace({ tickets: 3 });
    const keyed = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS, apiKeys: [{ key: 'right-key', permissions: ['customer:create', 'customer:edit', 'thread:import'] }] } });
    try {
      const r = await cli(['apply', '-f', ws.manifest, '--auto-approve'], { cwd: ws.dir, endpoint: keyed.graphqlUrl, apiKey: 'wrong-secret-key' });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/UNAUTHENTICATED|API key/);
      expect(r.stdout + r.stderr).not.toContain('wrong-secret-key');
      expect(keyed.snapshot().threads.length).toBe(0);
    } finally {
      await keyed.close();
    }
  });
});

describe('bad source lines', () => {
  it('are reported with file:line as invalid records while every other record is imported', async () => {
    const ws = makeWorkspace({ tickets: 5 });
    appendFileSync(join(ws.dir, 'export/comments.jsonl'), '{"id": 5000, "ticket_id": 2,\n');
    appendFileSync(join(ws.dir, 'export/tickets.jsonl'), '{"id": 6, "subject": "broken"}}\n');
    const r = await apply(ws);
    expect(r.exitCode).toBe(0);
    const commentLines = readFileSync(join(ws.dir, 'export/comments.jsonl'), 'utf8').trimEnd().split('\n').length;
    expect(r.stdout).toContain(`INVALID export/comments.jsonl:${commentLines}`);
    expect(r.stdout).toContain('INVALID export/tickets.jsonl:6');
    expect(normalize(emu.snapshot()).threads).toEqual(expected(ws));
  });
});

describe('secrets', () => {
  it('the API key reaches neither the state, the output nor the index cache', async () => {
    const ws = makeWorkspace({ tickets: 3 });
    const secret = 'plainApiKey_SECRET_4711_do_not_store';
    const r = await cli(['apply', '-f', ws.manifest, '--auto-approve'], { cwd: ws.dir, endpoint: emu.graphqlUrl, apiKey: secret });
    expect(r.exitCode).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
    const dir = join(ws.dir, '.plain-migrate');
    for (const f of readdirSync(dir, { recursive: true }) as string[]) {
      const p = join(dir, f);
      if (statSync(p).isFile()) expect(readFileSync(p).includes(secret), p).toBe(false);
    }
  });
});

describe('plan', () => {
  it('lists invalid records with every reason and the counts, sends nothing, and --strict fails', async () => {
    const ws = makeWorkspace({ tickets: 10, noEmail: [3] });
    const r = await cli(['plan', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain('thread["zd-3"]');
    expect(r.stdout).toMatch(/Plan: 9 threads to import \(\d+ messages\), 0 to update, 0 to append \(0 messages\), 1 invalid, 0 orphaned, 0 unchanged\./);
    expect(r.stdout).toMatch(/Unmapped table values:[\s\S]*labels\["vip"\]/);
    expect(emu.requests().length).toBe(0);
    const strict = await cli(['plan', '-f', ws.manifest, '--strict'], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(strict.exitCode).toBe(1);
  });
});
