/**
 * Live HelpSpot sources end to end: the built CLI, the HelpSpot emulator (seeded with the example's
 * installation) and the Plain emulator. A pull + apply lands what the example maps (the attached file fetched
 * from private_url with the connection's credentials); a change lands exactly, fetching each changed request
 * once although getChanged lists it several times; a pull killed with SIGKILL and run again ends in the
 * snapshot of one uninterrupted pull, and a plan after a killed pull sees no record as gone; refused
 * credentials say what to fix; the token is in no output or workspace file.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHelpSpotSeed, startHelpSpotEmulator, type HelpSpotEmulator, type HelpSpotSeed } from '../../src/emulators/helpspot/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { exampleDir, exampleManifest, expectNoSecrets, injectFaults, killedPullsResume, liveWorkspace, operations, type Live } from './live-kit.js';

const EXAMPLE = exampleDir('helpspot');
const TOKEN = 'hs-e2e-token-3f9a61c2';

async function liveFrom(seed: HelpSpotSeed): Promise<Live<HelpSpotEmulator>> {
  const hs = await startHelpSpotEmulator({ seed, token: TOKEN });
  const manifest = exampleManifest('helpspot');
  return liveWorkspace(hs, manifest, (token = TOKEN) => ({ HELPSPOT_BASE_URL: hs.url, HELPSPOT_TOKEN: token }), 'pm-live-hs-');
}

const run = (live: Live<HelpSpotEmulator>, args: string[], plain: PlainEmulator, token?: string) => live.run(args, plain, token);

/** A generated installation: n requests of 3 history rows each. */
function generated(n: number): HelpSpotSeed {
  const t0 = 1_690_000_000;
  let hid = 1;
  const requests = Array.from({ length: n }, (_, i) => {
    const x = 20_001 + i;
    const t = t0 + i * 60;
    const item = [0, 1, 2].map((j) => ({ xRequestHistory: hid++, xRequest: x, xPerson: j === 1 ? 1 : 0, dtGMTChange: t + j * 10, fPublic: 1, fInitial: j === 0 ? 1 : 0, fNoteIsHTML: 0, tNote: `note ${j} of ${x}`, tLog: '', files: { file: [] } }));
    return { xRequest: x, fOpen: 1, xStatus: 1, fUrgent: 0, xCategory: 0, xPersonAssignedTo: 1, dtGMTOpened: t, dtGMTClosed: 0, sTitle: `Request ${i}`, sFirstName: 'C', sLastName: String(i), sEmail: `c${i % 20}@example.com`, fTrash: 0, reportingTags: { tag: [] }, request_history: { item } };
  });
  return { requests, staff: [{ xPerson: 1, sFname: 'Sara', sLname: 'Lind', sEmail: 'sara@acme.com', fDeleted: 0 }] };
}

let plain: PlainEmulator;
let exampleSeed: HelpSpotSeed;
beforeAll(async () => {
  plain = await startPlainEmulator({ seed: await loadPlainSeed(join(EXAMPLE, 'emulator-seed.yaml')) });
  exampleSeed = await loadHelpSpotSeed(join(EXAMPLE, 'seed'));
});
afterAll(async () => {
  await plain?.close();
});

