import { describe, expect, test } from 'vitest';
import { Clock, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock, { incrementalPerMinute: 10 });
const EXPORT = '/api/v2/incremental/tickets/cursor.json?start_time=0';

describe('Zendesk emulator: rate limits', () => {
  test('/incremental/* is limited to incrementalPerMinute: 429, Retry-After = time left, a free-text body', async () => {
    for (let i = 0; i < 10; i++) expect((await get(emu, EXPORT)).status).toBe(200);
    clock.advance(15);
    const r = await get(emu, EXPORT);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('45');
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.text).toMatch(/Rate limit for incremental exports exceeded/);
    expect(() => JSON.parse(r.text)).toThrow();
    expect(r.headers.get('x-rate-limit')).toBe('700');
    // other endpoints have their own (account) budget
    expect((await get(emu, '/api/v2/tickets/101.json')).status).toBe(200);
    clock.advance(46);
    expect((await get(emu, EXPORT)).status).toBe(200);
  });

  test('retryAfterSeconds overrides the announced wait; the incremental budget is reported in a header', async () => {
    emu.configure({ incrementalPerMinute: 1, retryAfterSeconds: 0 });
    const ok = await get(emu, EXPORT);
    expect(ok.headers.get('zendesk-ratelimit-incremental-exports')).toBe('total=1; remaining=0; resets=60');
    const r = await get(emu, EXPORT);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('0');
  });

  test('the account limit (requestsPerMinute) covers every endpoint', async () => {
    emu.configure({ requestsPerMinute: 3 });
    for (let i = 0; i < 3; i++) {
      const r = await get(emu, '/api/v2/users/1001.json');
      expect(r.status).toBe(200);
      expect(r.headers.get('x-rate-limit-remaining')).toBe(String(2 - i));
    }
    const r = await get(emu, '/api/v2/ticket_fields.json');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('60');
    expect(r.text).not.toMatch(/^\{/);
    clock.advance(60);
    expect((await get(emu, '/api/v2/ticket_fields.json')).status).toBe(200);
  });

  test('0 means unlimited', async () => {
    emu.configure({ incrementalPerMinute: 0 });
    for (let i = 0; i < 15; i++) expect((await get(emu, EXPORT)).status).toBe(200);
  });
});
