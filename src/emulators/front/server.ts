/**
 * startFrontEmulator: a strict Front Core API on loopback, following ../shared/reference/source-apis.md §5
 * and its §8 checklist ("Front: `_pagination.next` full URLs. events `limit` ≤15. 301 on merged
 * conversations. Burst 429 with remaining > 0. Authenticated `/download/fil_…`."). For each request, in
 * order: route (404 / 405) → auth (401 `_error`, spends nothing) → the company's per-minute budget (429 +
 * Retry-After) → the per-second burst of resource-intensive routes (429 with X-Front-Tier while
 * x-ratelimit-remaining is still > 0) → latency → faults → the endpoint.
 *
 * Rules: every list is `{_pagination: {next}, _links: {self}, _results: []}` and `next` is a full URL on the
 * company host (default http://localhost:PORT, another origin than the 127.0.0.1 it listens on, as
 * {company}.api.frontapp.com is to api2.frontapp.com); `limit` ≤ 100 (events ≤ 15) else 400; unknown query
 * fields are a 400; conversations most recently updated first (trashed ones only with q[statuses][]=trashed);
 * messages and events newest first unless sort_order=asc; comments unpaged (no `_pagination`, §5); teammates
 * and inboxes unpaged; a merged conversation answers 301; attachment bytes only with the Bearer token, and
 * they count against the budget (§5 Endpoints).
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBodyBuffer, sendJson, sleep } from '../common/http.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { checkFrontSeed } from './seed.js';
import { AccountChangeError, FrontStore, type FrEvent } from './store.js';
import {
  CONFIG_KEYS,
  type FrObject,
  type FrontConfig,
  type FrontConfigKey,
  type FrontEmulator,
  type FrontEmulatorOptions,
  type FrontFaultAction,
  type FrontFaultRule,
  type FrontOperation,
  type FrontRequestLog,
} from './types.js';

/** §5 Rate limits: Enterprise. */
export const DEFAULT_REQUESTS_PER_MINUTE = 200;
/** §5 Rate limits: "Burst limits of 5 req/s per resource". */
export const DEFAULT_BURST_PER_SECOND = 5;
export const DEFAULT_TOKEN = 'front-emulator-token';
const MAX_LIMIT = 100;
/** §5 Endpoints: events at most 15 per page. */
export const EVENTS_MAX_LIMIT = 15;
const SIMPLE_ACTIONS: readonly FrontFaultAction[] = ['rate-limit', 'reset', 'hang'];
const STATUSES = ['assigned', 'unassigned', 'archived', 'trashed'];

interface Answer {
  status: number;
  body?: unknown;
  text?: string | Buffer;
  headers?: Record<string, string>;
}

/** §5 Auth: the `_error` body ({status, title, message}). The message text is ours ([u] in §5). */
export const UNAUTHORIZED = { _error: { status: 401, title: 'Unauthorized', message: 'Your API token is invalid, expired or missing.' } };
const error = (status: number, title: string, message: string, details?: string[]): Answer => ({ status, body: { _error: { status, title, message, ...(details ? { details } : {}) } } });
const badRequest = (message: string): Answer => error(400, 'Bad request', message);
const notFound = (what = 'resource'): Answer => error(404, 'Not found', `Unknown ${what}`);
const isAnswer = (v: unknown): v is Answer => typeof v === 'object' && v !== null && 'status' in v && !Array.isArray(v);

interface Ctx {
  q: URLSearchParams;
  path: string;
}

interface Route {
  name: FrontOperation;
  pattern: RegExp;
  /** A resource-intensive route (§5 Rate limits: the burst limit, X-Front-Tier). */
  burst?: boolean;
  handle: (ctx: Ctx, params: string[]) => Answer | Promise<Answer>;
}

