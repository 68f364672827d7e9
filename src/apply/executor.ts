/**
 * apply/: execute a plan stream against a target. Per thread, in dependency order: customers
 * (upsertCustomer) → the thread (importThread) → its messages (importThreadMessages, oldest first, in
 * batches). Threads run concurrently up to `concurrency`, each with one request in flight, so at most
 * `concurrency` requests are in flight. Every acknowledged result is committed to state before it is
 * counted. The executor emits events and never prints.
 */
import { AttachmentError, attachmentTypeFor, DEFAULT_MAX_BYTES, fetchToTempFile, skipNote, uploadToForm, withSkipNotes } from '../attachments/index.js';
import { hashOf } from '../core/hash.js';
import {
  attachmentAddress,
  customerAddress,
  customerKey,
  labelTypeAddress,
  membershipAddress,
  tenantAddress,
  type Assignee,
  type Customer,
  type MessageAttachment,
  type Tenant,
  type Thread,
  type ThreadFieldValue,
} from '../core/model.js';
import type { AttachmentsDecl, BatchingDecl } from '../manifest/types.js';
import { diffThread, labelKey, showValue, type AppliedAttributes, type AttributeChange, type ThreadStatusValue, type UpdatableAttribute } from '../plan/diff.js';
import { customerHash } from '../plan/plan.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { PlanItem, PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError, ResourceKind, StateStore } from '../state/types.js';
import { TargetError, type LocalFile, type MessageToSend, type RemoteThread, type Target } from '../targets/types.js';
import { emptyCounts, type ApplyEvent, type Counts } from './events.js';
import { backoffDelay, type Clock } from '../http/ratelimit.js';
import { attemptsOf, RequestRunner, Stopped } from '../http/runner.js';

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
  /** Where message attachments come from (needed when messages have attachments). */
  readonly attachments?: AttachmentOptions;
}

export interface AttachmentOptions extends Partial<AttachmentsDecl> {
  /** Relative attachment paths are inside this directory (the manifest's). */
  readonly manifestDir: string;
  /** Per fetch and per upload. */
  readonly timeoutMs: number;
}

/** An uploaded file is reused only while Plain keeps it unreferenced (24 h), with an hour to spare. */
const UPLOAD_REUSE_MS = 23 * 60 * 60 * 1000;

export interface ApplyResult {
  readonly counts: Counts;
  readonly stopped: boolean;
  /** A failure that stopped the whole run (e.g. HTTP 401). */
  readonly fatal?: RecordedError;
  readonly requests: Record<string, number>;
  readonly invalid: number;
}

/**
 * What state records for a thread the target had already: its updatable attributes as the target
 * has them (so that the next plan shows each difference from the export as an update), the rest as
 * the export says.
 */
export function appliedFromRemote(desired: AppliedAttributes, remote: RemoteThread, updatable: readonly UpdatableAttribute[]): AppliedAttributes {
  const out: Record<string, unknown> = { ...desired };
  for (const a of updatable) {
    if (a === 'fields') continue; // set after the import in any case
    const v = (remote as unknown as Record<string, unknown>)[a];
    if (v !== undefined) out[a] = a === 'labels' ? [...(v as string[])].sort() : v;
  }
  return out as unknown as AppliedAttributes;
}

export class Executor {
  private readonly counts = emptyCounts();
  private readonly requests: RequestRunner;

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

  private readonly pending = new Map<string, Promise<string>>();
  private readonly failed = new Map<string, RecordedError>();

