/** Public and internal types of the Plain emulator. */

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

export interface PlainSeed {
  users?: SeedUser[];
  machineUsers?: SeedMachineUser[];
  labelTypes?: SeedLabelType[];
  tenants?: SeedTenant[];
  customers?: SeedCustomer[];
  apiKeys?: SeedApiKey[];
  attachments?: SeedAttachment[];
}

// ---------------------------------------------------------------- inspection (public)

export type AuthorRef = { customerId: string } | { userId: string };
export type AssigneeRef = { userId: string } | { machineUserId: string };

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
    statusDetail: ImportStatusDetail;
    priority: number;
    labelTypeIds: string[];
    assignedTo: AssigneeRef | null;
    tenantId: string | null;
    createdAt: string;
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
  | 'drop-after-commit'
  | 'internal-error'
  | 'rate-limit';

export interface FaultRule {
  /** Root field name of the request's first operation, or its operationName. Absent: every request. */
  operation?: string;
  /** Fire on every Nth matching request (N, 2N, …). */
  every?: number;
  /** Fire at most this many times. */
  times?: number;
  /** Chance (0..1) to fire once the other conditions hold. */
  probability?: number;
  /**
   * For `rate-limit` / `status:429`: the Retry-After (and x-ratelimit-reset) the 429 announces.
   * Absent: the time left in the current window, as a real spent budget would say.
   */
  retryAfterSeconds?: number;
  action: FaultAction;
}

// ---------------------------------------------------------------- domain (internal)

export type ThreadStatus = 'TODO' | 'SNOOZED' | 'DONE';
export type ImportStatusDetail = 'NEW_REPLY' | 'IN_PROGRESS' | 'WAITING_FOR_CUSTOMER' | 'DONE_MANUALLY_SET' | 'IGNORED';
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
  statusDetail: ImportStatusDetail;
  priority: number;
  labels: LabelRecord[];
  assignedTo: AssigneeRef | null;
  tenantId: string | null;
  createdAt: number;
  importedAt: number;
  messages: MessageRecord[];
  messagesByExternalId: Map<string, MessageRecord>;
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
