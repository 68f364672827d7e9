/**
 * Plain's rate limit: one fixed 60 s window per workspace (all keys share it); the limiter itself is
 * ../common/ratelimit.ts.
 */
export { RateLimiter, UNLIMITED_HEADER_LIMIT, WINDOW_MS, type RateDecision } from '../common/ratelimit.js';

export const RATE_LIMITED_BODY = {
  errors: [{ message: 'Too Many Requests - Rate limit exceeded', extensions: { code: 'RATE_LIMITED' } }],
} as const;