  /**
   * A resource the thread depends on (customer, tenant, membership, label type): its recorded id,
   * or one request that every thread needing it at the same time waits for. A failure is
   * remembered for the run, so dependants fail at once with the reason.
   */
  private ensure(kind: ResourceKind, address: string, externalId: string, hash: string, operation: string, send: (signal: AbortSignal) => Promise<{ id: string; result: ApplyOutcome['result'] }>): Promise<string> {
    const failed = this.failed.get(address);
    if (failed) return Promise.reject(new DependencyFailed(address, failed));
    const row = this.o.state.get(address);
    if (row && row.status === 'applied' && row.targetId) return Promise.resolve(row.targetId);
    let p = this.pending.get(address);
    if (!p) {
      p = (async () => {
        try {
          const { value, attempts } = await this.call(operation, address, send);
          this.commit([{ address, kind, externalId, inputHash: hash, targetId: value.id, result: value.result, attempts }]);
          return value.id;
        } catch (e) {
          if (e instanceof TargetError) {
            this.failed.set(address, e.recorded);
            this.commit([{ address, kind, externalId, inputHash: hash, error: e.recorded, attempts: attemptsOf(e) }]);
            throw new DependencyFailed(address, e.recorded);
          }
          throw e;
        }
      })().finally(() => this.pending.delete(address));
      this.pending.set(address, p);
    }
    return p;
  }

  private ensureCustomer(c: Customer): Promise<string> {
    return this.ensure('customer', customerAddress(c.email), c.email, customerHash(c), 'upsertCustomer', (signal) => this.o.target.upsertCustomer(c, { signal }));
  }

  private ensureTenant(t: Tenant): Promise<string> {
    return this.ensure('tenant', tenantAddress(t.externalId), t.externalId, hashOf(t), 'upsertTenant', (signal) => this.o.target.upsertTenant(t, { signal }));
  }

  private ensureMembership(t: Tenant, tenantId: string, c: Customer, customerId: string): Promise<string> {
    const address = membershipAddress(t.externalId, customerKey(c));
    return this.ensure('membership', address, `${t.externalId}/${customerKey(c)}`, hashOf([t.externalId, customerKey(c)]), 'addCustomerToTenants', async (signal) => {
      await this.o.target.addCustomerToTenants(customerId, [tenantId], { signal });
      return { id: tenantId, result: 'CREATED' };
    });
  }

  private ensureLabelType(name: string): Promise<string> {
    return this.ensure('label_type', labelTypeAddress(name), name, hashOf(name), 'createLabelType', (signal) => this.o.target.createLabelType(name, { signal }));
  }

  /**
   * Label types the plan found missing (createMissingLabelTypes) are created first; the thread and
   * its desired labels then carry their ids.
   */
  private async withLabelTypes(item: ThreadPlanItem): Promise<{ thread: Thread; desired: ThreadPlanItem['desired'] }> {
    const names = item.thread.pendingLabelTypes ?? [];
    if (names.length === 0) return { thread: item.thread, desired: item.desired };
    const ids: string[] = [];
    for (const n of names) ids.push(await this.ensureLabelType(n));
    const labelTypeIds = [...new Set([...item.thread.labelTypeIds, ...ids])];
    return { thread: { ...item.thread, labelTypeIds }, desired: { ...item.desired, labels: [...labelTypeIds].sort() } };
  }

  /** What the plan found and will not do, said once per thread. */
  private notes(item: ThreadPlanItem): void {
    const say = (reason: string) => this.o.emit({ type: 'not-applied', address: item.address, reason });
    for (const c of item.conflicts) say(`${c.attribute} was also changed in the target since the last apply; left as it is there (--overwrite-conflicts to replace it)`);
    for (const f of item.frozen) say(`${f.attribute} cannot be changed after import; the source now says ${JSON.stringify(f.to)}`);
    for (const m of item.changedMessages) say(`${m} changed in the source; an imported message's text, author and time cannot be changed`);
    for (const m of item.orphanMessages) this.o.emit({ type: 'orphan', address: m });
  }

