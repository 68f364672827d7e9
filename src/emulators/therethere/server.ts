/**
 * startThereThereEmulator: routing and the request pipeline. For each /api request, in order:
 * route (404 / 405) → body (413) → auth (401) → X-Workspace-Id (400 / 403) → rate limit (429) →
 * latency → faults → the endpoint (404 binding, 403 admin, 422 validation, 200 / 201 / 204).
 * 401 and workspace refusals do not spend the rate budget.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleAdminRoutes, type AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { BodyTooLarge, destroyConnection, readBodyBuffer, sendJson, sleep } from '../common/http.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { listenLoopback, nonNegativeInt } from '../common/server.js';
import { createUlidGenerator } from '../common/ulid.js';
import { addTag, getTicket, importTicket, postNote, putAssignee, putStatus, removeTag, withTicket, type Answer, type RequestContext } from './rules.js';
import { checkThereThereSeed, resolveSeed } from './seed.js';
import { ThereThereStore } from './store.js';
import type { ThereThereFaultAction, ThereThereFaultRule, ThereThereRequestLog, ThereThereSeed, ThereThereStateSnapshot, TokenRecord } from './types.js';
import { filePart, uploadFile } from './uploads.js';
import { channelView, tagView, userView } from './views.js';

export interface ThereThereEmulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  seed?: ThereThereSeed;
  /** POST /api/tickets/import per minute and user. Default 300 (the documented limit); 0 = unlimited. */
  importRateLimitPerMinute?: number;
  /** Every other /api request per minute and user. Default 0 = unlimited (an older docs page said 60). */
  apiRateLimitPerMinute?: number;
  /** Delay before answering each /api request. Default 0. */
  latencyMs?: number;
  /** Clock for "in the past" checks, the rate windows, ULIDs, upload expiry and the request log. */
  now?: () => Date;
  /** How many requests the log keeps (oldest dropped). Default 10 000. */
  maxLoggedRequests?: number;
}

export interface ThereThereEmulator {
  /** http://127.0.0.1:PORT (the API is under /api). */
  readonly url: string;
  readonly port: number;
  /** Same JSON as GET /__emulator/state. */
  snapshot(): ThereThereStateSnapshot;
  requests(): ThereThereRequestLog[];
  /** Same as POST /__emulator/reset. */
  reset(): void;
  /** Stops listening, releases hung requests and destroys every open socket. */
  close(): Promise<void>;
}

export const DEFAULT_IMPORT_RATE_LIMIT = 300;
const JSON_BODY_LIMIT = 32 * 1024 * 1024;
const UPLOAD_BODY_LIMIT = 64 * 1024 * 1024;
const SIMPLE_ACTIONS: readonly ThereThereFaultAction[] = ['reset', 'hang', 'drop-after-commit', 'rate-limit'];
const CONFIG_KEYS = ['importRateLimitPerMinute', 'apiRateLimitPerMinute', 'latencyMs'] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];

type Bucket = 'import' | 'api';

interface Route {
  /** The `operation` fault rules match. */
  name: string;
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  pattern: RegExp;
  bucket: Bucket;
  handle(ctx: RequestContext, params: string[], raw: Buffer, contentType: string | undefined): Answer;
}

