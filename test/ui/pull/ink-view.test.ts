import { describe, expect, it, vi } from 'vitest';

// As test/ui/ink-view.test.ts: colors forced on (the colored check needs escape codes) and Ink told it
// runs outside CI (in CI ink-testing-library ends with a bare newline instead of the last frame).
vi.hoisted(() => {
  process.env.FORCE_COLOR = '1';
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
});

import { createElement } from 'react';
import { render as itlRender } from 'ink-testing-library';
import { renderToString } from 'ink';
import { PullScreen } from '../../../src/ui/pull/PullView.js';
import { PullInkRenderer } from '../../../src/ui/pull/ink-renderer.js';
import { createPullRenderer } from '../../../src/ui/pull/renderer.js';
import { PullViewModel } from '../../../src/ui/pull/view-model.js';
import type { PullSummaryLine } from '../../../src/ui/pull/format.js';
import { play, T0 } from './events.js';

const SGR = /\u001b\[[0-9;]*m/;

function screen(vm: PullViewModel, now: number, color: boolean, summary?: PullSummaryLine, columns = 120): string {
  return renderToString(createElement(PullScreen, { view: vm.view(), now, color, columns, summary }), { columns });
}

/** The script up to 10 s: tickets under way (no total), rate-limited until 17 s, after a retry. */
function midPull() {
  const c = { t: T0 };
  const vm = new PullViewModel({ now: () => c.t });
  play(c, (e) => vm.apply(e), 4500);
  c.t = T0 + 10_000;
  return { c, vm };
}

describe('Ink pull view', () => {
  it('mid-pull, no color: a line per stream under way, requests, the wait countdown, the last retry', () => {
    const { c, vm } = midPull();
    const out = screen(vm, c.t, false, undefined, 160);
    expect(out).not.toMatch(SGR);
    expect(out.split('\n')).toEqual([
      'plain-migrate pull · elapsed 10 s · 1,200 records (1,170 new, 30 changed)',
      'zendesk.tickets 1,200 records · 1,170 new · 30 changed',
      'requests: 4 (1 failed) · 24/min · retries: 1 · waits: 1 · rate-limited — resuming in 7 s',
      'last retry (7 s ago): zendesk HTTP 503, attempt 1, waited 1.5 s — https://acme.zendesk.com/api/v2/incremental/tickets/cursor.json',
    ]);
  });

  it('a stream with a total has a bar, %, and ETA; colors only when on', () => {
    const { c, vm } = midPull();
    play(c, (e) => vm.apply(e), Infinity, 4500);
    const out = screen(vm, c.t, false);
    expect(out.split('\n')[1]).toBe('zendesk.ticket_comments ████████████████░░░░ 800/1,000  80% · 800 new · 0 changed · ETA 2 s');
    expect(out).not.toContain('zendesk.tickets '); // done: in <Static>, not in the live region
    expect(screen(vm, c.t, true)).toMatch(SGR);
    // a narrow terminal: narrower bar, truncated lines
    for (const l of screen(vm, c.t, false, undefined, 60).split('\n')) expect(l.length).toBeLessThanOrEqual(60);
  });

  it('the summary replaces the live region', () => {
    const { c, vm } = midPull();
    play(c, (e) => vm.apply(e), Infinity, 4500);
    const out = screen(vm, c.t, false, { outcome: 'failed', reason: 'the credentials were refused (HTTP 401)', requests: { zendesk: 13 } });
    expect(out.split('\n')).toEqual([
      'Pull failed after 26 s: 2,000 records (1,970 new, 30 changed) from 2 streams',
      'Reason: the credentials were refused (HTTP 401)',
      'Requests sent: zendesk 13; 1 retry, 1 rate-limit wait.',
    ]);
  });
});

describe('PullInkRenderer (ink-testing-library)', () => {
  it('streams done and notes print once above the live region; close(summary) ends with the summary', async () => {
    const c = { t: T0 };
    let inst!: ReturnType<typeof itlRender>;
    const r = new PullInkRenderer({
      stdout: { write: () => undefined },
      stderr: { write: () => undefined },
      color: false,
      now: () => c.t,
      mount: (node) => (inst = itlRender(node)),
    });
    play(c, r.on, 17_000);
    r.flush();
    expect(inst.lastFrame()).toContain('zendesk.tickets 1,200 records');
    play(c, r.on, Infinity, 17_000);
    r.flush();
    r.flush(); // a second frame adds nothing to <Static>
    const f = inst.lastFrame() ?? '';
    expect(f.match(/^✓ zendesk\.tickets: 1,200 records \(1,170 new, 30 changed\)$/gm)).toHaveLength(1);
    expect(f.match(/^NOTE zendesk\.ticket_comments: ticket 42/gm)).toHaveLength(1);
    expect(f).toContain('zendesk.ticket_comments ████████████████░░░░ 800/1,000  80%');
    c.t = T0 + 26_000;
    await r.close({ outcome: 'completed' });
    expect(inst.lastFrame()).toContain('Pull completed in 26 s: 2,000 records (1,970 new, 30 changed) from 2 streams');
    expect(inst.lastFrame()).toContain('Requests sent: 13; 1 retry, 1 rate-limit wait.');
  });

  it('createPullRenderer("tty") loads Ink lazily: events before it mounts are shown', async () => {
    const chunks: string[] = [];
    const c = { t: T0 };
    const r = createPullRenderer('tty', { stdout: { write: (s: string) => chunks.push(s), isTTY: true, columns: 100 }, stderr: { write: () => undefined }, color: false, now: () => c.t, env: {} });
    play(c, (e) => r.on(e));
    c.t = T0 + 26_000;
    await r.close({ outcome: 'completed', requests: { zendesk: 13 } });
    const all = chunks.join('');
    expect(all).toContain('NOTE zendesk.ticket_comments: ticket 42');
    expect(all).toContain('✓ zendesk.tickets: 1,200 records');
    expect(all).toContain('Pull completed in 26 s');
  });
});
