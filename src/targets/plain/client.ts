/**
 * The Plain target: importThread / importThreadMessages / upsertCustomer, thread updates and
 * workspace set-up (label types, tenants, thread fields, attachment upload URLs) over graphql-request.
 * One request per call (lists: one per page); retries and rate limiting belong to the executor.
 */
import type { GraphQLClient } from 'graphql-request';
import { effectiveMaxBytes } from '../../attachments/index.js';
import type { Assignee, Customer, Tenant, Thread, ThreadFieldValue, ThreadStatus } from '../../core/model.js';
import { PLAIN_ATTRIBUTES, type ThreadStatusValue } from '../../plan/diff.js';
import type { TargetResult } from '../../state/types.js';
import {
  TargetError,
  type Ack,
  type AttachmentKind,
  type CallOptions,
  type LabelTypeInfo,
  type MessageOutcome,
  type MessageToSend,
  type RateLimitInfo,
  type RemoteThread,
  type Target,
  type TargetCapabilities,
  type ThreadFieldSchemaInfo,
  type ThreadFieldType,
  type UploadTicket,
  type UserInfo,
} from '../types.js';
import {
  ADD_CUSTOMER_TO_TENANTS,
  ADD_LABELS,
  ASSIGN_THREAD,
  CHANGE_THREAD_PRIORITY,
  CREATE_ATTACHMENT_UPLOAD_URL,
  CREATE_LABEL_TYPE,
  IMPORT_THREAD,
  IMPORT_THREAD_MESSAGES,
  LABEL_TYPES,
  MARK_THREAD_AS_DONE,
  MARK_THREAD_AS_TODO,
  MAX_THREADS_PER_READ,
  readThreadsDocument,
  REMOVE_LABELS,
  SNOOZE_THREAD,
  THREAD_FIELD_SCHEMAS,
  UNASSIGN_THREAD,
  UPDATE_THREAD_TITLE,
  UPSERT_CUSTOMER,
  UPSERT_TENANT,
  UPSERT_THREAD_FIELD,
  USER_BY_EMAIL,
} from './documents.js';
import {
  classifyThrown,
  fromGraphQLErrors,
  graphqlRequest,
  fromMutationError,
  parseRateLimitHeaders,
  recordedFromMutationError,
  type PlainMutationError,
} from './errors.js';

export const PLAIN_MAX_MESSAGES_PER_CALL = 25;
/** Plain's largest page (first: 100). */
export const PLAIN_PAGE_SIZE = 100;

export interface PlainTargetOptions {
  readonly endpoint: string;
  /** Kept in a closure for the Authorization header only; never logged. */
  readonly apiKey: string;
  readonly requestTimeoutMs: number;
  readonly userAgent?: string;
}

interface UpsertCustomerData {
  upsertCustomer: { result: TargetResult | null; customer: { id: string } | null; error: PlainMutationError | null };
}
interface ImportThreadData {
  importThread: { result: TargetResult | null; thread: { id: string } | null; error: PlainMutationError | null };
}
interface ImportThreadMessagesData {
  importThreadMessages: {
    results: Array<{ result: TargetResult | null; threadMessage: { id: string } | null; error: PlainMutationError | null }>;
    error: PlainMutationError | null;
  };
}

interface Page<N> {
  edges: Array<{ node: N }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}
interface CreateLabelTypeData {
  createLabelType: { labelType: { id: string } | null; error: PlainMutationError | null };
}
interface UpsertTenantData {
  upsertTenant: { result: TargetResult | null; tenant: { id: string } | null; error: PlainMutationError | null };
}
interface CreateAttachmentUploadUrlData {
  createAttachmentUploadUrl: {
    attachmentUploadUrl: {
      attachment: { id: string };
      uploadFormUrl: string;
      uploadFormData: Array<{ key: string; value: string }>;
      expiresAt: { iso8601: string };
    } | null;
    error: PlainMutationError | null;
  };
}

interface ThreadFieldRead {
  key: string;
  type: ThreadFieldType;
  stringValue: string | null;
  booleanValue: boolean | null;
  numberValue: number | null;
  dateValue: { iso8601: string } | null;
}

interface ThreadRead {
  id: string;
  title: string;
  priority: number;
  status: ThreadStatus;
  statusDetail: { __typename: string } | null;
  assignedTo: { __typename: string; id?: string } | null;
  labels: Array<{ id: string; labelType: { id: string } }>;
  threadFields: ThreadFieldRead[];
}

