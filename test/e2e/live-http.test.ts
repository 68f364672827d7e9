/**
 * An in-house helpdesk's JSON API as a live source (`kind: http`) end to end: the built CLI pulls three
 * streams with three pagination styles from a server in this test (body links + an updated_since cursor,
 * Link headers + page numbers, a `next:` expression building the next page's query), imports them into
 * the Plain emulator, pulls again from the stored cursors and lands only what changed; retries 503 and
 * 429; a refused token fails the pull; the token never reaches the output, the state database or a plan file.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { AGENTS, LABELS } from './workspace.js';

const TOKEN = 'legacy-tok-5b2e9c41d7aa90f3';
const WRONG = 'legacy-tok-expired-0000111122';
const AGENT = AGENTS[1]!.id;

interface Ticket {
  id: number;
  subject: string;
  state: 'open' | 'closed';
  requester_id: number;
  created_at: string;
  updated_at: string;
}
interface Comment {
  id: number;
  ticket_id: number;
  author: { type: 'user' | 'agent'; id: number };
  body: string;
  created_at: string;
  updated_at: string;
}
interface User {
  id: number;
  name: string;
  email: string;
}
interface Fault {
  path: string;
  status: number;
  headers?: Record<string, string>;
}
interface Seen {
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
}

/**
 * The helpdesk: GET /api/tickets {data, links.next} (offset paging, updated_since >= filter),
 * GET /api/comments a bare list with `Link: <…>; rel="next"` (page numbers, updated_since >= filter),
 * GET /api/users {users} by ?page= (an empty page after the last). Every request needs the bearer token.
 */
interface Helpdesk {
  baseUrl: string;
  tickets: Ticket[];
  comments: Comment[];
  users: User[];
  /** Answered instead of the next request to that path, once each. */
  faults: Fault[];
  /** A 401's error message repeats the token it was given (as some APIs do). */
  echoRefusedToken: boolean;
  seen: Seen[];
  close(): Promise<void>;
}

