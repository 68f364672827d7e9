/**
 * startHelpScoutEmulator: the strict Help Scout Mailbox API 2.0 emulator (source-apis.md §3 and the §8
 * checklist): the OAuth2 client-credentials token endpoint with expiring bearer tokens, `status=active`
 * as the list's default, HAL pages (`_embedded`, `_links`, `page`) with `_embedded` omitted when a page is
 * empty, threads newest first, X-RateLimit-*-Minute headers and 429 with X-RateLimit-Retry-After.
 * Pipeline for each /v2 request: route (404/405) → auth (401, spends no budget) → rate limit (429) →
 * latency → faults → the endpoint. The token endpoint has no budget of its own here ([u]).
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBody, sendJson, sleep } from '../common/http.js';
import { parseIso8601 } from '../common/iso8601.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { checkHelpScoutSeed } from './seed.js';
import { AccountChangeError, HelpScoutStore, type ConversationRecord } from './store.js';
import {
  CONFIG_KEYS,
  type HelpScoutConfig,
  type HelpScoutConfigKey,
  type HelpScoutEmulator,
  type HelpScoutEmulatorOptions,
  type HelpScoutFaultAction,
  type HelpScoutFaultRule,
  type HelpScoutOperation,
  type HelpScoutRequestLog,
  type HsObject,
} from './types.js';

export const DEFAULT_REQUESTS_PER_MINUTE = 200;
export const DEFAULT_TOKEN_TTL_SECONDS = 172_800;
export const DEFAULT_CLIENT_ID = 'hs-emulator-app';
export const DEFAULT_CLIENT_SECRET = 'hs-emulator-secret';
/** Page sizes are fixed: 25 for List Conversations, 50 elsewhere (source-apis.md §3 Pagination). */
export const CONVERSATIONS_PAGE = 25;
export const PAGE = 50;
const SIMPLE_ACTIONS: readonly HelpScoutFaultAction[] = ['rate-limit', 'reset', 'hang'];

interface Answer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

let logRefs = 0;
/** HAL vnd.error (source-apis.md §3 Auth: the validation error payload). */
function vndError(status: number, message: string, errors?: Array<{ path: string; message: string; rejectedValue?: unknown }>): Answer {
  const body: HsObject = { logRef: `${randomBytes(4).toString('hex')}#${++logRefs}`, message };
  if (errors) body._embedded = { errors };
  return { status, body, headers: { 'content-type': 'application/vnd.error+json' } };
}

/**
 * The 401 for a missing, unknown or expired token. Help Scout answers the same generic 401 whether the
 * token expired or is invalid (helpscout/helpscout-api-php#153); its exact body is [u] (source-apis.md §3).
 */
const UNAUTHORIZED = (): Answer => ({ ...vndError(401, 'Unauthorized: the access token is invalid or expired'), headers: { 'www-authenticate': 'Bearer realm="api"' } });

type Handler = (q: URLSearchParams, params: number[]) => Answer;
interface Route {
  name: HelpScoutOperation;
  pattern: RegExp;
  handle: Handler;
}

