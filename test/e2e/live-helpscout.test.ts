/**
 * A live Help Scout source end to end: the built CLI, the Help Scout emulator (seeded with
 * examples/helpscout-api/seed) and the Plain emulator. A pull + apply lands what the example's manifest
 * maps (threads oldest first, the deleted conversation left out); a change lands exactly, asking only for
 * the changed conversations' threads; a pull killed with SIGKILL resumes with no false orphans; the client
 * secret and the access token appear in no output and no workspace file.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHelpScoutSeed, startHelpScoutEmulator, type HelpScoutEmulator } from '../../src/emulators/helpscout/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { exampleDir, exampleManifest, expectNoSecrets, killedPullsResume, liveWorkspace, operations as ops, type Live } from './live-kit.js';

const EXAMPLE = exampleDir('helpscout');
const SECRET = 'hs-e2e-secret-7c1d9e';
const CLIENT = 'hs-e2e-app';

async function live(): Promise<Live<HelpScoutEmulator>> {
  const hs = await startHelpScoutEmulator({ seed: await loadHelpScoutSeed(join(EXAMPLE, 'seed')), clientId: CLIENT, clientSecret: SECRET, requestsPerMinute: 0 });
  return liveWorkspace(hs, exampleManifest('helpscout'), (secret = SECRET) => ({ HELPSCOUT_BASE_URL: hs.url, HELPSCOUT_CLIENT_ID: CLIENT, HELPSCOUT_CLIENT_SECRET: secret }), 'pm-live-hs-');
}

const run = (l: Live<HelpScoutEmulator>, args: string[], plain: PlainEmulator, secret?: string) => l.run(args, plain, secret);

let plain: PlainEmulator;
beforeAll(async () => {
  plain = await startPlainEmulator({ seed: await loadPlainSeed(join(EXAMPLE, 'emulator-seed.yaml')) });
});
afterAll(async () => {
  await plain?.close();
});

describe('a live Help Scout source', () => {
  it('lands what the example maps (messages oldest first), then exactly a change, asking only for the changed threads; no secret or token anywhere', async () => {
    plain.reset();
    const l = await live();
    const outputs: string[] = [];
    try {
      const first = await run(l, ['apply', '--auto-approve', '--output', 'plain'], plain);
      outputs.push(first.stdout, first.stderr);
      expect(first.exitCode, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/Plan: 4 threads to import \(9 messages\)/);
      const snap = plain.snapshot() as unknown as { threads: Array<{ externalId: string; status: string; messages: Array<{ externalId: string; type: string; createdAt: string }> }> };
      expect(snap.threads.map((t) => t.externalId).sort()).toEqual(['hs-401', 'hs-402', 'hs-403', 'hs-404']);
      const t401 = snap.threads.find((t) => t.externalId === 'hs-401')!;
      // Help Scout gives them newest first; Plain has them oldest first, the line item left out.
      expect(t401.messages.map((m) => [m.externalId, m.type])).toEqual([
        ['hs-thread-1001', 'INBOUND'],
        ['hs-thread-1003', 'NOTE'],
        ['hs-thread-1004', 'OUTBOUND'],
      ]);
      for (const t of snap.threads) expect(t.messages.map((m) => m.createdAt)).toEqual(t.messages.map((m) => m.createdAt).sort());
      expect(snap.threads.find((t) => t.externalId === 'hs-404')?.status).toBe('DONE');
      expect(ops(l.emu)['threads.list']).toBe(4);
      // The invoice on 402's first message: fetched from its data link with the token, decoded from base64 JSON, uploaded.
      const full = plain.snapshot() as unknown as { threads: Array<{ externalId: string; messages: Array<{ id: string; externalId: string }> }>; attachments: Array<{ messageId: string; fileName: string; sha256: string; uploaded: boolean }> };
      const m1005 = full.threads.find((t) => t.externalId === 'hs-402')!.messages.find((m) => m.externalId === 'hs-thread-1005')!;
      const invoice = Buffer.alloc(2048, 'invoice-88.pdf:9001\n');
      expect(full.attachments.filter((a) => a.messageId === m1005.id).map((a) => [a.fileName, a.sha256, a.uploaded])).toEqual([
        ['invoice-88.pdf', createHash('sha256').update(invoice).digest('hex'), true],
      ]);
      expect(ops(l.emu)['attachment.data']).toBe(1);

      // A reply, a status change, a deleted conversation.
      l.emu.account.change({
        conversations: [{ id: 403, status: 'closed' }],
        threads: [{ conversationId: 401, type: 'customer', body: '<p>any news?</p>', createdAt: '2024-04-06T09:00:00Z', createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } }],
        deleteConversations: [402],
      });
      const before = l.emu.requests().length;
      const second = await run(l, ['apply', '--auto-approve', '--output', 'plain'], plain);
      outputs.push(second.stdout, second.stderr);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 0 invalid, 1 orphaned/);
      const asked = ops(l.emu, before);
      expect(asked['threads.list']).toBe(2); // 401 and 403; 402 is deleted
      expect(asked['conversations.list']).toBe(1);
      const after = plain.snapshot() as unknown as typeof snap;
      expect(after.threads.find((t) => t.externalId === 'hs-401')!.messages.at(-1)!.externalId).toMatch(/^hs-thread-\d+$/);
      expect(after.threads.find((t) => t.externalId === 'hs-403')!.status).toBe('DONE');

      const plan = await run(l, ['plan', '--out', 'plan.json'], plain);
      outputs.push(plan.stdout, plan.stderr);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(plan.stdout).toMatch(/0 to update, 0 to append \(0 messages\), 0 invalid, 1 orphaned/);
      const bad = await run(l, ['pull'], plain, 'not-the-secret');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "helpscout" failed/);
      expect(bad.stderr).toMatch(/check connections\.helpscout\.auth/);

      const tokens = l.emu.tokens();
      expect(tokens.length).toBeGreaterThan(0);
      expectNoSecrets(outputs, l.dir, [SECRET, ...tokens]);
    } finally {
      await l.emu.close();
    }
  });

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const more = Array.from({ length: 30 }, (_, i) => ({ id: 700 + i, subject: `bulk ${i}`, primaryCustomer: { id: 201, first: 'Dana', last: 'Doe', email: 'dana@example.com' } }));
    const threads = more.map((c) => ({ conversationId: c.id, type: 'customer', body: `<p>${c.subject}</p>`, createdAt: '2024-05-01T00:00:00Z', createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } }));
    const l = await live();
    try {
      l.emu.account.change({ conversations: more, threads });
      await killedPullsResume(l, plain, {
        latencyMs: 20,
        killAfter: [12],
        change: () => l.emu.account.change({ conversations: more.map((c) => ({ id: c.id, subject: `${c.subject} (edited)` })) }),
        killChangeAfter: 8,
        offline: /, 0 invalid, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 30 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned/,
      });
    } finally {
      await l.emu.close();
    }
  }, 180_000);
});
