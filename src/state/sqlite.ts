/**
 * The embedded state backend: one SQLite file (better-sqlite3, WAL). Every acknowledged result is
 * committed in its own short transaction before the executor counts it as done, so a crash at any
 * moment loses at most the requests that were in flight (and those are idempotent on the target).
 */
import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { PmError } from '../core/errors.js';
import { addressMatcher } from '../core/model.js';
import { likePrefix, toResourceRow, type RawResourceRow } from './rows.js';
import { SqliteSnapshotStore } from './sqlite-snapshot.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import { emptyCounts, TRANSFER_PAGE, type TransferableState, type TransferChunk, type TransferMeta, type TransferTable } from './transfer.js';
import {
  RESOURCE_KINDS,
  type ApplyOutcome,
  type InvalidRow,
  type LockHolder,
  type LockInfo,
  type ResourceKind,
  type ResourceRow,
  type ResourceStatus,
  type RunSummary,
  type StateMeta,
  type StateStore,
  type ChildrenSummary,
} from './types.js';

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface OpenStateOptions {
  manifestName: string;
  /** Create the file when missing (plan may run on a fresh checkout without creating state). */
  create?: boolean;
}

export class SqliteStateStore implements StateStore, TransferableState {
  readonly path: string;
  readonly backend = 'sqlite' as const;
  /** A file lock cannot be lost while the process lives. */
  readonly lockLost: AbortSignal = new AbortController().signal;
  readonly snapshot: SqliteSnapshotStore;
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.snapshot = new SqliteSnapshotStore(db);
    this.stmts = {
      get: db.prepare<[string], RawResourceRow>('SELECT * FROM resources WHERE address = ?'),
      children: db.prepare<[string], RawResourceRow>('SELECT * FROM resources WHERE parent = ? ORDER BY created_at, address'),
      childrenSummary: db.prepare<[string], { n: number; applied: number | null; latest: string | null }>(
        "SELECT count(*) AS n, sum(status = 'applied') AS applied, max(updated_at) AS latest FROM resources WHERE parent = ?",
      ),
      listLike: db.prepare<[string], RawResourceRow>("SELECT * FROM resources WHERE address LIKE ? ESCAPE '\\' ORDER BY address"),
      listPage: db.prepare<[string, string, number], RawResourceRow>("SELECT * FROM resources WHERE address LIKE ? ESCAPE '\\' AND address > ? ORDER BY address LIMIT ?"),
      page: db.prepare<[ResourceKind, string, number], RawResourceRow>(
        'SELECT * FROM resources WHERE kind = ? AND address > ? ORDER BY address LIMIT ?',
      ),
      count: db.prepare<[], { kind: ResourceKind; status: ResourceStatus; n: number }>(
        'SELECT kind, status, count(*) AS n FROM resources GROUP BY kind, status',
      ),
      success: db.prepare(
        `INSERT INTO resources (address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at, run_id)
         VALUES (@address, @kind, @parent, @externalId, @targetId, @inputHash, @applied, 'applied', @result, NULL, @attempts, @now, @now, @runId)
         ON CONFLICT(address) DO UPDATE SET target_id = excluded.target_id, input_hash = excluded.input_hash, status = 'applied',
           applied = coalesce(excluded.applied, resources.applied),
           result = excluded.result, last_error = NULL, attempts = resources.attempts + excluded.attempts,
           updated_at = excluded.updated_at, run_id = excluded.run_id`,
      ),
      failure: db.prepare(
        `INSERT INTO resources (address, kind, parent, external_id, target_id, input_hash, status, result, last_error, attempts, created_at, updated_at, run_id)
         VALUES (@address, @kind, @parent, @externalId, NULL, @inputHash, 'failed', NULL, @error, @attempts, @now, @now, @runId)
         ON CONFLICT(address) DO UPDATE SET status = CASE WHEN resources.status = 'applied' THEN 'applied' ELSE 'failed' END,
           last_error = excluded.last_error, attempts = resources.attempts + excluded.attempts,
           updated_at = excluded.updated_at, run_id = excluded.run_id`,
      ),
      metaGet: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      metaSet: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
  }

