/**
 * A plan written to a temporary on-disk table while it is being summarised, so that `apply` carries
 * out the very items it showed (and checked against a saved plan's digest) without mapping every
 * record a second time. Nothing changes the state between the two (apply holds the lock), so the
 * replay is exact; memory stays flat because items are streamed in and out of SQLite.
 */
import Database from 'better-sqlite3';
import type { PlanItem } from './types.js';

export class PlanSpool {
  private readonly db = new Database(''); // a private temporary file, removed on close
  private readonly put: Database.Statement<[string]>;
  private count = 0;

  constructor() {
    this.db.pragma('journal_mode = OFF');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE items (seq INTEGER PRIMARY KEY, json TEXT NOT NULL)');
    this.put = this.db.prepare('INSERT INTO items (json) VALUES (?)');
  }

  add(item: PlanItem): void {
    // A thread's messages travel in `send`; the executor never reads `thread.messages`.
    const slim = item.kind === 'thread' ? { ...item, thread: { ...item.thread, messages: [] } } : item;
    this.put.run(JSON.stringify(slim));
    this.count++;
  }

  get size(): number {
    return this.count;
  }

  /** The items in the order they were planned, read a page at a time (the state can be written meanwhile). */
  async *items(): AsyncGenerator<PlanItem> {
    const page = this.db.prepare<[number], { seq: number; json: string }>('SELECT seq, json FROM items WHERE seq > ? ORDER BY seq LIMIT 500');
    let after = 0;
    for (;;) {
      const rows = page.all(after);
      for (const r of rows) yield JSON.parse(r.json) as PlanItem;
      if (rows.length < 500) return;
      after = rows[rows.length - 1]!.seq;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
