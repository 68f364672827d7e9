import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpSourceClient } from '../../../src/http/client.js';
import type { ConnectionDecl, LiveSourceDecl } from '../../../src/manifest/types.js';
import { httpKind, readHttpState } from '../../../src/sources/http-api/index.js';
import { compareCursor } from '../../../src/sources/http-api/records.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { SqliteStateStore } from '../../../src/state/sqlite.js';
import { startFakeHelpdesk, TOKEN, type FakeHelpdesk } from './fake-helpdesk.js';
import { caught, liveDecl, makeJob, openSnapshot, records } from './helpers.js';

let fake: FakeHelpdesk;
let store: SqliteStateStore;

beforeAll(async () => {
  fake = await startFakeHelpdesk();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  store = openSnapshot();
  fake.requests.length = 0;
  fake.failOn = undefined;
  fake.overlap = false;
  fake.tickets = [1, 2, 3, 4, 5].map((id) => ({ id, subject: `ticket ${id}`, updated_at: `2024-01-0${id}T10:00:00Z` }));
  fake.users = [1, 2, 3, 4, 5].map((id) => ({ id, name: `user ${id}` }));
  fake.conversations = ['a', 'b', 'c'].map((c) => ({ conversation_id: c, text: `conversation ${c}` }));
});
afterEach(async () => {
  await store.close();
});

function connection(): ConnectionDecl {
  return { name: 'legacy', kind: 'http', baseUrl: fake.baseUrl, auth: {}, headers: { Authorization: `Bearer ${TOKEN}` }, location: { file: 't' } };
}

function tickets(over: { exprs?: Record<string, string>; query?: Record<string, string | number> } = {}): LiveSourceDecl {
  return liveDecl({
    name: 'tickets',
    adapter: 'http',
    connection: 'legacy',
    options: { request: { path: '/api/tickets', query: { per_page: 2, updated_since: '{{cursor}}', ...over.query } } },
    exprs: { records: 'data', next: 'links.next', cursor: 'updated_at', ...over.exprs },
  });
}

async function pull(sources: LiveSourceDecl[], o: { signal?: AbortSignal; onEvent?: (e: PullEvent) => void } = {}) {
  const controller = new AbortController();
  const signal = o.signal ?? controller.signal;
  const conn = connection();
  const http = new HttpSourceClient({ name: conn.name, baseUrl: conn.baseUrl, headers: httpKind.authHeaders!(conn), requestsPerMinute: 60_000, maxAttempts: 1, signal });
  const { job, events } = makeJob({ store, sources, connection: conn, http, signal, ...(o.onEvent ? { onEvent: o.onEvent } : {}) });
  const run = httpKind.pull(job);
  return { run, events };
}

const paths = () => fake.requests.map((u) => `${u.pathname}${u.search}`);

