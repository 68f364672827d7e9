/**
 * Crashes and faults: an apply killed with SIGKILL at random points, or hit by 429s, 503s, resets,
 * INTERNAL errors and responses dropped after commit, ends (after re-runs) in exactly the emulator
 * store an uninterrupted run produces: nothing duplicated, nothing lost.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { prng } from '../reliability/harness.js';
import { cli } from './cli.js';
import { normalize } from './normalize.js';
import { AGENTS, LABELS, MANIFEST, makeWorkspace, type Workspace } from './workspace.js';

let emu: PlainEmulator;
let ws: Workspace;
let reference: ReturnType<typeof normalize>;

const apply = () => cli(['apply', '-f', ws.manifest, '--auto-approve'], { cwd: ws.dir, endpoint: emu.graphqlUrl });
const forgetState = () => {
  for (const f of ['state.db', 'state.db-wal', 'state.db-shm']) rmSync(join(ws.dir, '.plain-migrate', f), { force: true });
};
const post = (path: string, body: unknown) =>
  fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Wait until the emulator has received n requests (the child is past start-up and applying). */
async function untilRequests(n: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (emu.requests().length < n) {
    if (Date.now() > deadline) throw new Error(`the apply sent fewer than ${n} requests in 30 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}


beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
  // 40 tickets, some with more than 25 messages so that threads take several batches
  // maxAttempts 15: faults are counted across all workers, so one batch can be unlucky several times in a row
  ws = makeWorkspace({ tickets: 40, maxExtraComments: 33, manifest: MANIFEST.replace('maxAttempts: 8', 'maxAttempts: 15') });
  const r = await apply();
  expect(r.exitCode).toBe(0);
  reference = normalize(emu.snapshot());
  expect(reference.threads.some((t) => t.messages.length > 25)).toBe(true);
});
afterAll(async () => {
  await emu?.close();
});

describe('an apply killed with SIGKILL at random points', () => {
  it('ends, after re-runs, in the same store as an uninterrupted run', async () => {
    emu.reset();
    forgetState();
    await post('/__emulator/config', { latencyMs: 15 });
    const rand = prng(20261122);
    const schedule: number[] = [];
    for (let i = 0; i < 5; i++) {
      const child = apply();
      const delay = 400 + Math.floor(rand() * 1200);
      schedule.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await child;
    }
    await post('/__emulator/config', { latencyMs: 0 });
    const final = await apply();
    expect(final.exitCode, `kill schedule ${schedule.join(',')}: ${final.stdout}${final.stderr}`).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
    const after = emu.requests().length;
    expect((await apply()).exitCode).toBe(0);
    expect(emu.requests().length).toBe(after);
  });
});

describe('an apply hit by faults', () => {
  it('retries 429s, 503s, resets, INTERNAL errors and dropped-after-commit responses into the same store', async () => {
    emu.reset();
    forgetState();
    const res = await post('/__emulator/faults', {
      rules: [
        { operation: 'upsertCustomer', every: 4, action: 'rate-limit', retryAfterSeconds: 1 },
        { operation: 'importThread', every: 5, action: 'status:503' },
        { operation: 'importThread', every: 7, action: 'drop-after-commit' },
        { operation: 'importThread', every: 11, action: 'internal-error' },
        { operation: 'importThreadMessages', every: 3, times: 15, action: 'reset' },
        { operation: 'importThreadMessages', every: 5, times: 10, action: 'drop-after-commit' },
        { operation: 'importThreadMessages', every: 13, times: 4, action: 'status:502' },
      ],
    });
    expect(res.ok).toBe(true);
    const r = await apply();
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/retries/);
    expect(normalize(emu.snapshot())).toEqual(reference);
    await post('/__emulator/faults', { rules: [] });
  });

  it('times out a hung request and retries it', async () => {
    emu.reset();
    forgetState();
    await post('/__emulator/faults', { rules: [{ operation: 'importThread', every: 10, times: 2, action: 'hang' }] });
    const r = await apply();
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
    await post('/__emulator/faults', { rules: [] });
  });

  it('a crash while faults are injected still converges', async () => {
    emu.reset();
    forgetState();
    await post('/__emulator/faults', {
      rules: [
        { operation: 'importThreadMessages', every: 4, action: 'drop-after-commit' },
        { operation: 'importThread', every: 6, action: 'status:503' },
      ],
    });
    await post('/__emulator/config', { latencyMs: 15 });
    for (const delay of [700, 1100]) {
      const child = apply();
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await child;
    }
    await post('/__emulator/config', { latencyMs: 0 });
    const r = await apply();
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
    await post('/__emulator/faults', { rules: [] });
  });
});

describe('SIGINT', () => {
  it('stops scheduling, records what was in flight, exits 130, and a re-run completes', async () => {
    emu.reset();
    forgetState();
    await post('/__emulator/config', { latencyMs: 20 });
    const child = apply();
    await untilRequests(10);
    child.kill('SIGINT');
    const r = await child;
    await post('/__emulator/config', { latencyMs: 0 });
    expect(r.exitCode).toBe(130);
    expect(r.stdout).toMatch(/Apply interrupted/);
    const state = await cli(['state', 'list', 'thread[*]', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    const recorded = state.stdout.trim().split('\n').filter(Boolean).length;
    expect(recorded).toBeGreaterThan(0);
    expect(recorded).toBe(emu.snapshot().threads.length);
    const again = await apply();
    expect(again.exitCode).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
  });

  it('a second apply on the same state is refused while the first runs', async () => {
    emu.reset();
    forgetState();
    await post('/__emulator/config', { latencyMs: 250 });
    // Slow enough that the first apply is still running whatever the machine's load when the second starts.
    const first = apply();
    await untilRequests(3);
    const second = await apply();
    first.kill('SIGINT');
    await first;
    await post('/__emulator/config', { latencyMs: 0 });
    expect(second.exitCode, `${String(second.stdout)}\n${String(second.stderr)}`).toBe(1);
    expect(second.stderr).toMatch(/locked by .*pid \d+ on .+, since \d{4}-/);
  });
});
