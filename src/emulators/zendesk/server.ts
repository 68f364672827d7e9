/**
 * startZendeskEmulator: routing and the request pipeline. For each /api/v2 request (and the
 * authenticated /attachments/token/… redirect), in order: route (404 / 405) → auth (401, spends no
 * budget) → account rate limit (429) → incremental-export limit for /incremental/* (429) → latency →
 * faults → the endpoint. /zdusercontent/… (the attachment bytes) has no auth and no limits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminControl } from '../common/admin.js';
import { FaultInjector, parseFaultBody, statusOf } from '../common/faults.js';
import { destroyConnection, readBodyBuffer, sendJson, sleep } from '../common/http.js';
import { DEFAULT_MAX_LOGGED_REQUESTS, RequestLog } from '../common/log.js';
import { RateLimiter } from '../common/ratelimit.js';
import { applyConfigPatch, HeldRequests, listenEmulator, nonNegativeInt } from '../common/server.js';
import { AccountChangeError, changeAccount } from './account.js';
import { AttachmentHost } from './attachments.js';
import { authenticate } from './auth.js';
import { exportOrganizations, exportTicketEvents, exportTickets, exportUsers, type ExportContext } from './exports.js';
import { zdError, type Answer } from './paging.js';
import { showTicket, showUser, ticketComments, ticketFields } from './resources.js';
import { checkZendeskSeed } from './seed.js';
import { ZendeskStore } from './store.js';
import {
  CONFIG_KEYS,
  type ZendeskConfig,
  type ZendeskConfigKey,
  type ZendeskEmulator,
  type ZendeskEmulatorOptions,
  type ZendeskFaultAction,
  type ZendeskFaultRule,
  type ZendeskOperation,
  type ZendeskRequestLog,
} from './types.js';

export type { ZendeskEmulator, ZendeskEmulatorOptions } from './types.js';

export const DEFAULT_INCREMENTAL_PER_MINUTE = 10;
export const DEFAULT_REQUESTS_PER_MINUTE = 700;
const SIMPLE_ACTIONS: readonly ZendeskFaultAction[] = ['rate-limit', 'reset', 'hang'];
const REASONS: Record<number, [string, string]> = {
  500: ['InternalServerError', 'Something went wrong'],
  502: ['BadGateway', 'Bad gateway'],
  503: ['ServiceUnavailable', 'Service temporarily unavailable'],
  504: ['GatewayTimeout', 'Gateway timeout'],
};

type Handler = (ctx: ExportContext, params: string[]) => Answer;
interface Route {
  name: ZendeskOperation;
  pattern: RegExp;
  incremental?: boolean;
  handle: Handler;
}

const J = '(?:\\.json)?';
const api = (p: string): RegExp => new RegExp(`^/api/v2/${p}${J}$`);

export async function startZendeskEmulator(opts: ZendeskEmulatorOptions = {}): Promise<ZendeskEmulator> {
  const owner = 'startZendeskEmulator';
  const host = opts.host ?? '127.0.0.1';
  const listenPort = nonNegativeInt(owner, 'port', opts.port, 0);
  const now = opts.now ?? Date.now;
  const creds = { email: opts.email ?? 'admin@acme.test', apiToken: opts.apiToken ?? 'zd-emulator-token', oauthToken: opts.oauthToken ?? 'zd-emulator-oauth' };
  const config: ZendeskConfig = {
    incrementalPerMinute: nonNegativeInt(owner, 'incrementalPerMinute', opts.incrementalPerMinute, DEFAULT_INCREMENTAL_PER_MINUTE),
    requestsPerMinute: nonNegativeInt(owner, 'requestsPerMinute', opts.requestsPerMinute, DEFAULT_REQUESTS_PER_MINUTE),
    retryAfterSeconds: opts.retryAfterSeconds === undefined ? -1 : nonNegativeInt(owner, 'retryAfterSeconds', opts.retryAfterSeconds, 0),
    minStartTimeLagSeconds: nonNegativeInt(owner, 'minStartTimeLagSeconds', opts.minStartTimeLagSeconds, 60),
    hideLastSeconds: nonNegativeInt(owner, 'hideLastSeconds', opts.hideLastSeconds, 60),
    emptyPageGapSeconds: nonNegativeInt(owner, 'emptyPageGapSeconds', opts.emptyPageGapSeconds, 30 * 86_400),
    latencyMs: nonNegativeInt(owner, 'latencyMs', opts.latencyMs, 0),
  };
  const store = new ZendeskStore(checkZendeskSeed(opts.seed ?? {}), now);
  const log = new RequestLog<ZendeskRequestLog>(opts.maxLoggedRequests ?? DEFAULT_MAX_LOGGED_REQUESTS);
  const faults = new FaultInjector<ZendeskFaultRule>();
  const clock = (): Date => new Date(now());
  const accountLimiter = new RateLimiter(config.requestsPerMinute, clock);
  const incrementalLimiter = new RateLimiter(config.incrementalPerMinute, clock);
  const held = new HeldRequests();
  let baseUrl = '';
  let port = 0;
  const attachments = new AttachmentHost(store, () => port);

  const routes: Route[] = [
    { name: 'incremental.tickets', pattern: api('incremental/tickets/cursor'), incremental: true, handle: exportTickets },
    { name: 'incremental.users', pattern: api('incremental/users/cursor'), incremental: true, handle: exportUsers },
    { name: 'incremental.organizations', pattern: api('incremental/organizations'), incremental: true, handle: exportOrganizations },
    { name: 'incremental.ticket_events', pattern: api('incremental/ticket_events'), incremental: true, handle: exportTicketEvents },
    { name: 'ticket.comments', pattern: api('tickets/(\\d+)/comments'), handle: ticketComments },
    { name: 'tickets.show', pattern: api('tickets/(\\d+)'), handle: showTicket },
    { name: 'users.show', pattern: api('users/(\\d+)'), handle: showUser },
    { name: 'ticket_fields', pattern: api('ticket_fields'), handle: ticketFields },
    { name: 'attachment', pattern: /^\/attachments\/token\/([^/]+)\/?$/, handle: (_ctx, p) => attachments.redirect(p) },
  ];
  const DOWNLOAD = /^\/zdusercontent\/([^/]+)\/([^/]+)$/;

  const reset = (): void => {
    store.reset();
    log.clear();
    faults.clear();
    accountLimiter.reset();
    incrementalLimiter.reset();
  };
  const setConfig = (key: ZendeskConfigKey, value: number): void => {
    config[key] = value;
  };

  const control: AdminControl = {
    state: () => store.snapshot(),
    requests: () => log.list(),
    reset,
    faults,
    parseFaults: (body) => parseFaultBody(body, SIMPLE_ACTIONS),
    config: { keys: CONFIG_KEYS, get: () => ({ ...config }), set: (key, value) => setConfig(key as ZendeskConfigKey, value) },
    fail: (res, status, message, code) => sendJson(res, status, { error: code, description: message }),
    account: { change: (body) => changeAccount(store, body), invalid: AccountChangeError, codes: { method: 'MethodNotAllowed', invalid: 'InvalidValue' } },
  };

  function send(res: ServerResponse, entry: ZendeskRequestLog, a: Answer, extra: Record<string, string> = {}): void {
    entry.status = a.status;
    const headers = { ...extra, ...a.headers };
    if (a.text === undefined) return sendJson(res, a.status, a.body, headers);
    if (res.destroyed || res.writableEnded) return;
    res.writeHead(a.status, { ...headers, 'content-length': String(Buffer.byteLength(a.text)) });
    res.end(a.text);
  }

  /** X-Rate-Limit headers from the shared limiter's; the incremental budget as a zendesk-ratelimit-* header. */
  function rateHeaders(account: Record<string, string>, incremental?: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { 'x-rate-limit': account['x-ratelimit-limit'] ?? '0', 'x-rate-limit-remaining': account['x-ratelimit-remaining'] ?? '0' };
    if (incremental) {
      const resets = Math.max(0, Math.ceil((Date.parse(incremental['x-ratelimit-reset'] ?? '') - now()) / 1000));
      h['zendesk-ratelimit-incremental-exports'] = `total=${incremental['x-ratelimit-limit']}; remaining=${incremental['x-ratelimit-remaining']}; resets=${resets}`;
    }
    return h;
  }

  function tooMany(limited: Record<string, string>, base: Record<string, string>, message: string, override?: number): Answer {
    const retry = override ?? (config.retryAfterSeconds >= 0 ? config.retryAfterSeconds : Number(limited['retry-after'] ?? 60));
    return { status: 429, text: `${message}\n`, headers: { ...base, 'x-rate-limit-remaining': '0', 'retry-after': String(retry), 'content-type': 'text/plain; charset=utf-8' } };
  }

  async function handle(path: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://emulator');
    const route = routes.find((r) => r.pattern.test(path));
    const download = DOWNLOAD.exec(path);
    const entry = log.add({ at: new Date(now()).toISOString(), method, path, query: url.search.slice(1), operation: route?.name ?? (download ? 'attachment.download' : null), status: 0 });
    await readBodyBuffer(req).catch(() => undefined);
    if (!route && !download) return send(res, entry, zdError(404, 'InvalidEndpoint', 'Not found'), rateHeaders(accountLimiter.peek()));
    if (method !== 'GET' && method !== 'HEAD') return send(res, entry, { ...zdError(405, 'MethodNotAllowed', `${method} is not allowed here`), headers: { allow: 'GET' } });

    let headers: Record<string, string> = {};
    if (route) {
      accountLimiter.limitPerMinute = config.requestsPerMinute;
      incrementalLimiter.limitPerMinute = config.incrementalPerMinute;
      const denied = authenticate(req, creds);
      if (denied) return send(res, entry, denied, rateHeaders(accountLimiter.peek()));
      const account = accountLimiter.take();
      headers = rateHeaders(account.headers);
      if (!account.allowed) return send(res, entry, tooMany(account.headers, headers, `You have exceeded the rate limit of ${config.requestsPerMinute} requests per minute for this account. Please wait before retrying.`));
      if (route.incremental) {
        const inc = incrementalLimiter.take();
        headers = rateHeaders(account.headers, inc.headers);
        if (!inc.allowed) return send(res, entry, tooMany(inc.headers, headers, 'Rate limit for incremental exports exceeded, please wait before retrying.'));
      }
      if (config.latencyMs > 0) await sleep(config.latencyMs);
      if (held.closed) return destroyConnection(req, res);
    }

    const fault = faults.decide({ rootFields: [entry.operation ?? ''], operationName: null });
    const status = fault === null ? undefined : statusOf(fault.action);
    if (fault?.action === 'rate-limit' || status === 429) {
      const limiter = route?.incremental ? incrementalLimiter : accountLimiter;
      const a = tooMany(limiter.forcedRejection(), headers, 'Rate limit exceeded, please wait before retrying.', fault?.retryAfterSeconds);
      if (fault?.omitRetryAfter) delete a.headers?.['retry-after'];
      return send(res, entry, a);
    }
    if (status !== undefined) {
      const [error, description] = REASONS[status] ?? [`HTTP${status}`, `Injected fault: HTTP ${status}`];
      return send(res, entry, zdError(status, error, description), headers);
    }
    if (held.connectionFault(fault?.action, req, res)) return;

    if (download) return send(res, entry, await attachments.download(req, download.slice(1), url.searchParams));
    const params = (route?.pattern.exec(path) ?? []).slice(1).map((p) => decodeURIComponent(p));
    const ctx: ExportContext = { store, config, baseUrl, nowSec: Math.floor(now() / 1000), q: url.searchParams, path };
    send(res, entry, (route as Route).handle(ctx, params), headers);
  }

  const server = await listenEmulator({ host, port: listenPort, control, handle, held, failure: (res, e) => sendJson(res, 500, { error: 'InternalServerError', description: `Emulator failure: ${e.message}` }) });
  baseUrl = server.url;
  port = server.port;

  return {
    url: server.url,
    port: server.port,
    store,
    account: { change: (change) => changeAccount(store, change) },
    snapshot: () => store.snapshot(),
    requests: () => log.list(),
    config: () => ({ ...config }),
    configure: (patch) => applyConfigPatch(owner, CONFIG_KEYS, patch, (k, v) => setConfig(k as ZendeskConfigKey, v), 'retryAfterSeconds'),
    reset,
    close: () => server.close(),
  };
}
