/**
 * The shared state backend: PostgreSQL (`state.backend: postgres`), so that people and CI runners plan
 * and apply one migration from different machines. The same contract as the SQLite file (types.ts):
 * resources, runs, invalid records, identities, lineage/serial and the live sources' snapshot, in one
 * schema per database (tables in postgres-schema.ts) and one state per manifest name inside it.
 *
 * Durability: a result is in PostgreSQL before it is counted. `record` resolves after its COMMIT, with
 * synchronous_commit as the server has it (never turned off here). Results that arrive while a commit
 * is in flight are written together by the next one (group commit), so a state 2 ms away costs a
 * round trip per group, not per result.
 *
 * Locking (postgres-lock.ts): the run's writes go on the connection that holds the advisory lock.
 */
import pg from 'pg';
import { randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { PmError } from '../core/errors.js';
import { addressMatcher } from '../core/model.js';
import { advisoryKey } from './postgres-key.js';
import { likePrefix, toResourceRow, type RawResourceRow } from './rows.js';

const COLUMNS = 'address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at';
import { describePgUrl, hidePassword, pgConfig, pgOpenError } from './postgres-connect.js';
import { PgLockSession, type Heartbeat } from './postgres-lock.js';
import { ident, migratePg, PG_SCHEMA_VERSION } from './postgres-schema.js';
import { PgSnapshotStore, type Query } from './postgres-snapshot.js';
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

/** An outcome with the run it belongs to (a group commit may carry several calls). */
interface RunOutcome {
  readonly o: ApplyOutcome;
  readonly runId: number;
}

/** Consecutive slices without a repeated address (one INSERT … ON CONFLICT cannot touch a row twice). */
function withoutRepeats(outcomes: readonly RunOutcome[]): RunOutcome[][] {
  const out: RunOutcome[][] = [];
  let cur: RunOutcome[] = [];
  let seen = new Set<string>();
  for (const o of outcomes) {
    if (seen.has(o.o.address)) {
      out.push(cur);
      cur = [];
      seen = new Set();
    }
    seen.add(o.o.address);
    cur.push(o);
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

export interface PgOpenOptions {
  readonly url: string;
  readonly schema: string;
  readonly manifestName: string;
  /** Create the schema and the state when missing (apply, pull); plan creates nothing. */
  readonly create: boolean;
  /** How the lock's connection is watched when idle (default every 10 s, 30 s to answer; tests shorten it). */
  readonly heartbeat?: Heartbeat;
}

interface PendingRecord {
  readonly outcomes: readonly ApplyOutcome[];
  readonly runId: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

export class PgStateStore implements StateStore, TransferableState {
  readonly backend = 'postgres' as const;
  readonly path: string;
  readonly snapshot: PgSnapshotStore;
  private readonly s: string;
  private readonly lostController = new AbortController();
  private lock: PgLockSession | undefined;
  private pending: PendingRecord[] = [];
  private flushing = false;

  private constructor(
    private readonly pool: pg.Pool,
    private readonly o: PgOpenOptions,
    private id: number | undefined,
    readonly lockKey: string,
  ) {
    this.s = ident(o.schema);
    this.path = `${describePgUrl(o.url)} (schema ${o.schema}, migration ${o.manifestName})`;
    this.snapshot = new PgSnapshotStore({
      schema: this.s,
      stateId: async () => this.id,
      read: (text, values) => this.pool.query(text, values),
      writeTransaction: (fn) => this.writeTransaction(fn),
    });
  }

  /** Open the state; undefined when `create` is false and the database holds no state of this name yet. */
  static async open(o: PgOpenOptions): Promise<PgStateStore | undefined> {
    const pool = new pg.Pool({ ...pgConfig(o.url, `plain-migrate ${o.manifestName}`), max: 4, idleTimeoutMillis: 30_000 });
    // An idle connection that fails is replaced on the next query; the error must not crash the process.
    pool.on('error', () => undefined);
    try {
      const c = await pool.connect();
      let id: number | undefined;
      try {
        if (await migratePg(c, o.schema, o.create)) id = await PgStateStore.stateId(c, o);
      } finally {
        c.release();
      }
      if (id === undefined && !o.create) {
        await pool.end();
        return undefined;
      }
      return new PgStateStore(pool, o, id, advisoryKey('state', o.schema, o.manifestName));
    } catch (e) {
      await pool.end().catch(() => undefined);
      throw pgOpenError(e, o.url);
    }
  }

  private static async stateId(c: pg.PoolClient, o: PgOpenOptions): Promise<number | undefined> {
    const s = ident(o.schema);
    const found = await c.query<{ id: string }>(`SELECT id FROM ${s}.states WHERE name = $1`, [o.manifestName]);
    if (found.rows[0]) return Number(found.rows[0].id);
    if (!o.create) return undefined;
    await c.query(
      `INSERT INTO ${s}.states (name, lineage, serial, lock_key, created_at) VALUES ($1, $2, 0, $3::bigint, $4) ON CONFLICT (name) DO NOTHING`,
      [o.manifestName, randomUUID(), advisoryKey('state', o.schema, o.manifestName), new Date().toISOString()],
    );
    const again = await c.query<{ id: string }>(`SELECT id FROM ${s}.states WHERE name = $1`, [o.manifestName]);
    return Number(again.rows[0]!.id);
  }

  get lockLost(): AbortSignal {
    return this.lostController.signal;
  }

  private stateIdOrThrow(): number {
    if (this.id === undefined) throw new PmError('state.missing', `there is no state for ${this.o.manifestName} in ${this.path} yet`, { hint: 'run plain-migrate apply first' });
    return this.id;
  }

  private read<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>(text, values).catch((e: unknown) => {
      throw this.queryError(e);
    });
  }

  private queryError(e: unknown): Error {
    if (e instanceof PmError) return e;
    const msg = hidePassword((e as Error)?.message ?? String(e), this.o.url);
    return new PmError('state.query-failed', `the state database ${describePgUrl(this.o.url)} failed: ${msg}`, {
      hint: 'check that the database is up and reachable; the run can be started again: it resumes from what was recorded',
    });
  }

  /** One statement, atomic by itself, where writeTransaction would run it: one round trip. */
  private async writeStatement<T>(fn: (q: Query, stateId: number) => Promise<T>): Promise<T> {
    const id = this.stateIdOrThrow();
    const lock = this.lock;
    if (lock) {
      if (lock.lost.aborted) throw lock.lost.reason as Error;
      return fn((text, values) => lock.query(text, values), id).catch((e: unknown) => {
        throw lock.lost.aborted ? (lock.lost.reason as Error) : this.queryError(e);
      });
    }
    return fn((text, values) => this.pool.query(text, values), id).catch((e: unknown) => {
      throw this.queryError(e);
    });
  }

  /** Writes of a run go where its lock is (so none lands after the lock was lost); without a lock, on the pool. */
  private async writeTransaction<T>(fn: (q: Query, stateId: number) => Promise<T>): Promise<T> {
    const id = this.stateIdOrThrow();
    if (this.lock) {
      if (this.lock.lost.aborted) throw this.lock.lost.reason as Error;
      return this.lock.transaction((q) => fn(q, id)).catch((e: unknown) => {
        throw this.lock?.lost.aborted ? (this.lock.lost.reason as Error) : this.queryError(e);
      });
    }
    const c = await this.pool.connect().catch((e: unknown) => {
      throw this.queryError(e);
    });
    try {
      await c.query('BEGIN');
      const out = await fn((text, values) => c.query(text, values), id);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw this.queryError(e);
    } finally {
      c.release();
    }
  }

  async meta(): Promise<StateMeta> {
    if (this.id === undefined) return { lineage: '', serial: 0, manifestName: this.o.manifestName, schemaVersion: PG_SCHEMA_VERSION };
    const r = await this.read<{ lineage: string; serial: string; name: string }>(`SELECT lineage, serial, name FROM ${this.s}.states WHERE id = $1`, [this.id]);
    const m = r.rows[0]!;
    return { lineage: m.lineage, serial: Number(m.serial), manifestName: m.name, schemaVersion: PG_SCHEMA_VERSION };
  }

  async get(address: string): Promise<ResourceRow | undefined> {
    if (this.id === undefined) return undefined;
    const r = await this.read<RawResourceRow>(`SELECT ${COLUMNS} FROM ${this.s}.resources WHERE state_id = $1 AND address = $2`, [this.id, address]);
    return r.rows[0] ? toResourceRow(r.rows[0]) : undefined;
  }

  async children(parentAddress: string): Promise<ResourceRow[]> {
    if (this.id === undefined) return [];
    const r = await this.read<RawResourceRow>(`SELECT ${COLUMNS} FROM ${this.s}.resources WHERE state_id = $1 AND parent = $2 ORDER BY created_at, address`, [this.id, parentAddress]);
    return r.rows.map(toResourceRow);
  }
  async childrenSummary(parentAddress: string): Promise<ChildrenSummary> {
    if (this.id === undefined) return { count: 0, applied: 0, latestUpdatedAt: '' };
    const r = await this.read<{ n: string; applied: string; latest: string | null }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE status = 'applied') AS applied, max(updated_at COLLATE "C") AS latest FROM ${this.s}.resources WHERE state_id = $1 AND parent = $2`,
      [this.id, parentAddress],
    );
    const row = r.rows[0]!;
    return { count: Number(row.n), applied: Number(row.applied), latestUpdatedAt: row.latest ?? '' };
  }

  async *list(pattern = '*'): AsyncIterableIterator<ResourceRow> {
    if (this.id === undefined) return;
    const match = addressMatcher(pattern);
    const like = likePrefix(pattern);
    let after = '';
    for (;;) {
      const r = await this.read<RawResourceRow>(
        `SELECT ${COLUMNS} FROM ${this.s}.resources WHERE state_id = $1 AND address LIKE $2 AND address > $3 ORDER BY address LIMIT 500`,
        [this.id, like, after],
      );
      for (const row of r.rows) if (match(row.address)) yield toResourceRow(row);
      if (r.rows.length < 500) return;
      after = r.rows[r.rows.length - 1]!.address;
    }
  }

  async page(kind: ResourceKind, after: string, limit: number): Promise<ResourceRow[]> {
    if (this.id === undefined) return [];
    const r = await this.read<RawResourceRow>(`SELECT ${COLUMNS} FROM ${this.s}.resources WHERE state_id = $1 AND kind = $2 AND address > $3 ORDER BY address LIMIT $4`, [
      this.id,
      kind,
      after,
      limit,
    ]);
    return r.rows.map(toResourceRow);
  }

  async count(): Promise<Record<ResourceKind, Record<ResourceStatus, number>>> {
    const out = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, { applied: 0, failed: 0 }])) as Record<ResourceKind, Record<ResourceStatus, number>>;
    if (this.id === undefined) return out;
    const r = await this.read<{ kind: ResourceKind; status: ResourceStatus; n: string }>(
      `SELECT kind, status, count(*) AS n FROM ${this.s}.resources WHERE state_id = $1 GROUP BY kind, status`,
      [this.id],
    );
    for (const row of r.rows) out[row.kind][row.status] = Number(row.n);
    return out;
  }

  /** Durable when it resolves. Calls made while a commit is in flight are written together by the next one. */
  record(outcomes: readonly ApplyOutcome[], runId: number): Promise<void> {
    if (outcomes.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ outcomes, runId, resolve, reject });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length > 0) {
        const group = this.pending.splice(0);
        const slices = withoutRepeats(group.flatMap((g) => g.outcomes.map((o) => ({ o, runId: g.runId }))));
        try {
          // One statement is atomic by itself: one round trip. Repeated addresses need one statement each, in a transaction.
          if (slices.length === 1) await this.writeStatement((q, stateId) => this.upsert(q, stateId, slices[0]!));
          else {
            await this.writeTransaction(async (q, stateId) => {
              for (const slice of slices) await this.upsert(q, stateId, slice);
            });
          }
          for (const g of group) g.resolve();
        } catch (e) {
          for (const g of group) g.reject(e);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  private async upsert(q: Query, stateId: number, rows: readonly RunOutcome[]): Promise<void> {
    const now = new Date().toISOString();
    const col = <T>(f: (o: ApplyOutcome) => T) => rows.map((r) => f(r.o));
    await q(
      `INSERT INTO ${this.s}.resources AS r (state_id, address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at, run_id)
       SELECT $1, u.address, u.kind, u.parent, u.external_id, u.target_id, u.input_hash, u.applied,
              CASE WHEN u.ok THEN 'applied' ELSE 'failed' END, u.result, u.last_error, u.attempts, $2, $2, u.run_id
       FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::boolean[], $12::text[], $13::text[], $14::integer[])
         AS u(run_id, address, kind, parent, external_id, target_id, input_hash, applied, ok, result, last_error, attempts)
       ON CONFLICT (state_id, address) DO UPDATE SET
         target_id  = CASE WHEN excluded.status = 'applied' THEN excluded.target_id ELSE r.target_id END,
         input_hash = CASE WHEN excluded.status = 'applied' THEN excluded.input_hash ELSE r.input_hash END,
         applied    = CASE WHEN excluded.status = 'applied' THEN coalesce(excluded.applied, r.applied) ELSE r.applied END,
         result     = CASE WHEN excluded.status = 'applied' THEN excluded.result ELSE r.result END,
         status     = CASE WHEN excluded.status = 'applied' OR r.status = 'applied' THEN 'applied' ELSE 'failed' END,
         last_error = excluded.last_error,
         attempts   = r.attempts + excluded.attempts,
         updated_at = excluded.updated_at,
         run_id     = excluded.run_id`,
      [
        stateId,
        now,
        rows.map((r) => r.runId),
        col((o) => o.address),
        col((o) => o.kind),
        col((o) => o.parent ?? null),
        col((o) => o.externalId),
        col((o) => (o.error ? null : (o.targetId ?? null))),
        col((o) => o.inputHash),
        col((o) => (o.error || o.applied === undefined ? null : JSON.stringify(o.applied))),
        col((o) => !o.error),
        col((o) => (o.error ? null : (o.result ?? null))),
        col((o) => (o.error ? JSON.stringify(o.error) : null)),
        col((o) => o.attempts),
      ],
    );
  }

  async remove(pattern: string): Promise<number> {
    const match = addressMatcher(pattern);
    return this.writeTransaction(async (q, id) => {
      const rows = await q<{ address: string; kind: ResourceKind }>(`SELECT address, kind FROM ${this.s}.resources WHERE state_id = $1 AND address LIKE $2`, [id, likePrefix(pattern)]);
      const hit = rows.rows.filter((r) => match(r.address));
      if (hit.length === 0) return 0;
      const addresses = hit.map((r) => r.address);
      // A thread's messages go with it: they are imported again with the thread.
      const threads = hit.filter((r) => r.kind === 'thread').map((r) => r.address);
      const del = await q(`DELETE FROM ${this.s}.resources WHERE state_id = $1 AND (address = ANY($2::text[]) OR parent = ANY($3::text[]))`, [id, addresses, threads]);
      return del.rowCount ?? 0;
    });
  }

  async recordInvalid(records: ReadonlyArray<{ address: string; where: string; reasons: readonly string[] }>, runId: number): Promise<void> {
    if (records.length === 0) return;
    const last = new Map(records.map((r) => [r.address, r]));
    const rows = [...last.values()];
    await this.writeStatement((q, id) =>
      q(
        `INSERT INTO ${this.s}.invalid (state_id, address, where_, reasons, run_id, updated_at)
         SELECT $1, u.address, u.where_, u.reasons, $2, $3 FROM unnest($4::text[], $5::text[], $6::text[]) AS u(address, where_, reasons)
         ON CONFLICT (state_id, address) DO UPDATE SET where_ = excluded.where_, reasons = excluded.reasons, run_id = excluded.run_id, updated_at = excluded.updated_at`,
        [id, runId, new Date().toISOString(), rows.map((r) => r.address), rows.map((r) => r.where), rows.map((r) => JSON.stringify(r.reasons))],
      ),
    );
  }

  async forgetInvalidNotSeenIn(runId: number): Promise<void> {
    await this.writeStatement((q, id) => q(`DELETE FROM ${this.s}.invalid WHERE state_id = $1 AND run_id <> $2`, [id, runId]));
  }

  async invalidRecords(pattern = '*'): Promise<InvalidRow[]> {
    if (this.id === undefined) return [];
    const match = addressMatcher(pattern);
    const r = await this.read<{ address: string; where_: string; reasons: string; run_id: string; updated_at: string }>(
      `SELECT address, where_, reasons, run_id, updated_at FROM ${this.s}.invalid WHERE state_id = $1 AND address LIKE $2 ORDER BY address`,
      [this.id, likePrefix(pattern)],
    );
    return r.rows
      .filter((x) => match(x.address))
      .map((x) => ({ address: x.address, where: x.where_, reasons: JSON.parse(x.reasons) as string[], runId: Number(x.run_id), updatedAt: x.updated_at }));
  }

  async failures(pattern = '*'): Promise<ResourceRow[]> {
    if (this.id === undefined) return [];
    const match = addressMatcher(pattern);
    const r = await this.read<RawResourceRow>(
      `SELECT ${COLUMNS} FROM ${this.s}.resources WHERE state_id = $1 AND (status = 'failed' OR last_error IS NOT NULL) AND address LIKE $2 ORDER BY address`,
      [this.id, likePrefix(pattern)],
    );
    return r.rows.filter((x) => match(x.address)).map(toResourceRow);
  }

  async acquireLock(command: string): Promise<{ runId: number; tookOverFrom?: LockHolder }> {
    const id = this.stateIdOrThrow();
    if (this.lock) throw new PmError('state.locked', `this process already holds the lock of ${this.path}`);
    let session: PgLockSession | undefined;
    try {
      session = await PgLockSession.take(pgConfig(this.o.url, `plain-migrate ${command}`), this.lockKey, describePgUrl(this.o.url), this.o.heartbeat);
    } catch (e) {
      throw pgOpenError(e, this.o.url);
    }
    if (!session) throw await this.lockedError();
    const host = hostname();
    const who = `${safeUser()}@${host}`;
    const startedAt = new Date().toISOString();
    try {
      const out = await session.transaction(async (q) => {
        // Holding the advisory lock, any lock row left is a dead holder's: its session ended.
        const held = await q<{ run_id: string; pid: number; host: string; who: string; command: string; started_at: string }>(
          `SELECT run_id, pid, host, who, command, started_at FROM ${this.s}.locks WHERE state_id = $1`,
          [id],
        );
        let tookOverFrom: LockHolder | undefined;
        const h = held.rows[0];
        if (h) {
          tookOverFrom = { pid: h.pid, host: h.host, who: h.who, command: h.command, startedAt: h.started_at };
          await q(`UPDATE ${this.s}.runs SET finished_at = $2, outcome = 'crashed' WHERE id = $1 AND finished_at IS NULL`, [h.run_id, startedAt]);
          await q(`DELETE FROM ${this.s}.locks WHERE state_id = $1`, [id]);
        }
        const run = await q<{ id: string }>(`INSERT INTO ${this.s}.runs (state_id, command, pid, host, who, started_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, [
          id,
          command,
          process.pid,
          host,
          who,
          startedAt,
        ]);
        const runId = Number(run.rows[0]!.id);
        await q(
          `INSERT INTO ${this.s}.locks (state_id, run_id, pid, host, who, command, started_at, backend_pid) VALUES ($1, $2, $3, $4, $5, $6, $7, pg_backend_pid())`,
          [id, runId, process.pid, host, who, command, startedAt],
        );
        return { runId, tookOverFrom };
      });
      this.lock = session;
      session.lost.addEventListener('abort', () => this.lostController.abort(session!.lost.reason), { once: true });
      return out;
    } catch (e) {
      await session.release();
      throw e instanceof PmError ? e : pgOpenError(e, this.o.url);
    }
  }

  /** Who holds the lock, from its row and PostgreSQL's own view of the advisory lock. */
  private async lockedError(): Promise<PmError> {
    const h = await this.lockHolder();
    if (h) {
      return new PmError(
        'state.locked',
        `the state ${this.path} is locked by '${h.command}' (lock ID ${h.lockId}: ${h.who ?? h.host}, pid ${h.pid} on ${h.host}, since ${h.startedAt})`,
        {
          hint: `wait for that run to finish. If it is gone, its lock is freed as soon as PostgreSQL notices its connection is closed; if it hangs: plain-migrate force-unlock ${h.lockId}`,
        },
      );
    }
    return new PmError('state.locked', `the state ${this.path} is locked by another session that has not recorded itself yet`, { hint: 'try again in a moment' });
  }

  /** The advisory lock's holder as PostgreSQL sees it (backend pid), or undefined when nobody holds it. */
  private async lockBackend(): Promise<number | undefined> {
    const r = await this.read<{ pid: number }>(
      `SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
         AND ((l.classid::bigint << 32) | l.objid::bigint) = $1::bigint`,
      [this.lockKey],
    );
    return r.rows[0]?.pid;
  }

  async lockHolder(): Promise<LockInfo | undefined> {
    if (this.id === undefined) return undefined;
    const r = await this.read<{ run_id: string; pid: number; host: string; who: string; command: string; started_at: string; backend_pid: number }>(
      `SELECT run_id, pid, host, who, command, started_at, backend_pid FROM ${this.s}.locks WHERE state_id = $1`,
      [this.id],
    );
    const h = r.rows[0];
    if (!h) return undefined;
    // A row whose session is gone is not a lock: the next run takes over.
    const backend = await this.lockBackend();
    if (backend === undefined) return undefined;
    return { lockId: Number(h.run_id), pid: h.pid, host: h.host, who: h.who, command: h.command, startedAt: h.started_at };
  }

  async forceUnlock(lockId: number): Promise<{ holder: LockInfo; did: string }> {
    const id = this.stateIdOrThrow();
    const r = await this.read<{ run_id: string; pid: number; host: string; who: string; command: string; started_at: string; backend_pid: number }>(
      `SELECT run_id, pid, host, who, command, started_at, backend_pid FROM ${this.s}.locks WHERE state_id = $1`,
      [id],
    );
    const h = r.rows[0];
    const backend = await this.lockBackend();
    if (!h) {
      if (backend === undefined) throw new PmError('state.not-locked', `the state ${this.path} is not locked`);
      throw new PmError('state.lock-id-mismatch', `the state is locked by database session ${backend}, which has not recorded a lock ID`, { hint: 'try again in a moment' });
    }
    const holder: LockInfo = { lockId: Number(h.run_id), pid: h.pid, host: h.host, who: h.who, command: h.command, startedAt: h.started_at };
    if (holder.lockId !== lockId) {
      throw new PmError('state.lock-id-mismatch', `the state is locked with lock ID ${holder.lockId}, not ${lockId}`, {
        hint: `check that run (${holder.who ?? holder.host}, pid ${holder.pid}, since ${holder.startedAt}) is gone or hung, then: plain-migrate force-unlock ${holder.lockId}`,
      });
    }
    let did: string;
    if (backend === undefined) {
      did = `the holder's database session was already gone (the lock was free); removed its lock record`;
    } else {
      try {
        await this.read('SELECT pg_terminate_backend($1)', [backend]);
      } catch (e) {
        throw new PmError('state.force-unlock-failed', `could not end the holder's database session ${backend}: ${(e as Error).message}`, {
          hint: 'ending another session needs the same database role as the holder, membership in pg_signal_backend, or a superuser',
        });
      }
      // The server frees the lock as the session ends.
      const deadline = Date.now() + 10_000;
      while ((await this.lockBackend()) !== undefined) {
        if (Date.now() > deadline) throw new PmError('state.force-unlock-failed', `the holder's database session ${backend} was told to end but still holds the lock`, { hint: 'try again in a moment' });
        await new Promise((res) => setTimeout(res, 100));
      }
      did = `ended the holder's database session (backend pid ${backend}), which freed its lock; that run stops before sending anything more`;
    }
    await this.writeTransaction(async (q) => {
      await q(`DELETE FROM ${this.s}.locks WHERE state_id = $1 AND run_id = $2`, [id, lockId]);
      await q(`UPDATE ${this.s}.runs SET finished_at = $2, outcome = 'force-unlocked' WHERE id = $1 AND finished_at IS NULL`, [lockId, new Date().toISOString()]);
    });
    return { holder, did };
  }

  async releaseLock(runId: number, outcome: string, counts: Record<string, number>): Promise<void> {
    const id = this.stateIdOrThrow();
    const lock = this.lock;
    this.lock = undefined;
    const finish = async (q: Query) => {
      await q(`UPDATE ${this.s}.runs SET finished_at = $2, outcome = $3, counts = $4 WHERE id = $1`, [runId, new Date().toISOString(), outcome, JSON.stringify(counts)]);
      const changed = await q<{ n: number }>(`SELECT count(*)::int AS n FROM ${this.s}.resources WHERE state_id = $1 AND run_id = $2`, [id, runId]);
      if (changed.rows[0]!.n > 0) await q(`UPDATE ${this.s}.states SET serial = serial + 1 WHERE id = $1`, [id]);
      await q(`DELETE FROM ${this.s}.locks WHERE state_id = $1 AND run_id = $2`, [id, runId]);
    };
    try {
      if (lock && !lock.lost.aborted) await lock.transaction(finish);
      else {
        // The lock went with its connection: record how the run ended without touching another holder's lock.
        const c = await this.pool.connect();
        try {
          await c.query('BEGIN');
          await finish((text, values) => c.query(text, values));
          await c.query('COMMIT');
        } catch (e) {
          await c.query('ROLLBACK').catch(() => undefined);
          throw e;
        } finally {
          c.release();
        }
      }
    } catch (e) {
      throw this.queryError(e);
    } finally {
      await lock?.release();
    }
  }

  async runs(limit = 20): Promise<RunSummary[]> {
    if (this.id === undefined) return [];
    const r = await this.read<{ id: string; command: string; started_at: string; finished_at: string | null; outcome: string | null; counts: string | null }>(
      `SELECT id, command, started_at, finished_at, outcome, counts FROM ${this.s}.runs WHERE state_id = $1 ORDER BY id DESC LIMIT $2`,
      [this.id, limit],
    );
    return r.rows.map((x) => ({
      id: Number(x.id),
      command: x.command,
      startedAt: x.started_at,
      finishedAt: x.finished_at,
      outcome: x.outcome,
      counts: x.counts ? (JSON.parse(x.counts) as Record<string, number>) : null,
    }));
  }

  async transferMeta(): Promise<TransferMeta> {
    const id = this.stateIdOrThrow();
    const r = await this.read<{ lineage: string; serial: string; snapshot_seq: string }>(`SELECT lineage, serial, snapshot_seq FROM ${this.s}.states WHERE id = $1`, [id]);
    return { lineage: r.rows[0]!.lineage, serial: Number(r.rows[0]!.serial), snapshotSeq: Number(r.rows[0]!.snapshot_seq) };
  }

  async isEmpty(exceptRun = -1): Promise<boolean> {
    if (this.id === undefined) return true;
    const r = await this.read<{ n: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM ${this.s}.resources WHERE state_id = $1) OR EXISTS (SELECT 1 FROM ${this.s}.snapshot_records WHERE state_id = $1)
         OR EXISTS (SELECT 1 FROM ${this.s}.runs WHERE state_id = $1 AND id <> $2) AS n`,
      [this.id, exceptRun],
    );
    return !r.rows[0]!.n;
  }

  async *exportState(skipRun = -1): AsyncGenerator<TransferChunk> {
    const id = this.stateIdOrThrow();
    const s = this.s;
    const n = TRANSFER_PAGE;
    const num = (v: unknown) => (v === null ? null : Number(v));
    let after: unknown[] = [0];
    for (;;) {
      const r = await this.read(`SELECT id, command, pid, host, started_at, finished_at, outcome, counts FROM ${s}.runs WHERE state_id = $1 AND id > $2 AND id <> $3 ORDER BY id LIMIT $4`, [id, after[0], skipRun, n]);
      if (r.rows.length > 0) yield { table: 'runs', rows: r.rows.map((x) => ({ ...x, id: Number(x['id']) })) as never };
      if (r.rows.length < n) break;
      after = [r.rows[r.rows.length - 1]!['id']];
    }
    for (const table of ['resources', 'invalid'] as const) {
      const cols = table === 'resources' ? `${COLUMNS}, run_id` : 'address, where_, reasons, run_id, updated_at';
      let a = '';
      for (;;) {
        const r = await this.read(`SELECT ${cols} FROM ${s}.${table} WHERE state_id = $1 AND address > $2 ORDER BY address LIMIT $3`, [id, a, n]);
        if (r.rows.length > 0) yield { table, rows: r.rows.map((x) => ({ ...x, run_id: num(x['run_id']) })) as never };
        if (r.rows.length < n) break;
        a = r.rows[r.rows.length - 1]!['address'] as string;
      }
    }
    const ids = await this.read(`SELECT kind, key, value, updated_at FROM ${s}.identities WHERE state_id = $1 ORDER BY kind, key`, [id]);
    if (ids.rows.length > 0) yield { table: 'identities', rows: ids.rows as never };
    const streams = await this.read(`SELECT stream, cursor, complete, records, deleted, next_ord, seq, pulled_at FROM ${s}.snapshot_streams WHERE state_id = $1 ORDER BY stream`, [id]);
    if (streams.rows.length > 0) {
      yield { table: 'snapshot_streams', rows: streams.rows.map((x) => ({ ...x, records: Number(x['records']), deleted: Number(x['deleted']), next_ord: Number(x['next_ord']), seq: Number(x['seq']) })) as never };
    }
    let at: [string, number] = ['', 0];
    for (;;) {
      const r = await this.read(
        `SELECT stream, id, ord, seq, deleted, data FROM ${s}.snapshot_records WHERE state_id = $1 AND (stream, ord) > ($2::text COLLATE "C", $3::bigint) ORDER BY stream, ord LIMIT $4`,
        [id, at[0], at[1], n],
      );
      if (r.rows.length > 0) yield { table: 'snapshot_records', rows: r.rows.map((x) => ({ ...x, ord: Number(x['ord']), seq: Number(x['seq']) })) as never };
      if (r.rows.length < n) break;
      const last = r.rows[r.rows.length - 1]!;
      at = [last['stream'] as string, Number(last['ord'])];
    }
  }

  async importState(meta: TransferMeta, chunks: AsyncIterable<TransferChunk>, keepRun: number): Promise<Record<TransferTable, number>> {
    const s = this.s;
    const counts = emptyCounts();
    return this.writeTransaction(async (q, id) => {
      for (const t of ['resources', 'invalid', 'identities', 'snapshot_records', 'snapshot_streams']) await q(`DELETE FROM ${s}.${t} WHERE state_id = $1`, [id]);
      await q(`DELETE FROM ${s}.runs WHERE state_id = $1 AND id <> $2`, [id, keepRun]);
      const runIds = new Map<number, number>();
      const mapRun = (r: number | null) => (r === null ? null : (runIds.get(r) ?? null));
      for await (const c of chunks) {
        counts[c.table] += c.rows.length;
        const col = <T, V>(rows: readonly T[], f: (r: T) => V) => rows.map(f);
        switch (c.table) {
          case 'runs':
            // One at a time: the new ids are needed in order (runs are few).
            for (const r of c.rows) {
              const got = await q<{ id: string }>(
                `INSERT INTO ${s}.runs (state_id, command, pid, host, started_at, finished_at, outcome, counts) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
                [id, r.command, r.pid, r.host, r.started_at, r.finished_at, r.outcome, r.counts],
              );
              runIds.set(r.id, Number(got.rows[0]!.id));
            }
            break;
          case 'resources': {
            const rows = c.rows;
            await q(
              `INSERT INTO ${s}.resources (state_id, address, kind, parent, external_id, target_id, input_hash, applied, status, result, last_error, attempts, created_at, updated_at, run_id)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::integer[], $13::text[], $14::text[], $15::bigint[])`,
              [
                id,
                col(rows, (r) => r.address),
                col(rows, (r) => r.kind),
                col(rows, (r) => r.parent),
                col(rows, (r) => r.external_id),
                col(rows, (r) => r.target_id),
                col(rows, (r) => r.input_hash),
                col(rows, (r) => r.applied),
                col(rows, (r) => r.status),
                col(rows, (r) => r.result),
                col(rows, (r) => r.last_error),
                col(rows, (r) => r.attempts),
                col(rows, (r) => r.created_at),
                col(rows, (r) => r.updated_at),
                col(rows, (r) => mapRun(r.run_id)),
              ],
            );
            break;
          }
          case 'invalid':
            await q(`INSERT INTO ${s}.invalid (state_id, address, where_, reasons, run_id, updated_at) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[])`, [
              id,
              col(c.rows, (r) => r.address),
              col(c.rows, (r) => r.where_),
              col(c.rows, (r) => r.reasons),
              col(c.rows, (r) => mapRun(r.run_id) ?? keepRun),
              col(c.rows, (r) => r.updated_at),
            ]);
            break;
          case 'identities':
            await q(`INSERT INTO ${s}.identities (state_id, kind, key, value, updated_at) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])`, [
              id,
              col(c.rows, (r) => r.kind),
              col(c.rows, (r) => r.key),
              col(c.rows, (r) => r.value),
              col(c.rows, (r) => r.updated_at),
            ]);
            break;
          case 'snapshot_streams':
            await q(
              `INSERT INTO ${s}.snapshot_streams (state_id, stream, cursor, complete, records, deleted, next_ord, seq, pulled_at)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::boolean[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::text[])`,
              [
                id,
                col(c.rows, (r) => r.stream),
                col(c.rows, (r) => r.cursor),
                col(c.rows, (r) => r.complete),
                col(c.rows, (r) => r.records),
                col(c.rows, (r) => r.deleted),
                col(c.rows, (r) => r.next_ord),
                col(c.rows, (r) => r.seq),
                col(c.rows, (r) => r.pulled_at),
              ],
            );
            break;
          case 'snapshot_records':
            await q(`INSERT INTO ${s}.snapshot_records (state_id, stream, id, ord, seq, deleted, data) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::boolean[], $7::text[])`, [
              id,
              col(c.rows, (r) => r.stream),
              col(c.rows, (r) => r.id),
              col(c.rows, (r) => r.ord),
              col(c.rows, (r) => r.seq),
              col(c.rows, (r) => r.deleted),
              col(c.rows, (r) => r.data),
            ]);
            break;
        }
      }
      await q(`UPDATE ${s}.states SET lineage = $2, serial = $3, snapshot_seq = $4 WHERE id = $1`, [id, meta.lineage, meta.serial, meta.snapshotSeq]);
      return counts;
    });
  }

  async identity(kind: string, key: string): Promise<string | undefined> {
    if (this.id === undefined) return undefined;
    const r = await this.read<{ value: string }>(`SELECT value FROM ${this.s}.identities WHERE state_id = $1 AND kind = $2 AND key = $3`, [this.id, kind, key]);
    return r.rows[0]?.value;
  }

  async rememberIdentity(kind: string, key: string, value: string): Promise<void> {
    // A cache of look-ups: plan may run without a state yet, and then remembers nothing.
    if (this.id === undefined) return;
    await this.writeStatement((q, id) =>
      q(
        `INSERT INTO ${this.s}.identities (state_id, kind, key, value, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (state_id, kind, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
        [id, kind, key, value, new Date().toISOString()],
      ),
    );
  }

  async close(): Promise<void> {
    const lock = this.lock;
    this.lock = undefined;
    await lock?.release();
    await this.pool.end().catch(() => undefined);
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