describe('a live HelpSpot source', () => {
  it('pull + plan + apply lands what the example maps; a change lands exactly, each changed request fetched once', async () => {
    plain.reset();
    const live = await liveFrom(exampleSeed);
    try {
      const pulled = await run(live, ['pull', '--output', 'plain'], plain);
      expect(pulled.exitCode, pulled.stdout + pulled.stderr).toBe(0);
      const kept = exampleSeed.requests!.filter((r) => r.fTrash !== 1 && r.xStatus !== 2);
      const valid = kept.filter((r) => typeof r.sEmail === 'string' && r.sEmail !== '');
      const notes = (r: Record<string, unknown>) => (r.request_history as { item: Array<{ tNote: string }> }).item.filter((i) => i.tNote !== '').length;
      const messages = valid.reduce((n, r) => n + notes(r), 0);
      const plan = await run(live, ['plan', '--offline'], plain);
      expect(plan.exitCode, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(`Plan: ${valid.length} threads to import (${messages} messages), 0 to update, 0 to append (0 messages), ${kept.length - valid.length} invalid, 0 orphaned`);
      const applied = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
      const snap = plain.snapshot() as unknown as { threads: Array<{ externalId: string; status: string; messages: Array<{ externalId: string; attachmentIds?: string[] }> }> };
      expect(snap.threads.map((t) => t.externalId).sort()).toEqual(valid.map((r) => `hs-${String(r.xRequest)}`).sort());
      expect(snap.threads.reduce((n, t) => n + t.messages.length, 0)).toBe(messages);
      // The attached file came from private_url, with the connection's credentials (the emulator demands them).
      expect(applied.stdout + applied.stderr).not.toMatch(/attachment.*(failed|skipped)/i);
      expect(operations(live.emu)['file.download']).toBe(1);

      live.emu.account.change({
        requests: [{ xRequest: 12002, fOpen: 1 }],
        notes: [{ xRequest: 12003, tNote: 'late reply', xPerson: 0 }, { xRequest: 12003, tNote: 'and another', xPerson: 0 }],
        trashRequests: [12004],
      });
      await new Promise((r) => setTimeout(r, 1100)); // the next pull a second later
      const before = live.emu.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(2 messages\), 1 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/ORPHAN thread\["hs-12004"\]/);
      const asked = operations(live.emu, before);
      expect(asked['private.request.getChanged']).toBe(1);
      expect(asked['private.request.get']).toBe(3); // 12002, 12003 (listed twice), 12004
      const after = plain.snapshot() as unknown as typeof snap;
      expect(after.threads.find((t) => t.externalId === 'hs-12002')!.status).toBe('TODO');
      expect(after.threads.find((t) => t.externalId === 'hs-12003')!.messages.length).toBe(6);
    } finally {
      await live.emu.close();
    }
  }, 30_000);

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const seed = generated(48);
    const live = await liveFrom(seed);
    try {
      await killedPullsResume(live, plain, {
        latencyMs: 80,
        killAfter: [10],
        change: async () => {
          live.emu.account.change({ requests: seed.requests!.map((r) => ({ xRequest: r.xRequest as number, sTitle: `${String(r.sTitle)} (edited)` })) });
          await new Promise((r) => setTimeout(r, 1100)); // the next pull a second later
        },
        killChangeAfter: 10,
        offline: /, 0 invalid, 0 orphaned,/,
        plan: /Plan: 0 threads to import \(0 messages\), 48 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./,
      });
    } finally {
      await live.emu.close();
    }
  }, 60_000);

  it('retries 429s, 503s and resets; refused credentials stop the pull with what to fix; the token is in no output or workspace file', async () => {
    plain.reset();
    const live = await liveFrom(exampleSeed);
    try {
      const outputs: string[] = [];
      const bad = await run(live, ['pull'], plain, 'not-the-token-at-all');
      outputs.push(bad.stdout, bad.stderr);
      expect(bad.exitCode).toBe(1);
      expect(bad.stderr).toMatch(/pulling from connection "helpspot" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/index\.php\?method=[\w.]+: HTTP 400 HelpSpot error 2: User authentication failed/);
      expect(bad.stderr).toMatch(/check connections\.helpspot\.auth/);
      expect(bad.stderr).not.toContain('not-the-token-at-all');

      await injectFaults(live.emu, [
        { operation: 'private.request.get', action: 'status:503', every: 3, times: 2 },
        { operation: 'private.request.get', action: 'reset', every: 5, times: 1 },
        { operation: 'private.request.getChanged', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      ]);
      const ok = await run(live, ['pull', '--output', 'plain'], plain);
      outputs.push(ok.stdout, ok.stderr);
      expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
      expect(ok.stdout).toMatch(/RETRY helpspot: HTTP 503/);
      expect(ok.stdout).toMatch(/RETRY helpspot: HTTP 429/);
      const plan = await run(live, ['plan', '--offline', '--out', 'plan.json'], plain);
      outputs.push(plan.stdout, plan.stderr);
      const applied = await run(live, ['apply', 'plan.json', '--output', 'json'], plain);
      outputs.push(applied.stdout, applied.stderr);
      expect(applied.exitCode, applied.stderr).toBe(0);
      expectNoSecrets(outputs, live.dir, [TOKEN]);
    } finally {
      await live.emu.close();
    }
  }, 30_000);
});
