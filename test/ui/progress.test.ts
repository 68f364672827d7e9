/**
 * The periodic progress figures: the plain heartbeat line and the JSON `progress` record read the
 * same view model on the same heartbeat, so they carry the same requests/min (over the time elapsed,
 * up to a minute), counts and ETA.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApplyEvent } from '../../src/apply/events.js';
import { JsonRenderer } from '../../src/ui/json-renderer.js';
import { PlainRenderer } from '../../src/ui/plain-renderer.js';
import { createRenderer } from '../../src/ui/renderer.js';
import { formatDuration } from '../../src/ui/view-model.js';
import { counts, done, request, resource, start, T0 } from './events.js';

function sink() {
  const s = { text: '', write: (x: string) => void (s.text += x) };
  return s;
}

interface Progress {
  type: string;
  requests_per_minute: number;
  requests_per_minute_limit: number;
  elapsed_ms: number;
  eta_ms?: number;
  phases: Record<string, { done: number; total: number; percent: number; FAILED: number }>;
}

const records = (ndjson: string) => ndjson.trimEnd().split('\n').map((l) => JSON.parse(l) as { type: string } & Partial<Progress>);
const progress = (ndjson: string) => records(ndjson).filter((r): r is Progress => r.type === 'progress');

/**
 * A quickstart-like run on fake timers: the limiter's opening burst of 7, then 7.5 requests a second
 * (450/min), each answered with a thread or message, for `seconds`; then `done`.
 */
function run(renderers: Array<{ on(e: ApplyEvent): void; close(): Promise<void> }>, seconds: number): Promise<void> {
  const emit = (e: ApplyEvent) => renderers.forEach((r) => r.on(e));
  const base = Date.now();
  emit(start({ customers: 0, threads: 40, messages: 200 }, base));
  const answer = (i: number) => {
    emit(request(Date.now()));
    emit(resource(i < 40 ? 'thread' : 'message', 'CREATED', i));
  };
  vi.advanceTimersByTime(30);
  let i = 0;
  for (; i < 7; i++) answer(i);
  for (let k = 1; Math.round((k * 400) / 3) <= seconds * 1000; k++, i++) {
    vi.advanceTimersByTime(base + Math.round((k * 400) / 3) - Date.now()); // timers due on the way fire (the heartbeats)
    answer(i);
  }
  vi.advanceTimersByTime(base + seconds * 1000 - Date.now());
  emit(done(counts({ thread: { CREATED: 40 }, message: { CREATED: i - 40 } }), 'completed', Date.now()));
  return Promise.all(renderers.map((r) => r.close())).then(() => undefined);
}

