/**
 * apply/: execute a plan stream against a target. Per thread, in dependency order: customers
 * (upsertCustomer) → the thread (importThread) → its messages (importThreadMessages, oldest first, in
 * batches). Threads run concurrently up to `concurrency`, each with one request in flight, so at most
 * `concurrency` requests are in flight. Every acknowledged result is committed to state before it is
 * counted. The executor emits events and never prints.
 */
import { customerAddress, customerKey, type Assignee, type Customer } from '../core/model.js';
import type { BatchingDecl } from '../manifest/types.js';
import { diffThread, type AppliedAttributes, type AttributeChange, type ThreadStatusValue } from '../plan/diff.js';
import { customerHash } from '../plan/plan.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { PlanItem, PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError, StateStore } from '../state/types.js';
import { TargetError, type MessageToSend, type RemoteThread, type Target } from '../targets/types.js';
import { emptyCounts, type ApplyEvent, type Counts } from './events.js';
import { backoffDelay, type Clock } from './ratelimit.js';
import { attemptsOf, RequestRunner, Stopped } from './requests.js';

export interface ApplyOptions {
  readonly items: AsyncIterable<PlanItem>;
  readonly target: Target;
  readonly state: StateStore;
  readonly runId: number;
  readonly batching: BatchingDecl;
  /** Aborted: stop scheduling new requests; requests in flight finish and are committed. */
  readonly stop: AbortSignal;
  /** Aborted: cancel requests in flight too. */
  readonly cancel: AbortSignal;
  readonly emit: (e: ApplyEvent) => void;
  readonly clock?: Clock;
  readonly random?: () => number;
  /** Replace attributes that were also changed in the target since the last apply. */
  readonly overwriteConflicts?: boolean;
  /** Called when a thread's work has finished (whatever its outcome). */
  readonly onThreadDone?: (item: ThreadPlanItem) => void;
}

export interface ApplyResult {
  readonly counts: Counts;
  readonly stopped: boolean;
  /** A failure that stopped the whole run (e.g. HTTP 401). */
  readonly fatal?: RecordedError;
  readonly requests: Record<string, number>;
  readonly invalid: number;
}

export class Executor {
  private readonly counts = emptyCounts();
  private readonly requests: RequestRunner;
  private readonly pendingCustomers = new Map<string, Promise<string>>();
  private readonly failedCustomers = new Map<string, RecordedError>();

  constructor(private readonly o: ApplyOptions) {
    this.requests = new RequestRunner({
      target: o.target,
      requestsPerMinute: o.batching.requestsPerMinute,
      maxAttempts: o.batching.maxAttempts,
      stop: o.stop,
      cancel: o.cancel,
      emit: o.emit,
      clock: o.clock,
      random: o.random,
    });
  }

  private get stopping(): boolean {
    return this.requests.stopping;
  }

  private call<T>(operation: string, address: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    return this.requests.call(operation, address, fn);
  }

  async run(): Promise<ApplyResult> {
    const active = new Set<Promise<void>>();
    const limit = Math.max(1, this.o.batching.concurrency);
    for await (const item of this.o.items) {
      if (this.stopping) break;
      if (item.kind === 'invalid') {
        this.invalid(item.invalid);
        continue;
      }
      if (item.kind === 'unchanged') {
        this.o.emit({ type: 'unchanged', address: item.address, messages: item.messages });
        continue;
      }
      if (item.kind === 'orphan' || item.kind === 'deleted') {
        this.o.emit({ type: item.kind, address: item.address });
        continue;
      }
      this.notes(item);
      for (const m of item.invalidMessages) this.invalid(m);
      if (item.action === 'noop') {
        this.o.emit({ type: 'unchanged', address: item.address, messages: item.recordedMessages });
        continue;
      }
      while (active.size >= limit) await Promise.race(active);
      if (this.stopping) break;
      const p: Promise<void> = this.thread(item)
        .then(() => this.o.onThreadDone?.(item))
        .catch((e) => {
          if (!(e instanceof Stopped)) throw e;
        })
        .finally(() => active.delete(p));
      active.add(p);
    }
    await Promise.all(active);
    this.flushInvalid();
    return { counts: this.counts, stopped: this.stopping, fatal: this.requests.fatal, requests: this.o.target.requestCounts(), invalid: this.invalidCount };
  }

