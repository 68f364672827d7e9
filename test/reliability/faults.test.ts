/**
 * The fault matrix: each kind of failure Plain (or the network) can produce, injected by the
 * emulator, and all of them mixed at random with a fixed seed. Every run must end in exactly the
 * store a fault-free run produces — nothing duplicated, nothing missing — and count its retries.
 *
 * The runs are independent and spend most of their time in retry back-offs and Retry-After waits, so
 * they run side by side: each with an emulator of its own and a copy of the reference workspace.
 */
import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startPlainEmulator, type FaultRule, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from '../e2e/cli.js';
import { normalize } from '../e2e/normalize.js';
import { AGENTS, LABELS, MANIFEST, makeWorkspace, type Workspace } from '../e2e/workspace.js';
import { apply, expectSameStore, figure, forgetState, post } from './harness.js';

// For this file only (vitest resets it after the file): how many runs go at once.
vi.setConfig({ maxConcurrency: 4 });

const SEED = { users: AGENTS, labelTypes: LABELS };
let emu: PlainEmulator;
let ws: Workspace;
let reference: ReturnType<typeof normalize>;
let referenceRequests = 0;

beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED, maxLoggedRequests: 1_000_000 });
  // maxAttempts 15: faults are counted across workers, so one request can be unlucky several times in a row
  ws = makeWorkspace({ tickets: 40, maxExtraComments: 33, manifest: MANIFEST.replace('maxAttempts: 8', 'maxAttempts: 15') });
  const r = await apply(ws, emu);
  expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  reference = normalize(emu.snapshot());
  referenceRequests = emu.requests().length;
  expect(reference.threads.some((t) => t.messages.length > 25)).toBe(true);
});
afterAll(async () => {
  await emu?.close();
});

interface FaultState {
  rules: Array<FaultRule & { fired: number }>;
}

/** The reference workspace as its run left it (export, manifest, caches), in a directory of its own. */
function copyOfWorkspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'pm-faults-'));
  cpSync(ws.dir, dir, { recursive: true, preserveTimestamps: true });
  return { ...ws, dir, manifest: join(dir, 'plain-migrate.yaml') };
}

async function runWith(name: string, rules: FaultRule[], faultSeed = 7): Promise<void> {
  const emu = await startPlainEmulator({ seed: SEED, maxLoggedRequests: 1_000_000 });
  try {
    await runWithOn(emu, copyOfWorkspace(), name, rules, faultSeed);
  } finally {
    await emu.close();
  }
}

async function runWithOn(emu: PlainEmulator, ws: Workspace, name: string, rules: FaultRule[], faultSeed: number): Promise<void> {
  emu.reset();
  forgetState(ws);
  await post(emu, '/__emulator/faults', { rules, faultSeed });
  const r = await apply(ws, emu, ['--output', 'json']);
  const state = (await (await fetch(`${emu.url}/__emulator/faults`)).json()) as FaultState;
  await post(emu, '/__emulator/faults', { rules: [] });
  expect(r.exitCode, r.stderr + r.stdout.slice(-2000)).toBe(0);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; outcome?: string });
  const retries = events.filter((e) => e.type === 'retry').length;
  const fired = state.rules.reduce((n, x) => n + x.fired, 0);
  expect(fired, 'no fault fired: the scenario tests nothing').toBeGreaterThan(0);
  // every fault is a failed attempt that was retried (a partial failure: one retry per failed message)
  if (rules.some((x) => x.action === 'partial-internal-error')) expect(retries).toBeGreaterThanOrEqual(fired);
  else expect(retries).toBe(fired);
  expect(events.at(-1)).toMatchObject({ type: 'done', outcome: 'completed' });
  const partial = rules.some((x) => x.action === 'partial-internal-error');
  expectSameStore(emu, reference, { importOrder: !partial });
  figure(`faults:${name}`, { faultsInjected: fired, retries, requests: emu.requests().length, referenceRequests, duplicates: 0, lost: 0 });
}

