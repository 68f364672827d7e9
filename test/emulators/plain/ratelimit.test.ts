import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { gql, postJson, SEED } from './helpers.js';

const RATE_LIMITED = { errors: [{ message: 'Too Many Requests - Rate limit exceeded', extensions: { code: 'RATE_LIMITED' } }] };
const Q = '{ myPermissions { permissions } }';
const T0 = Date.parse('2026-01-06T15:29:00.000Z');

let clock = T0;
let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED, rateLimitPerMinute: 3, now: () => new Date(clock) });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  clock = T0;
  emu.reset();
  await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 3, latencyMs: 0 });
});

describe('fixed-window rate limit', () => {
  test('every response carries x-ratelimit-*; over the limit is HTTP 429 with Plain’s exact body and retry-after', async () => {
    const remaining: (string | null)[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await gql(emu, Q);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.headers.get('x-ratelimit-reset')).toBe('2026-01-06T15:30:00.000Z');
      expect(r.headers.get('retry-after')).toBeNull();
      remaining.push(r.headers.get('x-ratelimit-remaining'));
      clock += 1000;
    }
    expect(remaining).toEqual(['2', '1', '0']);

    clock = T0 + 12_300; // 47.7 s left in the window
    const limited = await gql(emu, Q);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual(RATE_LIMITED);
    expect(limited.headers.get('content-type')).toContain('application/json');
    expect(limited.headers.get('x-ratelimit-limit')).toBe('3');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset')).toBe('2026-01-06T15:30:00.000Z');
    expect(limited.headers.get('retry-after')).toBe('48');
  });

  test('the window resets 60 s after its first request', async () => {
    for (let i = 0; i < 3; i++) await gql(emu, Q);
    clock = T0 + 59_999;
    expect((await gql(emu, Q)).status).toBe(429);
    clock = T0 + 60_000;
    const r = await gql(emu, Q);
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-remaining')).toBe('2');
    expect(r.headers.get('x-ratelimit-reset')).toBe('2026-01-06T15:31:00.000Z');
  });

  test('rejected (401) requests do not spend the budget, and mutations are not applied when limited', async () => {
    for (let i = 0; i < 5; i++) expect((await gql(emu, Q, undefined, { key: 'bad' })).status).toBe(401);
    for (let i = 0; i < 3; i++) expect((await gql(emu, Q)).status).toBe(200);
    const m = await gql(emu, 'mutation { upsertCustomer(input: { identifier: { emailAddress: "z@example.com" }, onCreate: { fullName: "Z", email: { email: "z@example.com", isVerified: false } }, onUpdate: {} }) { result } }');
    expect(m.status).toBe(429);
    expect(emu.snapshot().customers.map((c) => c.email)).not.toContain('z@example.com');
  });

  test('POST /__emulator/config changes the limit; 0 is unlimited with headers still sent', async () => {
    const cfg = await postJson<{ rateLimitPerMinute: number; latencyMs: number }>(emu, '/__emulator/config', { rateLimitPerMinute: 0 });
    expect(cfg.body).toEqual({ rateLimitPerMinute: 0, latencyMs: 0 });
    for (let i = 0; i < 10; i++) {
      const r = await gql(emu, Q);
      expect(r.status).toBe(200);
      expect(Number(r.headers.get('x-ratelimit-limit'))).toBeGreaterThan(0);
      expect(Number(r.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
      expect(r.headers.get('x-ratelimit-reset')).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    }
    await postJson(emu, '/__emulator/config', { rateLimitPerMinute: 1 });
    // 10 requests already counted in this window
    expect((await gql(emu, Q)).status).toBe(429);
  });

  test('POST /__emulator/config rejects bad values', async () => {
    expect((await postJson(emu, '/__emulator/config', { rateLimitPerMinute: -1 })).status).toBe(400);
    expect((await postJson(emu, '/__emulator/config', { latencyMs: 'slow' })).status).toBe(400);
    expect((await postJson(emu, '/__emulator/config', { speed: 1 })).status).toBe(400);
  });
});

describe('latency', () => {
  test('latencyMs delays every GraphQL answer', async () => {
    const slow = await startPlainEmulator({ seed: SEED, latencyMs: 150 });
    try {
      const t = Date.now();
      expect((await gql(slow, Q)).status).toBe(200);
      expect(Date.now() - t).toBeGreaterThanOrEqual(140);
      await postJson(slow, '/__emulator/config', { latencyMs: 0 });
      const t2 = Date.now();
      await gql(slow, Q);
      expect(Date.now() - t2).toBeLessThan(140);
    } finally {
      await slow.close();
    }
  });
});