  private async thread(planned: ThreadPlanItem): Promise<void> {
    const base = { address: planned.address, kind: 'thread' as const, externalId: planned.thread.externalId, inputHash: planned.hash };
    let item = planned;
    try {
      const { thread, desired } = await this.withLabelTypes(planned);
      item = { ...planned, thread, desired };
    } catch (e) {
      if (e instanceof DependencyFailed) return this.commit([{ ...base, error: e.asRecorded('label type'), attempts: 0 }]);
      throw e;
    }
    if (item.action !== 'create') {
      if (item.updates.length > 0 || (item.thread.pendingLabelTypes?.length ?? 0) > 0) await this.update(item);
      if (item.send.length === 0) return;
    }
    const t = item.thread;
    const caps = this.o.target.capabilities;
    let customerId: string | undefined;
    let tenantId: string | undefined;
    try {
      if (caps.customers === 'upsert') customerId = await this.ensureCustomer(t.customer);
      if (t.tenant && item.action === 'create' && caps.tenants && customerId !== undefined) {
        tenantId = await this.ensureTenant(t.tenant);
        await this.ensureMembership(t.tenant, tenantId, t.customer, customerId);
      }
    } catch (e) {
      if (e instanceof DependencyFailed) {
        this.commit([{ ...base, error: e.asRecorded(e.address.startsWith('customer[') ? 'customer' : 'tenant'), attempts: 0 }]);
        return;
      }
      throw e;
    }
    let threadId = item.targetId;
    let rest = item.send;
    if (item.action === 'create') {
      // The messages the import itself carries (none for a target that imports them separately).
      const carried = item.send.slice(0, caps.messagesInImport);
      rest = item.send.slice(carried.length);
      // Thread fields are written after the import: until they are, state records the thread without them.
      const { fields, ...withoutFields } = item.desired;
      let applied: AppliedAttributes = withoutFields;
      const prepared = await this.prepare(item, carried, customerId);
      try {
        const ready = prepared.filter((x) => x.m !== undefined);
        const { value, attempts } = await this.call('importThread', item.address, (signal) =>
          this.o.target.importThread(t, customerId, { signal }, tenantId, ready.map((x) => x.m!)),
        );
        if (value.result === 'NOOP') {
          // The target had this thread already: an import it committed whose answer never reached
          // state (a kill, retries used up, a state file lost). It holds what that import carried,
          // from an export that may have changed since, and agents may have changed it since. It is
          // read, and its attributes are recorded as they are there: apply changes nothing its plan
          // did not show, and the next plan shows each difference from the export as an update.
          const remote = value.remote ?? (await this.readBack(item.address, value.id));
          applied = appliedFromRemote(withoutFields, remote, caps.updatable);
          for (const u of diffThread(applied, withoutFields, remote, false, caps).updates) {
            this.o.emit({
              type: 'not-applied',
              address: item.address,
              reason: `${u.attribute} in ${caps.displayName}: ${showValue(u.from)}; in the export: ${showValue(u.to)}. The thread was there already (imported by an earlier apply that did not record it): the next plan shows the update`,
            });
          }
        }
        // The thread and the messages its import carried, in one write: a crash between two writes
        // would leave the messages unrecorded, and the next apply would send them again. A message
        // without an ack (an existing thread that does not have it) is not recorded: it is appended.
        const acked = ready.flatMap((x, i) => {
          const ack = value.messages?.[i];
          return ack ? [{ ...this.messageBase(item, x.p), targetId: ack.id, result: ack.result, attempts }, ...this.filesDone(x, ack.id)] : [];
        });
        this.commit([{ ...base, targetId: value.id, result: value.result, applied, attempts }, ...acked]);
        threadId = value.id;
        const missing = ready.filter((_, i) => !value.messages?.[i]).map((x) => x.p);
        if (missing.length > 0) {
          if (caps.appends === 'skip') {
            for (const p of missing) this.o.emit({ type: 'not-applied', address: p.address, reason: `${caps.displayName} had this thread already, without this message, and appendAs is skip: it is not sent` });
          } else rest = [...missing, ...rest];
        }
      } catch (e) {
        if (e instanceof TargetError) {
          this.commit([{ ...base, error: e.recorded, attempts: attemptsOf(e) }]);
          return;
        }
        throw e;
      } finally {
        await cleanup(prepared);
      }
      if (fields && Object.keys(fields).length > 0) await this.setFields(item, threadId!, applied, fields);
    }
    if (!threadId || rest.length === 0) return;
    await this.messages(item, threadId, customerId, rest);
  }