/** Requests `run` has answered before `ms` after the start. */
function sentBefore(ms: number): number {
  let k = 1;
  while (Math.round((k * 400) / 3) < ms) k++;
  return 7 + k - 1;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('progress: plain heartbeat and JSON record', () => {
  it('carry the same requests/min, elapsed and ETA on the same heartbeat, near 450/min from the first seconds', async () => {
    vi.useFakeTimers({ now: T0 });
    const plainOut = sink();
    const jsonOut = sink();
    const plain = new PlainRenderer(plainOut, { heartbeatMs: 1000 });
    const json = new JsonRenderer(jsonOut, { heartbeatMs: 1000 });
    await run([plain, json], 12);

    const beats = plainOut.text.split('\n').filter((l) => l.includes(' progress: '));
    const recs = progress(jsonOut.text);
    expect(beats).toHaveLength(12); // one a second, none after done
    expect(recs).toHaveLength(beats.length);
    beats.forEach((line, n) => {
      const r = recs[n]!;
      const rate = /· ([\d,]+) requests\/min of ([\d,]+) ·/.exec(line);
      expect(Number(rate?.[1]?.replace(/,/g, '')), line).toBe(r.requests_per_minute);
      expect(Number(rate?.[2]?.replace(/,/g, ''))).toBe(r.requests_per_minute_limit);
      expect(line).toContain(`elapsed ${formatDuration(r.elapsed_ms)}`);
      expect(line).toContain(`ETA ${r.eta_ms === undefined ? 'unknown' : formatDuration(r.eta_ms)}`);
      expect(line).toContain(`threads ${r.phases.threads!.done}/40`);
    });
    const rates = recs.map((r) => r.requests_per_minute);
    // 7 at once, then 7.5 a second, over the t seconds elapsed (a beat due with an answer comes first):
    // 840 at 1 s, 486 at 10 s — where a full minute read 14 and 81
    expect(rates).toEqual(Array.from({ length: 12 }, (_, n) => Math.round((sentBefore((n + 1) * 1000) * 60) / (n + 1))));
    expect(rates.slice(0, 3)).toEqual([840, 630, 580]);
    expect(rates[9]).toBe(486);
    expect(recs.map((r) => r.elapsed_ms)).toEqual(Array.from({ length: 12 }, (_, n) => (n + 1) * 1000));
  });

  it('the JSON progress record: its fields, left out when unknown, none after done or with the heartbeat off', async () => {
    vi.useFakeTimers({ now: T0 });
    const out = sink();
    await run([new JsonRenderer(out, { heartbeatMs: 5000 })], 12);
    const all = records(out.text);
    expect(all.map((r) => r.type).filter((t) => t === 'progress')).toHaveLength(2);
    expect(all.at(-1)!.type).toBe('done');
    const [at5, at10] = progress(out.text);
    expect(at5).toEqual({
      format_version: 1,
      type: 'progress',
      timestamp: '2026-11-22T00:57:28.000Z',
      requests_per_minute: 528, // 44 over 5 s
      requests_per_minute_limit: 450,
      phases: {
        customers: { done: 0, total: 0, percent: 100, CREATED: 0, NOOP: 0, UPDATED: 0, FAILED: 0 },
        threads: { done: 40, total: 40, percent: 100, CREATED: 40, NOOP: 0, UPDATED: 0, FAILED: 0 },
        messages: { done: 4, total: 200, percent: 2, CREATED: 4, NOOP: 0, UPDATED: 0, FAILED: 0 },
      },
      retries: 0,
      invalid: 0,
      elapsed_ms: 5000,
      eta_ms: Math.round(196 / (44 / 5000)),
    });
    expect(at10).toMatchObject({ elapsed_ms: 10_000, requests_per_minute: 486 }); // 81 over 10 s

    vi.setSystemTime(T0); // no timer is pending
    const e = sink();
    const r = new JsonRenderer(e, { heartbeatMs: 5000 });
    r.on(start());
    r.on({ type: 'rate-limit-wait', untilMs: T0 + 30_000 });
    vi.advanceTimersByTime(5000);
    expect(progress(e.text)).toEqual([
      expect.objectContaining({ requests_per_minute: 0, waiting_until: '2026-11-22T00:57:53.000Z', waiting_until_ms: T0 + 30_000 }),
    ]);
    expect(progress(e.text)[0]).not.toHaveProperty('eta_ms'); // too early to tell
    await r.close();
    vi.advanceTimersByTime(60_000);
    expect(progress(e.text)).toHaveLength(1); // close stops them
    expect(vi.getTimerCount()).toBe(0);

    const off = sink();
    await run([new JsonRenderer(off, { heartbeatMs: 0 })], 12);
    expect(progress(off.text)).toEqual([]);
  });

  it('createRenderer gives the JSON renderer the plain heartbeat interval (PLAIN_MIGRATE_HEARTBEAT_MS)', async () => {
    vi.useFakeTimers({ now: T0 });
    const out = sink();
    const r = createRenderer('json', { stdout: out, stderr: sink(), env: { PLAIN_MIGRATE_HEARTBEAT_MS: '2000' } });
    await run([r], 12);
    expect(progress(out.text).map((p) => p.elapsed_ms)).toEqual([2000, 4000, 6000, 8000, 10_000, 12_000]);
  });

  it('a There There run (contact carried by the import) has no customers phase in the record', () => {
    const out = sink();
    let t = T0;
    const r = new JsonRenderer(out, { heartbeatMs: 1000, now: () => t });
    const s = start({ customers: 0, threads: 2, messages: 3 });
    r.on(s.type === 'start' ? { ...s, info: { ...s.info, customersInline: true } } : s);
    t += 1500;
    r.on(request(t));
    expect(Object.keys(progress(out.text)[0]!.phases)).toEqual(['threads', 'messages']);
    r.on(done(counts({})));
  });
});
