import type { Customer, Message, Thread } from '../core/model.js';
import type { InvalidRecord, MappingNote } from '../mapping/map.js';
import type { UnresolvedAgent } from '../mapping/resolve.js';
import type { ResolvedLookup } from './cache.js';
import type { AppliedAttributes, AttributeChange, FrozenChange, UpdatableAttribute } from './diff.js';

/**
 * create: not recorded; imported with its messages. update: recorded, some updatable attributes
 * changed (messages may be appended too). append: recorded, new messages only. noop: nothing to do.
 */
export type ThreadAction = 'create' | 'update' | 'append' | 'noop';

export interface PlannedMessage {
  readonly message: Message;
  readonly address: string;
  readonly hash: string;
}

export interface ThreadPlanItem {
  readonly kind: 'thread';
  readonly action: ThreadAction;
  readonly address: string;
  readonly thread: Thread;
  /** Hash of the thread's desired input without its messages. */
  readonly hash: string;
  /** The attributes the thread should have (recorded as applied once they are). */
  readonly desired: AppliedAttributes;
  /** The attributes recorded as applied (recorded threads). */
  readonly applied?: AppliedAttributes;
  /** The recorded thread id (update / append / noop). */
  readonly targetId?: string;
  /** Messages to send: every valid message for create, the unrecorded or failed ones otherwise. */
  readonly send: readonly PlannedMessage[];
  /** Valid messages already recorded as applied. */
  readonly recordedMessages: number;
  /** Updatable attributes to change. */
  readonly updates: readonly AttributeChange[];
  /** Attributes changed in the source and in the target since the last apply: left alone. */
  readonly conflicts: readonly AttributeChange[];
  /** Attributes that cannot change after import but did in the source: reported only. */
  readonly frozen: readonly FrozenChange[];
  /** Recorded messages whose text, author, type or time changed in the source: reported only. */
  readonly changedMessages: readonly string[];
  /** Recorded messages whose source record is gone: reported, never deleted. */
  readonly orphanMessages: readonly string[];
  /** Messages the target cannot take (appendAs: skip): reported, never sent, not recorded. */
  readonly skippedMessages?: readonly string[];
  /** Customers this item is the first in the plan to need, and that state has no id for. */
  readonly newCustomers: readonly Customer[];
  readonly invalidMessages: readonly InvalidRecord[];
  /** Files left out by Plain's limits, inline images with no file: reported, the thread is imported. */
  readonly notes: readonly MappingNote[];
  /** Label type names this item is the first in the plan to need created (createMissingLabelTypes). */
  readonly newLabelTypes: readonly string[];
  /** Tenants (externalId) this item is the first to need, and that state has not recorded. */
  readonly newTenants: readonly string[];
  /** Tenant memberships (addresses) this item is the first to need, and that state has not recorded. */
  readonly newMemberships: readonly string[];
  /** With the plan cache: what identifies this mapping, so apply can remember the thread once it is done. */
  readonly memo?: { readonly recordKey: string; readonly lookups: readonly ResolvedLookup[] };
}

export interface InvalidPlanItem {
  readonly kind: 'invalid';
  readonly invalid: InvalidRecord;
}

/** A recorded thread whose source record is gone (or filtered out): listed, never deleted in Plain. */
export interface OrphanPlanItem {
  readonly kind: 'orphan';
  readonly address: string;
  readonly targetId: string | null;
}

/** A recorded thread that a refresh did not find in the target any more. */
export interface DeletedPlanItem {
  readonly kind: 'deleted';
  readonly address: string;
  readonly targetId: string | null;
}

/** A recorded thread whose record, look-ups and state are as they were when it was last found unchanged (plan cache). */
export interface UnchangedPlanItem {
  readonly kind: 'unchanged';
  readonly address: string;
  readonly messages: number;
}

export type PlanItem = ThreadPlanItem | InvalidPlanItem | OrphanPlanItem | DeletedPlanItem | UnchangedPlanItem;

export interface UnmappedValue {
  readonly table: string;
  readonly value: string;
  readonly count: number;
  /** true: it took the table's _default; false: the record failed. */
  readonly defaulted: boolean;
}

export interface Listed<T> {
  readonly items: readonly T[];
  /** How many more there were than listed. */
  readonly more: number;
}

export interface PlanSummary {
  /**
   * Threads by action (create / update / append / noop are exclusive: a thread with updates and new
   * messages counts as update), plus `appendTo`: recorded threads that receive new messages (update
   * or append), for the summary line.
   */
  readonly threads: {
    create: number;
    update: number;
    append: number;
    appendTo: number;
    noop: number;
    invalid: number;
    filtered: number;
    orphan: number;
    deleted: number;
  };
  readonly messages: { create: number; append: number; noop: number; invalid: number; changed: number; orphan: number; skipped: number };
  readonly customers: { upsert: number };
  /** Threads planned to change, by attribute. */
  readonly attributes: Readonly<Partial<Record<UpdatableAttribute, number>>>;
  /** Non-updatable attribute changes, by attribute. */
  readonly frozen: Readonly<Record<string, number>>;
  readonly invalid: Listed<InvalidRecord>;
  readonly creates: Listed<{ address: string; messages: number }>;
  readonly appends: Listed<{ address: string; messages: number }>;
  readonly newCustomers: Listed<string>;
  readonly updates: Listed<{ address: string; change: AttributeChange }>;
  readonly conflicts: Listed<{ address: string; change: AttributeChange }>;
  readonly frozenList: Listed<{ address: string; change: FrozenChange }>;
  readonly changedMessages: Listed<string>;
  readonly orphans: Listed<string>;
  readonly deleted: Listed<string>;
  readonly unmapped: readonly UnmappedValue[];
  /** Agents given by email that are not (or no longer) Plain users, with what they affect. */
  readonly unresolvedAgents: readonly UnresolvedAgent[];
  readonly labelTypes: { create: number };
  readonly newLabelTypes: Listed<string>;
  readonly tenants: { upsert: number; join: number };
  /** Files to upload with the messages to send. */
  readonly attachments: { upload: number };
  /** Attachments left out and inline images with no file, by message address. */
  readonly notes: Listed<MappingNote>;
  /** The requests this plan needs at the least (customers, threads, message batches, updates, and the rest). */
  readonly minimumRequests: {
    upsertCustomer: number;
    importThread: number;
    importThreadMessages: number;
    updates: number;
    createLabelType: number;
    upsertTenant: number;
    addCustomerToTenants: number;
    upsertThreadField: number;
    createAttachmentUploadUrl: number;
  };
  /** sha256 over every planned action in order: two plans with the same digest do the same thing. */
  readonly digest: string;
}
