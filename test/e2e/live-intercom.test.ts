/**
 * Live Intercom sources end to end: the built CLI, the Intercom emulator (seeded with the example's workspace)
 * and the Plain emulator. A pull + apply lands what the example maps; a change lands exactly, asking only for
 * the changed conversations; a conversation past the 500-part cap gets its note; a pull killed with SIGKILL and
 * run again ends in the snapshot of one uninterrupted pull, with no false orphans; the token is in no output
 * or workspace file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIntercomSeed, startIntercomEmulator, type IntercomEmulator, type IntercomSeed } from '../../src/emulators/intercom/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { exampleDir, exampleManifest, expectNoSecrets, injectFaults, killedPullsResume, liveWorkspace, operations, type Live } from './live-kit.js';

const EXAMPLE = exampleDir('intercom');
const TOKEN = 'ic-e2e-token-3f9a61c2';

async function liveFrom(seed: IntercomSeed, opts: { partsCap?: number } = {}): Promise<Live<IntercomEmulator>> {
  const ic = await startIntercomEmulator({ seed, token: TOKEN, requestsPerMinute: 0, ...opts });
  const manifest = exampleManifest('intercom');
  return liveWorkspace(ic, manifest, (token = TOKEN) => ({ INTERCOM_BASE_URL: ic.url, INTERCOM_ACCESS_TOKEN: token }), 'pm-live-ic-');
}
const run = (live: Live<IntercomEmulator>, args: string[], plain: PlainEmulator, token?: string) => live.run(args, plain, token);
type Snap = { threads: Array<{ externalId: string; status: string; messages: Array<{ externalId: string; type: string; text?: string; attachmentIds?: string[] }> }> };

let plain: PlainEmulator;
let exampleSeed: IntercomSeed;
beforeAll(async () => {
  plain = await startPlainEmulator({ seed: await loadPlainSeed(join(EXAMPLE, 'emulator-seed.yaml')) });
  exampleSeed = await loadIntercomSeed(join(EXAMPLE, 'export'));
});
afterAll(async () => {
  await plain?.close();
});

describe('a live Intercom source', () => {
  it('pull + plan + apply lands what the example maps; a change lands exactly; the token is in no output or file', async () => {
    plain.reset();
    const live = await liveFrom(exampleSeed);
    const outputs: string[] = [];
    try {
      const bad = await run(live, ['pull'], plain, 'not-the-token-at-all');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "intercom" failed: POST http:\/\/127\.0\.0\.1:\d+\/conversations\/search: HTTP 401/);
      expect(bad.stderr).toMatch(/check connections\.intercom\.auth/);
      expect(bad.stderr).not.toContain('not-the-token-at-all');

      await injectFaults(live.emu, [{ operation: 'conversation.retrieve', action: 'status:503', every: 3, times: 1 }, { operation: 'conversations.search', action: 'rate-limit', retryAfterSeconds: 1, times: 1 }]);
      const pulled = await run(live, ['pull', '--output', 'plain'], plain);
      outputs.push(pulled.stdout, pulled.stderr);
      expect(pulled.exitCode, pulled.stdout + pulled.stderr).toBe(0);
      expect(pulled.stdout).toMatch(/RETRY intercom: HTTP 503/);
      expect(pulled.stdout).toMatch(/RETRY intercom: HTTP 429/);
      const plan = await run(live, ['plan', '--offline'], plain);
      outputs.push(plan.stdout, plan.stderr);
      expect(plan.exitCode, plan.stderr).toBe(0);
      // 6 conversations, 475's lead has no email (invalid); 15 messages: each source and the parts with a body.
      expect(plan.stdout).toContain('Plan: 5 threads to import (15 messages), 0 to update, 0 to append (0 messages), 1 invalid, 0 orphaned');
      const applied = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      outputs.push(applied.stdout, applied.stderr);
      expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
      const snap = plain.snapshot() as unknown as Snap;
      expect(snap.threads.map((t) => t.externalId).sort()).toEqual(['ic-471', 'ic-472', 'ic-473', 'ic-474', 'ic-476']);
      const t471 = snap.threads.find((t) => t.externalId === 'ic-471')!;
      expect(t471.status).toBe('DONE');
      expect(t471.messages.map((m) => m.type).sort()).toEqual(['INBOUND', 'INBOUND', 'OUTBOUND']);
      expect(operations(live.emu)['attachment.download']).toBe(1);

      live.emu.account.change({
        conversations: [{ id: '472', state: 'closed', open: false }],
        parts: [{ conversation_id: '473', part_type: 'comment', body: '<p>late reply</p>', author: { type: 'lead', id: '6762f0f31bb69f9f2193bb03', name: 'Cy Diaz', email: 'cy@example.net' } }],
        deleteConversations: ['474'],
      });
      const before = live.emu.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      outputs.push(second.stdout, second.stderr);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 1 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/ORPHAN thread\["ic-474"\]/);
      const asked = operations(live.emu, before);
      expect(asked['conversation.retrieve']).toBe(2); // 472 and 473; 474 is deleted
      expect(asked['conversations.search']).toBe(1);
      const after = plain.snapshot() as unknown as Snap;
      expect(after.threads.find((t) => t.externalId === 'ic-472')!.status).toBe('DONE');
      expect(after.threads.find((t) => t.externalId === 'ic-473')!.messages.length).toBe(3);

      expectNoSecrets(outputs, live.dir, [TOKEN]);
    } finally {
      await live.emu.close();
    }
  }, 40_000);

  it('a conversation past the part cap gets a note saying how many earlier parts were not available', async () => {
    plain.reset();
    // The cap made small (3) so the example shows it: 471 has 4 parts, 474 has 4.
    const live = await liveFrom(exampleSeed, { partsCap: 3 });
    try {
      const pulled = await run(live, ['pull', '--output', 'plain'], plain);
      expect(pulled.exitCode, pulled.stderr).toBe(0);
      expect(pulled.stdout).toMatch(/conversation 471 has 4 parts; .*1 earlier parts were not available/);
      expect((await run(live, ['apply', '--auto-approve', '--offline'], plain)).exitCode).toBe(0);
      const t471 = (plain.snapshot() as unknown as Snap).threads.find((t) => t.externalId === 'ic-471')!;
      expect(t471.messages.map((m) => m.externalId)).toContain('ic-part-missing-parts');
    } finally {
      await live.emu.close();
    }
  }, 20_000);

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const base = exampleSeed.conversations![1]!;
    const conversations = Array.from({ length: 40 }, (_, i) => ({ ...structuredClone(base), id: String(3000 + i), updated_at: 1_680_000_000 + i, conversation_parts: { type: 'conversation_part.list', conversation_parts: [{ type: 'conversation_part', id: String(70_000 + i), part_type: 'comment', body: `<p>reply ${i}</p>`, created_at: 1_680_000_000 + i, author: { type: 'admin', id: '991267601', email: 'sara@acme.com' }, attachments: [] }] } }));
    const seed = { ...exampleSeed, conversations };
    const live = await liveFrom(seed);
    try {
      await killedPullsResume(live, plain, {
        latencyMs: 40,
        killAfter: [15],
        change: () => live.emu.account.change({ conversations: conversations.map((c) => ({ id: c.id, state: 'closed' })) }),
        killChangeAfter: 15,
        offline: /, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 40 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./,
      });
    } finally {
      await live.emu.close();
    }
  }, 60_000);
});