const SEG = '([^/]+)';
const ROUTES: Route[] = [
  { name: 'import', method: 'POST', pattern: /^\/api\/tickets\/import$/, bucket: 'import', handle: (ctx) => importTicket(ctx) },
  { name: 'getTicket', method: 'GET', pattern: new RegExp(`^/api/tickets/${SEG}$`), bucket: 'api', handle: withTicket(getTicket) },
  { name: 'status', method: 'PUT', pattern: new RegExp(`^/api/tickets/${SEG}/status$`), bucket: 'api', handle: withTicket(putStatus) },
  { name: 'assignee', method: 'PUT', pattern: new RegExp(`^/api/tickets/${SEG}/assignee$`), bucket: 'api', handle: withTicket(putAssignee) },
  { name: 'addTag', method: 'POST', pattern: new RegExp(`^/api/tickets/${SEG}/tags/${SEG}$`), bucket: 'api', handle: withTicket(addTag) },
  { name: 'removeTag', method: 'DELETE', pattern: new RegExp(`^/api/tickets/${SEG}/tags/${SEG}$`), bucket: 'api', handle: withTicket(removeTag) },
  { name: 'note', method: 'POST', pattern: new RegExp(`^/api/tickets/${SEG}/note$`), bucket: 'api', handle: withTicket(postNote) },
  { name: 'upload', method: 'POST', pattern: /^\/api\/attachments$/, bucket: 'api', handle: (ctx, _p, raw, type) => uploadFile(ctx, raw, type) },
  {
    name: 'channels',
    method: 'GET',
    pattern: /^\/api\/channels$/,
    bucket: 'api',
    handle: (ctx) => ({ status: 200, body: { data: ctx.store.channels.filter((c) => ctx.store.canAccess(ctx.token, c)).map(channelView) } }),
  },
  {
    name: 'channel',
    method: 'GET',
    pattern: new RegExp(`^/api/channels/${SEG}$`),
    bucket: 'api',
    handle: (ctx, [ulid = '']) => {
      const c = ctx.store.channel(ulid);
      return c && ctx.store.canAccess(ctx.token, c) ? { status: 200, body: { data: channelView(c) } } : { status: 404, body: { message: `No query results for model [App\\Models\\Channel] ${ulid}` } };
    },
  },
  { name: 'members', method: 'GET', pattern: /^\/api\/members$/, bucket: 'api', handle: (ctx) => ({ status: 200, body: { data: ctx.store.members.filter((m) => m.active).map(userView) } }) },
  { name: 'tags', method: 'GET', pattern: /^\/api\/tags$/, bucket: 'api', handle: (ctx) => ({ status: 200, body: { data: ctx.store.tags.map(tagView) } }) },
  {
    name: 'me',
    method: 'GET',
    pattern: /^\/api\/me$/,
    bucket: 'api',
    handle: (ctx) => ({ status: 200, body: { data: { user: userView(ctx.token.owner), workspace: { ...ctx.store.workspace } } } }),
  },
];

const REASONS: Record<number, string> = { 500: 'Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout', 429: 'Too Many Attempts.' };
const TOO_MANY = { message: 'Too Many Attempts.' };

function isJson(contentType: string | undefined): boolean {
  return /[/+]json\b/i.test((contentType ?? '').split(';')[0] ?? '');
}

/** Laravel's throttle headers from the shared limiter's: X-RateLimit-Reset (epoch seconds) and Retry-After only on a 429. */
function laravelRateHeaders(h: Record<string, string>, rejected: boolean): Record<string, string> {
  const out: Record<string, string> = { 'x-ratelimit-limit': h['x-ratelimit-limit'] ?? '0', 'x-ratelimit-remaining': h['x-ratelimit-remaining'] ?? '0' };
  if (rejected) {
    if (h['retry-after'] !== undefined) out['retry-after'] = h['retry-after'];
    out['x-ratelimit-reset'] = String(Math.ceil(Date.parse(h['x-ratelimit-reset'] ?? '') / 1000));
  }
  return out;
}

