/**
 * Root fields the emulator implements, each guarded by Plain's documented permissions. Any other
 * root field resolves to a "not implemented by the emulator" GraphQL error (see graphql.ts).
 */
import { GraphQLError } from 'graphql';
import { paginate, type PageArgs } from './pagination.js';
import { addCustomerToTenants, upsertCustomer, type AddCustomerToTenantsInput, type UpsertCustomerInput } from './rules/customers.js';
import { forbiddenError, internalError } from './rules/errors.js';
import { importThreadMessages, type ImportThreadMessagesInput } from './rules/messages.js';
import { importThread, type ImportThreadInput } from './rules/threads.js';
import { createAttachmentUploadUrl, type CreateAttachmentUploadUrlInput } from './rules/attachments.js';
import { upsertThreadField, type UpsertThreadFieldInput } from './rules/threadfields.js';
import {
  addLabels,
  assignThread,
  changeThreadPriority,
  markThreadAsDone,
  markThreadAsTodo,
  removeLabels,
  snoozeThread,
  unassignThread,
  updateThreadTitle,
  deleteThread,
  type DeleteThreadInput,
  type AddLabelsInput,
  type AssignThreadInput,
  type ChangeThreadPriorityInput,
  type MarkThreadAsDoneInput,
  type MarkThreadAsTodoInput,
  type RemoveLabelsInput,
  type SnoozeThreadInput,
  type UnassignThreadInput,
  type UpdateThreadTitleInput,
} from './rules/updates.js';
import type { RuleResult } from './rules/errors.js';
import { createLabelType, upsertTenant, type CreateLabelTypeInput, type UpsertTenantInput } from './rules/workspace.js';
import { uploadFormData } from './uploads.js';
import type { PlainStore } from './store.js';
import type { ThreadRecord } from './types.js';
import {
  attachmentView,
  customerView,
  dateTime,
  importedMessageView,
  labelTypeView,
  labelView,
  tenantView,
  threadFieldSchemaView,
  threadFieldView,
  threadView,
  userView,
} from './views.js';

export interface EmulatorContext {
  readonly store: PlainStore;
  /** 'all' when the seed declares no apiKeys. */
  readonly permissions: ReadonlySet<string> | 'all';
  readonly nowMs: number;
  /** Set by the internal-error fault: mutations answer MutationError INTERNAL, queries INTERNAL_SERVER_ERROR. */
  readonly forceInternal: boolean;
  /** Set by the partial-internal-error fault: importThreadMessages fails every second message with INTERNAL. */
  readonly partialInternal?: boolean;
  /** The emulator's own http://host:port, for upload URLs. */
  readonly baseUrl: string;
}

export type RootResolver = (args: Record<string, unknown>, ctx: EmulatorContext) => unknown;

/** Permissions a key has when the seed declares no apiKeys (reported by myPermissions). */
export const ALL_PERMISSIONS: readonly string[] = [
  'attachment:create',
  'customer:create',
  'customer:edit',
  'customer:read',
  'customerTenantMembership:create',
  'label:create',
  'label:delete',
  'labelType:create',
  'labelType:read',
  'tenant:create',
  'tenant:read',
  'thread:assign',
  'thread:edit',
  'thread:delete',
  'thread:import',
  'thread:read',
  'thread:unassign',
  'threadField:create',
  'threadField:update',
  'threadFieldSchema:read',
  'user:read',
];

function missing(ctx: EmulatorContext, perms: readonly string[]): string[] {
  const has = ctx.permissions;
  return has === 'all' ? [] : perms.filter((p) => !has.has(p));
}

