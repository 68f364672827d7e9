/**
 * Writes to a thread that is already in the target: a recorded thread's attribute updates (title,
 * priority, status, assignee, labels, fields), and a freshly imported thread's fields. Each write is
 * recorded in state as soon as it succeeds.
 */
import type { Assignee, ThreadFieldValue } from '../core/model.js';
import { attemptsOf } from '../http/runner.js';
import { diffThread, labelKey, type AppliedAttributes, type AttributeChange, type ThreadStatusValue } from '../plan/diff.js';
import type { ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError } from '../state/types.js';
import { TargetError, type RemoteThread } from '../targets/types.js';
import { threadBase, type ApplyContext } from './context.js';

export class ThreadUpdates {
  constructor(
    private readonly ctx: ApplyContext,
    /** Replace attributes that were also changed in the target since the last apply. */
    private readonly overwriteConflicts: boolean,
  ) {}

  /** Records the thread's row in state without counting it (counted once, by the caller). */
  private record(item: ThreadPlanItem, o: Partial<ApplyOutcome> & { attempts: number }): Promise<void> {
    return this.ctx.state.record([{ ...threadBase(item), ...o }], this.ctx.runId);
  }

  /**
   * Update a recorded thread's attributes. The thread is read first: an attribute someone changed in
   * the target since the last apply is a conflict and is left alone unless overwriteConflicts, so
   * that an agent's edit is never overwritten by a plan made without --refresh. Each attribute that
   * succeeds is recorded at once.
   */
  async update(item: ThreadPlanItem): Promise<void> {
    const threadId = item.targetId!;
    const fail = (error: RecordedError, attempts: number) => this.ctx.commit([{ ...threadBase(item), error, attempts }]);
    let remote: RemoteThread | null;
    try {
      const r = await this.ctx.requests.call('readThreads', item.address, (signal) => this.ctx.target.readThreads([threadId], { signal }));
      remote = r.value[0] ?? null;
    } catch (e) {
      if (e instanceof TargetError) return fail(e.recorded, attemptsOf(e));
      throw e;
    }
    if (!remote) {
      this.ctx.emit({ type: 'deleted', address: item.address });
      return fail({ code: 'not_found', message: 'the thread is no longer in the target; it was not updated', type: 'VALIDATION' }, 1);
    }
    let applied: AppliedAttributes = item.applied ?? item.desired;
    const { updates, conflicts } = diffThread(applied, item.desired, remote, this.overwriteConflicts, this.ctx.target.capabilities);
    for (const c of conflicts) {
      if (!item.conflicts.some((k) => k.attribute === c.attribute)) {
        this.ctx.emit({ type: 'not-applied', address: item.address, reason: `${c.attribute} was also changed in the target since the last apply; left as it is there (--overwrite-conflicts to replace it)` });
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
        await this.record(item, { targetId: threadId, result: 'UPDATED', applied, attempts: 0 });
      } catch (e) {
        if (e instanceof TargetError) {
          await fail(e.recorded, attemptsOf(e));
          continue;
        }
        throw e;
      }
    }
    if (done > 0) {
      await this.record(item, { targetId: threadId, result: 'UPDATED', applied, attempts });
      this.ctx.counts.thread.UPDATED++;
      this.ctx.emit({ type: 'resource', kind: 'thread', address: item.address, outcome: 'UPDATED', attempts });
    }
  }

  /** One attribute change: one request, or up to two for labels. Returns the attempts it took. */
  private async change(item: ThreadPlanItem, threadId: string, c: AttributeChange, remote: RemoteThread): Promise<number> {
    const address = item.address;
    const target = this.ctx.target;
    const run = async (op: string, fn: (signal: AbortSignal) => Promise<void>) => (await this.ctx.requests.call(op, address, fn)).attempts;
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
          if (!(key in to)) this.ctx.emit({ type: 'not-applied', address, reason: `thread field ${key} is no longer mapped; its value is left as it is in the target` });
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
          .filter((l) => !to.has(key(l.labelTypeId)) && (this.overwriteConflicts || from.has(key(l.labelTypeId))))
          .map((l) => l.id);
        let n = 0;
        if (add.length > 0) n += await run('addLabels', (signal) => target.addLabels(threadId, add, { signal }));
        if (remove.length > 0) n += await run('removeLabels', (signal) => target.removeLabels(threadId, remove, { signal }));
        return n;
      }
    }
  }

  /** A freshly imported thread's fields, each recorded once written. */
  async setFields(item: ThreadPlanItem, threadId: string, applied: ThreadPlanItem['desired'], fields: Readonly<Record<string, ThreadFieldValue>>): Promise<void> {
    const done: Record<string, ThreadFieldValue> = {};
    for (const [key, v] of Object.entries(fields)) {
      try {
        await this.setField(item, threadId, key, v);
        done[key] = v;
        await this.record(item, { targetId: threadId, result: 'CREATED', applied: { ...applied, fields: { ...done } }, attempts: 0 });
      } catch (e) {
        if (!(e instanceof TargetError)) throw e;
        await this.record(item, { error: e.recorded, attempts: attemptsOf(e) });
        this.ctx.emit({ type: 'not-applied', address: item.address, reason: `thread field ${key} could not be set: ${e.recorded.message}; the next apply tries again` });
      }
    }
  }

  private async setField(item: ThreadPlanItem, threadId: string, key: string, v: ThreadFieldValue): Promise<number> {
    const type = item.thread.fieldTypes?.[key];
    if (!type) throw new TargetError({ code: 'field_type_unknown', message: `the plan has no type for thread field ${key}; plan again`, type: 'VALIDATION' }, false);
    const { attempts } = await this.ctx.requests.call('upsertThreadField', item.address, (signal) => this.ctx.target.setThreadField(threadId, key, type, v, { signal }));
    return attempts;
  }
}
