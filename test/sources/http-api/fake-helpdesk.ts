/**
 * A fake in-house helpdesk API on 127.0.0.1, with three pagination styles:
 *   GET /api/tickets       {data, links.next} body links, offset paging, `updated_since` (>=) incremental filter
 *   GET /v2/users          a bare list, page numbers, `Link: <…>; rel="next"` headers
 *   GET /v3/conversations  {items, meta.next_cursor}: an opaque cursor in the body, `cursor` query parameter
 * Every request must carry the bearer token; the test may make a request fail (`failOn`).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export const TOKEN = 'SECRET-TOKEN-123';

export interface Ticket {
  id?: number;
  subject: string;
  updated_at: string;
}

export interface FakeHelpdesk {
  readonly baseUrl: string;
  tickets: Ticket[];
  users: Array<{ id: number; name: string }>;
  conversations: Array<{ conversation_id: string; text: string }>;
  /** Every request's path and query as received. */
  readonly requests: URL[];
  /** Answer this request (1-based count of all requests) with the given status instead. */
  failOn?: { request: number; status: number };
  /** Repeat the last record of each tickets page at the start of the next one (a shifting API). */
  overlap: boolean;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export async function startFakeHelpdesk(): Promise<FakeHelpdesk> {
  const state = {
    tickets: [] as Ticket[],
    users: [] as Array<{ id: number; name: string }>,
    conversations: [] as Array<{ conversation_id: string; text: string }>,
    requests: [] as URL[],
    failOn: undefined as FakeHelpdesk['failOn'],
    overlap: false,
  };
  const server = http.createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    const url = new URL(req.url ?? '/', base);
    state.requests.push(url);
    if (req.headers.authorization !== `Bearer ${TOKEN}`) return send(res, 401, { error: 'unauthorized' });
    if (state.failOn && state.failOn.request === state.requests.length) return send(res, state.failOn.status, { error: 'bad_request', message: 'try again later' });
    const q = url.searchParams;
    if (url.pathname === '/api/tickets') {
      const since = q.get('updated_since');
      const per = Number(q.get('per_page') ?? 2);
      const offset = Number(q.get('offset') ?? 0);
      const all = state.tickets
        .filter((t) => since === null || Date.parse(t.updated_at) >= Date.parse(since))
        .sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at) || (a.id ?? 0) - (b.id ?? 0));
      const start = state.overlap && offset > 0 ? offset - 1 : offset;
      const data = all.slice(start, offset + per);
      const more = offset + per < all.length;
      const next = new URL(url.href);
      next.searchParams.set('offset', String(offset + per));
      return send(res, 200, { data, links: { next: more ? next.href : null }, meta: { total: all.length } });
    }
    if (url.pathname === '/v2/users') {
      const page = Number(q.get('page') ?? 1);
      const per = Number(q.get('per_page') ?? 2);
      const data = state.users.slice((page - 1) * per, page * per);
      const headers: Record<string, string> = {};
      if (page * per < state.users.length && q.get('nolink') === null) {
        headers['link'] = `<${base}/v2/users?page=${page + 1}&per_page=${per}>; rel="next", <${base}/v2/users?page=1&per_page=${per}>; rel="first"`;
      }
      return send(res, 200, data, headers);
    }
    if (url.pathname === '/v3/conversations') {
      const cursor = q.get('cursor');
      const start = cursor === null ? 0 : Number(Buffer.from(cursor, 'base64url').toString());
      const items = state.conversations.slice(start, start + 2);
      const end = start + 2 >= state.conversations.length;
      return send(res, 200, { items, meta: { next_cursor: end ? null : Buffer.from(String(start + 2)).toString('base64url') } });
    }
    return send(res, 404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const fake: FakeHelpdesk = {
    baseUrl: `http://127.0.0.1:${port}`,
    get tickets() {
      return state.tickets;
    },
    set tickets(v) {
      state.tickets = v;
    },
    get users() {
      return state.users;
    },
    set users(v) {
      state.users = v;
    },
    get conversations() {
      return state.conversations;
    },
    set conversations(v) {
      state.conversations = v;
    },
    requests: state.requests,
    get failOn() {
      return state.failOn;
    },
    set failOn(v) {
      state.failOn = v;
    },
    get overlap() {
      return state.overlap;
    },
    set overlap(v) {
      state.overlap = v;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
  return fake;
}