export async function startHelpScoutEmulator(opts: HelpScoutEmulatorOptions = {}): Promise<HelpScoutEmulator> {
  const owner = 'startHelpScoutEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const creds = { clientId: opts.clientId ?? DEFAULT_CLIENT_ID, clientSecret: opts.clientSecret ?? DEFAULT_CLIENT_SECRET };
  const config: HelpScoutConfig = {
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, DEFAULT_REQUESTS_PER_MINUTE),
    tokenTtlSeconds: nonNegativeInt(owner, 'tokenTtlSeconds', opts.tokenTtlSeconds, DEFAULT_TOKEN_TTL_SECONDS),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
    retryAfterSeconds: opts.retryAfterSeconds === undefined ? -1 : nonNegativeInt(owner, 'retryAfterSeconds', opts.retryAfterSeconds, 0),
  };
  const store = new HelpScoutStore(checkHelpScoutSeed(opts.seed ?? {}), now);
  const log = new RequestLog<HelpScoutRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<HelpScoutFaultRule>();
  const limiter = new RateLimiter(config.requestsPerMinute, () => new Date(now()));
  /** Issued tokens and when each expires (ms). */
  const tokens = new Map<string, number>();
  const held = new HeldRequests();
  let baseUrl = '';

  // ---------------------------------------------------------------- HAL pages

  function pageNumber(q: URLSearchParams): number | Answer {
    const raw = q.get('page');
    if (raw === null) return 1;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < 1) return vndError(400, 'Validation error', [{ path: 'page', message: 'must be greater than or equal to 1', rejectedValue: raw }]);
    return n;
  }

  /** One HAL page of `items` (source-apis.md §3 skeleton): `_embedded` only when the page has items. */
  function halPage(path: string, q: URLSearchParams, key: string, items: HsObject[], size: number): Answer {
    const number = pageNumber(q);
    if (typeof number !== 'number') return number;
    const totalPages = Math.ceil(items.length / size);
    const slice = items.slice((number - 1) * size, number * size);
    const link = (p: number): { href: string } => {
      const u = new URL(`${baseUrl}${path}`);
      for (const [k, v] of q) if (k !== 'page') u.searchParams.append(k, v);
      u.searchParams.set('page', String(p));
      return { href: u.href };
    };
    const links: HsObject = { self: link(number), first: link(1), last: link(Math.max(1, totalPages)) };
    if (number < totalPages) links.next = link(number + 1);
    if (number > 1) links.previous = link(Math.min(number - 1, Math.max(1, totalPages)));
    const body: HsObject = {};
    if (slice.length > 0) body._embedded = { [key]: slice };
    body._links = links;
    body.page = { size, totalElements: items.length, totalPages, number };
    return { status: 200, body };
  }

  // ---------------------------------------------------------------- endpoints

  function listConversations(q: URLSearchParams): Answer {
    const errors: Array<{ path: string; message: string; rejectedValue?: unknown }> = [];
    // The default is status=active (source-apis.md §3 Endpoints, §8).
    const status = q.get('status') ?? 'active';
    if (!['active', 'pending', 'closed', 'spam', 'all'].includes(status)) errors.push({ path: 'status', message: 'must be one of active, pending, closed, spam, all', rejectedValue: status });
    const since = q.get('modifiedSince');
    const sinceMs = since === null ? undefined : parseIso8601(since);
    if (since !== null && sinceMs === undefined) errors.push({ path: 'modifiedSince', message: 'must be an ISO 8601 date-time (2018-05-04T12:00:03Z)', rejectedValue: since });
    const sortField = q.get('sortField') ?? 'createdAt';
    if (!['createdAt', 'modifiedAt', 'number', 'status', 'subject'].includes(sortField)) errors.push({ path: 'sortField', message: 'is not a sortable field', rejectedValue: sortField });
    const sortOrder = (q.get('sortOrder') ?? 'desc').toLowerCase();
    if (sortOrder !== 'asc' && sortOrder !== 'desc') errors.push({ path: 'sortOrder', message: 'must be asc or desc', rejectedValue: sortOrder });
    const mailbox = q.get('mailbox');
    const mailboxes = mailbox === null ? undefined : mailbox.split(',').map(Number);
    if (mailboxes?.some((m) => !Number.isInteger(m))) errors.push({ path: 'mailbox', message: 'must be a comma-separated list of mailbox ids', rejectedValue: mailbox });
    if (errors.length > 0) return vndError(400, 'Validation error', errors);
    const key = (c: ConversationRecord): number | string => {
      if (sortField === 'modifiedAt') return c.modifiedMs;
      if (sortField === 'createdAt') return parseIso8601(String(c.data.createdAt)) ?? 0;
      const v = c.data[sortField];
      return typeof v === 'number' ? v : String(v ?? '');
    };
    const list = [...store.conversations.values()]
      .filter((c) => {
        // Deleted conversations are listed only with status=all, with state "deleted" ([u]: source-apis.md §3 Endpoints).
        if (status === 'all') return true;
        if (c.data.state === 'deleted') return false;
        return c.data.status === status;
      })
      .filter((c) => sinceMs === undefined || c.modifiedMs >= sinceMs)
      .filter((c) => mailboxes === undefined || mailboxes.includes(c.data.mailboxId as number))
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        const d = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
        return sortOrder === 'asc' ? d : -d;
      });
    const items = list.map((c) => {
      const out = structuredClone(c.data);
      // embed=threads: the first page of threads only (source-apis.md §3 Gotchas).
      if ((q.get('embed') ?? '').split(',').includes('threads')) out._embedded = { ...(out._embedded as HsObject | undefined), threads: store.threadsNewestFirst(c).slice(0, PAGE).map(threadView(c)) };
      out._links = { self: { href: `${baseUrl}/v2/conversations/${c.id}` }, threads: { href: `${baseUrl}/v2/conversations/${c.id}/threads` } };
      return out;
    });
    return halPage('/v2/conversations', q, 'conversations', items, CONVERSATIONS_PAGE);
  }

  const threadView =
    (c: ConversationRecord) =>
    (t: HsObject): HsObject => {
      const out = structuredClone(t);
      const emb = out._embedded as HsObject | undefined;
      const atts = Array.isArray(emb?.attachments) ? (emb.attachments as HsObject[]) : [];
      for (const a of atts) {
        a._links = {
          ...(a._links as HsObject | undefined),
          data: { href: `${baseUrl}/v2/conversations/${c.id}/attachments/${String(a.id)}/data` },
        };
      }
      return out;
    };

  function getConversation(_q: URLSearchParams, [id]: number[]): Answer {
    const c = store.conversations.get(id!);
    if (!c || c.data.state === 'deleted') return vndError(404, 'Resource not found');
    return { status: 200, body: structuredClone(c.data) };
  }

  function listThreads(q: URLSearchParams, [id]: number[]): Answer {
    const c = store.conversations.get(id!);
    // A deleted conversation is gone from the API: 404 ([u]).
    if (!c || c.data.state === 'deleted') return vndError(404, 'Resource not found');
    return halPage(`/v2/conversations/${id}/threads`, q, 'threads', store.threadsNewestFirst(c).map(threadView(c)), PAGE);
  }

  function attachmentData(_q: URLSearchParams, [cid, aid]: number[]): Answer {
    const a = store.attachment(cid!, aid!);
    if (!a) return vndError(404, 'Resource not found');
    const size = typeof a.size === 'number' ? a.size : 16;
    const bytes = Buffer.alloc(size, `${String(a.filename ?? 'file')}:${aid}\n`);
    // The bytes come base64-encoded in JSON (source-apis.md §3 Endpoints: attachment bytes).
    return { status: 200, body: { data: bytes.toString('base64') } };
  }

  function listCustomers(q: URLSearchParams): Answer {
    const since = q.get('modifiedSince');
    const sinceMs = since === null ? undefined : parseIso8601(since);
    if (since !== null && sinceMs === undefined) return vndError(400, 'Validation error', [{ path: 'modifiedSince', message: 'must be an ISO 8601 date-time', rejectedValue: since }]);
    const sortField = q.get('sortField') ?? 'createdAt';
    if (!['createdAt', 'modifiedAt', 'firstName', 'lastName', 'score'].includes(sortField)) return vndError(400, 'Validation error', [{ path: 'sortField', message: 'is not a sortable field', rejectedValue: sortField }]);
    const sortOrder = (q.get('sortOrder') ?? 'desc').toLowerCase();
    const key = (c: { modifiedMs: number; data: HsObject }): number | string =>
      sortField === 'modifiedAt' ? c.modifiedMs : sortField === 'createdAt' ? (parseIso8601(String(c.data.createdAt)) ?? 0) : String(c.data[sortField] ?? '');
    const list = [...store.customers.values()]
      .filter((c) => sinceMs === undefined || c.modifiedMs >= sinceMs)
      .sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        const d = ka < kb ? -1 : ka > kb ? 1 : a.id - b.id;
        return sortOrder === 'asc' ? d : -d;
      });
    return halPage('/v2/customers', q, 'customers', list.map((c) => structuredClone(c.data)), PAGE);
  }

  const routes: Route[] = [
    { name: 'conversations.list', pattern: /^\/v2\/conversations\/?$/, handle: listConversations },
    { name: 'threads.list', pattern: /^\/v2\/conversations\/(\d+)\/threads\/?$/, handle: listThreads },
    { name: 'attachment.data', pattern: /^\/v2\/conversations\/(\d+)\/attachments\/(\d+)\/data\/?$/, handle: attachmentData },
    { name: 'conversations.get', pattern: /^\/v2\/conversations\/(\d+)\/?$/, handle: getConversation },
    { name: 'customers.list', pattern: /^\/v2\/customers\/?$/, handle: listCustomers },
    { name: 'users.list', pattern: /^\/v2\/users\/?$/, handle: (q) => halPage('/v2/users', q, 'users', store.users.map((u) => structuredClone(u)), PAGE) },
    { name: 'mailboxes.list', pattern: /^\/v2\/mailboxes\/?$/, handle: (q) => halPage('/v2/mailboxes', q, 'mailboxes', store.mailboxes.map((m) => structuredClone(m)), PAGE) },
  ];

  // ---------------------------------------------------------------- auth

  /** POST /v2/oauth2/token: JSON, form or query parameters (source-apis.md §3 Auth). */
  async function token(req: IncomingMessage, url: URL): Promise<Answer> {
    const raw = await readBody(req);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    let params: Record<string, unknown> = Object.fromEntries(url.searchParams);
    if (raw.trim() !== '') {
      if (type === 'application/json') {
        try {
          const v = JSON.parse(raw) as unknown;
          if (typeof v === 'object' && v !== null && !Array.isArray(v)) params = { ...params, ...(v as Record<string, unknown>) };
        } catch {
          return { status: 400, body: { error: 'invalid_request', error_description: 'The request body is not valid JSON' } };
        }
      } else if (type === 'application/x-www-form-urlencoded') {
        params = { ...params, ...Object.fromEntries(new URLSearchParams(raw)) };
      } else {
        return { status: 400, body: { error: 'invalid_request', error_description: 'Unsupported Content-Type' } };
      }
    }
    const grant = params.grant_type;
    if (grant === undefined) return { status: 400, body: { error: 'invalid_request', error_description: 'Missing grant_type' } };
    if (grant !== 'client_credentials') return { status: 400, body: { error: 'unsupported_grant_type', error_description: `Unsupported grant type: ${String(grant)}` } };
    if (typeof params.client_id !== 'string' || typeof params.client_secret !== 'string') return { status: 400, body: { error: 'invalid_request', error_description: 'Missing client_id or client_secret' } };
    // The body of a refused client is [u]: OAuth2's invalid_client.
    if (params.client_id !== creds.clientId || params.client_secret !== creds.clientSecret) return { status: 401, body: { error: 'invalid_client', error_description: 'Bad client credentials' } };
    const access = randomBytes(24).toString('hex');
    tokens.set(access, now() + config.tokenTtlSeconds * 1000);
    // No refresh_token for the client-credentials grant (source-apis.md §3 Auth).
    return { status: 200, body: { token_type: 'bearer', access_token: access, expires_in: config.tokenTtlSeconds } };
  }

  function authenticated(req: IncomingMessage): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (!m) return false;
    const exp = tokens.get(m[1]!);
    return exp !== undefined && now() < exp;
  }

  // ---------------------------------------------------------------- pipeline

  /** X-RateLimit-*-Minute from the limiter's headers (source-apis.md §3 Rate limits). */
  function rateHeaders(h: Record<string, string>): Record<string, string> {
    return { 'x-ratelimit-limit-minute': h['x-ratelimit-limit'] ?? '0', 'x-ratelimit-remaining-minute': h['x-ratelimit-remaining'] ?? '0' };
  }

  function tooMany(limited: Record<string, string>, override?: number): Answer {
    const retry = override ?? (config.retryAfterSeconds >= 0 ? config.retryAfterSeconds : Number(limited['retry-after'] ?? 60));
    // No standard Retry-After: Help Scout sends X-RateLimit-Retry-After (seconds), body as ErrorPayloads.php.
    return {
      status: 429,
      body: { message: 'API rate limit exceeded' },
      headers: { ...rateHeaders(limited), 'x-ratelimit-remaining-minute': '0', 'x-ratelimit-retry-after': String(retry) },
    };
  }

  function send(res: ServerResponse, entry: HelpScoutRequestLog, a: Answer, extra: Record<string, string> = {}): void {
    entry.status = a.status;
    if (res.destroyed || res.writableEnded) return;
    const text = a.body === undefined ? '' : JSON.stringify(a.body);
    const { 'content-type': ct, ...rest } = a.headers ?? {};
    res.writeHead(a.status, { ...extra, ...rest, 'content-type': ct ?? 'application/hal+json;charset=UTF-8', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const isToken = /^\/v2\/oauth2\/token\/?$/.test(path);
    const route = routes.find((r) => r.pattern.test(path));
    const entry = log.add({ at: new Date(now()).toISOString(), method, path, query: url.search.slice(1), operation: isToken ? 'oauth2.token' : (route?.name ?? null), status: 0 });
    if (isToken) {
      if (method !== 'POST') return send(res, entry, { ...vndError(405, `Request method '${method}' not supported`), headers: { allow: 'POST' } });
      const fault = faults.decide({ rootFields: ['oauth2.token'], operationName: null });
      if (fault && (applyFault(fault, req, res, entry, {}))) return;
      return send(res, entry, await token(req, url));
    }
    await readBody(req).catch(() => undefined);
    if (!route) return send(res, entry, vndError(404, 'Resource not found'));
    if (method !== 'GET') return send(res, entry, { ...vndError(405, `Request method '${method}' not supported`), headers: { allow: 'GET' } });
    limiter.limitPerMinute = config.requestsPerMinute;
    if (!authenticated(req)) return send(res, entry, UNAUTHORIZED(), rateHeaders(limiter.peek()));
    const decision = limiter.take();
    const headers = rateHeaders(decision.headers);
    if (!decision.allowed) return send(res, entry, tooMany(decision.headers));
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (held.closed) return destroyConnection(req, res);
    const fault = faults.decide({ rootFields: [route.name], operationName: null });
    if (fault && (applyFault(fault, req, res, entry, headers))) return;
    const params = (route.pattern.exec(path) ?? []).slice(1).map(Number);
    send(res, entry, route.handle(url.searchParams, params), headers);
  }

  /** Carries out a fault; true when it answered (or dropped) the request. */
  function applyFault(fault: HelpScoutFaultRule, req: IncomingMessage, res: ServerResponse, entry: HelpScoutRequestLog, headers: Record<string, string>): boolean {
    const status = statusOf(fault.action);
    if (fault.action === 'rate-limit' || status === 429) {
      const a = tooMany(limiter.forcedRejection(fault.retryAfterSeconds), fault.retryAfterSeconds);
      if (fault.omitRetryAfter) delete a.headers?.['x-ratelimit-retry-after'];
      send(res, entry, a);
      return true;
    }
    if (status !== undefined) {
      send(res, entry, vndError(status, status >= 500 ? 'Internal Server Error' : `Injected fault: HTTP ${status}`), headers);
      return true;
    }
    return held.connectionFault(fault.action, req, res);
  }

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    limiter.reset();
  };

  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as HelpScoutConfigKey] = value) },
    fail: (res, status, message) => sendJson(res, status, vndError(status, message).body),
    account: { change: (body) => store.change(body), invalid: AccountChangeError, codes: { method: 'MethodNotAllowed', invalid: 'InvalidValue' } },
  };

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, vndError(500, `Emulator failure: ${e.message}`).body) });
  baseUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    account: { change: (change) => store.change(change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => (config[k as HelpScoutConfigKey] = v), 'retryAfterSeconds'),
    tokens: () => [...tokens.keys()],
    expireTokens: () => {
      for (const k of tokens.keys()) tokens.set(k, now());
    },
    reset,
    close: () => server.close(),
  };
}
