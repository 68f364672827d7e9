/**
 * Live Freshdesk sources end to end: the built CLI, the Freshdesk emulator (seeded with the example's
 * account) and the Plain emulator. A pull + apply lands what the example maps; a change on the account lands
 * exactly, asking only for the changed tickets' conversations; a pull killed with SIGKILL and run again ends in
 * the snapshot of one uninterrupted pull, and a plan after a killed pull sees no record as gone; a refused
 * key says what to fix; the API key is in no output or workspace file.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFreshdeskSeed, startFreshdeskEmulator, type FreshdeskEmulator, type FreshdeskSeed } from '../../src/emulators/freshdesk/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { exampleDir, exampleManifest, expectNoSecrets, injectFaults, killedPullsResume, liveWorkspace, operations, type Live } from './live-kit.js';

const EXAMPLE = exampleDir('freshdesk');
const KEY = 'fd-e2e-key-8c2b71d4';

async function liveFrom(seed: FreshdeskSeed): Promise<Live<FreshdeskEmulator>> {
  const fd = await startFreshdeskEmulator({ seed, apiKey: KEY, requestsPerMinute: 0, listPerMinute: 0 });
  return liveWorkspace(fd, exampleManifest('freshdesk'), (key = KEY) => ({ FRESHDESK_BASE_URL: fd.url, FRESHDESK_API_KEY: key }), 'pm-live-fd-');
}
const run = (live: Live<FreshdeskEmulator>, args: string[], plain: PlainEmulator, key?: string) => live.run(args, plain, key);

/** A generated account: n tickets of 2 conversations each, contacts with emails. */
function generated(n: number): FreshdeskSeed {
  const at = (i: number) => new Date(Date.UTC(2023, 0, 1) + i * 60_000).toISOString().replace('.000Z', 'Z');
  const contacts = Array.from({ length: 20 }, (_, i) => ({ id: 5001 + i, name: `Customer ${i}`, email: `c${i}@example.com`, created_at: at(0), updated_at: at(0) }));
  const tickets = Array.from({ length: n }, (_, i) => ({ id: 1001 + i, subject: `Ticket ${i}`, description: `<p>problem ${i}</p>`, status: 2, priority: 2, source: 1, tags: [], requester_id: 5001 + (i % 20), responder_id: 7001, spam: false, created_at: at(i), updated_at: at(i) }));
  const conversations = tickets.flatMap((t, i) => [0, 1].map((j) => ({ id: 800_001 + 2 * i + j, ticket_id: t.id, body: `<p>reply ${j}</p>`, incoming: j === 1, private: false, user_id: j === 1 ? t.requester_id : 7001, created_at: at(i + j + 1), updated_at: at(i + j + 1), attachments: [] })));
  return { tickets, conversations, contacts, agents: [{ id: 7001, contact: { name: 'Sara Lind', email: 'sara@acme.com' }, created_at: at(0), updated_at: at(0) }] };
}

let plainSeed: Awaited<ReturnType<typeof loadPlainSeed>>;
let plain: PlainEmulator;
let exampleSeed: FreshdeskSeed;
beforeAll(async () => {
  plainSeed = await loadPlainSeed(join(EXAMPLE, 'emulator-seed.yaml'));
  plain = await startPlainEmulator({ seed: plainSeed });
  exampleSeed = await loadFreshdeskSeed(join(EXAMPLE, 'export'));
});
afterAll(async () => {
  await plain?.close();
});

