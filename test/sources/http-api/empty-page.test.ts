/** An http source's empty page: a link the API gives is followed; page numbers end there. */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { HttpSourceClient } from '../../../src/http/client.js';
import type { ConnectionDecl } from '../../../src/manifest/types.js';
import { httpKind } from '../../../src/sources/http-api/index.js';
import { liveDecl, makeJob, openSnapshot, records } from './helpers.js';

let server: Server | undefined;
afterEach(() => server?.close());

let expired = false;

/** Pages 1..3: page 2 is empty (a filtered page) but links to page 3. `expired`: page links answer 400. */
async function start(): Promise<string> {
  expired = false;
  server = createServer((req, res) => {
    const page = Number(new URL(req.url!, 'http://x').searchParams.get('page') ?? '1');
    if (expired && page > 1) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: 'page token expired' }));
    }
    const data = page === 1 ? [{ id: 1 }, { id: 2 }] : page === 3 ? [{ id: 3 }] : [];
    const next = page < 3 ? `/items?page=${page + 1}` : null;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data, links: { next } }));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  return `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
}

async function pull(next: string): Promise<string[]> {
  const baseUrl = await start();
  const store = openSnapshot();
  const conn: ConnectionDecl = { name: 'api', kind: 'http', baseUrl, auth: {}, headers: {}, location: { file: 't' } };
  const decl = liveDecl({ name: 'items', adapter: 'http', connection: 'api', options: { request: { path: '/items' } }, exprs: { records: 'data', next } });
  const signal = new AbortController().signal;
  const http = new HttpSourceClient({ name: 'api', baseUrl, headers: {}, requestsPerMinute: 60_000, signal });
  const { job } = makeJob({ store, sources: [decl], connection: conn, http, signal });
  await httpKind.pull(job);
  const ids = (await records(store, 'api.items')).map((r) => r.id);
  await store.close();
  return ids;
}

describe('http source: an empty page', () => {
  test('a next link after an empty page is followed (an API that filters pages), so no record is skipped', async () => {
    expect(await pull('links.next')).toEqual(['1', '2', '3']);
  });

  test('page numbers end at the first empty page', async () => {
    expect(await pull("{'page': page + 1}")).toEqual(['1', '2']);
  });

  test('a stored next page the API no longer takes (400) starts the pull over from the first request', async () => {
    const baseUrl = await start();
    const store = openSnapshot();
    const conn: ConnectionDecl = { name: 'api', kind: 'http', baseUrl, auth: {}, headers: {}, location: { file: 't' } };
    const decl = liveDecl({ name: 'items', adapter: 'http', connection: 'api', options: { request: { path: '/items' } }, exprs: { records: 'data', next: 'links.next' } });
    const ac = new AbortController();
    const http1 = new HttpSourceClient({ name: 'api', baseUrl, headers: {}, requestsPerMinute: 60_000, signal: ac.signal });
    const first = makeJob({ store, sources: [decl], connection: conn, http: http1, signal: ac.signal, onEvent: (e) => e.type === 'page' && ac.abort() });
    await expect(httpKind.pull(first.job)).rejects.toThrow();
    expect(JSON.stringify((await store.snapshot.stream('api.items'))?.cursor)).toContain('resume');
    expired = true;
    const signal = new AbortController().signal;
    const http2 = new HttpSourceClient({ name: 'api', baseUrl, headers: {}, requestsPerMinute: 60_000, signal });
    const second = makeJob({ store, sources: [decl], connection: conn, http: http2, signal });
    // The first request works again; its link is refused too: the error says so (no endless restarts).
    await expect(httpKind.pull(second.job)).rejects.toThrow(/HTTP 400/);
    expect(second.events.some((e) => e.type === 'note' && /starting over from the first request/.test(e.message))).toBe(true);
    expired = false;
    await httpKind.pull(makeJob({ store, sources: [decl], connection: conn, http: http2, signal }).job);
    expect((await records(store, 'api.items')).map((r) => r.id)).toEqual(['1', '2', '3']);
    await store.close();
  });
});

