/**
 * Live Zendesk sources end to end: the built CLI, the Zendesk emulator (seeded with a generated export)
 * and the Plain emulator. A live pull lands what the same export lands from files, before and after the
 * account changes; the next apply asks only for the changed tickets; a pull killed at random moments
 * ends in the same snapshot; an interrupted pull never makes a record look gone; faults are retried;
 * a refused token says what to fix; the token is in no output, state, snapshot or plan file.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { loadZendeskSeed, startZendeskEmulator, type ZendeskEmulator } from '../../src/emulators/zendesk/index.js';
import { cli } from './cli.js';
import { expectNoSecrets, injectFaults, killedPullsResume, liveWorkspace, operations, snapshotDump, type Live } from './live-kit.js';
import { normalize } from './normalize.js';
import { AGENTS, LABELS, makeWorkspace, MANIFEST, type Workspace } from './workspace.js';

const TOKEN = 'zd-e2e-token-3f9a7c';

const LIVE_SOURCES = `connections:
  zendesk:
    kind: zendesk
    baseUrl: \${ZENDESK_BASE_URL}
    auth:
      email: admin@acme.test
      token: \${ZENDESK_API_TOKEN}
    requestsPerMinute: 100000
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
`;

/** The e2e manifest with its three file sources replaced by the same streams of a Zendesk connection. */
const LIVE_MANIFEST = MANIFEST.replace(/sources:\n(?: {2,}.*\n)+/, LIVE_SOURCES).replace('name: e2e', 'name: e2e-live');

async function liveFrom(ws: Workspace): Promise<Live<ZendeskEmulator>> {
  const zd = await startZendeskEmulator({
    seed: await loadZendeskSeed(join(ws.dir, 'export')),
    apiToken: TOKEN,
    hideLastSeconds: 0,
    minStartTimeLagSeconds: 0,
    incrementalPerMinute: 0,
    requestsPerMinute: 0,
  });
  return liveWorkspace(zd, LIVE_MANIFEST, (token = TOKEN) => ({ ZENDESK_BASE_URL: zd.url, ZENDESK_API_TOKEN: token }));
}

const runLive = (live: Live<ZendeskEmulator>, args: string[], plain: PlainEmulator, token = TOKEN) => live.run(args, plain, token);
const runFiles = (ws: Workspace, args: string[], plain: PlainEmulator) => cli([...args, '-f', ws.manifest], { cwd: ws.dir, endpoint: plain.graphqlUrl });

let plainA: PlainEmulator;
let plainB: PlainEmulator;
beforeAll(async () => {
  plainA = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
  plainB = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await plainA?.close();
  await plainB?.close();
});

