/**
 * The pull view model: folds a pull's `PullEvent`s into what a screen shows, as ApplyViewModel does
 * for apply (and with its rate maths: `SecondRing`, `windowMs`, `perMinute`). Pure (the clock is
 * injected, no timers) and bounded: counters, one ring for requests and one per stream (a pull has a
 * handful of streams), the wait deadline per connection.
 *
 * The pull has no start event: its clock starts at the first event. A stream's clock starts at its
 * `stream-start` (or its first page). Its ETA is given only where a total is known: the records still
 * to come over the stream's observed rate (its records of the last minute over the span the ring
 * covers; after a stretch with none, e.g. a long rate-limit wait, the average since its start).
 */
import type { PullEvent } from '../../sources/live/types.js';
import { MIN_RATE_SPAN_MS, perMinute, SecondRing, windowMs } from '../view-model.js';

/** No ETA before a stream has run this long (as apply's ETA, which waits 5 s). */
export const PULL_ETA_MIN_MS = 5000;

export interface PullStreamView {
  readonly stream: string;
  /** Records received so far (every page's records, new, changed or the same). */
  readonly records: number;
  readonly added: number;
  readonly updated: number;
  /** Pages received so far. */
  readonly pages: number;
  /** The latest total the adapter gave (a page's, else the stream-start's); absent when unknown. */
  readonly total?: number;
  readonly done: boolean;
  /** Since the stream started (frozen when it is done). */
  readonly elapsedMs: number;
  /** 0–100, floored, only with a total (100 once the stream is done). */
  readonly pct?: number;
  /** Time left, only with a total, after PULL_ETA_MIN_MS and a page with records; 0 once reached. */
  readonly etaMs?: number;
}

export interface PullRetryView {
  readonly connection: string;
  /** As the event has it: redacted (origin and path, no query string). */
  readonly url: string;
  readonly attempt: number;
  readonly delayMs: number;
  readonly reason: string;
  /** When the renderer saw it (the view model's clock). */
  readonly at: number;
}

export interface PullView {
  /** Since the first event. */
  readonly elapsedMs: number;
  /** In the order they started. */
  readonly streams: readonly PullStreamView[];
  /** Requests answered or failed (every attempt), and of those the failed ones. */
  readonly requests: number;
  readonly failedRequests: number;
  /** Requests per minute, rounded: those of the last minute over the span they cover (as apply's). */
  readonly requestsPerMinute: number;
  readonly retries: number;
  /** Rate-limit pauses (an extension of a pause under way is not a new one). */
  readonly rateLimitWaits: number;
  /** Epoch ms the latest running pause of any connection ends, while one runs. */
  readonly waitingUntilMs?: number;
  readonly lastRetry?: PullRetryView;
}

interface StreamState {
  records: number;
  added: number;
  updated: number;
  pages: number;
  total?: number;
  done: boolean;
  startAt: number;
  doneAt?: number;
  readonly ring: SecondRing;
}

export class PullViewModel {
  private readonly now: () => number;
  private startAt?: number;
  private readonly streams = new Map<string, StreamState>();
  private readonly requestRing = new SecondRing();
  private requests = 0;
  private failedRequests = 0;
  private retries = 0;
  private rateLimitWaits = 0;
  /** Pause deadline per connection, while it runs. */
  private readonly waits = new Map<string, number>();
  private lastRetry?: PullRetryView;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  /** True once an event arrived. */
  get started(): boolean {
    return this.startAt !== undefined;
  }

