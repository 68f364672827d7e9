/**
 * The pull's plain-line renderer for pipes and CI logs, as apply's (every line starts with a UTC
 * timestamp). It prints a line when a stream starts and when it is done
 * (`zendesk.tickets: 1,200 records (1,180 new, 20 changed)`), every retry (with the redacted URL:
 * origin and path, never a query string) and every rate-limit pause (once per pause, not for each
 * extension), notes, a heartbeat every `heartbeatMs` (records, the streams under way, requests,
 * requests/min, retries, waits), never a line per page or request; and on `close(summary)` the
 * summary lines. The heartbeat runs from the first event to `close()`.
 */
import type { PullEvent } from '../../sources/live/types.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from '../heartbeat.js';
import { timestamp } from '../plain-renderer.js';
import { progressText, retryText, streamDoneText, streamStartText, summaryLines, waitText, type PullSummaryLine } from './format.js';
import { PullViewModel } from './view-model.js';

export interface Writer {
  write(s: string): unknown;
}

export interface PullLineRendererOptions {
  /** Interval of the heartbeat; 0 turns it off. Default 10 000. */
  readonly heartbeatMs?: number;
  readonly now?: () => number;
}

const STAMP_WIDTH = 'YYYY-MM-DDTHH:MM:SSZ '.length;

export class PullPlainRenderer {
  readonly vm: PullViewModel;
  private readonly now: () => number;
  private readonly heartbeat: Heartbeat;
  private readonly heartbeatMs: number;
  private closed = false;

  constructor(
    private readonly out: Writer,
    opts: PullLineRendererOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.vm = new PullViewModel({ now: this.now });
    this.heartbeatMs = opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.heartbeat = new Heartbeat(this.heartbeatMs, this.now, () => this.progress());
  }

  on = (e: PullEvent): void => {
    if (this.closed) return;
    const wasWaiting = e.type === 'rate-limit-wait' && this.vm.waitingUntil(e.connection) !== undefined;
    this.vm.apply(e);
    if (!this.heartbeat.running) this.heartbeat.start();
    switch (e.type) {
      case 'stream-start':
        this.line(streamStartText(e.stream, e.total));
        break;
      case 'stream-done': {
        const s = this.vm.view().streams.find((x) => x.stream === e.stream);
        if (s) this.line(streamDoneText(s));
        break;
      }
      case 'retry':
        this.line(retryText(e));
        break;
      case 'rate-limit-wait':
        if (!wasWaiting) this.line(waitText(e.connection, e.untilMs, this.now()));
        break;
      case 'note':
        this.line(`NOTE ${e.stream}: ${e.message}`);
        break;
      default:
        break;
    }
    this.heartbeat.check();
  };

  /** Stops the heartbeat; prints the summary, or without one a last progress line (unless the heartbeat is off). */
  close(summary?: PullSummaryLine): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (summary) for (const l of summaryLines(this.vm.view(), summary)) this.line(l);
    else if (this.heartbeat.running && this.heartbeatMs > 0) this.progress();
    this.heartbeat.stop();
    return Promise.resolve();
  }

  private progress(): void {
    this.line(progressText(this.vm.view(), this.now()));
  }

  /** One timestamped line; continuation lines of a multi-line text are indented under it. */
  private line(text: string): void {
    this.out.write(`${timestamp(this.now())} ${text.replace(/\n/g, `\n${' '.repeat(STAMP_WIDTH)}`)}\n`);
  }
}
