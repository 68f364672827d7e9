/** The snapshot of live sources in the SQLite state database (tables of migration 5). */
import type Database from 'better-sqlite3';
import type { SnapshotRecordInput, SnapshotRow, SnapshotStore, SnapshotStreamInfo } from './types.js';

interface RawStream {
  stream: string;
  cursor: string | null;
  complete: number;
  records: number;
  deleted: number;
  next_ord: number;
  seq: number;
  pulled_at: string | null;
}

interface RawRecord {
  id: string;
  ord: number;
  seq: number;
  deleted: number;
  data: string;
}

function toInfo(r: RawStream): SnapshotStreamInfo {
  return {
    stream: r.stream,
    cursor: r.cursor === null ? null : (JSON.parse(r.cursor) as unknown),
    complete: r.complete === 1,
    records: r.records,
    deleted: r.deleted,
    seq: r.seq,
    pulledAt: r.pulled_at,
  };
}

function toRow(r: RawRecord): SnapshotRow {
  return { id: r.id, ord: r.ord, seq: r.seq, deleted: r.deleted === 1, json: r.data };
}

export class SqliteSnapshotStore implements SnapshotStore {
  private readonly s;

  constructor(private readonly db: Database.Database) {
    this.s = {
      version: db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'snapshot_seq'"),
      setVersion: db.prepare("INSERT INTO meta (key, value) VALUES ('snapshot_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value"),
      stream: db.prepare<[string], RawStream>('SELECT * FROM snapshot_streams WHERE stream = ?'),
      streams: db.prepare<[], RawStream>('SELECT * FROM snapshot_streams ORDER BY stream'),
      putStream: db.prepare(
        `INSERT INTO snapshot_streams (stream, cursor, complete, records, deleted, next_ord, seq, pulled_at)
         VALUES (@stream, @cursor, @complete, @records, @deleted, @next_ord, @seq, @pulled_at)
         ON CONFLICT(stream) DO UPDATE SET cursor = excluded.cursor, complete = excluded.complete, records = excluded.records,
           deleted = excluded.deleted, next_ord = excluded.next_ord, seq = excluded.seq, pulled_at = excluded.pulled_at`,
      ),
      get: db.prepare<[string, string], RawRecord>('SELECT id, ord, seq, deleted, data FROM snapshot_records WHERE stream = ? AND id = ?'),
      insert: db.prepare('INSERT INTO snapshot_records (stream, id, ord, seq, deleted, data) VALUES (?, ?, ?, ?, ?, ?)'),
      update: db.prepare('UPDATE snapshot_records SET seq = ?, deleted = ?, data = ? WHERE stream = ? AND id = ?'),
      page: db.prepare<[string, number, number], RawRecord>(
        'SELECT id, ord, seq, deleted, data FROM snapshot_records WHERE stream = ? AND ord > ? ORDER BY ord LIMIT ?',
      ),
      changed: db.prepare<[string, number, number, number, number], RawRecord>(
        `SELECT id, ord, seq, deleted, data FROM snapshot_records
         WHERE stream = ? AND (seq > ? OR (seq = ? AND ord > ?)) ORDER BY seq, ord LIMIT ?`,
      ),
    };
  }

  async version(): Promise<number> {
    return this.versionNow();
  }

  private versionNow(): number {
    return Number(this.s.version.get()?.value ?? 0);
  }

  async stream(stream: string): Promise<SnapshotStreamInfo | undefined> {
    const r = this.s.stream.get(stream);
    return r ? toInfo(r) : undefined;
  }

  async streams(): Promise<SnapshotStreamInfo[]> {
    return this.s.streams.all().map(toInfo);
  }

  async commit(stream: string, records: readonly SnapshotRecordInput[], cursor: unknown, opts: { complete?: boolean } = {}): Promise<{ added: number; updated: number }> {
    return this.db.transaction(() => {
      const cur: RawStream = this.s.stream.get(stream) ?? {
        stream,
        cursor: null,
        complete: 0,
        records: 0,
        deleted: 0,
        next_ord: 1,
        seq: 0,
        pulled_at: null,
      };
      const seq = this.versionNow() + 1;
      let added = 0;
      let updated = 0;
      for (const r of records) {
        const old = this.s.get.get(stream, r.id);
        const del = r.deleted ? 1 : 0;
        if (!old) {
          this.s.insert.run(stream, r.id, cur.next_ord++, seq, del, r.json);
          cur.records++;
          cur.deleted += del;
          added++;
        } else if (old.data !== r.json || old.deleted !== del) {
          this.s.update.run(seq, del, r.json, stream, r.id);
          cur.deleted += del - old.deleted;
          updated++;
        }
      }
      if (added + updated > 0) {
        cur.seq = seq;
        this.s.setVersion.run(String(seq));
      }
      this.s.putStream.run({
        ...cur,
        cursor: cursor === undefined || cursor === null ? null : JSON.stringify(cursor),
        complete: opts.complete || cur.complete === 1 ? 1 : 0,
        pulled_at: new Date().toISOString(),
      });
      return { added, updated };
    }).immediate();
  }

  async page(stream: string, afterOrd: number, limit: number): Promise<SnapshotRow[]> {
    return this.s.page.all(stream, afterOrd, limit).map(toRow);
  }

  async changedSince(stream: string, after: { readonly seq: number; readonly ord: number }, limit: number): Promise<SnapshotRow[]> {
    return this.s.changed.all(stream, after.seq, after.seq, after.ord, limit).map(toRow);
  }

  async get(stream: string, id: string): Promise<SnapshotRow | undefined> {
    const r = this.s.get.get(stream, id);
    return r ? toRow(r) : undefined;
  }
}