  apply(e: PullEvent): void {
    const now = this.now();
    this.startAt ??= now;
    switch (e.type) {
      case 'stream-start':
        this.streams.delete(e.stream); // a stream pulled again starts afresh, at the end of the list
        this.streams.set(e.stream, { records: 0, added: 0, updated: 0, pages: 0, total: e.total, done: false, startAt: now, ring: new SecondRing() });
        break;
      case 'page': {
        const s = this.stream(e.stream, now);
        s.records += e.records;
        s.added += e.added;
        s.updated += e.updated;
        s.pages++;
        if (e.total !== undefined) s.total = e.total;
        s.ring.add(now, e.records);
        break;
      }
      case 'stream-done': {
        const s = this.stream(e.stream, now);
        s.done = true;
        s.doneAt = now;
        break;
      }
      case 'request':
        this.requests++;
        if (!e.ok) this.failedRequests++;
        this.requestRing.add(e.at);
        // An answer after the pause was due to end shows the connection is sending again.
        if (e.ok && (this.waits.get(e.connection) ?? Infinity) <= e.at) this.waits.delete(e.connection);
        break;
      case 'retry':
        this.retries++;
        this.lastRetry = { connection: e.connection, url: e.url, attempt: e.attempt, delayMs: e.delayMs, reason: e.reason, at: now };
        break;
      case 'rate-limit-wait': {
        const current = this.waitFor(e.connection, now);
        if (current === undefined) this.rateLimitWaits++;
        this.waits.set(e.connection, Math.max(current ?? -Infinity, e.untilMs));
        break;
      }
      case 'note':
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  /** The running pause of `connection` (or of any, without one) at `now`, if any. */
  waitingUntil(connection?: string, now = this.now()): number | undefined {
    if (connection !== undefined) return this.waitFor(connection, now);
    let until: number | undefined;
    for (const c of [...this.waits.keys()]) {
      const u = this.waitFor(c, now);
      if (u !== undefined) until = Math.max(until ?? -Infinity, u);
    }
    return until;
  }

  view(): PullView {
    const now = this.now();
    const waitingUntilMs = this.waitingUntil(undefined, now);
    return {
      elapsedMs: this.startAt === undefined ? 0 : Math.max(0, now - this.startAt),
      streams: [...this.streams].map(([name, s]) => this.streamView(name, s, now)),
      requests: this.requests,
      failedRequests: this.failedRequests,
      requestsPerMinute: Math.round(perMinute(this.requestRing.sum(now), windowMs(now, this.startAt))),
      retries: this.retries,
      rateLimitWaits: this.rateLimitWaits,
      ...(waitingUntilMs !== undefined ? { waitingUntilMs } : {}),
      ...(this.lastRetry ? { lastRetry: this.lastRetry } : {}),
    };
  }

  private stream(name: string, now: number): StreamState {
    let s = this.streams.get(name);
    if (!s) {
      s = { records: 0, added: 0, updated: 0, pages: 0, done: false, startAt: now, ring: new SecondRing() };
      this.streams.set(name, s);
    }
    return s;
  }

  private waitFor(connection: string, now: number): number | undefined {
    const u = this.waits.get(connection);
    if (u !== undefined && now >= u) this.waits.delete(connection);
    return u !== undefined && now < u ? u : undefined;
  }

  private streamView(stream: string, s: StreamState, now: number): PullStreamView {
    const elapsedMs = Math.max(0, (s.doneAt ?? now) - s.startAt);
    const base = { stream, records: s.records, added: s.added, updated: s.updated, pages: s.pages, done: s.done, elapsedMs };
    if (s.total === undefined) return base;
    const pct = s.done ? 100 : s.total > 0 ? Math.min(100, Math.floor((s.records * 100) / s.total)) : 100;
    const etaMs = s.done ? undefined : this.eta(s, now, elapsedMs, s.total);
    return { ...base, total: s.total, pct, ...(etaMs !== undefined ? { etaMs } : {}) };
  }

  private eta(s: StreamState, now: number, elapsedMs: number, total: number): number | undefined {
    const remaining = Math.max(0, total - s.records);
    if (remaining === 0) return 0;
    if (elapsedMs < PULL_ETA_MIN_MS || s.records === 0) return undefined;
    const recent = s.ring.sum(now);
    const perMs = recent > 0 ? recent / Math.max(MIN_RATE_SPAN_MS, windowMs(now, s.startAt)) : s.records / elapsedMs;
    return Math.round(remaining / perMs);
  }
}
