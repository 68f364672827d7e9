/**
 * The Front emulator's §8 rules (../shared/reference/source-apis.md): Bearer auth and its 401 `_error` body;
 * `_pagination.next` full URLs on the company host; limit ≤ 100, events ≤ 15; newest first by default;
 * trashed conversations only with q[statuses][]=trashed; comments unpaged; 301 on merged conversations;
 * burst 429 with x-ratelimit-remaining > 0; budget 429 with Retry-After and a unix reset; authenticated downloads.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { loadFrontSeed, startFrontEmulator, UNAUTHORIZED, type FrontEmulator } from '../../../src/emulators/front/index.js';

const AUTH = 'Bearer front-emulator-token';
let clock = Date.UTC(2024, 0, 1);
let emu: FrontEmulator;
beforeAll(async () => {
  emu = await startFrontEmulator({ seed: await loadFrontSeed(join(import.meta.dirname, '../../../examples/front-api/seed')), now: () => clock, requestsPerMinute: 0, burstPerSecond: 0 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  clock = Date.UTC(2024, 0, 1);
  emu.reset();
  emu.configure({ requestsPerMinute: 0, burstPerSecond: 0, retryAfterSeconds: -1 });
});
async function get(path: string, auth: string | null = AUTH) {
  const res = await fetch(path.startsWith('http') ? path : `${emu.url}${path}`, { headers: auth === null ? {} : { authorization: auth }, redirect: 'manual' });
  const text = await res.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.status, body, headers: res.headers, text };
}

describe('front emulator', () => {
  test('401 with the _error body without the Bearer token, on downloads too', async () => {
    for (const p of ['/conversations', '/download/fil_inv42']) {
      const r = await get(p, null);
      expect(r.status).toBe(401);
      expect(r.body).toEqual(UNAUTHORIZED);
    }
    expect((await get('/download/fil_inv42')).text).toMatch(/Invoice 0042/);
  });

  test('_pagination.next is a full URL on the company host; limits are enforced; trashed only when asked', async () => {
    const first = await get('/conversations?limit=2');
    expect(first.body._results.map((c: any) => c.id)).toEqual(['cnv_c6', 'cnv_c4']); // most recently updated first, no trashed cnv_c5
    expect(first.body._pagination.next).toMatch(new RegExp(`^${emu.companyUrl}/conversations\\?limit=2&page_token=`));
    const second = await get(first.body._pagination.next);
    expect(second.body._results.length).toBe(2);
    expect((await get('/conversations?limit=101')).status).toBe(400);
    expect((await get('/conversations?bogus=1')).status).toBe(400);
    expect((await get('/conversations?page_token=nope')).status).toBe(400);
    const all = await get('/conversations?limit=100&q[statuses][]=trashed');
    expect(all.body._results.map((c: any) => c.id)).toEqual(['cnv_c5']);
  });

  test('events: at most 15 a page, newest first unless sort_order=asc, q[after] strict', async () => {
    emu.account.change({ conversations: Array.from({ length: 20 }, (_, i) => ({ id: `cnv_x${i}` })) });
    expect((await get('/events?limit=16')).status).toBe(400);
    const page = await get('/events');
    expect(page.body._results.length).toBe(15);
    expect(page.body._results[0].emitted_at).toBeGreaterThan(page.body._results[1].emitted_at);
    const asc = await get('/events?sort_by=created_at&sort_order=asc&q[after]=1701724649.5');
    expect(asc.body._results[0].conversation.id).toBe('cnv_x0');
    expect(asc.body._results.length).toBe(15);
    expect((await get(asc.body._pagination.next)).body._results.length).toBe(5);
  });

  test('messages newest first by default, comments unpaged, 301 on a merged conversation', async () => {
    expect((await get('/conversations/cnv_c1/messages')).body._results.map((m: any) => m.id)).toEqual(['msg_m3', 'msg_m2', 'msg_m1']);
    const coms = await get('/conversations/cnv_c1/comments');
    expect(coms.body._pagination).toBeUndefined();
    expect(coms.body._results[0].conversation_id).toBeUndefined();
    emu.account.change({ mergeConversations: [{ from: 'cnv_c3', into: 'cnv_c1' }] });
    const moved = await get('/conversations/cnv_c3/messages');
    expect(moved.status).toBe(301);
    expect(moved.headers.get('location')).toBe(`${emu.companyUrl}/conversations/cnv_c1/messages`);
  });

  test('a burst 429 arrives while x-ratelimit-remaining > 0; the budget 429 has Retry-After and a unix reset', async () => {
    emu.configure({ burstPerSecond: 1, requestsPerMinute: 10 });
    expect((await get('/conversations/cnv_c1/messages')).status).toBe(200);
    const burst = await get('/conversations/cnv_c1/messages');
    expect(burst.status).toBe(429);
    expect(Number(burst.headers.get('x-ratelimit-remaining'))).toBeGreaterThan(0);
    expect(burst.headers.get('x-front-tier')).not.toBeNull();
    for (let i = 0; i < 8; i++) await get('/teammates');
    const spent = await get('/teammates');
    expect(spent.status).toBe(429);
    expect(spent.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(Number(spent.headers.get('x-ratelimit-reset'))).toBe(Math.ceil((clock + 60_000) / 1000));
  });
});
