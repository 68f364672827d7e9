import { describe, expect, it, vi } from 'vitest';

// chalk decides its color level when ink is first imported: force basic colors so that the colored
// snapshot shows the escape codes (the no-color one must have none).
// Ink also decides at import whether it runs in CI (is-in-ci: CI or CONTINUOUS_INTEGRATION set), and
// then ends an ink-testing-library render with a bare newline instead of the last frame: these tests
// are about the terminal view, so they run as outside CI wherever they run.
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});

import { createElement } from 'react';
import { render as itlRender } from 'ink-testing-library';
import { renderToString } from 'ink';
import { ApplyApp, ApplyScreen, LIVE_HEIGHT } from '../../src/ui/ink/ApplyView.js';
import { InkRenderer } from '../../src/ui/ink/ink-renderer.js';
import { ApplyViewModel, type ApplyView } from '../../src/ui/view-model.js';
import type { ApplyEvent } from '../../src/apply/events.js';
import { counts, done, request, resource, start, T0 } from './events.js';

const SGR = /\u001b\[[0-9;]*m/;

/** A run 70 s in: some of everything, rate-limited for another 12 s. */
function midRun(): { vm: ApplyViewModel; view: ApplyView } {
  const c = { t: T0 };
  const vm = new ApplyViewModel({ now: () => c.t });
  vm.apply(start({ customers: 14, threads: 400, messages: 2000 }));
  for (let i = 0; i < 14; i++) vm.apply(resource('customer', 'CREATED', i));
  for (let i = 0; i < 120; i++) {
    c.t = T0 + 1000 + i * 500;
    vm.apply(resource('thread', i % 40 === 0 ? 'FAILED' : i % 10 === 0 ? 'NOOP' : 'CREATED', i));
  }
  for (let i = 0; i < 800; i++) vm.apply(resource('message', 'CREATED', i));
  for (let i = 0; i < 412; i++) vm.apply(request(T0 + 11_000 + i * 100));
  vm.apply({ type: 'retry', operation: 'importThread', address: 'x', attempt: 1, delayMs: 500, error: { code: 'http_429', message: 'slow down' } });
  vm.apply({ type: 'invalid', invalid: { address: 'thread["zd-5"]', where: 'tickets.jsonl:5', reasons: ['subject is missing'] } });
  c.t = T0 + 70_000;
  vm.apply({ type: 'rate-limit-wait', untilMs: T0 + 82_000 });
  vm.takeFinished();
  return { vm, view: vm.view() };
}

function screen(view: ApplyView, color: boolean, columns = 120): string {
  return renderToString(createElement(ApplyScreen, { view, color, columns }), { columns });
}

describe('Ink apply view (snapshots)', () => {
  it('before the start event', () => {
    const vm = new ApplyViewModel({ now: () => T0 });
    expect(screen(vm.view(), false)).toMatchInlineSnapshot(`"plain-migrate apply · starting…"`);
  });

  it('mid-run, no color', () => {
    const out = screen(midRun().view, false);
    expect(out).not.toMatch(SGR);
    expect(out.split('\n')).toHaveLength(LIVE_HEIGHT);
    expect(out).toMatchInlineSnapshot(`
      "plain-migrate apply · zendesk-to-plain → plain http://127.0.0.1:4849/graphql/v1 · run #7
      customers ████████████████████ 14/14       100%  14 created · 0 noop · 0 failed
      threads   ██████░░░░░░░░░░░░░░ 120/400      30%  108 created · 9 noop · 3 failed
      messages  ████████░░░░░░░░░░░░ 800/2,000    40%  800 created · 0 noop · 0 failed
      requests/min: 419 / 450 · retries: 1 · rate-limited — resuming in 12 s
      elapsed: 1m 10s · ETA: 1m 37s · invalid: 1"
    `);
  });

  it('mid-run, colors', () => {
    expect(screen(midRun().view, true)).toMatchSnapshot();
  });

  it('narrows the bars and truncates instead of wrapping in a narrow terminal (the height stays fixed)', () => {
    expect(screen(midRun().view, false, 80).split('\n')[3]).toBe('messages  ███░░░░░ 800/2,000    40%  800 created · 0 noop · 0 failed');
    const out = screen(midRun().view, false, 50);
    expect(out.split('\n')).toHaveLength(LIVE_HEIGHT);
    for (const l of out.split('\n')) expect(l.length).toBeLessThanOrEqual(50);
  });

  it('a target whose import carries the contact: the customers line says so, the height stays, the summary leaves it out', () => {
    const vm = new ApplyViewModel({ now: () => T0 });
    const s = start({ customers: 0, threads: 2, messages: 3 });
    vm.apply(s.type === 'start' ? { ...s, info: { ...s.info, customersInline: true } } : s);
    vm.apply(resource('thread', 'CREATED', 1));
    const live = screen(vm.view(), false).split('\n');
    expect(live).toHaveLength(LIVE_HEIGHT);
    expect(live[1]).toBe("customers carried by each thread's import");
    expect(live[2]).toMatch(/^threads .* 1\/2 /);
    vm.apply(done(counts({ thread: { CREATED: 2 }, message: { CREATED: 3 } }), 'completed'));
    const summary = screen(vm.view(), false);
    expect(summary).not.toMatch(/customers/);
    expect(summary).toMatch(/threads +2 created/);
  });

  it('the final summary', () => {
    const { vm } = midRun();
    vm.apply(done(counts({ customer: { CREATED: 14 }, thread: { CREATED: 3, UPDATED: 11 }, message: { CREATED: 186, FAILED: 2 } }), 'completed-with-failures', T0 + 252_000));
    const view = vm.view();
    expect(screen(view, false)).toMatchInlineSnapshot(`
      "Apply completed-with-failures in 4m 12s · zendesk-to-plain → plain http://127.0.0.1:4849/graphql/v1 · run #7
        customers 14 created · 0 noop · 0 failed
        threads   3 created · 0 noop · 11 updated · 0 failed
        messages  186 created · 0 noop · 2 failed
      Invalid records skipped: 2. Requests sent: upsertCustomer 10, importThread 20, importThreadMessages 5 (1 retries)."
    `);
    expect(screen(view, true)).toMatchSnapshot();
  });

  it('finished lines print above the live region, their leading word colored', () => {
    const vm = new ApplyViewModel({ now: () => T0 });
    vm.apply(start());
    vm.apply(resource('thread', 'FAILED', 3));
    vm.apply({ type: 'orphan', address: 'thread["zd-13"]' });
    const finished = vm.takeFinished();
    const plain = renderToString(createElement(ApplyApp, { view: vm.view(), color: false, finished, generation: 0 }), { columns: 160 });
    expect(plain.split('\n').slice(0, 2)).toEqual([
      'FAILED thread.zendesk["3"]: Input validation failed [input_validation] — title: must be at most 200 characters (VALIDATION)',
      'ORPHAN thread["zd-13"]: its source record is gone; kept in the target',
    ]);
    const colored = renderToString(createElement(ApplyApp, { view: vm.view(), color: true, finished, generation: 0 }), { columns: 160 });
    expect(colored.split('\n')[0]).toMatch(/^\u001b\[1m\u001b\[31mFAILED\u001b\[39m\u001b\[22m thread/);
  });
});

/** An InkRenderer drawn into ink-testing-library's fake terminal. */
function testRenderer(now: () => number, color = false) {
  let inst!: ReturnType<typeof itlRender>;
  const r = new InkRenderer({
    stdout: { write: () => undefined },
    stderr: { write: () => undefined },
    color,
    now,
    mount: (node) => {
      inst = itlRender(node);
      return inst;
    },
  });
  return { r, frame: () => inst.lastFrame() ?? '' };
}

/** Lines of the live region: from its header line to the end (the static lines are above it). */
function liveHeight(frame: string): number {
  const lines = frame.split('\n');
  return lines.length - lines.findIndex((l) => l.startsWith('plain-migrate apply'));
}

describe('Ink renderer (ink-testing-library)', () => {
  it('shows counts change, keeps the live region at a fixed height through 500 failures, ends with the summary', async () => {
    const c = { t: T0 };
    const { r, frame } = testRenderer(() => c.t);
    const send = (e: ApplyEvent) => r.on(e);
    send(start({ customers: 5, threads: 600, messages: 0 }));
    r.flush();
    expect(frame()).toContain('threads   ░░░░░░░░░░░░░░░░░░░░ 0/600');
    for (let i = 0; i < 5; i++) send(resource('customer', 'CREATED', i));
    for (let i = 0; i < 100; i++) send(resource('thread', 'CREATED', i));
    c.t += 5000;
    r.flush();
    expect(frame()).toContain('customers ████████████████████ 5/5');
    expect(frame()).toContain('100/600');
    const before = liveHeight(frame());
    expect(before).toBe(LIVE_HEIGHT);

    for (let i = 0; i < 500; i++) {
      send(resource('thread', 'FAILED', 1000 + i));
      if (i % 37 === 0) r.flush(); // frames in between, as the timer would draw them
    }
    r.flush();
    const f = frame();
    expect(liveHeight(f)).toBe(before);
    expect(f).toContain('600/600');
    expect(f.match(/^FAILED /gm)).toHaveLength(500); // every failure printed once, above the live region

    send(done(counts({ customer: { CREATED: 5 }, thread: { CREATED: 100, FAILED: 500 } }), 'completed-with-failures', c.t));
    await r.close();
    expect(frame()).toContain('Apply completed-with-failures in 5 s');
    expect(frame()).toContain('  threads   100 created · 0 noop · 500 failed');
    expect(frame()).not.toMatch(SGR);
  });

  it('shows the rate over the time elapsed from the first seconds (a run at 450/min reads ~450, not 15 or 75)', async () => {
    const c = { t: T0 };
    const { r, frame } = testRenderer(() => c.t);
    r.on(start({ customers: 0, threads: 40, messages: 200 }));
    let k = 1;
    const rateAt = (ms: number) => {
      for (; T0 + Math.round((k * 400) / 3) <= T0 + ms; k++) r.on(request(T0 + Math.round((k * 400) / 3)));
      c.t = T0 + ms;
      r.flush();
      return /requests\/min: ([\d,]+) \/ 450/.exec(frame())?.[1];
    };
    expect(rateAt(0)).toBe('0');
    expect([rateAt(2000), rateAt(5000), rateAt(10_000)]).toEqual(['450', '444', '450']);
    await r.close();
  });

  it('renders at most ~20 frames a second however many events arrive', async () => {
    vi.useFakeTimers({ now: T0 });
    try {
      const { r, frame } = testRenderer(Date.now);
      r.on(start({ customers: 0, threads: 0, messages: 100_000 }));
      for (let ms = 0; ms < 1000; ms += 10) {
        for (let i = 0; i < 100; i++) r.on(resource('message', 'CREATED', ms * 100 + i));
        vi.advanceTimersByTime(10);
      }
      // 10 000 events over one second: one frame at mount + at most one per 50 ms
      expect(r.frames).toBeLessThanOrEqual(21);
      expect(r.frames).toBeGreaterThanOrEqual(15);
      expect(frame()).toContain('10,000/100,000');
      await r.close();
      vi.runOnlyPendingTimers(); // Ink's own unmount callback; our interval must be gone
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
