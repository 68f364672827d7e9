/** Shared by the reliability suites: a workspace, an emulator, runs, and comparisons with a reference. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from '../e2e/cli.js';
import { normalize } from '../e2e/normalize.js';
import type { Workspace } from '../e2e/workspace.js';

export async function post(emu: PlainEmulator, path: string, body: unknown): Promise<void> {
  const r = await fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${path}: HTTP ${r.status} ${await r.text()}`);
}

export function forgetState(ws: Workspace): void {
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) rmSync(join(ws.dir, '.plain-migrate', f), { force: true });
}

export function apply(ws: Workspace, emu: PlainEmulator, extra: string[] = []) {
  return cli(['apply', '-f', ws.manifest, '--auto-approve', ...extra], { cwd: ws.dir, endpoint: emu.graphqlUrl });
}

/** No thread twice for a customer, no message twice in a thread. */
export function expectNoDuplicates(emu: PlainEmulator): void {
  const snap = emu.snapshot();
  const threads = snap.threads.map((t) => `${t.customerId}/${t.externalId}`);
  expect(new Set(threads).size).toBe(threads.length);
  for (const t of snap.threads) {
    const ids = t.messages.map((m) => m.externalId);
    expect(new Set(ids).size, t.externalId).toBe(ids.length);
  }
  const emails = snap.customers.map((c) => c.email.toLowerCase());
  expect(new Set(emails).size).toBe(emails.length);
}

type Store = ReturnType<typeof normalize>;

/** Messages by time (then externalId) instead of import order. */
function byTime(s: Store): Store {
  return {
    ...s,
    threads: s.threads.map((t) => ({
      ...t,
      messages: [...t.messages].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.externalId.localeCompare(b.externalId)),
    })),
  };
}

/**
 * The same store as the reference. `importOrder: false` compares each thread's messages by their
 * time instead of the order they arrived in: after a partial batch failure the failed messages are
 * sent again after the ones that got in (Plain shows a timeline by time, so nothing a user sees differs).
 */
export function expectSameStore(emu: PlainEmulator, reference: Store, opts: { importOrder?: boolean } = {}): void {
  expectNoDuplicates(emu);
  const got = normalize(emu.snapshot());
  if (opts.importOrder === false) expect(byTime(got)).toEqual(byTime(reference));
  else expect(got).toEqual(reference);
}

/** mulberry32: a tiny seeded PRNG, so that a failing schedule can be reproduced. */
export function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Figures for docs/RELIABILITY.md: printed, and kept in one line each so they are easy to find. */
export function figure(name: string, values: Record<string, unknown>): void {
  process.stdout.write(`RELIABILITY ${name} ${JSON.stringify(values)}\n`);
}
