/**
 * The plan cache: re-planning an export that has not changed since the last apply skips the mapping
 * (JSONata, HTML conversion) of every record whose thread was unchanged then. An entry is keyed by a
 * hash of the source record and the manifest, and holds what the mapping looked up in other sources
 * (with a digest of what it found) and a stamp of the thread's recorded state. It is used only when
 * all three still match; anything else maps the record as usual. The cache is a rebuildable file
 * beside the index cache, not state: deleting it only makes the next plan slower.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceIndexes } from '../mapping/bindings.js';
import type { StateStore } from '../state/types.js';

/** [source, 'one' | 'all', key, digest of what the look-up found] */
export type ResolvedLookup = [string, 'one' | 'all', string, string];

export interface CachedNoop {
  readonly address: string;
  readonly messages: number;
}

interface Row {
  address: string;
  lookups: string;
  stamp: string;
  messages: number;
}

export class PlanCache {
  private readonly db: Database.Database;
  private readonly getStmt: Database.Statement<[string], Row>;
  private readonly putStmt: Database.Statement<[string, string, string, string, number]>;
  private readonly delStmt: Database.Statement<[string]>;
  hits = 0;
  /**
   * The cache held no entry when it was opened (a first plan, or after it was deleted): every look-up
   * is a miss, so none is made. Entries this run adds are for records it has already planned.
   */
  readonly startedEmpty: boolean;

  private constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = OFF');
    this.db.exec('CREATE TABLE IF NOT EXISTS noop (record TEXT PRIMARY KEY, address TEXT NOT NULL, lookups TEXT NOT NULL, stamp TEXT NOT NULL, messages INTEGER NOT NULL) WITHOUT ROWID');
    this.getStmt = this.db.prepare('SELECT address, lookups, stamp, messages FROM noop WHERE record = ?');
    this.putStmt = this.db.prepare('INSERT OR REPLACE INTO noop (record, address, lookups, stamp, messages) VALUES (?, ?, ?, ?, ?)');
    this.delStmt = this.db.prepare('DELETE FROM noop WHERE record = ?');
    this.startedEmpty = this.db.prepare('SELECT 1 FROM noop LIMIT 1').get() === undefined;
  }

  static open(cacheDir: string): PlanCache | undefined {
    try {
      mkdirSync(cacheDir, { recursive: true });
      return new PlanCache(join(cacheDir, 'plan-cache.db'));
    } catch {
      return undefined; // a cache that cannot be opened only costs speed
    }
  }

  /** The stamp of a recorded thread: changes whenever apply (or `state rm`) changes it or its messages. */
  static async stamp(state: StateStore, address: string): Promise<string | undefined> {
    const row = await state.get(address);
    if (!row || row.status !== 'applied') return undefined;
    // Counted by the state itself: reading every message row was a fifth of a re-plan.
    const c = await state.childrenSummary(address);
    return `${row.updatedAt}|${row.lastError ? 'e' : ''}|${c.count}|${c.applied}|${c.latestUpdatedAt}`;
  }

  /** A still-valid noop for this record, or undefined. */
  async lookup(recordKey: string, state: StateStore, indexes: SourceIndexes): Promise<CachedNoop | undefined> {
    if (this.startedEmpty) return undefined;
    const row = this.getStmt.get(recordKey);
    if (!row) return undefined;
    if ((await PlanCache.stamp(state, row.address)) !== row.stamp) return undefined;
    const lookups = JSON.parse(row.lookups) as ResolvedLookup[];
    for (const [source, kind, key, digest] of lookups) {
      const idx = (kind === 'one' ? indexes.key : indexes.groupBy).get(source);
      if (!idx || idx.fingerprint(key, kind) !== digest) return undefined;
    }
    this.hits++;
    return { address: row.address, messages: row.messages };
  }

  /** The look-ups of a mapping with a digest of what they found now; undefined if a source has no index. */
  static resolve(lookups: Iterable<string>, indexes: SourceIndexes): ResolvedLookup[] | undefined {
    const found: ResolvedLookup[] = [];
    for (const l of lookups) {
      const [source, kind, key] = l.split('\u0000') as [string, 'one' | 'all', string];
      const idx = (kind === 'one' ? indexes.key : indexes.groupBy).get(source);
      if (!idx) return undefined;
      found.push([source, kind, key, idx.fingerprint(key, kind)]);
    }
    return found;
  }

  remember(recordKey: string, address: string, lookups: readonly ResolvedLookup[], stamp: string, messages: number): void {
    this.putStmt.run(recordKey, address, JSON.stringify(lookups), stamp, messages);
  }

  forget(recordKey: string): void {
    this.delStmt.run(recordKey);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
