/**
 * Live HelpSpot sources end to end: the built CLI, the HelpSpot emulator (seeded with the example's
 * installation) and the Plain emulator. A pull + apply lands what the example maps (the attached file fetched
 * from private_url with the connection's credentials); a change lands exactly, fetching each changed request
 * once although getChanged lists it several times; a pull killed with SIGKILL and run again ends in the
 * snapshot of one uninterrupted pull, and a plan after a killed pull sees no record as gone; refused
 * credentials say what to fix; the token is in no output or workspace file.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadHelpSpotSeed, startHelpSpotEmulator, type HelpSpotEmulator, type HelpSpotSeed } from '../../src/emulators/helpspot/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/helpspot-api');
const TOKEN = 'hs-e2e-token-3f9a61c2';

interface Live {
  dir: string;
  manifest: string;
  hs: HelpSpotEmulator;
}

async function liveFrom(seed: HelpSpotSeed): Promise<Live> {
  const hs = await startHelpSpotEmulator({ seed, token: TOKEN });
  const dir = mkdtempSync(join(tmpdir(), 'pm-live-hs-'));
  const manifest = join(dir, 'plain-migrate.yaml');
  writeFileSync(manifest, readFileSync(join(EXAMPLE, 'plain-migrate.yaml'), 'utf8').replace('requestsPerMinute: 120 ', 'requestsPerMinute: 100000 '));
  return { dir, manifest, hs };
}

const run = (live: Live, args: string[], plain: PlainEmulator, token = TOKEN) =>
  cli([...args, '-f', live.manifest], { cwd: live.dir, endpoint: plain.graphqlUrl, extraEnv: { HELPSPOT_BASE_URL: live.hs.url, HELPSPOT_TOKEN: token } });

function snapshotDump(dir: string): unknown {
  const db = new Database(join(dir, '.plain-migrate/state.db'), { readonly: true });
  try {
    return db.prepare('SELECT stream, id, deleted, data FROM snapshot_records ORDER BY stream, id').all();
  } finally {
    db.close();
  }
}
function operations(hs: HelpSpotEmulator, from = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of hs.requests().slice(from)) out[r.operation ?? '?'] = (out[r.operation ?? '?'] ?? 0) + 1;
  return out;
}
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

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
      expect(operations(live.hs)['file.download']).toBe(1);

      live.hs.account.change({
        requests: [{ xRequest: 12002, fOpen: 1 }],
        notes: [{ xRequest: 12003, tNote: 'late reply', xPerson: 0 }, { xRequest: 12003, tNote: 'and another', xPerson: 0 }],
        trashRequests: [12004],
      });
      await new Promise((r) => setTimeout(r, 1100)); // the next pull a second later
      const before = live.hs.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(2 messages\), 1 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/ORPHAN thread\["hs-12004"\]/);
      const asked = operations(live.hs, before);
      expect(asked['private.request.getChanged']).toBe(1);
      expect(asked['private.request.get']).toBe(3); // 12002, 12003 (listed twice), 12004
      const after = plain.snapshot() as unknown as typeof snap;
      expect(after.threads.find((t) => t.externalId === 'hs-12002')!.status).toBe('TODO');
      expect(after.threads.find((t) => t.externalId === 'hs-12003')!.messages.length).toBe(6);
    } finally {
      await live.hs.close();
    }
  }, 30_000);

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const seed = generated(48);
    const reference = await liveFrom(seed);
    const live = await liveFrom(seed);
    try {
      expect((await run(reference, ['pull'], plain)).exitCode).toBe(0);
      const want = snapshotDump(reference.dir);
      live.hs.configure({ latencyMs: 80 });
      let killed = 0;
      for (const wait of [800]) {
        const p = run(live, ['pull', '--output', 'plain'], plain);
        await new Promise((r) => setTimeout(r, wait));
        if (p.kill('SIGKILL')) killed++;
        await p;
      }
      expect(killed).toBeGreaterThan(0);
      live.hs.configure({ latencyMs: 0 });
      expect((await run(live, ['pull'], plain)).exitCode).toBe(0);
      expect(snapshotDump(live.dir)).toEqual(want);

      expect((await run(live, ['apply', '--auto-approve', '--offline'], plain)).exitCode).toBe(0);
      live.hs.account.change({ requests: seed.requests!.map((r) => ({ xRequest: r.xRequest as number, sTitle: `${String(r.sTitle)} (edited)` })) });
      await new Promise((r) => setTimeout(r, 1100));
      live.hs.configure({ latencyMs: 80 });
      const p = run(live, ['pull', '--output', 'plain'], plain);
      await new Promise((r) => setTimeout(r, 800));
      p.kill('SIGKILL');
      await p;
      live.hs.configure({ latencyMs: 0 });
      const offline = await run(live, ['plan', '--offline'], plain);
      expect(offline.exitCode, offline.stderr).toBe(0);
      expect(offline.stdout).toMatch(/, 0 invalid, 0 orphaned,/);
      const plan = await run(live, ['plan'], plain);
      expect(plan.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 48 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./);
    } finally {
      await reference.hs.close();
      await live.hs.close();
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

      await fetch(`${live.hs.url}/__emulator/faults`, {
        method: 'POST',
        body: JSON.stringify({
          rules: [
            { operation: 'private.request.get', action: 'status:503', every: 3, times: 2 },
            { operation: 'private.request.get', action: 'reset', every: 5, times: 1 },
            { operation: 'private.request.getChanged', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
          ],
        }),
      });
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
      for (const o of outputs) expect(o).not.toContain(TOKEN);
      for (const f of files(live.dir)) expect(readFileSync(f).includes(TOKEN), f).toBe(false);
    } finally {
      await live.hs.close();
    }
  }, 30_000);
});
