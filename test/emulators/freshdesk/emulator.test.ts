/**
 * The Freshdesk emulator's §8 rules (../shared/reference/source-apis.md): Basic auth with the key as user
 * and its 401 body; bare arrays and the Link header; per_page ≤ 100; HTTP 400 past page 300 (verbatim);
 * the 30-day default window; spam and deleted only by filter=; ordering; include=; rate-limit headers and
 * 429 Retry-After; expiring, credential-refusing attachment URLs; the account hook; faults; the seed checks.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { INVALID_CREDENTIALS, loadFreshdeskSeed, startFreshdeskEmulator, type FreshdeskEmulator } from '../../../src/emulators/freshdesk/index.js';

const EXPORT_DIR = join(import.meta.dirname, '../../../examples/freshdesk-api/export');
const AUTH = `Basic ${Buffer.from('fd-emulator-key:X').toString('base64')}`;
let clock = Date.UTC(2023, 3, 1);
let emu: FreshdeskEmulator;
beforeAll(async () => {
  emu = await startFreshdeskEmulator({ seed: await loadFreshdeskSeed(EXPORT_DIR), now: () => clock, requestsPerMinute: 0, listPerMinute: 0 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  clock = Date.UTC(2023, 3, 1);
  emu.reset();
  emu.configure({ requestsPerMinute: 0, listPerMinute: 0, retryAfterSeconds: -1 });
});

async function get(path: string, auth: string | null = AUTH): Promise<{ status: number; body: any; headers: Headers; text: string }> {
  const res = await fetch(path.startsWith('http') ? path : `${emu.url}${path}`, { headers: auth === null ? {} : { authorization: auth } });
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, headers: res.headers, text };
}
const ALL = '/api/v2/tickets?updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc';

describe('freshdesk emulator', () => {
  test('auth: the key as the Basic user (any password); anything else is 401 with Freshdesk\'s body and spends nothing', async () => {
    expect((await get(ALL, `Basic ${Buffer.from('fd-emulator-key:anything').toString('base64')}`)).status).toBe(200);
    for (const bad of [null, `Basic ${Buffer.from('other:X').toString('base64')}`, 'Bearer fd-emulator-key']) {
      const r = await get(ALL, bad);
      expect(r.status).toBe(401);
      expect(r.body).toEqual(INVALID_CREDENTIALS);
    }
  });

  test('bare arrays, the next page only in Link rel="next", per_page 1..100 (default 30)', async () => {
    const p1 = await get(`${ALL}&per_page=5`);
    expect(Array.isArray(p1.body)).toBe(true);
    expect(p1.body).toHaveLength(5);
    const link = p1.headers.get('link')!;
    expect(link).toMatch(/^<http:\/\/127\.0\.0\.1:\d+\/api\/v2\/tickets\?.*page=2.*>; rel="next"$/);
    const p2 = await get(/<([^>]+)>/.exec(link)![1]!);
    expect(p2.body).toHaveLength(5);
    expect(p2.headers.get('link')).toBeNull(); // 10 in the default listing
    expect((await get(ALL)).body).toHaveLength(10);
    for (const bad of ['per_page=101', 'per_page=0', 'page=0', 'page=x']) {
      const r = await get(`${ALL}&${bad}`);
      expect(r.status).toBe(400);
      expect(r.body.description).toBe('Validation failed');
    }
    expect((await get(`${ALL}&bogus=1`)).body.errors[0]).toMatchObject({ field: 'bogus', code: 'invalid_field' });
  });

  test('the ticket list answers 400 past page 300, with Freshdesk\'s words; other lists do not', async () => {
    expect((await get(`${ALL}&page=300`)).status).toBe(200);
    const r = await get(`${ALL}&page=301`);
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ description: 'Validation failed', errors: [{ field: 'page', message: 'You cannot access tickets beyond the 300th page. Please provide a smaller page number.', code: 'invalid_value' }] });
    expect((await get('/api/v2/contacts?page=301')).status).toBe(200);
  });

  test('without updated_since only tickets created in the last 30 days; spam and deleted only by filter=', async () => {
    clock = Date.UTC(2023, 5, 1);
    expect((await get('/api/v2/tickets')).body).toEqual([]);
    clock = Date.UTC(2023, 2, 20);
    const recent = (await get('/api/v2/tickets')).body.map((t: any) => t.id);
    expect(recent.length).toBeGreaterThan(0);
    expect(recent.length).toBeLessThan(10);
    const all = (await get(ALL)).body.map((t: any) => t.id);
    expect(all).not.toContain(1011);
    expect(all).not.toContain(1012);
    expect((await get(`${ALL}&filter=spam`)).body.map((t: any) => t.id)).toEqual([1011]);
    expect((await get(`${ALL}&filter=deleted`)).body.map((t: any) => t.id)).toEqual([1012]);
    expect((await get(`${ALL}&filter=nope`)).status).toBe(400);
  });

  test('ordering: created_at desc by default; updated_at asc on request; updated_since is inclusive', async () => {
    const dflt = (await get('/api/v2/tickets?updated_since=2000-01-01T00:00:00Z')).body.map((t: any) => Date.parse(t.created_at));
    expect(dflt).toEqual([...dflt].sort((a, b) => b - a));
    const asc = (await get(ALL)).body;
    const times = asc.map((t: any) => Date.parse(t.updated_at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const last = asc[asc.length - 1];
    expect((await get(`/api/v2/tickets?updated_since=${last.updated_at}&order_by=updated_at&order_type=asc`)).body.map((t: any) => t.id)).toEqual([last.id]);
    expect((await get('/api/v2/tickets?updated_since=yesterday')).status).toBe(400);
  });

  test('description, requester and stats only with include=; each costs a credit', async () => {
    const plain = (await get(ALL)).body[0];
    expect(plain.description).toBeUndefined();
    expect(plain.stats).toBeUndefined();
    expect(plain.requester).toBeUndefined();
    const r = await get(`${ALL}&include=description,requester,stats`);
    expect(r.body[0]).toMatchObject({ description: expect.any(String), requester: { email: expect.any(String) }, stats: expect.any(Object) });
    expect(r.headers.get('x-ratelimit-used-currentrequest')).toBe('4');
    expect((await get(`${ALL}&include=conversations`)).status).toBe(400);
  });

  test('rate limits: X-RateLimit-Total/-Remaining, then 429 with Retry-After; the list limit apart', async () => {
    emu.configure({ requestsPerMinute: 3, listPerMinute: 0 });
    const a = await get('/api/v2/agents');
    expect(a.headers.get('x-ratelimit-total')).toBe('3');
    expect(a.headers.get('x-ratelimit-remaining')).toBe('2');
    await get('/api/v2/agents');
    await get('/api/v2/agents');
    const r = await get('/api/v2/agents');
    expect(r.status).toBe(429);
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    clock += 61_000;
    emu.configure({ requestsPerMinute: 0, listPerMinute: 1 });
    expect((await get(ALL)).status).toBe(200);
    expect((await get(ALL)).status).toBe(429);
    expect((await get('/api/v2/tickets/1001/conversations')).status).toBe(200);
  });

  test('conversations: oldest first, with ticket_id; 404 for an unknown ticket; attachment URLs on another origin that expire and refuse credentials', async () => {
    const r = await get('/api/v2/tickets/1001/conversations');
    expect(r.body.map((c: any) => c.ticket_id)).toEqual([1001]);
    expect((await get('/api/v2/tickets/999999/conversations')).status).toBe(404);
    const url = r.body[0].attachments[0].attachment_url as string;
    expect(new URL(url).origin).not.toBe(new URL(emu.url).origin);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toMatch(/^Invoice INV-2023-0042/);
    expect((await fetch(url, { headers: { authorization: AUTH } })).status).toBe(400);
    clock += 301_000;
    expect((await fetch(url)).status).toBe(403);
  });

  test('contacts: _updated_since and state=deleted', async () => {
    emu.account.change({ contacts: [{ id: 5001, deleted: true }, { id: 5002, name: 'Bo' }] });
    expect((await get('/api/v2/contacts?state=deleted')).body.map((c: any) => c.id)).toEqual([5001]);
    expect((await get('/api/v2/contacts?_updated_since=2023-03-31T00:00:00Z')).body.map((c: any) => c.id)).toEqual([5002]);
  });

  test('the account hook: changes stamp updated_at; a conversation bumps its ticket; delete and spam move tickets between listings; an invalid change applies nothing', async () => {
    const res = await fetch(`${emu.url}/__emulator/account`, { method: 'POST', body: JSON.stringify({ conversations: [{ ticket_id: 1003, body: 'x', incoming: true, user_id: 5003 }], deleteTickets: [1001], spamTickets: [1002] }) });
    expect(res.status).toBe(200);
    const changed = (await get('/api/v2/tickets?updated_since=2023-04-01T00:00:00Z&order_by=updated_at&order_type=asc')).body.map((t: any) => t.id);
    expect(changed).toEqual([1003]);
    expect((await get(`${ALL}&filter=deleted`)).body.map((t: any) => t.id).sort()).toEqual([1001, 1012]);
    expect((await get(`${ALL}&filter=spam`)).body.map((t: any) => t.id).sort()).toEqual([1002, 1011]);
    const bad = await fetch(`${emu.url}/__emulator/account`, { method: 'POST', body: JSON.stringify({ tickets: [{ id: 1006, status: 5 }], deleteTickets: [424242] }) });
    expect(bad.status).toBe(400);
    expect((await get(ALL)).body.find((t: any) => t.id === 1006).status).toBe(3);
  });

  test('faults: status, rate-limit and reset, by operation', async () => {
    await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ rules: [{ operation: 'agents.list', action: 'status:503', times: 1 }, { operation: 'companies.list', action: 'rate-limit', retryAfterSeconds: 7, times: 1 }, { operation: 'contacts.list', action: 'reset', times: 1 }] }) });
    expect((await get('/api/v2/agents')).status).toBe(503);
    expect((await get('/api/v2/agents')).status).toBe(200);
    const rl = await get('/api/v2/companies');
    expect([rl.status, rl.headers.get('retry-after')]).toEqual([429, '7']);
    await expect(get('/api/v2/contacts')).rejects.toThrow();
    expect((await get('/api/v2/contacts')).status).toBe(200);
  });

  test('the seed is checked: a bad line names its file and line', async () => {
    const { checkFreshdeskSeed } = await import('../../../src/emulators/freshdesk/index.js');
    expect(() => checkFreshdeskSeed({ tickets: [{ id: 1 }, { id: 1 }] })).toThrow(/tickets\[1\]: id 1 is used twice/);
    expect(() => checkFreshdeskSeed({ tickets: [{ id: 1, status: 'open' }] })).toThrow(/status/);
    expect(() => checkFreshdeskSeed({ tickets: [{ id: 1 }], conversations: [{ id: 2, ticket_id: 9 }] })).toThrow(/ticket_id 9 is not a seeded ticket/);
  });
});
