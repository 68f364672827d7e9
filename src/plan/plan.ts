/**
 * plan/: desired resources (from mapping) against recorded state → one action per address.
 * Streams: items are yielded one thread at a time so that memory does not grow with the number of
 * tickets. Sets that must span the whole plan (thread externalIds seen, customers planned) live in a
 * temporary on-disk SQLite database, not in JS objects.
 */
import Database from 'better-sqlite3';
import { join, dirname } from 'node:path';
import { formatLocation, PmError } from '../core/errors.js';
import {
  addressMatcher,
  customerAddress,
  customerKey,
  membershipAddress,
  messageAddress,
  tenantAddress,
  threadAddress,
  type Customer,
  type Thread,
} from '../core/model.js';
import { hashOf } from '../core/hash.js';
import type { Manifest } from '../manifest/types.js';
import type { SystematicFailure } from '../mapping/failure-watch.js';
import { Mapper, recordWhere, type InvalidRecord, type MappingNote } from '../mapping/map.js';
import { PASSTHROUGH, type IdentityResolver, type UnresolvedAgent } from '../mapping/resolve.js';
import type { MappingRules } from '../mapping/target-rules.js';
import type { SourceIndexes } from '../mapping/bindings.js';
import { openSourceIndex, readSource, type OpenIndexOptions } from '../sources/index.js';
import type { RecordLocation, SourceIndex } from '../sources/types.js';
import type { SnapshotStore, StateStore } from '../state/types.js';
import type { TargetCapabilities } from '../targets/types.js';
import { appliedOf, diffThread, isAppliedAttributes, labelKey, type RemoteAttributes } from './diff.js';
import { PlanCache, type CachedNoop } from './cache.js';
import { MappingPool } from './pool.js';
import { digestOutput, threadHashes, type MappedRecord, type ThreadHashes } from './pool-protocol.js';
import type { PlanItem, PlannedMessage, ThreadPlanItem, UnmappedValue } from './types.js';

/** A source error as an invalid record's reasons: what is wrong, then what to do when the reader says. */
function withHint(e: Error & { readonly hint?: string }): string[] {
  return e.hint ? [e.message, `what to do: ${e.hint}`] : [e.message];
}

/** A plan stopped because an expression failed alike on its first evaluations. */
function systematicError(f: SystematicFailure): PmError {
  const r = f.records;
  const which = r.length === 1 ? r[0] : `${r[0]} … ${r[r.length - 1]}`;
  return new PmError(
    'plan.systematic-failure',
    `${f.expr.path} failed the same way on its first ${f.count} evaluations (${which}): ${f.detail}; the plan stopped there instead of evaluating every record`,
    {
      location: f.expr.location,
      hint: 'fix the expression (plain-migrate validate --sample 3 shows what it gives for the first records), or add --keep-going to evaluate every record anyway',
    },
  );
}

export function indexCacheDir(manifest: Manifest): string {
  return join(dirname(manifest.statePath), 'cache');
}

export async function openIndexes(
  manifest: Manifest,
  snapshot?: SnapshotStore,
  onBuild?: OpenIndexOptions['onBuild'],
  chunker?: OpenIndexOptions['chunker'],
): Promise<SourceIndexes & { close(): void }> {
  const key = new Map<string, SourceIndex>();
  const groupBy = new Map<string, SourceIndex>();
  const cacheDir = indexCacheDir(manifest);
  const opts = { cacheDir, snapshot, ...(onBuild ? { onBuild } : {}), ...(chunker ? { chunker } : {}) };
  try {
    for (const decl of Object.values(manifest.sources)) {
      if (decl.key) key.set(decl.name, await openSourceIndex(decl, 'key', opts));
      if (decl.groupBy) groupBy.set(decl.name, await openSourceIndex(decl, 'groupBy', opts));
    }
  } catch (e) {
    for (const i of [...key.values(), ...groupBy.values()]) i.close();
    throw e;
  }
  return {
    key,
    groupBy,
    close() {
      for (const i of [...key.values(), ...groupBy.values()]) i.close();
    },
  };
}

export { threadInputHash } from './pool-protocol.js';

export function customerHash(c: Customer): string {
  return hashOf(c);
}

