import { describe, expect, it } from 'vitest';
import { PullViewModel, PULL_ETA_MIN_MS } from '../../../src/ui/pull/view-model.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import { play, RETRY_URL, T0 } from './events.js';

function clocked() {
  const c = { t: T0 };
  const vm = new PullViewModel({ now: () => c.t });
  return { c, vm };
}

const page = (stream: string, records: number, added = records, updated = 0, total?: number): PullEvent => ({
  type: 'page',
  stream,
  records,
  added,
  updated,
  ...(total !== undefined ? { total } : {}),
});

describe('PullViewModel', () => {
  it('is empty before any event', () => {
    const { vm } = clocked();
    expect(vm.started).toBe(false);
    expect(vm.view()).toEqual({ elapsedMs: 0, streams: [], requests: 0, failedRequests: 0, requestsPerMinute: 0, retries: 0, rateLimitWaits: 0 });
  });

  it('counts records per stream, requests, failures, retries and pauses (an extension is not a new pause)', () => {
    const { c, vm } = clocked();
    play(c, (e) => vm.apply(e), 4500);
    let v = vm.view();
    expect(v.streams).toEqual([{ stream: 'zendesk.tickets', records: 1200, added: 1170, updated: 30, pages: 3, done: false, elapsedMs: 4500 }]);
    expect([v.requests, v.failedRequests, v.retries, v.rateLimitWaits]).toEqual([4, 1, 1, 1]);
    expect(v.waitingUntilMs).toBe(T0 + 17_000);
    expect(v.lastRetry).toEqual({ connection: 'zendesk', url: RETRY_URL, attempt: 1, delayMs: 1500, reason: 'HTTP 503', at: T0 + 3200 });

    c.t = T0 + 16_999;
    expect(vm.view().waitingUntilMs).toBe(T0 + 17_000);
    c.t = T0 + 17_000;
    expect(vm.view().waitingUntilMs).toBeUndefined(); // over by the clock

    play(c, (e) => vm.apply(e), Infinity, 4500);
    v = vm.view();
    expect(v.streams.map((s) => [s.stream, s.records, s.done, s.elapsedMs])).toEqual([
      ['zendesk.tickets', 1200, true, 17_200],
      ['zendesk.ticket_comments', 800, false, 8300],
    ]);
    expect([v.requests, v.failedRequests, v.retries, v.rateLimitWaits]).toEqual([13, 1, 1, 1]);
    expect(v.elapsedMs).toBe(25_500);
  });

  it('an answer after the pause was due to end clears it; one during the pause does not', () => {
    const { c, vm } = clocked();
    vm.apply({ type: 'rate-limit-wait', connection: 'z', untilMs: T0 + 10_000 });
    vm.apply({ type: 'request', connection: 'z', ok: true, at: T0 + 500 }); // in flight when the pause began
    expect(vm.view().waitingUntilMs).toBe(T0 + 10_000);
    vm.apply({ type: 'request', connection: 'z', ok: true, at: T0 + 10_000 });
    expect(vm.waitingUntil('z', T0 + 5000)).toBeUndefined();
    // each connection has its own pause; the view shows the latest running one
    vm.apply({ type: 'rate-limit-wait', connection: 'a', untilMs: T0 + 3000 });
    vm.apply({ type: 'rate-limit-wait', connection: 'b', untilMs: T0 + 8000 });
    expect(vm.view().waitingUntilMs).toBe(T0 + 8000);
    expect(vm.view().rateLimitWaits).toBe(3);
    c.t = T0 + 8000;
    expect(vm.view().waitingUntilMs).toBeUndefined();
  });

  it('requests per minute over the time elapsed, up to a minute (a pull at 450/min reads 450 from the first seconds)', () => {
    const { c, vm } = clocked();
    vm.apply({ type: 'stream-start', stream: 's' });
    let k = 1;
    const rateAt = (ms: number) => {
      for (; Math.round((k * 400) / 3) <= ms; k++) vm.apply({ type: 'request', connection: 'z', ok: true, at: T0 + Math.round((k * 400) / 3) });
      c.t = T0 + ms;
      return vm.view().requestsPerMinute;
    };
    expect(rateAt(0)).toBe(0);
    for (const ms of [2000, 10_000, 59_000, 120_000]) expect(Math.abs(rateAt(ms) - 450)).toBeLessThanOrEqual(2);
    // nothing for two minutes: the last minute had none
    c.t = T0 + 240_000;
    expect(vm.view().requestsPerMinute).toBe(0);
  });

  it('in the first second a few answers read as count × 60, never a spike', () => {
    const { c, vm } = clocked();
    vm.apply({ type: 'stream-start', stream: 's' });
    c.t = T0 + 20;
    for (let i = 0; i < 3; i++) vm.apply({ type: 'request', connection: 'z', ok: true, at: T0 + 10 + i });
    expect(vm.view().requestsPerMinute).toBe(180);
  });

  it('percent and ETA only where a total is known; ETA from the stream\'s rate after 5 s', () => {
    const { c, vm } = clocked();
    vm.apply({ type: 'stream-start', stream: 'with', total: 1000 });
    vm.apply({ type: 'stream-start', stream: 'without' });
    const withTotal = () => vm.view().streams.find((s) => s.stream === 'with')!;
    for (let i = 1; i <= 4; i++) {
      c.t = T0 + i * 1000;
      vm.apply(page('with', 100));
      vm.apply(page('without', 100));
    }
    expect(withTotal()).toMatchObject({ records: 400, pct: 40 });
    expect(withTotal().etaMs).toBeUndefined(); // under PULL_ETA_MIN_MS
    c.t = T0 + PULL_ETA_MIN_MS;
    vm.apply(page('with', 100));
    expect(withTotal()).toMatchObject({ records: 500, total: 1000, pct: 50, etaMs: 5000 }); // 100 a second, 500 to go
    const without = vm.view().streams[1]!;
    expect(without.total).toBeUndefined();
    expect('pct' in without || 'etaMs' in without).toBe(false);

    // a page's total replaces the start's
    c.t = T0 + 6000;
    vm.apply(page('with', 100, 50, 50, 700));
    expect(withTotal()).toMatchObject({ records: 600, added: 550, updated: 50, total: 700, pct: 85, etaMs: 1000 });

    // a long pause with no pages: the last minute has none, the average since the start counts
    c.t = T0 + 100_000;
    expect(withTotal().etaMs).toBe(Math.round(100 / (600 / 100_000)));

    vm.apply(page('with', 100));
    expect(withTotal()).toMatchObject({ pct: 100, etaMs: 0 }); // the total reached, not yet done
    vm.apply({ type: 'stream-done', stream: 'with' });
    const done = withTotal();
    expect(done).toMatchObject({ done: true, pct: 100, elapsedMs: 100_000 });
    expect(done.etaMs).toBeUndefined();
    c.t = T0 + 200_000;
    expect(withTotal().elapsedMs).toBe(100_000); // frozen when done
  });

  it('a page without a stream-start starts its stream; a stream pulled again starts afresh', () => {
    const { vm } = clocked();
    vm.apply(page('x', 5));
    expect(vm.view().streams).toEqual([{ stream: 'x', records: 5, added: 5, updated: 0, pages: 1, done: false, elapsedMs: 0 }]);
    vm.apply({ type: 'stream-done', stream: 'x' });
    vm.apply({ type: 'stream-start', stream: 'x', total: 3 });
    expect(vm.view().streams).toEqual([{ stream: 'x', records: 0, added: 0, updated: 0, pages: 0, total: 3, done: false, elapsedMs: 0, pct: 0 }]);
  });
});
