/** The live state one emulator instance shares between its HTTP handlers. */
import type { ServerResponse } from 'node:http';
import { FaultInjector } from './faults.js';
import { RateLimiter } from './ratelimit.js';
import type { PlainStore } from './store.js';
import type { EmulatorRequestLog } from './types.js';

export const DEFAULT_MAX_LOGGED_REQUESTS = 10_000;

/** Bounded request log: the oldest entries are dropped past `max`. */
export class RequestLog {
  private entries: EmulatorRequestLog[] = [];

  constructor(private readonly max: number) {}

  add(entry: EmulatorRequestLog): EmulatorRequestLog {
    this.entries.push(entry);
    if (this.entries.length > this.max) this.entries.splice(0, this.entries.length - this.max);
    return entry;
  }

  list(): EmulatorRequestLog[] {
    return this.entries.map((e) => ({ ...e }));
  }

  clear(): void {
    this.entries = [];
  }
}

export interface EmulatorConfig {
  latencyMs: number;
}

export class EmulatorRuntime {
  readonly limiter: RateLimiter;
  readonly faults = new FaultInjector();
  readonly log: RequestLog;
  readonly hung = new Set<ServerResponse>();
  closed = false;
  /** http://host:port, known once the server listens (upload URLs point here). */
  baseUrl = '';

  constructor(
    readonly store: PlainStore,
    readonly now: () => Date,
    readonly config: EmulatorConfig,
    rateLimitPerMinute: number,
    maxLoggedRequests: number,
  ) {
    this.limiter = new RateLimiter(rateLimitPerMinute, now);
    this.log = new RequestLog(maxLoggedRequests);
  }

  /** POST /__emulator/reset and PlainEmulator.reset(). Configuration (rate limit, latency) is kept. */
  reset(): void {
    this.store.reset();
    this.log.clear();
    this.faults.clear();
    this.limiter.reset();
  }
}
