/**
 * Crash and resume: an apply killed with SIGKILL at random moments, re-applied after each kill,
 * ends equal to an uninterrupted run, and re-sends at most the requests that were in flight.
 * Default: 150 threads, 6 kills. PLAIN_MIGRATE_RELIABILITY=full: 500 threads, 12 kills.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { normalize } from '../e2e/normalize.js';
import { AGENTS, LABELS, makeWorkspace, type Workspace } from '../e2e/workspace.js';
import { apply, expectSameStore, figure, forgetState, post, prng } from './harness.js';

const FULL = process.env.PLAIN_MIGRATE_RELIABILITY === 'full';
const THREADS = FULL ? 500 : 150;
const KILLS = FULL ? 12 : 6;
const CONCURRENCY = 4; // batching.concurrency of the workspace manifest

let emu: PlainEmulator;
let ws: Workspace;
let reference: ReturnType<typeof normalize>;
let referenceRequests = 0;

const waitForRequests = async (n: number, deadlineMs = 120_000) => {
  const end = Date.now() + deadlineMs;
  while (emu.requests().length < n) {
    if (Date.now() > end) throw new Error(`fewer than ${n} requests arrived`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS }, maxLoggedRequests: 10_000_000 });
  // threads of up to 60 messages: several batches each
  ws = makeWorkspace({ tickets: THREADS, maxExtraComments: 60 });
  const r = await apply(ws, emu);
  expect(r.exitCode, r.stderr).toBe(0);
  reference = normalize(emu.snapshot());
  referenceRequests = emu.requests().length;
  expect(reference.threads.some((t) => t.messages.length > 50)).toBe(true);
}, 300_000);
afterAll(async () => {
  await emu?.close();
});

describe(`an apply of ${THREADS} threads killed ${KILLS} times`, () => {
  it('ends equal to an uninterrupted run, re-sending at most what was in flight', async () => {
    emu.reset();
    forgetState(ws);
    await post(emu, '/__emulator/config', { latencyMs: 5 });
    const rand = prng(THREADS * 1000 + KILLS);
    const spread = Math.floor(referenceRequests / (KILLS + 1));
    const killedAt: number[] = [];
    let tookOver = 0;
    try {
      for (let k = 0; k < KILLS; k++) {
        const before = emu.requests().length;
        const child = apply(ws, emu);
        const after = 5 + Math.floor(rand() * spread);
        await waitForRequests(before + after);
        child.kill('SIGKILL');
        const r = await child;
        if (/ended without releasing the state/.test(r.stderr ?? '')) tookOver++;
        killedAt.push(emu.requests().length);
      }
    } finally {
      await post(emu, '/__emulator/config', { latencyMs: 0 });
    }
    const final = await apply(ws, emu);
    expect(final.exitCode, final.stdout + final.stderr).toBe(0);
    // the lock each killed run left behind was found stale and reported, then taken over
    expect(/ended without releasing the state/.test(final.stderr)).toBe(true);
    expect(tookOver).toBe(KILLS - 1);
    expectSameStore(emu, reference);
    const total = emu.requests().length;
    // An import re-sent after a kill is answered NOOP with the thread, which the run then reads back
    // (its attributes may differ from the export's): one read per such import, besides the re-sent requests.
    const readBacks = emu.requests().filter((q) => q.operationName === 'readThreads').length;
    const resent = total - readBacks - referenceRequests;
    expect(resent).toBeLessThanOrEqual(KILLS * CONCURRENCY);
    expect(readBacks).toBeLessThanOrEqual(resent);
    figure('crash', { threads: THREADS, messages: reference.threads.reduce((n, t) => n + t.messages.length, 0), kills: KILLS, killedAfterRequests: killedAt, referenceRequests, totalRequests: total, resent, readBacks, resentPerCrash: +(resent / KILLS).toFixed(2), inFlightLimit: CONCURRENCY, duplicates: 0, lost: 0 });
    // and nothing more to do
    const again = emu.requests().length;
    expect((await apply(ws, emu)).exitCode).toBe(0);
    expect(emu.requests().length).toBe(again);
  }, 600_000);
});

describe('SIGINT', () => {
  it('a second Ctrl-C stops at once, cancelling requests in flight; the next apply still converges', async () => {
    emu.reset();
    forgetState(ws);
    await post(emu, '/__emulator/config', { latencyMs: 1500 });
    let exited = 0;
    try {
      const child = apply(ws, emu);
      await waitForRequests(3);
      child.kill('SIGINT');
      await new Promise((r) => setTimeout(r, 100));
      const second = Date.now();
      child.kill('SIGINT');
      const r = await child;
      exited = Date.now() - second;
      expect(r.exitCode).toBe(130);
      // well before the in-flight requests (1.5 s each) could have answered
      expect(exited).toBeLessThan(1200);
      expect(r.stdout + r.stderr).not.toMatch(/FAILED .*cancelled/);
    } finally {
      await post(emu, '/__emulator/config', { latencyMs: 0 });
    }
    const r2 = await apply(ws, emu);
    expect(r2.exitCode, r2.stderr).toBe(0);
    expectSameStore(emu, reference);
    figure('double-sigint', { exitAfterSecondSigintMs: exited });
  }, 300_000);
});
