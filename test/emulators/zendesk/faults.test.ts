import { describe, expect, test } from 'vitest';
import { Clock, get, post, useEmulator } from './helpers.js';

const clock = new Clock();
const emu = useEmulator(clock);

describe('Zendesk emulator: faults and inspection', () => {
  test('status:503 on one operation answers a Zendesk-style JSON error, then the request succeeds', async () => {
    const set = await post(emu, '/__emulator/faults', { rules: [{ operation: 'ticket.comments', action: 'status:503', times: 1 }] });
    expect(set.status).toBe(200);
    const r = await get(emu, '/api/v2/tickets/101/comments.json');
    expect(r.status).toBe(503);
    expect(r.body).toEqual({ error: 'ServiceUnavailable', description: 'Service temporarily unavailable' });
    expect((await get(emu, '/api/v2/tickets/101/comments.json')).status).toBe(200);
    expect((await get(emu, '/api/v2/tickets/101.json')).status).toBe(200);
  });

  test('reset destroys the connection; rate-limit answers 429 with Retry-After', async () => {
    await post(emu, '/__emulator/faults', {
      rules: [
        { operation: 'incremental.tickets', action: 'reset', times: 1 },
        { operation: 'users.show', action: 'rate-limit', retryAfterSeconds: 7 },
      ],
    });
    await expect(get(emu, '/api/v2/incremental/tickets/cursor.json?start_time=0')).rejects.toThrow();
    const r = await get(emu, '/api/v2/users/1001.json');
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(r.text).not.toMatch(/^\{/);
    const bad = await post(emu, '/__emulator/faults', { rules: [{ action: 'explode' }] });
    expect(bad.status).toBe(400);
  });

  test('the request log names each operation with its status; config exposes the keys', async () => {
    await get(emu, '/api/v2/incremental/tickets/cursor.json?start_time=0');
    await get(emu, '/api/v2/tickets/101/comments.json');
    await get(emu, '/api/v2/tickets/101/comments.json', null);
    const log = (await get(emu, '/__emulator/requests', null)).body;
    expect(log.map((e: any) => [e.operation, e.status, e.path])).toEqual([
      ['incremental.tickets', 200, '/api/v2/incremental/tickets/cursor.json'],
      ['ticket.comments', 200, '/api/v2/tickets/101/comments.json'],
      ['ticket.comments', 401, '/api/v2/tickets/101/comments.json'],
    ]);
    expect(log[0].query).toBe('start_time=0');
    const cfg = await get(emu, '/__emulator/config', null);
    expect(Object.keys(cfg.body).sort()).toEqual(
      ['emptyPageGapSeconds', 'hideLastSeconds', 'incrementalPerMinute', 'latencyMs', 'minStartTimeLagSeconds', 'requestsPerMinute', 'retryAfterSeconds'].sort(),
    );
    expect(cfg.body).toMatchObject({ requestsPerMinute: 700, retryAfterSeconds: -1, minStartTimeLagSeconds: 60, hideLastSeconds: 60, emptyPageGapSeconds: 2_592_000 });
    const changed = await post(emu, '/__emulator/config', { minStartTimeLagSeconds: 0, hideLastSeconds: 0 });
    expect(changed.body).toMatchObject({ minStartTimeLagSeconds: 0, hideLastSeconds: 0 });
    expect((await get(emu, `/api/v2/incremental/tickets/cursor.json?start_time=${clock.sec}`)).status).toBe(200);
    const state = (await get(emu, '/__emulator/state', null)).body;
    expect(state.tickets).toHaveLength(40);
  });
});
