/**
 * apply/: execute a plan stream against a target. Per thread, in dependency order: customers
 * (upsertCustomer) → the thread (importThread) → its messages (importThreadMessages, oldest first, in
 * batches). Threads run concurrently up to `concurrency`, each with one request in flight, so at most
 * `concurrency` requests are in flight. Every acknowledged result is committed to state before it is
 * counted. The executor emits events and never prints.
 */
import { customerAddress, customerKey, type Customer } from '../core/model.js';
import type { BatchingDecl } from '../manifest/types.js';
import { customerHash } from '../plan/plan.js';
import type { PlanItem, PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError, StateStore } from '../state/types.js';
import { TargetError, type MessageToSend, type Target } from '../targets/types.js';
import { emptyCounts, type ApplyEvent, type Counts } from './events.js';
import { backoffDelay, RateLimiter, realClock, type Clock } from './ratelimit.js';

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
}

export interface ApplyResult {
  readonly counts: Counts;
  readonly stopped: boolean;
  /** A failure that stopped the whole run (e.g. HTTP 401). */
  readonly fatal?: RecordedError;
  readonly requests: Record<string, number>;
}

class Stopped extends Error {}

export class Executor {
  private readonly counts = emptyCounts();
  private readonly limiter: RateLimiter;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly pendingCustomers = new Map<string, Promise<string>>();
  private readonly failedCustomers = new Map<string, RecordedError>();
  private fatal?: RecordedError;
  private readonly halt = new AbortController();

  constructor(private readonly o: ApplyOptions) {
    this.clock = o.clock ?? realClock;
    this.random = o.random ?? Math.random;
    this.limiter = new RateLimiter(o.batching.requestsPerMinute, this.clock);
    this.limiter.onPause = (untilMs) => o.emit({ type: 'rate-limit-wait', untilMs });
    o.target.onRateLimit = (info) => this.limiter.observe(info);
  }

  private get stopping(): boolean {
    return this.o.stop.aborted || this.halt.signal.aborted;
  }

  async run(): Promise<ApplyResult> {
    const active = new Set<Promise<void>>();
    const limit = Math.max(1, this.o.batching.concurrency);
    for await (const item of this.o.items) {
      if (this.stopping) break;
      if (item.kind === 'invalid') {
        this.o.emit({ type: 'invalid', invalid: item.invalid });
        continue;
      }
      for (const m of item.invalidMessages) this.o.emit({ type: 'invalid', invalid: m });
      if (item.action === 'noop') {
        this.o.emit({ type: 'unchanged', address: item.address, messages: item.recordedMessages });
        continue;
      }
      while (active.size >= limit) await Promise.race(active);
      if (this.stopping) break;
      const p: Promise<void> = this.thread(item)
        .catch((e) => {
          if (!(e instanceof Stopped)) throw e;
        })
        .finally(() => active.delete(p));
      active.add(p);
    }
    await Promise.all(active);
    return { counts: this.counts, stopped: this.stopping, fatal: this.fatal, requests: this.o.target.requestCounts() };
  }

  private commit(outcomes: ApplyOutcome[]): void {
    this.o.state.record(outcomes, this.o.runId);
    for (const out of outcomes) {
      const outcome = out.error ? 'FAILED' : out.result!;
      this.counts[out.kind][outcome]++;
      this.o.emit({ type: 'resource', kind: out.kind, address: out.address, outcome, error: out.error, attempts: out.attempts });
    }
  }

  /**
   * Send one request with retries: 429 (after Retry-After / x-ratelimit-reset), 5xx, timeouts,
   * resets and INTERNAL errors are retried with exponential backoff and full jitter, up to maxAttempts.
   */
  private async call<T>(operation: string, address: string, fn: (signal: AbortSignal) => Promise<T>): Promise<{ value: T; attempts: number }> {
    const max = Math.max(1, this.o.batching.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Stopped();
      await this.limiter.acquire(this.o.stop);
      if (this.stopping) throw new Stopped();
      try {
        return { value: await fn(this.o.cancel), attempts: attempt };
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        if (e.fatal) {
          this.fatal ??= e.recorded;
          this.halt.abort();
          this.o.emit({ type: 'stopping', reason: e.recorded.message });
        }
        if (!e.retryable || attempt >= max || this.o.cancel.aborted) throw Object.assign(e, { attempts: attempt });
        let delay = backoffDelay(attempt, this.random);
        if (e.retryAfterMs !== undefined) {
          const until = this.clock.now() + e.retryAfterMs;
          this.limiter.pauseUntil(until);
          delay = e.retryAfterMs + Math.floor(this.random() * 250);
        }
        this.o.emit({ type: 'retry', operation, address, attempt, delayMs: delay, error: e.recorded });
        await this.clock.sleep(delay, this.o.stop);
      }
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

  private async thread(item: ThreadPlanItem): Promise<void> {
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
        this.commit([{ ...base, targetId: value.id, result: value.result, attempts }]);
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
      if (again.length > 0) await this.clock.sleep(backoffDelay(1, this.random), this.o.stop);
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

function attemptsOf(e: TargetError): number {
  return (e as TargetError & { attempts?: number }).attempts ?? 1;
}

export function applyPlan(o: ApplyOptions): Promise<ApplyResult> {
  return new Executor(o).run();
}
