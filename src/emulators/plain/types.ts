/** Public and internal types of the Plain emulator. */
import type { FaultRuleOf } from '../common/faults.js';

// ---------------------------------------------------------------- seed (public)

export interface SeedUser {
  id?: string;
  email: string;
  fullName: string;
  isDeleted?: boolean;
}
export interface SeedMachineUser {
  id?: string;
  fullName: string;
}
export interface SeedLabelType {
  id?: string;
  name: string;
  archived?: boolean;
}
export interface SeedTenant {
  id?: string;
  externalId: string;
  name: string;
}
export interface SeedCustomer {
  id?: string;
  email: string;
  fullName: string;
  externalId?: string;
}
export interface SeedApiKey {
  key: string;
  permissions: string[];
}
/** Emulator extension: attachments that already exist (and are uploaded) in the workspace. */
export interface SeedAttachment {
  id?: string;
  fileName?: string;
}

/** The data type of a thread field schema (ThreadFieldSchemaType). */
export type ThreadFieldType = 'STRING' | 'BOOL' | 'ENUM' | 'NUMBER' | 'CURRENCY' | 'DATE';
export const THREAD_FIELD_TYPES: readonly ThreadFieldType[] = ['STRING', 'BOOL', 'ENUM', 'NUMBER', 'CURRENCY', 'DATE'];

/** A thread field schema (Settings → Thread fields). `enumValues` only (and required) for ENUM. */
export interface SeedThreadFieldSchema {
  id?: string;
  key: string;
  label: string;
  type: ThreadFieldType;
  enumValues?: string[];
  isRequired?: boolean;
}

export interface PlainSeed {
  users?: SeedUser[];
  machineUsers?: SeedMachineUser[];
  labelTypes?: SeedLabelType[];
  tenants?: SeedTenant[];
  customers?: SeedCustomer[];
  apiKeys?: SeedApiKey[];
  attachments?: SeedAttachment[];
  threadFieldSchemas?: SeedThreadFieldSchema[];
}

// ---------------------------------------------------------------- inspection (public)

export type AuthorRef = { customerId: string } | { userId: string };
export type AssigneeRef = { userId: string } | { machineUserId: string };

/** A stored thread field value as the snapshot shows it: DATE values as ISO 8601. */
export type ThreadFieldValue = string | boolean | number;

export interface EmulatorStateSnapshot {
  customers: { id: string; email: string; fullName: string; externalId: string | null }[];
  users: { id: string; email: string; fullName: string; isDeleted: boolean }[];
  labelTypes: { id: string; name: string; archived: boolean }[];
  tenants: { id: string; externalId: string; name: string; customerIds: string[] }[];
  threads: {
    id: string;
    externalId: string;
    customerId: string;
    title: string;
    description: string | null;
    externalUrl: string | null;
    status: ThreadStatus;
    statusDetail: StatusDetail;
    /** ISO 8601 time of the last status change (the thread's createdAt for an import). */
    statusChangedAt: string;
    /** WAITING_FOR_DURATION only: when the snooze timer ends (ISO 8601); otherwise null. */
    snoozedUntil: string | null;
    priority: number;
    /** The label types of `labels`, in the same order (kept for compatibility). */
    labelTypeIds: string[];
    /** Labels on the thread: label id (l_…) and its label type. */
    labels: { id: string; labelTypeId: string }[];
    assignedTo: AssigneeRef | null;
    assignedAt: string | null;
    tenantId: string | null;
    createdAt: string;
    /** Last change by a mutation (import, edit, status, label, assignment, thread field), ISO 8601. */
    updatedAt: string;
    /** Thread field values by schema key, in the order they were first set. */
    fields: Record<string, ThreadFieldValue>;
    messages: {
      id: string;
      externalId: string;
      type: MessageType;
      text: string;
      createdAt: string;
      author: AuthorRef;
      attachmentIds: string[];
    }[];
  }[];
  /** Every attachment: seeded, or created by createAttachmentUploadUrl. */
  attachments: {
    id: string;
    fileName: string;
    /** Declared fileSizeBytes (0 for seeded attachments). */
    size: number;
    /** Hex SHA-256 of the bytes received by the upload endpoint; null when nothing was uploaded there (seeded attachments too). */
    sha256: string | null;
    uploaded: boolean;
    /** The first stored message whose attachmentIds name it (thread order, then message order); null when none does. */
    messageId: string | null;
  }[];
}

export interface EmulatorRequestLog {
  /** ISO 8601 time the request arrived. */
  at: string;
  operationName: string | null;
  query: string | null;
  variables: Record<string, unknown> | null;
  /** HTTP status sent; 0 when no response was sent (faults reset, hang, drop-after-commit). */
  status: number;
}

export type FaultAction =
  | `status:${number}`
  | 'reset'
  | 'hang'
  /** importThreadMessages only: every second message of the call fails with a per-message INTERNAL error (not stored). */
  | 'partial-internal-error'
  | 'drop-after-commit'
  | 'internal-error'
  | 'rate-limit';

/** A fault rule (../common/faults.ts) with Plain's actions; `operation` is a root field of the request's first operation, or its operationName. */
export type FaultRule = FaultRuleOf<FaultAction>;

// ---------------------------------------------------------------- domain (internal)

