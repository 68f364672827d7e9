/**
 * Sends requests for a run: one global rate limiter, and retries with exponential backoff and full
 * jitter for what the target classifies as retryable (429 after Retry-After / x-ratelimit-reset, 5xx,
 * timeouts, resets, INTERNAL), up to maxAttempts. Below apply, plan-time look-ups and refresh alike:
 * it reports what happens to its requests as RequestEvents (a part of apply's events).
 */
import type { RecordedError } from '../state/types.js';
import { TargetError, type Target } from '../targets/types.js';
import { backoffDelay, RateLimiter, realClock, type Clock } from './ratelimit.js';

export class Stopped extends Error {}

/** What the runner reports of its requests (apply's ApplyEvent includes these). */
export type RequestEvent =
  /** Every request that got an answer or failed (retries included); `ok` false for errors of any kind. */
  | { readonly type: 'request'; readonly operation: string; readonly ok: boolean; readonly at: number }
  | { readonly type: 'retry'; readonly operation: string; readonly address: string; readonly attempt: number; readonly delayMs: number; readonly error: RecordedError }
  | { readonly type: 'rate-limit-wait'; readonly untilMs: number }
  | { readonly type: 'stopping'; readonly reason: string };

export interface RequestRunnerOptions {
  readonly target: Target;
  readonly requestsPerMinute: number;
  readonly maxAttempts: number;
  /** Aborted: send no new request (in-flight ones finish). */
  readonly stop: AbortSignal;
  /** Aborted: cancel in-flight requests. */
  readonly cancel: AbortSignal;
  readonly emit: (e: RequestEvent) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export class RequestRunner {
  readonly clock: Clock;
  readonly random: () => number;
  private readonly limiter: RateLimiter;
  /** The target's own limits for single operations (There There: imports per minute). */
  private readonly operationLimiters = new Map<string, RateLimiter>();
  private readonly halt = new AbortController();
  fatal?: RecordedError;

  constructor(private readonly o: RequestRunnerOptions) {
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.limiter = new RateLimiter(o.requestsPerMinute, this.clock);
    this.limiter.onPause = (untilMs) => o.emit({ type: 'rate-limit-wait', untilMs });
    o.target.onRateLimit = (info) => this.limiter.observe(info);
    o.target.pace = async (signal) => {
      await this.limiter.acquire(AbortSignal.any([signal, o.stop]));
      if (this.stopping) throw new Stopped();
    };
    for (const [op, perMinute] of Object.entries(o.target.capabilities?.operationLimits ?? {})) {
      if (perMinute < o.requestsPerMinute) this.operationLimiters.set(op, new RateLimiter(perMinute, this.clock));
    }
  }

  get stopping(): boolean {
    return this.o.stop.aborted || this.halt.signal.aborted;
  }

  /** Sleep that ends early when the run stops. */
  sleep(ms: number): Promise<void> {
    return this.clock.sleep(ms, this.o.stop);
  }

  async call<T>(operation: string, address: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    const max = Math.max(1, this.o.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Stopped();
      await this.operationLimiters.get(operation)?.acquire(this.o.stop);
      await this.limiter.acquire(this.o.stop);
      if (this.stopping) throw new Stopped();
      try {
        const value = await fn(this.o.cancel);
        this.o.emit({ type: 'request', operation, ok: true, at: this.clock.now() });
        return { value, attempts: attempt };
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        this.o.emit({ type: 'request', operation, ok: false, at: this.clock.now() });
        // Cancelled by a second Ctrl-C: not a failure of the resource; nothing is recorded for it.
        if (this.o.cancel.aborted) throw new Stopped();
        const exhausted = !e.retryable || attempt >= max;
        if (e.fatal || (exhausted && e.fatalWhenExhausted)) {
          if (!this.fatal) this.o.emit({ type: 'stopping', reason: e.recorded.message });
          this.fatal ??= e.recorded;
          this.halt.abort();
        }
        if (exhausted || this.o.cancel.aborted) throw Object.assign(e, { attempts: attempt });
        let delay = backoffDelay(attempt, this.random);
        if (e.retryAfterMs !== undefined) {
          this.limiter.pauseUntil(this.clock.now() + e.retryAfterMs);
          this.operationLimiters.get(operation)?.pauseUntil(this.clock.now() + e.retryAfterMs);
          delay = e.retryAfterMs + Math.floor(this.random() * 250);
        }
        this.o.emit({ type: 'retry', operation, address, attempt, delayMs: delay, error: e.recorded });
        await this.sleep(delay);
      }
    }
  }
}

export function attemptsOf(e: TargetError): number {
  return (e as TargetError & { attempts?: number }).attempts ?? 1;
}
