/** The snapshot of live sources in the PostgreSQL state (the same rules as sqlite-snapshot.ts). */
import type pg from 'pg';
import type { SnapshotRecordInput, SnapshotRow, SnapshotStore, SnapshotStreamInfo } from './types.js';

export type Query = <R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]) => Promise<pg.QueryResult<R>>;

/** What the snapshot needs of its store: reads anywhere, writes in one transaction where the lock is. */
export interface PgSnapshotHost {
  readonly schema: string;
  stateId(): Promise<number | undefined>;
  read: Query;
  writeTransaction<T>(fn: (q: Query, stateId: number) => Promise<T>): Promise<T>;
}

interface RawStream {
  stream: string;
  cursor: string | null;
  complete: boolean;
  records: string;
  deleted: string;
  next_ord: string;
  seq: string;
  pulled_at: string | null;
}

interface RawRecord {
  id: string;
  ord: string;
  seq: string;
  deleted: boolean;
  data: string;
}

function toInfo(r: RawStream): SnapshotStreamInfo {
  return {
    stream: r.stream,
    cursor: r.cursor === null ? null : (JSON.parse(r.cursor) as unknown),
    complete: r.complete,
    records: Number(r.records),
    deleted: Number(r.deleted),
    seq: Number(r.seq),
    pulledAt: r.pulled_at,
  };
}

function toRow(r: RawRecord): SnapshotRow {
  return { id: r.id, ord: Number(r.ord), seq: Number(r.seq), deleted: r.deleted, json: r.data };
}

export class PgSnapshotStore implements SnapshotStore {
  private readonly s: string;

  constructor(private readonly host: PgSnapshotHost) {
    this.s = host.schema;
  }

  async version(): Promise<number> {
    const id = await this.host.stateId();
    if (id === undefined) return 0;
    const r = await this.host.read<{ v: string }>(`SELECT snapshot_seq AS v FROM ${this.s}.states WHERE id = $1`, [id]);
    return Number(r.rows[0]?.v ?? 0);
  }

  async stream(stream: string): Promise<SnapshotStreamInfo | undefined> {
    const id = await this.host.stateId();
    if (id === undefined) return undefined;
    const r = await this.host.read<RawStream>(`SELECT * FROM ${this.s}.snapshot_streams WHERE state_id = $1 AND stream = $2`, [id, stream]);
    return r.rows[0] ? toInfo(r.rows[0]) : undefined;
  }

  async streams(): Promise<SnapshotStreamInfo[]> {
    const id = await this.host.stateId();
    if (id === undefined) return [];
    const r = await this.host.read<RawStream>(`SELECT * FROM ${this.s}.snapshot_streams WHERE state_id = $1 ORDER BY stream`, [id]);
    return r.rows.map(toInfo);
  }

