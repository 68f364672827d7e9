import { describe, expect, it } from 'vitest';
import { PullPlainRenderer } from '../../../src/ui/pull/plain-renderer.js';
import { play, sink, T0 } from './events.js';

const SUMMARY = { outcome: 'interrupted', reason: 'stopped by SIGINT; the next pull resumes from the last committed page', requests: { zendesk: 13 }, rateLimited: { zendesk: 1 } } as const;

function run(heartbeatMs = 10_000) {
  const c = { t: T0 };
  const out = sink();
  const r = new PullPlainRenderer(out, { heartbeatMs, now: () => c.t });
  play(c, r.on);
  c.t = T0 + 26_000;
  return { c, out, r };
}

describe('PullPlainRenderer', () => {
  it('a line per stream start and done, retries, one per pause, notes, heartbeats, the summary; never one per page or request', async () => {
    const { out, r } = run();
    await r.close(SUMMARY);
    for (const l of out.lines) expect(l).toMatch(/^2026-11-22T\d\d:\d\d:\d\dZ /);
    expect(out.lines.map((l) => l.slice(21))).toEqual([
      'zendesk.tickets: pulling',
      'RETRY zendesk: HTTP 503 on https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json (attempt 1); again in 1.5 s',
      'RATE-LIMITED zendesk: waiting 12 s for the rate-limit window (until 2026-11-22T00:57:39Z)',
      'progress: 1,200 records (1,170 new, 30 changed) · zendesk.tickets 1,200 · 5 requests (1 failed) · 18 requests/min · 1 retry · 1 rate-limit wait · elapsed 17 s',
      'zendesk.tickets: 1,200 records (1,170 new, 30 changed)',
      'zendesk.ticket_comments: pulling (total 1,000)',
      'progress: 1,400 records (1,370 new, 30 changed) · zendesk.ticket_comments 200/1,000 20% · 8 requests (1 failed) · 24 requests/min · 1 retry · 1 rate-limit wait · elapsed 20 s',
      'NOTE zendesk.ticket_comments: ticket 42 was deleted since it was listed; its comments are kept',
      'Pull interrupted after 26 s: 2,000 records (1,970 new, 30 changed) from 2 streams',
      'Reason: stopped by SIGINT; the next pull resumes from the last committed page',
      'Requests sent: zendesk 13 (1 rate-limited); 1 retry, 1 rate-limit wait.',
    ]);
    expect(out.lines[0]!.slice(0, 21)).toBe('2026-11-22T00:57:23Z ');
  });

  it('the heartbeat shows the ETA of a stream with a total, and the countdown while a pause runs', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PullPlainRenderer(out, { heartbeatMs: 5000, now: () => c.t });
    r.on({ type: 'stream-start', stream: 'z.ticket_comments', total: 1000 });
    for (let i = 1; i <= 6; i++) {
      c.t = T0 + i * 1000;
      r.on({ type: 'page', stream: 'z.ticket_comments', records: 100, added: 100, updated: 0 });
    }
    r.on({ type: 'rate-limit-wait', connection: 'z', untilMs: T0 + 16_000 });
    c.t = T0 + 10_000; // 600 records in 10 s, 400 to go: ETA 6.7 s
    r.on({ type: 'rate-limit-wait', connection: 'z', untilMs: T0 + 17_000 }); // an extension: no new line, but a beat is due
    await r.close();
    const text = out.lines.map((l) => l.slice(21));
    expect(text.filter((l) => l.startsWith('progress:'))).toEqual([
      'progress: 500 records (500 new, 0 changed) · z.ticket_comments 500/1,000 50% ETA 5 s · 0 requests · 0 requests/min · 0 retries · 0 rate-limit waits · elapsed 5 s',
      'progress: 600 records (600 new, 0 changed) · z.ticket_comments 600/1,000 60% ETA 7 s · 0 requests · 0 requests/min · 0 retries · 1 rate-limit wait · elapsed 10 s · rate-limited — resuming in 7 s',
      // close() without a summary: one last progress line
      'progress: 600 records (600 new, 0 changed) · z.ticket_comments 600/1,000 60% ETA 7 s · 0 requests · 0 requests/min · 0 retries · 1 rate-limit wait · elapsed 10 s · rate-limited — resuming in 7 s',
    ]);
    expect(text.filter((l) => l.startsWith('RATE-LIMITED'))).toHaveLength(1);
  });

  it('never prints a query string, even if an event carried one', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PullPlainRenderer(out, { heartbeatMs: 0, now: () => c.t });
    r.on({ type: 'retry', connection: 'z', url: 'https://a.zendesk.com/api/v2/x.json?cursor=secret&token=abc#frag', attempt: 2, delayMs: 250, reason: 'ECONNRESET' });
    await r.close();
    expect(out.lines.map((l) => l.slice(21))).toEqual(['RETRY z: ECONNRESET on https://a.zendesk.com/api/v2/x.json (attempt 2); again in 250 ms']);
  });

  it('heartbeat 0: no progress lines; events after close are ignored', async () => {
    const { c, out, r } = run(0);
    await r.close();
    const n = out.lines.length;
    expect(out.lines.some((l) => l.includes('progress:'))).toBe(false);
    c.t += 1000;
    r.on({ type: 'stream-start', stream: 'late' });
    expect(out.lines).toHaveLength(n);
  });
});
