/**
 * GETs for live sources: paced to the connection's requestsPerMinute (one RateLimiter per connection),
 * paused by rate-limit headers and 429 Retry-After, retried with backoff and full jitter on 5xx,
 * timeouts and resets, cancelled by the pull's signal. Credentials go to the connection's origin only;
 * no URL with its query string, and no header value, ever appears in an error or an event.
 */
import { backoffDelay, RateLimiter, realClock, type Clock, type Pacer } from './ratelimit.js';
import { networkCode, parseRetryAfter, redactUrl } from './net.js';

export type HttpSourceEvent =
  | { readonly type: 'request'; readonly ok: boolean; readonly at: number }
  | { readonly type: 'retry'; readonly url: string; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'rate-limit-wait'; readonly untilMs: number };

export interface HttpSourceClientOptions {
  /** The connection's name, for messages. */
  readonly name: string;
  readonly baseUrl: string;
  /** Sent with every request to the base URL's origin (auth, custom headers). Secrets: never shown. */
  readonly headers: Readonly<Record<string, string>>;
  readonly requestsPerMinute: number;
  /** Attempts per request for 5xx, timeouts and resets (429s with a wait do not count). Default 8. */
  readonly maxAttempts?: number;
  /** Per request. Default 60 s. */
  readonly timeoutMs?: number;
  readonly signal: AbortSignal;
  /**
   * Values that must never be shown (the credentials, whole and in parts): an API that quotes what it was
   * sent in an error body has them masked as *** in errors.
   */
  readonly secrets?: readonly string[];
  readonly emit?: (e: HttpSourceEvent) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface HttpSourceResponse {
  readonly status: number;
  readonly headers: Headers;
  /** The URL answered (after nothing: redirects are not followed for API calls). */
  readonly url: string;
  /** The body parsed as JSON (undefined for an empty body). */
  readonly body: unknown;
}

/** A request that failed for good: an HTTP status the API means (401, 403, 404, 400…), or retries spent. */
export class HttpSourceError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
    /** A short excerpt of the answer's body (JSON error fields only), never headers. */
    readonly detail: string | undefined,
  ) {
    super(message);
  }
}

/** 429s in a row a request may meet before the pull gives up (each waits what the API asks). */
const MAX_RATE_LIMITED = 50;

/** An API's error body, shortened: its error/description/message fields when it is JSON, else its first line. */
function errorDetail(text: string): string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  try {
    const v = JSON.parse(t) as unknown;
    if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      const parts = ['error', 'error_description', 'description', 'message', 'code']
        .map((k) => o[k])
        .filter((x): x is string => typeof x === 'string');
      if (parts.length > 0) return parts.join(': ').slice(0, 300);
    }
  } catch {
    // not JSON: a free-text body (Zendesk's 429s)
  }
  return t.split('\n')[0]!.slice(0, 200);
}

/** Headers APIs use to say how much of the window is left, and when it resets. */
export function rateLimitState(h: Headers, now: number): { remaining?: number; resetAt?: number } {
  const num = (name: string): number | undefined => {
    const v = h.get(name);
    if (v === null || v.trim() === '') return undefined;
    const n = Number(v.split(/[;,]/)[0]);
    return Number.isFinite(n) ? n : undefined;
  };
  const remaining = num('x-rate-limit-remaining') ?? num('x-ratelimit-remaining') ?? num('ratelimit-remaining');
  const resetRaw = num('ratelimit-reset') ?? num('x-ratelimit-reset');
  let resetAt: number | undefined;
  if (resetRaw !== undefined) resetAt = resetRaw > 1e9 ? resetRaw * 1000 : now + resetRaw * 1000;
  const retry = h.get('x-ratelimit-retry-after');
  if (resetAt === undefined && retry !== null && /^\d+$/.test(retry.trim())) resetAt = now + Number(retry) * 1000;
  return { ...(remaining !== undefined ? { remaining } : {}), ...(resetAt !== undefined ? { resetAt } : {}) };
}

export class HttpSourceClient {
  readonly origin: string;
  /** Requests sent (every attempt). */
  requests = 0;
  /** 429s met. */
  rateLimited = 0;
  private readonly limiter: RateLimiter;
  private readonly secrets: string[];
  private readonly clock: Clock;
  private readonly random: () => number;

  constructor(private readonly o: HttpSourceClientOptions) {
    this.origin = new URL(o.baseUrl).origin;
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.limiter = new RateLimiter(o.requestsPerMinute, this.clock);
    this.limiter.onPause = (untilMs) => o.emit?.({ type: 'rate-limit-wait', untilMs });
    // Longest first, so that a whole header value is masked before the token inside it.
    const parts = new Set<string>();
    for (const v of [...Object.values(o.headers), ...(o.secrets ?? [])]) {
      parts.add(v);
      for (const p of v.split(/\s+/)) parts.add(p);
    }
    this.secrets = [...parts].filter((p) => p.length >= 4).sort((a, b) => b.length - a.length);
  }

