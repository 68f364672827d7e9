/** Classification of There There's answers and transport failures into TargetError. */
import { describe, expect, it } from 'vitest';
import {
  classifyResponse,
  classifyThrown,
  parseRateLimitHeaders,
  redactorFor,
  retryAfterMsOf,
  validationFields,
} from '../../../src/targets/therethere/errors.js';
import { TargetError } from '../../../src/targets/types.js';

const TOKEN = '7|s3cr3tTokenValueXYZ';
const redact = redactorFor(TOKEN);
const NOW = Date.parse('2025-01-01T00:00:00Z');

function all(e: TargetError): string {
  return JSON.stringify({ message: e.message, recorded: e.recorded });
}

describe('classifyResponse', () => {
  it('429: retryable, retryAfterMs from Retry-After in seconds', () => {
    const e = classifyResponse(429, new Headers({ 'retry-after': '17' }), { message: 'Too Many Attempts.' }, { now: NOW });
    expect(e.retryable).toBe(true);
    expect(e.fatal).toBe(false);
    expect(e.retryAfterMs).toBe(17_000);
    expect(e.recorded).toEqual({ code: 'rate_limited', message: 'Too Many Attempts. (HTTP 429)', type: 'RATE_LIMIT' });
  });
  it('429: Retry-After as an HTTP date', () => {
    const at = new Date(NOW + 42_000).toUTCString();
    expect(classifyResponse(429, new Headers({ 'retry-after': at }), undefined, { now: NOW }).retryAfterMs).toBe(42_000);
    const past = new Date(NOW - 5_000).toUTCString();
    expect(classifyResponse(429, new Headers({ 'retry-after': past }), undefined, { now: NOW }).retryAfterMs).toBe(0);
  });
  it('429: without Retry-After, X-RateLimit-Reset (unix seconds); with neither, no wait is invented', () => {
    const reset = String(Math.floor(NOW / 1000) + 30);
    expect(classifyResponse(429, new Headers({ 'x-ratelimit-reset': reset }), undefined, { now: NOW }).retryAfterMs).toBe(30_000);
    const bare = classifyResponse(429, new Headers(), undefined, { now: NOW });
    expect(bare.retryable).toBe(true);
    expect(bare.retryAfterMs).toBeUndefined();
  });
  it('5xx and 408: retryable http_<status>', () => {
    for (const s of [500, 502, 503, 504, 408]) {
      const e = classifyResponse(s, new Headers(), undefined);
      expect(e.retryable).toBe(true);
      expect(e.fatal).toBe(false);
      expect(e.recorded.code).toBe(`http_${s}`);
      expect(e.recorded.type).toBe('SERVER');
    }
    expect(classifyResponse(500, new Headers(), { message: 'Server Error' }).message).toBe('Server Error (HTTP 500)');
  });
  it('401: fatal, not retryable, points at the token variable', () => {
    const e = classifyResponse(401, new Headers(), { message: 'Unauthenticated.' });
    expect(e.fatal).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.recorded.code).toBe('unauthenticated');
    expect(e.message).toMatch(/^Unauthenticated\. \(HTTP 401\).*target\.therethere\.token/);
  });
  it('403: fatal with the admin-token hint', () => {
    const e = classifyResponse(403, new Headers(), { message: 'This action is unauthorized.' });
    expect(e.fatal).toBe(true);
    expect(e.retryable).toBe(false);
    expect(e.recorded.code).toBe('forbidden');
    expect(e.recorded.type).toBe('FORBIDDEN');
    expect(e.message).toMatch(/admin token/);
    const ws = classifyResponse(403, new Headers(), { message: 'This token cannot access workspace 7.' });
    expect(ws.fatal).toBe(true);
    expect(ws.message).toMatch(/target\.therethere\.workspaceId/);
    expect(ws.message).not.toMatch(/admin token/);
  });
  it("422: not retryable; Laravel's errors become one field per message", () => {
    const body = {
      message: 'The subject field must not be greater than 255 characters. (and 2 more errors)',
      errors: {
        subject: ['The subject field must not be greater than 255 characters.'],
        'messages.3.body': ['The messages.3.body field is required.', 'The messages.3.body field must be a string.'],
      },
    };
    const e = classifyResponse(422, new Headers(), body);
    expect(e.retryable).toBe(false);
    expect(e.fatal).toBe(false);
    expect(e.recorded).toEqual({
      code: 'validation',
      message: body.message,
      type: 'VALIDATION',
      fields: [
        { field: 'subject', message: 'The subject field must not be greater than 255 characters.', type: 'VALIDATION' },
        { field: 'messages.3.body', message: 'The messages.3.body field is required.', type: 'VALIDATION' },
        { field: 'messages.3.body', message: 'The messages.3.body field must be a string.', type: 'VALIDATION' },
      ],
    });
  });
  it('422 without errors (or with a body that is not JSON) still records validation', () => {
    expect(classifyResponse(422, new Headers(), { message: 'Invalid.' }).recorded).toEqual({ code: 'validation', message: 'Invalid.', type: 'VALIDATION', fields: [] });
    expect(classifyResponse(422, new Headers(), undefined).recorded).toEqual({ code: 'validation', message: 'HTTP 422', type: 'VALIDATION', fields: [] });
    expect(validationFields({ errors: ['x'] })).toEqual([]);
    expect(validationFields({ errors: { a: 'one string' } })).toEqual([{ field: 'a', message: 'one string', type: 'VALIDATION' }]);
  });
  it('404: not_found, recorded', () => {
    const e = classifyResponse(404, new Headers(), { message: 'Not Found' });
    expect(e.recorded.code).toBe('not_found');
    expect(e.retryable).toBe(false);
    expect(e.fatal).toBe(false);
  });
  it('400 about the workspace is fatal with the workspaceId hint; other codes are http_<status>', () => {
    const ws = classifyResponse(400, new Headers(), { message: 'The X-Workspace-Id header is required.' });
    expect(ws.fatal).toBe(true);
    expect(ws.recorded.code).toBe('http_400');
    expect(ws.message).toMatch(/target\.therethere\.workspaceId/);
    for (const s of [400, 405, 409, 410, 413, 418]) {
      const e = classifyResponse(s, new Headers(), { message: 'Nope.' });
      expect(e.recorded.code).toBe(`http_${s}`);
      expect(e.retryable).toBe(false);
      expect(e.fatal).toBe(false);
    }
  });
  it('long server messages are cut; whitespace is folded', () => {
    const e = classifyResponse(409, new Headers(), { message: `a\n\n${'x'.repeat(2000)}` });
    expect(e.message.length).toBeLessThan(530);
    expect(e.message).not.toMatch(/\n/);
  });
  it('the token never appears, whatever the server echoes', () => {
    const echo = { message: `Bad token Bearer ${TOKEN}`, errors: { [`x${TOKEN}`]: [`value ${TOKEN} is wrong`] } };
    for (const s of [400, 401, 403, 404, 409, 422, 429, 500]) {
      const e = classifyResponse(s, new Headers({ 'retry-after': '1' }), echo, { redact });
      expect(all(e)).not.toContain(TOKEN);
      expect(all(e)).toContain('[redacted]');
    }
  });
});