  private readonly invalidBuffer: InvalidRecord[] = [];
  invalidCount = 0;

  /** Invalid records are reported as events and remembered in state (for `state errors`), in batches. */
  private invalid(r: InvalidRecord): void {
    this.invalidCount++;
    this.o.emit({ type: 'invalid', invalid: r });
    this.invalidBuffer.push(r);
    if (this.invalidBuffer.length >= 500) this.flushInvalid();
  }

  private flushInvalid(): void {
    this.o.state.recordInvalid(this.invalidBuffer.splice(0), this.o.runId);
  }

  private commit(outcomes: ApplyOutcome[]): void {
    this.o.state.record(outcomes, this.o.runId);
    for (const out of outcomes) {
      const outcome = out.error ? 'FAILED' : out.result!;
      this.counts[out.kind][outcome]++;
      this.o.emit({ type: 'resource', kind: out.kind, address: out.address, outcome, error: out.error, attempts: out.attempts });
    }
  }

  private async ensureCustomer(c: Customer): Promise<string> {
    const key = customerKey(c);
    const address = customerAddress(c.email);
    const failed = this.failedCustomers.get(key);
    if (failed) throw new DependencyFailed(address, failed);
    const row = this.o.state.get(address);
    if (row && row.status === 'applied' && row.targetId) return row.targetId;
    let p = this.pendingCustomers.get(key);
    if (!p) {
      p = (async () => {
        const hash = customerHash(c);
        try {
          const { value, attempts } = await this.call('upsertCustomer', address, (signal) => this.o.target.upsertCustomer(c, { signal }));
          this.commit([{ address, kind: 'customer', externalId: c.email, inputHash: hash, targetId: value.id, result: value.result, attempts }]);
          return value.id;
        } catch (e) {
          if (e instanceof TargetError) {
            this.failedCustomers.set(key, e.recorded);
            this.commit([{ address, kind: 'customer', externalId: c.email, inputHash: hash, error: e.recorded, attempts: attemptsOf(e) }]);
            throw new DependencyFailed(address, e.recorded);
          }
          throw e;
        }
      })().finally(() => this.pendingCustomers.delete(key));
      this.pendingCustomers.set(key, p);
    }
    return p;
  }

  /** What the plan found and will not do, said once per thread. */
  private notes(item: ThreadPlanItem): void {
    const say = (reason: string) => this.o.emit({ type: 'not-applied', address: item.address, reason });
    for (const c of item.conflicts) say(`${c.attribute} was also changed in the target since the last apply; left as it is there (--overwrite-conflicts to replace it)`);
    for (const f of item.frozen) say(`${f.attribute} cannot be changed after import; the source now says ${JSON.stringify(f.to)}`);
    for (const m of item.changedMessages) say(`${m} changed in the source; an imported message's text, author and time cannot be changed`);
    for (const m of item.orphanMessages) this.o.emit({ type: 'orphan', address: m });
  }

  private async thread(item: ThreadPlanItem): Promise<void> {
    if (item.action !== 'create') {
      if (item.updates.length > 0) await this.update(item);
      if (item.send.length === 0) return;
    }
    const t = item.thread;
    const base = { address: item.address, kind: 'thread' as const, externalId: t.externalId, inputHash: item.hash };
    let customerId: string;
    try {
      customerId = await this.ensureCustomer(t.customer);
    } catch (e) {
      if (e instanceof DependencyFailed) {
        this.commit([{ ...base, error: e.asRecorded('customer'), attempts: 0 }]);
        return;
      }
      throw e;
    }
    let threadId = item.targetId;
    if (item.action === 'create') {
      try {
        const { value, attempts } = await this.call('importThread', item.address, (signal) =>
          this.o.target.importThread(t, customerId, { signal }),
        );
        this.commit([{ ...base, targetId: value.id, result: value.result, applied: item.desired, attempts }]);
        threadId = value.id;
      } catch (e) {
        if (e instanceof TargetError) {
          this.commit([{ ...base, error: e.recorded, attempts: attemptsOf(e) }]);
          return;
        }
        throw e;
      }
    }
    if (!threadId || item.send.length === 0) return;
    await this.messages(item, threadId, customerId);
  }

