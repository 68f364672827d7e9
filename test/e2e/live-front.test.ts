/**
 * Live Front sources end to end: the built CLI, the Front emulator (seeded with the example's company) and
 * the Plain emulator. A pull + apply lands what the example maps (comments as notes, the attachment fetched
 * with the token on the company host); a change lands exactly, reading only the events since the last pull;
 * a pull killed with SIGKILL and run again ends in the snapshot of one uninterrupted pull and a plan after a
 * killed pull sees no record as gone; a refused token says what to fix; the token is in no output or file.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadFrontSeed, startFrontEmulator, type FrontEmulator, type FrontSeed } from '../../src/emulators/front/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { exampleDir, exampleManifest, expectNoSecrets, injectFaults, killedPullsResume, liveWorkspace, operations, type Live } from './live-kit.js';

const EXAMPLE = exampleDir('front');
const TOKEN = 'front-e2e-token-93ad7c';

async function liveFrom(seed: FrontSeed): Promise<Live<FrontEmulator>> {
  const fr = await startFrontEmulator({ seed, token: TOKEN, requestsPerMinute: 0, burstPerSecond: 0 });
  const manifest = exampleManifest('front');
  return liveWorkspace(fr, manifest, (token = TOKEN) => ({ FRONT_BASE_URL: fr.companyUrl, FRONT_API_TOKEN: token }), 'pm-live-front-');
}
const run = (live: Live<FrontEmulator>, args: string[], plain: PlainEmulator, token?: string) => live.run(args, plain, token);
/** n conversations of two messages and a comment each. */
function generated(n: number): FrontSeed {
  const t0 = Date.UTC(2023, 0, 1) / 1000;
  const tea = { id: 'tea_a1', email: 'sara@acme.com', first_name: 'Sara', last_name: 'Lind' };
  const conversations = Array.from({ length: n }, (_, i) => ({ id: `cnv_g${i}`, subject: `Conversation ${i}`, status: 'assigned', assignee: tea, recipient: { name: `C ${i}`, handle: `c${i}@example.com`, role: 'from' }, tags: [], created_at: t0 + i * 60, updated_at: t0 + i * 60 }));
  const messages = conversations.flatMap((c, i) => [0, 1].map((j) => ({ conversation_id: c.id, id: `msg_g${i}_${j}`, type: 'email', is_inbound: j === 0, draft_mode: null, created_at: t0 + i * 60 + j, author: j === 0 ? null : tea, recipients: [{ name: c.recipient.name, handle: c.recipient.handle, role: j === 0 ? 'from' : 'to' }], body: `<p>m${j}</p>`, attachments: [] })));
  const comments = conversations.map((c, i) => ({ conversation_id: c.id, id: `com_g${i}`, author: tea, body: 'note', posted_at: t0 + i * 60 + 5, attachments: [] }));
  return { conversations, messages, comments, contacts: [], teammates: [tea] };
}

let exampleSeed: FrontSeed;
beforeAll(async () => {
  exampleSeed = await loadFrontSeed(join(EXAMPLE, 'seed'));
});

/**
 * Runs `body` with a Plain emulator of its own, so that the tests can run side by side: most of their time
 * is spent waiting on Front's burst limit (5 requests a second on the messages and comments routes).
 */
async function withPlain(body: (plain: PlainEmulator) => Promise<void>): Promise<void> {
  const plain = await startPlainEmulator({ seed: await loadPlainSeed(join(EXAMPLE, 'emulator-seed.yaml')) });
  try {
    await body(plain);
  } finally {
    await plain.close();
  }
}

