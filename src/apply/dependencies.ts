/**
 * The resources a thread depends on, made sure of before it is imported: customers, tenants, tenant
 * memberships and label types. Each is upserted at most once per run, however many threads need it.
 */
import { hashOf } from '../core/hash.js';
import { customerAddress, customerKey, labelTypeAddress, membershipAddress, tenantAddress, type Customer, type Tenant, type Thread } from '../core/model.js';
import { attemptsOf } from '../http/runner.js';
import { customerHash } from '../plan/plan.js';
import type { ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, RecordedError, ResourceKind } from '../state/types.js';
import { TargetError } from '../targets/types.js';
import type { ApplyContext } from './context.js';

/** A dependency that could not be upserted in this run; what needs it fails with its reason. */
export class DependencyFailed extends Error {
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

export class Dependencies {
  private readonly pending = new Map<string, Promise<string>>();
  private readonly failed = new Map<string, RecordedError>();

  constructor(private readonly ctx: ApplyContext) {}

  /**
   * A resource the thread depends on (customer, tenant, membership, label type): its recorded id,
   * or one request that every thread needing it at the same time waits for. A failure is
   * remembered for the run, so dependants fail at once with the reason.
   */
  private ensure(kind: ResourceKind, address: string, externalId: string, hash: string, operation: string, send: (signal: AbortSignal) => Promise<{ id: string; result: ApplyOutcome['result'] }>): Promise<string> {
    const failed = this.failed.get(address);
    if (failed) return Promise.reject(new DependencyFailed(address, failed));
    let p = this.pending.get(address);
    if (!p) {
      // One look-up and at most one request per address, shared by every thread waiting for it.
      p = (async () => {
        const row = await this.ctx.state.get(address);
        if (row && row.status === 'applied' && row.targetId) return row.targetId;
        try {
          const { value, attempts } = await this.ctx.requests.call(operation, address, send);
          await this.ctx.commit([{ address, kind, externalId, inputHash: hash, targetId: value.id, result: value.result, attempts }]);
          return value.id;
        } catch (e) {
          if (e instanceof TargetError) {
            this.failed.set(address, e.recorded);
            await this.ctx.commit([{ address, kind, externalId, inputHash: hash, error: e.recorded, attempts: attemptsOf(e) }]);
            throw new DependencyFailed(address, e.recorded);
          }
          throw e;
        }
      })().finally(() => this.pending.delete(address));
      this.pending.set(address, p);
    }
    return p;
  }

  ensureCustomer(c: Customer): Promise<string> {
    return this.ensure('customer', customerAddress(c.email), c.email, customerHash(c), 'upsertCustomer', (signal) => this.ctx.target.upsertCustomer(c, { signal }));
  }

  ensureTenant(t: Tenant): Promise<string> {
    return this.ensure('tenant', tenantAddress(t.externalId), t.externalId, hashOf(t), 'upsertTenant', (signal) => this.ctx.target.upsertTenant(t, { signal }));
  }

  ensureMembership(t: Tenant, tenantId: string, c: Customer, customerId: string): Promise<string> {
    const address = membershipAddress(t.externalId, customerKey(c));
    return this.ensure('membership', address, `${t.externalId}/${customerKey(c)}`, hashOf([t.externalId, customerKey(c)]), 'addCustomerToTenants', async (signal) => {
      await this.ctx.target.addCustomerToTenants(customerId, [tenantId], { signal });
      return { id: tenantId, result: 'CREATED' };
    });
  }

  private ensureLabelType(name: string): Promise<string> {
    return this.ensure('label_type', labelTypeAddress(name), name, hashOf(name), 'createLabelType', (signal) => this.ctx.target.createLabelType(name, { signal }));
  }

  /**
   * Label types the plan found missing (createMissingLabelTypes) are created first; the thread and
   * its desired labels then carry their ids.
   */
  async withLabelTypes(item: ThreadPlanItem): Promise<{ thread: Thread; desired: ThreadPlanItem['desired'] }> {
    const names = item.thread.pendingLabelTypes ?? [];
    if (names.length === 0) return { thread: item.thread, desired: item.desired };
    const ids: string[] = [];
    for (const n of names) ids.push(await this.ensureLabelType(n));
    const labelTypeIds = [...new Set([...item.thread.labelTypeIds, ...ids])];
    return { thread: { ...item.thread, labelTypeIds }, desired: { ...item.desired, labels: [...labelTypeIds].sort() } };
  }
}
