/**
 * Error classification for There There's REST API (Laravel): what is retried (429 with Retry-After,
 * 5xx, 408, timeouts, connection resets), what stops the whole run (401 bad token, 403 token without
 * admin rights, 400 workspace header missing, TLS failures), and what is recorded on the address and
 * never retried (422 validation with Laravel's per-field messages, 404, anything else as http_<status>).
 *
 * Every message that reaches a TargetError goes through `redact`, so a server that echoes the token
 * back cannot make it appear in state, logs or the UI.
 */
import type { RecordedError } from '../../state/types.js';
import { networkCode, parseRetryAfter, redactUrl } from '../../http/net.js';
import { TargetError, type RateLimitInfo } from '../types.js';

/** Longest server-provided message kept in an error (an HTML error page is never quoted). */
export const MAX_SERVER_MESSAGE = 500;

/** Laravel's validation answer: `{message, errors: {field: [messages]}}` (dotted keys for nested input). */
export interface LaravelValidationBody {
  readonly message?: unknown;
  readonly errors?: unknown;
}

/** Removes every occurrence of a secret from a string; the identity when there is none. */
export type Redactor = (s: string) => string;

export const noRedaction: Redactor = (s) => s;

/** A Redactor for one secret (and its Bearer form): occurrences become `[redacted]`. */
export function redactorFor(secret: string): Redactor {
  if (secret.length === 0) return noRedaction;
  return (s) => (s.includes(secret) ? s.split(secret).join('[redacted]') : s);
}