export async function startFrontEmulator(opts: FrontEmulatorOptions = {}): Promise<FrontEmulator> {
  const owner = 'startFrontEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const token = opts.token ?? DEFAULT_TOKEN;
  const config: FrontConfig = {
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, DEFAULT_REQUESTS_PER_MINUTE),
    burstPerSecond: nonNegativeInt(owner, 'burstPerSecond', opts.burstPerSecond, DEFAULT_BURST_PER_SECOND),
    retryAfterSeconds: opts.retryAfterSeconds === undefined ? -1 : nonNegativeInt(owner, 'retryAfterSeconds', opts.retryAfterSeconds, 0),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
  };
  const store = new FrontStore(checkFrontSeed(opts.seed ?? {}), now);
  const log = new RequestLog<FrontRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<FrontFaultRule>();
  const limiter = new RateLimiter(config.requestsPerMinute, () => new Date(now()));
  const bursts = new Map<string, { second: number; count: number }>();
  const held = new HeldRequests();
  let company = '';

  // ---------------------------------------------------------------- views

  const link = (path: string): string => `${company}${path}`;
  function attachments(list: unknown): FrObject[] {
    return (Array.isArray(list) ? (list as FrObject[]) : []).map((a) => {
      const { local_path: _l, ...rest } = a;
      return { ...rest, url: link(`/download/${String(a.id)}`) };
    });
  }
  const conversationView = (c: FrObject): FrObject => ({
    _links: { self: link(`/conversations/${String(c.id)}`), related: { events: link(`/conversations/${String(c.id)}/events`), messages: link(`/conversations/${String(c.id)}/messages`), comments: link(`/conversations/${String(c.id)}/comments`) } },
    ...structuredClone(c),
  });
  const childView = (cid: string, kind: 'messages' | 'comments') => (m: FrObject): FrObject => ({
    _links: { self: link(`/${kind}/${String(m.id)}`), related: { conversation: link(`/conversations/${cid}`) } },
    ...structuredClone(m),
    attachments: attachments(m.attachments),
  });
  function eventView(e: FrEvent): FrObject {
    const conv = store.conversations.get(e.conversation_id);
    const target =
      e.type === 'conversations_merged'
        ? { _meta: { type: 'deleted_conversation_ids' }, data: e.deleted_ids ?? [] }
        : e.type === 'comment'
          ? { _meta: { type: 'comment' } }
          : ['inbound', 'outbound', 'out_reply'].includes(e.type)
            ? { _meta: { type: 'message' } }
            : null;
    return {
      _links: { self: link(`/events/${e.id}`) },
      id: e.id,
      type: e.type,
      emitted_at: e.emitted_at,
      conversation: conv ? conversationView(conv) : { id: e.conversation_id },
      source: { _meta: { type: 'api' }, data: null },
      target,
    };
  }

  // ---------------------------------------------------------------- paging

  function unexpected(q: URLSearchParams, allowed: readonly string[]): Answer | undefined {
    for (const k of q.keys()) if (!allowed.includes(k)) return badRequest(`Unknown query parameter "${k}"`);
    return undefined;
  }
  function limitOf(q: URLSearchParams, max: number, dflt: number): number | Answer {
    const raw = q.get('limit');
    if (raw === null) return dflt;
    if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) return badRequest(`"limit" must be an integer between 1 and ${max}`);
    return Number(raw);
  }
  const encodeToken = (route: string, offset: number): string => Buffer.from(JSON.stringify({ r: route, o: offset })).toString('base64url');
  function offsetOf(q: URLSearchParams, route: string): number | Answer {
    const raw = q.get('page_token');
    if (raw === null) return 0;
    try {
      const t = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as { r?: unknown; o?: unknown };
      if (t.r === route && typeof t.o === 'number' && Number.isInteger(t.o) && t.o >= 0) return t.o;
    } catch {
      // fall through
    }
    return badRequest('Invalid page_token');
  }
  /** One page: `_results`, and `_pagination.next` a full URL on the company host carrying page_token (§5 Pagination). */
  function page<T>(rows: T[], view: (r: T) => FrObject, ctx: Ctx, max = MAX_LIMIT, dflt = 50): Answer {
    const limit = limitOf(ctx.q, max, dflt);
    if (isAnswer(limit)) return limit;
    const offset = offsetOf(ctx.q, ctx.path);
    if (isAnswer(offset)) return offset;
    const slice = rows.slice(offset, offset + limit);
    let next: string | null = null;
    if (rows.length > offset + limit) {
      const q = new URLSearchParams(ctx.q);
      q.set('page_token', encodeToken(ctx.path, offset + limit));
      next = `${link(ctx.path)}?${q.toString()}`;
    }
    return { status: 200, body: { _pagination: { next }, _links: { self: link(ctx.path) }, _results: slice.map(view) } };
  }
  const unpaged = (rows: FrObject[], ctx: Ctx): Answer => ({ status: 200, body: { _links: { self: link(ctx.path) }, _results: rows.map((r) => structuredClone(r)) } });
  const sortOrder = (q: URLSearchParams): 1 | -1 | Answer => {
    const v = q.get('sort_order') ?? 'desc';
    return v === 'asc' ? 1 : v === 'desc' ? -1 : badRequest('"sort_order" must be asc or desc');
  };
  const num = (q: URLSearchParams, name: string): number | undefined | Answer => {
    const raw = q.get(name);
    if (raw === null) return undefined;
    const n = Number(raw);
    return raw.trim() !== '' && Number.isFinite(n) ? n : badRequest(`"${name}" must be a unix timestamp in seconds`);
  };

  // ---------------------------------------------------------------- endpoints

  function listConversations(ctx: Ctx): Answer {
    const bad = unexpected(ctx.q, ['limit', 'page_token', 'q[statuses][]', 'sort_by', 'sort_order']);
    if (bad) return bad;
    const statuses = ctx.q.getAll('q[statuses][]');
    for (const s of statuses) if (!STATUSES.includes(s)) return badRequest(`"q[statuses]" must be one of ${STATUSES.join(', ')}`);
    const sortBy = ctx.q.get('sort_by');
    if (sortBy !== null && sortBy !== 'date') return badRequest('"sort_by" must be date');
    const dir = sortOrder(ctx.q);
    if (isAnswer(dir)) return dir;
    // Without q[statuses], trashed conversations are left out (our reading of §5 "q[statuses] ∈ …trashed" [u]).
    const wanted = new Set(statuses.length > 0 ? statuses : ['assigned', 'unassigned', 'archived']);
    const rows = [...store.conversations.values()].filter((c) => wanted.has(c.status === 'deleted' ? 'trashed' : String(c.status)));
    // §5: "most recently updated first" (the company's bump settings: updated_at here).
    rows.sort((a, b) => (store.conversationUpdated(a) - store.conversationUpdated(b)) * dir || String(a.id).localeCompare(String(b.id)) * dir);
    return page(rows, conversationView, ctx);
  }

  function moved(id: string, sub: string): Answer | undefined {
    const into = store.merged.get(id);
    if (into === undefined) return undefined;
    const a = error(301, 'Moved Permanently', `The conversation ${id} was merged into ${into}`);
    return { ...a, headers: { location: link(`/conversations/${into}${sub}`) } };
  }

  function getConversation(ctx: Ctx, [id = '']: string[]): Answer {
    const bad = unexpected(ctx.q, []);
    if (bad) return bad;
    const m = moved(id, '');
    if (m) return m;
    const c = store.conversations.get(id);
    return c ? { status: 200, body: conversationView(c) } : notFound('conversation');
  }

  function messages(ctx: Ctx, [id = '']: string[]): Answer {
    const bad = unexpected(ctx.q, ['limit', 'page_token', 'sort_order']);
    if (bad) return bad;
    const m = moved(id, '/messages');
    if (m) return m;
    if (!store.conversations.has(id)) return notFound('conversation');
    const dir = sortOrder(ctx.q);
    if (isAnswer(dir)) return dir;
    // §5 / source-formats §5: newest first by default.
    const rows = [...(store.messages.get(id) ?? [])].sort((a, b) => (Number(a.created_at) - Number(b.created_at)) * dir || String(a.id).localeCompare(String(b.id)) * dir);
    return page(rows, childView(id, 'messages'), ctx);
  }

  function comments(ctx: Ctx, [id = '']: string[]): Answer {
    const bad = unexpected(ctx.q, []);
    if (bad) return bad;
    const m = moved(id, '/comments');
    if (m) return m;
    if (!store.conversations.has(id)) return notFound('conversation');
    // §5: the spec's listOfComments has no `_pagination`: every comment in one answer.
    const rows = [...(store.comments.get(id) ?? [])].sort((a, b) => Number(a.posted_at) - Number(b.posted_at));
    return { status: 200, body: { _links: { self: link(ctx.path) }, _results: rows.map(childView(id, 'comments')) } };
  }

  function listEvents(ctx: Ctx): Answer {
    const bad = unexpected(ctx.q, ['limit', 'page_token', 'q[after]', 'q[before]', 'q[types][]', 'sort_by', 'sort_order']);
    if (bad) return bad;
    const after = num(ctx.q, 'q[after]');
    if (isAnswer(after)) return after;
    const before = num(ctx.q, 'q[before]');
    if (isAnswer(before)) return before;
    const sortBy = ctx.q.get('sort_by');
    if (sortBy !== null && sortBy !== 'created_at') return badRequest('"sort_by" must be created_at');
    const dir = sortOrder(ctx.q);
    if (isAnswer(dir)) return dir;
    const types = new Set(ctx.q.getAll('q[types][]'));
    const rows = store.events
      .filter((e) => (after === undefined || e.emitted_at > after) && (before === undefined || e.emitted_at < before) && (types.size === 0 || types.has(e.type)))
      .sort((a, b) => (a.emitted_at - b.emitted_at) * dir);
    // §5: at most 15 events per page; limit=16 and above is refused.
    return page(rows, eventView, ctx, EVENTS_MAX_LIMIT, EVENTS_MAX_LIMIT);
  }

  function listContacts(ctx: Ctx): Answer {
    const bad = unexpected(ctx.q, ['limit', 'page_token', 'q[updated_after]', 'q[updated_before]', 'sort_by', 'sort_order']);
    if (bad) return bad;
    const after = num(ctx.q, 'q[updated_after]');
    if (isAnswer(after)) return after;
    const before = num(ctx.q, 'q[updated_before]');
    if (isAnswer(before)) return before;
    const sortBy = ctx.q.get('sort_by') ?? 'created_at';
    if (sortBy !== 'created_at' && sortBy !== 'updated_at') return badRequest('"sort_by" must be created_at or updated_at');
    const dir = sortOrder(ctx.q);
    if (isAnswer(dir)) return dir;
    const at = (c: FrObject): number => Number(c[sortBy] ?? c.created_at ?? 0);
    const upd = (c: FrObject): number => Number(c.updated_at ?? c.created_at ?? 0);
    const rows = [...store.contacts.values()]
      .filter((c) => (after === undefined || upd(c) > after) && (before === undefined || upd(c) < before))
      .sort((a, b) => (at(a) - at(b)) * dir || String(a.id).localeCompare(String(b.id)) * dir);
    return page(rows, (c) => ({ _links: { self: link(`/contacts/${String(c.id)}`) }, ...structuredClone(c) }), ctx);
  }

  function listTags(ctx: Ctx): Answer {
    const bad = unexpected(ctx.q, ['limit', 'page_token', 'sort_by', 'sort_order']);
    if (bad) return bad;
    const sortBy = ctx.q.get('sort_by');
    if (sortBy !== null && sortBy !== 'id') return badRequest('"sort_by" must be id');
    const dir = sortOrder(ctx.q);
    if (isAnswer(dir)) return dir;
    const rows = [...store.tags.values()].sort((a, b) => String(a.id).localeCompare(String(b.id)) * dir);
    return page(rows, (t) => structuredClone(t), ctx);
  }

  async function download(_ctx: Ctx, [id = '']: string[]): Promise<Answer> {
    const a = store.attachments.get(id);
    if (!a) return notFound('attachment');
    let bytes: Buffer | undefined;
    if (a.localPath !== undefined) bytes = await readFile(a.localPath).catch(() => undefined);
    bytes ??= Buffer.from(`front emulator placeholder: ${a.id} ${a.filename}\n`);
    return { status: 200, text: bytes, headers: { 'content-type': a.contentType, 'content-disposition': `attachment; filename="${a.filename.replace(/["\\\r\n]/g, '_')}"` } };
  }

  const routes: Route[] = [
    { name: 'conversations.list', pattern: /^\/conversations$/, handle: listConversations },
    { name: 'conversation.get', pattern: /^\/conversations\/(cnv_[\w-]+)$/, handle: getConversation },
    { name: 'conversation.messages', pattern: /^\/conversations\/(cnv_[\w-]+)\/messages$/, burst: true, handle: messages },
    { name: 'conversation.comments', pattern: /^\/conversations\/(cnv_[\w-]+)\/comments$/, burst: true, handle: comments },
    { name: 'events.list', pattern: /^\/events$/, handle: listEvents },
    { name: 'contacts.list', pattern: /^\/contacts$/, handle: listContacts },
    { name: 'teammates.list', pattern: /^\/teammates$/, handle: (ctx) => unexpected(ctx.q, []) ?? unpaged([...store.teammates.values()], ctx) },
    { name: 'tags.list', pattern: /^\/tags$/, handle: listTags },
    { name: 'inboxes.list', pattern: /^\/inboxes$/, handle: (ctx) => unexpected(ctx.q, []) ?? unpaged([...store.inboxes.values()], ctx) },
    { name: 'attachment.download', pattern: /^\/download\/(fil_[\w-]+)$/, handle: download },
  ];

  // ---------------------------------------------------------------- pipeline

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    limiter.reset();
    bursts.clear();
  };
  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as FrontConfigKey] = value) },
    fail: (res, status, message) => sendJson(res, status, { _error: { status, title: 'Emulator', message } }),
    account: { change: (body) => store.change(body), invalid: AccountChangeError, codes: { method: 'method_not_allowed', invalid: 'invalid_value' } },
  };

  function send(res: ServerResponse, entry: FrontRequestLog, a: Answer, extra: Record<string, string> = {}): void {
    entry.status = a.status;
    const headers = { ...extra, ...a.headers };
    if (a.text === undefined) return sendJson(res, a.status, a.body, headers);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(a.status, { ...headers, 'content-length': String(Buffer.byteLength(a.text)) });
    res.end(a.text);
  }

  /** §5 Rate limits: x-ratelimit-limit, -remaining, -reset (a unix timestamp). */
  const rateHeaders = (h: Record<string, string>): Record<string, string> => ({
    'x-ratelimit-limit': h['x-ratelimit-limit'] ?? '0',
    'x-ratelimit-remaining': h['x-ratelimit-remaining'] ?? '0',
    'x-ratelimit-reset': String(Math.ceil(Date.parse(h['x-ratelimit-reset'] ?? new Date(now()).toISOString()) / 1000)),
  });
  const tooMany = (headers: Record<string, string>, retryAfter: number, extra: Record<string, string> = {}): Answer => ({
    ...error(429, 'Too Many Requests', 'Rate limit exceeded. Please retry in a moment.'),
    headers: { ...headers, ...extra, 'retry-after': String(retryAfter) },
  });

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routes.find((r) => r.pattern.test(path));
    const entry = log.add({ at: new Date(now()).toISOString(), method, host: req.headers.host ?? '', path, query: url.search.slice(1), operation: route?.name ?? null, status: 0, authorized: req.headers.authorization !== undefined });
    await readBodyBuffer(req).catch(() => undefined);
    if (!route) return send(res, entry, notFound());
    if (method !== 'GET' && method !== 'HEAD') return send(res, entry, { ...error(405, 'Method not allowed', `${method} is not allowed here`), headers: { allow: 'GET' } });
    // §5 Auth: Bearer {API token}; the attachment download too (§8 "Authenticated /download/fil_…").
    if ((req.headers.authorization ?? '') !== `Bearer ${token}`) return send(res, entry, { status: 401, body: UNAUTHORIZED });
    limiter.limitPerMinute = config.requestsPerMinute;
    const taken = limiter.take();
    const headers = rateHeaders(taken.headers);
    if (!taken.allowed) return send(res, entry, tooMany(headers, config.retryAfterSeconds >= 0 ? config.retryAfterSeconds : Number(taken.headers['retry-after'] ?? 60)));
    if (route.burst && config.burstPerSecond > 0) {
      // §5 Rate limits: a burst 429 on a resource-intensive route, sent with X-Front-Tier while the company
      // budget still has room (x-ratelimit-remaining > 0). The header's value is ours [u].
      const second = Math.floor(now() / 1000);
      const b = bursts.get(route.name);
      if (!b || b.second !== second) bursts.set(route.name, { second, count: 1 });
      else if (++b.count > config.burstPerSecond) return send(res, entry, tooMany(headers, 1, { 'x-front-tier': 'tier-2' }));
    }
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (held.closed) return destroyConnection(req, res);

    const fault = faults.decide({ rootFields: [route.name], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) {
      // As if the budget were spent, with the window ending when Retry-After says.
      const retry = fault?.retryAfterSeconds ?? 1;
      const a = tooMany({ ...headers, 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(Math.ceil(now() / 1000) + retry) }, retry);
      if (fault?.omitRetryAfter) delete a.headers?.['retry-after'];
      return send(res, entry, a);
    }
    if (status !== undefined) return send(res, entry, error(status, 'Injected fault', `Injected fault: HTTP ${status}`), headers);
    if (held.connectionFault(fault?.action, req, res)) return;
    const params = (route.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    send(res, entry, await route.handle({ q: url.searchParams, path }, params), headers);
  }

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, { _error: { status: 500, title: 'Internal error', message: `Emulator failure: ${e.message}` } }) });
  company = (opts.companyUrl ?? `http://localhost:${server.port}`).replace(/\/+$/, '');

  return {
    url: server.url,
    companyUrl: company,
    port: server.port,
    store,
    account: { change: (change) => store.change(change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => (config[k as FrontConfigKey] = v), 'retryAfterSeconds'),
    reset,
    close: () => server.close(),
  };
}