  commit(stream: string, records: readonly SnapshotRecordInput[], cursor: unknown, opts: { complete?: boolean } = {}): Promise<{ added: number; updated: number }> {
    const s = this.s;
    return this.host.writeTransaction(async (q, stateId) => {
      // The state row first: commits of several streams take their versions one after the other.
      const seqRow = await q<{ v: string }>(`SELECT snapshot_seq AS v FROM ${s}.states WHERE id = $1 FOR UPDATE`, [stateId]);
      const seq = Number(seqRow.rows[0]!.v) + 1;
      const cr = await q<RawStream>(`SELECT * FROM ${s}.snapshot_streams WHERE state_id = $1 AND stream = $2`, [stateId, stream]);
      const cur = cr.rows[0] ? { records: Number(cr.rows[0].records), deleted: Number(cr.rows[0].deleted), nextOrd: Number(cr.rows[0].next_ord), seq: Number(cr.rows[0].seq), complete: cr.rows[0].complete } : { records: 0, deleted: 0, nextOrd: 1, seq: 0, complete: false };
      const ids = [...new Set(records.map((r) => r.id))];
      const old = new Map<string, { deleted: boolean; data: string; fresh: boolean }>();
      if (ids.length > 0) {
        const found = await q<{ id: string; deleted: boolean; data: string }>(`SELECT id, deleted, data FROM ${s}.snapshot_records WHERE state_id = $1 AND stream = $2 AND id = ANY($3::text[])`, [stateId, stream, ids]);
        for (const r of found.rows) old.set(r.id, { deleted: r.deleted, data: r.data, fresh: false });
      }
      // In page order, as SQLite applies them: a record twice in a page is added, then updated.
      const inserts = new Map<string, { ord: number; deleted: boolean; data: string }>();
      const updates = new Map<string, { deleted: boolean; data: string }>();
      let added = 0;
      let updated = 0;
      for (const r of records) {
        const o = old.get(r.id);
        if (!o) {
          inserts.set(r.id, { ord: cur.nextOrd++, deleted: r.deleted, data: r.json });
          old.set(r.id, { deleted: r.deleted, data: r.json, fresh: true });
          cur.records++;
          cur.deleted += r.deleted ? 1 : 0;
          added++;
        } else if (o.data !== r.json || o.deleted !== r.deleted) {
          cur.deleted += (r.deleted ? 1 : 0) - (o.deleted ? 1 : 0);
          if (o.fresh) inserts.set(r.id, { ...inserts.get(r.id)!, deleted: r.deleted, data: r.json });
          else updates.set(r.id, { deleted: r.deleted, data: r.json });
          old.set(r.id, { deleted: r.deleted, data: r.json, fresh: o.fresh });
          updated++;
        }
      }
      if (inserts.size > 0) {
        const rows = [...inserts.entries()];
        await q(
          `INSERT INTO ${s}.snapshot_records (state_id, stream, id, ord, seq, deleted, data)
           SELECT $1, $2, u.id, u.ord, $3, u.deleted, u.data FROM unnest($4::text[], $5::bigint[], $6::boolean[], $7::text[]) AS u(id, ord, deleted, data)`,
          [stateId, stream, seq, rows.map(([id]) => id), rows.map(([, v]) => v.ord), rows.map(([, v]) => v.deleted), rows.map(([, v]) => v.data)],
        );
      }
      if (updates.size > 0) {
        const rows = [...updates.entries()];
        await q(
          `UPDATE ${s}.snapshot_records AS r SET seq = $3, deleted = u.deleted, data = u.data
           FROM unnest($4::text[], $5::boolean[], $6::text[]) AS u(id, deleted, data)
           WHERE r.state_id = $1 AND r.stream = $2 AND r.id = u.id`,
          [stateId, stream, seq, rows.map(([id]) => id), rows.map(([, v]) => v.deleted), rows.map(([, v]) => v.data)],
        );
      }
      if (added + updated > 0) {
        cur.seq = seq;
        await q(`UPDATE ${s}.states SET snapshot_seq = $2 WHERE id = $1`, [stateId, seq]);
      }
      await q(
        `INSERT INTO ${s}.snapshot_streams (state_id, stream, cursor, complete, records, deleted, next_ord, seq, pulled_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (state_id, stream) DO UPDATE SET cursor = excluded.cursor, complete = excluded.complete, records = excluded.records,
           deleted = excluded.deleted, next_ord = excluded.next_ord, seq = excluded.seq, pulled_at = excluded.pulled_at`,
        [stateId, stream, cursor === undefined || cursor === null ? null : JSON.stringify(cursor), !!opts.complete || cur.complete, cur.records, cur.deleted, cur.nextOrd, cur.seq, new Date().toISOString()],
      );
      return { added, updated };
    });
  }

  async page(stream: string, afterOrd: number, limit: number): Promise<SnapshotRow[]> {
    const id = await this.host.stateId();
    if (id === undefined) return [];
    const r = await this.host.read<RawRecord>(
      `SELECT id, ord, seq, deleted, data FROM ${this.s}.snapshot_records WHERE state_id = $1 AND stream = $2 AND ord > $3 ORDER BY ord LIMIT $4`,
      [id, stream, afterOrd, limit],
    );
    return r.rows.map(toRow);
  }

  async changedSince(stream: string, after: { readonly seq: number; readonly ord: number }, limit: number): Promise<SnapshotRow[]> {
    const id = await this.host.stateId();
    if (id === undefined) return [];
    const r = await this.host.read<RawRecord>(
      `SELECT id, ord, seq, deleted, data FROM ${this.s}.snapshot_records
       WHERE state_id = $1 AND stream = $2 AND (seq, ord) > ($3::bigint, $4::bigint) ORDER BY seq, ord LIMIT $5`,
      [id, stream, after.seq, after.ord, limit],
    );
    return r.rows.map(toRow);
  }

  async get(stream: string, rid: string): Promise<SnapshotRow | undefined> {
    const id = await this.host.stateId();
    if (id === undefined) return undefined;
    const r = await this.host.read<RawRecord>(`SELECT id, ord, seq, deleted, data FROM ${this.s}.snapshot_records WHERE state_id = $1 AND stream = $2 AND id = $3`, [id, stream, rid]);
    return r.rows[0] ? toRow(r.rows[0]) : undefined;
  }
}
