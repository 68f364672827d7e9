/** The strict Help Scout emulator: the source-apis.md §8 checklist for Help Scout, and its hooks. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadHelpScoutSeed, startHelpScoutEmulator, type HelpScoutEmulator, type HsObject } from '../../../src/emulators/helpscout/index.js';

const SEED = join(import.meta.dirname, '../../../examples/helpscout-api/seed');
let emu: HelpScoutEmulator;
beforeEach(async () => {
  emu = await startHelpScoutEmulator({ seed: await loadHelpScoutSeed(SEED) });
});
afterEach(async () => {
  await emu.close();
});

async function token(body: unknown = { grant_type: 'client_credentials', client_id: 'hs-emulator-app', client_secret: 'hs-emulator-secret' }): Promise<Response> {
  return fetch(`${emu.url}/v2/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
async function bearer(): Promise<string> {
  return ((await (await token()).json()) as { access_token: string }).access_token;
}
async function get(path: string, tok?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${emu.url}${path}`, { headers: tok ? { authorization: `Bearer ${tok}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

describe('auth', () => {
  test('client credentials by JSON, form or query give an expiring bearer token without a refresh token', async () => {
    const r = await token();
    expect(r.status).toBe(200);
    const body = (await r.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ token_type: 'bearer', expires_in: 172_800 });
    expect(body['refresh_token']).toBeUndefined();
    const form = await fetch(`${emu.url}/v2/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=hs-emulator-app&client_secret=hs-emulator-secret' });
    expect(form.status).toBe(200);
    const query = await fetch(`${emu.url}/v2/oauth2/token?grant_type=client_credentials&client_id=hs-emulator-app&client_secret=hs-emulator-secret`, { method: 'POST' });
    expect(query.status).toBe(200);
    expect((await fetch(`${emu.url}/v2/oauth2/token`)).status).toBe(405);
  });

  test('a wrong secret is 401 invalid_client; a missing, unknown or expired token is the same generic 401', async () => {
    const bad = await token({ grant_type: 'client_credentials', client_id: 'hs-emulator-app', client_secret: 'nope' });
    expect(bad.status).toBe(401);
    expect(await bad.json()).toMatchObject({ error: 'invalid_client' });
    expect((await token({ grant_type: 'password' })).status).toBe(400);
    const none = await get('/v2/users');
    const unknown = await get('/v2/users', 'not-a-token');
    expect(none.status).toBe(401);
    expect(unknown.status).toBe(401);
    const t = await bearer();
    expect((await get('/v2/users', t)).status).toBe(200);
    emu.expireTokens();
    const expired = await get('/v2/users', t);
    expect(expired.status).toBe(401);
    expect(expired.body.message).toBe(unknown.body.message);
  });

  test('tokens expire after tokenTtlSeconds', async () => {
    let now = Date.UTC(2025, 0, 1);
    const e = await startHelpScoutEmulator({ seed: await loadHelpScoutSeed(SEED), now: () => now, tokenTtlSeconds: 60 });
    try {
      const r = await fetch(`${e.url}/v2/oauth2/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials', client_id: 'hs-emulator-app', client_secret: 'hs-emulator-secret' }) });
      const t = ((await r.json()) as { access_token: string; expires_in: number }).access_token;
      expect((await fetch(`${e.url}/v2/users`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(200);
      now += 61_000;
      expect((await fetch(`${e.url}/v2/users`, { headers: { authorization: `Bearer ${t}` } })).status).toBe(401);
    } finally {
      await e.close();
    }
  });
});

describe('conversations and threads', () => {
  test('status defaults to active; status=all lists every status, the deleted one with state "deleted"', async () => {
    const t = await bearer();
    const active = await get('/v2/conversations', t);
    expect(active.body._embedded.conversations.map((c: HsObject) => c.id)).toEqual([401]);
    const all = await get('/v2/conversations?status=all&sortField=modifiedAt&sortOrder=asc', t);
    expect(all.body._embedded.conversations.map((c: HsObject) => [c.id, c.status, c.state])).toEqual([
      [401, 'active', 'published'],
      [402, 'closed', 'published'],
      [403, 'pending', 'published'],
      [404, 'spam', 'published'],
      [405, 'closed', 'deleted'],
    ]);
    expect(all.body.page).toEqual({ size: 25, totalElements: 5, totalPages: 1, number: 1 });
    expect(all.body._links.next).toBeUndefined();
    expect((await get('/v2/conversations?status=spam', t)).body._embedded.conversations.map((c: HsObject) => c.id)).toEqual([404]);
    expect((await get('/v2/conversations?status=bogus', t)).status).toBe(400);
  });

  test('HAL pages of 25: _links.next until the last page; a page past the end has no _embedded', async () => {
    emu.account.change({ conversations: Array.from({ length: 30 }, (_, i) => ({ id: 1000 + i, subject: `c${i}` })) });
    const t = await bearer();
    const p1 = await get('/v2/conversations?status=all', t);
    expect(p1.body._embedded.conversations).toHaveLength(25);
    expect(p1.body.page).toMatchObject({ totalElements: 35, totalPages: 2, number: 1 });
    const next = new URL(p1.body._links.next.href);
    expect(next.searchParams.get('status')).toBe('all');
    const p2 = await get(next.pathname + next.search, t);
    expect(p2.body._embedded.conversations).toHaveLength(10);
    expect(p2.body._links.next).toBeUndefined();
    const p3 = await get('/v2/conversations?status=all&page=3', t);
    expect(p3.status).toBe(200);
    expect(p3.body._embedded).toBeUndefined();
  });

  test('modifiedSince returns what changed since; threads come newest first; the hook appends a thread', async () => {
    const t = await bearer();
    const before = new Date(Date.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    expect((await get(`/v2/conversations?status=all&modifiedSince=${before}`, t)).body._embedded).toBeUndefined();
    const threads = await get('/v2/conversations/401/threads', t);
    const times = threads.body._embedded.threads.map((x: HsObject) => x.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    emu.account.change({ threads: [{ conversationId: 401, type: 'customer', body: '<p>any news?</p>', createdBy: { id: 201, type: 'customer', email: 'dana@example.com' } }] });
    const changed = await get(`/v2/conversations?status=all&modifiedSince=${before}`, t);
    expect(changed.body._embedded.conversations.map((c: HsObject) => c.id)).toEqual([401]);
    const after = await get('/v2/conversations/401/threads', t);
    expect(after.body._embedded.threads[0].body).toBe('<p>any news?</p>');
    expect(after.body._embedded.threads).toHaveLength(5);
    expect((await get('/v2/conversations/405/threads', t)).status).toBe(404);
    expect((await get('/v2/conversations?status=all&modifiedSince=yesterday', t)).status).toBe(400);
  });

  test('attachment data links point at the emulator and answer base64 in JSON', async () => {
    const t = await bearer();
    const threads = await get('/v2/conversations/402/threads', t);
    const att = threads.body._embedded.threads.flatMap((x: any) => x._embedded?.attachments ?? [])[0];
    const href = new URL(att._links.data.href);
    expect(href.origin).toBe(emu.url);
    const data = await get(href.pathname, t);
    expect(Buffer.from(data.body.data, 'base64')).toHaveLength(2048);
  });
});

describe('rate limits and faults', () => {
  test('X-RateLimit-*-Minute headers; over the limit a 429 with X-RateLimit-Retry-After and no Retry-After', async () => {
    emu.configure({ requestsPerMinute: 2 });
    const t = await bearer();
    const a = await get('/v2/users', t);
    expect(a.headers.get('x-ratelimit-limit-minute')).toBe('2');
    expect(a.headers.get('x-ratelimit-remaining-minute')).toBe('1');
    await get('/v2/users', t);
    const limited = await get('/v2/users', t);
    expect(limited.status).toBe(429);
    expect(limited.body).toEqual({ message: 'API rate limit exceeded' });
    expect(Number(limited.headers.get('x-ratelimit-retry-after'))).toBeGreaterThan(0);
    expect(limited.headers.get('retry-after')).toBeNull();
  });

  test('faults by operation: status, rate-limit with a given wait', async () => {
    const t = await bearer();
    await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ operation: 'users.list', action: 'status:503', times: 1 }, { operation: 'mailboxes.list', action: 'rate-limit', retryAfterSeconds: 3, times: 1 }] }),
    });
    expect((await get('/v2/users', t)).status).toBe(503);
    expect((await get('/v2/users', t)).status).toBe(200);
    const rl = await get('/v2/mailboxes', t);
    expect(rl.status).toBe(429);
    expect(rl.headers.get('x-ratelimit-retry-after')).toBe('3');
    const bad = await fetch(`${emu.url}/__emulator/account`, { method: 'POST', body: JSON.stringify({ threads: [{ conversationId: 999 }] }) });
    expect(bad.status).toBe(400);
  });
});
