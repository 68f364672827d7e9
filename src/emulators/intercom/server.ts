/**
 * startIntercomEmulator: a strict Intercom REST API (2.x) on loopback, following
 * ../shared/reference/source-apis.md §4 and its §8 checklist. For each API request, in order:
 * route (404) → auth (401 error.list, no rate headers, spends no credit) → Intercom-Version (400 when unknown;
 * absent: the app's version) → the 10-second window (429) → latency → faults → the endpoint.
 *
 * Rules: search is POST with its query, sort and cursor in the JSON body (`pagination.starting_after`; a
 * cursor in the query is refused); per_page ≤ 150 (search), ≤ 60 (deleted list); `>`/`<` are strict (the
 * adapter must send `> X OR = X`, as Airbyte does); a date value in milliseconds matches nothing (unix
 * seconds only, intercom-node#381); contact search compares dates by whole UTC day (§4); a retrieve returns
 * only the 500 most recent parts, with `conversation_parts.total_count` counting those returned and
 * `statistics.count_conversation_parts` the true number; a deleted conversation is 404 on retrieve and gone
 * from search; `/conversations/deleted` exists from Intercom-Version 2.16 only (404 before); rate-limit headers
 * X-RateLimit-Limit (per 10 s) / -Remaining / -Reset (unix s) on authenticated answers; 429
 * `rate_limit_exceeded` without Retry-After. Attachment bytes live on another origin (a CDN: no auth; one sent
 * is refused, so that a leak of credentials shows).
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBody, sendJson, sleep } from '../common/http.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { checkIntercomSeed } from './seed.js';
import { AccountChangeError, IntercomStore, type AttachmentRecord, type StoredConversation } from './store.js';
import { CONFIG_KEYS, type IcObject, type IntercomConfig, type IntercomConfigKey, type IntercomEmulator, type IntercomEmulatorOptions, type IntercomFaultAction, type IntercomFaultRule, type IntercomOperation, type IntercomRequestLog } from './types.js';

/** §4 Rate limits: a private app's 10,000 a minute. */
export const DEFAULT_REQUESTS_PER_MINUTE = 10_000;
export const DEFAULT_TOKEN = 'ic-emulator-token';
/** §4: a retrieve returns at most the 500 most recent parts. */
export const PARTS_CAP = 500;
export const WINDOW_S = 10;
const SIMPLE_ACTIONS: readonly IntercomFaultAction[] = ['rate-limit', 'reset', 'hang'];
const VERSIONS = ['1.0', '1.1', '1.2', '1.3', '1.4', '2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.8', '2.9', '2.10', '2.11', '2.12', '2.13', '2.14', '2.15', '2.16', 'Unstable'];

interface Answer {
  status: number;
  body?: unknown;
  text?: string | Buffer;
  headers?: Record<string, string>;
}

const errorList = (status: number, code: string, message: string): Answer => ({ status, body: { type: 'error.list', request_id: randomUUID(), errors: [{ code, message }] } });
/** §4 Auth: verbatim codes and messages. */
export const UNAUTHORIZED = { code: 'unauthorized', message: 'Access Token Invalid' };
const notFound = (): Answer => errorList(404, 'not_found', 'Resource Not Found');
const invalid = (message: string, code = 'parameter_invalid'): Answer => errorList(400, code, message);
const isAnswer = (v: unknown): v is Answer => typeof v === 'object' && v !== null && 'status' in v && !Array.isArray(v);
const isObj = (v: unknown): v is IcObject => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Ctx {
  q: URLSearchParams;
  body: unknown;
  version: string;
}
interface Route {
  name: IntercomOperation;
  method: 'GET' | 'POST';
  pattern: RegExp;
  handle: (ctx: Ctx, params: string[]) => Answer;
}

const versionAtLeast = (v: string, min: string): boolean => {
  if (v === 'Unstable') return true;
  const [a = 0, b = 0] = v.split('.').map(Number);
  const [c = 0, d = 0] = min.split('.').map(Number);
  return a > c || (a === c && b >= d);
};