function num(v: string | null): number | undefined {
  if (v === null || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * Laravel's throttle headers: X-RateLimit-Limit and X-RateLimit-Remaining on every answer,
 * X-RateLimit-Reset (unix seconds) with a 429. A reset given as an HTTP/ISO date is read too.
 */
export function parseRateLimitHeaders(h: Headers | undefined): RateLimitInfo {
  if (!h) return {};
  const out: { limit?: number; remaining?: number; resetAt?: number } = {};
  const limit = num(h.get('x-ratelimit-limit'));
  const remaining = num(h.get('x-ratelimit-remaining'));
  if (limit !== undefined) out.limit = limit;
  if (remaining !== undefined) out.remaining = remaining;
  const resetRaw = h.get('x-ratelimit-reset');
  if (resetRaw !== null && resetRaw.trim() !== '') {
    const asNum = Number(resetRaw);
    const resetAt = Number.isFinite(asNum) ? (asNum < 1e11 ? asNum * 1000 : asNum) : Date.parse(resetRaw);
    if (Number.isFinite(resetAt)) out.resetAt = resetAt;
  }
  return out;
}

/** How long a 429 asks us to wait: Retry-After (seconds or an HTTP date), else X-RateLimit-Reset. */
export function retryAfterMsOf(h: Headers | undefined, now: number = Date.now()): number | undefined {
  const ra = parseRetryAfter(h?.get('retry-after') ?? null, now);
  if (ra !== undefined) return ra;
  const { resetAt } = parseRateLimitHeaders(h);
  return resetAt !== undefined ? Math.max(0, resetAt - now) : undefined;
}

/** One field entry per Laravel message: `{errors: {"messages.3.body": ["…", "…"]}}` gives two. */
export function validationFields(body: unknown, redact: Redactor = noRedaction): Array<{ field: string; message: string; type: string }> {
  const errors = (body as LaravelValidationBody | null | undefined)?.errors;
  if (errors === null || typeof errors !== 'object' || Array.isArray(errors)) return [];
  const out: Array<{ field: string; message: string; type: string }> = [];
  for (const [field, messages] of Object.entries(errors as Record<string, unknown>)) {
    const list = Array.isArray(messages) ? messages : [messages];
    for (const m of list) {
      if (typeof m === 'string' && m.trim() !== '') out.push({ field: redact(field), message: clip(redact(m)), type: 'VALIDATION' });
    }
  }
  return out;
}

function clip(s: string): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return one.length > MAX_SERVER_MESSAGE ? `${one.slice(0, MAX_SERVER_MESSAGE - 3)}...` : one;
}

/** The server's own `message`, when the body is JSON with one; else undefined. */
export function serverMessage(body: unknown, redact: Redactor = noRedaction): string | undefined {
  const m = (body as { message?: unknown } | null | undefined)?.message;
  return typeof m === 'string' && m.trim() !== '' ? clip(redact(m)) : undefined;
}

export interface ResponseContext {
  /** Removes the token from anything the server says. */
  readonly redact?: Redactor;
  readonly now?: number;
}

/**
 * A non-2xx answer as a TargetError.
 *
 * - 429 → `rate_limited`, retryable, retryAfterMs from Retry-After (seconds or HTTP date).
 * - 5xx and 408 → `http_<status>`, retryable.
 * - 401 → `unauthenticated`, fatal: the token is wrong or revoked, no request will succeed.
 * - 403 → `forbidden`, fatal: importing needs an admin token (or: X-Workspace-Id names a workspace the token cannot reach).
 * - 422 → `validation` with one field entry per Laravel message; recorded, not retried.
 * - 404 → `not_found`; recorded.
 * - 400 that names the workspace → fatal (a multi-workspace token without X-Workspace-Id).
 * - anything else → `http_<status>`; recorded.
 */
export function classifyResponse(status: number, headers: Headers | undefined, body: unknown, ctx: ResponseContext = {}): TargetError {
  const redact = ctx.redact ?? noRedaction;
  const said = serverMessage(body, redact);
  const message = said ?? `HTTP ${status}`;
  if (status === 429) {
    return new TargetError(
      { code: 'rate_limited', message: `${message} (HTTP 429)`, type: 'RATE_LIMIT' },
      true,
      retryAfterMsOf(headers, ctx.now ?? Date.now()),
    );
  }
  if (status >= 500 || status === 408) {
    return new TargetError({ code: `http_${status}`, message: said ? `${said} (HTTP ${status})` : `There There answered HTTP ${status}`, type: 'SERVER' }, true);
  }
  if (status === 401) {
    return new TargetError(
      {
        code: 'unauthenticated',
        message: `${message} (HTTP 401): There There refused the token; check the environment variable target.therethere.token names`,
        type: 'AUTH',
      },
      false,
      undefined,
      true,
    );
  }
  if (status === 403) {
    // The workspace refusal (X-Workspace-Id names a workspace the token cannot reach) has its own hint.
    const hint = /workspace \d|workspace id|x-workspace-id/i.test(message)
      ? 'the token cannot reach the workspace target.therethere.workspaceId names; check that id'
      : 'importing into There There needs an admin token (the same access level as managing workspace settings); make one under Settings > API Tokens as a workspace admin';
    return new TargetError(
      {
        code: 'forbidden',
        message: `${message} (HTTP 403): ${hint}`,
        type: 'FORBIDDEN',
      },
      false,
      undefined,
      true,
    );
  }
  if (status === 422) {
    const recorded: RecordedError = { code: 'validation', message, type: 'VALIDATION', fields: validationFields(body, redact) };
    return new TargetError(recorded, false);
  }
  if (status === 404) {
    return new TargetError({ code: 'not_found', message: `${message} (HTTP 404)`, type: 'NOT_FOUND' }, false);
  }
  if (status === 400 && /workspace/i.test(message)) {
    return new TargetError(
      {
        code: 'http_400',
        message: `${message} (HTTP 400): the token reaches several workspaces; set target.therethere.workspaceId`,
        type: 'HTTP',
      },
      false,
      undefined,
      true,
    );
  }
  return new TargetError({ code: `http_${status}`, message: `${message} (HTTP ${status})`, type: 'HTTP' }, false);
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|DEPTH_ZERO/;
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

export interface ThrownContext {
  /** The request's own timeout fired. */
  readonly timedOut: boolean;
  /** The caller's signal fired (the run is stopping). */
  readonly cancelled: boolean;
  /** Shown (without query string or credentials) when the host cannot be reached. */
  readonly baseUrl?: string;
  readonly redact?: Redactor;
}

/**
 * Anything a request threw (no HTTP answer, or an answer whose body could not be read): cancelled
 * (not retried), timeout and connection failures (retried; an unreachable host stops the run once
 * the retries are used up), TLS failures (fatal). Only the system error code is quoted.
 */
export function classifyThrown(err: unknown, ctx: ThrownContext): TargetError {
  if (err instanceof TargetError) return err;
  const redact = ctx.redact ?? noRedaction;
  if (ctx.cancelled) return new TargetError({ code: 'cancelled', message: 'the request was cancelled', type: 'TRANSPORT' }, false);
  if (ctx.timedOut) return new TargetError({ code: 'timeout', message: 'no answer within requestTimeout', type: 'TRANSPORT' }, true);
  const code = networkCode(err);
  if (code !== undefined && TLS_CODES.test(code)) {
    return new TargetError(
      { code: 'tls', message: `the TLS certificate of There There could not be verified (${code}); nothing was sent`, type: 'TRANSPORT' },
      false,
      undefined,
      true,
    );
  }
  if (code !== undefined && UNREACHABLE.has(code)) {
    const where = ctx.baseUrl ? redactUrl(ctx.baseUrl) : 'There There';
    const dns = code === 'ENOTFOUND' || code === 'EAI_AGAIN';
    const message = dns
      ? `cannot resolve the host of ${where} (${code}); check target.therethere.baseUrl`
      : `cannot connect to ${where} (${code}); check target.therethere.baseUrl and that the server is up`;
    return new TargetError({ code: dns ? 'dns' : 'connect', message: redact(message), type: 'TRANSPORT' }, true, undefined, false, true);
  }
  return new TargetError({ code: 'transport', message: `connection failed${code ? ` (${code})` : ''}`, type: 'TRANSPORT' }, true);
}