describe('http source: body links and an updated_since cursor', () => {
  it('pulls every page, keeps the largest cursor, and marks the stream complete', async () => {
    const { run, events } = await pull([tickets()]);
    await run;
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    // First pull: {{cursor}} is empty, so updated_since is left out.
    expect(paths()).toEqual(['/api/tickets?per_page=2', '/api/tickets?per_page=2&offset=2', '/api/tickets?per_page=2&offset=4']);
    const info = (await store.snapshot.stream('legacy.tickets'))!;
    expect(info.complete).toBe(true);
    expect(info.cursor).toEqual({ cursor: '2024-01-05T10:00:00Z' });
    expect(events.map((e) => e.type)).toEqual(['stream-start', 'page', 'page', 'page', 'stream-done']);
    expect(events.filter((e) => e.type === 'page').map((e) => (e.type === 'page' ? e.added : 0))).toEqual([2, 2, 1]);
  });

  it('an incremental pull passes {{cursor}} and only changed records come', async () => {
    await (await pull([tickets()])).run;
    fake.tickets[2]!.updated_at = '2024-02-01T00:00:00Z';
    fake.tickets[2]!.subject = 'ticket 3, edited';
    fake.tickets.push({ id: 6, subject: 'ticket 6', updated_at: '2024-02-02T00:00:00Z' });
    fake.requests.length = 0;
    const { run, events } = await pull([tickets()]);
    await run;
    expect(fake.requests[0]!.searchParams.get('updated_since')).toBe('2024-01-05T10:00:00Z');
    const pages = events.filter((e): e is Extract<PullEvent, { type: 'page' }> => e.type === 'page');
    // ticket 5 (at the cursor, >=) comes again unchanged; 3 is updated, 6 added.
    expect(pages.reduce((n, p) => n + p.records, 0)).toBe(3);
    expect(pages.reduce((n, p) => n + p.added, 0)).toBe(1);
    expect(pages.reduce((n, p) => n + p.updated, 0)).toBe(1);
    const all = await records(store, 'legacy.tickets');
    expect(all.map((r) => r.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(all.find((r) => r.id === '3')!.record['subject']).toBe('ticket 3, edited');
    expect((await store.snapshot.stream('legacy.tickets'))!.cursor).toEqual({ cursor: '2024-02-02T00:00:00Z' });
  });

  it('a pull stopped by an HTTP 400 after page 2 resumes from the committed page, without duplicates', async () => {
    fake.failOn = { request: 3, status: 400 };
    const { run } = await pull([tickets()]);
    const err = await caught(run);
    expect(err.message).toContain('HTTP 400');
    expect(err.message).not.toContain('?');
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4']);
    const stopped = readHttpState((await store.snapshot.stream('legacy.tickets'))!.cursor);
    expect(stopped.cursor).toBeNull();
    expect(stopped.resume).toMatchObject({ maxSeen: '2024-01-04T10:00:00Z', page: 3 });
    expect(new URL(stopped.resume!.url).searchParams.get('offset')).toBe('4');
    expect((await store.snapshot.stream('legacy.tickets'))!.complete).toBe(false);

    fake.failOn = undefined;
    fake.requests.length = 0;
    const again = await pull([tickets()]);
    await again.run;
    expect(paths()).toEqual(['/api/tickets?per_page=2&offset=4']);
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    const info = (await store.snapshot.stream('legacy.tickets'))!;
    expect(info.cursor).toEqual({ cursor: '2024-01-05T10:00:00Z' });
    expect(info.complete).toBe(true);
  });

  it('a pull stopped by its signal after page 2 resumes there', async () => {
    const controller = new AbortController();
    let pages = 0;
    const { run } = await pull([tickets()], {
      signal: controller.signal,
      onEvent: (e) => {
        if (e.type === 'page' && ++pages === 2) controller.abort(new Error('stopped by the test'));
      },
    });
    expect((await caught(run)).message).toBe('stopped by the test');
    expect(fake.requests).toHaveLength(2);
    expect(await records(store, 'legacy.tickets')).toHaveLength(4);
    fake.requests.length = 0;
    await (await pull([tickets()])).run;
    expect(paths()).toEqual(['/api/tickets?per_page=2&offset=4']);
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
  });

  it('a changed request does not resume from the old one’s page', async () => {
    fake.failOn = { request: 2, status: 400 };
    await caught((await pull([tickets()])).run);
    fake.failOn = undefined;
    fake.requests.length = 0;
    await (await pull([tickets({ query: { per_page: 3 } })])).run;
    expect(paths()[0]).toBe('/api/tickets?per_page=3');
  });

  it('records repeated across pages are upserted, not duplicated', async () => {
    fake.overlap = true;
    // next: may also name the body explicitly.
    const { run, events } = await pull([tickets({ exprs: { next: 'body.links.next' } })]);
    await run;
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    const pages = events.filter((e): e is Extract<PullEvent, { type: 'page' }> => e.type === 'page');
    expect(pages.map((p) => p.records)).toEqual([2, 3, 2]);
    expect(pages.reduce((n, p) => n + p.added, 0)).toBe(5);
    expect(pages.reduce((n, p) => n + p.updated, 0)).toBe(0);
  });

  it('a record without an id stops the pull, naming the source, the page and the record, never the secrets', async () => {
    delete fake.tickets[2]!.id;
    const decl = tickets({ query: { api_key: 'QUERY-SECRET-9' } });
    const { run, events } = await pull([decl]);
    const err = await caught(run);
    expect(err.code).toBe('pull.record-without-id');
    expect(err.message).toContain('source "tickets"');
    expect(err.message).toContain(`${fake.baseUrl}/api/tickets`);
    expect(err.message).toContain('record 0');
    expect(err.hint).toContain('id:');
    const shown = `${err.message} ${err.hint} ${JSON.stringify(events)}`;
    expect(shown).not.toContain(TOKEN);
    expect(shown).not.toContain('QUERY-SECRET-9');
    expect(shown).not.toContain('?');
    // The page before it stays committed.
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['1', '2']);
  });

  it('id: names the record id, and a 401 error carries no header value', async () => {
    fake.tickets = fake.tickets.map(({ id, ...t }) => ({ ...t, ticket_no: `T-${id}` }));
    await (await pull([tickets({ exprs: { id: 'ticket_no' } })])).run;
    expect((await records(store, 'legacy.tickets')).map((r) => r.id)).toEqual(['T-1', 'T-2', 'T-3', 'T-4', 'T-5']);

    const conn = { ...connection(), headers: { Authorization: 'Bearer WRONG-SECRET-77' } };
    const signal = new AbortController().signal;
    const http = new HttpSourceClient({ name: 'legacy', baseUrl: fake.baseUrl, headers: httpKind.authHeaders!(conn), requestsPerMinute: 60_000, maxAttempts: 1, signal });
    const { job, events } = makeJob({ store, sources: [tickets()], connection: conn, http, signal });
    const err = await caught(httpKind.pull(job));
    expect(err.message).toContain('HTTP 401');
    expect(`${err.message} ${JSON.stringify(err)} ${JSON.stringify(events)}`).not.toContain('WRONG-SECRET-77');
  });
});

describe('http source: Link headers and page numbers', () => {
  const users = (exprs: Record<string, string> = {}, query: Record<string, string | number> = {}) =>
    liveDecl({ name: 'users', adapter: 'http', connection: 'legacy', options: { request: { path: '/v2/users', query: { per_page: 2, ...query } } }, exprs });

  it('follows rel="next" when next: is not written; the body itself is the list', async () => {
    const { run } = await pull([users()]);
    await run;
    expect((await records(store, 'legacy.users')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(paths()).toEqual(['/v2/users?per_page=2', '/v2/users?page=2&per_page=2', '/v2/users?page=3&per_page=2']);
    expect((await store.snapshot.stream('legacy.users'))!).toMatchObject({ complete: true, cursor: { cursor: null } });
  });

  it("next: {'page': page + 1} sets query parameters on the current URL; an empty page ends", async () => {
    await (await pull([users({ next: "{'page': page + 1}" }, { nolink: 1 })])).run;
    expect(await records(store, 'legacy.users')).toHaveLength(5);
    expect(paths()).toEqual([
      '/v2/users?per_page=2&nolink=1',
      '/v2/users?per_page=2&nolink=1&page=2',
      '/v2/users?per_page=2&nolink=1&page=3',
      '/v2/users?per_page=2&nolink=1&page=4',
    ]);
  });

  it('a page-numbered pull resumes with the right page number', async () => {
    fake.failOn = { request: 2, status: 400 };
    await caught((await pull([users({ next: "{'page': page + 1}" }, { nolink: 1 })])).run);
    fake.failOn = undefined;
    fake.requests.length = 0;
    await (await pull([users({ next: "{'page': page + 1}" }, { nolink: 1 })])).run;
    expect(paths()).toEqual(['/v2/users?per_page=2&nolink=1&page=2', '/v2/users?per_page=2&nolink=1&page=3', '/v2/users?per_page=2&nolink=1&page=4']);
    expect(await records(store, 'legacy.users')).toHaveLength(5);
  });
});

describe('http source: a cursor in the body', () => {
  it("next: an object built from body.meta.next_cursor; key: names the id", async () => {
    const decl = liveDecl({
      name: 'conversations',
      adapter: 'http',
      connection: 'legacy',
      options: { request: { path: '/v3/conversations' } },
      exprs: { records: 'items', next: "body.meta.next_cursor ? {'cursor': body.meta.next_cursor}" },
      key: 'conversation_id',
    });
    await (await pull([decl])).run;
    expect((await records(store, 'legacy.conversations')).map((r) => r.id)).toEqual(['a', 'b', 'c']);
    expect(fake.requests).toHaveLength(2);
  });

  it('several sources of one connection are pulled one after the other', async () => {
    const { run, events } = await pull([tickets(), liveDecl({ name: 'users', adapter: 'http', connection: 'legacy', options: { request: { path: '/v2/users' } } })]);
    await run;
    expect(events.filter((e) => e.type === 'stream-done').map((e) => e.stream)).toEqual(['legacy.tickets', 'legacy.users']);
  });
});

describe('http source: checks and cursors', () => {
  it('checkSource reports placeholders other than {{cursor}} and a missing path', () => {
    const bad = liveDecl({ name: 's', adapter: 'http', connection: 'c', options: { request: { path: '/x', query: { since: '{{cursor}}', token: '{{token}}' } } } });
    expect(httpKind.checkSource!(bad)).toEqual([expect.objectContaining({ path: ['request', 'query', 'token'] })]);
    const noPath = liveDecl({ name: 's', adapter: 'http', connection: 'c', options: { request: { query: {} } } });
    expect(httpKind.checkSource!(noPath)[0]!.path).toEqual(['request', 'path']);
    expect(httpKind.checkSource!(tickets())).toEqual([]);
  });

  it('compares cursors as numbers, times, then text', () => {
    expect(compareCursor(9, 10)).toBeLessThan(0);
    expect(compareCursor('2024-01-01T10:00:00+02:00', '2024-01-01T09:00:00Z')).toBeLessThan(0);
    expect(compareCursor('9', '10')).toBeLessThan(0);
    expect(compareCursor('b', 'a')).toBeGreaterThan(0);
  });

  it('the kind declares its keys', () => {
    expect(httpKind).toMatchObject({ kind: 'http', usesConnection: true, auth: [], defaultRequestsPerMinute: 60, requiredSourceKeys: ['request'] });
    expect(httpKind.streams).toBeUndefined();
    expect(httpKind.authHeaders!(connection())).toEqual({ Authorization: `Bearer ${TOKEN}` });
  });
});
