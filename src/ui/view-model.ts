/**
 * The apply view model: folds the core's `ApplyEvent`s into what a screen shows. Pure (no I/O, no
 * timers; the clock is injected) and bounded: it keeps counters, two 60-slot per-second rings and at
 * most MAX_PENDING finished lines waiting to be drained, never anything per event or per address.
 * The Ink, plain-line and JSON (its `progress` records) renderers all read it, so the three show the
 * same figures.
 */
import type { ApplyEvent, Counts, Outcome, RunInfo, Totals } from '../apply/events.js';
import { emptyCounts } from '../apply/events.js';
import type { ResourceKind } from '../state/types.js';
import { formatInvalid, formatRecordedError } from './format.js';

export type Phase = keyof Totals;
export const PHASES: readonly Phase[] = ['customers', 'threads', 'messages'];
const KIND: Record<Phase, ResourceKind> = { customers: 'customer', threads: 'thread', messages: 'message' };

export interface PhaseView extends Readonly<Record<Outcome, number>> {
  /** CREATED + NOOP + UPDATED + FAILED. */
  readonly done: number;
  /** From the `start` event's totals. */
  readonly total: number;
  /** 0–100, floored (100 only when done ≥ total; 100 when total is 0). */
  readonly percent: number;
}

export interface LimiterView {
  /** Epoch ms the rate limiter waits until; absent when it is not waiting. */
  readonly waitingUntil?: number;
  readonly resumesInMs?: number;
}

export interface DoneView {
  readonly outcome: Extract<ApplyEvent, { type: 'done' }>['outcome'];
  readonly counts: Counts;
  readonly requests: Readonly<Record<string, number>>;
  readonly invalid: number;
  readonly retries: number;
  readonly elapsedMs: number;
}

export interface ApplyView {
  /** Absent until the `start` event. */
  readonly header?: { readonly migration: string; readonly target: string; readonly runId: number };
  readonly phases: Readonly<Record<Phase, PhaseView>>;
  /** The phases this run has, in order: no customers when the target's import carries the contact. */
  readonly phaseNames: readonly Phase[];
  /**
   * Requests answered (or failed) per minute, rounded: those of the last minute over the time they
   * span, which is the time elapsed since `start` while that is under a minute (see `windowMs`).
   */
  readonly requestsPerMinute: number;
  /** The run's configured limit (RunInfo.requestsPerMinute); 0 before `start`. */
  readonly limit: number;
  readonly retries: number;
  readonly limiter: LimiterView;
  readonly elapsedMs: number;
  /** Estimated time left; undefined until there is enough data (5 s and 5 completions). */
  readonly etaMs?: number;
  readonly invalid: number;
  /** Threads the plan found unchanged (no request sent), and their recorded messages. */
  readonly unchanged: { readonly threads: number; readonly messages: number };
  readonly orphans: number;
  readonly deleted: number;
  readonly notApplied: number;
  /** Set once a `stopping` event arrived: the reason. */
  readonly stopping?: string;
  /** Set after the `done` event. */
  readonly done?: DoneView;
}

export type FinishedKind = 'failed' | 'invalid' | 'orphan' | 'deleted' | 'note' | 'stopping' | 'overflow';

/** A line to print once, above the live region (Ink `<Static>`) or as a log line. May hold `\n`. */
export interface FinishedLine {
  /** Increasing; unique within a view model. */
  readonly id: number;
  readonly kind: FinishedKind;
  readonly text: string;
}

/** Finished lines held between two drains; beyond this they are counted and summarised in one line. */
export const MAX_PENDING = 1000;
const ETA_MIN_MS = 5000;
const ETA_MIN_COMPLETIONS = 5;
const WINDOW_S = 60;
/**
 * The shortest span a rate is divided by. In a run's first second a few answers over a few
 * milliseconds would read as thousands a minute (the limiter opens with a burst of one second's
 * worth), so until a second has passed the count is divided by a whole second: the figure is 0 before
 * the first answer and count × 60 after it, climbing as answers come, never a spike. From one second
 * on it is the true rate over the time elapsed. (The ETA waits for 5 s anyway.)
 */
export const MIN_RATE_SPAN_MS = 1000;

/** Counts per wall-clock second over the last 60 s: fixed memory, however many events. */
export class SecondRing {
  private readonly secs: number[] = new Array<number>(WINDOW_S).fill(-Infinity);
  private readonly counts: number[] = new Array<number>(WINDOW_S).fill(0);

  add(atMs: number, n = 1): void {
    const s = Math.floor(atMs / 1000);
    const i = ((s % WINDOW_S) + WINDOW_S) % WINDOW_S;
    const held = this.secs[i]!;
    if (held > s) return; // older than the window this slot now covers
    if (held !== s) {
      this.secs[i] = s;
      this.counts[i] = 0;
    }
    this.counts[i]! += n;
  }