  /**
   * Update a recorded thread's attributes. The thread is read first: an attribute someone changed in
   * the target since the last apply is a conflict and is left alone unless overwriteConflicts, so
   * that an agent's edit is never overwritten by a plan made without --refresh. Each attribute that
   * succeeds is recorded at once.
   */
  private async update(item: ThreadPlanItem): Promise<void> {
    const threadId = item.targetId!;
    const t = item.thread;
    const record = (o: Partial<ApplyOutcome> & { attempts: number }) =>
      this.o.state.record([{ address: item.address, kind: 'thread', externalId: t.externalId, inputHash: item.hash, ...o }], this.o.runId);
    const fail = (error: RecordedError, attempts: number) => {
      record({ error, attempts });
      this.counts.thread.FAILED++;
      this.o.emit({ type: 'resource', kind: 'thread', address: item.address, outcome: 'FAILED', error, attempts });
    };
    let remote: RemoteThread | null;
    try {
      const r = await this.call('readThreads', item.address, (signal) => this.o.target.readThreads([threadId], { signal }));
      remote = r.value[0] ?? null;
    } catch (e) {
      if (e instanceof TargetError) return fail(e.recorded, attemptsOf(e));
      throw e;
    }
    if (!remote) {
      this.o.emit({ type: 'deleted', address: item.address });
      return fail({ code: 'not_found', message: 'the thread is no longer in the target; it was not updated', type: 'VALIDATION' }, 1);
    }
    let applied: AppliedAttributes = item.applied ?? item.desired;
    const { updates, conflicts } = diffThread(applied, item.desired, remote, !!this.o.overwriteConflicts);
    for (const c of conflicts) {
      if (!item.conflicts.some((k) => k.attribute === c.attribute)) {
        this.o.emit({ type: 'not-applied', address: item.address, reason: `${c.attribute} was also changed in the target since the last apply; left as it is there (--overwrite-conflicts to replace it)` });
      }
    }
    // Attributes the target already has as desired are recorded without a request.
    const settled = item.updates.filter((u) => !updates.some((x) => x.attribute === u.attribute) && !conflicts.some((x) => x.attribute === u.attribute));
    for (const u of settled) applied = { ...applied, [u.attribute]: u.to };
    let done = settled.length;
    let attempts = 0;
    for (const change of updates) {
      try {
        attempts += await this.change(item.address, threadId, change, remote);
        applied = { ...applied, [change.attribute]: change.to };
        done++;
        record({ targetId: threadId, result: 'UPDATED', applied, attempts: 0 });
      } catch (e) {
        if (e instanceof TargetError) {
          fail(e.recorded, attemptsOf(e));
          continue;
        }
        throw e;
      }
    }
    if (done > 0) {
      record({ targetId: threadId, result: 'UPDATED', applied, attempts });
      this.counts.thread.UPDATED++;
      this.o.emit({ type: 'resource', kind: 'thread', address: item.address, outcome: 'UPDATED', attempts });
    }
  }

  /** One attribute change: one request, or up to two for labels. Returns the attempts it took. */
  private async change(address: string, threadId: string, c: AttributeChange, remote: RemoteThread): Promise<number> {
    const target = this.o.target;
    const run = async (op: string, fn: (signal: AbortSignal) => Promise<void>) => (await this.call(op, address, fn)).attempts;
    switch (c.attribute) {
      case 'title':
        return run('updateThreadTitle', (signal) => target.updateTitle(threadId, c.to as string, { signal }));
      case 'priority':
        return run('changeThreadPriority', (signal) => target.changePriority(threadId, c.to as number, { signal }));
      case 'status':
        return run('changeStatus', (signal) => target.changeStatus(threadId, c.to as ThreadStatusValue, { signal }));
      case 'assignee':
        return run('assign', (signal) => target.assign(threadId, c.to as Assignee | null, { signal }));
      case 'labels': {
        const to = new Set(c.to as string[]);
        const from = new Set(c.from as string[]);
        const present = new Set(remote.labels);
        const add = [...to].filter((x) => !present.has(x));
        // Only labels this migration put there are removed, unless conflicts are overwritten.
        const remove = remote.labelIds
          .filter((l) => !to.has(l.labelTypeId) && (this.o.overwriteConflicts || from.has(l.labelTypeId)))
          .map((l) => l.id);
        let n = 0;
        if (add.length > 0) n += await run('addLabels', (signal) => target.addLabels(threadId, add, { signal }));
        if (remove.length > 0) n += await run('removeLabels', (signal) => target.removeLabels(remove, { signal }));
        return n;
      }
    }
  }