describe('classifyThrown', () => {
  const base = { timedOut: false, cancelled: false, baseUrl: 'https://there-there.app', redact };
  const net = (code: string): Error => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`${code} at 1.2.3.4`), { code }) });
  it('cancelled by the caller: not retried', () => {
    const e = classifyThrown(new DOMException('aborted', 'AbortError'), { ...base, cancelled: true });
    expect(e.recorded.code).toBe('cancelled');
    expect(e.retryable).toBe(false);
  });
  it('own timeout: retryable', () => {
    const e = classifyThrown(new DOMException('timeout', 'TimeoutError'), { ...base, timedOut: true });
    expect(e.recorded.code).toBe('timeout');
    expect(e.retryable).toBe(true);
  });
  it('connection reset and socket errors: retryable transport', () => {
    for (const code of ['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']) {
      const e = classifyThrown(net(code), base);
      expect(e.recorded.code).toBe('transport');
      expect(e.retryable).toBe(true);
      expect(e.fatal).toBe(false);
      expect(e.message).toContain(code);
    }
  });
  it('unreachable host: retried, fatal once exhausted', () => {
    const refused = classifyThrown(net('ECONNREFUSED'), base);
    expect(refused.recorded.code).toBe('connect');
    expect(refused.retryable).toBe(true);
    expect(refused.fatalWhenExhausted).toBe(true);
    expect(refused.message).toMatch(/target\.therethere\.baseUrl/);
    expect(classifyThrown(net('ENOTFOUND'), base).recorded.code).toBe('dns');
  });
  it('TLS: fatal', () => {
    const e = classifyThrown(net('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), base);
    expect(e.recorded.code).toBe('tls');
    expect(e.fatal).toBe(true);
  });
  it('a TargetError passes through', () => {
    const t = new TargetError({ code: 'x', message: 'x' }, false);
    expect(classifyThrown(t, base)).toBe(t);
  });
});

describe('rate-limit headers', () => {
  it('reads Laravel throttle headers', () => {
    expect(parseRateLimitHeaders(new Headers({ 'x-ratelimit-limit': '300', 'x-ratelimit-remaining': '12', 'x-ratelimit-reset': '1735689630' }))).toEqual({
      limit: 300,
      remaining: 12,
      resetAt: 1735689630_000,
    });
    expect(parseRateLimitHeaders(new Headers())).toEqual({});
    expect(parseRateLimitHeaders(undefined)).toEqual({});
    expect(retryAfterMsOf(new Headers({ 'retry-after': 'soon' }), NOW)).toBeUndefined();
  });
  it('the redactor removes every occurrence and leaves other text alone', () => {
    expect(redact(`${TOKEN}/${TOKEN}`)).toBe('[redacted]/[redacted]');
    expect(redact('nothing here')).toBe('nothing here');
    expect(redactorFor('')('abc')).toBe('abc');
  });
});