  /**
   * The sum over the 60 one-second slots ending with the second that holds `nowMs`: the 59 whole
   * seconds before it and the elapsed part of the current one (`windowMs` is that span).
   */
  sum(nowMs: number): number {
    const s = Math.floor(nowMs / 1000);
    let total = 0;
    for (let i = 0; i < WINDOW_S; i++) if (this.secs[i]! > s - WINDOW_S) total += this.counts[i]!;
    return total;
  }
}

/**
 * The span in ms that `SecondRing.sum(nowMs)` counts over, for a run that started at `startMs`: the
 * time since the start while that is shorter than the ring, else 59 s plus the elapsed part of the
 * current second. Without a start (events before `start`), the ring's whole span.
 */
export function windowMs(nowMs: number, startMs?: number): number {
  const ring = (WINDOW_S - 1) * 1000 + (((nowMs % 1000) + 1000) % 1000);
  return startMs === undefined ? ring : Math.max(0, Math.min(ring, nowMs - startMs));
}

/** `count` events over `spanMs`, per minute; spans under MIN_RATE_SPAN_MS count as that. */
export function perMinute(count: number, spanMs: number): number {
  return count === 0 ? 0 : (count * 60_000) / Math.max(MIN_RATE_SPAN_MS, spanMs);
}

export class ApplyViewModel {
  private readonly now: () => number;
  private info?: RunInfo;
  private totals: Totals = { customers: 0, threads: 0, messages: 0 };
  private startAt?: number;
  private readonly counts: Counts = emptyCounts();
  private completed = 0;
  private readonly requestRing = new SecondRing();
  private readonly completionRing = new SecondRing();
  private retries = 0;
  private waitingUntil?: number;
  private invalid = 0;
  private unchangedThreads = 0;
  private unchangedMessages = 0;
  private orphans = 0;
  private deleted = 0;
  private notApplied = 0;
  private stopping?: string;
  private done?: DoneView;
  private pending: FinishedLine[] = [];
  private dropped = 0;
  private nextId = 1;

  constructor(opts: { now?: () => number } = {}) {
    this.now = opts.now ?? Date.now;
  }

