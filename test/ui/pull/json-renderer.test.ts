import { describe, expect, it } from 'vitest';
import { PullJsonRenderer } from '../../../src/ui/pull/json-renderer.js';
import { play, RETRY_URL, sink, T0 } from './events.js';

function records(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('PullJsonRenderer', () => {
  it('one NDJSON record per stream start/done, page, retry, pause and note; progress on the heartbeat; pull-summary last', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PullJsonRenderer(out, { heartbeatMs: 10_000, now: () => c.t });
    play(c, r.on);
    c.t = T0 + 26_000;
    await r.close({ outcome: 'completed', requests: { zendesk: 13 }, rateLimited: { zendesk: 1 } });
    const recs = records(out.lines);
    for (const x of recs) {
      expect(x.format_version).toBe(1);
      expect(x.timestamp).toMatch(/^2026-11-22T\d\d:\d\d:\d\d\.\d{3}Z$/);
      expect(Object.values(x)).not.toContain(null);
    }
    expect(recs.map((x) => x.type)).toEqual([
      'pull-stream',
      ...Array<string>(3).fill('pull-page'),
      'pull-retry',
      'pull-wait',
      'pull-wait',
      'progress',
      'pull-page',
      'pull-stream',
      'pull-stream',
      'pull-page',
      'pull-page',
      'progress',
      ...Array<string>(6).fill('pull-page'),
      'pull-note',
      'pull-summary',
    ]);
    const { timestamp: _t, ...first } = recs[0]!;
    expect(first).toEqual({ format_version: 1, type: 'pull-stream', stream: 'zendesk.tickets', status: 'started' });
    expect(recs[2]).toMatchObject({ stream: 'zendesk.tickets', records: 400, added: 390, updated: 10, records_so_far: 800 });
    expect(recs[4]).toMatchObject({ connection: 'zendesk', url: RETRY_URL, attempt: 1, delay_ms: 1500, reason: 'HTTP 503', timestamp: '2026-11-22T00:57:26.200Z' });
    expect(recs[5]).toMatchObject({ connection: 'zendesk', until: '2026-11-22T00:57:39.000Z', until_ms: T0 + 16_000 });
    expect(recs[9]).toMatchObject({ stream: 'zendesk.tickets', status: 'done', records: 1200, added: 1170, updated: 30, elapsed_ms: 17_200 });
    expect(recs[10]).toMatchObject({ stream: 'zendesk.ticket_comments', status: 'started', total: 1000 });
    const { timestamp: _p, ...progress } = recs[13]!;
    expect(progress).toEqual({
      format_version: 1,
      type: 'progress',
      records: 1400,
      added: 1370,
      updated: 30,
      streams: {
        'zendesk.tickets': { records: 1200, added: 1170, updated: 30, pages: 4, done: true, elapsed_ms: 17_200 },
        'zendesk.ticket_comments': { records: 200, added: 200, updated: 0, pages: 2, total: 1000, done: false, percent: 20, elapsed_ms: 2800 },
      },
      requests: 8,
      failed_requests: 1,
      requests_per_minute: 24,
      retries: 1,
      rate_limit_waits: 1,
      elapsed_ms: 20_000,
    });
    expect(recs[7]).toMatchObject({ type: 'progress', elapsed_ms: 17_000 }); // the pause is over at 17 s: no waiting_until
    expect(recs[7]).not.toHaveProperty('waiting_until');
    expect(recs.at(-2)).toMatchObject({ type: 'pull-note', stream: 'zendesk.ticket_comments', message: expect.stringContaining('ticket 42') });
    expect(recs.at(-1)).toMatchObject({
      type: 'pull-summary',
      outcome: 'completed',
      records: 2000,
      added: 1970,
      updated: 30,
      requests: 13,
      requests_by_connection: { zendesk: 13 },
      rate_limited_by_connection: { zendesk: 1 },
      failed_requests: 1,
      retries: 1,
      rate_limit_waits: 1,
      elapsed_ms: 26_000,
    });
    expect(recs.at(-1)).not.toHaveProperty('reason');
  });

  it('progress shows waiting_until while a pause runs; close() without a summary writes nothing more', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PullJsonRenderer(out, { heartbeatMs: 1000, now: () => c.t });
    r.on({ type: 'rate-limit-wait', connection: 'z', untilMs: T0 + 5000 });
    c.t = T0 + 1000;
    r.on({ type: 'note', stream: 's', message: 'm' });
    await r.close();
    const recs = records(out.lines);
    expect(recs.map((x) => x.type)).toEqual(['pull-wait', 'pull-note', 'progress']);
    expect(recs[2]).toMatchObject({ waiting_until: '2026-11-22T00:57:28.000Z', waiting_until_ms: T0 + 5000, rate_limit_waits: 1 });
  });

  it('request events are counted, not written; a query string never reaches the output', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PullJsonRenderer(out, { heartbeatMs: 0, now: () => c.t });
    for (let i = 0; i < 50; i++) r.on({ type: 'request', connection: 'z', ok: i % 10 !== 0, at: T0 + i });
    r.on({ type: 'retry', connection: 'z', url: 'https://a.example/x?token=abc', attempt: 1, delayMs: 1, reason: 'HTTP 500' });
    await r.close({ outcome: 'failed', reason: 'HTTP 401' });
    expect(out.lines.join('\n')).not.toContain('token');
    const recs = records(out.lines);
    expect(recs.map((x) => x.type)).toEqual(['pull-retry', 'pull-summary']);
    expect(recs[1]).toMatchObject({ outcome: 'failed', reason: 'HTTP 401', requests: 50, failed_requests: 5, streams: {} });
    expect(recs[1]).not.toHaveProperty('requests_by_connection');
  });
});