const cmpId = (a: string, b: string): number => {
  const na = Number(a);
  const nb = Number(b);
  return Number.isFinite(na) && Number.isFinite(nb) ? na - nb : a < b ? -1 : a > b ? 1 : 0;
};

/** The search cursor: base64 of the position [sort value, id] of the last record served (stateless, like Intercom's opaque one). */
const encodeCursor = (v: number, id: string): string => Buffer.from(JSON.stringify([v, id])).toString('base64');
function decodeCursor(s: string): [number, string] | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'string') return [v[0], v[1]];
  } catch {
    // fall through
  }
  return undefined;
}

const DAY = 86_400;

export async function startIntercomEmulator(opts: IntercomEmulatorOptions = {}): Promise<IntercomEmulator> {
  const owner = 'startIntercomEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const token = opts.token ?? DEFAULT_TOKEN;
  const appVersion = opts.appVersion ?? '2.11';
  const config: IntercomConfig = {
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, DEFAULT_REQUESTS_PER_MINUTE),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
    partsCap: nonNegativeInt(owner, 'partsCap', opts.partsCap, PARTS_CAP),
  };
  const store = new IntercomStore(checkIntercomSeed(opts.seed ?? {}), now);
  const log = new RequestLog<IntercomRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<IntercomFaultRule>();
  const held = new HeldRequests();
  let port = 0;
  // §4 Rate limits: fixed 10-second windows of a sixth of the minute's limit.
  let windowStart = -1;
  let used = 0;
  const perWindow = (): number => Math.max(1, Math.ceil(config.requestsPerMinute / 6));
  function take(force = false): { allowed: boolean; headers: Record<string, string> } {
    const t = Math.floor(now() / 1000);
    if (windowStart < 0 || t >= windowStart + WINDOW_S) {
      windowStart = t;
      used = 0;
    }
    const limit = config.requestsPerMinute === 0 ? 1_000_000 : perWindow();
    const allowed = !force && (config.requestsPerMinute === 0 || used < limit);
    if (allowed) used++;
    return { allowed, headers: { 'x-ratelimit-limit': String(limit), 'x-ratelimit-remaining': String(allowed ? Math.max(0, limit - used) : 0), 'x-ratelimit-reset': String(windowStart + WINDOW_S) } };
  }
  const tooMany = (headers: Record<string, string>): Answer => ({ ...errorList(429, 'rate_limit_exceeded', `Exceeded rate limit of ${headers['x-ratelimit-limit']} in 10_seconds`), headers });

  // ---------------------------------------------------------------- views

  /** §4 Attachments: a CDN URL on another origin, no auth. */
  const attachmentUrl = (a: AttachmentRecord): string => `http://localhost:${port}/ic-attachments/${a.key}/${encodeURIComponent(a.name)}`;
  function withAttachments(holder: IcObject): IcObject {
    const out = structuredClone(holder);
    if (Array.isArray(out.attachments)) {
      out.attachments = (out.attachments as IcObject[]).map((a) => {
        const { local_path: _l, __key, ...rest } = a;
        const rec = typeof __key === 'string' ? store.attachments.get(__key) : undefined;
        return rec ? { type: 'upload', ...rest, url: attachmentUrl(rec) } : rest;
      });
    }
    return out;
  }
  /** The conversation as search and list return it: no conversation_parts. */
  function conversationView(c: StoredConversation): IcObject {
    const v = structuredClone(c.data);
    if (isObj(v.source)) v.source = withAttachments(v.source);
    return v;
  }

  // ---------------------------------------------------------------- search

  interface Leaf {
    field: string;
    operator: string;
    value: unknown;
  }
  type Query = Leaf | { operator: 'AND' | 'OR'; value: Query[] };

  function checkQuery(q: unknown, depth: number, fields: readonly string[]): Query | Answer {
    if (!isObj(q)) return invalid('query must be an object', 'query_invalid');
    if (q.operator === 'AND' || q.operator === 'OR') {
      // §4: at most 2 nesting levels and 15 filters per group.
      if (depth >= 2) return invalid('Search query has too many levels of nesting (at most 2)', 'query_invalid');
      if (!Array.isArray(q.value) || q.value.length === 0) return invalid(`${q.operator} needs a non-empty list of filters`, 'query_invalid');
      if (q.value.length > 15) return invalid('A search group has more than 15 filters', 'query_invalid');
      const value: Query[] = [];
      for (const sub of q.value) {
        const r = checkQuery(sub, depth + 1, fields);
        if (isAnswer(r)) return r;
        value.push(r);
      }
      return { operator: q.operator, value };
    }
    if (typeof q.field !== 'string' || !fields.includes(q.field)) return invalid(`Field ${JSON.stringify(q.field)} is not searchable`, 'query_invalid');
    if (typeof q.operator !== 'string' || !['=', '!=', '>', '<', 'IN', 'NIN'].includes(q.operator)) return invalid(`Operator ${JSON.stringify(q.operator)} is not supported`, 'query_invalid');
    if (q.field.endsWith('_at') && ['=', '!=', '>', '<'].includes(q.operator) && !(typeof q.value === 'number' && Number.isInteger(q.value))) {
      return invalid(`The value for ${q.field} must be a unix timestamp in seconds`, 'query_invalid');
    }
    return { field: q.field, operator: q.operator, value: q.value };
  }

  function matches(r: IcObject, q: Query, byDay: boolean): boolean {
    if (q.operator === 'AND') return (q as { value: Query[] }).value.every((s) => matches(r, s, byDay));
    if (q.operator === 'OR') return (q as { value: Query[] }).value.some((s) => matches(r, s, byDay));
    const leaf = q as Leaf;
    let a: unknown = r[leaf.field];
    let b: unknown = leaf.value;
    // §4: contact search compares timestamps by whole calendar day (the workspace's timezone: UTC here).
    if (byDay && leaf.field.endsWith('_at') && typeof a === 'number' && typeof b === 'number') {
      a = Math.floor(a / DAY);
      b = Math.floor(b / DAY);
    }
    const s = (v: unknown): string => (typeof v === 'number' ? String(v) : String(v));
    switch (leaf.operator) {
      case '=':
        return typeof a === 'number' && typeof b === 'number' ? a === b : s(a) === s(b);
      case '!=':
        return typeof a === 'number' && typeof b === 'number' ? a !== b : s(a) !== s(b);
      // Strict comparisons (the spec's table says "Greater (or equal)"; the strict reading is the one that can lose data).
      case '>':
        return typeof a === 'number' && typeof b === 'number' && a > b;
      case '<':
        return typeof a === 'number' && typeof b === 'number' && a < b;
      case 'IN':
        return Array.isArray(b) && b.map(s).includes(s(a));
      case 'NIN':
        return Array.isArray(b) && !b.map(s).includes(s(a));
    }
    return false;
  }

  function search(ctx: Ctx, rows: IcObject[], fields: readonly string[], listType: string, listKey: string, byDay: boolean): Answer {
    for (const k of ctx.q.keys()) return invalid(`Unexpected query parameter ${k}: a search takes its query, sort and pagination in the JSON body`, 'parameter_invalid');
    if (!isObj(ctx.body)) return invalid('The request body must be a JSON object with query', 'parameter_invalid');
    for (const k of Object.keys(ctx.body)) if (!['query', 'sort', 'pagination'].includes(k)) return invalid(`Unexpected body field ${k}`, 'parameter_invalid');
    const query = checkQuery(ctx.body.query, 0, fields);
    if (isAnswer(query)) return query;
    const sort = ctx.body.sort;
    let sortField = 'updated_at';
    let dir = -1;
    if (sort !== undefined) {
      if (!isObj(sort) || typeof sort.field !== 'string' || !fields.includes(sort.field) || !['ascending', 'descending'].includes(sort.order as string)) return invalid('sort must be {field, order: ascending|descending}', 'parameter_invalid');
      sortField = sort.field;
      dir = sort.order === 'ascending' ? 1 : -1;
    }
    const pg = ctx.body.pagination;
    let per = 20;
    let after: [number, string] | undefined;
    if (pg !== undefined) {
      if (!isObj(pg)) return invalid('pagination must be an object', 'parameter_invalid');
      if (pg.per_page !== undefined) {
        if (!(typeof pg.per_page === 'number' && Number.isInteger(pg.per_page) && pg.per_page >= 1 && pg.per_page <= 150)) return invalid('per_page must be between 1 and 150', 'per_page_invalid');
        per = pg.per_page;
      }
      if (pg.starting_after !== undefined && pg.starting_after !== null) {
        after = typeof pg.starting_after === 'string' ? decodeCursor(pg.starting_after) : undefined;
        if (!after) return invalid('starting_after is invalid', 'invalid_param');
      }
    }
    const key = (r: IcObject): number => (typeof r[sortField] === 'number' ? (r[sortField] as number) : 0);
    const all = rows.filter((r) => matches(r, query, byDay)).sort((a, b) => (key(a) - key(b)) * dir || cmpId(String(a.id), String(b.id)) * dir);
    let start = 0;
    if (after) {
      const [v, id] = after;
      start = all.findIndex((r) => (key(r) - v) * dir > 0 || (key(r) === v && cmpId(String(r.id), id) * dir > 0));
      if (start < 0) start = all.length;
    }
    const slice = all.slice(start, start + per);
    const last = slice[slice.length - 1];
    const more = start + per < all.length && last !== undefined;
    const pageNo = Math.floor(start / per) + 1;
    return {
      status: 200,
      body: {
        type: listType,
        total_count: all.length,
        pages: { type: 'pages', page: pageNo, per_page: per, total_pages: Math.max(1, Math.ceil(all.length / per)), ...(more ? { next: { per_page: per, starting_after: encodeCursor(key(last), String(last.id)) } } : {}) },
        [listKey]: slice,
      },
    };
  }

  const CONVERSATION_FIELDS = ['id', 'created_at', 'updated_at', 'state', 'open', 'read', 'priority', 'admin_assignee_id', 'team_assignee_id'];
  const CONTACT_FIELDS = ['id', 'external_id', 'email', 'name', 'role', 'created_at', 'updated_at', 'signed_up_at', 'last_seen_at'];

  // ---------------------------------------------------------------- endpoints

  function retrieve(ctx: Ctx, [id = '']: string[]): Answer {
    for (const k of ctx.q.keys()) if (k !== 'display_as') return invalid(`Unexpected query parameter ${k}`);
    const c = store.conversations.get(id);
    // §8: 404 for deleted conversations.
    if (!c || c.deletedAt !== undefined) return notFound();
    const v = conversationView(c);
    // §4: only the 500 most recent parts; total_count counts what is returned (the true number is in statistics).
    const kept = config.partsCap > 0 ? c.parts.slice(-config.partsCap) : c.parts;
    v.conversation_parts = { type: 'conversation_part.list', conversation_parts: kept.map(withAttachments), total_count: kept.length };
    return { status: 200, body: v };
  }

  function deletedList(ctx: Ctx): Answer {
    // §4: 2.16 and Unstable only.
    if (!versionAtLeast(ctx.version, '2.16')) return notFound();
    for (const k of ctx.q.keys()) if (!['page', 'per_page', 'order'].includes(k)) return invalid(`Unexpected query parameter ${k}`);
    const page = Number(ctx.q.get('page') ?? '1');
    const per = Number(ctx.q.get('per_page') ?? '20');
    const order = ctx.q.get('order') ?? 'desc';
    if (!Number.isInteger(page) || page < 1) return invalid('page must be a positive integer');
    if (!Number.isInteger(per) || per < 1 || per > 60) return invalid('per_page must be between 1 and 60', 'per_page_invalid');
    if (order !== 'asc' && order !== 'desc') return invalid('order must be asc or desc');
    const dir = order === 'asc' ? 1 : -1;
    const rows = [...store.conversations.values()].filter((c) => c.deletedAt !== undefined).sort((a, b) => ((a.deletedAt ?? 0) - (b.deletedAt ?? 0)) * dir || cmpId(a.id, b.id) * dir);
    const slice = rows.slice((page - 1) * per, page * per);
    const totalPages = Math.max(1, Math.ceil(rows.length / per));
    return {
      status: 200,
      body: {
        type: 'conversations.list',
        total_count: rows.length,
        pages: { type: 'pages', next: page < totalPages ? `http://127.0.0.1:${port}/conversations/deleted?per_page=${per}&order=${order}&page=${page + 1}` : null, page, per_page: per, total_pages: totalPages },
        conversations: slice.map((c) => ({ type: 'conversation', id: c.id, metrics_retained: false, deleted_at: c.deletedAt })),
      },
    };
  }

  function listConversations(ctx: Ctx): Answer {
    // §4 gotchas: no documented order; the newest-updated first, so that a pull on it shifts (intercom-node#211).
    for (const k of ctx.q.keys()) if (!['per_page', 'starting_after'].includes(k)) return invalid(`Unexpected query parameter ${k}`);
    const body = { query: { field: 'id', operator: '!=', value: '' }, sort: { field: 'updated_at', order: 'descending' }, pagination: { per_page: Number(ctx.q.get('per_page') ?? '20'), ...(ctx.q.get('starting_after') ? { starting_after: ctx.q.get('starting_after') } : {}) } };
    return search({ ...ctx, q: new URLSearchParams(), body }, store.live().map(conversationView), CONVERSATION_FIELDS, 'conversation.list', 'conversations', false);
  }

  const noQuery = (ctx: Ctx): Answer | undefined => {
    for (const k of ctx.q.keys()) return invalid(`Unexpected query parameter ${k}`);
    return undefined;
  };
  const sorted = (m: Map<string, { id: string; data: IcObject }>): IcObject[] => [...m.values()].sort((a, b) => cmpId(a.id, b.id)).map((r) => structuredClone(r.data));

  const routes: Route[] = [
    { name: 'conversations.search', method: 'POST', pattern: /^\/conversations\/search$/, handle: (ctx) => search(ctx, store.live().map(conversationView), CONVERSATION_FIELDS, 'conversation.list', 'conversations', false) },
    { name: 'conversations.deleted', method: 'GET', pattern: /^\/conversations\/deleted$/, handle: deletedList },
    { name: 'conversation.retrieve', method: 'GET', pattern: /^\/conversations\/([^/]+)$/, handle: retrieve },
    { name: 'conversations.list', method: 'GET', pattern: /^\/conversations$/, handle: listConversations },
    { name: 'contacts.search', method: 'POST', pattern: /^\/contacts\/search$/, handle: (ctx) => search(ctx, sorted(store.contacts), CONTACT_FIELDS, 'list', 'data', true) },
    { name: 'admins.list', method: 'GET', pattern: /^\/admins$/, handle: (ctx) => noQuery(ctx) ?? { status: 200, body: { type: 'admin.list', admins: sorted(store.admins) } } },
    { name: 'tags.list', method: 'GET', pattern: /^\/tags$/, handle: (ctx) => noQuery(ctx) ?? { status: 200, body: { type: 'list', data: sorted(store.tags) } } },
  ];
  const DOWNLOAD = /^\/ic-attachments\/([^/]+)\/([^/]+)$/;

  async function download(req: IncomingMessage, [key = '', name = '']: string[]): Promise<Answer> {
    // A CDN takes no credentials (§4 Attachments [u]): one sent means they left the connection's origin.
    if (req.headers.authorization !== undefined) return { status: 400, text: 'credentials are not accepted here', headers: { 'content-type': 'text/plain' } };
    const a = store.attachments.get(key);
    if (!a || decodeURIComponent(name) !== a.name) return { status: 404, text: 'Not Found', headers: { 'content-type': 'text/plain' } };
    let bytes: Buffer | undefined;
    if (a.localPath !== undefined) bytes = await readFile(a.localPath).catch(() => undefined);
    bytes ??= Buffer.from(`intercom emulator placeholder: ${a.name}\n`.repeat(Math.max(1, Math.ceil(a.size / 40)))).subarray(0, Math.max(1, a.size));
    return { status: 200, text: bytes, headers: { 'content-type': a.contentType } };
  }

  // ---------------------------------------------------------------- pipeline

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    windowStart = -1;
    used = 0;
  };
  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as IntercomConfigKey] = value) },
    fail: (res, status, message, code) => sendJson(res, status, { type: 'error.list', errors: [{ code, message }] }),
    account: { change: (body) => store.change(body), invalid: AccountChangeError, codes: { method: 'method_not_allowed', invalid: 'parameter_invalid' } },
  };

  function send(res: ServerResponse, entry: IntercomRequestLog, a: Answer, extra: Record<string, string> = {}): void {
    entry.status = a.status;
    const headers = { ...extra, ...a.headers };
    if (a.text === undefined) return sendJson(res, a.status, a.body, headers);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(a.status, { ...headers, 'content-length': String(Buffer.byteLength(a.text)) });
    res.end(a.text);
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routes.find((r) => r.pattern.test(path) && r.method === method) ?? routes.find((r) => r.pattern.test(path));
    const dl = DOWNLOAD.exec(path);
    const raw = await readBody(req).catch(() => '');
    const entry = log.add({ at: new Date(now()).toISOString(), method, path, query: url.search.slice(1), operation: route?.name ?? (dl ? 'attachment.download' : null), status: 0 });
    if (!route && !dl) return send(res, entry, notFound());
    if (route && route.method !== method) return send(res, entry, notFound());
    if (dl && method !== 'GET') return send(res, entry, { status: 405, text: 'Method Not Allowed' });

    let headers: Record<string, string> = {};
    let version = appVersion;
    let body: unknown;
    if (route) {
      // §4 Auth: Bearer; the 401 carries no rate-limit headers.
      const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
      if (!m || m[1] !== token) return send(res, entry, { status: 401, body: { type: 'error.list', request_id: randomUUID(), errors: [UNAUTHORIZED] } });
      const v = req.headers['intercom-version'];
      if (typeof v === 'string') {
        if (!VERSIONS.includes(v)) return send(res, entry, errorList(400, 'intercom_version_invalid', `Requested version ${v} is not valid`));
        version = v;
      }
      const w = take();
      headers = w.headers;
      if (!w.allowed) return send(res, entry, tooMany(headers));
      if (route.method === 'POST') {
        try {
          body = raw.trim() === '' ? undefined : (JSON.parse(raw) as unknown);
        } catch {
          return send(res, entry, invalid('The request body is not valid JSON', 'parameter_invalid'), headers);
        }
        entry.body = body;
      }
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      if (held.closed) return destroyConnection(req, res);
    }

    const fault = faults.decide({ rootFields: [entry.operation ?? ''], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) {
      const h = take(true).headers;
      if (fault?.retryAfterSeconds !== undefined) h['x-ratelimit-reset'] = String(Math.floor(now() / 1000) + fault.retryAfterSeconds);
      return send(res, entry, tooMany(h));
    }
    if (status !== undefined) return send(res, entry, errorList(status, 'server_error', `Injected fault: HTTP ${status}`), headers);
    if (held.connectionFault(fault?.action, req, res)) return;
    if (dl) return send(res, entry, await download(req, dl.slice(1)));
    const params = (route!.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    send(res, entry, route!.handle({ q: url.searchParams, body, version }, params), headers);
  }

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, { type: 'error.list', errors: [{ code: 'server_error', message: `Emulator failure: ${e.message}` }] }) });
  port = server.port;

  return {
    url: server.url,
    port: server.port,
    store,
    account: { change: (change) => store.change(change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => (config[k as IntercomConfigKey] = v)),
    reset,
    close: () => server.close(),
  };
}