  /** A freshly imported thread's fields, each recorded once written. */
  private async setFields(item: ThreadPlanItem, threadId: string, applied: ThreadPlanItem['desired'], fields: Readonly<Record<string, ThreadFieldValue>>): Promise<void> {
    const record = (o: Partial<ApplyOutcome> & { attempts: number }) =>
      this.o.state.record([{ address: item.address, kind: 'thread', externalId: item.thread.externalId, inputHash: item.hash, ...o }], this.o.runId);
    const done: Record<string, ThreadFieldValue> = {};
    for (const [key, v] of Object.entries(fields)) {
      try {
        await this.setField(item, threadId, key, v);
        done[key] = v;
        record({ targetId: threadId, result: 'CREATED', applied: { ...applied, fields: { ...done } }, attempts: 0 });
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        record({ error: e.recorded, attempts: attemptsOf(e) });
        this.o.emit({ type: 'not-applied', address: item.address, reason: `thread field ${key} could not be set: ${e.recorded.message}; the next apply tries again` });
      }
    }
  }

  private async setField(item: ThreadPlanItem, threadId: string, key: string, v: ThreadFieldValue): Promise<number> {
    const type = item.thread.fieldTypes?.[key];
    if (!type) throw new TargetError({ code: 'field_type_unknown', message: `the plan has no type for thread field ${key}; plan again`, type: 'VALIDATION' }, false);
    const { attempts } = await this.call('upsertThreadField', item.address, (signal) => this.o.target.setThreadField(threadId, key, type, v, { signal }));
    return attempts;
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
    const { updates, conflicts } = diffThread(applied, item.desired, remote, !!this.o.overwriteConflicts, this.o.target.capabilities);
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
        attempts += await this.change(item, threadId, change, remote);
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

  /** A thread the target answered for with an existing one, read back (a TargetError when it cannot be). */
  private async readBack(address: string, threadId: string): Promise<RemoteThread> {
    const r = await this.call('readThreads', address, (signal) => this.o.target.readThreads([threadId], { signal }));
    const remote = r.value[0];
    if (!remote) {
      throw new TargetError({ code: 'not_found', message: `the target answered with thread ${threadId}, which it then could not find; the next apply tries again`, type: 'NOT_FOUND' }, false);
    }
    return remote;
  }

  /** One attribute change: one request, or up to two for labels. Returns the attempts it took. */
  private async change(item: ThreadPlanItem, threadId: string, c: AttributeChange, remote: RemoteThread): Promise<number> {
    const address = item.address;
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
      case 'fields': {
        const to = (c.to ?? {}) as Record<string, ThreadFieldValue>;
        const from = (c.from ?? {}) as Record<string, ThreadFieldValue>;
        const now = (remote.fields ?? {}) as Record<string, ThreadFieldValue>;
        let n = 0;
        for (const [key, v] of Object.entries(to)) {
          if (now[key] === v) continue;
          n += await this.setField(item, threadId, key, v);
        }
        for (const key of Object.keys(from)) {
          if (!(key in to)) this.o.emit({ type: 'not-applied', address, reason: `thread field ${key} is no longer mapped; its value is left as it is in the target` });
        }
        return n;
      }
      case 'labels': {
        const key = labelKey(target.capabilities);
        const to = new Set((c.to as string[]).map(key));
        const from = new Set((c.from as string[]).map(key));
        const present = new Set(remote.labels.map(key));
        const add = (c.to as string[]).filter((x) => !present.has(key(x)));
        // Only labels this migration put there are removed, unless conflicts are overwritten.
        const remove = remote.labelIds
          .filter((l) => !to.has(key(l.labelTypeId)) && (this.o.overwriteConflicts || from.has(key(l.labelTypeId))))
          .map((l) => l.id);
        let n = 0;
        if (add.length > 0) n += await run('addLabels', (signal) => target.addLabels(threadId, add, { signal }));
        if (remove.length > 0) n += await run('removeLabels', (signal) => target.removeLabels(threadId, remove, { signal }));
        return n;
      }
    }
  }

  private async messages(item: ThreadPlanItem, threadId: string, threadCustomerId: string | undefined, send: readonly PlannedMessage[]): Promise<void> {
    const size = Math.min(this.o.batching.messagesPerRequest, this.o.target.maxMessagesPerCall);
    const pending = [...send];
    while (pending.length > 0) {
      const batch = pending.splice(0, size);
      await this.batch(item, threadId, threadCustomerId, batch);
    }
  }

