/**
 * Records → GraphQL output objects. Nested objects are thunks, so they are built only when selected.
 * A field absent from a view (undefined) resolves to a "not implemented by the emulator" error;
 * a field that is legitimately empty is null.
 */
import { paginate, type PageArgs } from './pagination.js';
import { threadUpdatedAt, type PlainStore } from './store.js';
import type {
  AttachmentRecord,
  AuthorRef,
  CustomerRecord,
  LabelRecord,
  LabelTypeRecord,
  MachineUserRecord,
  MessageRecord,
  StatusDetail,
  TenantRecord,
  ThreadFieldRecord,
  ThreadFieldSchemaRecord,
  ThreadRecord,
  UserRecord,
} from './types.js';

export type View = { readonly __typename: string } & Record<string, unknown>;

export function dateTime(ms: number): View {
  return { __typename: 'DateTime', iso8601: new Date(ms).toISOString(), unixTimestamp: String(ms) };
}

export function customerView(store: PlainStore, c: CustomerRecord): View {
  return {
    __typename: 'Customer',
    id: c.id,
    externalId: c.externalId,
    fullName: c.fullName,
    shortName: c.shortName,
    email: { __typename: 'EmailAddress', email: c.email, isVerified: c.emailVerified, verifiedAt: null },
    avatarUrl: null,
    assignedToUser: null,
    assignedAt: null,
    company: null,
    isAnonymous: false,
    isTestCustomer: false,
    markedAsSpamAt: null,
    markedAsSpamBy: null,
    createdAt: dateTime(c.createdAt),
    updatedAt: dateTime(c.updatedAt),
    tenantMemberships: (args: PageArgs) =>
      paginate(store.tenantsOfCustomer(c.id), (t) => t.id, args, (t) => {
        const at = dateTime(t.members.get(c.id) ?? t.createdAt);
        return { __typename: 'CustomerTenantMembership', tenant: tenantView(t), createdAt: at, updatedAt: at };
      }),
  };
}

export function userView(u: UserRecord): View {
  return {
    __typename: 'User',
    id: u.id,
    fullName: u.fullName,
    publicName: u.fullName,
    email: u.email,
    avatarUrl: null,
    isDeleted: u.isDeleted,
    deletedAt: null,
    createdAt: dateTime(u.createdAt),
    updatedAt: dateTime(u.createdAt),
  };
}

export function machineUserView(m: MachineUserRecord): View {
  return {
    __typename: 'MachineUser',
    id: m.id,
    fullName: m.fullName,
    publicName: m.fullName,
    description: null,
    isDeleted: false,
    deletedAt: null,
    createdAt: dateTime(m.createdAt),
    updatedAt: dateTime(m.createdAt),
  };
}

export function labelTypeView(store: PlainStore, l: LabelTypeRecord): View {
  return {
    __typename: 'LabelType',
    id: l.id,
    name: l.name,
    icon: null,
    color: null,
    type: 'DEFAULT',
    description: null,
    parentLabelType: () => {
      const p = l.parentLabelTypeId === null ? undefined : store.labelTypes.get(l.parentLabelTypeId);
      return p ? labelTypeView(store, p) : null;
    },
    position: l.id,
    externalId: l.externalId,
    isArchived: l.archived,
    archivedAt: l.archived ? dateTime(l.createdAt) : null,
    isExcludedFromAi: false,
    createdAt: dateTime(l.createdAt),
    updatedAt: dateTime(l.createdAt),
  };
}

export function tenantView(t: TenantRecord): View {
  return {
    __typename: 'Tenant',
    id: t.id,
    name: t.name,
    externalId: t.externalId,
    url: null,
    primaryDomain: null,
    alternateDomains: [],
    isDomainAutoJoinEnabled: false,
    tier: null,
    createdAt: dateTime(t.createdAt),
    updatedAt: dateTime(t.createdAt),
  };
}

const MIME: Readonly<Record<string, string>> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  txt: 'text/plain',
  csv: 'text/csv',
  json: 'application/json',
  zip: 'application/zip',
};