describe('a live Zendesk source', () => {
  it('lands what the same export lands from files, and after the account changes, exactly the changes, asking only for the changed tickets', async () => {
    plainA.reset();
    plainB.reset();
    const ws = makeWorkspace({ tickets: 30 });
    const live = await liveFrom(ws);
    try {
      expect((await runFiles(ws, ['apply', '--auto-approve'], plainA)).exitCode).toBe(0);
      const first = await runLive(live, ['apply', '--auto-approve', '--output', 'plain'], plainB);
      expect(first.exitCode, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/zendesk\.tickets: 30 records \(30 new, 0 changed\)/);
      expect(normalize(plainB.snapshot())).toEqual(normalize(plainA.snapshot()));
      // One comment list per ticket but the deleted one (17), in the pull that apply ran first.
      expect(operations(live.emu)['ticket.comments']).toBe(29);

      // The account changes: a status, a reply, a new ticket with its first comment, a deleted ticket.
      const later = '2024-06-01T00:00:00Z';
      const reply = { id: 90_001, ticket_id: 11, author_id: 2, public: true, html_body: '<p>late reply</p>', created_at: later };
      const opening = { id: 90_002, ticket_id: 31, author_id: 101, public: true, html_body: '<p>a new problem</p>', created_at: later };
      const fresh = { ...ws.tickets[4]!, id: 31, subject: 'New ticket 31', created_at: later };
      ws.tickets.find((t) => t.id === 2)!.status = 'closed';
      ws.tickets.find((t) => t.id === 13)!.status = 'deleted';
      ws.tickets.push(fresh);
      ws.comments.push(reply, opening);
      ws.rewrite();
      live.emu.account.change({ tickets: [{ id: 2, status: 'closed' }, fresh], comments: [reply, opening], deleteTickets: [13] });

      expect((await runFiles(ws, ['apply', '--auto-approve'], plainA)).exitCode).toBe(0);
      const before = live.emu.requests().length;
      const second = await runLive(live, ['apply', '--auto-approve', '--output', 'plain'], plainB);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      // 31 is new, 2 changed status, 11 has a reply (an append), 13 was deleted (an orphan, kept in Plain).
      expect(second.stdout).toMatch(/Plan: 1 threads to import \(1 message\), 1 to update, 1 to append \(1 message\), 0 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/threads: 1 created, 0 noop, 1 updated, 0 failed/);
      expect(second.stdout).toMatch(/ORPHAN thread\["zd-13"\]/);
      // Only the changed tickets' comments (2, 11 and 31; 13 is deleted), one export page per stream.
      const asked = operations(live.emu, before);
      expect(asked['ticket.comments']).toBe(3);
      // The exports: a page, and perhaps an empty one that says end_of_stream.
      expect(asked['incremental.tickets']).toBeLessThanOrEqual(2);
      expect(asked['incremental.users']).toBeLessThanOrEqual(2);
      expect(normalize(plainB.snapshot())).toEqual(normalize(plainA.snapshot()));

      // Nothing changed since: nothing to do, and no comment list is asked for.
      const third = live.emu.requests().length;
      const plan = await runLive(live, ['plan', '--detailed-exitcode'], plainB);
      expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/0 to update, 0 to append \(0 messages\), 0 invalid, 1 orphaned/);
      expect(operations(live.emu, third)['ticket.comments']).toBeUndefined();
    } finally {
      await live.emu.close();
    }
  });

  it('a pull killed (SIGKILL) at random moments and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plainB.reset();
    const ws = makeWorkspace({ tickets: 40 });
    const live = await liveFrom(ws);
    try {
      // Slow answers, so that the kills land in the middle of the pull, each after a random number of requests.
      let seed = 7;
      const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
      await killedPullsResume(live, plainB, {
        latencyMs: 15,
        killAfter: [0, 1].map(() => 3 + Math.floor(random() * 30)),
        // Applied in full, then many tickets change and the next pull is killed half-way: no orphans.
        change: () => live.emu.account.change({ tickets: ws.tickets.filter((t) => t.status !== 'deleted').map((t) => ({ id: t.id, subject: `${t.subject} (edited)` })) }),
        killChangeAfter: 15,
        offline: /, 0 invalid, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 38 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./,
      });
    } finally {
      await live.emu.close();
    }
  });

  it('retries 429s, 503s and resets; a refused token stops the pull with what to fix; the token is in no output, state or plan file', async () => {
    plainB.reset();
    const ws = makeWorkspace({ tickets: 12 });
    const live = await liveFrom(ws);
    try {
      const outputs: string[] = [];
      const bad = await runLive(live, ['pull'], plainB, 'not-the-token');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "zendesk" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/incremental\/\w+\/cursor\.json: HTTP 401 Couldn't authenticate you/);
      expect(bad.stderr).toMatch(/check connections\.zendesk\.auth/);
      expect(bad.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace

      // Injected faults on the comment lists (the export limit's 429s are the adapter test's).
      await injectFaults(live.emu, [
        { operation: 'ticket.comments', action: 'status:503', every: 3, times: 2 },
        { operation: 'ticket.comments', action: 'reset', every: 5, times: 1 },
        { operation: 'ticket.comments', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      ]);
      const ok = await runLive(live, ['pull', '--output', 'plain'], plainB);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/RETRY zendesk: HTTP 503/);
      expect(ok.stdout).toMatch(/RETRY zendesk: HTTP 429/);
      expect(ok.stdout).toMatch(/zendesk\.ticket_comments: \d+ records/);
      const snap = snapshotDump(live.dir) as Array<{ stream: string }>;
      expect(snap.filter((r) => r.stream === 'zendesk.tickets')).toHaveLength(12);

      const plan = await runLive(live, ['plan', '--offline', '--out', 'plan.json'], plainB);
      outputs.push(plan.stdout, plan.stderr);
      expect(plan.exitCode).toBe(0);
      const applied = await runLive(live, ['apply', 'plan.json', '--output', 'json'], plainB);
      outputs.push(applied.stdout, applied.stderr);
      expect(applied.exitCode, applied.stderr).toBe(0);
      expectNoSecrets(outputs, live.dir, [TOKEN]);
      expect(existsSync(join(live.dir, 'plan.json'))).toBe(true);
    } finally {
      await live.emu.close();
    }
  });

  it('a failure stops the whole pull at once: comment lists waiting out a 429 are cancelled, and the process exits', async () => {
    const ws = makeWorkspace({ tickets: 30 });
    const live = await liveFrom(ws);
    try {
      await injectFaults(live.emu, [
        { operation: 'ticket.comments', action: 'status:403', every: 4, times: 1 },
        { operation: 'ticket.comments', action: 'rate-limit', retryAfterSeconds: 30 },
      ]);
      const started = Date.now();
      const r = await runLive(live, ['pull', '--output', 'plain'], plainB);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/HTTP 403/);
      expect(Date.now() - started).toBeLessThan(15_000);
    } finally {
      await live.emu.close();
    }
  });

  it('a saved plan is bound to its snapshot: apply PLANFILE never pulls, and refuses once a pull changed the snapshot', async () => {
    plainB.reset();
    const ws = makeWorkspace({ tickets: 6 });
    const live = await liveFrom(ws);
    try {
      expect((await runLive(live, ['plan', '--out', 'plan.json'], plainB)).exitCode).toBe(0);
      live.emu.account.change({ tickets: [{ id: 1, status: 'closed' }] });
      const before = live.emu.requests().length;
      expect((await runLive(live, ['pull'], plainB)).exitCode).toBe(0);
      const stale = await runLive(live, ['apply', 'plan.json'], plainB);
      expect(stale.exitCode).toBe(1);
      expect(stale.stderr).toMatch(/stale: source 'tickets' \(zendesk\.tickets\) changed since the plan was made/);
      const after = live.emu.requests().length;
      expect((await runLive(live, ['plan', '--offline', '--out', 'plan.json'], plainB)).exitCode).toBe(0);
      const applied = await runLive(live, ['apply', 'plan.json'], plainB);
      expect(applied.exitCode, applied.stderr).toBe(0);
      // Neither apply PLANFILE nor plan --offline asked Zendesk anything.
      expect(live.emu.requests().length).toBe(after);
      expect(after).toBeGreaterThan(before);
    } finally {
      await live.emu.close();
    }
  });

  it('plan --offline before any pull says what to run', async () => {
    const ws = makeWorkspace({ tickets: 2 });
    const live = await liveFrom(ws);
    try {
      const r = await runLive(live, ['plan', '--offline'], plainB);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/nothing has been pulled from zendesk\.\w+ yet/);
      expect(r.stderr).toMatch(/run plain-migrate pull/);
    } finally {
      await live.emu.close();
    }
  });
});
