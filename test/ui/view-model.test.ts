import { describe, expect, it } from 'vitest';
import { ApplyViewModel, MAX_PENDING, formatDuration } from '../../src/ui/view-model.js';
import { counts, done, request, resource, start, T0 } from './events.js';

function clock(t = T0) {
  const c = { t, now: () => c.t };
  return c;
}

describe('ApplyViewModel', () => {
  it('counts outcomes per phase against the totals of the start event', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    expect(vm.view().header).toBeUndefined();
    vm.apply(start({ customers: 4, threads: 3, messages: 0 }));
    for (const o of ['CREATED', 'CREATED', 'NOOP', 'FAILED'] as const) vm.apply(resource('customer', o));
    vm.apply(resource('thread', 'UPDATED'));
    const v = vm.view();
    expect(v.header).toEqual({ migration: 'zendesk-to-plain', target: 'plain http://127.0.0.1:4849/graphql/v1', runId: 7 });
    expect(v.limit).toBe(450);
    expect(v.phases.customers).toEqual({ done: 4, total: 4, percent: 100, CREATED: 2, NOOP: 1, UPDATED: 0, FAILED: 1 });
    expect(v.phases.threads).toMatchObject({ done: 1, total: 3, percent: 33, UPDATED: 1 });
    expect(v.phases.messages).toMatchObject({ done: 0, total: 0, percent: 100 });
  });

  it('measures requests per minute over the last 60 s and drops older requests', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start());
    for (let s = 0; s < 30; s++) for (let i = 0; i < 5; i++) vm.apply(request(T0 + s * 1000 + i * 100));
    c.t = T0 + 30_000; // 150 requests in the 30 s since the start
    expect(vm.view().requestsPerMinute).toBe(300);
    c.t = T0 + 75_000; // seconds 0–15 have left the window: 70 requests over the 59 s it spans
    expect(vm.view().requestsPerMinute).toBe(Math.round((70 * 60) / 59));
    for (let i = 0; i < 10; i++) vm.apply(request(c.t));
    expect(vm.view().requestsPerMinute).toBe(Math.round((80 * 60) / 59));
    c.t = T0 + 200_000;
    expect(vm.view().requestsPerMinute).toBe(0);
  });

  describe('requests per minute over the time actually elapsed (a fake clock)', () => {
    /**
     * A run sending 7.5 requests a second (450 a minute), one every 133⅓ ms after `fromMs` and until
     * `stopMs`; `to(ms)` moves the clock there, answering the requests due on the way.
     */
    function sender(c: { t: number }, vm: ApplyViewModel, fromMs = T0, stopMs = Infinity) {
      let k = 1;
      const due = () => fromMs + Math.round((k * 400) / 3);
      return (ms: number): number => {
        for (; due() <= Math.min(ms, stopMs); k++) {
          c.t = due();
          vm.apply(request(c.t));
        }
        c.t = ms;
        return vm.view().requestsPerMinute;
      };
    }

    it('reads ~450/min from the first seconds of a run sending 450/min, and stays there after a minute', () => {
      const c = clock();
      const vm = new ApplyViewModel({ now: c.now });
      vm.apply(start());
      const to = sender(c, vm);
      // at 2 s: 15 requests over 2 s; at 5 s: 37 over 5 s; at 10 s: 75 over 10 s (a full minute read 75)
      expect([to(T0 + 2000), to(T0 + 5000), to(T0 + 10_000)]).toEqual([450, 444, 450]);
      for (const s of [20, 30.9, 59.5, 60, 60.5, 61, 75.75, 89.99]) expect(Math.abs(to(T0 + s * 1000) - 450), `at ${s} s`).toBeLessThanOrEqual(8);
      // after a minute the window is the 59 whole seconds before the current one and its elapsed part:
      // at 90.000 s, seconds 31–89 (442 requests) and the one answered at 90.000, over 59 s
      expect(to(T0 + 90_000)).toBe(Math.round((443 * 60) / 59));
    });

    it('reads lower through a pause, and 0 once the last minute held no request', () => {
      const c = clock();
      const vm = new ApplyViewModel({ now: c.now });
      vm.apply(start());
      const to = sender(c, vm, T0, T0 + 10_000); // 75 requests, then nothing
      expect(to(T0 + 10_000)).toBe(450);
      expect(to(T0 + 20_000)).toBe(225); // 75 over 20 s
      expect(to(T0 + 40_000)).toBe(113); // 75 over 40 s
      expect(to(T0 + 65_000)).toBeLessThan(50); // seconds 6–65 in the window: the requests of seconds 6–10
      expect(to(T0 + 71_000)).toBe(0);
    });

    it('shows 0 before any request, and never divides by less than a second in the first one', () => {
      const c = clock();
      const vm = new ApplyViewModel({ now: c.now });
      expect(vm.view().requestsPerMinute).toBe(0); // before the start
      vm.apply(start());
      expect(vm.view().requestsPerMinute).toBe(0);
      c.t = T0 + 400;
      expect(vm.view().requestsPerMinute).toBe(0);
      // the limiter's opening burst (one second's worth) answered within 60 ms: 7 over a second, not over 60 ms
      for (let i = 0; i < 7; i++) vm.apply(request(T0 + 50 + i * 10));
      expect(vm.view().requestsPerMinute).toBe(420);
      c.t = T0 + 1000;
      expect(vm.view().requestsPerMinute).toBe(420);
      c.t = T0 + 2000;
      expect(vm.view().requestsPerMinute).toBe(210);
    });

    it('measures from the start event, not from the clock second it falls in', () => {
      const c = clock(T0 + 700);
      const vm = new ApplyViewModel({ now: c.now });
      vm.apply(start(undefined, T0 + 700));
      const to = sender(c, vm, T0 + 700);
      expect(to(T0 + 3_700)).toBe(440); // 22 requests over 3 s (the ring's slot for them began at T0)
    });
  });

  it('estimates from the span the last minute of completions actually covers (59 s and the current second)', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start({ customers: 0, threads: 0, messages: 1240 }));
    // 2 completions a second, at .250 and .750, for 120 s
    for (let k = 0; k < 240; k++) {
      c.t = T0 + 250 + k * 500;
      vm.apply(resource('message', 'CREATED', k));
    }
    c.t = T0 + 120_000; // the window: seconds 61–119 whole (118 completions) and 0 ms of second 120
    expect(vm.view().etaMs).toBe(500_000); // 1000 left at 2 a second (over a 60 s window it read 508 s)
    c.t = T0 + 120_600; // 59.6 s: seconds 61–119 and 600 ms of second 120, which held none
    expect(vm.view().etaMs).toBe(Math.round(1000 / (118 / 59_600)));
  });

  it('queues finished lines (failures with field errors, invalid records, notices) and drains each once', () => {
    const vm = new ApplyViewModel({ now: () => T0 });
    vm.apply(start());
    vm.apply(resource('thread', 'FAILED', 9));
    vm.apply({ type: 'invalid', invalid: { address: 'thread["zd-5"]', where: 'export/tickets.jsonl:5', reasons: ['subject is missing'] } });
    vm.apply({ type: 'orphan', address: 'thread["zd-13"]' });
    vm.apply({ type: 'deleted', address: 'thread["zd-14"]' });
    vm.apply({ type: 'not-applied', address: 'thread["zd-2"]', reason: 'title was also changed' });
    vm.apply({ type: 'stopping', reason: 'HTTP 401' });
    vm.apply(resource('thread', 'CREATED'));
    expect(vm.takeFinishedLines()).toEqual([
      'FAILED thread.zendesk["9"]: Input validation failed [input_validation] — title: must be at most 200 characters (VALIDATION)',
      'INVALID thread["zd-5"] (export/tickets.jsonl:5)\n      - subject is missing',
      'ORPHAN thread["zd-13"]: its source record is gone; kept in the target',
      'DELETED thread["zd-14"]: no longer in the target; not re-created',
      'NOTE thread["zd-2"]: title was also changed',
      'STOPPING: HTTP 401',
    ]);
    expect(vm.takeFinishedLines()).toEqual([]);
    const v = vm.view();
    expect([v.invalid, v.orphans, v.deleted, v.notApplied, v.stopping]).toEqual([1, 1, 1, 1, 'HTTP 401']);
  });

  it('reports the outcome after done', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start());
    vm.apply({ type: 'retry', operation: 'importThread', address: 'x', attempt: 1, delayMs: 10, error: { code: 'http_503', message: 'unavailable' } });
    vm.apply(done(counts({ thread: { CREATED: 3, UPDATED: 11 } }), 'completed', T0 + 61_000));
    c.t = T0 + 999_999;
    const v = vm.view();
    expect(v.done).toMatchObject({ outcome: 'completed', invalid: 2, retries: 1, elapsedMs: 61_000 });
    expect(v.done?.requests).toEqual({ upsertCustomer: 10, importThread: 20, importThreadMessages: 5 });
    expect(v.elapsedMs).toBe(61_000);
  });

  it('keeps bounded memory over 100k events', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start({ customers: 0, threads: 0, messages: 200_000 }));
    const feed = (n: number) => {
      for (let i = 0; i < n; i++) {
        c.t += 7;
        vm.apply(request(c.t));
        vm.apply(resource('message', i % 10 === 0 ? 'FAILED' : 'CREATED', i));
        vm.apply({ type: 'rate-limit-wait', untilMs: c.t + 5 });
      }
    };
    feed(10_000); // 30k events, 1000 failures pending (not drained)
    const size10k = JSON.stringify(vm).length;
    feed(90_000); // 300k events in all, 10k failures
    const size100k = JSON.stringify(vm).length;
    expect(size100k).toBeLessThan(size10k * 1.1);
    const lines = vm.takeFinishedLines();
    expect(lines).toHaveLength(MAX_PENDING + 1);
    expect(lines.at(-1)).toMatch(/^… 9000 more lines not shown/);
    expect(vm.view().phases.messages.done).toBe(100_000);
  });
});

describe('formatDuration', () => {
  it('reads like a person writes it', () => {
    expect([0, 999, 45_000, 200_000, 3_900_000].map(formatDuration)).toEqual(['0 s', '1 s', '45 s', '3m 20s', '1h 05m']);
  });
});
