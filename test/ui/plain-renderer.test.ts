import { afterEach, describe, expect, it, vi } from 'vitest';
import { PlainRenderer } from '../../src/ui/plain-renderer.js';
import { counts, done, request, resource, start, T0 } from './events.js';

function sink() {
  const lines: string[] = [];
  return { lines, write: (s: string) => void lines.push(...s.split('\n').slice(0, -1)) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('PlainRenderer', () => {
  it('10 000 events over 60 s: the start line, ~6 heartbeats, phase lines, failures, the summary', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PlainRenderer(out, { heartbeatMs: 10_000, now: () => c.t });
    r.on(start({ customers: 100, threads: 900, messages: 4000 }));
    // 5 000 requests, each answered with one resource: customers first, then threads, then messages
    const plan = [
      ...Array.from({ length: 100 }, () => 'customer' as const),
      ...Array.from({ length: 900 }, () => 'thread' as const),
      ...Array.from({ length: 4000 }, () => 'message' as const),
    ];
    plan.forEach((kind, i) => {
      c.t = T0 + Math.round(((i + 1) * 60_000) / plan.length);
      r.on(request(c.t));
      r.on(resource(kind, i === 150 || i === 4000 ? 'FAILED' : 'CREATED', i));
    });
    r.on(done(counts({ customer: { CREATED: 100 }, thread: { CREATED: 899, FAILED: 1 }, message: { CREATED: 3999, FAILED: 1 } }), 'completed-with-failures', c.t));
    await r.close();

    for (const l of out.lines) expect(l).toMatch(/^(2026-11-22T\d\d:\d\d:\d\dZ |\s{21})/);
    const text = out.lines.map((l) => l.slice(21));
    expect(text[0]).toBe(
      'Apply started: zendesk-to-plain → plain http://127.0.0.1:4849/graphql/v1, run #7; to do: 100 customers, 900 threads, 4,000 messages; limit 450 requests/min, concurrency 4',
    );
    const beats = text.filter((l) => l.startsWith('progress:'));
    expect(beats).toHaveLength(6);
    expect(beats[0]).toBe(
      'progress: customers 100/100 100%, threads 733/900 81%, messages 0/4,000 0% (1 failed) · 5,000 requests/min of 450 · 0 retries · elapsed 10 s · ETA 50 s',
    );
    expect(text.filter((l) => l.startsWith('FAILED '))).toEqual([
      'FAILED thread.zendesk["150"]: Input validation failed [input_validation] — title: must be at most 200 characters (VALIDATION)',
      'FAILED message.zendesk["4000"]: Input validation failed [input_validation] — title: must be at most 200 characters (VALIDATION)',
    ]);
    expect(text.filter((l) => / finished: /.test(l))).toEqual([
      'customers finished: 100/100 (100 created, 0 noop, 0 failed) after 1 s',
      'threads finished: 900/900 (899 created, 0 noop, 1 failed) after 12 s',
      'messages finished: 4,000/4,000 (3,999 created, 0 noop, 1 failed) after 1m 00s',
    ]);
    expect(text.slice(-2)).toEqual([
      'Apply completed-with-failures: customers: 100 created, 0 noop, 0 failed | threads: 899 created, 0 noop, 1 failed | messages: 3999 created, 0 noop, 1 failed',
      'Invalid records skipped: 2. Requests sent: upsertCustomer 10, importThread 20, importThreadMessages 5.',
    ]);
    expect(out.lines.length).toBeLessThan(20);
  });

  it('a target whose import carries the contact (There There) has no customer phase in any line', async () => {
    const c = { t: T0 };
    const out = sink();
    const r = new PlainRenderer(out, { heartbeatMs: 1_000, now: () => c.t });
    const s = start({ customers: 0, threads: 2, messages: 3 });
    r.on(s.type === 'start' ? { ...s, info: { ...s.info, target: 'therethere http://127.0.0.1:4850', customersInline: true } } : s);
    c.t += 1_500;
    r.on(resource('thread', 'CREATED', 1));
    r.on(resource('thread', 'CREATED', 2));
    r.on(done(counts({ thread: { CREATED: 2 }, message: { CREATED: 3 } }), 'completed', c.t));
    await r.close();
    const text = out.lines.map((l) => l.slice(21));
    expect(text[0]).toContain('to do: 2 threads, 3 messages;');
    expect(text.join('\n')).not.toMatch(/customer/);
    expect(text).toContain('threads finished: 2/2 (2 created, 0 noop, 0 failed) after 2 s');
    expect(text.at(-2)).toBe('Apply completed: threads: 2 created, 0 noop, 0 failed | messages: 3 created, 0 noop, 0 failed');
  });

  it('keeps the summary format the end-to-end tests grep', () => {
    const out = sink();
    const r = new PlainRenderer(out, { now: () => T0 });
    r.on(start());
    r.on({ type: 'retry', operation: 'importThread', address: 'x', attempt: 1, delayMs: 5, error: { code: 'http_503', message: 'unavailable' } });
    r.on(done(counts({ thread: { CREATED: 3, UPDATED: 11 } }), 'interrupted'));
    const tail = out.lines.slice(-2).map((l) => l.slice(21));
    expect(tail[0]).toBe('Apply interrupted: customers: 0 created, 0 noop, 0 failed | threads: 3 created, 0 noop, 11 updated, 0 failed | messages: 0 created, 0 noop, 0 failed');
    expect(tail[1]).toBe('Invalid records skipped: 2. Requests sent: upsertCustomer 10, importThread 20, importThreadMessages 5 (1 retries).');
    expect(r.retries).toBe(1);
  });

  it('prints every notice as its own line with the wording the end-to-end tests grep', () => {
    const out = sink();
    const r = new PlainRenderer(out, { now: () => T0 });
    r.on(start());
    r.on({ type: 'invalid', invalid: { address: 'thread["zd-5"]', where: 'export/tickets.jsonl:5', reasons: ['subject is missing', 'no requester'] } });
    r.on({ type: 'orphan', address: 'thread["zd-13"]' });
    r.on({ type: 'deleted', address: 'thread["zd-14"]' });
    r.on({ type: 'not-applied', address: 'thread["zd-2"]', reason: 'title was also changed in the target since the last apply' });
    r.on({ type: 'rate-limit-wait', untilMs: T0 + 12_000 });
    r.on({ type: 'rate-limit-wait', untilMs: T0 + 13_000 }); // an extension of the same pause: no new line
    r.on({ type: 'stopping', reason: 'the API key was rejected' });
    expect(out.lines.slice(1)).toEqual([
      '2026-11-22T00:57:23Z INVALID thread["zd-5"] (export/tickets.jsonl:5)',
      '                           - subject is missing',
      '                           - no requester',
      '2026-11-22T00:57:23Z ORPHAN thread["zd-13"]: its source record is gone; kept in the target',
      '2026-11-22T00:57:23Z DELETED thread["zd-14"]: no longer in the target; not re-created',
      '2026-11-22T00:57:23Z NOTE thread["zd-2"]: title was also changed in the target since the last apply',
      '2026-11-22T00:57:23Z RATE-LIMITED: waiting 12 s for the rate-limit window (until 2026-11-22T00:57:35Z)',
      '2026-11-22T00:57:23Z STOPPING: the API key was rejected',
    ]);
    expect(r.invalid).toBe(1);
  });

  it('beats on its own unref’d timer while the run is quiet, and stops on close', async () => {
    vi.useFakeTimers({ now: T0 });
    const out = sink();
    const r = new PlainRenderer(out, { heartbeatMs: 10_000 });
    expect(vi.getTimerCount()).toBe(0);
    r.on(start());
    expect(vi.getTimerCount()).toBe(1);
    const unref = vi.spyOn(globalThis, 'setTimeout');
    vi.advanceTimersByTime(30_000);
    expect(out.lines.filter((l) => l.includes(' progress: '))).toHaveLength(3);
    expect((unref.mock.results[0]?.value as NodeJS.Timeout).hasRef()).toBe(false);
    await r.close(); // no done event: one last progress line
    expect(out.lines.filter((l) => l.includes(' progress: '))).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(60_000);
    expect(out.lines.filter((l) => l.includes(' progress: '))).toHaveLength(4);
  });

  it('stops the heartbeat at done', () => {
    vi.useFakeTimers({ now: T0 });
    const r = new PlainRenderer(sink(), { heartbeatMs: 1000 });
    r.on(start());
    r.on(done(counts({})));
    expect(vi.getTimerCount()).toBe(0);
  });
});
