/**
 * The Intercom adapter against the strict Intercom emulator (in process): a full pull equals the workspace it
 * was seeded from; an incremental pull asks only for what changed; a conversation of more than 500 parts is
 * reported, not silently cut; deleted conversations are kept with deleted: true; a stopped pull resumes to the
 * same snapshot; 429, 5xx and resets are retried; a 401 stops the pull and names the connection's auth.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadIntercomSeed, startIntercomEmulator, type IntercomEmulator, type IntercomSeed } from '../../../src/emulators/intercom/index.js';
import { HttpSourceClient } from '../../../src/http/client.js';
import type { ConnectionDecl, LiveSourceDecl } from '../../../src/manifest/types.js';
import { intercomKind } from '../../../src/sources/intercom/index.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { StateStore } from '../../../src/state/types.js';
import { connectionDecl, injectFaults, liveSource, memoryState as open, operations, pullKind, pullLiveError, records, stoppedPullsResume, type PullOpts } from '../live-kit.js';

const EXPORT_DIR = join(import.meta.dirname, '../../../examples/intercom-api/export');
const TOKEN = 'ic-emulator-token';
let seed: IntercomSeed;
let emu: IntercomEmulator;
beforeEach(async () => {
  seed = await loadIntercomSeed(EXPORT_DIR);
  emu = await startIntercomEmulator({ seed, requestsPerMinute: 0 });
});
afterEach(async () => {
  await emu.close();
});

function connection(token = TOKEN): ConnectionDecl {
  return connectionDecl('ic', 'intercom', emu.url, { accessToken: token }, { requestsPerMinute: 100_000 });
}
const source = (name: string, stream: string) => liveSource('intercom', 'ic', name, stream);
const SOURCES = [source('conversations', 'conversations'), source('parts', 'conversation_parts'), source('contacts', 'contacts'), source('admins', 'admins'), source('tags', 'tags')];

function pull(state: StateStore, o: PullOpts & { token?: string; sources?: LiveSourceDecl[] } = {}) {
  const conn = connection(o.token);
  return pullKind(intercomKind, conn, o.sources ?? SOURCES, state, { ...o, secrets: [conn.auth['accessToken']!] });
}
const ops = (from = 0) => operations(emu, from);
const allParts = (s: IntercomSeed) => s.conversations!.flatMap((c) => ((c.conversation_parts as any).conversation_parts as any[]).map((p) => [p.id, c.id]));

describe('intercom pull', () => {
  test('a full pull holds every conversation, part (with conversation_id), contact, admin and tag of the workspace, asked as §4 says', async () => {
    const state = open();
    await pull(state);
    const convs = await records(state, 'ic.conversations');
    expect(convs.map((c) => c.id).sort()).toEqual(seed.conversations!.map((c) => c.id).sort());
    expect(convs.every((c) => c.conversation_parts === undefined)).toBe(true);
    expect(convs.find((c) => c.id === '471')).toMatchObject({ state: 'closed', source: { subject: 'Invoice question' }, tags: { tags: [{ name: 'billing' }] } });
    const parts = await records(state, 'ic.conversation_parts');
    expect(parts.map((p) => [p.id, p.conversation_id]).sort()).toEqual(allParts(seed).sort());
    expect(parts.some((p) => p.conversation_parts_total !== undefined)).toBe(false);
    const withFile = parts.find((p) => p.attachments.length > 0)!;
    expect(withFile.attachments[0].url).toMatch(/^http:\/\/localhost:\d+\/ic-attachments\/.+\/invoice-0042\.txt$/);
    expect(withFile.attachments[0].local_path).toBeUndefined();
    expect((await records(state, 'ic.contacts')).map((c) => c.id).sort()).toEqual(seed.contacts!.map((c) => c.id).sort());
    expect((await records(state, 'ic.admins')).map((c) => c.email).sort()).toEqual(seed.admins!.map((a) => a.email).sort());
    expect((await records(state, 'ic.tags')).length).toBe(3);
    for (const s of await state.snapshot.streams()) expect(s.complete, s.stream).toBe(true);
    // The search as Airbyte sends it: > S OR = S on updated_at, ascending, 150 a page; the cursor in the body.
    const search = emu.requests().find((r) => r.operation === 'conversations.search')!;
    expect(search.method).toBe('POST');
    expect(search.query).toBe('');
    expect(search.body).toEqual({ query: { operator: 'OR', value: [{ field: 'updated_at', operator: '>', value: 0 }, { field: 'updated_at', operator: '=', value: 0 }] }, sort: { field: 'updated_at', order: 'ascending' }, pagination: { per_page: 150 } });
    expect(ops()['conversation.retrieve']).toBe(6);
    await state.close();
  });

  test('the next pull asks only for what changed; a deleted conversation is kept with deleted: true', async () => {
    const state = open();
    await pull(state);
    const last = Math.max(...seed.conversations!.map((c) => c.updated_at as number));
    emu.account.change({
      conversations: [{ id: '472', state: 'closed', open: false }, { id: '480', source: { type: 'conversation', id: '1', body: '<p>new</p>', author: { type: 'user', id: '6762f0f31bb69f9f2193bb01' }, attachments: [] }, contacts: { type: 'contact.list', contacts: [{ type: 'contact', id: '6762f0f31bb69f9f2193bb01' }] } }],
      parts: [{ conversation_id: '473', body: '<p>One more thing</p>', part_type: 'comment', author: { type: 'lead', id: '6762f0f31bb69f9f2193bb03' } }],
      contacts: [{ id: '6762f0f31bb69f9f2193bb02', name: 'Bo Chen-Li' }],
      deleteConversations: ['474'],
    });
    const r0 = emu.requests().length;
    await pull(state);
    const after = ops(r0);
    // 472, 473 (a new part), 480 changed: one search page, three retrieves; 474 is deleted (its parts stay as pulled).
    expect(after).toEqual({ 'conversations.search': 1, 'conversations.deleted': 1, 'conversation.retrieve': 3, 'contacts.search': 1, 'admins.list': 1, 'tags.list': 1 });
    const body = emu.requests().slice(r0).find((r) => r.operation === 'conversations.search')!.body as any;
    expect(body.query.value[0].value).toBe(last);
    const convs = await records(state, 'ic.conversations');
    expect(convs.find((c) => c.id === '472')?.state).toBe('closed');
    expect(convs.find((c) => c.id === '474')).toMatchObject({ deleted: true, deleted_at: expect.any(Number) });
    expect(convs.find((c) => c.id === '480')).toBeDefined();
    expect(await state.snapshot.stream('ic.conversations')).toMatchObject({ deleted: 1, complete: true });
    const parts = await records(state, 'ic.conversation_parts');
    expect(parts.find((p) => p.body === '<p>One more thing</p>')?.conversation_id).toBe('473');
    expect(parts.some((p) => p.conversation_id === '474')).toBe(true);
    expect((await records(state, 'ic.contacts')).find((c) => c.id === '6762f0f31bb69f9f2193bb02')?.name).toBe('Bo Chen-Li');
    // Contact search pads its window by whole days (§4): the change is found although it matches by day.
    const cbody = emu.requests().slice(r0).find((r) => r.operation === 'contacts.search')!.body as any;
    expect(cbody.query).toMatchObject({ field: 'updated_at', operator: '>' });
    await state.close();
  });

  test('a conversation of more than 500 parts: the pull says how many the API kept back, on each part and in a note', async () => {
    const base = seed.conversations![0]!;
    const many = Array.from({ length: 520 }, (_, i) => ({ type: 'conversation_part', id: String(900_000 + i), part_type: 'comment', body: `<p>${i}</p>`, created_at: 1_680_000_000 + i, author: { type: 'admin', id: '991267601' }, attachments: [] }));
    const big = { ...structuredClone(base), id: '999', updated_at: 1_680_000_600, conversation_parts: { type: 'conversation_part.list', conversation_parts: many, total_count: 520 } };
    await emu.close();
    emu = await startIntercomEmulator({ seed: { ...seed, conversations: [...seed.conversations!, big] }, requestsPerMinute: 0 });
    const state = open();
    const events: PullEvent[] = [];
    await pull(state, { events });
    const parts = (await records(state, 'ic.conversation_parts')).filter((p) => p.conversation_id === '999');
    expect(parts.length).toBe(500);
    expect(parts.map((p) => p.id)).toContain('900519');
    expect(parts.map((p) => p.id)).not.toContain('900019'); // the oldest are the ones lost (§0)
    expect(parts.every((p) => p.conversation_parts_total === 520)).toBe(true);
    expect(events.filter((e) => e.type === 'note').map((e) => (e as { message: string }).message)).toEqual([expect.stringMatching(/conversation 999 has 520 parts; .* 20 earlier parts were not available/)]);
    await state.close();
  });

  test('a pull stopped at any page and run again ends in the snapshot of an uninterrupted pull', async () => {
    await emu.close();
    // 400 conversations: three search pages, then retrieves.
    const convs = Array.from({ length: 400 }, (_, i) => ({ ...structuredClone(seed.conversations![1]!), id: String(2000 + i), updated_at: 1_680_000_000 + Math.floor(i / 3), conversation_parts: { type: 'conversation_part.list', conversation_parts: [{ type: 'conversation_part', id: String(50_000 + i), part_type: 'comment', body: 'x', created_at: 1_680_000_000, author: { type: 'admin', id: '991267601' } }] } }));
    emu = await startIntercomEmulator({ seed: { ...seed, conversations: convs }, requestsPerMinute: 0 });
    await stoppedPullsResume(pull, [1, 2, 3, 50, 399, 404]);
  }, 60_000);

  test('429 (no Retry-After: X-RateLimit-Reset), 503 and connection resets are retried; the pull completes', async () => {
    await injectFaults(emu, [
      { operation: 'conversations.search', action: 'rate-limit', retryAfterSeconds: 1, times: 1 },
      { operation: 'conversation.retrieve', action: 'status:503', every: 2, times: 2 },
      { operation: 'contacts.search', action: 'reset', times: 1 },
      { operation: 'admins.list', action: 'status:502', times: 1 },
    ]);
    const state = open();
    const http = await pull(state);
    expect(http.rateLimited).toBe(1);
    // X-RateLimit-Reset is the next whole second (unix seconds): the retry waited for it, not less.
    const searches = (emu.requests() as Array<{ at: string; operation: string | null; status: number }>).filter((r) => r.operation === 'conversations.search');
    const limited = searches.findIndex((r) => r.status === 429);
    expect(limited).toBeGreaterThanOrEqual(0);
    const second = (r: { at: string }) => Math.floor(Date.parse(r.at) / 1000);
    expect(second(searches[limited + 1]!)).toBeGreaterThanOrEqual(second(searches[limited]!) + 1);
    expect((await records(state, 'ic.conversation_parts')).length).toBe(allParts(seed).length);
    expect((await records(state, 'ic.contacts')).length).toBe(4);
    expect((await records(state, 'ic.admins')).length).toBe(3);
    await state.close();
  }, 30_000);

  test('a refused token stops the pull with HTTP 401, names connections.<name>.auth, and the token appears nowhere', async () => {
    const state = open();
    const token = 'wrong-token-5f1c9a77';
    const err = await pullLiveError(connection(token), SOURCES, state);
    expect(err.message).toMatch(/pulling from connection "ic" failed: POST http:\/\/127\.0\.0\.1:\d+\/conversations\/search: HTTP 401 .*Access Token Invalid/);
    expect(err.hint).toMatch(/check connections\.ic\.auth/);
    expect(JSON.stringify({ m: err.message, h: err.hint, s: err.stack })).not.toContain(token);
    for (const s of await state.snapshot.streams()) expect(s.records).toBe(0);
    await state.close();
  });

  test('an Intercom-Version before 2.16 cannot list deleted conversations: the pull says so in a note', async () => {
    const state = open();
    const events: PullEvent[] = [];
    const conn = { ...connection(), headers: { 'Intercom-Version': '2.11' } };
    const signal = new AbortController().signal;
    const http = new HttpSourceClient({ name: 'ic', baseUrl: emu.url, headers: { ...intercomKind.authHeaders!(conn), ...conn.headers }, requestsPerMinute: 100_000, signal });
    await intercomKind.pull({ connection: conn, sources: [SOURCES[0]!], http, snapshot: state.snapshot, emit: (e) => events.push(e), signal, env: {}, cwd: '.', now: Date.now });
    expect(events.some((e) => e.type === 'note' && /Intercom-Version/.test(e.message))).toBe(true);
    expect(await state.snapshot.stream('ic.conversations')).toMatchObject({ complete: true, records: 6 });
    await state.close();
  });
});