describe('a live Front source', { concurrent: true }, () => {
  it('pull + plan + apply lands what the example maps; a change lands exactly, reading only the new events', () => withPlain(async (plain) => {
    const live = await liveFrom(exampleSeed);
    try {
      const pulled = await run(live, ['pull', '--output', 'plain'], plain);
      expect(pulled.exitCode, pulled.stdout + pulled.stderr).toBe(0);
      const plan = await run(live, ['plan', '--offline'], plain);
      expect(plan.exitCode, plan.stderr).toBe(0);
      // c5 is trashed (filtered), c6's contact is a phone number (invalid); m6 is a draft; comments are notes.
      expect(plan.stdout).toContain('Plan: 4 threads to import (11 messages), 0 to update, 0 to append (0 messages), 1 invalid, 0 orphaned');
      const applied = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
      const snap = plain.snapshot() as unknown as { threads: Array<{ externalId: string; status: string; messages: Array<{ externalId: string; type: string }> }> };
      expect(snap.threads.map((t) => t.externalId).sort()).toEqual(['front-cnv_c1', 'front-cnv_c2', 'front-cnv_c3', 'front-cnv_c4']);
      const c1 = snap.threads.find((t) => t.externalId === 'front-cnv_c1')!;
      expect(c1.messages.map((m) => m.externalId)).toContain('front-com_k1');
      // The attachment: fetched with the token from the company host (the emulator refuses it without).
      expect(operations(live.emu)['attachment.download']).toBe(1);
      expect(live.emu.requests().find((r) => r.operation === 'attachment.download')!.status).toBe(200);

      live.emu.account.change({
        conversations: [{ id: 'cnv_c1', status: 'archived' }],
        messages: [{ conversation_id: 'cnv_c3', body: '<p>And SAML?</p>', is_inbound: true, recipients: [{ name: 'Cy Park', handle: 'cy@example.net', role: 'from' }] }],
        trashConversations: ['cnv_c4'],
      });
      const before = live.emu.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 1 invalid, 1 orphaned/);
      const asked = operations(live.emu, before);
      expect(asked['events.list']).toBe(1);
      expect(asked['conversations.list']).toBeUndefined();
      expect(asked['conversation.messages']).toBe(3); // c1, c3, c4
      const after = plain.snapshot() as unknown as typeof snap;
      expect(after.threads.find((t) => t.externalId === 'front-cnv_c1')!.status).toBe('DONE');
      expect(after.threads.find((t) => t.externalId === 'front-cnv_c3')!.messages.length).toBe(2);
    } finally {
      await live.emu.close();
    }
  }));

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', () => withPlain(async (plain) => {
    const seed = generated(40);
    const live = await liveFrom(seed);
    try {
      await killedPullsResume(live, plain, {
        latencyMs: 15,
        killAfter: [20],
        change: () => live.emu.account.change({ conversations: seed.conversations!.map((c) => ({ id: c.id as string, subject: `${String(c.subject)} (edited)` })) }),
        killChangeAfter: 20,
        offline: /, 0 invalid, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 40 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./,
      });
    } finally {
      await live.emu.close();
    }
  }), 120_000);

  it('retries 429s, 503s and resets; a refused token stops the pull with what to fix; the token is in no output or workspace file', () => withPlain(async (plain) => {
    const live = await liveFrom(exampleSeed);
    try {
      const outputs: string[] = [];
      const bad = await run(live, ['pull'], plain, 'not-the-token-at-all');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "front" failed: GET http:\/\/localhost:\d+\/events: HTTP 401/);
      expect(bad.stderr).toMatch(/check connections\.front\.auth/);
      expect(bad.stderr).not.toContain('not-the-token-at-all');
      await injectFaults(live.emu, [
        { operation: 'conversation.messages', action: 'status:503', every: 3, times: 2 },
        { operation: 'conversation.comments', action: 'reset', times: 1 },
        { operation: 'conversations.list', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      ]);
      const ok = await run(live, ['pull', '--output', 'plain'], plain);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/RETRY front: HTTP 503/);
      expect(ok.stdout).toMatch(/RETRY front: HTTP 429/);
      const applied = await run(live, ['apply', '--auto-approve', '--output', 'json'], plain);
      outputs.push(applied.stdout, applied.stderr);
      expect(applied.exitCode, applied.stderr).toBe(0);
      expectNoSecrets(outputs, live.dir, [TOKEN]);
    } finally {
      await live.emu.close();
    }
  }));
});