describe('a live Freshdesk source', () => {
  it('pull + plan + apply lands what the example maps; a change on the account lands exactly, asking only for the changed tickets', async () => {
    plain.reset();
    const live = await liveFrom(exampleSeed);
    try {
      const pulled = await run(live, ['pull', '--output', 'plain'], plain);
      expect(pulled.exitCode, pulled.stdout + pulled.stderr).toBe(0);
      const contacts = new Map(exampleSeed.contacts!.map((c) => [c.id, c]));
      const kept = exampleSeed.tickets!.filter((t) => t.spam !== true && t.deleted !== true);
      const valid = kept.filter((t) => typeof contacts.get(t.requester_id as number)?.email === 'string');
      const messages = valid.reduce((n, t) => n + 1 + exampleSeed.conversations!.filter((c) => c.ticket_id === t.id).length, 0);
      const plan = await run(live, ['plan', '--offline'], plain);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`Plan: ${valid.length} threads to import (${messages} messages), 0 to update, 0 to append (0 messages), ${kept.length - valid.length} invalid, 0 orphaned`);
      const applied = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
      const snap = plain.snapshot() as unknown as { threads: Array<{ externalId: string; status: string; messages: Array<{ externalId: string; type: string; attachmentIds?: string[] }> }> };
      expect(snap.threads.map((t) => t.externalId).sort()).toEqual(valid.map((t) => `fd-${String(t.id)}`).sort());
      expect(snap.threads.reduce((n, t) => n + t.messages.length, 0)).toBe(messages);
      const t1 = snap.threads.find((t) => t.externalId === 'fd-1001')!;
      expect(t1.messages.map((m) => m.externalId)).toContain('fd-conv-description');
      // The attached file was fetched from its pre-signed URL (no credentials: the emulator refuses them).
      expect(applied.stdout + applied.stderr).not.toMatch(/attachment.*(failed|skipped)/i);
      expect(operations(live.emu)['attachment.download']).toBe(1);

      live.emu.account.change({
        tickets: [{ id: 1002, status: 5 }],
        conversations: [{ id: 900_001, ticket_id: 1003, body: '<p>late reply</p>', incoming: true, user_id: 5003 }],
        deleteTickets: [1004],
      });
      const before = live.emu.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 1 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/ORPHAN thread\["fd-1004"\]/);
      const asked = operations(live.emu, before);
      expect(asked['ticket.conversations']).toBe(2); // 1002 and 1003; 1004 is deleted
      expect(asked['tickets.list']).toBe(3); // one page each: default, spam, deleted
      const after = plain.snapshot() as unknown as typeof snap;
      expect(after.threads.find((t) => t.externalId === 'fd-1002')!.status).toBe('DONE');
      expect(after.threads.find((t) => t.externalId === 'fd-1003')!.messages.map((m) => m.externalId)).toContain('fd-conv-900001');

      const third = live.emu.requests().length;
      const again = await run(live, ['plan', '--detailed-exitcode'], plain);
      expect(again.exitCode, again.stdout + again.stderr).toBe(0);
      expect(operations(live.emu, third)['ticket.conversations']).toBeUndefined();
    } finally {
      await live.emu.close();
    }
  });

  it('a pull killed (SIGKILL) at random moments and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const seed = generated(120);
    const live = await liveFrom(seed);
    try {
      await killedPullsResume(live, plain, {
        latencyMs: 15,
        killAfter: [40],
        change: () => live.emu.account.change({ tickets: seed.tickets!.map((t) => ({ id: t.id as number, subject: `${String(t.subject)} (edited)` })) }),
        killChangeAfter: 60,
        offline: /, 0 invalid, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 120 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./,
      });
    } finally {
      await live.emu.close();
    }
  }, 240_000);

  it('retries 429s, 503s and resets; a refused key stops the pull with what to fix; the key is in no output or workspace file', async () => {
    plain.reset();
    const live = await liveFrom(exampleSeed);
    try {
      const outputs: string[] = [];
      const bad = await run(live, ['pull'], plain, 'not-the-key-at-all');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "freshdesk" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/v2\/\w+: HTTP 401 You have to be logged in/);
      expect(bad.stderr).toMatch(/check connections\.freshdesk\.auth/);
      expect(bad.stderr).not.toContain('not-the-key-at-all');

      await injectFaults(live.emu, [
        { operation: 'ticket.conversations', action: 'status:503', every: 3, times: 2 },
        { operation: 'ticket.conversations', action: 'reset', every: 5, times: 1 },
        { operation: 'tickets.list', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      ]);
      const ok = await run(live, ['pull', '--output', 'plain'], plain);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/RETRY freshdesk: HTTP 503/);
      expect(ok.stdout).toMatch(/RETRY freshdesk: HTTP 429/);
      const plan = await run(live, ['plan', '--offline', '--out', 'plan.json'], plain);
      outputs.push(plan.stdout, plan.stderr);
      const applied = await run(live, ['apply', 'plan.json', '--output', 'json'], plain);
      outputs.push(applied.stdout, applied.stderr);
      expect(applied.exitCode, applied.stderr).toBe(0);
      const basic = Buffer.from(`${KEY}:X`).toString('base64');
      expectNoSecrets(outputs, live.dir, [KEY, basic]);
    } finally {
      await live.emu.close();
    }
  });

  it('init --from freshdesk --api writes a manifest that validates, for Plain and There There', async () => {
    for (const target of ['plain', 'therethere']) {
      const dir = mkdtempSync(join(tmpdir(), 'pm-init-fd-'));
      mkdirSync(join(dir, 'x'));
      copyFileSync(join(EXAMPLE, 'emulator-seed.yaml'), join(dir, 'x', 'seed.yaml'));
      const r = await cli(['init', '--from', 'freshdesk', '--api', '--target', target], { cwd: dir });
      expect(r.exitCode, r.stderr).toBe(0);
      const text = readFileSync(join(dir, 'plain-migrate.yaml'), 'utf8');
      expect(text).toMatch(/kind: freshdesk/);
      expect(text).toMatch(/apiKey: \$\{FRESHDESK_API_KEY\}/);
      expect(text).toMatch(/\$not\(deleted = true\)/);
      const v = await cli(['validate'], { cwd: dir, extraEnv: { FRESHDESK_API_KEY: 'k', THERETHERE_API_TOKEN: 't', THERETHERE_TOKEN: 't' } });
      expect(v.stdout + v.stderr).not.toMatch(/schema|unknown kind|no adapter/i);
    }
  });
});