  private messageBase(item: ThreadPlanItem, p: PlannedMessage) {
    return { address: p.address, kind: 'message' as const, parent: item.address, externalId: p.message.externalId, inputHash: p.hash };
  }

  /** The author's customer id, for targets whose customers are upserted; agents are sent as they are. */
  private async authorFor(p: PlannedMessage, threadCustomerId: string | undefined): Promise<MessageToSend> {
    const a = p.message.author;
    if (a.kind !== 'customer' || threadCustomerId === undefined) return { message: p.message };
    return { message: p.message, customerId: a.customer ? await this.ensureCustomer(a.customer) : threadCustomerId };
  }

  /**
   * Messages made ready to send: their author's customer upserted and their files carried. A message
   * that cannot be sent is recorded as failed here (its `m` is undefined). The fetched files of
   * 'in-request' uploads stay on disk until `cleanup`.
   */
  private async prepare(item: ThreadPlanItem, messages: readonly PlannedMessage[], threadCustomerId: string | undefined): Promise<Prepared[]> {
    const out: Prepared[] = [];
    const failures: ApplyOutcome[] = [];
    for (const p of messages) {
      let m: MessageToSend;
      try {
        m = await this.authorFor(p, threadCustomerId);
      } catch (e) {
        if (!(e instanceof DependencyFailed)) throw e;
        failures.push({ ...this.messageBase(item, p), error: e.asRecorded('author'), attempts: 0 });
        out.push({ p, files: [] });
        continue;
      }
      const x = await this.withAttachments(item, p, m, threadCustomerId);
      if ('error' in x) {
        failures.push({ ...this.messageBase(item, p), error: x.error, attempts: x.attempts });
        out.push({ p, files: x.files });
      } else out.push({ p, m: x.m, files: x.files });
    }
    this.commit(failures);
    return out;
  }

  /** The state rows of files a target uploaded as part of the request that carried their message. */
  private filesDone(x: Prepared, messageId: string): ApplyOutcome[] {
    return x.files.map((f) => ({ ...f.base, targetId: `${messageId}/${f.index}`, result: 'CREATED' as const, applied: { sha256: f.local.sha256, size: f.local.size }, attempts: 1 }));
  }

  /**
   * A message's files. 'separate' uploads: each uploaded just before the batch that references it,
   * fetched to a temporary file, given an upload URL under the thread's customer, posted, and recorded
   * per file, so that a resumed apply reuses an upload (while the target keeps it) instead of sending
   * it twice. 'in-request' uploads: fetched only; the target uploads them with every attempt of the
   * request. A file that cannot be carried is left out with a line in the text (attachments.onSkip:
   * note) or fails the message (onSkip: fail).
   */
  private async withAttachments(
    item: ThreadPlanItem,
    p: PlannedMessage,
    m: MessageToSend,
    customerId: string | undefined,
  ): Promise<{ m: MessageToSend; files: PreparedFile[] } | { error: RecordedError; attempts: number; files: PreparedFile[] }> {
    const specs = p.message.attachments ?? [];
    if (specs.length === 0) return { m, files: [] };
    const inRequest = this.o.target.capabilities.uploads === 'in-request';
    const ids: string[] = [];
    const files: PreparedFile[] = [];
    const notes: string[] = [];
    let attempts = 0;
    for (let i = 0; i < specs.length; i++) {
      const spec = specs[i]!;
      const r = inRequest ? await this.fetchFile(item, p, spec, i) : await this.attachment(item, p, spec, i, customerId);
      attempts += r.attempts;
      if ('local' in r) files.push(r);
      else if ('id' in r) ids.push(r.id);
      else if (this.o.attachments?.onSkip === 'fail') {
        return { error: { code: 'attachment_failed', message: `attachment ${spec.fileName}: ${r.reason} (attachments.onSkip: fail)`, type: 'ATTACHMENT' }, attempts, files };
      } else {
        // The note in the target names the file and a fixed phrase for the cause, never a URL (they can carry tokens).
        notes.push(skipNote(spec.fileName, r.cause));
        this.o.emit({ type: 'not-applied', address: p.address, reason: `attachment ${spec.fileName} skipped: ${r.reason}` });
      }
    }
    const text = withSkipNotes(p.message.text, notes, this.o.target.capabilities.bodies);
    const message = { ...p.message, text };
    return inRequest ? { m: { ...m, message, files: files.map((f) => f.local) }, files } : { m: { ...m, message, attachmentIds: ids }, files };
  }

