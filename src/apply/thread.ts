/**
 * One planned thread, in dependency order: the label types it needs → its updates (a recorded
 * thread) → its customer, tenant and membership → its import (importThread, carrying its first
 * messages where the target allows), recorded with what it carried, then its fields → the rest of
 * its messages, in batches.
 */
import { attemptsOf } from '../http/runner.js';
import { diffThread, showValue, type AppliedAttributes, type UpdatableAttribute } from '../plan/diff.js';
import type { ThreadPlanItem } from '../plan/types.js';
import { TargetError, type RemoteThread } from '../targets/types.js';
import { messageBase, threadBase, type ApplyContext } from './context.js';
import { DependencyFailed, type Dependencies } from './dependencies.js';
import { cleanup, filesDone, type MessageBatches } from './message-batches.js';
import type { ThreadUpdates } from './updates.js';

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

export class ThreadApplier {
  constructor(
    private readonly ctx: ApplyContext,
    private readonly deps: Dependencies,
    private readonly updates: ThreadUpdates,
    private readonly messages: MessageBatches,
  ) {}

  async apply(planned: ThreadPlanItem): Promise<void> {
    const base = threadBase(planned);
    let item = planned;
    try {
      const { thread, desired } = await this.deps.withLabelTypes(planned);
      item = { ...planned, thread, desired };
    } catch (e) {
      if (e instanceof DependencyFailed) return this.ctx.commit([{ ...base, error: e.asRecorded('label type'), attempts: 0 }]);
      throw e;
    }
    if (item.action !== 'create') {
      if (item.updates.length > 0 || (item.thread.pendingLabelTypes?.length ?? 0) > 0) await this.updates.update(item);
      if (item.send.length === 0) return;
    }
    const t = item.thread;
    const caps = this.ctx.target.capabilities;
    let customerId: string | undefined;
    let tenantId: string | undefined;
    try {
      if (caps.customers === 'upsert') customerId = await this.deps.ensureCustomer(t.customer);
      if (t.tenant && item.action === 'create' && caps.tenants && customerId !== undefined) {
        tenantId = await this.deps.ensureTenant(t.tenant);
        await this.deps.ensureMembership(t.tenant, tenantId, t.customer, customerId);
      }
    } catch (e) {
      if (e instanceof DependencyFailed) {
        await this.ctx.commit([{ ...base, error: e.asRecorded(e.address.startsWith('customer[') ? 'customer' : 'tenant'), attempts: 0 }]);
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
      const prepared = await this.messages.prepare(item, carried, customerId);
      try {
        const ready = prepared.filter((x) => x.m !== undefined);
        const { value, attempts } = await this.ctx.requests.call('importThread', item.address, (signal) =>
          this.ctx.target.importThread(t, customerId, { signal }, tenantId, ready.map((x) => x.m!)),
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
            this.ctx.emit({
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
          return ack ? [{ ...messageBase(item, x.p), targetId: ack.id, result: ack.result, attempts }, ...filesDone(x, ack.id)] : [];
        });
        await this.ctx.commit([{ ...base, targetId: value.id, result: value.result, applied, attempts }, ...acked]);
        threadId = value.id;
        const missing = ready.filter((_, i) => !value.messages?.[i]).map((x) => x.p);
        if (missing.length > 0) {
          if (caps.appends === 'skip') {
            for (const p of missing) this.ctx.emit({ type: 'not-applied', address: p.address, reason: `${caps.displayName} had this thread already, without this message, and appendAs is skip: it is not sent` });
          } else rest = [...missing, ...rest];
        }
      } catch (e) {
        if (e instanceof TargetError) {
          await this.ctx.commit([{ ...base, error: e.recorded, attempts: attemptsOf(e) }]);
          return;
        }
        throw e;
      } finally {
        await cleanup(prepared);
      }
      if (fields && Object.keys(fields).length > 0) await this.updates.setFields(item, threadId!, applied, fields);
    }
    if (!threadId || rest.length === 0) return;
    await this.messages.send(item, threadId, customerId, rest);
  }

  /** A thread the target answered for with an existing one, read back (a TargetError when it cannot be). */
  private async readBack(address: string, threadId: string): Promise<RemoteThread> {
    const r = await this.ctx.requests.call('readThreads', address, (signal) => this.ctx.target.readThreads([threadId], { signal }));
    const remote = r.value[0];
    if (!remote) {
      throw new TargetError({ code: 'not_found', message: `the target answered with thread ${threadId}, which it then could not find; the next apply tries again`, type: 'NOT_FOUND' }, false);
    }
    return remote;
  }
}
