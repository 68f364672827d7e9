/**
 * Live Intercom sources end to end: the built CLI, the Intercom emulator (seeded with the example's workspace)
 * and the Plain emulator. A pull + apply lands what the example maps; a change lands exactly, asking only for
 * the changed conversations; a conversation past the 500-part cap gets its note; a pull killed with SIGKILL and
 * run again ends in the snapshot of one uninterrupted pull, with no false orphans; the token is in no output
 * or workspace file.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadIntercomSeed, startIntercomEmulator, type IntercomEmulator, type IntercomSeed } from '../../src/emulators/intercom/index.js';
import { loadPlainSeed, startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';

const EXAMPLE = join(import.meta.dirname, '../../examples/intercom-api');
const TOKEN = 'ic-e2e-token-3f9a61c2';

interface Live {
  dir: string;
  manifest: string;
  ic: IntercomEmulator;
}
async function liveFrom(seed: IntercomSeed, opts: { partsCap?: number } = {}): Promise<Live> {
  const ic = await startIntercomEmulator({ seed, token: TOKEN, requestsPerMinute: 0, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'pm-live-ic-'));
  const manifest = join(dir, 'plain-migrate.yaml');
  writeFileSync(manifest, readFileSync(join(EXAMPLE, 'plain-migrate.yaml'), 'utf8').replace('requestsPerMinute: 1000 ', 'requestsPerMinute: 100000 ').replace('requestsPerMinute: 450', 'requestsPerMinute: 6000'));
  return { dir, manifest, ic };
}
const run = (live: Live, args: string[], plain: PlainEmulator, token = TOKEN) =>
  cli([...args, '-f', live.manifest], { cwd: live.dir, endpoint: plain.graphqlUrl, extraEnv: { INTERCOM_BASE_URL: live.ic.url, INTERCOM_ACCESS_TOKEN: token } });
function snapshotDump(dir: string): unknown {
  const db = new Database(join(dir, '.plain-migrate/state.db'), { readonly: true });
  try {
    return db.prepare('SELECT stream, id, deleted, data FROM snapshot_records ORDER BY stream, id').all();
  } finally {
    db.close();
  }
}
function operations(ic: IntercomEmulator, from = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of ic.requests().slice(from)) out[r.operation ?? '?'] = (out[r.operation ?? '?'] ?? 0) + 1;
  return out;
}
function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}
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

      await fetch(`${live.ic.url}/__emulator/faults`, {
        method: 'POST',
        body: JSON.stringify({ rules: [{ operation: 'conversation.retrieve', action: 'status:503', every: 3, times: 1 }, { operation: 'conversations.search', action: 'rate-limit', retryAfterSeconds: 1, times: 1 }] }),
      });
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
      expect(operations(live.ic)['attachment.download']).toBe(1);

      live.ic.account.change({
        conversations: [{ id: '472', state: 'closed', open: false }],
        parts: [{ conversation_id: '473', part_type: 'comment', body: '<p>late reply</p>', author: { type: 'lead', id: '6762f0f31bb69f9f2193bb03', name: 'Cy Diaz', email: 'cy@example.net' } }],
        deleteConversations: ['474'],
      });
      const before = live.ic.requests().length;
      const second = await run(live, ['apply', '--auto-approve', '--output', 'plain'], plain);
      outputs.push(second.stdout, second.stderr);
      expect(second.exitCode, second.stdout + second.stderr).toBe(0);
      expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 1 to append \(1 message\), 1 invalid, 1 orphaned/);
      expect(second.stdout).toMatch(/ORPHAN thread\["ic-474"\]/);
      const asked = operations(live.ic, before);
      expect(asked['conversation.retrieve']).toBe(2); // 472 and 473; 474 is deleted
      expect(asked['conversations.search']).toBe(1);
      const after = plain.snapshot() as unknown as Snap;
      expect(after.threads.find((t) => t.externalId === 'ic-472')!.status).toBe('DONE');
      expect(after.threads.find((t) => t.externalId === 'ic-473')!.messages.length).toBe(3);

      for (const o of outputs) expect(o).not.toContain(TOKEN);
      for (const f of files(live.dir)) expect(readFileSync(f).includes(TOKEN), f).toBe(false);
    } finally {
      await live.ic.close();
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
      await live.ic.close();
    }
  }, 20_000);

  it('a pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; a plan after a killed pull sees no record as gone', async () => {
    plain.reset();
    const base = exampleSeed.conversations![1]!;
    const conversations = Array.from({ length: 40 }, (_, i) => ({ ...structuredClone(base), id: String(3000 + i), updated_at: 1_680_000_000 + i, conversation_parts: { type: 'conversation_part.list', conversation_parts: [{ type: 'conversation_part', id: String(70_000 + i), part_type: 'comment', body: `<p>reply ${i}</p>`, created_at: 1_680_000_000 + i, author: { type: 'admin', id: '991267601', email: 'sara@acme.com' }, attachments: [] }] } }));
    const seed = { ...exampleSeed, conversations };
    const reference = await liveFrom(seed);
    const live = await liveFrom(seed);
    try {
      expect((await run(reference, ['pull'], plain)).exitCode).toBe(0);
      const want = snapshotDump(reference.dir);
      live.ic.configure({ latencyMs: 40 });
      let killed = 0;
      for (const wait of [500, 900]) {
        const p = run(live, ['pull', '--output', 'plain'], plain);
        await new Promise((r) => setTimeout(r, wait));
        if (p.kill('SIGKILL')) killed++;
        await p;
      }
      expect(killed).toBeGreaterThan(0);
      live.ic.configure({ latencyMs: 0 });
      expect((await run(live, ['pull'], plain)).exitCode).toBe(0);
      expect(snapshotDump(live.dir)).toEqual(want);
      expect((await run(live, ['apply', '--auto-approve', '--offline'], plain)).exitCode).toBe(0);
      live.ic.account.change({ conversations: conversations.map((c) => ({ id: c.id, state: 'closed' })) });
      live.ic.configure({ latencyMs: 40 });
      const p = run(live, ['pull', '--output', 'plain'], plain);
      await new Promise((r) => setTimeout(r, 600));
      p.kill('SIGKILL');
      await p;
      live.ic.configure({ latencyMs: 0 });
      const offline = await run(live, ['plan', '--offline'], plain);
      expect(offline.exitCode, offline.stderr).toBe(0);
      expect(offline.stdout).toMatch(/, 0 orphaned,/);
      const plan = await run(live, ['plan'], plain);
      expect(plan.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 40 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 0 unchanged\./);
    } finally {
      await reference.ic.close();
      await live.ic.close();
    }
  }, 60_000);
});
