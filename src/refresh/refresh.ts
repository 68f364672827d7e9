/**
 * plan --refresh: read every recorded thread from the target (batched, rate-limited, retried like
 * apply's requests) and keep what it has today in a temporary on-disk table, so that the plan can
 * compare last-applied, desired and current values per attribute without holding them in memory.
 */
import Database from 'better-sqlite3';
import { RequestRunner, type RequestEvent } from '../http/runner.js';
import type { BatchingDecl } from '../manifest/types.js';
import type { RemoteAttributes } from '../plan/diff.js';
import type { StateStore } from '../state/types.js';
import type { Target } from '../targets/types.js';

const PAGE = 1000;

export interface RefreshOptions {
  readonly state: StateStore;
  readonly target: Target;
  readonly batching: BatchingDecl;
  readonly stop: AbortSignal;
  readonly cancel: AbortSignal;
  readonly emit: (e: RequestEvent) => void;
}

export class RemoteSnapshot {
  private readonly db = new Database('');
  private readonly put;
  private readonly getStmt;
  threads = 0;
  missing = 0;

  private constructor() {
    this.db.exec('CREATE TABLE remote (address TEXT PRIMARY KEY, json TEXT) WITHOUT ROWID');
    this.put = this.db.prepare<[string, string | null]>('INSERT OR REPLACE INTO remote (address, json) VALUES (?, ?)');
    this.getStmt = this.db.prepare<[string], { json: string | null }>('SELECT json FROM remote WHERE address = ?');
  }

  /** The thread as the target has it; null: the target no longer has it; undefined: not read. */
  get = (address: string): RemoteAttributes | null | undefined => {
    const row = this.getStmt.get(address);
    if (!row) return undefined;
    return row.json === null ? null : (JSON.parse(row.json) as RemoteAttributes);
  };

  close(): void {
    if (this.db.open) this.db.close();
  }

  static async read(o: RefreshOptions): Promise<RemoteSnapshot> {
    const snap = new RemoteSnapshot();
    const runner = new RequestRunner({
      target: o.target,
      requestsPerMinute: o.batching.requestsPerMinute,
      maxAttempts: o.batching.maxAttempts,
      stop: o.stop,
      cancel: o.cancel,
      emit: o.emit,
    });
    const per = Math.max(1, o.target.maxThreadsPerRead);
    const inFlight = new Set<Promise<void>>();
    const readBatch = async (batch: Array<{ address: string; id: string }>) => {
      const { value } = await runner.call('readThreads', batch[0]!.address, (signal) =>
        o.target.readThreads(batch.map((b) => b.id), { signal }),
      );
      batch.forEach((b, i) => {
        const r = value[i] ?? null;
        snap.threads++;
        if (!r) snap.missing++;
        snap.put.run(b.address, r ? JSON.stringify({ title: r.title, priority: r.priority, status: r.status, labels: r.labels, assignee: r.assignee }) : null);
      });
    };
    try {
      let after = '';
      let batch: Array<{ address: string; id: string }> = [];
      const flush = async () => {
        if (batch.length === 0) return;
        while (inFlight.size >= Math.max(1, o.batching.concurrency)) await Promise.race(inFlight);
        const p: Promise<void> = readBatch(batch).finally(() => inFlight.delete(p));
        inFlight.add(p);
        batch = [];
      };
      for (;;) {
        const page = await o.state.page('thread', after, PAGE);
        for (const row of page) {
          if (row.status !== 'applied' || !row.targetId) continue;
          batch.push({ address: row.address, id: row.targetId });
          if (batch.length >= per) await flush();
        }
        if (page.length < PAGE) break;
        after = page[page.length - 1]!.address;
      }
      await flush();
      await Promise.all(inFlight);
      if (runner.fatal) throw Object.assign(new Error(runner.fatal.message), { recorded: runner.fatal });
    } catch (e) {
      snap.close();
      throw e;
    }
    return snap;
  }
}