async function startHelpdesk(): Promise<Helpdesk> {
  const hd = { tickets: [], comments: [], users: [], faults: [], seen: [], echoRefusedToken: false } as unknown as Helpdesk;
  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const since = (q: URLSearchParams) => <T extends { updated_at: string }>(xs: T[]) => {
    const s = q.get('updated_since');
    return xs.filter((x) => s === null || Date.parse(x.updated_at) >= Date.parse(s)).sort((a, b) => Date.parse(a.updated_at) - Date.parse(b.updated_at));
  };
  const server = http.createServer((req, res) => {
    const base = `http://${req.headers.host}`;
    const url = new URL(req.url ?? '/', base);
    const q = url.searchParams;
    const seen: Seen = { path: url.pathname, query: Object.fromEntries(q), status: 200, at: Date.now() };
    hd.seen.push(seen);
    const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      seen.status = status;
      send(res, status, body, headers);
    };
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      const given = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
      return reply(401, { error: 'unauthorized', message: hd.echoRefusedToken ? `the token ${given} is not valid` : 'invalid token' });
    }
    const fault = hd.faults.findIndex((f) => f.path === url.pathname);
    if (fault >= 0) {
      const f = hd.faults.splice(fault, 1)[0]!;
      return reply(f.status, { error: f.status === 429 ? 'rate_limited' : 'unavailable' }, f.headers);
    }
    const per = Number(q.get('per_page') ?? 2);
    if (url.pathname === '/api/tickets') {
      const all = since(q)(hd.tickets);
      const offset = Number(q.get('offset') ?? 0);
      const next = new URL(url.href);
      next.searchParams.set('offset', String(offset + per));
      return reply(200, { data: all.slice(offset, offset + per), links: { next: offset + per < all.length ? next.href : null }, meta: { total: all.length } });
    }
    if (url.pathname === '/api/comments') {
      const all = since(q)(hd.comments);
      const page = Number(q.get('page') ?? 1);
      const headers: Record<string, string> = {};
      if (page * per < all.length) {
        const next = new URL(url.href);
        next.searchParams.set('page', String(page + 1));
        headers['link'] = `<${next.href}>; rel="next", <${base}/api/comments?page=1>; rel="first"`;
      }
      return reply(200, all.slice((page - 1) * per, page * per), headers);
    }
    if (url.pathname === '/api/users') {
      const page = Number(q.get('page') ?? 1);
      return reply(200, { users: hd.users.slice((page - 1) * per, page * per), page });
    }
    return reply(404, { error: 'not_found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hd.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  hd.close = () =>
    new Promise<void>((resolve, reject) => {
      server.closeAllConnections();
      server.close((e) => (e ? reject(e) : resolve()));
    });
  return hd;
}

const iso = (day: number, hour = 10) => new Date(Date.UTC(2024, 0, day, hour)).toISOString();

function seed(hd: Helpdesk): void {
  hd.faults = [];
  hd.echoRefusedToken = false;
  hd.users = [1, 2, 3].map((id) => ({ id, name: `Customer ${id}`, email: `customer${id}@legacy.test` }));
  hd.tickets = [1, 2, 3, 4, 5].map((id) => ({
    id,
    subject: `Legacy ${id}`,
    state: id % 2 === 0 ? 'closed' : 'open',
    requester_id: ((id - 1) % 3) + 1,
    created_at: iso(id),
    updated_at: iso(id, 12),
  }));
  hd.comments = hd.tickets.flatMap((t) => [
    { id: t.id * 10 + 1, ticket_id: t.id, author: { type: 'user' as const, id: t.requester_id }, body: `Question on ${t.id}`, created_at: iso(t.id, 10), updated_at: iso(t.id, 10) },
    { id: t.id * 10 + 2, ticket_id: t.id, author: { type: 'agent' as const, id: 900 }, body: `Answer on ${t.id}`, created_at: iso(t.id, 11), updated_at: iso(t.id, 11) },
  ]);
}

const manifest = (baseUrl: string) => `version: 1
name: live-http
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
connections:
  legacy:
    kind: http
    baseUrl: ${baseUrl}
    headers: { Authorization: "Bearer \${LEGACY_TOKEN}" }
    requestsPerMinute: 100000
sources:
  tickets:
    connection: legacy
    request: { path: /tickets, query: { per_page: 2, updated_since: "{{cursor}}" } }
    records: data
    next: links.next
    cursor: updated_at
  comments:
    connection: legacy
    request: { path: /comments, query: { per_page: 2, updated_since: "{{cursor}}" } }
    cursor: updated_at
    groupBy: ticket_id
  users:
    connection: legacy
    request: { path: /users, query: { page: 1 } }
    records: users
    next: "{'page': page + 1}"
    key: id
threads:
  source: tickets
  externalId: "'legacy-' & $string(id)"
  title: subject
  createdAt: created_at
  status: "state = 'closed' ? 'DONE' : 'TODO'"
  customer:
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
  messages:
    each: $records('comments', id)
    externalId: "'legacy-c-' & $string(id)"
    type: "author.type = 'user' ? 'INBOUND' : 'OUTBOUND'"
    text: body
    createdAt: created_at
    author: "author.type = 'user' ? null : '${AGENT}'"
batching:
  concurrency: 2
  requestsPerMinute: 100000
  maxAttempts: 3
  requestTimeout: 5s
`;

let emu: PlainEmulator;
let hd: Helpdesk;
const dirs: string[] = [];
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
  hd = await startHelpdesk();
});
afterAll(async () => {
  await emu?.close();
  await hd?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const out = (r: { stdout?: unknown; stderr?: unknown }) => `${String(r.stdout)}\n${String(r.stderr)}`;
const thread = (ext: string) => emu.snapshot().threads.find((t) => t.externalId === ext);
const mutationsSince = (n: number) =>
  emu
    .requests()
    .slice(n)
    .map((r) => r.operationName ?? '')
    .filter((o) => !/^read/.test(o))
    .sort();
const seenSince = (n: number, path?: string) => hd.seen.slice(n).filter((s) => path === undefined || s.path === path);
/** Every file under `dir` (the state database, its -wal and -shm, plan files…) whose bytes hold `secret`. */
const filesHolding = (dir: string, secret: string) =>
  readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => join(dir, f))
    .filter((f) => statSync(f).isFile() && readFileSync(f).includes(Buffer.from(secret)));

describe('an http connection to an in-house helpdesk API', () => {
  it('pulls three pagination styles with retries, imports, pulls from the stored cursors and lands only the changes; a saved plan never pulls', async () => {
    emu.reset();
    seed(hd);
    const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-live-http-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'plain-migrate.yaml'), manifest(hd.baseUrl));
    const run = (args: string[], token = TOKEN) => cli(args, { cwd: dir, endpoint: emu.graphqlUrl, extraEnv: { LEGACY_TOKEN: token } });

    // one 503 on the tickets, one 429 (Retry-After: 1) on the comments: both retried
    hd.faults = [
      { path: '/api/tickets', status: 503 },
      { path: '/api/comments', status: 429, headers: { 'retry-after': '1' } },
    ];
    const pulled = await run(['pull']);
    expect(pulled.exitCode, out(pulled)).toBe(0);
    expect(hd.faults).toEqual([]);
    expect(pulled.stdout).toMatch(/legacy\.tickets: 5 records/);
    expect(pulled.stdout).toMatch(/legacy\.comments: 10 records/);
    expect(pulled.stdout).toMatch(/legacy\.users: 3 records/);
    const statuses = hd.seen.map((s) => s.status);
    expect(statuses.filter((s) => s === 503)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(pulled.stdout).toMatch(/RETRY legacy: HTTP 503/);
    expect(pulled.stdout).toMatch(/RETRY legacy: HTTP 429/);
    expect(pulled.stdout).toMatch(/Requests sent: legacy 13 \(1 rate-limited\)/);
    // tickets: 3 pages by body link (+ the retried first one); the first pull sends no updated_since
    const tickets1 = seenSince(0, '/api/tickets');
    expect(tickets1.map((s) => [s.status, s.query['offset'] ?? '0'])).toEqual([
      [503, '0'],
      [200, '0'],
      [200, '2'],
      [200, '4'],
    ]);
    expect(tickets1.every((s) => !('updated_since' in s.query))).toBe(true);
    // comments: 5 pages by Link header (+ the 429'd first one)
    expect(seenSince(0, '/api/comments').map((s) => [s.status, s.query['page'] ?? '1'])).toEqual([
      [429, '1'],
      [200, '1'],
      [200, '2'],
      [200, '3'],
      [200, '4'],
      [200, '5'],
    ]);
    // Retry-After: 1 was obeyed
    const [limited, retried] = seenSince(0, '/api/comments');
    expect(retried!.at - limited!.at).toBeGreaterThanOrEqual(950);
    // users: pages 1, 2, then the empty page 3 ends
    expect(seenSince(0, '/api/users').map((s) => s.query['page'])).toEqual(['1', '2', '3']);

    let mark = hd.seen.length;
    const first = await run(['apply', '--auto-approve']);
    expect(first.exitCode, out(first)).toBe(0);
    expect(first.stdout).toMatch(/threads: 5 created, 0 noop, 0 failed/);
    expect(first.stdout).toMatch(/messages: 10 created, 0 noop, 0 failed/);
    expect(thread('legacy-3')!.messages.map((m) => m.externalId)).toEqual(['legacy-c-31', 'legacy-c-32']);
    expect(emu.snapshot().customers.map((c) => c.email).sort()).toEqual(['customer1@legacy.test', 'customer2@legacy.test', 'customer3@legacy.test']);
    // apply pulled first, from the stored cursors
    expect(seenSince(mark, '/api/tickets')[0]!.query['updated_since']).toBe(iso(5, 12));
    expect(seenSince(mark, '/api/comments')[0]!.query['updated_since']).toBe(iso(5, 11));

    // The helpdesk changes: ticket 2 is renamed, ticket 4 gets a reply, ticket 6 is new.
    const t2 = hd.tickets.find((t) => t.id === 2)!;
    t2.subject = 'Legacy 2, renamed';
    t2.updated_at = iso(20);
    hd.comments.push({ id: 43, ticket_id: 4, author: { type: 'user', id: 1 }, body: 'Still broken', created_at: iso(20, 8), updated_at: iso(20, 8) });
    hd.tickets.push({ id: 6, subject: 'Legacy 6', state: 'open', requester_id: 2, created_at: iso(21), updated_at: iso(21, 12) });
    hd.comments.push({ id: 61, ticket_id: 6, author: { type: 'user', id: 2 }, body: 'New problem', created_at: iso(21, 10), updated_at: iso(21, 10) });

    mark = hd.seen.length;
    const before = emu.requests().length;
    const second = await run(['apply', '--auto-approve']);
    expect(second.exitCode, out(second)).toBe(0);
    const tickets2 = seenSince(mark, '/api/tickets');
    expect(tickets2[0]!.query['updated_since']).toBe(iso(5, 12));
    expect(seenSince(mark, '/api/comments')[0]!.query['updated_since']).toBe(iso(5, 11));
    expect(second.stdout).toMatch(/Plan: 1 threads? to import \(1 message\), 1 to update, 1 to append \(1 message\), 0 invalid, 0 orphaned, 3 unchanged\./);
    expect(second.stdout).toMatch(/threads: 1 created, 0 noop, 1 updated, 0 failed/);
    // (ticket 6's customer is already in Plain)
    expect(mutationsSince(before)).toEqual(['importThread', 'importThreadMessages', 'importThreadMessages', 'updateThreadTitle']);
    expect(thread('legacy-2')!.title).toBe('Legacy 2, renamed');
    expect(thread('legacy-4')!.messages.map((m) => m.externalId)).toEqual(['legacy-c-41', 'legacy-c-42', 'legacy-c-43']);
    expect(thread('legacy-6')!.messages.map((m) => m.externalId)).toEqual(['legacy-c-61']);
    expect(emu.snapshot().threads).toHaveLength(6);

    // A saved plan: made after a pull (the cursor moved on), applied without pulling.
    hd.tickets.find((t) => t.id === 1)!.state = 'closed';
    hd.tickets.find((t) => t.id === 1)!.updated_at = iso(25);
    mark = hd.seen.length;
    const plan = await run(['plan', '--out', 'plan.json']);
    expect(plan.exitCode, out(plan)).toBe(0);
    expect(seenSince(mark, '/api/tickets')[0]!.query['updated_since']).toBe(iso(21, 12));
    expect(plan.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 1 to update, 0 to append \(0 messages\), 0 invalid, 0 orphaned, 5 unchanged\./);
    mark = hd.seen.length;
    const applied = await run(['apply', 'plan.json']);
    expect(applied.exitCode, out(applied)).toBe(0);
    expect(hd.seen.length).toBe(mark); // apply PLANFILE never pulls
    expect(thread('legacy-1')!.status).toBe('DONE');

    // The token never shows: not in any output, the state database (and its WAL), or the saved plan.
    for (const r of [pulled, first, second, plan, applied]) expect(out(r)).not.toContain(TOKEN);
    expect(existsSync(join(dir, '.plain-migrate/state.db'))).toBe(true);
    expect(existsSync(join(dir, 'plan.json'))).toBe(true);
    expect(filesHolding(dir, TOKEN)).toEqual([]);

    // A saved plan is bound to the snapshot it was made from: after another pull changed it, apply refuses it.
    const stale = await run(['plan', '--out', 'stale.json']);
    expect(stale.exitCode, out(stale)).toBe(0);
    const t3 = hd.tickets.find((t) => t.id === 3)!;
    t3.subject = 'Legacy 3, renamed after the plan';
    t3.updated_at = iso(26);
    expect((await run(['pull'])).exitCode).toBe(0);
    const refusedPlan = await run(['apply', 'stale.json']);
    expect(refusedPlan.exitCode).toBe(1);
    expect(out(refusedPlan)).toMatch(/the saved plan stale\.json is stale: source 'tickets' \(legacy\.tickets\) changed since the plan was made/);
    expect(thread('legacy-3')!.title).toBe('Legacy 3');
  });

  it('a refused token: pull and plan exit 1 naming the connection and HTTP 401; no token is shown or kept', async () => {
    seed(hd);
    const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-live-http-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'plain-migrate.yaml'), manifest(hd.baseUrl));
    const run = (args: string[], token = TOKEN) => cli(args, { cwd: dir, endpoint: emu.graphqlUrl, extraEnv: { LEGACY_TOKEN: token } });

    const ok = await run(['plan', '--out', 'plan.json']);
    expect(ok.exitCode, out(ok)).toBe(0);
    expect(ok.stdout).toMatch(/Plan: 5 threads to import \(10 messages\)/);

    const refused = await run(['pull'], WRONG);
    expect(refused.exitCode).toBe(1);
    expect(out(refused)).toMatch(/pulling from connection "legacy" failed: GET http:\/\/127\.0\.0\.1:\d+\/api\/tickets: HTTP 401/);
    const planRefused = await run(['plan', '--out', 'plan2.json'], WRONG);
    expect(planRefused.exitCode).toBe(1);
    expect(out(planRefused)).toMatch(/connection "legacy"[\s\S]*HTTP 401/);
    expect(existsSync(join(dir, 'plan2.json'))).toBe(false);
    for (const r of [ok, refused, planRefused]) {
      expect(out(r)).not.toContain(WRONG);
      expect(out(r)).not.toContain(TOKEN);
    }
    // the helpdesk refused the first request of the pull
    expect(hd.seen.at(-1)).toMatchObject({ path: '/api/tickets', status: 401 });
    expect(existsSync(join(dir, '.plain-migrate/state.db'))).toBe(true);
    expect(filesHolding(dir, WRONG)).toEqual([]);
    expect(filesHolding(dir, TOKEN)).toEqual([]);
    // the snapshot is intact: an offline plan still has every record
    const offline = await run(['plan', '--offline', '--detailed-exitcode'], WRONG);
    expect(offline.exitCode, out(offline)).toBe(2);
    expect(offline.stdout).toMatch(/Plan: 5 threads to import \(10 messages\)/);
  });

  // An API that repeats the refused token in its 401 body: the connection's header values (and the token
  // inside them) are masked as *** in what is shown.
  it('a refused token that the API repeats in its error body is not shown either', async () => {
    seed(hd);
    hd.echoRefusedToken = true;
    const dir = mkdtempSync(join(tmpdir(), 'pm-e2e-live-http-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'plain-migrate.yaml'), manifest(hd.baseUrl));
    const r = await cli(['pull'], { cwd: dir, endpoint: emu.graphqlUrl, extraEnv: { LEGACY_TOKEN: WRONG } });
    expect(r.exitCode).toBe(1);
    expect(out(r)).toMatch(/connection "legacy"[\s\S]*HTTP 401/);
    expect(out(r)).not.toContain(WRONG);
    expect(out(r)).toContain('***');
    expect(out(r)).toMatch(/check connections\.legacy\.headers/);
  });
});