function query(perms: readonly string[], run: RootResolver): RootResolver {
  return (args, ctx) => {
    if (ctx.forceInternal) throw new GraphQLError('Internal server error (injected by the emulator)', { extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    const miss = missing(ctx, perms);
    if (miss.length > 0) throw new GraphQLError(forbiddenError(miss).message, { extensions: { code: 'FORBIDDEN' } });
    return run(args, ctx);
  };
}

function mutation<I>(
  perms: (input: I) => readonly string[],
  empty: Record<string, unknown>,
  run: (input: I, ctx: EmulatorContext) => Record<string, unknown>,
): RootResolver {
  return (args, ctx) => {
    if (ctx.forceInternal) return { ...empty, error: internalError() };
    const input = args.input as I;
    const miss = missing(ctx, perms(input));
    if (miss.length > 0) return { ...empty, error: forbiddenError(miss) };
    return run(input, ctx);
  };
}

/** A mutation whose output is `{ thread, error }`. */
function threadMutation<I>(
  perms: readonly string[],
  rule: (store: PlainStore, input: I, nowMs: number) => RuleResult<ThreadRecord>,
): RootResolver {
  return mutation<I>(() => perms, { thread: null }, (input, { store, nowMs }) => {
    const r = rule(store, input, nowMs);
    return r.ok ? { thread: threadView(store, r.value), error: null } : { thread: null, error: r.error };
  });
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

const queries: Record<string, RootResolver> = {
  customerByEmail: query(['customer:read'], (a, { store }) => {
    const c = store.customerByEmailAddress(str(a.email));
    return c ? customerView(store, c) : null;
  }),
  customerByExternalId: query(['customer:read'], (a, { store }) => {
    const c = store.customerByExternal(str(a.externalId));
    return c ? customerView(store, c) : null;
  }),
  customer: query(['customer:read'], (a, { store }) => {
    const c = store.customers.get(str(a.customerId));
    return c ? customerView(store, c) : null;
  }),
  threadByExternalId: query(['thread:read'], (a, { store }) => {
    const t = store.threadByExternal(str(a.customerId), str(a.externalId));
    return t ? threadView(store, t) : null;
  }),
  thread: query(['thread:read'], (a, { store }) => {
    const t = store.threads.get(str(a.threadId));
    return t ? threadView(store, t) : null;
  }),
  userByEmail: query(['user:read'], (a, { store }) => {
    const u = store.userByEmailAddress(str(a.email));
    return u ? userView(u) : null;
  }),
  user: query(['user:read'], (a, { store }) => {
    const u = store.users.get(str(a.userId));
    return u ? userView(u) : null;
  }),
  labelTypes: query(['labelType:read'], (a, { store }) => {
    const filters = a.filters as { isArchived?: boolean | null } | null | undefined;
    const archived = filters?.isArchived;
    const all = [...store.labelTypes.values()].filter((l) => archived == null || l.archived === archived);
    return paginate(all, (l) => l.id, a as PageArgs, (l) => labelTypeView(store, l));
  }),
  labelType: query(['labelType:read'], (a, { store }) => {
    const l = store.labelTypes.get(str(a.labelTypeId));
    return l ? labelTypeView(store, l) : null;
  }),
  labelTypeByExternalId: query(['labelType:read'], (a, { store }) => {
    const l = store.labelTypeByExternal(str(a.externalId));
    return l ? labelTypeView(store, l) : null;
  }),
  // threadFieldSchema:read: the permission Plain names for threadFieldSchemaChanges; the queries' own docs name none.
  threadFieldSchemas: query(['threadFieldSchema:read'], (a, { store }) =>
    paginate([...store.threadFieldSchemas.values()], (f) => f.id, a as PageArgs, threadFieldSchemaView),
  ),
  threadFieldSchema: query(['threadFieldSchema:read'], (a, { store }) => {
    const f = store.threadFieldSchemas.get(str(a.threadFieldSchemaId));
    return f ? threadFieldSchemaView(f) : null;
  }),
  tenant: query(['tenant:read'], (a, { store }) => {
    const t = store.tenants.get(str(a.tenantId));
    return t ? tenantView(t) : null;
  }),
  myPermissions: query([], (_a, ctx) => ({
    __typename: 'Permissions',
    permissions: ctx.permissions === 'all' ? [...ALL_PERMISSIONS] : [...ctx.permissions].sort(),
  })),
};

const mutations: Record<string, RootResolver> = {
  upsertCustomer: mutation<UpsertCustomerInput>(
    () => ['customer:create', 'customer:edit'],
    { result: null, customer: null },
    (input, { store, nowMs }) => {
      const r = upsertCustomer(store, input, nowMs);
      if (!r.ok) return { result: null, customer: null, error: r.error };
      return { result: r.value.result, customer: customerView(store, r.value.customer), error: null };
    },
  ),
  addCustomerToTenants: mutation<AddCustomerToTenantsInput>(
    () => ['customer:edit', 'customerTenantMembership:create'],
    { customer: null },
    (input, { store, nowMs }) => {
      const r = addCustomerToTenants(store, input, nowMs);
      return r.ok ? { customer: customerView(store, r.value), error: null } : { customer: null, error: r.error };
    },
  ),
  importThread: mutation<ImportThreadInput>(
    () => ['thread:import'],
    { thread: null, result: null },
    (input, { store, nowMs }) => {
      const r = importThread(store, input, nowMs);
      if (!r.ok) return { thread: null, result: null, error: r.error };
      return { thread: threadView(store, r.value.thread), result: r.value.result, error: null };
    },
  ),
  importThreadMessages: mutation<ImportThreadMessagesInput>(
    (input) => (input.threadMessages.some((m) => (m.attachmentIds?.length ?? 0) > 0) ? ['thread:import', 'attachment:create'] : ['thread:import']),
    { results: [] },
    (input, { store, nowMs, partialInternal }) => {
      const r = importThreadMessages(store, input, nowMs, { failEverySecond: !!partialInternal });
      if (!r.ok) return { results: [], error: r.error };
      const { thread, results, error } = r.value;
      return {
        results: results.map((o) => ({
          __typename: 'ImportThreadMessageResult',
          threadMessage: o.message ? importedMessageView(store, thread, o.message) : null,
          result: o.result,
          error: o.error,
        })),
        error,
      };
    },
  ),
  createLabelType: mutation<CreateLabelTypeInput>(() => ['labelType:create'], { labelType: null }, (input, { store, nowMs }) => {
    const r = createLabelType(store, input, nowMs);
    return r.ok ? { labelType: labelTypeView(store, r.value), error: null } : { labelType: null, error: r.error };
  }),
  upsertTenant: mutation<UpsertTenantInput>(() => ['tenant:read', 'tenant:create'], { tenant: null, result: null }, (input, { store, nowMs }) => {
    const r = upsertTenant(store, input, nowMs);
    if (!r.ok) return { tenant: null, result: null, error: r.error };
    return { tenant: tenantView(r.value.tenant), result: r.value.result, error: null };
  }),
  createAttachmentUploadUrl: mutation<CreateAttachmentUploadUrlInput>(() => ['attachment:create'], { attachmentUploadUrl: null }, (input, { store, nowMs, baseUrl }) => {
    const r = createAttachmentUploadUrl(store, input, nowMs);
    if (!r.ok) return { attachmentUploadUrl: null, error: r.error };
    const a = r.value;
    return {
      attachmentUploadUrl: {
        __typename: 'AttachmentUploadUrl',
        attachment: attachmentView(a),
        uploadFormUrl: `${baseUrl}/__emulator/uploads/${a.id}`,
        uploadFormData: uploadFormData(a).map((f) => ({ __typename: 'UploadFormData', ...f })),
        expiresAt: dateTime(a.expiresAt),
      },
      error: null,
    };
  }),
  upsertThreadField: mutation<UpsertThreadFieldInput>(
    () => ['threadField:create', 'threadField:update'],
    { threadField: null, result: null },
    (input, { store, nowMs }) => {
      const r = upsertThreadField(store, input, nowMs);
      if (!r.ok) return { threadField: null, result: null, error: r.error };
      return { threadField: threadFieldView(r.value.threadField), result: r.value.result, error: null };
    },
  ),
  deleteThread: mutation<DeleteThreadInput>(() => ['thread:delete'], {}, (input, { store }) => {
    const r = deleteThread(store, input);
    return { error: r.ok ? null : r.error };
  }),
  updateThreadTitle: threadMutation<UpdateThreadTitleInput>(['thread:edit'], updateThreadTitle),
  changeThreadPriority: threadMutation<ChangeThreadPriorityInput>(['thread:edit'], changeThreadPriority),
  markThreadAsDone: threadMutation<MarkThreadAsDoneInput>(['thread:edit', 'thread:read'], markThreadAsDone),
  markThreadAsTodo: threadMutation<MarkThreadAsTodoInput>(['thread:edit', 'thread:read'], markThreadAsTodo),
  snoozeThread: threadMutation<SnoozeThreadInput>(['thread:edit', 'thread:read'], snoozeThread),
  assignThread: threadMutation<AssignThreadInput>(['thread:assign', 'thread:read'], assignThread),
  unassignThread: threadMutation<UnassignThreadInput>(['thread:unassign', 'thread:read'], unassignThread),
  removeLabels: threadMutation<RemoveLabelsInput>(['label:delete'], removeLabels),
  addLabels: mutation<AddLabelsInput>(() => ['label:create'], { labels: [], thread: null }, (input, { store, nowMs }) => {
    const r = addLabels(store, input, nowMs);
    if (!r.ok) return { labels: [], thread: null, error: r.error };
    return { labels: r.value.labels.flatMap((l) => labelView(store, l) ?? []), thread: threadView(store, r.value.thread), error: null };
  }),
};

export const rootResolvers = { Query: queries, Mutation: mutations } as const;