  /** The largest file this message may carry: the target's limit for its type and the manifest's. */
  private maxBytes(p: PlannedMessage): number {
    return this.o.target.capabilities.maxFileBytes(p.message.type, this.o.attachments?.maxBytes ?? DEFAULT_MAX_BYTES);
  }

  /** A file fetched to a temporary file for a target that uploads it with its request. */
  private async fetchFile(item: ThreadPlanItem, p: PlannedMessage, spec: MessageAttachment, index: number): Promise<(PreparedFile | { reason: string; cause: AttachmentError | string }) & { attempts: number }> {
    const address = attachmentAddress(item.thread.externalId, p.message.externalId, index);
    const base = { address, kind: 'attachment' as const, parent: p.address, externalId: `${p.message.externalId}/${index}`, inputHash: hashOf(spec) };
    const opts = this.o.attachments;
    if (!opts) throw new Error('apply: messages have attachments but no attachment options were given');
    let attempts = 0;
    try {
      const fetched = await this.retrying(address, () => {
        attempts++;
        return fetchToTempFile(spec, { manifestDir: opts.manifestDir, fetchRules: opts.fetch, maxBytes: this.maxBytes(p), timeoutMs: opts.timeoutMs, signal: this.o.cancel });
      });
      const local: LocalFile = {
        path: fetched.file,
        size: fetched.size,
        sha256: fetched.sha256,
        fileName: spec.fileName,
        ...(spec.contentType !== undefined ? { contentType: spec.contentType } : {}),
        ...(spec.inline !== undefined ? { inline: spec.inline } : {}),
        ...(spec.contentId !== undefined ? { contentId: spec.contentId } : {}),
      };
      return { base, index, local, cleanup: fetched.cleanup, attempts };
    } catch (e) {
      if (e instanceof AttachmentError && e.code === 'aborted') throw new Stopped();
      if (e instanceof AttachmentError) {
        this.commit([{ ...base, error: { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' }, attempts }]);
        return { reason: e.message, cause: e, attempts };
      }
      throw e;
    }
  }

  private async attachment(
    item: ThreadPlanItem,
    p: PlannedMessage,
    spec: MessageAttachment,
    index: number,
    customerId: string | undefined,
  ): Promise<({ id: string } | { reason: string; cause: AttachmentError | string }) & { attempts: number }> {
    const address = attachmentAddress(item.thread.externalId, p.message.externalId, index);
    const row = this.o.state.get(address);
    const uploadedAt = (row?.applied as { uploadedAt?: number } | null)?.uploadedAt;
    if (row?.status === 'applied' && row.targetId && row.inputHash === hashOf(spec) && uploadedAt !== undefined && this.requests.clock.now() - uploadedAt < UPLOAD_REUSE_MS) {
      return { id: row.targetId, attempts: 0 };
    }
    const f = await this.fetchFile(item, p, spec, index);
    if (!('local' in f)) return f;
    const { base, local: fetched } = f;
    let attempts = f.attempts;
    const fail = (reason: string, error: RecordedError, cause: AttachmentError | string) => {
      this.commit([{ ...base, error, attempts }]);
      return { reason, cause, attempts };
    };
    try {
      let ticket;
      try {
        const r = await this.call('createAttachmentUploadUrl', address, (signal) =>
          this.o.target.createAttachmentUploadUrl(customerId ?? '', spec.fileName, fetched.size, attachmentTypeFor(p.message.type), { signal }),
        );
        attempts += r.attempts;
        ticket = r.value;
      } catch (e) {
        if (e instanceof TargetError) {
          attempts += attemptsOf(e);
          return fail(e.recorded.message, e.recorded, e.recorded.message);
        }
        throw e;
      }
      try {
        await this.retrying(address, () =>
          uploadToForm({
            uploadFormUrl: ticket.uploadFormUrl,
            uploadFormData: ticket.uploadFormData,
            file: fetched.path,
            fileName: spec.fileName,
            contentType: spec.contentType,
            size: fetched.size,
            signal: this.o.cancel,
            timeoutMs: this.o.attachments!.timeoutMs * 10,
          }),
        );
      } catch (e) {
        if (e instanceof AttachmentError && e.code === 'aborted') throw new Stopped();
        if (e instanceof AttachmentError) return fail(`the upload failed: ${e.message}`, { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' }, e);
        throw e;
      }
      this.commit([{ ...base, targetId: ticket.attachmentId, result: 'CREATED', applied: { sha256: fetched.sha256, size: fetched.size, uploadedAt: this.requests.clock.now() }, attempts }]);
      return { id: ticket.attachmentId, attempts };
    } finally {
      await f.cleanup();
    }
  }

  /** Fetches and uploads are not Plain requests: retried here, with the same backoff, outside the rate limit. */
  private async retrying<T>(address: string, fn: () => Promise<T>): Promise<T> {
    const max = Math.max(1, this.o.batching.maxAttempts);
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new Stopped();
      try {
        return await fn();
      } catch (e) {
        if (!(e instanceof AttachmentError) || !e.retryable || attempt >= max || this.stopping) throw e;
        const delay = Math.max(e.retryAfterMs ?? 0, backoffDelay(attempt, this.requests.random));
        this.o.emit({ type: 'retry', operation: 'attachment', address, attempt, delayMs: delay, error: { code: `attachment_${e.code}`, message: e.message, type: 'ATTACHMENT' } });
        await this.requests.sleep(delay);
      }
    }
  }

  /** One batch; messages that fail with a retryable per-message error are sent again, alone with the other such ones. */
  private async batch(item: ThreadPlanItem, threadId: string, threadCustomerId: string | undefined, batch: PlannedMessage[]): Promise<void> {
    let todo = batch;
    const tries = new Map<string, number>();
    while (todo.length > 0) {
      const prepared = await this.prepare(item, todo, threadCustomerId);
      try {
        const toSend = prepared.filter((x) => x.m !== undefined);
        if (toSend.length === 0) return;
        let results;
        let attempts: number;
        try {
          const r = await this.call('importThreadMessages', item.address, (signal) =>
            this.o.target.importMessages(threadId, toSend.map((s) => s.m!), { signal }),
          );
          results = r.value;
          attempts = r.attempts;
        } catch (e) {
          if (e instanceof TargetError) {
            this.commit(toSend.map(({ p }) => ({ ...this.messageBase(item, p), error: e.recorded, attempts: attemptsOf(e) })));
            return;
          }
          throw e;
        }
        const done: ApplyOutcome[] = [];
        const again: PlannedMessage[] = [];
        toSend.forEach((x, i) => {
          const { p } = x;
          const r = results[i]!;
          const n = (tries.get(p.address) ?? 0) + attempts;
          tries.set(p.address, n);
          if (r.ok) done.push({ ...this.messageBase(item, p), targetId: r.ack.id, result: r.ack.result, attempts: n }, ...this.filesDone(x, r.ack.id));
          else if (r.retryable && n < this.o.batching.maxAttempts && !this.stopping) again.push(p);
          else done.push({ ...this.messageBase(item, p), error: r.error, attempts: n });
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
      } finally {
        await cleanup(prepared);
      }
    }
  }
}

/** A message made ready to send (`m` undefined: it failed and was recorded so). */
interface Prepared {
  readonly p: PlannedMessage;
  readonly m?: MessageToSend;
  readonly files: readonly PreparedFile[];
}

/** A file fetched for a target that uploads it with the request ('in-request'). */
interface PreparedFile {
  readonly base: { address: string; kind: 'attachment'; parent: string; externalId: string; inputHash: string };
  readonly index: number;
  readonly local: LocalFile;
  readonly cleanup: () => Promise<void>;
}

async function cleanup(prepared: readonly Prepared[]): Promise<void> {
  for (const x of prepared) for (const f of x.files) await f.cleanup();
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
