/**
 * startFreshdeskEmulator: a strict Freshdesk API v2 on loopback, following
 * ../shared/reference/source-apis.md §2 and its §8 checklist. For each /api/v2 request, in order:
 * route (404 / 405) → auth (401, spends no credit) → account credits (429) → the list limit for the
 * ticket and contact lists (429) → latency → faults → the endpoint. Attachment bytes live on another
 * origin (http://localhost:PORT/fd-attachments/…), pre-signed and expiring, no auth, as S3's.
 *
 * Rules: bodies are bare JSON arrays and the next page is only in `Link: <…>; rel="next"`; per_page 1..100
 * (default 30); the ticket list answers HTTP 400 past page 300; without updated_since it lists only tickets
 * created in the last 30 days; it leaves spam and deleted tickets out (only filter=spam / filter=deleted
 * list them); description, requester and stats only with include=; unknown query fields are a 400;
 * X-RateLimit-Total / -Remaining / -Used-CurrentRequest on every answer, 429 with Retry-After.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBodyBuffer, sendJson, sleep } from '../common/http.js';
import { parseIso8601 } from '../common/iso8601.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { checkFreshdeskSeed } from './seed.js';
import { AccountChangeError, FreshdeskStore, type AttachmentRecord, type Timed } from './store.js';
import {
  CONFIG_KEYS,
  type FdObject,
  type FreshdeskConfig,
  type FreshdeskConfigKey,
  type FreshdeskEmulator,
  type FreshdeskEmulatorOptions,
  type FreshdeskFaultAction,
  type FreshdeskFaultRule,
  type FreshdeskOperation,
  type FreshdeskRequestLog,
} from './types.js';

export const DEFAULT_REQUESTS_PER_MINUTE = 700;
export const DEFAULT_LIST_PER_MINUTE = 200;
/** §2 Page cap: the ticket list stops at page 300. */
export const PAGE_CAP = 300;
const MAX_PER_PAGE = 100;
const DEFAULT_PER_PAGE = 30;
const SIMPLE_ACTIONS: readonly FreshdeskFaultAction[] = ['rate-limit', 'reset', 'hang'];

interface Answer {
  status: number;
  body?: unknown;
  text?: string | Buffer;
  headers?: Record<string, string>;
}

/** §2 Auth: the body of a refused key. */
export const INVALID_CREDENTIALS = { code: 'invalid_credentials', message: 'You have to be logged in to perform this action.' };
const validation = (field: string, message: string, code = 'invalid_value'): Answer => ({ status: 400, body: { description: 'Validation failed', errors: [{ field, message, code }] } });
/** §2 Page cap: verbatim. */
const PAGE_CAP_ERROR = validation('page', 'You cannot access tickets beyond the 300th page. Please provide a smaller page number.');
const notFound = (): Answer => ({ status: 404, body: { code: 'not_found', message: 'The requested resource was not found' } });
const isAnswer = (v: unknown): v is Answer => typeof v === 'object' && v !== null && 'status' in v && !Array.isArray(v);

interface Route {
  name: FreshdeskOperation;
  pattern: RegExp;
  /** Counted against the ticket/contact list limit too (§2 Rate limits). */
  list?: boolean;
  handle: (ctx: Ctx, params: string[]) => Answer;
}

interface Ctx {
  q: URLSearchParams;
  path: string;
}