  /** `text` with every secret replaced by ***. */
  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('***');
    return out;
  }

  /** A path (`/api/v2/…`, joined to the base URL) or a full URL (pagination links). */
  resolve(pathOrUrl: string, query?: Readonly<Record<string, string | number | undefined>>): URL {
    const u = /^https?:\/\//i.test(pathOrUrl) ? new URL(pathOrUrl) : new URL(this.o.baseUrl.replace(/\/+$/, '') + (pathOrUrl.startsWith('/') ? '' : '/') + pathOrUrl);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, String(v));
    return u;
  }

  /** Pauses every later request until `untilMs` (an API's own window, e.g. Zendesk's 10/min exports). */
  pauseUntil(untilMs: number): void {
    this.limiter.pauseUntil(untilMs);
  }

  /**
   * GET a JSON document. Resolves with any 2xx; `accept` lists other statuses the caller handles itself
   * (e.g. 404 for a deleted ticket's comments). 429 waits and retries; 5xx, timeouts and resets retry with
   * backoff; anything else throws HttpSourceError.
   */
  async getJson(
    url: URL,
    opts: {
      accept?: readonly number[];
      extraHeaders?: Readonly<Record<string, string>>;
      /** Also stops this call (the pull's signal always does). */
      signal?: AbortSignal;
      /** The endpoint's own limit, besides the connection's: a 429 pauses it, not the whole connection. */
      pacer?: Pacer;
      /** A JSON body: the request is a POST (search endpoints that take their query in the body, e.g. Intercom's). */
      json?: unknown;
    } = {},
  ): Promise<HttpSourceResponse> {
    const verb = opts.json === undefined ? 'GET' : 'POST';
    const signal = opts.signal ? AbortSignal.any([this.o.signal, opts.signal]) : this.o.signal;
    const shown = redactUrl(url);
    const max = Math.max(1, this.o.maxAttempts ?? 8);
    let failures = 0;
    let limited = 0;
    for (;;) {
      signal.throwIfAborted();
      await opts.pacer?.acquire(signal);
      await this.limiter.acquire(signal);
      signal.throwIfAborted();
      let retryReason: string;
      let waitMs: number | undefined;
      try {
        const res = await this.send(url, signal, opts.extraHeaders, opts.json);
        const now = this.clock.now();
        const rl = rateLimitState(res.headers, now);
        if (rl.remaining !== undefined && rl.remaining <= 0) this.limiter.observe({ remaining: 0, resetAt: rl.resetAt });
        const text = await res.text();
        if (res.ok || opts.accept?.includes(res.status)) {
          this.o.emit?.({ type: 'request', ok: true, at: now });
          let body: unknown;
          if (text.trim() !== '') {
            try {
              body = JSON.parse(text);
            } catch {
              throw new HttpSourceError(`${verb} ${shown}: the answer (HTTP ${res.status}) is not JSON`, res.status, this.mask(text.slice(0, 120)));
            }
          }
          return { status: res.status, headers: res.headers, url: url.href, body };
        }
        this.o.emit?.({ type: 'request', ok: false, at: now });
        const raw = errorDetail(text);
        const detail = raw === undefined ? undefined : this.mask(raw);
        if (res.status === 429) {
          this.rateLimited++;
          limited++;
          waitMs = parseRetryAfter(res.headers.get('retry-after'), now) ?? (rl.resetAt !== undefined ? Math.max(0, rl.resetAt - now) : undefined) ?? 60_000;
          (opts.pacer ?? this.limiter).pauseUntil(now + waitMs);
          if (limited > MAX_RATE_LIMITED) throw new HttpSourceError(`${verb} ${shown}: still rate limited (HTTP 429) after ${MAX_RATE_LIMITED} waits`, 429, detail);
          retryReason = `HTTP 429${detail ? ` (${detail})` : ''}`;
        } else if (res.status >= 500 || res.status === 408) {
          retryReason = `HTTP ${res.status}${detail ? ` (${detail})` : ''}`;
          failures++;
          if (failures >= max) throw new HttpSourceError(`${verb} ${shown}: HTTP ${res.status} after ${failures} attempts`, res.status, detail);
          waitMs = parseRetryAfter(res.headers.get('retry-after'), now);
        } else {
          throw new HttpSourceError(`${verb} ${shown}: HTTP ${res.status}${detail ? ` ${detail}` : ''}`, res.status, detail);
        }
      } catch (e) {
        if (e instanceof HttpSourceError) throw e;
        if (signal.aborted) throw signal.reason;
        this.o.emit?.({ type: 'request', ok: false, at: this.clock.now() });
        const code = e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : (networkCode(e) ?? 'network error');
        failures++;
        retryReason = code;
        if (failures >= max) throw new HttpSourceError(`${verb} ${shown}: ${code} after ${failures} attempts`, undefined, undefined);
      }
      const delay = waitMs !== undefined ? waitMs + Math.floor(this.random() * 250) : backoffDelay(failures, this.random, 500);
      this.o.emit?.({ type: 'retry', url: shown, attempt: failures + limited, delayMs: delay, reason: retryReason });
      await this.clock.sleep(delay, signal);
    }
  }

  /** POST a JSON body and read a JSON answer, with getJson's pacing, retries and credential rules (a search is a read). */
  postJson(url: URL, json: unknown, opts: Omit<NonNullable<Parameters<HttpSourceClient['getJson']>[1]>, 'json'> = {}): Promise<HttpSourceResponse> {
    return this.getJson(url, { ...opts, json });
  }

  private async send(url: URL, signal: AbortSignal, extra?: Readonly<Record<string, string>>, json?: unknown): Promise<Response> {
    this.requests++;
    // Credentials only to the connection's own origin (pagination links could point elsewhere).
    const headers: Record<string, string> = { accept: 'application/json', ...(url.origin === this.origin ? this.o.headers : {}), ...extra };
    const timeout = AbortSignal.timeout(this.o.timeoutMs ?? 60_000);
    if (json !== undefined) {
      return fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(json), redirect: 'manual', signal: AbortSignal.any([signal, timeout]) });
    }
    return fetch(url, { method: 'GET', headers, redirect: 'manual', signal: AbortSignal.any([signal, timeout]) });
  }
}
