/**
 * apply/: execute a plan stream against a target. Per thread, in dependency order: customers
 * (upsertCustomer) → the thread (importThread) → its messages (importThreadMessages, oldest first, in
 * batches). Threads run concurrently up to `concurrency`, each with one request in flight, so at most
 * `concurrency` requests are in flight. Every acknowledged result is committed to state before it is
 * counted. The executor emits events and never prints.
 *
 * This file holds the run loop: scheduling, invalid records, commit and counting. One thread's work is
 * in thread.ts, with dependencies.ts, updates.ts, message-batches.ts and message-attachments.ts.
 */
import type { BatchingDecl } from '../manifest/types.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { PlanItem, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError, StateStore } from '../state/types.js';
import type { Target } from '../targets/types.js';
import { emptyCounts, type ApplyEvent, type Counts } from './events.js';
import type { Clock } from '../http/ratelimit.js';
import { RequestRunner, Stopped } from '../http/runner.js';
import type { ApplyContext } from './context.js';
import { Dependencies } from './dependencies.js';
import { MessageAttachments, type AttachmentOptions } from './message-attachments.js';
import { MessageBatches } from './message-batches.js';
import { ThreadApplier } from './thread.js';
import { ThreadUpdates } from './updates.js';

export type { AttachmentOptions } from './message-attachments.js';
export { appliedFromRemote } from './thread.js';

export interface ApplyOptions {
  readonly items: AsyncIterable<PlanItem>;
  readonly target: Target;
  readonly state: StateStore;
  readonly runId: number;
  readonly batching: BatchingDecl;
  /** Aborted: stop scheduling new requests; requests in flight finish and are committed. */
  readonly stop: AbortSignal;
  /** Aborted: cancel requests in flight too. */
  readonly cancel: AbortSignal;
  readonly emit: (e: ApplyEvent) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Replace attributes that were also changed in the target since the last apply. */
  readonly overwriteConflicts?: boolean;
  /**
   * Called when a thread's work has finished (whatever its outcome). Its promise does not hold the
   * thread's place among the `concurrency` in flight (it may read a state across a network); the run
   * waits for all of them before it ends, and a failure of one is ignored (it is for caches).
   */
  readonly onThreadDone?: (item: ThreadPlanItem) => void | Promise<void>;
  /** Where message attachments come from (needed when messages have attachments). */
  readonly attachments?: AttachmentOptions;
}

export interface ApplyResult {
  readonly counts: Counts;
  readonly stopped: boolean;
  /** A failure that stopped the whole run (e.g. HTTP 401). */
  readonly fatal?: RecordedError;
  readonly requests: Record<string, number>;
  readonly invalid: number;
}

export class Executor {
  private readonly counts = emptyCounts();
  private readonly requests: RequestRunner;
  private readonly threads: ThreadApplier;

  constructor(private readonly o: ApplyOptions) {
    this.requests = new RequestRunner({
      target: o.target,
      requestsPerMinute: o.batching.requestsPerMinute,
      maxAttempts: o.batching.maxAttempts,
      stop: o.stop,
      cancel: o.cancel,
      emit: o.emit,
      clock: o.clock,
      random: o.random,
    });
    const ctx: ApplyContext = {
      target: o.target,
      state: o.state,
      runId: o.runId,
      requests: this.requests,
      emit: o.emit,
      commit: (outcomes) => this.commit(outcomes),
      counts: this.counts,
    };
    const deps = new Dependencies(ctx);
    const attachments = new MessageAttachments(ctx, o.attachments, o.batching.maxAttempts, o.cancel);
    const messages = new MessageBatches(ctx, deps, attachments, o.batching);
    this.threads = new ThreadApplier(ctx, deps, new ThreadUpdates(ctx, !!o.overwriteConflicts), messages);
  }

  private get stopping(): boolean {
    return this.requests.stopping;
  }

  async run(): Promise<ApplyResult> {
    const active = new Set<Promise<void>>();
    const limit = Math.max(1, this.o.batching.concurrency);
    for await (const item of this.o.items) {
      if (this.stopping) break;
      if (item.kind === 'invalid') {
        await this.invalid(item.invalid);
        continue;
      }
      if (item.kind === 'unchanged') {
        this.o.emit({ type: 'unchanged', address: item.address, messages: item.messages });
        continue;
      }
      if (item.kind === 'orphan' || item.kind === 'deleted') {
        this.o.emit({ type: item.kind, address: item.address });
        continue;
      }
      this.notes(item);
      for (const m of item.invalidMessages) await this.invalid(m);
      if (item.action === 'noop') {
        this.o.emit({ type: 'unchanged', address: item.address, messages: item.recordedMessages });
        continue;
      }
      while (active.size >= limit) await Promise.race(active);
      if (this.stopping) break;
      const p: Promise<void> = this.threads
        .apply(item)
        .then(() => this.afterThread(item))
        .catch((e) => {
          if (!(e instanceof Stopped)) throw e;
        })
        .finally(() => active.delete(p));
      active.add(p);
    }
    await Promise.all(active);
    await Promise.all(this.afterwards);
    await this.flushInvalid();
    return { counts: this.counts, stopped: this.stopping, fatal: this.requests.fatal, requests: this.o.target.requestCounts(), invalid: this.invalidCount };
  }

  private readonly afterwards = new Set<Promise<void>>();

  private afterThread(item: ThreadPlanItem): void {
    const p: Promise<void> = Promise.resolve()
      .then(() => this.o.onThreadDone?.(item))
      .catch(() => undefined)
      .finally(() => this.afterwards.delete(p));
    this.afterwards.add(p);
  }

  private readonly invalidBuffer: InvalidRecord[] = [];
  invalidCount = 0;

  /** Invalid records are reported as events and remembered in state (for `state errors`), in batches. */
  private async invalid(r: InvalidRecord): Promise<void> {
    this.invalidCount++;
    this.o.emit({ type: 'invalid', invalid: r });
    this.invalidBuffer.push(r);
    if (this.invalidBuffer.length >= 500) await this.flushInvalid();
  }

  private flushInvalid(): Promise<void> {
    return this.o.state.recordInvalid(this.invalidBuffer.splice(0), this.o.runId);
  }

  /** Counted and reported only once the state has it: a result lost in a crash is never shown as done. */
  private async commit(outcomes: ApplyOutcome[]): Promise<void> {
    await this.o.state.record(outcomes, this.o.runId);
    for (const out of outcomes) {
      const outcome = out.error ? 'FAILED' : out.result!;
      this.counts[out.kind][outcome]++;
      this.o.emit({ type: 'resource', kind: out.kind, address: out.address, outcome, error: out.error, attempts: out.attempts });
    }
  }

  /** What the plan found and will not do, said once per thread. */
  private notes(item: ThreadPlanItem): void {
    const say = (reason: string) => this.o.emit({ type: 'not-applied', address: item.address, reason });
    for (const c of item.conflicts) say(`${c.attribute} was also changed in the target since the last apply; left as it is there (--overwrite-conflicts to replace it)`);
    for (const f of item.frozen) say(`${f.attribute} cannot be changed after import; the source now says ${JSON.stringify(f.to)}`);
    for (const m of item.changedMessages) say(`${m} changed in the source; an imported message's text, author and time cannot be changed`);
    for (const m of item.orphanMessages) this.o.emit({ type: 'orphan', address: m });
  }
}

export function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  return new Executor(o).run();
}
