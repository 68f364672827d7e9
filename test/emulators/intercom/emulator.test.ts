/** The strict Intercom emulator's §8 rules: auth and its 401 body, Intercom-Version, search in the body, per_page, strict > and the seconds trap, day-granular contact search, the 500-part cap, 404 for deleted, 10-second rate windows. */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadIntercomSeed, startIntercomEmulator, type IntercomEmulator } from '../../../src/emulators/intercom/index.js';

const EXPORT_DIR = join(import.meta.dirname, '../../../examples/intercom-api/export');
let emu: IntercomEmulator;
let clock = Date.UTC(2024, 0, 1);
beforeEach(async () => {
  clock = Date.UTC(2024, 0, 1);
  emu = await startIntercomEmulator({ seed: await loadIntercomSeed(EXPORT_DIR), now: () => clock, requestsPerMinute: 60 });
});
afterEach(async () => {
  await emu.close();
});

const H = { authorization: 'Bearer ic-emulator-token', 'intercom-version': '2.16', 'content-type': 'application/json' };
const get = (path: string, headers: Record<string, string> = H) => fetch(`${emu.url}${path}`, { headers });
const post = (path: string, body: unknown, headers: Record<string, string> = H) => fetch(`${emu.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
const since = (v: number, op = '>') => ({ query: { field: 'updated_at', operator: op, value: v }, sort: { field: 'updated_at', order: 'ascending' } });

describe('intercom emulator', () => {
  test('a bad token: 401 error.list "Access Token Invalid", without rate-limit headers', async () => {
    const r = await get('/admins', { authorization: 'Bearer nope' });
    expect(r.status).toBe(401);
    expect(r.headers.get('x-ratelimit-limit')).toBeNull();
    expect(await r.json()).toMatchObject({ type: 'error.list', errors: [{ code: 'unauthorized', message: 'Access Token Invalid' }] });
    const ok = await get('/admins');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('x-ratelimit-limit')).toBe('10'); // 60 a minute = 10 per 10-second window
    expect(Number(ok.headers.get('x-ratelimit-reset'))).toBe(Math.floor(clock / 1000) + 10);
  });

  test('an unknown Intercom-Version is a 400; /conversations/deleted exists from 2.16 only (the app default 2.11: 404)', async () => {
    expect((await get('/admins', { ...H, 'intercom-version': '9.9' })).status).toBe(400);
    const { 'intercom-version': _v, ...noVersion } = H;
    expect((await get('/conversations/deleted', noVersion)).status).toBe(404);
    expect((await get('/conversations/deleted?per_page=61', H)).status).toBe(400);
    expect((await get('/conversations/deleted', H)).status).toBe(200);
  });

  test('search: POST only, the cursor in the body (a query parameter is refused), per_page ≤ 150, strict >, seconds only', async () => {
    expect((await get('/conversations/search')).status).toBe(404);
    expect((await post('/conversations/search?starting_after=x', since(0))).status).toBe(400);
    expect((await post('/conversations/search', { ...since(0), pagination: { per_page: 151 } })).status).toBe(400);
    const t = 1673000000 + 4100; // conversation 472's updated_at (its last part)
    const gt = (await (await post('/conversations/search', since(t))).json()) as any;
    expect(gt.conversations.map((c: any) => c.id)).not.toContain('472');
    const ge = (await (await post('/conversations/search', { ...since(t), query: { operator: 'OR', value: [{ field: 'updated_at', operator: '>', value: t }, { field: 'updated_at', operator: '=', value: t }] } })).json()) as any;
    expect(ge.conversations.map((c: any) => c.id)[0]).toBe('472');
    // Milliseconds (Date.now()) match nothing (intercom-node#381).
    expect(((await (await post('/conversations/search', since(t * 1000, '<'))).json()) as any).total_count).toBe(6);
    expect(((await (await post('/conversations/search', since(t * 1000))).json()) as any).total_count).toBe(0);
    // Paging: 2 a page, pages.next.starting_after, the end without next.
    const ids: string[] = [];
    let after: string | undefined;
    for (let i = 0; i < 5; i++) {
      const page = (await (await post('/conversations/search', { ...since(0), pagination: { per_page: 2, ...(after ? { starting_after: after } : {}) } })).json()) as any;
      ids.push(...page.conversations.map((c: any) => c.id));
      expect(page.conversations.every((c: any) => c.conversation_parts === undefined)).toBe(true);
      after = page.pages.next?.starting_after;
      if (!after) break;
    }
    expect(ids).toEqual(['471', '472', '473', '474', '475', '476']);
  });

  test('contact search compares dates by whole day', async () => {
    const ann = 1673000000 - 86400 * 30;
    const r = (await (await post('/contacts/search', since(ann - 60))).json()) as any;
    // 60 s before Ann's update, the same day: Ann is not "greater" by day.
    expect(r.data.map((c: any) => c.email)).not.toContain('ann@example.com');
    const padded = (await (await post('/contacts/search', since(ann - 86400))).json()) as any;
    expect(padded.data.map((c: any) => c.email)).toContain('ann@example.com');
  });

  test('retrieve: the 500 most recent parts; total_count counts those, statistics the true number; deleted → 404 and gone from search', async () => {
    emu.configure({ partsCap: 2 });
    const c = (await (await get('/conversations/471')).json()) as any;
    expect(c.conversation_parts.conversation_parts.map((p: any) => p.id)).toEqual(['100003', '100004']);
    expect(c.conversation_parts.total_count).toBe(2);
    expect(c.statistics.count_conversation_parts).toBe(4);
    emu.account.change({ deleteConversations: ['471'] });
    expect((await get('/conversations/471')).status).toBe(404);
    expect(((await (await post('/conversations/search', since(0))).json()) as any).total_count).toBe(5);
    const del = (await (await get('/conversations/deleted?order=asc')).json()) as any;
    expect(del.conversations).toEqual([{ type: 'conversation', id: '471', metrics_retained: false, deleted_at: Math.floor(clock / 1000) }]);
  });

  test('429 rate_limit_exceeded past the 10-second window, without Retry-After; the next window admits again', async () => {
    for (let i = 0; i < 10; i++) expect((await get('/tags')).status).toBe(200);
    const r = await get('/tags');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBeNull();
    expect(r.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(await r.json()).toMatchObject({ errors: [{ code: 'rate_limit_exceeded', message: 'Exceeded rate limit of 10 in 10_seconds' }] });
    clock += 10_000;
    expect((await get('/tags')).status).toBe(200);
  });

  test('attachments are on another origin, without credentials (one sent is refused)', async () => {
    const c = (await (await get('/conversations/471')).json()) as any;
    const url = c.conversation_parts.conversation_parts.find((p: any) => p.attachments.length).attachments[0].url as string;
    expect(new URL(url).origin).not.toBe(new URL(emu.url).origin);
    expect((await fetch(url, { headers: { authorization: H.authorization } })).status).toBe(400);
    const ok = await fetch(url);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('Invoice 0042');
  });
});