export interface PlanOptions {
  readonly manifest: Manifest;
  readonly state: StateStore;
  readonly indexes: SourceIndexes;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
  /**
   * After a refresh: the thread's attributes in the target today (null: deleted there). Absent, or
   * returning undefined: not refreshed.
   */
  readonly remote?: (address: string) => RemoteAttributes | null | undefined;
  /** Apply changes to attributes that were also edited in the target since the last apply. */
  readonly overwriteConflicts?: boolean;
  /** --target: only these addresses (`*` wildcards); a message pattern selects its thread and only those messages. */
  readonly targets?: readonly string[];
  /** --limit: only the first N threads of the source (no orphan detection: the plan is partial). */
  readonly limit?: number;
  /** Skips the mapping of records unchanged since they were last found unchanged (not with a refresh). */
  readonly cache?: PlanCache;
  /**
   * Give every thread item its cache memo, so that apply can remember the threads it finishes. Without
   * it (plan), only unchanged threads need one, and the look-ups of the others are not digested.
   */
  readonly memoAll?: boolean;
  /** Label type names, agents' emails and thread field keys are looked up through it (default: kept as they are). */
  readonly resolver?: IdentityResolver;
  /** The target's mapping rules and what it can do: its adapter's (plan/ knows no target by name). */
  readonly rules: MappingRules;
  readonly capabilities: TargetCapabilities;
  /** Evaluate every record even when an expression fails alike on the first ones (see mapping/failure-watch.ts). */
  readonly keepGoing?: boolean;
  /** Threads that map records (1: this one only). The pool starts after the first records (see POOL_AFTER). */
  readonly workers?: number;
  /**
   * A pool started earlier, while the indexes were being built (summarisePlan), so that its workers
   * have loaded when the first records are to be mapped; used instead of starting one. Its owner closes it.
   */
  readonly pool?: MappingPool;
  /** Where the workers' manifest reads ${VAR} from (default process.env). */
  readonly env?: NodeJS.ProcessEnv;
}

const ORPHAN_PAGE = 500;
/**
 * The scratch database's writes per transaction. One transaction per write (SQLite's autocommit) made
 * the plan's own thread spend about 2.4 s per 100,000 threads on them, more than its share as the
 * set outgrows SQLite's page cache; grouped, about 0.4 s (measured with 100,000 threads and customers).
 */
const SCRATCH_WRITES_PER_COMMIT = 1_000;

/** An INSERT into the scratch database, grouped into transactions (Planner.batched). */
interface ScratchWrite<P extends unknown[]> {
  run(...params: P): Database.RunResult;
}
/**
 * Records mapped here before the pool starts: a small plan, or a re-plan that finds its records in the
 * plan cache, never pays for starting workers.
 */
const POOL_AFTER = 256;
/** Records per task of the pool, and tasks in flight per worker (what bounds the memory ahead). */
const POOL_BATCH = 32;
const POOL_BATCHES_PER_WORKER = 3;

/** One source record on its way through the plan, in record order. */
interface Slot {
  /** An item with nothing to map (a record that could not be read). */
  readonly ready?: PlanItem;
  readonly location?: RecordLocation;
  /** The plan cache's key of the record, when it was looked up (else hashed from `record` when needed). */
  readonly recordKey?: string;
  /** Found unchanged by the plan cache: its mapping is skipped unless its address was seen already. */
  readonly hit?: CachedNoop;
  /** The record (a hit's is mapped here after all when its address was seen already). */
  readonly record?: unknown;
  mapped?: Promise<MappedRecord>;
}

/** Nothing about the thread to report: once it has nothing to do, the next plan may take it from the cache. */
export function isQuiet(item: ThreadPlanItem): boolean {
  return (
    item.invalidMessages.length === 0 &&
    item.frozen.length === 0 &&
    item.conflicts.length === 0 &&
    item.changedMessages.length === 0 &&
    item.orphanMessages.length === 0 &&
    (item.skippedMessages?.length ?? 0) === 0 &&
    !item.notes.some((n) => n.recurring)
  );
}

