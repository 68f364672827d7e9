/** Folds plan items into the counts and lists that `plan` prints and `apply` shows before it starts. */
import { createHash, type Hash } from 'node:crypto';
import { canonicalJson } from '../core/hash.js';
import type { InvalidRecord, MappingNote } from '../mapping/map.js';
import type { UnresolvedAgent } from '../mapping/resolve.js';
import type { UpdatableAttribute } from './diff.js';
import type { Listed, PlanItem, PlanSummary, UnmappedValue } from './types.js';

const MAX_LISTED = 10_000;

class ListBuilder<T> {
  private readonly items: T[] = [];
  private more = 0;
  add(x: T): void {
    if (this.items.length < MAX_LISTED) this.items.push(x);
    else this.more++;
  }
  done(): Listed<T> {
    return { items: this.items, more: this.more };
  }
}

/** Requests an attribute update takes at the least (labels: add and/or remove, with a look-up for removals). */
function updateRequests(attribute: UpdatableAttribute, from: unknown, to: unknown): number {
  if (attribute === 'fields') {
    const a = (from ?? {}) as Record<string, unknown>;
    return Object.entries((to ?? {}) as Record<string, unknown>).filter(([k, v]) => a[k] !== v).length;
  }
  if (attribute !== 'labels') return 1;
  const a = new Set(Array.isArray(from) ? (from as string[]) : []);
  const b = new Set(Array.isArray(to) ? (to as string[]) : []);
  const adds = [...b].some((x) => !a.has(x)) ? 1 : 0;
  const removes = [...a].some((x) => !b.has(x)) ? 2 : 0;
  return adds + removes;
}

export class PlanTally {
  private readonly threads = { create: 0, update: 0, append: 0, appendTo: 0, noop: 0, invalid: 0, filtered: 0, orphan: 0, deleted: 0 };
  private readonly creates = new ListBuilder<{ address: string; messages: number }>();
  private readonly appends = new ListBuilder<{ address: string; messages: number }>();
  private readonly newCustomers = new ListBuilder<string>();
  private readonly digest: Hash = createHash('sha256');
  private readonly messages = { create: 0, append: 0, noop: 0, invalid: 0, changed: 0, orphan: 0, skipped: 0 };
  private readonly customers = { upsert: 0 };
  private readonly attributes: Partial<Record<UpdatableAttribute, number>> = {};
  private readonly frozen: Record<string, number> = {};
  private readonly minimumRequests = {
    upsertCustomer: 0,
    importThread: 0,
    importThreadMessages: 0,
    updates: 0,
    createLabelType: 0,
    upsertTenant: 0,
    addCustomerToTenants: 0,
    upsertThreadField: 0,
    createAttachmentUploadUrl: 0,
  };
  private readonly newLabelTypes = new ListBuilder<string>();
  private readonly notes = new ListBuilder<MappingNote>();
  private readonly tenants = { upsert: 0, join: 0 };
  private readonly attachments = { upload: 0 };
  private readonly invalid = new ListBuilder<InvalidRecord>();
  private readonly updates = new ListBuilder<PlanSummary['updates']['items'][number]>();
  private readonly conflicts = new ListBuilder<PlanSummary['conflicts']['items'][number]>();
  private readonly frozenList = new ListBuilder<PlanSummary['frozenList']['items'][number]>();
  private readonly changedMessages = new ListBuilder<string>();
  private readonly orphans = new ListBuilder<string>();
  private readonly deleted = new ListBuilder<string>();

  /**
   * `messagesPerRequest`: the batch size of message imports. `messagesInImport`: how many of a new
   * thread's messages its import carries (no request of their own).
   */
  constructor(
    private readonly messagesPerRequest: number,
    private readonly messagesInImport = 0,
  ) {}

  /** What an item will make apply do, for the digest: actions, never free text. */
  private fold(item: PlanItem): void {
    // A thread with nothing to do is folded by its address alone, whether the plan cache skipped its mapping or not.
    const essential =
      item.kind === 'unchanged' || (item.kind === 'thread' && item.action === 'noop')
        ? { k: 'noop', address: item.address }
        : item.kind === 'thread'
        ? {
            k: 'thread',
            a: item.action,
            address: item.address,
            hash: item.hash,
            send: item.send.map((m) => [m.address, m.hash]),
            updates: item.updates,
            customers: item.newCustomers.map((c) => c.email.toLowerCase()),
            labelTypes: item.newLabelTypes,
            tenants: item.newTenants,
          }
        : item.kind === 'invalid'
          ? { k: 'invalid', address: item.invalid.address, reasons: item.invalid.reasons }
          : { k: item.kind, address: item.address };
    this.digest.update(canonicalJson(essential));
    this.digest.update('\n');
  }

