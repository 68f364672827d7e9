/**
 * One global rate limiter for every request of a run: a token bucket refilled at
 * requestsPerMinute, paused whenever the target says the window is spent (x-ratelimit-remaining 0,
 * or a 429) until the time it names.
 */
import type { RateLimitInfo } from '../targets/types.js';

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      if (ms <= 0 || signal?.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    }),
};

/** What paces requests: a connection's or target's limit, or one endpoint's own (Zendesk's exports). */
export interface Pacer {
  /** Wait for permission to send one request (returns at once when `signal` is aborted). */
  acquire(signal?: AbortSignal): Promise<void>;
  /** Send nothing before `t` (a 429's Retry-After). */
  pauseUntil(t: number): void;
}

/** Callers served one at a time, in order (a failed turn does not stop the next). */
class Turns {
  private last: Promise<void> = Promise.resolve();
  next(fn: () => Promise<void>): Promise<void> {
    const turn = this.last.then(fn);
    this.last = turn.catch(() => undefined);
    return turn;
  }
}

export class RateLimiter implements Pacer {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;
  private readonly turns = new Turns();
  private readonly perMs: number;
  private readonly capacity: number;
  /** Called when the limiter starts waiting for the target's window to reset. */
  onPause?: (untilMs: number) => void;

  constructor(
    requestsPerMinute: number,
    private readonly clock: Clock = realClock,
    /** Requests that may go at once (default one second's worth); an API that counts per minute allows its whole minute. */
    burst?: number,
  ) {
    this.perMs = requestsPerMinute / 60_000;
    // A burst of at most one second's worth keeps any 60-second window within the limit plus that second.
    this.capacity = burst ?? Math.max(1, Math.floor(requestsPerMinute / 60));
    this.tokens = this.capacity;
    this.last = clock.now();
  }

  /** Wait for permission to send one request. Callers are served in order. */
  acquire(signal?: AbortSignal): Promise<void> {
    return this.turns.next(() => this.take(signal));
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const now = this.clock.now();
      if (now < this.pausedUntil) {
        await this.clock.sleep(this.pausedUntil - now, signal);
        continue;
      }
      this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
      this.last = now;
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.clock.sleep(Math.ceil((1 - this.tokens) / this.perMs), signal);
    }
  }

  /** Feed the x-ratelimit-* headers of a response. */
  observe(info: RateLimitInfo): void {
    if (info.remaining !== undefined && info.remaining <= 0) {
      this.pauseUntil(info.resetAt ?? this.clock.now() + 1000);
    }
  }

  pauseUntil(t: number): void {
    if (t > this.pausedUntil) {
      this.pausedUntil = t;
      this.onPause?.(t);
    }
  }
}

/** Exponential backoff with full jitter: a random delay in [0, min(cap, base·2^(attempt-1))]. */
export function backoffDelay(attempt: number, random: () => number = Math.random, baseMs = 250, capMs = 30_000): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1)));
}

/**
 * At most `perMinute` requests in any 60 seconds (a sliding window): the first `perMinute` go at once, the
 * next when the oldest is a minute old. For an API that counts a minute's requests (Zendesk's 10 export
 * requests a minute), where a token bucket's steady trickle after the burst would meet 429s.
 */
export class WindowLimiter implements Pacer {
  private readonly sent: number[] = [];
  private pausedUntil = 0;
  private readonly turns = new Turns();

  constructor(
    private readonly perMinute: number,
    private readonly clock: Clock = realClock,
  ) {}

  acquire(signal?: AbortSignal): Promise<void> {
    return this.turns.next(() => this.take(signal));
  }

  private async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      if (signal?.aborted) return;
      const now = this.clock.now();
      while (this.sent.length > 0 && this.sent[0]! <= now - 60_000) this.sent.shift();
      const wait = Math.max(this.pausedUntil - now, this.sent.length >= this.perMinute ? this.sent[0]! + 60_000 - now : 0);
      if (wait <= 0) {
        this.sent.push(now);
        return;
      }
      await this.clock.sleep(wait, signal);
    }
  }

  pauseUntil(t: number): void {
    if (t > this.pausedUntil) this.pausedUntil = t;
  }
}