export class Planner {
  readonly mapper: Mapper;
  private readonly scratch: Database.Database;
  private readonly seenThread: ScratchWrite<[string, string]>;
  private readonly firstThread: Database.Statement<[string], { where_: string }>;
  private readonly isSeen: Database.Statement<[string], { a: number }>;
  private readonly seenCustomer: ScratchWrite<[string]>;
  private readonly seenOnce: ScratchWrite<[string]>;
  /** Writes to the scratch database since its transaction began (see SCRATCH_WRITES_PER_COMMIT). */
  private scratchWrites = 0;
  filtered = 0;
  private readonly matchers: Array<(address: string) => boolean>;
  private planned = 0;
  private readonly caps: TargetCapabilities;
  private pool?: MappingPool;
  private poolTried = false;
  /** Worker threads that mapped records (0: none started), and the records they mapped. */
  poolWorkers = 0;
  mappedInWorkers = 0;
  /** The records being mapped in this thread (see mapHere). */
  private hereQueue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: PlanOptions) {
    this.caps = opts.capabilities;
    this.matchers = (opts.targets ?? []).map(addressMatcher);
    this.mapper = new Mapper(opts.manifest, opts.indexes, opts.rules, opts.now, opts.resolver);
    // An empty file name gives a private temporary database on disk, removed on close.
    this.scratch = new Database('');
    this.scratch.exec(
      'CREATE TABLE threads (address TEXT PRIMARY KEY, where_ TEXT) WITHOUT ROWID; CREATE TABLE customers (k TEXT PRIMARY KEY) WITHOUT ROWID; CREATE TABLE once (k TEXT PRIMARY KEY) WITHOUT ROWID;',
    );
    this.seenThread = this.batched(this.scratch.prepare('INSERT OR IGNORE INTO threads (address, where_) VALUES (?, ?)'));
    this.firstThread = this.scratch.prepare('SELECT where_ FROM threads WHERE address = ?');
    this.isSeen = this.scratch.prepare('SELECT 1 AS a FROM threads WHERE address = ?');
    this.seenCustomer = this.batched(this.scratch.prepare('INSERT OR IGNORE INTO customers (k) VALUES (?)'));
    this.seenOnce = this.batched(this.scratch.prepare('INSERT OR IGNORE INTO once (k) VALUES (?)'));
  }

  /**
   * A write to the scratch database inside a transaction that is committed every
   * SCRATCH_WRITES_PER_COMMIT writes. Reads on the same connection see uncommitted rows, so nothing
   * else changes; an open transaction is simply dropped with the temporary database.
   */
  private batched<P extends unknown[]>(stmt: Database.Statement<P>): ScratchWrite<P> {
    return {
      run: (...params: P) => {
        if (this.scratchWrites === 0) this.scratch.exec('BEGIN');
        const r = stmt.run(...params);
        if (++this.scratchWrites >= SCRATCH_WRITES_PER_COMMIT) {
          this.scratch.exec('COMMIT');
          this.scratchWrites = 0;
        }
        return r;
      },
    };
  }

  /** True the first time the plan meets this key (a tenant, a membership, a label type to create). */
  private first(key: string): boolean {
    return this.seenOnce.run(key).changes > 0;
  }

  /** Records of keyed/grouped sources that could not be read or indexed: reported like invalid records. */
  private *indexProblems(): Generator<PlanItem> {
    const seen = new Set<string>();
    for (const idx of [...this.opts.indexes.key.values(), ...this.opts.indexes.groupBy.values()]) {
      for (const e of idx.errors) {
        const where = e.address ?? (e.location ? formatLocation(e.location) : 'source');
        const k = `${where}\u0000${e.message}`;
        if (seen.has(k)) continue;
        seen.add(k);
        yield { kind: 'invalid', invalid: { address: where, where, reasons: withHint(e) } };
      }
    }
  }

  /** Maps a batch of records: in the pool's workers once it runs, else here, one at a time. */
  private async mapBatch(records: Array<{ record: unknown; location: RecordLocation }>): Promise<MappedRecord[]> {
    if (this.pool) {
      this.mappedInWorkers += records.length;
      return this.pool.map(records);
    }
    const out: MappedRecord[] = [];
    for (const r of records) out.push(await this.mapHere(r.record, r.location));
    return out;
  }

  /** Maps one record in this thread. One at a time: the mapper keeps the current record's effects. */
  private mapHere(record: unknown, location: RecordLocation): Promise<MappedRecord> {
    const run = this.hereQueue.then(async () => digestOutput(await this.mapper.mapRecord(record, location), this.opts.indexes, !!this.opts.memoAll));
    this.hereQueue = run.catch(() => undefined);
    return run;
  }

  /** Starts the pool (or takes the one given) once the source proves long enough to be worth it (see POOL_AFTER). */
  private startPool(): void {
    if (this.poolTried) return;
    this.poolTried = true;
    const given = this.opts.pool;
    const workers = this.opts.workers ?? 1;
    const pool =
      given ??
      MappingPool.create({
        manifest: this.opts.manifest,
        workers,
        resolver: this.opts.resolver ?? PASSTHROUGH,
        env: this.opts.env ?? process.env,
        memoAll: !!this.opts.memoAll,
        ...(this.opts.now ? { nowMs: this.opts.now() } : {}),
      });
    if (!pool) return;
    if (!pool.attach(this.opts.indexes)) {
      // An index without a file (only in tests): this thread maps every record.
      if (!given) pool.close().catch(() => undefined);
      return;
    }
    this.pool = pool;
    this.poolWorkers = pool.workers;
  }

  async *items(): AsyncGenerator<PlanItem> {
    const { manifest } = this.opts;
    const decl = manifest.sources[manifest.threads.source]!;
    const queue: Slot[] = [];
    let batch: Array<{ record: unknown; location: RecordLocation }> = [];
    let batchSlots: Slot[] = [];
    let toMap = 0;
    const flush = (): void => {
      if (batch.length === 0) return;
      const mapped = this.mapBatch(batch);
      // The slots await their part; a failure is seen by the first slot that takes its result.
      mapped.catch(() => undefined);
      for (const [i, slot] of batchSlots.entries()) {
        slot.mapped = mapped.then((list) => list[i]!);
        slot.mapped.catch(() => undefined); // slots left behind when the plan stops early
      }
      batch = [];
      batchSlots = [];
    };
    try {
      yield* this.indexProblems();
      for await (const item of readSource(decl, { signal: this.opts.signal, snapshot: this.opts.state.snapshot })) {
        if (this.opts.signal?.aborted) return;
        if (!item.ok) {
          const where = recordWhere(item.location);
          queue.push({ ready: { kind: 'invalid', invalid: { address: where, where, reasons: withHint(item.error) } } });
        } else {
          const cache = this.opts.remote ? undefined : this.opts.cache;
          // Hashed now only for a look-up; else when a memo needs it (consume), for most records never.
          const recordKey = cache && !cache.startedEmpty ? hashOf([manifest.sourceHash, item.record]) : undefined;
          const hit = recordKey !== undefined ? await cache?.lookup(recordKey, this.opts.state, this.opts.indexes) : undefined;
          if (hit) queue.push({ location: item.location, recordKey, hit, record: item.record });
          else {
            if (++toMap === POOL_AFTER) this.startPool();
            const slot: Slot = { location: item.location, record: item.record, ...(recordKey !== undefined ? { recordKey } : {}) };
            batch.push({ record: item.record, location: item.location });
            batchSlots.push(slot);
            queue.push(slot);
            if (batch.length >= (this.pool ? POOL_BATCH : 1)) flush();
          }
        }
        const ahead = this.pool ? POOL_BATCH * POOL_BATCHES_PER_WORKER * (this.opts.workers ?? 1) : 0;
        while (queue.length > ahead) {
          const slot = queue.shift()!;
          if (!slot.mapped && !slot.ready && !slot.hit) flush();
          if (yield* this.consume(slot)) return;
        }
      }
      flush();
      while (queue.length > 0) {
        if (this.opts.signal?.aborted) return;
        if (yield* this.consume(queue.shift()!)) return;
      }
      if (this.opts.signal?.aborted || this.opts.limit !== undefined) return;
      yield* this.orphans();
    } finally {
      this.scratch.close();
      await this.pool?.close();
    }
  }

  /** One record's items, in record order. True when --limit is reached. */
  private async *consume(slot: Slot): AsyncGenerator<PlanItem, boolean> {
    if (slot.ready) {
      yield slot.ready;
      return false;
    }
    const where = recordWhere(slot.location!);
    if (slot.hit && this.seenThread.run(slot.hit.address, where).changes > 0) {
      const unchanged = this.select({ kind: 'unchanged', address: slot.hit.address, messages: slot.hit.messages });
      if (unchanged) {
        yield unchanged;
        if (this.opts.limit !== undefined && ++this.planned >= this.opts.limit) return true;
      }
      return false;
    }
    const out: MappedRecord = slot.mapped
      ? await slot.mapped
      : await this.mapHere(slot.record, slot.location!);
    this.mapper.absorb(out);
    const mapped = out.result;
    const systematic = this.mapper.watch.tripped;
    if (systematic && !this.opts.keepGoing) throw systematicError(systematic);
    if (mapped.kind === 'filtered') {
      this.filtered++;
      return false;
    }
    if (mapped.kind === 'invalid') {
      // A recorded thread whose record is now invalid is not an orphan: its record is still there.
      if (mapped.invalid.address.startsWith('thread[')) this.seenThread.run(mapped.invalid.address, where);
      if (this.wanted(mapped.invalid.address)) yield { kind: 'invalid', invalid: mapped.invalid };
      return false;
    }
    const t = mapped.thread;
    const address = threadAddress(t.externalId);
    if (this.seenThread.run(address, where).changes === 0) {
      const first = this.firstThread.get(address)?.where_ ?? 'another record';
      yield {
        kind: 'invalid',
        invalid: {
          address,
          where,
          reasons: [`threads.externalId ${JSON.stringify(t.externalId)} is also produced by ${first}; it must be unique across the manifest`],
        },
      };
      return false;
    }
    const cache = this.opts.remote ? undefined : this.opts.cache;
    let full = await this.planThread(t, mapped.invalidMessages, mapped.notes, out.hashes);
    if (full?.kind === 'thread' && full.action === 'update' && this.caps.labelsCreatedOnlyByImport) full = await this.withKnownLabels(full);
    if (cache && full?.kind === 'thread' && (full.action === 'noop' || this.opts.memoAll) && !mapped.unresolvedAgents) {
      const lookups = out.resolved !== undefined ? out.resolved ?? undefined : PlanCache.resolve(out.effects.lookups, this.opts.indexes);
      if (lookups) {
        full = { ...full, memo: { recordKey: slot.recordKey ?? hashOf([this.opts.manifest.sourceHash, slot.record]), lookups } };
        await this.remember(cache, full);
      }
    }
    const planned = this.select(full);
    if (planned) {
      yield planned;
      if (this.opts.limit !== undefined && ++this.planned >= this.opts.limit) return true;
    }
    return false;
  }

  /** A thread found unchanged, with nothing to report, is remembered for the next plan. */
  private async remember(cache: PlanCache, item: ThreadPlanItem): Promise<void> {
    if (!item.memo) return;
    if (item.action !== 'noop' || !isQuiet(item)) return cache.forget(item.memo.recordKey);
    const stamp = await PlanCache.stamp(this.opts.state, item.address);
    if (stamp) cache.remember(item.memo.recordKey, item.address, item.memo.lookups, stamp, item.recordedMessages);
  }

  private wanted(address: string): boolean {
    return this.matchers.length === 0 || this.matchers.some((m) => m(address));
  }

  /** --target: keep a thread when it, or one of its messages, is targeted; keep only the targeted messages. */
  private select(item: PlanItem | undefined): PlanItem | undefined {
    if (!item || this.matchers.length === 0) return item;
    if (item.kind === 'invalid') return this.wanted(item.invalid.address) ? item : undefined;
    if (item.kind === 'unchanged') return this.wanted(item.address) ? item : undefined;
    if (item.kind !== 'thread') return this.wanted(item.address) ? item : undefined;
    if (this.wanted(item.address)) return item;
    const send = item.send.filter((m) => this.wanted(m.address));
    if (send.length === 0) return undefined;
    return { ...item, send, updates: [], conflicts: [], frozen: [], orphanMessages: [], changedMessages: [], action: item.action === 'create' ? 'create' : 'append' };
  }

  /** Recorded threads that no source record produced this time. Paged, so state can be written meanwhile. */
  private async *orphans(): AsyncGenerator<PlanItem> {
    let after = '';
    for (;;) {
      const page = await this.opts.state.page('thread', after, ORPHAN_PAGE);
      for (const row of page) {
        if (row.status === 'applied' && !this.isSeen.get(row.address) && this.wanted(row.address)) {
          yield { kind: 'orphan', address: row.address, targetId: row.targetId };
        }
      }
      if (page.length < ORPHAN_PAGE) return;
      after = page[page.length - 1]!.address;
    }
  }

  private async planThread(
    t: Thread,
    invalidMessages: readonly InvalidRecord[],
    mappingNotes: readonly MappingNote[] = [],
    hashes: ThreadHashes = threadHashes(t),
  ): Promise<PlanItem | undefined> {
    let notes = mappingNotes;
    const { state } = this.opts;
    const address = threadAddress(t.externalId);
    const hash = hashes.thread;
    const desired = appliedOf(t);
    const recorded = await state.get(address);
    const planned: PlannedMessage[] = t.messages.map((m, i) => ({
      message: m,
      address: messageAddress(t.externalId, m.externalId),
      hash: hashes.messages[i]!,
    }));
    const isRecorded = !!recorded && recorded.status === 'applied' && !!recorded.targetId;
    const remote = isRecorded ? this.opts.remote?.(address) : undefined;
    if (isRecorded && remote === null) return { kind: 'deleted', address, targetId: recorded!.targetId };

    let send: PlannedMessage[] = planned;
    let recordedMessages = 0;
    const changedMessages: string[] = [];
    const orphanMessages: string[] = [];
    let updates: ThreadPlanItem['updates'] = [];
    let conflicts: ThreadPlanItem['conflicts'] = [];
    let frozen: ThreadPlanItem['frozen'] = [];
    let applied: ThreadPlanItem['applied'];
    if (isRecorded) {
      const children = new Map((await state.children(address)).filter((r) => r.status === 'applied').map((r) => [r.address, r]));
      send = [];
      for (const p of planned) {
        const row = children.get(p.address);
        if (!row) send.push(p);
        else {
          recordedMessages++;
          if (row.inputHash !== null && row.inputHash !== p.hash) changedMessages.push(p.address);
          children.delete(p.address);
        }
      }
      for (const m of invalidMessages) children.delete(m.address);
      orphanMessages.push(...children.keys());
      // Rows written before per-attribute tracking have no applied attributes: nothing to compare with.
      if (isAppliedAttributes(recorded!.applied)) {
        applied = recorded!.applied;
        ({ updates, conflicts, frozen } = diffThread(applied, desired, remote ?? undefined, !!this.opts.overwriteConflicts, this.caps));
        // Label types still to be created are not in the desired ids yet: they are added once created.
        const pending = t.pendingLabelTypes ?? [];
        if (pending.length > 0) {
          const i = updates.findIndex((u) => u.attribute === 'labels');
          const from = i >= 0 ? updates[i]!.from : applied.labels;
          const to = [...(i >= 0 ? (updates[i]!.to as string[]) : desired.labels), ...pending];
          updates = [...updates.filter((u) => u.attribute !== 'labels'), { attribute: 'labels', from, to }];
        }
      }
    }
    // Messages the target cannot take: after those its import carries, when it takes none later.
    let skippedMessages: string[] = [];
    if (this.caps.appends === 'skip') {
      const carried = isRecorded ? 0 : this.caps.messagesInImport > 0 ? this.caps.messagesInImport : send.length;
      if (send.length > carried) {
        skippedMessages = send.slice(carried).map((m) => m.address);
        send = send.slice(0, carried);
        notes = [...notes, { address, note: this.skipNote(skippedMessages, isRecorded) }];
      }
    } else if (this.caps.appends === 'notes' && !isRecorded && this.caps.messagesInImport > 0 && send.length > this.caps.messagesInImport) {
      const later = send.slice(this.caps.messagesInImport).map((m) => m.address);
      notes = [...notes, { address, note: this.notesNote(later) }];
    }
    const action: ThreadPlanItem['action'] = !isRecorded ? 'create' : updates.length > 0 ? 'update' : send.length > 0 ? 'append' : 'noop';
    const newCustomers: Customer[] = [];
    if (this.caps.customers === 'upsert' && (action === 'create' || send.length > 0)) {
      const needed: Customer[] = [t.customer];
      for (const p of send) if (p.message.author.kind === 'customer' && p.message.author.customer) needed.push(p.message.author.customer);
      for (const c of needed) {
        const row = await state.get(customerAddress(c.email));
        if (row && row.status === 'applied' && row.targetId) continue;
        if (this.seenCustomer.run(customerKey(c)).changes > 0) newCustomers.push(c);
      }
    }
    const newLabelTypes = (t.pendingLabelTypes ?? []).filter((n) => action !== 'noop' && this.first(`label_type\u0000${n}`));
    const newTenants: string[] = [];
    const newMemberships: string[] = [];
    if (t.tenant && action === 'create' && this.caps.tenants) {
      const tenant = await state.get(tenantAddress(t.tenant.externalId));
      if (!(tenant?.status === 'applied') && this.first(`tenant\u0000${t.tenant.externalId}`)) newTenants.push(t.tenant.externalId);
      const m = membershipAddress(t.tenant.externalId, customerKey(t.customer));
      if (!((await state.get(m))?.status === 'applied') && this.first(m)) newMemberships.push(m);
    }
    return {
      kind: 'thread',
      action,
      address,
      thread: t,
      notes,
      newLabelTypes,
      newTenants,
      newMemberships,
      hash,
      desired,
      ...(applied ? { applied } : {}),
      ...(isRecorded ? { targetId: recorded!.targetId! } : {}),
      send,
      recordedMessages,
      updates,
      conflicts,
      frozen,
      changedMessages,
      orphanMessages,
      ...(skippedMessages.length > 0 ? { skippedMessages } : {}),
      newCustomers,
      invalidMessages,
    };
  }

  /**
   * Labels an update would add that the target does not have, when only an import creates them
   * (There There's tags): each reported on the thread and left out of the update (and of the values
   * apply compares with), so that the rest of the update still applies. The next plan says it again.
   */
  private async withKnownLabels(item: ThreadPlanItem): Promise<ThreadPlanItem> {
    const u = item.updates.find((x) => x.attribute === 'labels');
    const resolver = this.opts.resolver;
    if (!u || !resolver?.labelNames) return item;
    const key = labelKey(this.caps);
    const from = new Set((u.from as string[]).map(key));
    const added = (u.to as string[]).filter((l) => !from.has(key(l)));
    if (added.length === 0) return item;
    const known = new Set((await resolver.labelNames()).map(key));
    const gone = new Set(added.filter((l) => !known.has(key(l))).map(key));
    if (gone.size === 0) return item;
    const keep = (l: string) => !gone.has(key(l));
    const to = (u.to as string[]).filter(keep);
    const unchanged = to.length === from.size && to.every((l) => from.has(key(l)));
    const updates = unchanged ? item.updates.filter((x) => x !== u) : item.updates.map((x) => (x === u ? { ...u, to } : x));
    const notes = [
      ...item.notes,
      ...added.filter((l) => !keep(l)).map((l) => ({
        address: item.address,
        note: `tag ${JSON.stringify(l)} is not in ${this.caps.displayName}, and an update cannot create one (only an import does): create it there, or map the value to an existing tag`,
        recurring: true,
      })),
    ];
    return {
      ...item,
      action: updates.length > 0 ? 'update' : item.send.length > 0 ? 'append' : 'noop',
      updates,
      notes,
      desired: { ...item.desired, labels: item.desired.labels.filter(keep) },
      thread: { ...item.thread, labelTypeIds: item.thread.labelTypeIds.filter(keep) },
    };
  }

  /** Which messages of a new thread follow its import as internal notes, naming the first and the last. */
  private notesNote(later: readonly string[]): string {
    const n = later.length;
    const which = n === 1 ? later[0] : `${later[0]} … ${later[n - 1]}`;
    return `${n} message${n === 1 ? '' : 's'} added as internal notes after the import (${which}): ${this.caps.displayName} imports at most ${this.caps.messagesInImport} messages with a thread (appendAs: note)`;
  }

  /** Why messages are left out, naming the first and the last. */
  private skipNote(skipped: readonly string[], recorded: boolean): string {
    const n = skipped.length;
    const which = n === 1 ? skipped[0] : `${skipped[0]} … ${skipped[n - 1]}`;
    const why = recorded
      ? `${this.caps.displayName} takes no messages after a thread's import`
      : `${this.caps.displayName} imports at most ${this.caps.messagesInImport} messages with a thread`;
    return `${n} message${n === 1 ? '' : 's'} not carried (${which}): ${why} and appendAs is skip (appendAs: note adds them as internal notes)`;
  }

  /** Agents given by email that did not resolve, most used first. */
  unresolvedAgents(): UnresolvedAgent[] {
    return [...this.mapper.unresolvedAgents.values()].sort((a, b) => b.messages + b.threads - (a.messages + a.threads) || a.email.localeCompare(b.email));
  }

  unmapped(): UnmappedValue[] {
    return [...this.mapper.unmapped.counts.values()].sort((a, b) => b.count - a.count || a.table.localeCompare(b.table));
  }
}
