/**
 * Fixed-window rate limit: one budget per limiter (Plain: the workspace; There There: one per user
 * and bucket). The window starts at the first request and lasts 60 s; the first request after it
 * ends starts the next one.
 * A limit of 0 means unlimited: nothing is rejected, and the headers report a nominal limit of
 * UNLIMITED_HEADER_LIMIT so that header-driven client throttles never stall.
 */
export const WINDOW_MS = 60_000;
export const UNLIMITED_HEADER_LIMIT = 1_000_000;

export interface RateDecision {
  allowed: boolean;
  headers: Record<string, string>;
}

export class RateLimiter {
  private windowStart: number | null = null;
  private count = 0;

  constructor(
    public limitPerMinute: number,
    private readonly now: () => Date,
  ) {}

  reset(): void {
    this.windowStart = null;
    this.count = 0;
  }

  private roll(nowMs: number): number {
    if (this.windowStart === null || nowMs >= this.windowStart + WINDOW_MS) {
      this.windowStart = nowMs;
      this.count = 0;
    }
    return this.windowStart + WINDOW_MS;
  }

  private headers(nowMs: number, windowEnd: number, rejected: boolean): Record<string, string> {
    const limit = this.limitPerMinute > 0 ? this.limitPerMinute : UNLIMITED_HEADER_LIMIT;
    const h: Record<string, string> = {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(rejected ? 0 : Math.max(0, limit - this.count)),
      'x-ratelimit-reset': new Date(windowEnd).toISOString(),
    };
    if (rejected) h['retry-after'] = String(Math.max(1, Math.ceil((windowEnd - nowMs) / 1000)));
    return h;
  }

  /** Counts one request against the window; rejected when over a non-zero limit. */
  take(): RateDecision {
    const nowMs = this.now().getTime();
    const end = this.roll(nowMs);
    if (this.limitPerMinute > 0 && this.count >= this.limitPerMinute) return { allowed: false, headers: this.headers(nowMs, end, true) };
    this.count++;
    return { allowed: true, headers: this.headers(nowMs, end, false) };
  }

  /** Headers for a response that does not count (401, 405, bad JSON …). */
  peek(): Record<string, string> {
    const nowMs = this.now().getTime();
    const end = this.windowStart === null || nowMs >= this.windowStart + WINDOW_MS ? nowMs + WINDOW_MS : this.windowStart + WINDOW_MS;
    const count = this.windowStart === null || nowMs >= this.windowStart + WINDOW_MS ? 0 : this.count;
    const limit = this.limitPerMinute > 0 ? this.limitPerMinute : UNLIMITED_HEADER_LIMIT;
    return {
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(Math.max(0, limit - count)),
      'x-ratelimit-reset': new Date(end).toISOString(),
    };
  }

  /** Headers for an injected 429 (the rate-limit fault): as if the budget were spent. */
  forcedRejection(retryAfterSeconds?: number): Record<string, string> {
    const nowMs = this.now().getTime();
    if (retryAfterSeconds !== undefined) {
      const h = this.headers(nowMs, this.roll(nowMs), true);
      h['retry-after'] = String(retryAfterSeconds);
      h['x-ratelimit-reset'] = new Date(nowMs + retryAfterSeconds * 1000).toISOString();
      return h;
    }
    return this.headers(nowMs, this.roll(nowMs), true);
  }
}