  apply(e: ApplyEvent): void {
    switch (e.type) {
      case 'start':
        this.info = e.info;
        this.totals = e.totals;
        this.startAt = e.at;
        break;
      case 'request':
        this.requestRing.add(e.at);
        // A request answered after the pause was due to end shows the limiter is sending again.
        // (Requests that were in flight when the pause began still finish during it: they do not clear it.)
        if (e.ok && this.waitingUntil !== undefined && e.at >= this.waitingUntil) this.waitingUntil = undefined;
        break;
      case 'resource':
        this.counts[e.kind][e.outcome]++;
        this.completed++;
        this.completionRing.add(this.now());
        if (e.outcome === 'FAILED') {
          const why = e.error ? formatRecordedError(e.error) : 'no error recorded';
          this.finish('failed', `FAILED ${e.address}: ${why}${e.attempts > 1 ? ` (after ${e.attempts} attempts)` : ''}`);
        }
        break;
      case 'invalid':
        this.invalid++;
        this.finish('invalid', `INVALID ${formatInvalid(e.invalid).trimStart().slice(2)}`);
        break;
      case 'unchanged':
        this.unchangedThreads++;
        this.unchangedMessages += e.messages;
        break;
      case 'orphan':
        this.orphans++;
        this.finish('orphan', `ORPHAN ${e.address}: its source record is gone; kept in the target`);
        break;
      case 'deleted':
        this.deleted++;
        this.finish('deleted', `DELETED ${e.address}: no longer in the target; not re-created`);
        break;
      case 'not-applied':
        this.notApplied++;
        this.finish('note', `NOTE ${e.address}: ${e.reason}`);
        break;
      case 'retry':
        this.retries++;
        break;
      case 'rate-limit-wait': {
        const current = this.currentWait(this.now());
        this.waitingUntil = current === undefined ? e.untilMs : Math.max(current, e.untilMs);
        break;
      }
      case 'stopping':
        this.stopping ??= e.reason;
        this.finish('stopping', `STOPPING: ${e.reason}`);
        break;
      case 'done':
        this.waitingUntil = undefined;
        this.done = {
          outcome: e.outcome,
          counts: e.counts,
          requests: e.requests,
          invalid: e.invalid,
          retries: this.retries,
          elapsedMs: this.startAt === undefined ? 0 : Math.max(0, e.at - this.startAt),
        };
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
  }

  /** Epoch ms the limiter waits until, if it still does at `now`. */
  limiterWaitingUntil(now = this.now()): number | undefined {
    return this.currentWait(now);
  }

  get started(): boolean {
    return this.startAt !== undefined;
  }

  get finished(): DoneView | undefined {
    return this.done;
  }

  phase(p: Phase): PhaseView {
    const c = this.counts[KIND[p]];
    const done = c.CREATED + c.NOOP + c.UPDATED + c.FAILED;
    const total = this.totals[p];
    const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 100;
    return { done, total, percent, CREATED: c.CREATED, NOOP: c.NOOP, UPDATED: c.UPDATED, FAILED: c.FAILED };
  }

  phaseNames(): readonly Phase[] {
    return this.info?.customersInline ? PHASES.filter((p) => p !== 'customers') : PHASES;
  }

  view(): ApplyView {
    const now = this.now();
    const phases = { customers: this.phase('customers'), threads: this.phase('threads'), messages: this.phase('messages') };
    const waitingUntil = this.currentWait(now);
    const elapsedMs = this.done ? this.done.elapsedMs : this.startAt === undefined ? 0 : Math.max(0, now - this.startAt);
    return {
      header: this.info ? { migration: this.info.migration, target: this.info.target, runId: this.info.runId } : undefined,
      phases,
      phaseNames: this.phaseNames(),
      requestsPerMinute: this.requestsPerMinute(now),
      limit: this.info?.requestsPerMinute ?? 0,
      retries: this.retries,
      limiter: waitingUntil === undefined ? {} : { waitingUntil, resumesInMs: waitingUntil - now },
      elapsedMs,
      etaMs: this.done ? 0 : this.eta(now, phases, elapsedMs),
      invalid: this.invalid,
      unchanged: { threads: this.unchangedThreads, messages: this.unchangedMessages },
      orphans: this.orphans,
      deleted: this.deleted,
      notApplied: this.notApplied,
      stopping: this.stopping,
      done: this.done,
    };
  }

  /** New finished lines since the last call, oldest first; each is returned once. */
  takeFinished(): FinishedLine[] {
    const out = this.pending;
    this.pending = [];
    if (this.dropped > 0) {
      out.push({ id: this.nextId++, kind: 'overflow', text: `… ${this.dropped} more ${this.dropped === 1 ? 'line' : 'lines'} not shown (failures stay recorded: plain-migrate state show '<address>')` });
      this.dropped = 0;
    }
    return out;
  }

  /** `takeFinished()` as text. */
  takeFinishedLines(): string[] {
    return this.takeFinished().map((l) => l.text);
  }

  private finish(kind: FinishedKind, text: string): void {
    if (this.pending.length >= MAX_PENDING) {
      this.dropped++;
      return;
    }
    this.pending.push({ id: this.nextId++, kind, text });
  }

  /** Requests per minute over the span the ring covers at `now` (the time elapsed, up to a minute). */
  private requestsPerMinute(now: number): number {
    return Math.round(perMinute(this.requestRing.sum(now), windowMs(now, this.startAt)));
  }

  private currentWait(now: number): number | undefined {
    if (this.waitingUntil !== undefined && now >= this.waitingUntil) this.waitingUntil = undefined;
    return this.waitingUntil;
  }

  private eta(now: number, phases: Record<Phase, PhaseView>, elapsedMs: number): number | undefined {
    let remaining = 0;
    for (const p of PHASES) remaining += Math.max(0, phases[p].total - phases[p].done);
    if (remaining === 0) return this.started ? 0 : undefined;
    if (elapsedMs < ETA_MIN_MS) return undefined;
    // The rate over the last minute follows rate-limit changes; after a long pause with nothing
    // completed in it, fall back to the average since the start.
    // The window is the span the ring covers (59 s and the current second's elapsed part, or the
    // time since the start while shorter), as for the request rate.
    const recent = this.completionRing.sum(now);
    let perMs: number;
    if (recent >= ETA_MIN_COMPLETIONS) perMs = recent / Math.max(MIN_RATE_SPAN_MS, windowMs(now, this.startAt));
    else if (this.completed >= ETA_MIN_COMPLETIONS) perMs = this.completed / elapsedMs;
    else return undefined;
    return Math.round(remaining / perMs);
  }
}

// ---- text shared by the renderers ----

/** 0 s · 45 s · 3m 20s · 1h 05m */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** 12,345 */
export function formatInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** `op n, op n` in the order the target reported them, or `none`. */
export function formatRequests(requests: Readonly<Record<string, number>>): string {
  return Object.entries(requests).map(([op, n]) => `${op} ${n}`).join(', ') || 'none';
}

/**
 * The two summary lines every human renderer ends with (end-to-end tests grep them):
 * `Apply <outcome>: <formatCounts>` is built by the caller; this is the second one.
 */
export function formatSummaryTail(d: DoneView): string {
  return `Invalid records skipped: ${d.invalid}. Requests sent: ${formatRequests(d.requests)}${d.retries ? ` (${d.retries} retries)` : ''}.`;
}

/** The limiter's state as a person reads it. */
export function formatLimiter(v: ApplyView): string {
  if (v.stopping !== undefined) return 'stopping — finishing requests in flight';
  if (v.limiter.resumesInMs !== undefined) return `rate-limited — resuming in ${Math.max(1, Math.ceil(v.limiter.resumesInMs / 1000))} s`;
  return 'sending';
}
