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
import { SqliteSnapshotStore } from './sqlite-snapshot.js';
import { migrate, SCHEMA_VERSION } from './migrations.js';
import {
  RESOURCE_KINDS,
  type ApplyOutcome,
  type InvalidRow,
  type LockHolder,
  type RecordedError,
  type ResourceKind,
  type ResourceRow,
  type ResourceStatus,
  type RunSummary,
  type StateMeta,
  type StateStore,
  type TargetResult,
} from './types.js';

interface RawRow {
  address: string;
  kind: ResourceKind;
  parent: string | null;
  external_id: string;
  target_id: string | null;
  input_hash: string | null;
  applied: string | null;
  status: ResourceStatus;
  result: TargetResult | null;
  last_error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

function toRow(r: RawRow): ResourceRow {
  return {
    address: r.address,
    kind: r.kind,
    parent: r.parent,
    externalId: r.external_id,
    targetId: r.target_id,
    inputHash: r.input_hash,
    applied: r.applied ? (JSON.parse(r.applied) as unknown) : null,
    status: r.status,
    result: r.result,
    lastError: r.last_error ? (JSON.parse(r.last_error) as RecordedError) : null,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** Translate an address pattern into a SQL LIKE prefix when it has one, to avoid scanning the table. */
function likePrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  const prefix = star === -1 ? pattern : pattern.slice(0, star);
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}

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

export class SqliteStateStore implements StateStore {
  readonly path: string;
  readonly snapshot: SqliteSnapshotStore;
  private readonly db: Database.Database;
  private readonly stmts;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.snapshot = new SqliteSnapshotStore(db);
    this.stmts = {
      get: db.prepare<[string], RawRow>('SELECT * FROM resources WHERE address = ?'),
      children: db.prepare<[string], RawRow>('SELECT * FROM resources WHERE parent = ? ORDER BY created_at, address'),
      listLike: db.prepare<[string], RawRow>("SELECT * FROM resources WHERE address LIKE ? ESCAPE '\\' ORDER BY address"),
      page: db.prepare<[ResourceKind, string, number], RawRow>(
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

  meta(): StateMeta {
    const get = (k: string) => this.stmts.metaGet.get(k)?.value ?? '';
    return {
      lineage: get('lineage'),
      serial: Number(get('serial')),
      manifestName: get('manifest_name'),
      schemaVersion: SCHEMA_VERSION,
    };
  }

  get(address: string): ResourceRow | undefined {
    const r = this.stmts.get.get(address);
    return r ? toRow(r) : undefined;
  }

  children(parentAddress: string): ResourceRow[] {
    return this.stmts.children.all(parentAddress).map(toRow);
  }

  *list(pattern = '*'): IterableIterator<ResourceRow> {
    const match = addressMatcher(pattern);
    for (const r of this.stmts.listLike.iterate(likePrefix(pattern))) {
      if (match(r.address)) yield toRow(r);
    }
  }

  page(kind: ResourceKind, after: string, limit: number): ResourceRow[] {
    return this.stmts.page.all(kind, after, limit).map(toRow);
  }

  count(): Record<ResourceKind, Record<ResourceStatus, number>> {
    const out = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, { applied: 0, failed: 0 }])) as Record<ResourceKind, Record<ResourceStatus, number>>;
    for (const r of this.stmts.count.all()) out[r.kind][r.status] = r.n;
    return out;
  }

  record(outcomes: readonly ApplyOutcome[], runId: number): void {
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

  remove(pattern: string): number {
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

  recordInvalid(records: ReadonlyArray<{ address: string; where: string; reasons: readonly string[] }>, runId: number): void {
    if (records.length === 0) return;
    const now = new Date().toISOString();
    const put = this.db.prepare(
      'INSERT INTO invalid (address, where_, reasons, run_id, updated_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(address) DO UPDATE SET where_ = excluded.where_, reasons = excluded.reasons, run_id = excluded.run_id, updated_at = excluded.updated_at',
    );
    this.db.transaction(() => {
      for (const r of records) put.run(r.address, r.where, JSON.stringify(r.reasons), runId, now);
    })();
  }

  forgetInvalidNotSeenIn(runId: number): void {
    this.db.prepare('DELETE FROM invalid WHERE run_id <> ?').run(runId);
  }

  invalidRecords(pattern = '*'): InvalidRow[] {
    const match = addressMatcher(pattern);
    return this.db
      .prepare<[], { address: string; where_: string; reasons: string; run_id: number; updated_at: string }>('SELECT * FROM invalid ORDER BY address')
      .all()
      .filter((r) => match(r.address))
      .map((r) => ({ address: r.address, where: r.where_, reasons: JSON.parse(r.reasons) as string[], runId: r.run_id, updatedAt: r.updated_at }));
  }

  failures(pattern = '*'): ResourceRow[] {
    const match = addressMatcher(pattern);
    return this.db
      .prepare<[], RawRow>("SELECT * FROM resources WHERE status = 'failed' OR last_error IS NOT NULL ORDER BY address")
      .all()
      .filter((r) => match(r.address))
      .map(toRow);
  }

  acquireLock(command: string): { runId: number; tookOverFrom?: LockHolder } {
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

  releaseLock(runId: number, outcome: string, counts: Record<string, number>): void {
    this.db.transaction(() => {
      this.db
        .prepare('UPDATE runs SET finished_at = ?, outcome = ?, counts = ? WHERE id = ?')
        .run(new Date().toISOString(), outcome, JSON.stringify(counts), runId);
      const changed = this.db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM resources WHERE run_id = ?').get(runId);
      if (changed && changed.n > 0) {
        this.stmts.metaSet.run('serial', String(this.meta().serial + 1));
      }
      this.db.prepare('DELETE FROM lock WHERE id = 1 AND run_id = ?').run(runId);
    })();
  }

  /** The lock, if one is held. */
  lockHolder(): (LockHolder & { lockId: number }) | undefined {
    const held = this.db
      .prepare<[], { pid: number; host: string; started_at: string; command: string; run_id: number }>('SELECT * FROM lock WHERE id = 1')
      .get();
    return held ? { pid: held.pid, host: held.host, startedAt: held.started_at, command: held.command, lockId: held.run_id } : undefined;
  }

  /** `force-unlock LOCK_ID`: remove the lock if its ID is the one given (so a new run's lock is never removed by mistake). */
  forceUnlock(lockId: number): LockHolder & { lockId: number } {
    const held = this.lockHolder();
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
    return held;
  }

  identity(kind: string, key: string): string | undefined {
    return this.db.prepare<[string, string], { value: string }>('SELECT value FROM identities WHERE kind = ? AND key = ?').get(kind, key)?.value;
  }

  rememberIdentity(kind: string, key: string, value: string): void {
    this.db
      .prepare('INSERT INTO identities (kind, key, value, updated_at) VALUES (?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at')
      .run(kind, key, value, new Date().toISOString());
  }

  runs(limit = 20): RunSummary[] {
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

  close(): void {
    if (this.db.open) this.db.close();
  }
}
