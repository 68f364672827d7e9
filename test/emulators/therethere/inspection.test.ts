/** /__emulator/faults (429, 5xx, reset, hang, drop-after-commit), /__emulator/requests, /state, /config, /reset. */
import { describe, expect, test } from 'vitest';
import { startThereThereEmulator } from '../../../src/emulators/therethere/index.js';
import { call, importBody, importTicket, SEED, upload, useEmulator } from './helpers.js';

const emu = useEmulator();

const admin = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${emu.url}/__emulator/${path}`, { method, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as any };
};
const faults = (rules: unknown[], faultSeed?: number) => admin('POST', 'faults', { rules, faultSeed });

describe('faults', () => {
  test('rate-limit: 429 with Retry-After (the rule’s, or the window’s); nothing applied', async () => {
    await faults([{ operation: 'import', action: 'rate-limit', retryAfterSeconds: 7, times: 1 }]);
    const r = await importTicket(emu);
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ message: 'Too Many Attempts.' });
    expect(r.headers.get('retry-after')).toBe('7');
    expect(emu.snapshot().tickets).toEqual([]);
    expect((await importTicket(emu)).status).toBe(201);
    await faults([{ action: 'status:429' }]);
    const w = await call(emu, 'GET', '/api/tags');
    expect(w.status).toBe(429);
    expect(Number(w.headers.get('retry-after'))).toBeGreaterThan(0);
    await faults([{ action: 'rate-limit', omitRetryAfter: true }]);
    expect((await call(emu, 'GET', '/api/tags')).headers.get('retry-after')).toBeNull();
  });

  test.each([500, 502, 503])('status:%i answers {message} and applies nothing', async (status) => {
    await faults([{ operation: 'import', action: `status:${status}` }]);
    const r = await importTicket(emu);
    expect(r.status).toBe(status);
    expect(typeof r.body.message).toBe('string');
    expect(emu.snapshot().tickets).toEqual([]);
  });

  test('reset: the connection is dropped, nothing applied; logged with status 0', async () => {
    await faults([{ operation: 'import', action: 'reset' }]);
    await expect(importTicket(emu)).rejects.toThrow();
    expect(emu.snapshot().tickets).toEqual([]);
    expect(emu.requests().at(-1)).toMatchObject({ method: 'POST', path: '/api/tickets/import', status: 0 });
  });

  test('hang: never answered (the client times out), nothing applied', async () => {
    await faults([{ operation: 'upload', action: 'hang' }]);
    const form = new FormData();
    form.append('file', new Blob(['x']), 'x.txt');
    const res = fetch(`${emu.url}/api/attachments`, { method: 'POST', headers: { authorization: 'Bearer admin-token' }, body: form, signal: AbortSignal.timeout(300) });
    await expect(res).rejects.toThrow();
    expect(emu.requests().at(-1)).toMatchObject({ path: '/api/attachments', status: 0 });
  });

  test('drop-after-commit: the import is stored, then the connection dropped; the retry gets the existing ticket (200)', async () => {
    await faults([{ operation: 'import', action: 'drop-after-commit', times: 1 }]);
    await expect(importTicket(emu, { external_id: 'zd-7' })).rejects.toThrow();
    expect(emu.snapshot().tickets).toHaveLength(1);
    const retry = await importTicket(emu, { external_id: 'zd-7' });
    expect(retry.status).toBe(200);
    expect(emu.snapshot().tickets).toHaveLength(1);
  });

  test('operation, every and times select the requests; GET lists seen and fired', async () => {
    await faults([{ operation: 'tags', every: 2, times: 2, action: 'status:503' }]);
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await call(emu, 'GET', '/api/tags')).status);
    expect(statuses).toEqual([200, 503, 200, 503, 200, 200]);
    expect((await call(emu, 'GET', '/api/members')).status).toBe(200);
    expect((await admin('GET', 'faults')).body.rules).toEqual([{ operation: 'tags', every: 2, times: 2, action: 'status:503', seen: 6, fired: 2 }]);
  });

  test('probability is deterministic under faultSeed', async () => {
    const run = async () => {
      await faults([{ operation: 'tags', probability: 0.5, action: 'status:500' }], 42);
      const s = [];
      for (let i = 0; i < 8; i++) s.push((await call(emu, 'GET', '/api/tags')).status);
      return s;
    };
    const a = await run();
    expect(await run()).toEqual(a);
    expect(a).toContain(500);
    expect(a).toContain(200);
  });

  test('faults are consulted only for authenticated requests', async () => {
    await faults([{ action: 'status:500' }]);
    expect((await call(emu, 'GET', '/api/tags', { token: 'wrong' })).status).toBe(401);
  });

  test('a malformed rule set is refused with 400', async () => {
    for (const bad of [{ rules: 'x' }, { rules: [{ action: 'explode' }] }, { rules: [{ action: 'internal-error' }] }, { rules: [{ action: 'hang', retryAfterSeconds: 3 }] }, { rules: [], extra: 1 }]) {
      const r = await admin('POST', 'faults', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(typeof r.body.message).toBe('string');
    }
  });
});

describe('inspection and control', () => {
  test('requests: {at, method, path, status, body} for every /api request, uploads summarised', async () => {
    await importTicket(emu, { subject: 'Logged' });
    await upload(emu, 'abc', 'a.txt');
    await call(emu, 'GET', '/api/tags', { token: 'wrong' });
    const log = (await admin('GET', 'requests')).body;
    expect(log).toEqual(emu.requests());
    expect(log).toEqual([
      { at: expect.any(String), method: 'POST', path: '/api/tickets/import', status: 201, body: importBody({ subject: 'Logged' }) },
      { at: expect.any(String), method: 'POST', path: '/api/attachments', status: 201, body: { file: { filename: 'a.txt', size: 3, mime_type: 'text/plain' } } },
      { at: expect.any(String), method: 'GET', path: '/api/tags', status: 401, body: null },
    ]);
  });

  test('state is snapshot(); reset restores the seed and clears requests and faults, keeping config', async () => {
    await importTicket(emu, { tags: ['new'] });
    expect((await admin('GET', 'state')).body).toEqual(emu.snapshot());
    await admin('POST', 'config', { latencyMs: 1 });
    await faults([{ operation: 'members', action: 'status:500' }]);
    expect((await admin('POST', 'reset')).body).toEqual({ ok: true });
    expect(emu.snapshot()).toEqual({ contacts: [], tickets: [] });
    expect(emu.requests()).toEqual([]);
    expect((await call(emu, 'GET', '/api/members')).status).toBe(200);
    expect((await call(emu, 'GET', '/api/tags')).body.data.map((t: { name: string }) => t.name)).toEqual(['billing', 'vip']);
    expect((await admin('GET', 'config')).body).toEqual({ importRateLimitPerMinute: 300, apiRateLimitPerMinute: 0, latencyMs: 1 });
    await admin('POST', 'config', { latencyMs: 0 });
  });

  test('config refuses unknown keys and negative values', async () => {
    expect((await admin('POST', 'config', { rateLimitPerMinute: 5 })).status).toBe(400);
    expect((await admin('POST', 'config', { latencyMs: -1 })).status).toBe(400);
    expect((await admin('PUT', 'config', {})).status).toBe(405);
  });

  test('latencyMs delays the answers', async () => {
    await admin('POST', 'config', { latencyMs: 150 });
    const t0 = Date.now();
    await call(emu, 'GET', '/api/tags');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await admin('POST', 'config', { latencyMs: 0 });
  });

  test('close() releases hung requests', async () => {
    const other = await startThereThereEmulator({ seed: SEED });
    await fetch(`${other.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ action: 'hang' }] }) });
    const pending = fetch(`${other.url}/api/tags`, { headers: { authorization: 'Bearer admin-token' } });
    await new Promise((r) => setTimeout(r, 50));
    await other.close();
    await expect(pending).rejects.toThrow();
  });
});