describe('the fault matrix: each run ends in the fault-free store', { concurrent: true }, () => {
  it('429 storm with Retry-After', () =>
    runWith('429-retry-after', [{ action: 'rate-limit', probability: 0.08, times: 8, retryAfterSeconds: 1 }]));

  it('429 with only x-ratelimit-reset', () =>
    runWith('429-reset-only', [{ action: 'rate-limit', every: 9, times: 6, retryAfterSeconds: 1, omitRetryAfter: true }]));

  it('bursts of 500, 502 and 503', () =>
    runWith('5xx', [
      { action: 'status:500', every: 4 },
      { action: 'status:502', every: 7 },
      { action: 'status:503', every: 11 },
    ]));

  it('connection resets', () => runWith('resets', [{ action: 'reset', every: 3 }]));

  it('hangs past requestTimeout', () => runWith('hangs', [{ operation: 'importThread', action: 'hang', every: 9, times: 2 }]));

  it('responses dropped after the mutation committed', () => runWith('drop-after-commit', [{ action: 'drop-after-commit', every: 3 }]));

  it('MutationError INTERNAL', () => runWith('internal', [{ action: 'internal-error', every: 4 }]));

  it('partial failures inside a message batch', () =>
    runWith('partial-batch', [{ operation: 'importThreadMessages', action: 'partial-internal-error', every: 2 }]));

  it('all of them mixed at random, with a fixed seed', () =>
    runWith(
      'mixed',
      [
        { action: 'rate-limit', probability: 0.03, times: 4, retryAfterSeconds: 1 },
        { action: 'status:503', probability: 0.05 },
        { action: 'status:500', probability: 0.03 },
        { action: 'reset', probability: 0.05 },
        { action: 'hang', probability: 0.02, times: 2 },
        { action: 'drop-after-commit', probability: 0.05 },
        { action: 'internal-error', probability: 0.04 },
        { operation: 'importThreadMessages', action: 'partial-internal-error', probability: 0.1 },
      ],
      20261122,
    ));
});

// Beside the matrix (concurrent too): it has the reference emulator to itself.
describe('an import Plain committed without the run knowing', { concurrent: true }, () => {
  it('then a changed export: the re-apply reads the thread back and records it as it is, the next plan updates it, ending where a fresh run of that export ends', async () => {
    emu.reset();
    const w = makeWorkspace({ tickets: 5, maxExtraComments: 2, manifest: MANIFEST.replace('maxAttempts: 8', 'maxAttempts: 1') });
    // the import commits, its answer is lost and not retried (maxAttempts 1): the run records it as failed
    await post(emu, '/__emulator/faults', { rules: [{ operation: 'importThread', action: 'drop-after-commit', times: 1 }] });
    const first = await apply(w, emu);
    await post(emu, '/__emulator/faults', { rules: [] });
    expect(first.exitCode).toBe(1);
    const lost = emu.requests().find((q) => q.operationName === 'importThread' && q.status === 0)!;
    const lostId = (lost.variables as { input: { externalId: string } }).input.externalId;
    // the next export: that ticket's status and tags changed
    const src = w.tickets.find((t) => `zd-${t.id}` === lostId)!;
    src.status = src.status === 'solved' ? 'open' : 'solved';
    src.tags = src.tags.includes('billing') ? ['bug'] : ['billing'];
    w.rewrite();
    const from = emu.requests().length;
    const again = await apply(w, emu);
    expect(again.exitCode, again.stdout + again.stderr).toBe(0);
    const ops = emu.requests().slice(from).map((q) => q.operationName);
    expect(ops.filter((o) => o === 'readThreads')).toHaveLength(1);
    // nothing changed that the plan did not show: the differences are reported, and planned next
    const UPDATES = ['updateThreadTitle', 'changeThreadPriority', 'markThreadAsDone', 'markThreadAsTodo', 'snoozeThread', 'addLabels', 'removeLabels', 'assignThread', 'unassignThread'];
    expect(ops.filter((o) => UPDATES.includes(o ?? ''))).toEqual([]);
    expect(again.stdout).toMatch(new RegExp(`status in Plain: \\S+; in the export: \\S+\\. The thread was there already`));
    const planned = await cli(['plan', '-f', w.manifest], { cwd: w.dir, endpoint: emu.graphqlUrl });
    expect(planned.stdout).toContain(`~ thread["${lostId}"]`);
    expect(planned.stdout).toContain(' 1 to update,');
    expect((await apply(w, emu)).exitCode).toBe(0);
    const resumed = normalize(emu.snapshot());
    // the same export applied in one go, from nothing
    emu.reset();
    forgetState(w);
    expect((await apply(w, emu)).exitCode).toBe(0);
    expectSameStore(emu, resumed);
    // and nothing more to do
    const n = emu.requests().length;
    expect((await apply(w, emu)).exitCode).toBe(0);
    expect(emu.requests().length).toBe(n);
  });
});
