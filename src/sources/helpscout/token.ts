/**
 * Help Scout's OAuth2 client-credentials grant (source-apis.md §3 Auth): `POST {baseUrl}/v2/oauth2/token`
 * with grant_type, client_id and client_secret as JSON (as the official PHP client posts it), answered
 * with `access_token` and `expires_in` (about 48 h; no refresh_token for this grant). The token is asked for
 * again shortly before it expires, and once when a request is refused with 401 (Help Scout answers the same
 * generic 401 for an expired and an invalid token: helpscout/helpscout-api-php#153). It lives in memory
 * only: never in the state, the snapshot, an event or an error.
 */
import { HttpSourceError } from '../../http/client.js';
import { backoffDelay, realClock } from '../../http/ratelimit.js';
import { networkCode, parseRetryAfter } from '../../http/net.js';
import type { ConnectionDecl } from '../../manifest/types.js';

/** Attempts at the token endpoint for 429, 5xx, timeouts and resets. */
const TOKEN_ATTEMPTS = 6;

interface Held {
  readonly value: string;
  readonly expiresAt: number;
}

/** The tokens this process holds, by connection (baseUrl + client id): apply's attachment fetches reuse them. */
const held = new Map<string, Held>();
const keyOf = (conn: ConnectionDecl): string => `${conn.baseUrl}\u0000${conn.auth['clientId'] ?? ''}`;

/** The headers of a token this process already holds for the connection (none before its first pull). */
export function heldAuthHeaders(conn: ConnectionDecl, now = Date.now()): Record<string, string> {
  const h = held.get(keyOf(conn));
  return h && h.expiresAt > now ? { authorization: `Bearer ${h.value}` } : {};
}

export function tokenUrl(conn: ConnectionDecl): URL {
  return new URL(`${conn.baseUrl.replace(/\/+$/, '')}/v2/oauth2/token`);
}

export class HelpScoutToken {
  private current?: Held;
  private pending?: Promise<string>;
  private readonly issued: string[] = [];
  /** Tokens asked for (tests and the bench read it). */
  fetched = 0;

  constructor(
    private readonly conn: ConnectionDecl,
    private readonly signal: AbortSignal,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {}

  /** Every value that must never be shown: the client secret and id, and every token held. */
  secrets(): string[] {
    return [this.conn.auth['clientSecret'] ?? '', this.conn.auth['clientId'] ?? '', ...this.issued].filter((s) => s.length >= 4);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets().sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
    return out;
  }

  /** A token valid for a while yet: the one held, or a new one when it expires within a tenth of its life (at most 5 minutes). */
  async get(): Promise<string> {
    const c = this.current;
    if (c && this.now() < c.expiresAt) return c.value;
    this.pending ??= this.fetch().finally(() => (this.pending = undefined));
    return this.pending;
  }

  /** A request was refused with this token: the next get() asks for a new one (unless another caller already did). */
  invalidate(value: string): void {
    if (this.current?.value === value) this.current = undefined;
  }

  private async fetch(): Promise<string> {
    const url = tokenUrl(this.conn);
    const shown = `${url.origin}${url.pathname}`;
    const body = JSON.stringify({ grant_type: 'client_credentials', client_id: this.conn.auth['clientId'] ?? '', client_secret: this.conn.auth['clientSecret'] ?? '' });
    for (let attempt = 1; ; attempt++) {
      this.signal.throwIfAborted();
      let waitMs: number | undefined;
      let reason: string;
      try {
        this.fetched++;
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body,
          redirect: 'manual',
          signal: AbortSignal.any([this.signal, AbortSignal.timeout(60_000)]),
        });
        const text = await res.text();
        let json: Record<string, unknown> = {};
        try {
          const v = JSON.parse(text) as unknown;
          if (typeof v === 'object' && v !== null) json = v as Record<string, unknown>;
        } catch {
          // not JSON: described by its status
        }
        const detail = this.mask([json['error'], json['error_description'], json['message']].filter((x): x is string => typeof x === 'string').join(': ')) || undefined;
        if (res.ok) {
          const token = json['access_token'];
          const ttl = json['expires_in'];
          if (typeof token !== 'string' || token === '' || typeof ttl !== 'number' || !(ttl > 0)) {
            throw new HttpSourceError(`POST ${shown}: the token endpoint's answer has no access_token and expires_in`, res.status, undefined);
          }
          const lifeMs = ttl * 1000;
          const now = this.now();
          this.issued.push(token);
          this.current = { value: token, expiresAt: now + lifeMs - Math.min(300_000, lifeMs / 10) };
          held.set(keyOf(this.conn), { value: token, expiresAt: now + lifeMs });
          return token;
        }
        if (res.status === 429 || res.status >= 500) {
          reason = `HTTP ${res.status}`;
          waitMs = parseRetryAfter(res.headers.get('x-ratelimit-retry-after') ?? res.headers.get('retry-after'), this.now());
        } else {
          // 400 invalid_client / 401: the client id or secret was refused. Reported as 401, so that the pull
          // names the connection's auth (OAuth2 allows either status for a bad client).
          const refused = res.status === 401 || json['error'] === 'invalid_client' || json['error'] === 'unauthorized_client';
          throw new HttpSourceError(
            `POST ${shown}: HTTP ${res.status}${detail ? ` ${detail}` : ''}${refused ? ' (the client id and secret were refused)' : ''}`,
            refused ? 401 : res.status,
            detail,
          );
        }
      } catch (e) {
        if (e instanceof HttpSourceError) throw e;
        if (this.signal.aborted) throw this.signal.reason;
        reason = e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : (networkCode(e) ?? 'network error');
      }
      if (attempt >= TOKEN_ATTEMPTS) throw new HttpSourceError(`POST ${shown}: ${reason} after ${attempt} attempts`, undefined, undefined);
      await realClock.sleep(waitMs ?? backoffDelay(attempt, this.random, 500), this.signal);
    }
  }
}