export async function startFreshdeskEmulator(opts: FreshdeskEmulatorOptions = {}): Promise<FreshdeskEmulator> {
  const owner = 'startFreshdeskEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const apiKey = opts.apiKey ?? 'fd-emulator-key';
  const config: FreshdeskConfig = {
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, DEFAULT_REQUESTS_PER_MINUTE),
    listPerMinute: nonNegativeInt(owner, 'listPerMinute', opts.listPerMinute, DEFAULT_LIST_PER_MINUTE),
    retryAfterSeconds: opts.retryAfterSeconds === undefined ? -1 : nonNegativeInt(owner, 'retryAfterSeconds', opts.retryAfterSeconds, 0),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
    attachmentTtlSeconds: nonNegativeInt(owner, 'attachmentTtlSeconds', opts.attachmentTtlSeconds, 300),
    defaultWindowDays: nonNegativeInt(owner, 'defaultWindowDays', opts.defaultWindowDays, 30),
  };
  const store = new FreshdeskStore(checkFreshdeskSeed(opts.seed ?? {}), now);
  const log = new RequestLog<FreshdeskRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<FreshdeskFaultRule>();
  const clock = (): Date => new Date(now());
  const accountLimiter = new RateLimiter(config.requestsPerMinute, clock);
  const listLimiter = new RateLimiter(config.listPerMinute, clock);
  const held = new HeldRequests();
  const secret = randomBytes(16).toString('hex');
  let baseUrl = '';
  let port = 0;

  // ---------------------------------------------------------------- views

  const sign = (id: number, expires: number): string => createHmac('sha256', secret).update(`${id}:${expires}`).digest('hex').slice(0, 40);
  /** §2 Attachments: a pre-signed URL on another host that expires (§8 "Expiring attachment_url"). */
  const attachmentUrl = (a: AttachmentRecord): string => {
    const expires = Math.floor(now() / 1000) + config.attachmentTtlSeconds;
    return `http://localhost:${port}/fd-attachments/${a.id}/${encodeURIComponent(a.name)}?expires=${expires}&signature=${sign(a.id, expires)}`;
  };
  function withAttachments(data: FdObject): FdObject {
    const out = structuredClone(data);
    if (Array.isArray(out.attachments)) {
      out.attachments = (out.attachments as FdObject[]).map((a) => {
        const { local_path: _l, ...rest } = a;
        const rec = store.attachments.get(a.id as number);
        return rec ? { ...rest, attachment_url: attachmentUrl(rec) } : rest;
      });
    }
    return out;
  }

  function ticketView(t: Timed, include: Set<string>): FdObject {
    const v = withAttachments(t.data);
    if (!include.has('description')) {
      delete v.description;
      delete v.description_text;
    }
    if (include.has('requester')) {
      if (v.requester === undefined) {
        const c = store.contacts.get(v.requester_id as number)?.data;
        v.requester = c ? { id: c.id, name: c.name ?? null, email: c.email ?? null, mobile: c.mobile ?? null, phone: c.phone ?? null } : null;
      }
    } else delete v.requester;
    if (include.has('stats')) {
      v.stats ??= { agent_responded_at: null, requester_responded_at: null, first_responded_at: null, status_updated_at: null, reopened_at: null, resolved_at: null, closed_at: null, pending_since: null };
    } else delete v.stats;
    return v;
  }

  // ---------------------------------------------------------------- paging

  function intParam(q: URLSearchParams, name: string, min: number, max?: number): number | undefined | Answer {
    const raw = q.get(name);
    if (raw === null) return undefined;
    if (!/^\d+$/.test(raw) || Number(raw) < min || (max !== undefined && Number(raw) > max)) {
      return validation(name, max !== undefined ? `It should be a Positive Integer less than or equal to ${max}` : 'It should be a Positive Integer', 'datatype_mismatch');
    }
    return Number(raw);
  }

  function unexpected(q: URLSearchParams, allowed: readonly string[]): Answer | undefined {
    for (const k of q.keys()) if (!allowed.includes(k)) return validation(k, 'Unexpected/invalid field in request', 'invalid_field');
    return undefined;
  }

  /** One page of `rows` as a bare array, the next page in the Link header (§2 Pagination). */
  function page<T>(rows: T[], view: (r: T) => FdObject, ctx: Ctx, cap?: number): Answer {
    const p = intParam(ctx.q, 'page', 1);
    if (isAnswer(p)) return p;
    const per = intParam(ctx.q, 'per_page', 1, MAX_PER_PAGE);
    if (isAnswer(per)) return per;
    const pageNo = p ?? 1;
    const size = per ?? DEFAULT_PER_PAGE;
    if (cap !== undefined && pageNo > cap) return PAGE_CAP_ERROR;
    const slice = rows.slice((pageNo - 1) * size, pageNo * size);
    const headers: Record<string, string> = {};
    if (rows.length > pageNo * size) {
      const next = new URLSearchParams(ctx.q);
      next.set('page', String(pageNo + 1));
      headers.link = `<${baseUrl}${ctx.path}?${next.toString()}>; rel="next"`;
    }
    return { status: 200, body: slice.map(view), headers };
  }

  const byId = (m: Map<number, Timed>): Timed[] => [...m.values()].sort((a, b) => a.id - b.id);

  // ---------------------------------------------------------------- endpoints

  const TICKET_QUERY = ['filter', 'updated_since', 'order_by', 'order_type', 'include', 'page', 'per_page', 'requester_id', 'email', 'company_id'];
  const TICKET_FILTERS = ['new_and_my_open', 'watching', 'spam', 'deleted'];
  const ORDER_BY = ['created_at', 'due_by', 'updated_at', 'status'];
  const INCLUDES = ['description', 'requester', 'stats'];

  function listTickets(ctx: Ctx): Answer {
    const q = ctx.q;
    const bad = unexpected(q, TICKET_QUERY);
    if (bad) return bad;
    const filter = q.get('filter');
    if (filter !== null && !TICKET_FILTERS.includes(filter)) return validation('filter', `It should be one of these values: '${TICKET_FILTERS.join(',')}'`, 'invalid_value');
    const orderBy = q.get('order_by') ?? 'created_at';
    if (!ORDER_BY.includes(orderBy)) return validation('order_by', `It should be one of these values: '${ORDER_BY.join(',')}'`);
    const orderType = q.get('order_type') ?? 'desc';
    if (orderType !== 'asc' && orderType !== 'desc') return validation('order_type', "It should be one of these values: 'asc,desc'");
    const include = new Set((q.get('include') ?? '').split(',').filter((s) => s !== ''));
    for (const i of include) if (!INCLUDES.includes(i)) return validation('include', `It should be one of these values: '${INCLUDES.join(',')}'`);
    const sinceRaw = q.get('updated_since');
    let sinceMs: number | undefined;
    if (sinceRaw !== null) {
      sinceMs = parseIso8601(sinceRaw);
      if (sinceMs === undefined) return validation('updated_since', "It should be in the 'valid date time' format");
    }
    let rows = [...store.tickets.values()].filter((t) => {
      const spam = t.data.spam === true;
      const deleted = t.data.deleted === true;
      if (filter === 'deleted') return deleted;
      if (filter === 'spam') return spam && !deleted;
      if (spam || deleted) return false;
      if (filter === 'new_and_my_open') return t.data.status === 2;
      if (filter === 'watching') return false;
      return true;
    });
    // §2: without updated_since, only tickets created in the last 30 days.
    if (sinceMs !== undefined) rows = rows.filter((t) => t.updatedMs >= sinceMs);
    else rows = rows.filter((t) => t.createdMs >= now() - config.defaultWindowDays * 86_400_000);
    for (const [k, field] of [['requester_id', 'requester_id'], ['company_id', 'company_id']] as const) {
      const v = q.get(k);
      if (v !== null) rows = rows.filter((t) => String(t.data[field]) === v);
    }
    const key = (t: Timed): number | string =>
      orderBy === 'updated_at' ? t.updatedMs : orderBy === 'created_at' ? t.createdMs : orderBy === 'status' ? Number(t.data.status ?? 0) : msOfDue(t.data.due_by);
    const dir = orderType === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const ka = key(a);
      const kb = key(b);
      return (ka < kb ? -1 : ka > kb ? 1 : 0) * dir || (a.id - b.id) * dir;
    });
    return page(rows, (t) => ticketView(t, include), ctx, PAGE_CAP);
  }

  function msOfDue(v: unknown): number {
    return typeof v === 'string' ? (parseIso8601(v) ?? 0) : 0;
  }

  function conversations(ctx: Ctx, [id = '']: string[]): Answer {
    const bad = unexpected(ctx.q, ['page', 'per_page']);
    if (bad) return bad;
    const t = store.tickets.get(Number(id));
    if (!t) return notFound();
    return page(store.ticketConversations(t.id), (c) => withAttachments(c.data), ctx);
  }

  const CONTACT_STATES = ['verified', 'unverified', 'blocked', 'deleted'];
  function listContacts(ctx: Ctx): Answer {
    const q = ctx.q;
    const bad = unexpected(q, ['email', 'mobile', 'phone', 'company_id', 'state', '_updated_since', 'page', 'per_page']);
    if (bad) return bad;
    const state = q.get('state');
    if (state !== null && !CONTACT_STATES.includes(state)) return validation('state', `It should be one of these values: '${CONTACT_STATES.join(',')}'`);
    const sinceRaw = q.get('_updated_since');
    let sinceMs: number | undefined;
    if (sinceRaw !== null) {
      sinceMs = parseIso8601(sinceRaw);
      if (sinceMs === undefined) return validation('_updated_since', "It should be in the 'valid date time' format");
    }
    let rows = byId(store.contacts).filter((c) => (state === 'deleted' ? c.data.deleted === true : c.data.deleted !== true));
    if (state === 'blocked') rows = rows.filter((c) => c.data.blocked === true);
    if (state === 'verified' || state === 'unverified') rows = rows.filter((c) => (c.data.active === true) === (state === 'verified'));
    if (sinceMs !== undefined) rows = rows.filter((c) => c.updatedMs >= sinceMs);
    const email = q.get('email');
    if (email !== null) rows = rows.filter((c) => String(c.data.email ?? '').toLowerCase() === email.toLowerCase());
    return page(rows, (c) => structuredClone(c.data), ctx);
  }

  function plainList(m: Map<number, Timed>, allowed: readonly string[]) {
    return (ctx: Ctx): Answer => unexpected(ctx.q, allowed) ?? page(byId(m), (r) => structuredClone(r.data), ctx);
  }

  const api = (p: string): RegExp => new RegExp(`^/api/v2/${p}$`);
  const routes: Route[] = [
    { name: 'tickets.list', pattern: api('tickets'), list: true, handle: listTickets },
    { name: 'ticket.conversations', pattern: api('tickets/(\\d+)/conversations'), handle: conversations },
    { name: 'contacts.list', pattern: api('contacts'), list: true, handle: listContacts },
    { name: 'agents.list', pattern: api('agents'), handle: plainList(store.agents, ['email', 'mobile', 'phone', 'state', 'page', 'per_page']) },
    { name: 'companies.list', pattern: api('companies'), handle: plainList(store.companies, ['page', 'per_page']) },
  ];
  const DOWNLOAD = /^\/fd-attachments\/(\d+)\/([^/]+)$/;

  async function download(req: IncomingMessage, [id = '', name = '']: string[], q: URLSearchParams): Promise<Answer> {
    const xml = (status: number, code: string, message: string): Answer => ({
      status,
      text: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
      headers: { 'content-type': 'application/xml' },
    });
    // A pre-signed S3 URL refuses a second auth mechanism: credentials must not be forwarded.
    if (req.headers.authorization !== undefined) return xml(400, 'InvalidArgument', 'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified');
    const a = store.attachments.get(Number(id));
    if (!a || decodeURIComponent(name) !== a.name) return xml(404, 'NoSuchKey', 'The specified key does not exist.');
    const expires = Number(q.get('expires'));
    if (q.get('signature') !== sign(a.id, expires)) return xml(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.');
    if (Math.floor(now() / 1000) > expires) return xml(403, 'AccessDenied', 'Request has expired');
    let bytes: Buffer | undefined;
    if (a.localPath !== undefined) bytes = await readFile(a.localPath).catch(() => undefined);
    bytes ??= placeholder(a);
    return { status: 200, text: bytes, headers: { 'content-type': a.contentType, 'content-disposition': `attachment; filename="${a.name.replace(/["\\\r\n]/g, '_')}"` } };
  }

  // ---------------------------------------------------------------- pipeline

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    accountLimiter.reset();
    listLimiter.reset();
  };
  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as FreshdeskConfigKey] = value) },
    fail: (res, status, message, code) => sendJson(res, status, { code, message }),
    account: { change: (body) => store.change(body), invalid: AccountChangeError, codes: { method: 'method_not_allowed', invalid: 'invalid_value' } },
  };

  function send(res: ServerResponse, entry: FreshdeskRequestLog, a: Answer, extra: Record<string, string> = {}): void {
    entry.status = a.status;
    const headers = { 'x-freshdesk-api-version': 'latest=v2; requested=v2', ...extra, ...a.headers };
    if (a.text === undefined) return sendJson(res, a.status, a.body, headers);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(a.status, { ...headers, 'content-length': String(Buffer.byteLength(a.text)) });
    res.end(a.text);
  }

  /** §2 Rate limits: X-RateLimit-Total, -Remaining, -Used-CurrentRequest. */
  const rateHeaders = (h: Record<string, string>, used: number): Record<string, string> => ({
    'x-ratelimit-total': h['x-ratelimit-limit'] ?? '0',
    'x-ratelimit-remaining': h['x-ratelimit-remaining'] ?? '0',
    'x-ratelimit-used-currentrequest': String(used),
  });

  function tooMany(limited: Record<string, string>, base: Record<string, string>, override?: number): Answer {
    const retry = override ?? (config.retryAfterSeconds >= 0 ? config.retryAfterSeconds : Number(limited['retry-after'] ?? 60));
    // The 429 body is not documented (§2 Rate limits [u]): Freshdesk's error shape.
    return { status: 429, body: { code: 'rate_limit_exceeded', message: 'You have exceeded the limit of requests per minute' }, headers: { ...base, 'x-ratelimit-remaining': '0', 'retry-after': String(retry) } };
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routes.find((r) => r.pattern.test(path));
    const dl = DOWNLOAD.exec(path);
    const entry = log.add({ at: new Date(now()).toISOString(), method, path, query: url.search.slice(1), operation: route?.name ?? (dl ? 'attachment.download' : null), status: 0 });
    await readBodyBuffer(req).catch(() => undefined);
    if (!route && !dl) return send(res, entry, notFound());
    if (method !== 'GET' && method !== 'HEAD') return send(res, entry, { status: 405, body: { code: 'method_not_allowed', message: `${method} is not allowed here` }, headers: { allow: 'GET' } });

    let headers: Record<string, string> = {};
    if (route) {
      accountLimiter.limitPerMinute = config.requestsPerMinute;
      listLimiter.limitPerMinute = config.listPerMinute;
      if (!authorized(req.headers.authorization, apiKey)) return send(res, entry, { status: 401, body: INVALID_CREDENTIALS });
      // include= costs one more credit each (§2 Rate limits: "include= costs extra"; one each is our reading).
      const credits = 1 + (route.name === 'tickets.list' ? (url.searchParams.get('include') ?? '').split(',').filter((s) => s !== '').length : 0);
      let account = accountLimiter.take();
      for (let i = 1; i < credits && account.allowed; i++) account = accountLimiter.take();
      headers = rateHeaders(account.headers, credits);
      if (!account.allowed) return send(res, entry, tooMany(account.headers, headers));
      if (route.list) {
        const l = listLimiter.take();
        if (!l.allowed) return send(res, entry, tooMany(l.headers, headers));
      }
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      if (held.closed) return destroyConnection(req, res);
    }

    const fault = faults.decide({ rootFields: [entry.operation ?? ''], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) {
      const a = tooMany((route?.list ? listLimiter : accountLimiter).forcedRejection(), headers, fault?.retryAfterSeconds);
      if (fault?.omitRetryAfter) delete a.headers?.['retry-after'];
      return send(res, entry, a);
    }
    if (status !== undefined) return send(res, entry, { status, body: { code: 'internal_error', message: `Injected fault: HTTP ${status}` } }, headers);
    if (held.connectionFault(fault?.action, req, res)) return;
    if (dl) return send(res, entry, await download(req, dl.slice(1), url.searchParams));
    const params = (route!.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    send(res, entry, route!.handle({ q: url.searchParams, path }, params), headers);
  }

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, { code: 'internal_error', message: `Emulator failure: ${e.message}` }) });
  baseUrl = server.url;
  port = server.port;

  return {
    url: server.url,
    port: server.port,
    store,
    account: { change: (change) => store.change(change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => (config[k as FreshdeskConfigKey] = v), 'retryAfterSeconds'),
    reset,
    close: () => server.close(),
  };
}

/** §2 Auth: Basic base64("{api_key}:{anything}"); the password is not checked. */
export function authorized(header: string | undefined, apiKey: string): boolean {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return false;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  return sep > 0 && decoded.slice(0, sep) === apiKey;
}

function placeholder(a: AttachmentRecord): Buffer {
  const unit = Buffer.from(`freshdesk emulator placeholder: attachment ${a.id} ${a.name}\n`);
  const out = Buffer.alloc(a.size);
  for (let i = 0; i < a.size; i += unit.length) unit.copy(out, i, 0, Math.min(unit.length, a.size - i));
  return out;
}