type MutationOutput = Record<string, { error: PlainMutationError | null }>;

/** ThreadStatusDetailWaitingForCustomer → WAITING_FOR_CUSTOMER */
export function statusDetailOf(typename: string | undefined): string | null {
  if (!typename) return null;
  return typename.replace(/^ThreadStatusDetail/, '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
}

/** The value of a thread field that matches its type; null when that value is not set. */
export function threadFieldValueOf(f: ThreadFieldRead): ThreadFieldValue | null {
  switch (f.type) {
    case 'STRING':
    case 'ENUM':
      return f.stringValue;
    case 'BOOL':
      return f.booleanValue;
    case 'NUMBER':
    case 'CURRENCY':
      return f.numberValue;
    case 'DATE':
      return f.dateValue?.iso8601 ?? null;
    default:
      return null;
  }
}

/**
 * The value part of UpsertThreadFieldInput for a type: STRING/ENUM → stringValue, BOOL → booleanValue,
 * NUMBER/CURRENCY → numberValue, DATE → dateValue (ISO 8601). A value of the wrong kind is refused
 * here, before anything is sent.
 */
export function threadFieldValueInput(key: string, type: ThreadFieldType, value: ThreadFieldValue): Record<string, unknown> {
  const wrong = (want: string): TargetError =>
    new TargetError(
      {
        code: 'input_validation',
        message: `thread field "${key}" is ${type} in Plain and needs ${want}, got ${JSON.stringify(value)}`,
        type: 'VALIDATION',
        fields: [{ field: key, message: `needs ${want}`, type: 'VALIDATION' }],
      },
      false,
    );
  switch (type) {
    case 'STRING':
    case 'ENUM':
      if (typeof value !== 'string') throw wrong('a string');
      return { stringValue: value };
    case 'BOOL':
      if (typeof value !== 'boolean') throw wrong('true or false');
      return { booleanValue: value };
    case 'NUMBER':
    case 'CURRENCY':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw wrong('a number');
      return { numberValue: value };
    case 'DATE': {
      if (typeof value === 'boolean') throw wrong('a date');
      const ms = typeof value === 'number' ? value : Date.parse(value);
      if (!Number.isFinite(ms)) throw wrong('a date');
      return { dateValue: new Date(ms).toISOString() };
    }
    default:
      throw wrong('a known thread field type');
  }
}

/** Plain: customers upserted first, threads imported without messages, messages in batches, files uploaded ahead. */
export const PLAIN_CAPABILITIES: TargetCapabilities = {
  displayName: 'Plain',
  bodies: 'text',
  lookupPermissions: { labelTypes: 'labelType:read', userByEmail: 'user:read', threadFieldSchemas: 'threadFieldSchema:read' },
  ...PLAIN_ATTRIBUTES,
  customers: 'upsert',
  messagesInImport: 0,
  appends: 'messages',
  uploads: 'separate',
  tenants: true,
  threadFields: true,
  maxFileBytes: (type, configured) => effectiveMaxBytes(type, configured),
};

/** Plain's mapping rules never give an agent by email as an author: that is There There's form. */
function wrongAuthor(a: { email: string }): never {
  throw new Error(`internal: a Plain message author must be a user id, not ${a.email}`);
}

export class PlainTarget implements Target {
  readonly name = 'plain';
  readonly capabilities = PLAIN_CAPABILITIES;
  readonly maxMessagesPerCall = PLAIN_MAX_MESSAGES_PER_CALL;
  readonly maxThreadsPerRead = MAX_THREADS_PER_READ;
  onRateLimit?: (info: RateLimitInfo) => void;
  private readonly client: () => Promise<GraphQLClient>;
  private readonly counts: Record<string, number> = {};

  constructor(private readonly opts: PlainTargetOptions) {
    const apiKey = opts.apiKey;
    let client: Promise<GraphQLClient> | undefined;
    // Made at the first request (graphql-request is loaded then, see graphqlRequest).
    this.client = () =>
      (client ??= graphqlRequest().then(
        ({ GraphQLClient }) =>
          new GraphQLClient(opts.endpoint, {
            headers: () => ({
              authorization: `Bearer ${apiKey}`,
              'user-agent': opts.userAgent ?? 'plain-migrate',
            }),
            errorPolicy: 'all',
          }),
      ));
  }

  requestCounts(): Record<string, number> {
    return { ...this.counts };
  }

  private async send<T>(operation: string, query: string, variables: Record<string, unknown>, o: CallOptions): Promise<T> {
    this.counts[operation] = (this.counts[operation] ?? 0) + 1;
    const timeout = AbortSignal.timeout(this.opts.requestTimeoutMs);
    const signal = AbortSignal.any([timeout, o.signal]);
    let res;
    try {
      res = await (await this.client()).rawRequest<T>({ query, variables, signal });
    } catch (err) {
      const headers = (err as { response?: { headers?: Headers } }).response?.headers;
      if (headers instanceof Headers) this.onRateLimit?.(parseRateLimitHeaders(headers));
      throw classifyThrown(err, { timedOut: timeout.aborted, cancelled: o.signal.aborted, endpoint: this.opts.endpoint });
    }
    this.onRateLimit?.(parseRateLimitHeaders(res.headers as Headers));
    if (res.errors && res.errors.length > 0) throw fromGraphQLErrors(res.errors);
    if (!res.data) {
      throw new TargetError({ code: 'no_data', message: 'Plain answered without data', type: 'TRANSPORT' }, true);
    }
    return res.data;
  }

  async upsertCustomer(c: Customer, o: CallOptions): Promise<Ack> {
    const input = {
      identifier: { emailAddress: c.email },
      onCreate: {
        fullName: c.fullName,
        email: { email: c.email, isVerified: true },
        ...(c.externalId !== undefined ? { externalId: c.externalId } : {}),
      },
      // Customers who already exist in Plain are used as they are, never overwritten.
      onUpdate: {},
    };
    const data = await this.send<UpsertCustomerData>('upsertCustomer', UPSERT_CUSTOMER, { input }, o);
    const out = data.upsertCustomer;
    if (out.error) throw fromMutationError(out.error);
    if (!out.customer || !out.result) throw missing('upsertCustomer');
    return { id: out.customer.id, result: out.result };
  }

  async importThread(t: Thread, customerId: string | undefined, o: CallOptions, tenantId?: string): Promise<Ack> {
    if (customerId === undefined) throw new Error('internal: a Plain thread is imported with its customer id');
    const input = {
      customerIdentifier: { customerId },
      title: t.title,
      externalId: t.externalId,
      ...(t.externalUrl !== undefined ? { externalUrl: t.externalUrl } : {}),
      ...(t.description !== undefined ? { description: t.description } : {}),
      priority: t.priority,
      status: t.status,
      statusDetail: { type: t.statusDetail },
      ...(t.labelTypeIds.length > 0 ? { labelTypeIds: t.labelTypeIds } : {}),
      ...(t.assignee ? { assignedTo: t.assignee } : {}),
      ...(tenantId !== undefined ? { tenantId } : {}),
      createdAt: t.createdAt,
    };
    const data = await this.send<ImportThreadData>('importThread', IMPORT_THREAD, { input }, o);
    const out = data.importThread;
    if (out.error) throw fromMutationError(out.error);
    if (!out.thread || !out.result) throw missing('importThread');
    return { id: out.thread.id, result: out.result };
  }

  async importMessages(threadId: string, messages: readonly MessageToSend[], o: CallOptions): Promise<MessageOutcome[]> {
    if (messages.length > this.maxMessagesPerCall) {
      throw new Error(`internal: ${messages.length} messages in one importThreadMessages call`);
    }
    const threadMessages = messages.map(({ message: m, customerId, attachmentIds }) => ({
      externalId: m.externalId,
      type: m.type,
      text: m.text,
      createdAt: m.createdAt,
      author: m.author.kind === 'user' ? { userId: m.author.userId } : m.author.kind === 'customer' ? { customerId } : wrongAuthor(m.author),
      ...(attachmentIds && attachmentIds.length > 0 ? { attachmentIds } : {}),
    }));
    const data = await this.send<ImportThreadMessagesData>(
      'importThreadMessages',
      IMPORT_THREAD_MESSAGES,
      { input: { threadId, threadMessages } },
      o,
    );
    const out = data.importThreadMessages;
    const results = out.results ?? [];
    // A whole-call failure has no per-message results; a partial failure (bulk_partial_failure) has them.
    if (out.error && results.length === 0) throw fromMutationError(out.error);
    if (results.length !== messages.length) {
      throw new TargetError(
        { code: 'unexpected_response', message: `Plain returned ${results.length} results for ${messages.length} messages`, type: 'TRANSPORT' },
        true,
      );
    }
    return results.map((r): MessageOutcome => {
      if (r.error) return { ok: false, error: recordedFromMutationError(r.error), retryable: r.error.type === 'INTERNAL' };
      if (!r.threadMessage || !r.result) {
        return { ok: false, error: { code: 'unexpected_response', message: 'no message and no error in the result' }, retryable: true };
      }
      return { ok: true, ack: { id: r.threadMessage.id, result: r.result } };
    });
  }

  async readThreads(ids: readonly string[], o: CallOptions): Promise<Array<RemoteThread | null>> {
    if (ids.length === 0) return [];
    const variables: Record<string, unknown> = {};
    ids.forEach((id, i) => (variables[`t${i}`] = id));
    const data = await this.send<Record<string, ThreadRead | null>>('readThreads', readThreadsDocument(ids.length), variables, o);
    return ids.map((_, i) => {
      const t = data[`t${i}`];
      if (!t) return null;
      const a = t.assignedTo;
      const assignee: Assignee | null =
        a && a.id ? (a.__typename === 'MachineUser' ? { machineUserId: a.id } : a.__typename === 'User' ? { userId: a.id } : null) : null;
      const fields: Record<string, ThreadFieldValue> = {};
      for (const f of t.threadFields ?? []) {
        const v = threadFieldValueOf(f);
        if (v !== null) fields[f.key] = v;
      }
      return {
        id: t.id,
        title: t.title,
        priority: t.priority,
        status: { status: t.status, statusDetail: statusDetailOf(t.statusDetail?.__typename) },
        labels: t.labels.map((l) => l.labelType.id).sort(),
        labelIds: t.labels.map((l) => ({ id: l.id, labelTypeId: l.labelType.id })),
        assignee,
        fields,
      };
    });
  }

  private async mutate(operation: string, query: string, input: Record<string, unknown>, o: CallOptions): Promise<void> {
    const data = await this.send<MutationOutput>(operation, query, { input }, o);
    const out = data[operation];
    if (!out) throw missing(operation);
    if (out.error) throw fromMutationError(out.error);
  }

  updateTitle(threadId: string, title: string, o: CallOptions): Promise<void> {
    return this.mutate('updateThreadTitle', UPDATE_THREAD_TITLE, { threadId, title }, o);
  }

  changePriority(threadId: string, priority: number, o: CallOptions): Promise<void> {
    return this.mutate('changeThreadPriority', CHANGE_THREAD_PRIORITY, { threadId, priority }, o);
  }

  changeStatus(threadId: string, s: ThreadStatusValue, o: CallOptions): Promise<void> {
    const detail = s.statusDetail ? { statusDetail: s.statusDetail } : {};
    if (s.status === 'DONE') return this.mutate('markThreadAsDone', MARK_THREAD_AS_DONE, { threadId, ...detail }, o);
    if (s.status === 'TODO') return this.mutate('markThreadAsTodo', MARK_THREAD_AS_TODO, { threadId, ...detail }, o);
    return this.mutate('snoozeThread', SNOOZE_THREAD, { threadId, statusDetail: s.statusDetail ?? 'WAITING_FOR_CUSTOMER' }, o);
  }

  addLabels(threadId: string, labelTypeIds: readonly string[], o: CallOptions): Promise<void> {
    return this.mutate('addLabels', ADD_LABELS, { threadId, labelTypeIds }, o);
  }

  removeLabels(_threadId: string, labelIds: readonly string[], o: CallOptions): Promise<void> {
    return this.mutate('removeLabels', REMOVE_LABELS, { labelIds }, o);
  }

  assign(threadId: string, assignee: Assignee | null, o: CallOptions): Promise<void> {
    if (!assignee) return this.mutate('unassignThread', UNASSIGN_THREAD, { threadId }, o);
    return this.mutate('assignThread', ASSIGN_THREAD, { threadId, ...assignee }, o);
  }

  /** Every node of a Relay connection, `first: 100` per page, one request per page. */
  private async allPages<N>(operation: string, query: string, o: CallOptions): Promise<N[]> {
    const nodes: N[] = [];
    let after: string | null = null;
    for (;;) {
      const data: Record<string, Page<N> | null> = await this.send(operation, query, { first: PLAIN_PAGE_SIZE, after }, o);
      const page = data[operation];
      if (!page) throw missing(operation);
      for (const e of page.edges) nodes.push(e.node);
      if (!page.pageInfo.hasNextPage) return nodes;
      if (!page.pageInfo.endCursor || page.pageInfo.endCursor === after) {
        throw new TargetError(
          { code: 'unexpected_response', message: `${operation}: hasNextPage without a new endCursor`, type: 'TRANSPORT' },
          false,
        );
      }
      after = page.pageInfo.endCursor;
    }
  }

  async listLabelTypes(o: CallOptions): Promise<LabelTypeInfo[]> {
    const nodes = await this.allPages<{ id: string; name: string; isArchived: boolean }>('labelTypes', LABEL_TYPES, o);
    return nodes.map((n) => ({ id: n.id, name: n.name, archived: n.isArchived }));
  }

  async userByEmail(email: string, o: CallOptions): Promise<UserInfo | null> {
    const data = await this.send<{ userByEmail: UserInfo | null }>('userByEmail', USER_BY_EMAIL, { email }, o);
    const u = data.userByEmail;
    return u ? { id: u.id, email: u.email, fullName: u.fullName, isDeleted: u.isDeleted } : null;
  }

  async listThreadFieldSchemas(o: CallOptions): Promise<ThreadFieldSchemaInfo[]> {
    const nodes = await this.allPages<ThreadFieldSchemaInfo>('threadFieldSchemas', THREAD_FIELD_SCHEMAS, o);
    return nodes.map((n) => ({ id: n.id, key: n.key, label: n.label, type: n.type, enumValues: n.enumValues ?? [] }));
  }

  async createLabelType(name: string, o: CallOptions): Promise<Ack> {
    const data = await this.send<CreateLabelTypeData>('createLabelType', CREATE_LABEL_TYPE, { input: { name } }, o);
    const out = data.createLabelType;
    if (out.error) throw fromMutationError(out.error);
    if (!out.labelType) throw missing('createLabelType');
    return { id: out.labelType.id, result: 'CREATED' };
  }

  async upsertTenant(t: Tenant, o: CallOptions): Promise<Ack> {
    const input = { identifier: { externalId: t.externalId }, name: t.name, externalId: t.externalId };
    const data = await this.send<UpsertTenantData>('upsertTenant', UPSERT_TENANT, { input }, o);
    const out = data.upsertTenant;
    if (out.error) throw fromMutationError(out.error);
    if (!out.tenant || !out.result) throw missing('upsertTenant');
    return { id: out.tenant.id, result: out.result };
  }

  async addCustomerToTenants(customerId: string, tenantIds: readonly string[], o: CallOptions): Promise<void> {
    if (tenantIds.length === 0) return;
    const input = { customerIdentifier: { customerId }, tenantIdentifiers: tenantIds.map((tenantId) => ({ tenantId })) };
    return this.mutate('addCustomerToTenants', ADD_CUSTOMER_TO_TENANTS, input, o);
  }

  async setThreadField(threadId: string, key: string, type: ThreadFieldType, value: ThreadFieldValue, o: CallOptions): Promise<void> {
    const input = { identifier: { threadId, key }, type, ...threadFieldValueInput(key, type, value) };
    return this.mutate('upsertThreadField', UPSERT_THREAD_FIELD, input, o);
  }

  async createAttachmentUploadUrl(customerId: string, fileName: string, fileSizeBytes: number, kind: AttachmentKind, o: CallOptions): Promise<UploadTicket> {
    const input = { customerId, fileName, fileSizeBytes, attachmentType: kind };
    const data = await this.send<CreateAttachmentUploadUrlData>('createAttachmentUploadUrl', CREATE_ATTACHMENT_UPLOAD_URL, { input }, o);
    const out = data.createAttachmentUploadUrl;
    if (out.error) throw fromMutationError(out.error);
    const u = out.attachmentUploadUrl;
    if (!u) throw missing('createAttachmentUploadUrl');
    return {
      attachmentId: u.attachment.id,
      uploadFormUrl: u.uploadFormUrl,
      uploadFormData: u.uploadFormData.map(({ key, value }) => ({ key, value })),
      expiresAt: u.expiresAt.iso8601,
    };
  }
}

function missing(op: string): TargetError {
  return new TargetError({ code: 'unexpected_response', message: `${op} returned neither a result nor an error`, type: 'TRANSPORT' }, true);
}
