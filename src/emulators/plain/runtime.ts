/** The live state one emulator instance shares between its HTTP handlers. */
import type { ServerResponse } from 'node:http';
import { RequestLog } from '../common/log.js';
import { FaultInjector } from './faults.js';
import { RateLimiter } from './ratelimit.js';
import type { PlainStore } from './store.js';
import type { EmulatorRequestLog } from './types.js';

export { DEFAULT_MAX_LOGGED_REQUESTS } from '../common/log.js';

export interface EmulatorConfig {
  latencyMs: number;
}

export class EmulatorRuntime {
  readonly limiter: RateLimiter;
  readonly faults = new FaultInjector();
  readonly log: RequestLog<EmulatorRequestLog>;
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
