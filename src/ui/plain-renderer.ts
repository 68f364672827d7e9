/**
 * The plain-line renderer for pipes and CI logs. Every line starts with a UTC timestamp
 * (`2026-11-22T00:57:23Z`). It prints the start line; every failure, invalid record and notice as it
 * happens (`FAILED address: …`, `INVALID …`, `ORPHAN …`, `DELETED …`, `NOTE …`, `STOPPING: …`); a line
 * when a phase reaches its total; a heartbeat every `heartbeatMs` with counts, requests/min (over the
 * time elapsed, up to a minute: see ApplyView.requestsPerMinute) and ETA (never one line per request);
 * and the summary after `done`:
 *
 *   Apply completed: customers: 14 created, 0 noop, 0 failed | threads: … | messages: …
 *   Invalid records skipped: 0. Requests sent: upsertCustomer 14, importThread 38 (2 retries).
 *
 * The heartbeat (heartbeat.ts, shared with the JSON renderer's `progress` records) is unref'd, stops on
 * `done` or `close()`, and is also checked on every event, so a fake clock drives it in tests.
 */
import type { ApplyEvent } from '../apply/events.js';
import { formatCounts } from './format.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from './heartbeat.js';
import {
  ApplyViewModel,
  formatDuration,
  formatInt,
  formatLimiter,
  formatSummaryTail,
  type ApplyView,
  type Phase,
} from './view-model.js';

export interface Writer {
  write(s: string): unknown;
}

export interface PlainRendererOptions {
  /** Interval of the progress heartbeat; 0 turns it off. Default 10 000. */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

export { DEFAULT_HEARTBEAT_MS };

/** `2026-11-22T00:57:23Z` */
export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

const STAMP_WIDTH = 'YYYY-MM-DDTHH:MM:SSZ '.length;

export class PlainRenderer {
  private readonly vm: ApplyViewModel;
  private readonly now: () => number;
  /** Runs between `start` and `done`. */
  private readonly heartbeat: Heartbeat;
  private readonly phaseDone = new Set<Phase>();
  private closed = false;

  constructor(
    private readonly out: Writer,
    opts: PlainRendererOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.vm = new ApplyViewModel({ now: this.now });
    this.heartbeat = new Heartbeat(opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, this.now, () => this.progress());
  }

  /** Invalid records seen so far (kept for callers that print their own summary). */
  get invalid(): number {
    return this.vm.view().invalid;
  }

  get retries(): number {
    return this.vm.view().retries;
  }

  on = (e: ApplyEvent): void => {
    const wasWaiting = e.type === 'rate-limit-wait' ? this.vm.limiterWaitingUntil() !== undefined : false;
    this.vm.apply(e);
    switch (e.type) {
      case 'start': {
        const t = e.totals;
        this.line(
          `Apply started: ${e.info.migration} → ${e.info.target}, run #${e.info.runId}; ` +
            `to do: ${this.vm.phaseNames().includes('customers') ? `${formatInt(t.customers)} customers, ` : ''}${formatInt(t.threads)} threads, ${formatInt(t.messages)} messages; ` +
            `limit ${formatInt(e.info.requestsPerMinute)} requests/min, concurrency ${e.info.concurrency}`,
        );
        if (!this.closed) this.heartbeat.start();
        break;
      }
      case 'rate-limit-wait':
        if (!wasWaiting) {
          this.line(`RATE-LIMITED: waiting ${formatDuration(e.untilMs - this.now())} for the rate-limit window (until ${timestamp(e.untilMs)})`);
        }
        break;
      case 'resource':
        this.drain();
        this.phaseLines();
        break;
      case 'done': {
        this.drain();
        this.phaseLines();
        this.heartbeat.stop();
        const d = this.vm.finished!;
        this.line(`Apply ${d.outcome}: ${formatCounts(d.counts, { customers: this.vm.phaseNames().includes('customers') })}`);
        this.line(formatSummaryTail(d));
        break;
      }
      default:
        this.drain();
    }
    this.heartbeat.check();
  };

  /** Stops the heartbeat. A run that never sent `done` gets one last progress line. */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.drain();
    if (this.heartbeat.running) this.progress();
    this.heartbeat.stop();
    return Promise.resolve();
  }

  /** The heartbeat text (without timestamp). */
  static progressText(v: ApplyView): string {
    const phases = v.phaseNames.map((p) => `${p} ${formatInt(v.phases[p].done)}/${formatInt(v.phases[p].total)} ${v.phases[p].percent}%`).join(', ');
    const failed = v.phaseNames.reduce((n, p) => n + v.phases[p].FAILED, 0);
    const parts = [
      `progress: ${phases} (${formatInt(failed)} failed)`,
      `${formatInt(v.requestsPerMinute)} requests/min of ${formatInt(v.limit)}`,
      `${formatInt(v.retries)} retries`,
      `elapsed ${formatDuration(v.elapsedMs)}`,
      `ETA ${v.etaMs === undefined ? 'unknown' : formatDuration(v.etaMs)}`,
    ];
    const limiter = formatLimiter(v);
    if (limiter !== 'sending') parts.push(limiter);
    return parts.join(' · ');
  }

  private progress(): void {
    this.line(PlainRenderer.progressText(this.vm.view()));
  }

  private drain(): void {
    for (const l of this.vm.takeFinished()) this.line(l.text);
  }

  private phaseLines(): void {
    for (const p of this.vm.phaseNames()) {
      if (this.phaseDone.has(p)) continue;
      const v = this.vm.phase(p);
      if (v.total === 0 || v.done < v.total) continue;
      this.phaseDone.add(p);
      const updated = v.UPDATED ? `, ${formatInt(v.UPDATED)} updated` : '';
      this.line(
        `${p} finished: ${formatInt(v.done)}/${formatInt(v.total)} (${formatInt(v.CREATED)} created, ${formatInt(v.NOOP)} noop${updated}, ${formatInt(v.FAILED)} failed) after ${formatDuration(this.vm.view().elapsedMs)}`,
      );
    }
  }

  /** One timestamped line; continuation lines of a multi-line text are indented under it. */
  private line(text: string): void {
    const indent = ' '.repeat(STAMP_WIDTH);
    this.out.write(`${timestamp(this.now())} ${text.replace(/\n/g, `\n${indent}`)}\n`);
  }
}