export function attachmentView(a: AttachmentRecord): View {
  const dot = a.fileName.lastIndexOf('.');
  const ext = dot > 0 && dot < a.fileName.length - 1 ? a.fileName.slice(dot + 1) : null;
  return {
    __typename: 'Attachment',
    id: a.id,
    fileName: a.fileName,
    fileSize: { __typename: 'FileSize', bytes: a.sizeBytes, kiloBytes: a.sizeBytes / 1000, megaBytes: a.sizeBytes / 1_000_000 },
    fileExtension: ext,
    fileMimeType: (ext && MIME[ext.toLowerCase()]) ?? 'application/octet-stream',
    type: a.type,
    createdAt: dateTime(a.createdAt),
    updatedAt: dateTime(a.createdAt),
  };
}

const STATUS_DETAIL_TYPENAME: Record<StatusDetail, string> = {
  CREATED: 'ThreadStatusDetailCreated',
  NEW_REPLY: 'ThreadStatusDetailNewReply',
  IN_PROGRESS: 'ThreadStatusDetailInProgress',
  THREAD_LINK_UPDATED: 'ThreadStatusDetailThreadLinkUpdated',
  THREAD_DISCUSSION_RESOLVED: 'ThreadStatusDetailThreadDiscussionResolved',
  WAITING_FOR_CUSTOMER: 'ThreadStatusDetailWaitingForCustomer',
  WAITING_FOR_DURATION: 'ThreadStatusDetailWaitingForDuration',
  WAITING_INDEFINITELY: 'ThreadStatusDetailWaitingIndefinitely',
  DONE_MANUALLY_SET: 'ThreadStatusDetailDoneManuallySet',
  DONE_AUTOMATICALLY_SET: 'ThreadStatusDetailDoneAutomaticallySet',
  IGNORED: 'ThreadStatusDetailIgnored',
};

/** The ThreadStatusDetail union member for the stored status detail. */
export function statusDetailView(th: ThreadRecord): View {
  const changed = dateTime(th.statusChangedAt);
  const view: View = { __typename: STATUS_DETAIL_TYPENAME[th.statusDetail], statusChangedAt: changed };
  switch (th.statusDetail) {
    case 'CREATED':
      return { ...view, createdAt: dateTime(th.createdAt) };
    case 'NEW_REPLY':
      return { ...view, newReplyAt: null };
    case 'THREAD_LINK_UPDATED':
      return { ...view, updatedAt: changed, linearIssueId: null };
    case 'THREAD_DISCUSSION_RESOLVED':
      return { ...view, threadDiscussionId: null };
    case 'WAITING_FOR_DURATION':
      return { ...view, waitingUntil: dateTime(th.snoozedUntil ?? th.statusChangedAt) };
    case 'DONE_AUTOMATICALLY_SET':
      return { ...view, afterSeconds: null };
    default:
      return view;
  }
}

export function labelView(store: PlainStore, l: LabelRecord): View | undefined {
  const lt = store.labelTypes.get(l.labelTypeId);
  if (!lt) return undefined;
  return { __typename: 'Label', id: l.id, labelType: labelTypeView(store, lt), createdAt: dateTime(l.createdAt), updatedAt: dateTime(l.createdAt) };
}

export function threadView(store: PlainStore, th: ThreadRecord): View {
  const lastMessage = th.messages[th.messages.length - 1];
  return {
    __typename: 'Thread',
    id: th.id,
    ref: `T-${th.ref}`,
    externalId: th.externalId,
    title: th.title,
    description: th.description,
    previewText: lastMessage?.text.slice(0, 200) ?? null,
    priority: th.priority,
    isTestThread: false,
    status: th.status,
    statusChangedAt: dateTime(th.statusChangedAt),
    statusDetail: statusDetailView(th),
    customer: () => {
      const c = store.customers.get(th.customerId);
      return c ? customerView(store, c) : null;
    },
    assignedTo: () => {
      if (th.assignedTo === null) return null;
      if ('userId' in th.assignedTo) {
        const u = store.users.get(th.assignedTo.userId);
        return u ? userView(u) : null;
      }
      const m = store.machineUsers.get(th.assignedTo.machineUserId);
      return m ? machineUserView(m) : null;
    },
    assignedAt: th.assignedAt === null ? null : dateTime(th.assignedAt),
    additionalAssignees: [],
    labels: () =>
      th.labels.flatMap((l) => {
        const v = labelView(store, l);
        return v ? [v] : [];
      }),
    tenant: () => {
      const t = th.tenantId === null ? undefined : store.tenants.get(th.tenantId);
      return t ? tenantView(t) : null;
    },
    tier: null,
    threadFields: () => [...th.fields.values()].map(threadFieldView),
    threadDiscussions: [],
    supportEmailAddresses: [],
    channel: 'IMPORT',
    channelDetails: { __typename: 'ImportThreadChannelDetails', importSourceUrl: th.externalUrl, importIntegrationKey: 'api' },
    createdAt: dateTime(th.createdAt),
    updatedAt: dateTime(threadUpdatedAt(th)),
    importedAt: dateTime(th.importedAt),
    lockedAt: null,
    surveyResponse: null,
    escalationDetails: null,
  };
}