  static open(path: string, opts: OpenStateOptions): SqliteStateStore {
    if (opts.create !== false) mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path, { fileMustExist: opts.create === false });
    } catch (e) {
      throw new PmError('state.open-failed', `cannot open the state database ${path}: ${(e as Error).message}`, {
        hint: 'check the path under state.path in the manifest and that the directory is writable',
      });
    }
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('temp_store = FILE');
      migrate(db);
    } catch (e) {
      db.close();
      if (e instanceof PmError) throw e;
      throw new PmError('state.open-failed', `cannot use the state database ${path}: ${(e as Error).message}`, {
        hint: 'if state.db was deleted by hand, delete its -wal and -shm files too; if it is damaged, restore it from a backup',
      });
    }
    const store = new SqliteStateStore(path, db);
    store.initMeta(opts.manifestName);
    return store;
  }

  private initMeta(manifestName: string): void {
    const existing = this.stmts.metaGet.get('manifest_name')?.value;
    if (existing === undefined) {
      this.db.transaction(() => {
        this.stmts.metaSet.run('lineage', randomUUID());
        this.stmts.metaSet.run('serial', '0');
        this.stmts.metaSet.run('manifest_name', manifestName);
        this.stmts.metaSet.run('created_at', new Date().toISOString());
      })();
    } else if (existing !== manifestName) {
      this.db.close();
      throw new PmError(
        'state.manifest-mismatch',
        `the state at ${this.path} belongs to the migration '${existing}', not '${manifestName}'`,
        { hint: 'point state.path at this migration’s own state file, or fix the manifest’s name' },
      );
    }
  }

  async meta(): Promise<StateMeta> {
    return this.metaNow();
  }

  private metaNow(): StateMeta {
    const get = (k: string) => this.stmts.metaGet.get(k)?.value ?? '';
    return {
      lineage: get('lineage'),
      serial: Number(get('serial')),
      manifestName: get('manifest_name'),
      schemaVersion: SCHEMA_VERSION,
    };
  }

  async get(address: string): Promise<ResourceRow | undefined> {
    const r = this.stmts.get.get(address);
    return r ? toResourceRow(r) : undefined;
  }

  async children(parentAddress: string): Promise<ResourceRow[]> {
    return this.stmts.children.all(parentAddress).map(toResourceRow);
  }
  async childrenSummary(parentAddress: string): Promise<ChildrenSummary> {
    const r = this.stmts.childrenSummary.get(parentAddress)!;
    return { count: r.n, applied: r.applied ?? 0, latestUpdatedAt: r.latest ?? '' };
  }

  /** In pages, so that the caller may write to the state between rows. */
  async *list(pattern = '*'): AsyncIterableIterator<ResourceRow> {
    const match = addressMatcher(pattern);
    const like = likePrefix(pattern);
    let after = '';
    for (;;) {
      const page = this.stmts.listPage.all(like, after, 500);
      for (const r of page) if (match(r.address)) yield toResourceRow(r);
      if (page.length < 500) return;
      after = page[page.length - 1]!.address;
    }
  }

  async page(kind: ResourceKind, after: string, limit: number): Promise<ResourceRow[]> {
    return this.stmts.page.all(kind, after, limit).map(toResourceRow);
  }

  async count(): Promise<Record<ResourceKind, Record<ResourceStatus, number>>> {
    const out = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, { applied: 0, failed: 0 }])) as Record<ResourceKind, Record<ResourceStatus, number>>;
    for (const r of this.stmts.count.all()) out[r.kind][r.status] = r.n;
    return out;
  }

  async record(outcomes: readonly ApplyOutcome[], runId: number): Promise<void> {
    if (outcomes.length === 0) return;
    const now = new Date().toISOString();
    this.db.transaction(() => {
      for (const o of outcomes) {
        const base = {
          address: o.address,
          kind: o.kind,
          parent: o.parent ?? null,
          externalId: o.externalId,
          inputHash: o.inputHash,
          attempts: o.attempts,
          now,
          runId,
        };
        if (o.error) this.stmts.failure.run({ ...base, error: JSON.stringify(o.error) });
        else {
          const applied = o.applied === undefined ? null : JSON.stringify(o.applied);
          this.stmts.success.run({ ...base, targetId: o.targetId ?? null, result: o.result ?? null, applied });
        }
      }
    })();
  }

  async remove(pattern: string): Promise<number> {
    const match = addressMatcher(pattern);
    const del = this.db.prepare('DELETE FROM resources WHERE address = ?');
    // A thread's messages go with it: they are imported again with the thread.
    const delChildren = this.db.prepare('DELETE FROM resources WHERE parent = ?');
    let n = 0;
    this.db.transaction(() => {
      const rows = this.stmts.listLike.all(likePrefix(pattern));
      for (const r of rows) {
        if (!match(r.address)) continue;
        n += del.run(r.address).changes;
        if (r.kind === 'thread') n += delChildren.run(r.address).changes;
      }
    })();
    return n;
  }

  async recordInvalid(records: ReadonlyArray<{ address: string; where: string; reasons: readonly string[] }>, runId: number): Promise<void> {
    if (records.length === 0) return;
    const now = new Date().toISOString();
    const put = this.db.prepare(
      'INSERT INTO invalid (address, where_, reasons, run_id, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET where_ = excluded.where_, reasons = excluded.reasons, run_id = excluded.run_id, updated_at = excluded.updated_at',
    );
    this.db.transaction(() => {
      for (const r of records) put.run(r.address, r.where, JSON.stringify(r.reasons), runId, now);
    })();
  }

  async forgetInvalidNotSeenIn(runId: number): Promise<void> {
    this.db.prepare('DELETE FROM invalid WHERE run_id <> ?').run(runId);
  }

  async invalidRecords(pattern = '*'): Promise<InvalidRow[]> {
    const match = addressMatcher(pattern);
    return this.db
      .prepare<[], { address: string; where_: string; reasons: string; run_id: number; updated_at: string }>('SELECT * FROM invalid ORDER BY address')
      .all()
      .filter((r) => match(r.address))
      .map((r) => ({ address: r.address, where: r.where_, reasons: JSON.parse(r.reasons) as string[], runId: r.run_id, updatedAt: r.updated_at }));
  }

  async failures(pattern = '*'): Promise<ResourceRow[]> {
    const match = addressMatcher(pattern);
    return this.db
      .prepare<[], RawResourceRow>("SELECT * FROM resources WHERE status = 'failed' OR last_error IS NOT NULL ORDER BY address")
      .all()
      .filter((r) => match(r.address))
      .map(toResourceRow);
  }

  async acquireLock(command: string): Promise<{ runId: number; tookOverFrom?: LockHolder }> {
    const host = hostname();
    const startedAt = new Date().toISOString();
    return this.db.transaction(() => {
      const held = this.db
        .prepare<[], { pid: number; host: string; started_at: string; command: string; run_id: number }>(
          'SELECT pid, host, started_at, command, run_id FROM lock WHERE id = 1',
        )
        .get();
      let tookOverFrom: LockHolder | undefined;
      if (held) {
        const holder: LockHolder = { pid: held.pid, host: held.host, startedAt: held.started_at, command: held.command };
        const stale = held.host === host && (held.pid === process.pid ? false : !processAlive(held.pid));
        if (!stale) {
          throw new PmError(
            'state.locked',
            `the state ${this.path} is locked by '${held.command}' (lock ID ${held.run_id}: pid ${held.pid} on ${held.host}, since ${held.started_at})`,
            {
              hint:
                held.host === host
                  ? 'wait for that run to finish, or stop it (Ctrl-C) first'
                  : `that run is on another machine; if it is really gone: plain-migrate force-unlock ${held.run_id}`,
            },
          );
        }
        tookOverFrom = holder;
        this.db
          .prepare("UPDATE runs SET finished_at = ?, outcome = 'crashed' WHERE id = ? AND finished_at IS NULL")
          .run(startedAt, held.run_id);
        this.db.prepare('DELETE FROM lock WHERE id = 1').run();
      }
      const runId = Number(
        this.db
          .prepare('INSERT INTO runs (command, pid, host, started_at) VALUES (?, ?, ?, ?)')
          .run(command, process.pid, host, startedAt).lastInsertRowid,
      );
      this.db
        .prepare('INSERT INTO lock (id, pid, host, started_at, command, run_id) VALUES (1, ?, ?, ?, ?, ?)')
        .run(process.pid, host, startedAt, command, runId);
      return { runId, tookOverFrom };
    }).immediate();
  }

  async releaseLock(runId: number, outcome: string, counts: Record<string, number>): Promise<void> {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE runs SET finished_at = ?, outcome = ?, counts = ? WHERE id = ?')
        .run(new Date().toISOString(), outcome, JSON.stringify(counts), runId);
      const changed = this.db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM resources WHERE run_id = ?').get(runId);
      if (changed && changed.n > 0) {
        this.stmts.metaSet.run('serial', String(this.metaNow().serial + 1));
      }
      this.db.prepare('DELETE FROM lock WHERE id = 1 AND run_id = ?').run(runId);
    })();
  }

  /**
   * Set by `state migrate` once this file's state was copied elsewhere: a manifest still pointing here
   * is refused, so that two copies never both move on.
   */
  movedTo(): { to: string; at: string } | undefined {
    const v = this.stmts.metaGet.get('moved_to')?.value;
    return v ? (JSON.parse(v) as { to: string; at: string }) : undefined;
  }

  markMoved(to: string): void {
    this.stmts.metaSet.run('moved_to', JSON.stringify({ to, at: new Date().toISOString() }));
  }

  /** The file holds something worth moving: a recorded resource, run or pulled record. */
  hasHistory(): boolean {
    const n = (t: string) => this.db.prepare<[], { n: number }>(`SELECT count(*) AS n FROM (SELECT 1 FROM ${t} LIMIT 1)`).get()!.n;
    return n('resources') + n('runs') + n('snapshot_records') > 0;
  }

  /** The lock, if one is held. */
  async lockHolder(): Promise<LockInfo | undefined> {
    return this.lockHolderNow();
  }

  private lockHolderNow(): LockInfo | undefined {
    const held = this.db
      .prepare<[], { pid: number; host: string; started_at: string; command: string; run_id: number }>('SELECT * FROM lock WHERE id = 1')
      .get();
    return held ? { pid: held.pid, host: held.host, startedAt: held.started_at, command: held.command, lockId: held.run_id } : undefined;
  }

  /** `force-unlock LOCK_ID`: remove the lock if its ID is the one given (so a new run's lock is never removed by mistake). */
  async forceUnlock(lockId: number): Promise<{ holder: LockInfo; did: string }> {
    const held = this.lockHolderNow();
    if (!held) throw new PmError('state.not-locked', `the state ${this.path} is not locked`);
    if (held.lockId !== lockId) {
      throw new PmError('state.lock-id-mismatch', `the state is locked with lock ID ${held.lockId}, not ${lockId}`, {
        hint: `check that run (pid ${held.pid} on ${held.host}, since ${held.startedAt}) is gone, then: plain-migrate force-unlock ${held.lockId}`,
      });
    }
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM lock WHERE id = 1').run();
      this.db.prepare("UPDATE runs SET finished_at = ?, outcome = 'force-unlocked' WHERE id = ? AND finished_at IS NULL").run(new Date().toISOString(), lockId);
    })();
    return { holder: held, did: `removed the lock from ${this.path}` };
  }

  async transferMeta(): Promise<TransferMeta> {
    const m = this.metaNow();
    return { lineage: m.lineage, serial: m.serial, snapshotSeq: Number(this.stmts.metaGet.get('snapshot_seq')?.value ?? 0) };
  }

  async isEmpty(exceptRun = -1): Promise<boolean> {
    const one = (sql: string, ...args: unknown[]) => this.db.prepare(sql).get(...args) !== undefined;
    return !one('SELECT 1 FROM resources LIMIT 1') && !one('SELECT 1 FROM snapshot_records LIMIT 1') && !one('SELECT 1 FROM runs WHERE id <> ? LIMIT 1', exceptRun);
  }

  async *exportState(skipRun = -1): AsyncGenerator<TransferChunk> {
    const pages = function* <R>(next: (after: R | undefined) => R[]): Generator<R[]> {
      let after: R | undefined;
      for (;;) {
        const rows = next(after);
        if (rows.length > 0) yield rows;
        if (rows.length < TRANSFER_PAGE) return;
        after = rows[rows.length - 1];
      }
    };
    const n = TRANSFER_PAGE;
    for (const rows of pages<{ id: number }>((a) => this.db.prepare<[number, number, number], { id: number }>('SELECT id, command, pid, host, started_at, finished_at, outcome, counts FROM runs WHERE id > ? AND id <> ? ORDER BY id LIMIT ?').all(a?.id ?? 0, skipRun, n))) {
      yield { table: 'runs', rows: rows as never };
    }
    for (const rows of pages<{ address: string }>((a) => this.db.prepare<[string, number], { address: string }>('SELECT address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at, run_id FROM resources WHERE address > ? ORDER BY address LIMIT ?').all(a?.address ?? '', n))) {
      yield { table: 'resources', rows: rows as never };
    }
    for (const rows of pages<{ address: string }>((a) => this.db.prepare<[string, number], { address: string }>('SELECT address, where_, reasons, run_id, updated_at FROM invalid WHERE address > ? ORDER BY address LIMIT ?').all(a?.address ?? '', n))) {
      yield { table: 'invalid', rows: rows as never };
    }
    const identities = this.db.prepare('SELECT kind, key, value, updated_at FROM identities ORDER BY kind, key').all();
    if (identities.length > 0) yield { table: 'identities', rows: identities as never };
    const streams = this.db.prepare<[], { complete: number }>('SELECT stream, cursor, complete, records, deleted, next_ord, seq, pulled_at FROM snapshot_streams ORDER BY stream').all();
    if (streams.length > 0) yield { table: 'snapshot_streams', rows: streams.map((r) => ({ ...r, complete: r.complete === 1 })) as never };
    for (const rows of pages<{ stream: string; ord: number; deleted: number | boolean }>((a) =>
      this.db
        .prepare<[string, string, number, number], { stream: string; ord: number; deleted: number }>(
          'SELECT stream, id, ord, seq, deleted, data FROM snapshot_records WHERE stream > ? OR (stream = ? AND ord > ?) ORDER BY stream, ord LIMIT ?',
        )
        .all(a?.stream ?? '', a?.stream ?? '', a?.ord ?? 0, n),
    )) {
      yield { table: 'snapshot_records', rows: rows.map((r) => ({ ...r, deleted: r.deleted === 1 || r.deleted === true })) as never };
    }
  }

  async importState(meta: TransferMeta, chunks: AsyncIterable<TransferChunk>, keepRun: number): Promise<Record<TransferTable, number>> {
    // better-sqlite3 transactions cannot span an await: BEGIN and COMMIT by hand, nothing else writes meanwhile (we hold the lock).
    const counts = emptyCounts();
    const runIds = new Map<number, number>();
    const mapRun = (id: number | null) => (id === null ? null : (runIds.get(id) ?? null));
    this.db.exec('BEGIN IMMEDIATE');
    try {
      this.db.prepare('DELETE FROM resources').run();
      this.db.prepare('DELETE FROM invalid').run();
      this.db.prepare('DELETE FROM identities').run();
      this.db.prepare('DELETE FROM snapshot_records').run();
      this.db.prepare('DELETE FROM snapshot_streams').run();
      this.db.prepare('DELETE FROM runs WHERE id <> ?').run(keepRun);
      const put = {
        runs: this.db.prepare('INSERT INTO runs (command, pid, host, started_at, finished_at, outcome, counts) VALUES (@command, @pid, @host, @started_at, @finished_at, @outcome, @counts)'),
        resources: this.db.prepare(
          'INSERT INTO resources (address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at, run_id) VALUES (@address, @kind, @parent, @external_id, @target_id, @input_hash, @applied, @status, @result, @last_error, @attempts, @created_at, @updated_at, @run_id)',
        ),
        invalid: this.db.prepare('INSERT INTO invalid (address, where_, reasons, run_id, updated_at) VALUES (@address, @where_, @reasons, @run_id, @updated_at)'),
        identities: this.db.prepare('INSERT INTO identities (kind, key, value, updated_at) VALUES (@kind, @key, @value, @updated_at)'),
        snapshot_streams: this.db.prepare(
          'INSERT INTO snapshot_streams (stream, cursor, complete, records, deleted, next_ord, seq, pulled_at) VALUES (@stream, @cursor, @complete, @records, @deleted, @next_ord, @seq, @pulled_at)',
        ),
        snapshot_records: this.db.prepare('INSERT INTO snapshot_records (stream, id, ord, seq, deleted, data) VALUES (@stream, @id, @ord, @seq, @deleted, @data)'),
      };
      for await (const c of chunks) {
        counts[c.table] += c.rows.length;
        switch (c.table) {
          case 'runs':
            for (const r of c.rows) runIds.set(r.id, Number(put.runs.run(r).lastInsertRowid));
            break;
          case 'resources':
            for (const r of c.rows) put.resources.run({ ...r, run_id: mapRun(r.run_id) });
            break;
          case 'invalid':
            for (const r of c.rows) put.invalid.run({ ...r, run_id: mapRun(r.run_id) ?? keepRun });
            break;
          case 'identities':
            for (const r of c.rows) put.identities.run(r);
            break;
          case 'snapshot_streams':
            for (const r of c.rows) put.snapshot_streams.run({ ...r, complete: r.complete ? 1 : 0 });
            break;
          case 'snapshot_records':
            for (const r of c.rows) put.snapshot_records.run({ ...r, deleted: r.deleted ? 1 : 0 });
            break;
        }
      }
      this.stmts.metaSet.run('lineage', meta.lineage);
      this.stmts.metaSet.run('serial', String(meta.serial));
      this.stmts.metaSet.run('snapshot_seq', String(meta.snapshotSeq));
      this.db.exec('COMMIT');
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    }
    return counts;
  }

  async identity(kind: string, key: string): Promise<string | undefined> {
    return this.db.prepare<[string, string], { value: string }>('SELECT value FROM identities WHERE kind = ? AND key = ?').get(kind, key)?.value;
  }

  async rememberIdentity(kind: string, key: string, value: string): Promise<void> {
    this.db
      .prepare('INSERT INTO identities (kind, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(kind, key, value, new Date().toISOString());
  }

  async runs(limit = 20): Promise<RunSummary[]> {
    return this.db
      .prepare<[number], { id: number; command: string; started_at: string; finished_at: string | null; outcome: string | null; counts: string | null }>(
        'SELECT id, command, started_at, finished_at, outcome, counts FROM runs ORDER BY id DESC LIMIT ?',
      )
      .all(limit)
      .map((r) => ({
        id: r.id,
        command: r.command,
        startedAt: r.started_at,
        finishedAt: r.finished_at,
        outcome: r.outcome,
        counts: r.counts ? (JSON.parse(r.counts) as Record<string, number>) : null,
      }));
  }

  async close(): Promise<void> {
    this.closeNow();
  }

  /** Close at once (the file is closed before the call returns). */
  closeNow(): void {
    if (this.db.open) this.db.close();
  }
}
