/** The interface apply/ talks to. A target never sees a manifest. */
import type { Assignee, Customer, Message, Tenant, Thread, ThreadFieldType, ThreadFieldValue } from '../core/model.js';

export type { ThreadFieldType };
import type { RemoteAttributes, ThreadStatusValue } from '../plan/diff.js';
import type { RecordedError, TargetResult } from '../state/types.js';

/**
 * A failed request or mutation, classified. `retryable` failures (429, 5xx, timeouts, resets,
 * INTERNAL) are retried by the executor; the rest are recorded on the address.
 */
export class TargetError extends Error {
  constructor(
    readonly recorded: RecordedError,
    readonly retryable: boolean,
    /** 429: wait at least this long (from Retry-After or x-ratelimit-reset). */
    readonly retryAfterMs?: number,
    /** Whole run cannot go on (bad API key): stop scheduling. */
    readonly fatal = false,
    /** Retried, but once the retries are used up the whole run stops (the endpoint cannot be reached at all). */
    readonly fatalWhenExhausted = false,
  ) {
    super(recorded.message);
    this.name = 'TargetError';
  }
}

export interface RateLimitInfo {
  readonly limit?: number;
  readonly remaining?: number;
  /** epoch ms */
  readonly resetAt?: number;
}

export interface Ack {
  readonly id: string;
  readonly result: TargetResult;
}

export type MessageOutcome = { readonly ok: true; readonly ack: Ack } | { readonly ok: false; readonly error: RecordedError; readonly retryable: boolean };

export interface MessageToSend {
  readonly message: Message;
  /** INBOUND: the customer id of the author. */
  readonly customerId?: string;
  /** Uploaded attachments of this message (att_…), sent as attachmentIds. */
  readonly attachmentIds?: readonly string[];
}

export interface LabelTypeInfo {
  readonly id: string;
  readonly name: string;
  readonly archived: boolean;
}

export interface UserInfo {
  readonly id: string;
  readonly email: string;
  readonly fullName: string;
  readonly isDeleted: boolean;
}

export interface ThreadFieldSchemaInfo {
  readonly id: string;
  readonly key: string;
  readonly label: string;
  readonly type: ThreadFieldType;
  /** ENUM: the allowed values; [] otherwise. */
  readonly enumValues: readonly string[];
}

export type AttachmentKind = 'CUSTOM_TIMELINE_ENTRY' | 'NOTE';

/** createAttachmentUploadUrl's answer: where to POST the file, with which form fields. */
export interface UploadTicket {
  readonly attachmentId: string;
  readonly uploadFormUrl: string;
  readonly uploadFormData: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  /** ISO 8601: the upload URL is valid until then. */
  readonly expiresAt: string;
}

/** A thread as the target has it today (refresh), with its labels' own ids (for removals). */
export interface RemoteThread extends RemoteAttributes {
  readonly id: string;
  readonly labelIds: ReadonlyArray<{ readonly id: string; readonly labelTypeId: string }>;
}

export interface CallOptions {
  readonly signal: AbortSignal;
}

export interface Target {
  readonly name: string;
  upsertCustomer(c: Customer, o: CallOptions): Promise<Ack>;
  /** `tenantId`: the thread's tenant (its customer must be a member already). */
  importThread(t: Thread, customerId: string, o: CallOptions, tenantId?: string): Promise<Ack>;
  /** Results in input order. Throws TargetError for a whole-call failure. */
  importMessages(threadId: string, messages: readonly MessageToSend[], o: CallOptions): Promise<MessageOutcome[]>;
  /** Read threads by id, in order; null for a thread the target no longer has. One request. */
  readThreads(ids: readonly string[], o: CallOptions): Promise<Array<RemoteThread | null>>;
  /** Most threads one readThreads call takes. */
  readonly maxThreadsPerRead: number;
  updateTitle(threadId: string, title: string, o: CallOptions): Promise<void>;
  changePriority(threadId: string, priority: number, o: CallOptions): Promise<void>;
  changeStatus(threadId: string, status: ThreadStatusValue, o: CallOptions): Promise<void>;
  addLabels(threadId: string, labelTypeIds: readonly string[], o: CallOptions): Promise<void>;
  /** Label ids (not label type ids), all on one thread. */
  removeLabels(labelIds: readonly string[], o: CallOptions): Promise<void>;
  /** null unassigns. */
  assign(threadId: string, assignee: Assignee | null, o: CallOptions): Promise<void>;
  /** Every label type of the workspace, archived ones included (flagged). One request per page of 100. */
  listLabelTypes(o: CallOptions): Promise<LabelTypeInfo[]>;
  /** The user with this email (deleted users too, flagged), or null. One request. */
  userByEmail(email: string, o: CallOptions): Promise<UserInfo | null>;
  /** Every thread field schema of the workspace. One request per page of 100. */
  listThreadFieldSchemas(o: CallOptions): Promise<ThreadFieldSchemaInfo[]>;
  createLabelType(name: string, o: CallOptions): Promise<Ack>;
  /** Upsert by externalId. */
  upsertTenant(t: Tenant, o: CallOptions): Promise<Ack>;
  addCustomerToTenants(customerId: string, tenantIds: readonly string[], o: CallOptions): Promise<void>;
  /** Set one thread field (created or overwritten). */
  setThreadField(threadId: string, key: string, type: ThreadFieldType, value: ThreadFieldValue, o: CallOptions): Promise<void>;
  createAttachmentUploadUrl(customerId: string, fileName: string, fileSizeBytes: number, kind: AttachmentKind, o: CallOptions): Promise<UploadTicket>;
  /** Most messages one importMessages call takes. */
  readonly maxMessagesPerCall: number;
  /** Called with the rate-limit headers of every response. */
  onRateLimit?: (info: RateLimitInfo) => void;
  /** Requests sent so far, by operation name (including retries). */
  requestCounts(): Record<string, number>;
}