export async function startThereThereEmulator(opts: ThereThereEmulatorOptions = {}): Promise<ThereThereEmulator> {
  const owner = 'startThereThereEmulator';
  const host = opts.host ?? '127.0.0.1';
  const port = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? ((): Date => new Date());
  const seed = checkThereThereSeed(opts.seed ?? {}, 'options.seed');
  const config: Record<ConfigKey, number> = {
    importRateLimitPerMinute: nonNegativeInt(owner, 'importRateLimitPerMinute', opts.importRateLimitPerMinute, DEFAULT_IMPORT_RATE_LIMIT),
    apiRateLimitPerMinute: nonNegativeInt(owner, 'apiRateLimitPerMinute', opts.apiRateLimitPerMinute, 0),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
  };
  const ulid = createUlidGenerator(now);
  const store = new ThereThereStore(resolveSeed(seed, ulid), ulid, now);
  const log = new RequestLog<ThereThereRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<ThereThereFaultRule>();
  const limiters = new Map<string, RateLimiter>();
  const hung = new Set<ServerResponse>();
  let closed = false;
  let baseUrl = '';

  const limiter = (bucket: Bucket, token: TokenRecord): RateLimiter => {
    const key = `${bucket}:${token.owner.ulid}`;
    let l = limiters.get(key);
    if (!l) limiters.set(key, (l = new RateLimiter(0, now)));
    l.limitPerMinute = bucket === 'import' ? config.importRateLimitPerMinute : config.apiRateLimitPerMinute;
    return l;
  };

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    limiters.clear();
  };

  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => (config[key as ConfigKey] = value) },
    fail: (res, status, message) => sendJson(res, status, { message }),
  };

  async function handleApi(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const entry = log.add({ at: now().toISOString(), method, path, status: 0, body: null });
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
      entry.status = status;
      if (body !== undefined) return sendJson(res, status, body, headers);
      if (res.destroyed || res.writableEnded) return;
      res.writeHead(status, headers);
      res.end();
    };

    const matching = ROUTES.map((r) => ({ r, m: r.pattern.exec(path) })).filter((x) => x.m !== null);
    const hit = matching.find((x) => x.r.method === method);
    if (!hit) {
      await readBodyBuffer(req, UPLOAD_BODY_LIMIT).catch(() => undefined);
      if (matching.length === 0) return answer(404, { message: `The route ${path.slice(1)} could not be found.` });
      const allowed = [...new Set(matching.map((x) => x.r.method))].join(', ');
      return answer(405, { message: `The ${method} method is not supported for route ${path.slice(1)}. Supported methods: ${allowed}.` }, { allow: allowed });
    }
    const { r: route } = hit;
    const params = (hit.m?.slice(1) ?? []).map((p) => decodeURIComponent(p));
    const contentType = req.headers['content-type'];
    let raw: Buffer;
    try {
      raw = await readBodyBuffer(req, route.name === 'upload' ? UPLOAD_BODY_LIMIT : JSON_BODY_LIMIT);
    } catch (e) {
      if (e instanceof BodyTooLarge) return answer(413, { message: 'The POST data is too large.' });
      return destroyConnection(req, res);
    }
    let json: unknown;
    if (route.name === 'upload') {
      const part = filePart(raw, contentType);
      entry.body = part ? { file: { filename: part.filename ?? null, size: part.data.length, mime_type: part.contentType ?? null } } : null;
    } else if (raw.length > 0 && isJson(contentType)) {
      try {
        json = JSON.parse(raw.toString('utf8')) as unknown;
        entry.body = json;
      } catch {
        json = undefined; // Laravel reads malformed JSON as no input at all
      }
    }

    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? undefined : store.token(bearer);
    if (!token) return answer(401, { message: 'Unauthenticated.' });

    const ws = req.headers['x-workspace-id'];
    const wsHeader = Array.isArray(ws) ? ws[0] : ws;
    if (wsHeader === undefined || wsHeader.trim() === '') {
      if (token.multiWorkspace) return answer(400, { message: 'The X-Workspace-Id header is required: this token can access more than one workspace.' });
    } else if (!/^\d+$/.test(wsHeader.trim())) {
      return answer(400, { message: 'The X-Workspace-Id header must be a workspace id (an integer).' });
    } else if (Number(wsHeader.trim()) !== store.workspace.id) {
      return answer(403, { message: `This token cannot access workspace ${wsHeader.trim()}.` });
    }

    const lim = limiter(route.bucket, token);
    const rate = lim.take();
    if (!rate.allowed) return answer(429, TOO_MANY, laravelRateHeaders(rate.headers, true));
    const headers = laravelRateHeaders(rate.headers, false);
    if (config.latencyMs > 0) await sleep(config.latencyMs);
    if (closed) return destroyConnection(req, res);

    const fault = faults.decide({ rootFields: [route.name], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) {
      const limited = laravelRateHeaders(lim.forcedRejection(fault?.retryAfterSeconds), true);
      if (fault?.omitRetryAfter) delete limited['retry-after'];
      return answer(429, TOO_MANY, limited);
    }
    if (status !== undefined) return answer(status, { message: REASONS[status] ?? `Injected fault: HTTP ${status}` }, headers);
    if (fault?.action === 'reset') return destroyConnection(req, res);
    if (fault?.action === 'hang') {
      hung.add(res);
      res.on('close', () => hung.delete(res));
      return;
    }

    const ctx: RequestContext = { store, token, nowMs: now().getTime(), baseUrl, json };
    let result: Answer;
    try {
      result = route.handle(ctx, params, raw, contentType);
    } catch (e) {
      result = { status: 500, body: { message: `Emulator failure: ${(e as Error).message}` } };
    }
    if (fault?.action === 'drop-after-commit') return destroyConnection(req, res);
    answer(result.status, result.body, headers);
  }

  const server = await listenLoopback({
    host,
    port,
    route: async (path, req, res) => {
      if (path === '/api' || path.startsWith('/api/')) return handleApi(path, req, res);
      if (await handleAdminRoutes(control, path, req, res)) return;
      sendJson(res, 404, { message: `No route for ${req.method ?? '?'} ${path}: the There There API lives under /api/` });
    },
    failure: (res, e) => sendJson(res, 500, { message: `Emulator failure: ${e.message}` }),
    beforeClose: () => {
      closed = true;
      for (const res of hung) res.destroy();
      hung.clear();
    },
  });
  baseUrl = server.url;

  return {
    url: server.url,
    port: server.port,
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    close: () => server.close(),
  };
}
