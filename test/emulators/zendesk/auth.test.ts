import { describe, expect, test } from 'vitest';
import { API_TOKEN, BASIC, BEARER, Clock, EMAIL, get, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);
const basic = (s: string): string => `Basic ${Buffer.from(s).toString('base64')}`;

describe('Zendesk emulator: authentication', () => {
  test('an API token (Basic email/token:…) and an OAuth token (Bearer) are accepted', async () => {
    for (const auth of [BASIC, BEARER, basic(`${EMAIL.toUpperCase()}/token:${API_TOKEN}`)]) {
      const r = await get(emu, '/api/v2/tickets/101.json', auth);
      expect(r.status, auth).toBe(200);
      expect(r.body.ticket).toMatchObject({ id: 101, subject: 'Invoice shows the wrong VAT number' });
    }
  });

  test('no, bad or password credentials → 401 "Couldn\'t authenticate you" with WWW-Authenticate', async () => {
    for (const auth of [null, basic(`${EMAIL}/token:wrong`), basic(`${EMAIL}:${API_TOKEN}`), basic(`other@acme.test/token:${API_TOKEN}`), 'Token abc']) {
      const r = await get(emu, '/api/v2/incremental/tickets/cursor.json?start_time=0', auth);
      expect(r.status, String(auth)).toBe(401);
      expect(r.body).toEqual({ error: "Couldn't authenticate you" });
      expect(r.headers.get('www-authenticate')).toBe('Basic realm="Web Password"');
    }
  });

  test('a wrong Bearer token → 401 invalid_token', async () => {
    const r = await get(emu, '/api/v2/ticket_fields.json', 'Bearer nope');
    expect(r.status).toBe(401);
    expect(r.body).toEqual({ error: 'invalid_token', error_description: 'The access token provided is expired, revoked, malformed or invalid for other reasons.' });
  });

  test('401s spend no budget; every API response carries X-Rate-Limit and X-Rate-Limit-Remaining', async () => {
    await get(emu, '/api/v2/ticket_fields.json', null);
    const r = await get(emu, '/api/v2/ticket_fields.json');
    expect(r.headers.get('x-rate-limit')).toBe('700');
    expect(r.headers.get('x-rate-limit-remaining')).toBe('699');
    const unknown = await get(emu, '/api/v2/nope.json');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'InvalidEndpoint', description: 'Not found' });
    expect(unknown.headers.get('x-rate-limit')).toBe('700');
  });
});