/** ThreadFieldSchema; createdBy/updatedBy are not modelled (NOT_IMPLEMENTED). */
export function threadFieldSchemaView(f: ThreadFieldSchemaRecord): View {
  return {
    __typename: 'ThreadFieldSchema',
    id: f.id,
    label: f.label,
    key: f.key,
    description: '',
    order: f.order,
    type: f.type,
    enumValues: [...f.enumValues],
    defaultStringValue: null,
    defaultBooleanValue: null,
    defaultNumberValue: null,
    defaultDateValue: null,
    isRequired: f.isRequired,
    isAiAutoFillEnabled: false,
    isAvailableToAgents: false,
    isClientReadonly: false,
    dependsOnThreadField: null,
    dependsOnLabels: [],
    createdAt: dateTime(f.createdAt),
    updatedAt: dateTime(f.createdAt),
  };
}

/** ThreadField (tf_); createdBy/updatedBy are not modelled (NOT_IMPLEMENTED). */
export function threadFieldView(f: ThreadFieldRecord): View {
  return {
    __typename: 'ThreadField',
    id: f.id,
    threadId: f.threadId,
    key: f.key,
    type: f.type,
    isAiGenerated: false,
    stringValue: f.stringValue,
    booleanValue: f.booleanValue,
    numberValue: f.numberValue,
    dateValue: f.dateValue === null ? null : dateTime(f.dateValue),
    createdAt: dateTime(f.createdAt),
    updatedAt: dateTime(f.updatedAt),
  };
}

function actorView(store: PlainStore, author: AuthorRef): View {
  if ('customerId' in author) {
    const id = author.customerId;
    return {
      __typename: 'CustomerActor',
      customerId: id,
      customer: () => {
        const c = store.customers.get(id);
        return c ? customerView(store, c) : null;
      },
    };
  }
  const id = author.userId;
  return {
    __typename: 'UserActor',
    userId: id,
    user: () => {
      const u = store.users.get(id);
      return u ? userView(u) : null;
    },
  };
}

/** The ImportedThreadMessage union: NOTE → Note (n_), INBOUND/OUTBOUND → TimelineEntry (t_). */
export function importedMessageView(store: PlainStore, th: ThreadRecord, m: MessageRecord): View {
  if (m.type === 'NOTE') {
    const actor = actorView(store, m.author);
    return {
      __typename: 'Note',
      id: m.id,
      text: m.text,
      markdown: m.text,
      externalId: m.externalId,
      customer: () => {
        const c = store.customers.get(th.customerId);
        return c ? customerView(store, c) : null;
      },
      attachments: () => m.attachmentIds.flatMap((id) => {
        const a = store.attachments.get(id);
        return a ? [attachmentView(a)] : [];
      }),
      isEdited: false,
      editedAt: null,
      editedBy: null,
      isDeleted: false,
      deletedAt: null,
      deletedBy: null,
      createdAt: dateTime(m.createdAt),
      createdBy: actor,
      updatedAt: dateTime(m.createdAt),
      updatedBy: actor,
    };
  }
  return {
    __typename: 'TimelineEntry',
    id: m.id,
    customerId: th.customerId,
    threadId: th.id,
    timestamp: dateTime(m.createdAt),
    actor: actorView(store, m.author),
    llmText: null,
  };
}