export type ThreadStatus = 'TODO' | 'SNOOZED' | 'DONE';
export type ImportStatusDetail = 'NEW_REPLY' | 'IN_PROGRESS' | 'WAITING_FOR_CUSTOMER' | 'DONE_MANUALLY_SET' | 'IGNORED';
/** TodoStatusDetail values (markThreadAsTodo). */
export type TodoStatusDetail = 'CREATED' | 'IN_PROGRESS' | 'NEW_REPLY' | 'THREAD_LINK_UPDATED' | 'THREAD_DISCUSSION_RESOLVED';
/** SnoozeStatusDetail values (snoozeThread). */
export type SnoozeStatusDetail = 'WAITING_FOR_CUSTOMER' | 'WAITING_FOR_DURATION' | 'WAITING_INDEFINITELY';
/** DoneStatusDetail values as stored (markThreadAsDone; the deprecated TIMER_EXPIRED is stored as DONE_AUTOMATICALLY_SET). */
export type DoneStatusDetail = 'IGNORED' | 'DONE_MANUALLY_SET' | 'DONE_AUTOMATICALLY_SET';
/** Every status detail a thread can hold (a StatusDetailType value). */
export type StatusDetail = ImportStatusDetail | TodoStatusDetail | SnoozeStatusDetail | DoneStatusDetail;
export type MessageType = 'INBOUND' | 'OUTBOUND' | 'NOTE';

export const STATUS_DETAILS: Readonly<Record<ThreadStatus, readonly ImportStatusDetail[]>> = {
  TODO: ['NEW_REPLY', 'IN_PROGRESS'],
  SNOOZED: ['WAITING_FOR_CUSTOMER'],
  DONE: ['DONE_MANUALLY_SET', 'IGNORED'],
};

export interface CustomerRecord {
  id: string;
  email: string;
  emailVerified: boolean;
  fullName: string;
  shortName: string | null;
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}
export interface UserRecord {
  id: string;
  email: string;
  fullName: string;
  isDeleted: boolean;
  createdAt: number;
}
export interface MachineUserRecord {
  id: string;
  fullName: string;
  createdAt: number;
}
export interface LabelTypeRecord {
  id: string;
  name: string;
  archived: boolean;
  externalId: string | null;
  parentLabelTypeId: string | null;
  createdAt: number;
}
export interface TenantRecord {
  id: string;
  externalId: string;
  name: string;
  /** customer id → time the membership was made (ms), in insertion order. */
  members: Map<string, number>;
  createdAt: number;
}
export type AttachmentType = 'EMAIL' | 'CUSTOM_TIMELINE_ENTRY' | 'CHAT' | 'SLACK' | 'THREAD_DISCUSSION' | 'MS_TEAMS' | 'DISCORD' | 'NOTE';

export interface AttachmentRecord {
  id: string;
  fileName: string;
  sizeBytes: number;
  type: AttachmentType;
  customerId: string | null;
  /** False until the file is POSTed to the upload URL. */
  uploaded: boolean;
  /** Upload URL expiry (ms). */
  expiresAt: number;
  createdAt: number;
  /** Hex SHA-256 of the file received by the upload endpoint; null until then (and for seeded attachments). */
  sha256: string | null;
  /** True once a stored message has referenced it (stays true after that message's thread is deleted). */
  referenced: boolean;
  /** Seeded attachments never expire (see UNREFERENCED_ATTACHMENT_TTL_MS). */
  seeded: boolean;
}
export interface MessageRecord {
  id: string;
  externalId: string;
  type: MessageType;
  text: string;
  createdAt: number;
  author: AuthorRef;
  attachmentIds: string[];
  emailMessageId: string | null;
  importedAt: number;
}
export interface LabelRecord {
  id: string;
  labelTypeId: string;
  createdAt: number;
}
export interface ThreadRecord {
  id: string;
  ref: number;
  externalId: string;
  customerId: string;
  title: string;
  description: string | null;
  externalUrl: string | null;
  status: ThreadStatus;
  statusDetail: StatusDetail;
  /** ms of the last status change; the import's createdAt until a status mutation. */
  statusChangedAt: number;
  /** WAITING_FOR_DURATION: end of the snooze timer (ms); otherwise null. */
  snoozedUntil: number | null;
  priority: number;
  labels: LabelRecord[];
  assignedTo: AssigneeRef | null;
  /** ms the current assignee was set; null when unassigned. */
  assignedAt: number | null;
  tenantId: string | null;
  createdAt: number;
  importedAt: number;
  /** ms of the last change made by a mutation on the thread itself (messages are counted separately). */
  updatedAt: number;
  messages: MessageRecord[];
  messagesByExternalId: Map<string, MessageRecord>;
  /** Thread field values by schema key (upsertThreadField), in the order first set. */
  fields: Map<string, ThreadFieldRecord>;
}
export interface ThreadFieldSchemaRecord {
  id: string;
  key: string;
  label: string;
  type: ThreadFieldType;
  enumValues: string[];
  isRequired: boolean;
  /** Position among the schemas (seed order). */
  order: number;
  createdAt: number;
}
/** One stored value; exactly the value field of `type` is non-null (STRING/ENUM → stringValue, …). */
export interface ThreadFieldRecord {
  id: string;
  threadId: string;
  key: string;
  type: ThreadFieldType;
  stringValue: string | null;
  booleanValue: boolean | null;
  numberValue: number | null;
  /** DATE: ms since the epoch. */
  dateValue: number | null;
  createdAt: number;
  updatedAt: number;
}

// ---------------------------------------------------------------- mutation errors (wire shape)

export type MutationErrorType = 'VALIDATION' | 'FORBIDDEN' | 'INTERNAL';
export type MutationFieldErrorType = 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND';

export interface MutationFieldError {
  field: string;
  message: string;
  type: MutationFieldErrorType;
}
export interface MutationError {
  message: string;
  type: MutationErrorType;
  code: string;
  fields: MutationFieldError[];
}
