import type { Customer, Message, Thread } from '../core/model.js';
import type { InvalidRecord } from '../mapping/map.js';

export type ThreadAction = 'create' | 'append' | 'noop';

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
  /** The recorded thread id (append / noop). */
  readonly targetId?: string;
  /** Messages to send: every valid message for create, the unrecorded or failed ones for append. */
  readonly send: readonly PlannedMessage[];
  /** Valid messages already recorded as applied. */
  readonly recordedMessages: number;
  /** The recorded input differs from the desired one (updates are planned by a later version). */
  readonly changed: boolean;
  /** Customers this item is the first in the plan to need, and that state has no id for. */
  readonly newCustomers: readonly Customer[];
  readonly invalidMessages: readonly InvalidRecord[];
}

export interface InvalidPlanItem {
  readonly kind: 'invalid';
  readonly invalid: InvalidRecord;
}

export type PlanItem = ThreadPlanItem | InvalidPlanItem;

export interface UnmappedValue {
  readonly table: string;
  readonly value: string;
  readonly count: number;
  /** true: it took the table's _default; false: the record failed. */
  readonly defaulted: boolean;
}

export interface PlanSummary {
  readonly threads: { create: number; append: number; noop: number; invalid: number; filtered: number; changed: number };
  readonly messages: { create: number; append: number; noop: number; invalid: number };
  readonly customers: { upsert: number };
  /** The first invalid records (all are counted above). */
  readonly invalid: readonly InvalidRecord[];
  readonly invalidTruncated: number;
  readonly unmapped: readonly UnmappedValue[];
  /** Source records that could not be read are counted in threads.invalid. */
  readonly minimumRequests: { upsertCustomer: number; importThread: number; importThreadMessages: number };
}
