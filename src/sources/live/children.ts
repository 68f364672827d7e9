/**
 * A child stream (Zendesk's comments, Freshdesk's conversations, Intercom's conversation parts, Front's
 * messages and comments): for each parent record that changed since the child stream last caught up (the
 * parent stream's changes in the snapshot, in order: `changedSince`), all its children, fetched
 * `concurrency` parents at a time and committed in order, each parent's children in one transaction with
 * the cursor past that parent — its position (seq, ord) in the parent stream's changes. So a stopped pull
 * resumes at the first parent not committed, and the children follow the parent stream while it is still
 * paging (`parent`), or after it ended.
 *
 * The first fetch to fail stops the others at once (one waiting out a long 429 included), and its error,
 * not the aborts it caused, is what the pull reports.
 */
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';
import type { PullJob } from './types.js';

export interface Position {
  readonly seq: number;
  readonly ord: number;
}

/** The parent stream's pull, running alongside. */
export interface ParentProgress {
  /** It has finished (or failed): no more changes will come. */
  done(): boolean;
  /** Resolves when it commits a page or ends. */
  next(): Promise<void>;
}

/** A ParentProgress the parent's pull drives: `notify()` after each page, `notify(true)` at its end. */
export class StreamProgress implements ParentProgress {
  private waiters: Array<() => void> = [];
  private finished = false;
  done = (): boolean => this.finished;
  next = (): Promise<void> => (this.finished ? Promise.resolve() : new Promise((r) => this.waiters.push(r)));
  notify(end = false): void {
    if (end) this.finished = true;
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}

/** One parent's children, and what the API could not give (said once, as a pull note). */
export interface ChildFetch {
  readonly records: SnapshotRecordInput[];
  readonly note?: string;
}

export interface ChildStreamOptions {
  readonly parentStream: string;
  readonly stream: string;
  /** The parent stream's pull when it runs alongside; absent when it has already ended. */
  readonly parent?: ParentProgress;
  readonly stop: AbortSignal;
  /** Parents whose children are fetched at once (the connection's limiter paces the requests). */
  readonly concurrency: number;
  /** Parent changes read from the snapshot at a time. Default 200. */
  readonly perRead?: number;
  fetch(row: SnapshotRow, signal: AbortSignal): Promise<SnapshotRecordInput[] | ChildFetch>;
}

const ENDED: ParentProgress = { done: () => true, next: () => Promise.resolve() };

export async function pullChildren(job: PullJob, o: ChildStreamOptions): Promise<void> {
  const parent = o.parent ?? ENDED;
  const perRead = o.perRead ?? 200;
  const prev = (await job.snapshot.stream(o.stream))?.cursor as Position | null | undefined;
  let committed: Position = { seq: prev?.seq ?? 0, ord: prev?.ord ?? 0 };
  let enqueued = committed;
  job.emit({ type: 'stream-start', stream: o.stream });
  const pending: Array<{ row: SnapshotRow; fetched: Promise<SnapshotRecordInput[] | ChildFetch> }> = [];
  const local = new AbortController();
  const halt = AbortSignal.any([o.stop, local.signal]);
  const first: { failure?: { error: unknown } } = {};
  // Read through a call: the failure is set by a callback, which narrowing cannot see.
  const failed = (): { error: unknown } | undefined => first.failure;
  let buffer: SnapshotRow[] = [];
  try {
    for (;;) {
      const f = failed();
      if (f) throw f.error;
      o.stop.throwIfAborted();
      if (buffer.length === 0) buffer = await job.snapshot.changedSince(o.parentStream, enqueued, perRead);
      while (pending.length < o.concurrency && buffer.length > 0) {
        const row = buffer.shift()!;
        enqueued = { seq: row.seq, ord: row.ord };
        const fetched = o.fetch(row, halt);
        fetched.catch((error: unknown) => {
          if (first.failure === undefined && !halt.aborted) {
            first.failure = { error };
            local.abort();
          }
        });
        pending.push({ row, fetched });
      }
      if (pending.length === 0) {
        if (parent.done()) {
          // The parent may have committed its last page after the read above.
          buffer = await job.snapshot.changedSince(o.parentStream, enqueued, perRead);
          if (buffer.length === 0) break;
          continue;
        }
        await parent.next();
        continue;
      }
      const head = pending.shift()!;
      const got = await head.fetched;
      const { records, note } = Array.isArray(got) ? { records: got, note: undefined } : got;
      committed = { seq: head.row.seq, ord: head.row.ord };
      // One parent's children and the cursor past it, together.
      const r = await job.snapshot.commit(o.stream, records, committed);
      job.emit({ type: 'page', stream: o.stream, records: records.length, added: r.added, updated: r.updated });
      if (note) job.emit({ type: 'note', stream: o.stream, message: note });
    }
  } catch (e) {
    local.abort();
    for (const p of pending) p.fetched.catch(() => undefined);
    throw failed()?.error ?? e;
  }
  await job.snapshot.commit(o.stream, [], committed, { complete: true });
  job.emit({ type: 'stream-done', stream: o.stream });
}

/**
 * Streams pulled side by side. The first failure stops the others (their committed pages stay) and is what
 * the pull reports, not the stops it caused in the others.
 */
export class SideBySide {
  private readonly stopper = new AbortController();
  private readonly tasks: Array<Promise<void>> = [];
  /** Aborted by the job's signal or by the first failure. */
  readonly signal: AbortSignal;

  constructor(private readonly job: PullJob) {
    this.signal = AbortSignal.any([job.signal, this.stopper.signal]);
  }

  run(p: Promise<void>): void {
    this.tasks.push(
      p.catch((e: unknown) => {
        this.stopper.abort();
        throw e;
      }),
    );
  }

  /**
   * A parent stream that children follow (`progress`): told after each page and at its end. When it fails,
   * the children are stopped before they can see it as finished, so that none is marked complete.
   */
  parent(pull: (onPage: () => void) => Promise<void>, progress: StreamProgress): void {
    this.run(
      pull(() => progress.notify()).then(
        () => progress.notify(true),
        (e: unknown) => {
          this.stopper.abort();
          progress.notify(true);
          throw e;
        },
      ),
    );
  }

  async done(): Promise<void> {
    const results = await Promise.allSettled(this.tasks);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Error && r.reason.name === 'AbortError' && !this.job.signal.aborted));
    if (failed) throw (first ?? failed).reason;
  }
}
