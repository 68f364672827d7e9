/** The interface apply/ talks to. A target never sees a manifest. */
import type { BodyFormat } from '../attachments/policy.js';
import type { Assignee, Customer, Message, MessageType, Tenant, Thread, ThreadFieldType, ThreadFieldValue } from '../core/model.js';

export type { ThreadFieldType };
import type { AttributeRules, RemoteAttributes, ThreadStatusValue } from '../plan/diff.js';
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
  /** INBOUND: the customer id of the author (targets whose customers are upserted). */
  readonly customerId?: string;
  /** Uploaded attachments of this message (att_…), sent as attachmentIds (uploads: 'separate'). */
  readonly attachmentIds?: readonly string[];
  /** Fetched files the target uploads itself, afresh for every attempt of the request (uploads: 'in-request'). */
  readonly files?: readonly LocalFile[];
}

/** A message's file, fetched to a temporary file on this machine. */
export interface LocalFile {
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly fileName: string;
  readonly contentType?: string;
  /** Shown in the body: `cid:<contentId>` marks where (the mapping set it). */
  readonly inline?: boolean;
  readonly contentId?: string;
}

/**
 * What a target can do, declared by its adapter. The core reads these, never the target's name:
 * every difference between targets that plan and apply must know of is here.
 */
export interface TargetCapabilities extends AttributeRules {
  /** The target's name in messages ("Plain", "There There"). */
  readonly displayName: string;
  /** How message bodies are written (skip notes added at apply time take the same form). */
  readonly bodies: BodyFormat;
  /** 'upsert': customers are upserted before the threads that need them; 'inline': the import carries the contact. */
  readonly customers: 'upsert' | 'inline';
  /** How many of a new thread's messages its import request carries (0: none; they follow with importMessages). */
  readonly messagesInImport: number;
  /**
   * How messages that the import did not carry reach the thread (later messages of a long thread,
   * messages that arrive after import): 'messages' (importMessages, as they are), 'notes'
   * (importMessages adds each as an internal note, one per request), 'skip' (left out and reported).
   */
  readonly appends: 'messages' | 'notes' | 'skip';
  /** Most messages one append request takes (absent: batching.messagesPerRequest, up to Target.maxMessagesPerCall). */
  readonly messagesPerAppend?: number;
  /**
   * 'separate': files are uploaded and recorded before the request that references them, and reused
   * while the target keeps them. 'in-request': the target uploads the fetched files itself as part of
   * every attempt of the request (single-use upload tokens).
   */
  readonly uploads: 'separate' | 'in-request';
  /**
   * Labels an update adds must already be in the target: only an import creates them (There There's
   * tags). The plan checks them (listLabelTypes) and reports the ones missing instead of planning them.
   */
  readonly labelsCreatedOnlyByImport?: boolean;
  /** Tenants, thread fields and label types created by the migration: Plain's. */
  readonly tenants: boolean;
  readonly threadFields: boolean;
  /** The largest file a message of this type may carry, given attachments.maxBytes. */
  maxFileBytes(type: MessageType, configured: number): number;
  /** The permission each plan-time look-up needs (labelTypes, userByEmail, threadFieldSchemas), named in a refusal's hint. */
  readonly lookupPermissions?: Readonly<Record<string, string>>;
  /** Requests per minute that one operation may not exceed, besides batching.requestsPerMinute. */
  readonly operationLimits?: Readonly<Record<string, number>>;
}

/**
 * What importThread answers: the thread, and the messages the import carried (in order). When the
 * target answers with a thread it had already (NOOP), a message that thread does not have has no
 * ack (undefined at its index): the executor appends it.
 */
export interface ImportAck extends Ack {
  readonly messages?: ReadonlyArray<Ack | undefined>;
  /** NOOP: the existing thread as the answer shows it, when it does (then it is not read again). */
  readonly remote?: RemoteThread;
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
  readonly capabilities: TargetCapabilities;
  upsertCustomer(c: Customer, o: CallOptions): Promise<Ack>;
  /**
   * `customerId`: the thread's customer (customers: 'upsert'). `tenantId`: the thread's tenant (its
   * customer must be a member already). `messages`: the first `messagesInImport` messages, carried
   * by the import itself; the answer gives their acks in the same order.
   */
  importThread(t: Thread, customerId: string | undefined, o: CallOptions, tenantId?: string, messages?: readonly MessageToSend[]): Promise<ImportAck>;
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
  /** Label ids (RemoteThread.labelIds' ids, not label type ids), all on this thread. */
  removeLabels(threadId: string, labelIds: readonly string[], o: CallOptions): Promise<void>;
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
  /**
   * Set by the run: a target that makes more than one request in a call (There There's uploads inside
   * an import, a note after its read) awaits it before each request beyond the first, so that every
   * request counts against batching.requestsPerMinute. Rejects when the run stops.
   */
  pace?: (signal: AbortSignal) => Promise<void>;
  /** Requests sent so far, by operation name (including retries). */
  requestCounts(): Record<string, number>;
}
