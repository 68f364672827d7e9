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
    c.t = T0 + 30_000;
    expect(vm.view().requestsPerMinute).toBe(150);
    c.t = T0 + 75_000; // seconds 0–15 have left the window
    expect(vm.view().requestsPerMinute).toBe(70);
    for (let i = 0; i < 10; i++) vm.apply(request(c.t));
    expect(vm.view().requestsPerMinute).toBe(80);
    c.t = T0 + 200_000;
    expect(vm.view().requestsPerMinute).toBe(0);
  });

  it('shows the rate limiter waiting, and clears it when the time passes or a request succeeds after it', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start());
    vm.apply({ type: 'rate-limit-wait', untilMs: T0 + 12_000 });
    expect(vm.view().limiter).toEqual({ waitingUntil: T0 + 12_000, resumesInMs: 12_000 });
    // a request that was in flight when the pause began finishes during it: still waiting
    vm.apply(request(T0 + 500));
    c.t = T0 + 2000;
    expect(vm.view().limiter.resumesInMs).toBe(10_000);
    c.t = T0 + 12_000;
    expect(vm.view().limiter).toEqual({});

    vm.apply({ type: 'rate-limit-wait', untilMs: T0 + 30_000 });
    expect(vm.view().limiter.waitingUntil).toBe(T0 + 30_000);
    vm.apply(request(T0 + 29_000, false)); // a failed request does not clear it
    expect(vm.view().limiter.waitingUntil).toBe(T0 + 30_000);
    vm.apply(request(T0 + 30_001)); // the emitter's clock says the pause is over
    expect(vm.view().limiter).toEqual({});
  });

  it('estimates the time left from the observed completion rate, once there is enough data', () => {
    const c = clock();
    const vm = new ApplyViewModel({ now: c.now });
    vm.apply(start({ customers: 0, threads: 50, messages: 50 }));
    vm.apply(resource('thread', 'CREATED'));
    c.t = T0 + 1000;
    expect(vm.view().etaMs).toBeUndefined(); // too early
    // 40 completions over 10 s: 4/s; 60 left → 15 s
    for (let i = 1; i < 40; i++) {
      c.t = T0 + i * 250;
      vm.apply(resource(i % 2 ? 'thread' : 'message', 'CREATED'));
    }
    c.t = T0 + 10_000;
    expect(vm.view().etaMs).toBe(15_000);
    expect(vm.view().elapsedMs).toBe(10_000);
    // after a minute with nothing completed, it falls back to the average since the start
    c.t = T0 + 80_000;
    expect(vm.view().etaMs).toBe(Math.round(60 / (40 / 80_000)));
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