  private async messages(item: ThreadPlanItem, threadId: string, threadCustomerId: string): Promise<void> {
    const size = Math.min(this.o.batching.messagesPerRequest, this.o.target.maxMessagesPerCall);
    const pending = [...item.send];
    while (pending.length > 0) {
      const batch = pending.splice(0, size);
      await this.batch(item, threadId, threadCustomerId, batch);
    }
  }

  private async authorFor(p: PlannedMessage, threadCustomerId: string): Promise<MessageToSend> {
    const a = p.message.author;
    if (a.kind === 'user') return { message: p.message };
    return { message: p.message, customerId: a.customer ? await this.ensureCustomer(a.customer) : threadCustomerId };
  }

  /** One batch; messages that fail with a retryable per-message error are sent again, alone with the other such ones. */
  private async batch(item: ThreadPlanItem, threadId: string, threadCustomerId: string, batch: PlannedMessage[]): Promise<void> {
    const base = (p: PlannedMessage) => ({
      address: p.address,
      kind: 'message' as const,
      parent: item.address,
      externalId: p.message.externalId,
      inputHash: p.hash,
    });
    let todo = batch;
    const tries = new Map<string, number>();
    while (todo.length > 0) {
      const toSend: Array<{ p: PlannedMessage; m: MessageToSend }> = [];
      const outcomes: ApplyOutcome[] = [];
      for (const p of todo) {
        try {
          toSend.push({ p, m: await this.authorFor(p, threadCustomerId) });
        } catch (e) {
          if (!(e instanceof DependencyFailed)) throw e;
          outcomes.push({ ...base(p), error: e.asRecorded('author'), attempts: 0 });
        }
      }
      this.commit(outcomes);
      if (toSend.length === 0) return;
      let results;
      let attempts: number;
      try {
        const r = await this.call('importThreadMessages', item.address, (signal) =>
          this.o.target.importMessages(threadId, toSend.map((s) => s.m), { signal }),
        );
        results = r.value;
        attempts = r.attempts;
      } catch (e) {
        if (e instanceof TargetError) {
          this.commit(toSend.map(({ p }) => ({ ...base(p), error: e.recorded, attempts: attemptsOf(e) })));
          return;
        }
        throw e;
      }
      const done: ApplyOutcome[] = [];
      const again: PlannedMessage[] = [];
      toSend.forEach(({ p }, i) => {
        const r = results[i]!;
        const n = (tries.get(p.address) ?? 0) + attempts;
        tries.set(p.address, n);
        if (r.ok) done.push({ ...base(p), targetId: r.ack.id, result: r.ack.result, attempts: n });
        else if (r.retryable && n < this.o.batching.maxAttempts && !this.stopping) again.push(p);
        else done.push({ ...base(p), error: r.error, attempts: n });
      });
      this.commit(done);
      todo = again;
      if (again.length > 0) {
        const delay = backoffDelay(1, this.requests.random);
        for (const p of again) {
          const r = results[toSend.findIndex((x) => x.p === p)]!;
          if (!r.ok) this.o.emit({ type: 'retry', operation: 'importThreadMessages', address: p.address, attempt: tries.get(p.address) ?? 1, delayMs: delay, error: r.error });
        }
        await this.requests.sleep(delay);
      }
    }
  }
}

class DependencyFailed extends Error {
  constructor(
    readonly address: string,
    readonly reason: RecordedError,
  ) {
    super(`${address} failed: ${reason.message}`);
  }
  asRecorded(role: string): RecordedError {
    return { code: 'dependency_failed', message: `the ${role} ${this.address} could not be upserted: ${this.reason.message}`, type: 'DEPENDENCY' };
  }
}

export function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  return new Executor(o).run();
}
