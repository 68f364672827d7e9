/**
 * The plain-line renderer for pipes and CI: a progress line at most every few seconds, every failure
 * as it happens (with Plain's message and field errors), and a summary at the end.
 */
import type { ApplyEvent, Counts } from '../apply/events.js';
import { emptyCounts } from '../apply/events.js';
import { formatCounts, formatInvalid, formatRecordedError } from './format.js';

export interface Writer {
  write(s: string): void;
}

export class PlainRenderer {
  private readonly counts: Counts = emptyCounts();
  private lastProgress = 0;
  invalid = 0;
  retries = 0;

  constructor(
    private readonly out: Writer,
    private readonly progressEveryMs = 5000,
    private readonly now: () => number = Date.now,
  ) {
    this.lastProgress = now();
  }

  on = (e: ApplyEvent): void => {
    switch (e.type) {
      case 'resource':
        this.counts[e.kind][e.outcome]++;
        if (e.outcome === 'FAILED' && e.error) this.out.write(`FAILED ${e.address}: ${formatRecordedError(e.error)}\n`);
        break;
      case 'invalid':
        this.invalid++;
        this.out.write(`INVALID ${formatInvalid(e.invalid).trimStart().slice(2)}\n`);
        break;
      case 'retry':
        this.retries++;
        break;
      case 'rate-limit-wait':
        this.out.write(`waiting for the rate limit window until ${new Date(e.untilMs).toISOString()}\n`);
        break;
      case 'stopping':
        this.out.write(`stopping: ${e.reason}\n`);
        break;
      case 'orphan':
        this.out.write(`ORPHAN ${e.address}: its source record is gone; kept in the target\n`);
        break;
      case 'deleted':
        this.out.write(`DELETED ${e.address}: no longer in the target; not re-created\n`);
        break;
      case 'not-applied':
        this.out.write(`NOTE ${e.address}: ${e.reason}\n`);
        break;
      case 'unchanged':
        break;
      default: {
        const never: never = e;
        return never;
      }
    }
    if (this.now() - this.lastProgress >= this.progressEveryMs) this.progress();
  };

  progress(): void {
    this.lastProgress = this.now();
    this.out.write(`progress: ${formatCounts(this.counts)}\n`);
  }
}
