/**
 * plan/: desired resources (from mapping) against recorded state → one action per address.
 * Streams: items are yielded one thread at a time so that memory does not grow with the number of
 * tickets. Sets that must span the whole plan (thread externalIds seen, customers planned) live in a
 * temporary on-disk SQLite database, not in JS objects.
 */
import Database from 'better-sqlite3';
import { join, dirname } from 'node:path';
import { formatLocation } from '../core/errors.js';
import { customerAddress, customerKey, messageAddress, threadAddress, type Customer, type Thread } from '../core/model.js';
import { hashOf } from '../core/hash.js';
import type { Manifest } from '../manifest/types.js';
import { Mapper, recordWhere, type InvalidRecord } from '../mapping/map.js';
import type { SourceIndexes } from '../mapping/bindings.js';
import { openSourceIndex, readSource } from '../sources/index.js';
import type { SourceIndex } from '../sources/types.js';
import type { StateStore } from '../state/types.js';
import type { PlanItem, PlanSummary, PlannedMessage, ThreadPlanItem, UnmappedValue } from './types.js';

export function indexCacheDir(manifest: Manifest): string {
  return join(dirname(manifest.statePath), 'cache');
}

export async function openIndexes(manifest: Manifest): Promise<SourceIndexes & { close(): void }> {
  const key = new Map<string, SourceIndex>();
  const groupBy = new Map<string, SourceIndex>();
  const cacheDir = indexCacheDir(manifest);
  try {
    for (const decl of Object.values(manifest.sources)) {
      if (decl.key) key.set(decl.name, await openSourceIndex(decl, 'key', { cacheDir }));
      if (decl.groupBy) groupBy.set(decl.name, await openSourceIndex(decl, 'groupBy', { cacheDir }));
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

/** The thread's own input (what importThread sends), without messages: its hash detects changes. */
export function threadInputHash(t: Thread): string {
  const { messages: _messages, ...rest } = t;
  return hashOf(rest);
}

export function customerHash(c: Customer): string {
  return hashOf(c);
}

export interface PlanOptions {
  readonly manifest: Manifest;
  readonly state: StateStore;
  readonly indexes: SourceIndexes;
  readonly now?: () => number;
  readonly signal?: AbortSignal;
}

export class Planner {
  readonly mapper: Mapper;
  private readonly scratch: Database.Database;
  private readonly seenThread: Database.Statement<[string, string]>;
  private readonly firstThread: Database.Statement<[string], { where_: string }>;
  private readonly seenCustomer: Database.Statement<[string]>;
  filtered = 0;

  constructor(private readonly opts: PlanOptions) {
    this.mapper = new Mapper(opts.manifest, opts.indexes, opts.now);
    // An empty file name gives a private temporary database on disk, removed on close.
    this.scratch = new Database('');
    this.scratch.exec(
      'CREATE TABLE threads (external_id TEXT PRIMARY KEY, where_ TEXT) WITHOUT ROWID; CREATE TABLE customers (k TEXT PRIMARY KEY) WITHOUT ROWID;',
    );
    this.seenThread = this.scratch.prepare('INSERT OR IGNORE INTO threads (external_id, where_) VALUES (?, ?)');
    this.firstThread = this.scratch.prepare('SELECT where_ FROM threads WHERE external_id = ?');
    this.seenCustomer = this.scratch.prepare('INSERT OR IGNORE INTO customers (k) VALUES (?)');
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
        yield { kind: 'invalid', invalid: { address: where, where, reasons: [e.message] } };
      }
    }
  }

  async *items(): AsyncGenerator<PlanItem> {
    const { manifest } = this.opts;
    const decl = manifest.sources[manifest.threads.source]!;
    try {
      yield* this.indexProblems();
      for await (const item of readSource(decl, { signal: this.opts.signal })) {
        if (this.opts.signal?.aborted) return;
        if (!item.ok) {
          const where = recordWhere(item.location);
          yield { kind: 'invalid', invalid: { address: where, where, reasons: [item.error.message] } };
          continue;
        }
        const mapped = await this.mapper.map(item.record, item.location);
        if (mapped.kind === 'filtered') {
          this.filtered++;
          continue;
        }
        if (mapped.kind === 'invalid') {
          yield { kind: 'invalid', invalid: mapped.invalid };
          continue;
        }
        const t = mapped.thread;
        const where = recordWhere(item.location);
        if (this.seenThread.run(t.externalId, where).changes === 0) {
          const first = this.firstThread.get(t.externalId)?.where_ ?? 'another record';
          yield {
            kind: 'invalid',
            invalid: {
              address: threadAddress(t.externalId),
              where,
              reasons: [`threads.externalId ${JSON.stringify(t.externalId)} is also produced by ${first}; it must be unique across the manifest`],
            },
          };
          continue;
        }
        yield this.planThread(t, mapped.invalidMessages);
      }
    } finally {
      this.scratch.close();
    }
  }

  private planThread(t: Thread, invalidMessages: readonly InvalidRecord[]): ThreadPlanItem {
    const { state } = this.opts;
    const address = threadAddress(t.externalId);
    const hash = threadInputHash(t);
    const recorded = state.get(address);
    const planned: PlannedMessage[] = t.messages.map((m) => ({
      message: m,
      address: messageAddress(t.externalId, m.externalId),
      hash: hashOf(m),
    }));
    let action: ThreadPlanItem['action'];
    let send: PlannedMessage[];
    let recordedMessages = 0;
    if (!recorded || recorded.status !== 'applied' || !recorded.targetId) {
      action = 'create';
      send = planned;
    } else {
      const applied = new Set(state.children(address).filter((r) => r.status === 'applied').map((r) => r.address));
      send = planned.filter((p) => !applied.has(p.address));
      recordedMessages = planned.length - send.length;
      action = send.length > 0 ? 'append' : 'noop';
    }
    const newCustomers: Customer[] = [];
    if (action !== 'noop') {
      const needed: Customer[] = [t.customer];
      for (const p of send) if (p.message.author.kind === 'customer' && p.message.author.customer) needed.push(p.message.author.customer);
      for (const c of needed) {
        const row = state.get(customerAddress(c.email));
        if (row && row.status === 'applied' && row.targetId) continue;
        if (this.seenCustomer.run(customerKey(c)).changes > 0) newCustomers.push(c);
      }
    }
    return {
      kind: 'thread',
      action,
      address,
      thread: t,
      hash,
      ...(recorded?.targetId ? { targetId: recorded.targetId } : {}),
      send,
      recordedMessages,
      changed: !!recorded && recorded.status === 'applied' && recorded.inputHash !== null && recorded.inputHash !== hash,
      newCustomers,
      invalidMessages,
    };
  }

  unmapped(): UnmappedValue[] {
    return [...this.mapper.unmapped.counts.values()].sort((a, b) => b.count - a.count || a.table.localeCompare(b.table));
  }
}

const MAX_LISTED_INVALID = 1000;

/** Folds plan items into the counts that `plan` prints and `apply` shows before it starts. */
export class PlanTally {
  private readonly s = {
    threads: { create: 0, append: 0, noop: 0, invalid: 0, filtered: 0, changed: 0 },
    messages: { create: 0, append: 0, noop: 0, invalid: 0 },
    customers: { upsert: 0 },
    minimumRequests: { upsertCustomer: 0, importThread: 0, importThreadMessages: 0 },
  };
  private readonly invalid: InvalidRecord[] = [];
  private invalidTotal = 0;

  constructor(private readonly messagesPerRequest: number) {}

  add(item: PlanItem): void {
    if (item.kind === 'invalid') {
      this.s.threads.invalid++;
      this.note(item.invalid);
      return;
    }
    const { threads, messages, minimumRequests } = this.s;
    threads[item.action]++;
    if (item.changed) threads.changed++;
    if (item.action === 'create') messages.create += item.send.length;
    if (item.action === 'append') messages.append += item.send.length;
    messages.noop += item.recordedMessages;
    messages.invalid += item.invalidMessages.length;
    for (const m of item.invalidMessages) this.note(m);
    this.s.customers.upsert += item.newCustomers.length;
    minimumRequests.upsertCustomer += item.newCustomers.length;
    if (item.action === 'create') minimumRequests.importThread++;
    minimumRequests.importThreadMessages += Math.ceil(item.send.length / this.messagesPerRequest);
  }

  private note(r: InvalidRecord): void {
    this.invalidTotal++;
    if (this.invalid.length < MAX_LISTED_INVALID) this.invalid.push(r);
  }

  summary(filtered: number, unmapped: readonly UnmappedValue[]): PlanSummary {
    return {
      ...this.s,
      threads: { ...this.s.threads, filtered },
      invalid: this.invalid,
      invalidTruncated: this.invalidTotal - this.invalid.length,
      unmapped,
    };
  }

  hasChanges(): boolean {
    return this.s.threads.create + this.s.threads.append > 0;
  }
}