  add(item: PlanItem): void {
    this.fold(item);
    switch (item.kind) {
      case 'invalid':
        this.threads.invalid++;
        this.invalid.add(item.invalid);
        return;
      case 'orphan':
        this.threads.orphan++;
        this.orphans.add(item.address);
        return;
      case 'deleted':
        this.threads.deleted++;
        this.deleted.add(item.address);
        return;
      case 'unchanged':
        this.threads.noop++;
        this.messages.noop += item.messages;
        return;
      case 'thread':
        break;
    }
    const { threads, messages, minimumRequests } = this;
    threads[item.action]++;
    if (item.action === 'create') {
      messages.create += item.send.length;
      this.creates.add({ address: item.address, messages: item.send.length });
    } else if (item.send.length > 0) {
      messages.append += item.send.length;
      threads.appendTo++;
      this.appends.add({ address: item.address, messages: item.send.length });
    }
    messages.noop += item.recordedMessages;
    messages.invalid += item.invalidMessages.length;
    for (const m of item.invalidMessages) this.invalid.add(m);
    for (const u of item.updates) {
      this.attributes[u.attribute] = (this.attributes[u.attribute] ?? 0) + 1;
      this.updates.add({ address: item.address, change: u });
      minimumRequests.updates += updateRequests(u.attribute, u.from, u.to);
    }
    for (const c of item.conflicts) this.conflicts.add({ address: item.address, change: c });
    for (const f of item.frozen) {
      this.frozen[f.attribute] = (this.frozen[f.attribute] ?? 0) + 1;
      this.frozenList.add({ address: item.address, change: f });
    }
    messages.changed += item.changedMessages.length;
    for (const m of item.changedMessages) this.changedMessages.add(m);
    messages.orphan += item.orphanMessages.length;
    for (const m of item.orphanMessages) this.orphans.add(m);
    this.customers.upsert += item.newCustomers.length;
    for (const c of item.newCustomers) this.newCustomers.add(c.email.toLowerCase());
    minimumRequests.upsertCustomer += item.newCustomers.length;
    if (item.action === 'create') minimumRequests.importThread++;
    const carried = item.action === 'create' ? Math.min(this.messagesInImport, item.send.length) : 0;
    minimumRequests.importThreadMessages += Math.ceil((item.send.length - carried) / this.messagesPerRequest);
    messages.skipped += item.skippedMessages?.length ?? 0;
    for (const n of item.newLabelTypes) this.newLabelTypes.add(n);
    minimumRequests.createLabelType += item.newLabelTypes.length;
    this.tenants.upsert += item.newTenants.length;
    this.tenants.join += item.newMemberships.length;
    minimumRequests.upsertTenant += item.newTenants.length;
    minimumRequests.addCustomerToTenants += item.newMemberships.length;
    if (item.action === 'create') minimumRequests.upsertThreadField += Object.keys(item.thread.fields ?? {}).length;
    const files = item.send.reduce((n, m) => n + (m.message.attachments?.length ?? 0), 0);
    this.attachments.upload += files;
    minimumRequests.createAttachmentUploadUrl += files;
    for (const n of item.notes) this.notes.add(n);
  }

  summary(filtered: number, unmapped: readonly UnmappedValue[], unresolvedAgents: readonly UnresolvedAgent[] = []): PlanSummary {
    return {
      threads: { ...this.threads, filtered },
      messages: { ...this.messages },
      customers: { ...this.customers },
      attributes: { ...this.attributes },
      frozen: { ...this.frozen },
      invalid: this.invalid.done(),
      creates: this.creates.done(),
      appends: this.appends.done(),
      newCustomers: this.newCustomers.done(),
      updates: this.updates.done(),
      conflicts: this.conflicts.done(),
      frozenList: this.frozenList.done(),
      changedMessages: this.changedMessages.done(),
      orphans: this.orphans.done(),
      deleted: this.deleted.done(),
      unmapped,
      unresolvedAgents: unresolvedAgents.map((a) => ({ ...a })),
      labelTypes: { create: this.minimumRequests.createLabelType },
      newLabelTypes: this.newLabelTypes.done(),
      tenants: { ...this.tenants },
      attachments: { ...this.attachments },
      notes: this.notes.done(),
      minimumRequests: { ...this.minimumRequests },
      digest: this.digest.copy().digest('hex'),
    };
  }
}

/**
 * What `--strict` refuses, as the parts of one message (none: nothing): invalid records, and agents
 * who are not users of the target and have no fallback, whose threads would be imported unassigned.
 */
export function strictFailures(s: PlanSummary, target: string): { readonly problems: readonly string[]; readonly hint: string } {
  const problems: string[] = [];
  const hints: string[] = [];
  const invalid = s.threads.invalid + s.messages.invalid;
  if (invalid > 0) {
    problems.push(`${invalid} invalid record(s)`);
    hints.push('fix the invalid records');
  }
  const dropped = s.unresolvedAgents.filter((a) => a.fallback === null && a.threads > 0);
  if (dropped.length > 0) {
    const threads = dropped.reduce((k, a) => k + a.threads, 0);
    problems.push(`${dropped.length} assignee(s) who are not ${target} users (${threads} thread(s) would be imported unassigned)`);
    hints.push("map those agents in the agents table (its _default takes everyone who left)");
  }
  return { problems, hint: `${hints.join('; ')} (the plan lists them), or drop --strict` };
}

export function hasChanges(s: PlanSummary): boolean {
  return s.threads.create + s.threads.update + s.threads.append > 0;
}
