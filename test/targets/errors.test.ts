import { ClientError } from 'graphql-request';
import { beforeAll, describe, expect, it } from 'vitest';
import { classifyThrown, fromGraphQLErrors, fromMutationError, graphqlRequest, parseRateLimitHeaders } from '../../src/targets/plain/errors.js';

// The target loads graphql-request with its first request; classifyThrown knows ClientError from then.
beforeAll(() => graphqlRequest());

const clientError = (status: number, headers: Record<string, string> = {}, errors?: unknown[]) =>
  new ClientError({ status, headers: new Headers(headers), errors, body: '' } as never, { query: 'q' });
const not = { timedOut: false, cancelled: false };

describe('Plain error classification', () => {
  it('429 is retried after Retry-After, else after x-ratelimit-reset', () => {
    const a = classifyThrown(clientError(429, { 'retry-after': '7' }), not);
    expect(a.retryable).toBe(true);
    expect(a.retryAfterMs).toBe(7000);
    const reset = new Date(Date.now() + 20_000).toISOString();
    const b = classifyThrown(clientError(429, { 'x-ratelimit-reset': reset }), not);
    expect(b.retryAfterMs).toBeGreaterThan(18_000);
    expect(b.retryAfterMs).toBeLessThanOrEqual(20_000);
  });
  it('5xx, timeouts and connection resets are retried', () => {
    expect(classifyThrown(clientError(503), not).retryable).toBe(true);
    expect(classifyThrown(new Error('x'), { timedOut: true, cancelled: false }).recorded.code).toBe('timeout');
    const reset = Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } });
    const r = classifyThrown(reset, not);
    expect(r.retryable).toBe(true);
    expect(r.recorded.message).toContain('ECONNRESET');
  });
  it('401 is fatal and not retried; 400 GraphQL validation is recorded, not retried', () => {
    const u = classifyThrown(clientError(401, {}, [{ message: 'bad key', extensions: { code: 'UNAUTHENTICATED' } }]), not);
    expect([u.retryable, u.fatal, u.recorded.code]).toEqual([false, true, 'UNAUTHENTICATED']);
    const v = classifyThrown(clientError(400, {}, [{ message: 'Cannot query field', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }]), not);
    expect([v.retryable, v.recorded.code]).toEqual([false, 'GRAPHQL_VALIDATION_FAILED']);
  });
  it('MutationError INTERNAL is retried; VALIDATION and FORBIDDEN keep Plain’s message and fields', () => {
    expect(fromMutationError({ message: 'oops', type: 'INTERNAL', code: 'internal', fields: [] }).retryable).toBe(true);
    const v = fromMutationError({ message: 'bad', type: 'VALIDATION', code: 'input_validation', fields: [{ field: 'priority', message: 'must be 0..3', type: 'VALIDATION' }] });
    expect(v.retryable).toBe(false);
    expect(v.recorded.fields![0]!.field).toBe('priority');
    expect(fromMutationError({ message: 'Missing permission: thread:import', type: 'FORBIDDEN', code: 'forbidden', fields: [] }).retryable).toBe(false);
    expect(fromGraphQLErrors([{ message: 'x', extensions: { code: 'INTERNAL_SERVER_ERROR' } }]).retryable).toBe(true);
    expect(fromGraphQLErrors([{ message: 'x', extensions: { code: 'FORBIDDEN' } }]).retryable).toBe(false);
  });
  it('reads x-ratelimit-* headers', () => {
    const h = new Headers({ 'x-ratelimit-limit': '450', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '2026-10-05T12:01:00.000Z' });
    expect(parseRateLimitHeaders(h)).toEqual({ limit: 450, remaining: 0, resetAt: Date.parse('2026-10-05T12:01:00.000Z') });
    expect(parseRateLimitHeaders(new Headers({ 'x-ratelimit-remaining': 'lots' }))).toEqual({ limit: undefined, remaining: undefined, resetAt: undefined });
  });
});
