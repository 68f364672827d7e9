/** Bearer tokens (401 / 403), X-Workspace-Id, and the rate limits with Retry-After. */
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startThereThereEmulator, type ThereThereEmulator } from '../../../src/emulators/therethere/index.js';
import { ADMIN, ADMIN_SARA, AGENT, call, importBody, MULTI, SEED, uploadRaw, useEmulator, WORKSPACE_ID } from './helpers.js';

const emu = useEmulator();

describe('authentication', () => {
  test.each([
    ['no Authorization header', {}],
    ['an unknown token', { authorization: 'Bearer nope' }],
    ['a non-Bearer scheme', { authorization: `Basic ${ADMIN}` }],
  ])('%s → 401 {"message":"Unauthenticated."}', async (_, headers) => {
    const r = await call(emu, 'GET', '/api/channels', { token: null, headers });
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ message: 'Unauthenticated.' });
  });

  test('import needs an admin token: 403 as Laravel words it', async () => {
    const r = await call(emu, 'POST', '/api/tickets/import', { token: AGENT, body: importBody() });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: 'This action is unauthorized.' });
  });

  test('without seeded tokens any Bearer token is an admin token of the first member', async () => {
    const open = await startThereThereEmulator({ seed: { ...SEED, tokens: [] } });
    try {
      const r = await call(open, 'POST', '/api/tickets/import', { token: 'anything', body: importBody({ messages: [{ type: 'note', body: 'n' }] }) });
      expect(r.status).toBe(201);
      expect(open.snapshot().tickets[0]?.messages[0]?.author_email).toBe('owner@acme.test');
      expect((await call(open, 'GET', '/api/me', { token: null })).status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

describe('X-Workspace-Id', () => {
  test('optional for a single-workspace token; the right id is accepted', async () => {
    expect((await call(emu, 'GET', '/api/channels')).status).toBe(200);
    expect((await call(emu, 'GET', '/api/channels', { headers: { 'x-workspace-id': String(WORKSPACE_ID) } })).status).toBe(200);
  });
  test('required (400) for a token that reaches several workspaces', async () => {
    const r = await call(emu, 'GET', '/api/channels', { token: MULTI });
    expect(r.status).toBe(400);
    expect(r.body.message).toMatch(/X-Workspace-Id/);
    expect((await call(emu, 'GET', '/api/channels', { token: MULTI, headers: { 'x-workspace-id': String(WORKSPACE_ID) } })).status).toBe(200);
  });
  test('not an integer → 400; another workspace → 403', async () => {
    expect((await call(emu, 'GET', '/api/channels', { headers: { 'x-workspace-id': 'acme' } })).status).toBe(400);
    const r = await call(emu, 'GET', '/api/channels', { token: MULTI, headers: { 'x-workspace-id': '99' } });
    expect(r.status).toBe(403);
    expect(r.body).toEqual({ message: 'This token cannot access workspace 99.' });
  });
});

describe('rate limits', () => {
  let clock = 0;
  let limited: ThereThereEmulator;
  beforeEach(async () => {
    clock = Date.parse('2025-06-01T10:00:00Z');
    limited = await startThereThereEmulator({ seed: SEED, importRateLimitPerMinute: 3, apiRateLimitPerMinute: 5, now: () => new Date(clock) });
  });
  afterEach(async () => {
    await limited.close();
  });
  const imp = (token = ADMIN) => call(limited, 'POST', '/api/tickets/import', { token, body: importBody({ messages: [{ type: 'inbound', body: 'x', created_at: '2025-05-01T00:00:00Z' }] }) });

  test('imports: the limit per minute, then 429 with Retry-After and X-RateLimit-Reset; the next window admits again', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await imp();
      expect(r.status).toBe(201);
      expect(r.headers.get('x-ratelimit-limit')).toBe('3');
      expect(r.headers.get('x-ratelimit-remaining')).toBe(String(2 - i));
      expect(r.headers.get('retry-after')).toBeNull();
    }
    clock += 20_000;
    const r = await imp();
    expect(r.status).toBe(429);
    expect(r.body).toEqual({ message: 'Too Many Attempts.' });
    expect(r.headers.get('retry-after')).toBe('40');
    expect(r.headers.get('x-ratelimit-reset')).toBe(String(Date.parse('2025-06-01T10:01:00Z') / 1000));
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(limited.snapshot().tickets).toHaveLength(3);
    clock += 40_000;
    expect((await imp()).status).toBe(201);
  });

  test('the import limit is separate from the standard API limit', async () => {
    for (let i = 0; i < 3; i++) await imp();
    expect((await imp()).status).toBe(429);
    const r = await call(limited, 'GET', '/api/channels');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-ratelimit-limit')).toBe('5');
  });

  test('the standard limit covers the other endpoints (uploads too) and not imports', async () => {
    for (let i = 0; i < 4; i++) expect((await call(limited, 'GET', '/api/tags')).status).toBe(200);
    expect((await uploadRaw(limited, 'x')).status).toBe(201);
    const r = await call(limited, 'GET', '/api/members');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
    expect((await imp()).status).toBe(201);
  });

  test('budgets are per user: another member’s token has its own', async () => {
    for (let i = 0; i < 3; i++) await imp();
    expect((await imp()).status).toBe(429);
    expect((await imp(ADMIN_SARA)).status).toBe(201);
  });

  test('401s do not spend the budget', async () => {
    for (let i = 0; i < 5; i++) expect((await call(limited, 'POST', '/api/tickets/import', { token: 'wrong', body: {} })).status).toBe(401);
    expect((await imp()).status).toBe(201);
  });

  test('the documented 300 per minute is the default, and /__emulator/config changes it', async () => {
    const r = await call(emu, 'POST', '/api/tickets/import', { body: importBody() });
    expect(r.headers.get('x-ratelimit-limit')).toBe('300');
    const cfg = await fetch(`${limited.url}/__emulator/config`, { method: 'POST', body: JSON.stringify({ importRateLimitPerMinute: 1 }) });
    expect(await cfg.json()).toEqual({ importRateLimitPerMinute: 1, apiRateLimitPerMinute: 5, latencyMs: 0 });
    expect((await imp()).status).toBe(201);
    expect((await imp()).status).toBe(429);
  });
});
