/**
 * The emulated workspace: records, their indexes and the inspection snapshot. Rules in rules/* decide
 * what is allowed; the store only holds and finds.
 */
import type { IdGenerator } from './ids.js';
import type { ResolvedSeed } from './seed.js';
import type {
  AttachmentRecord,
  CustomerRecord,
  EmulatorStateSnapshot,
  LabelRecord,
  LabelTypeRecord,
  MachineUserRecord,
  TenantRecord,
  ThreadFieldRecord,
  ThreadFieldSchemaRecord,
  ThreadFieldValue,
  ThreadRecord,
  UserRecord,
} from './types.js';

export class PlainStore {
  readonly customers = new Map<string, CustomerRecord>();
  readonly users = new Map<string, UserRecord>();
  readonly machineUsers = new Map<string, MachineUserRecord>();
  readonly labelTypes = new Map<string, LabelTypeRecord>();
  readonly tenants = new Map<string, TenantRecord>();
  readonly attachments = new Map<string, AttachmentRecord>();
  readonly threads = new Map<string, ThreadRecord>();
  /** Thread field schemas by id, in seed order. */
  readonly threadFieldSchemas = new Map<string, ThreadFieldSchemaRecord>();
  /** api key → permissions; null when the seed has no apiKeys (any non-empty key has every permission). */
  apiKeys: Map<string, ReadonlySet<string>> | null = null;

  private readonly customerByEmail = new Map<string, string>();
  private readonly customerByExternalId = new Map<string, string>();
  private readonly userByEmail = new Map<string, string>();
  private readonly tenantByExternalId = new Map<string, string>();
  private readonly threadByCustomerExternalId = new Map<string, string>();
  /** label id (l_…) → id of the thread it is on. */
  private readonly threadOfLabel = new Map<string, string>();
  /** thread field schema key → id. */
  private readonly threadFieldSchemaIdByKey = new Map<string, string>();
  private nextRef = 1;

  constructor(
    private readonly seed: ResolvedSeed,
    readonly ids: IdGenerator,
    private readonly now: () => Date,
  ) {
    this.reset();
  }

  reset(): void {
    for (const m of [this.customers, this.users, this.machineUsers, this.labelTypes, this.tenants, this.attachments, this.threads, this.threadFieldSchemas]) m.clear();
    for (const m of [this.customerByEmail, this.customerByExternalId, this.userByEmail, this.tenantByExternalId, this.threadByCustomerExternalId, this.threadOfLabel, this.threadFieldSchemaIdByKey]) {
      m.clear();
    }
    this.nextRef = 1;
    const t = this.now().getTime();
    const s = this.seed;
    for (const u of s.users) {
      this.users.set(u.id, { ...u, createdAt: t });
      this.userByEmail.set(u.email.toLowerCase(), u.id);
    }
    for (const m of s.machineUsers) this.machineUsers.set(m.id, { ...m, createdAt: t });
    for (const l of s.labelTypes) this.labelTypes.set(l.id, { ...l, externalId: null, parentLabelTypeId: null, createdAt: t });
    for (const te of s.tenants) {
      this.tenants.set(te.id, { ...te, members: new Map(), createdAt: t });
      this.tenantByExternalId.set(te.externalId, te.id);
    }
    for (const a of s.attachments) {
      this.attachments.set(a.id, {
        ...a,
        sizeBytes: 0,
        type: 'CUSTOM_TIMELINE_ENTRY',
        customerId: null,
        uploaded: true,
        expiresAt: t,
        createdAt: t,
        sha256: null,
        referenced: false,
        seeded: true,
      });
    }
    s.threadFieldSchemas.forEach((f, order) => {
      this.threadFieldSchemas.set(f.id, { ...f, enumValues: [...f.enumValues], order, createdAt: t });
      this.threadFieldSchemaIdByKey.set(f.key, f.id);
    });
    for (const c of s.customers) {
      this.addCustomer({ ...c, emailVerified: false, shortName: null, createdAt: t, updatedAt: t });
    }
    this.apiKeys = s.apiKeys.length === 0 ? null : new Map(s.apiKeys.map((k) => [k.key, new Set(k.permissions)]));
  }

  // ------------------------------------------------------------ customers

  addCustomer(c: CustomerRecord): void {
    this.customers.set(c.id, c);
    this.customerByEmail.set(c.email.toLowerCase(), c.id);
    if (c.externalId !== null) this.customerByExternalId.set(c.externalId, c.id);
  }

  /** Re-index after changing a customer's email or externalId. */
  reindexCustomer(c: CustomerRecord, oldEmail: string, oldExternalId: string | null): void {
    if (this.customerByEmail.get(oldEmail.toLowerCase()) === c.id) this.customerByEmail.delete(oldEmail.toLowerCase());
    if (oldExternalId !== null && this.customerByExternalId.get(oldExternalId) === c.id) this.customerByExternalId.delete(oldExternalId);
    this.customerByEmail.set(c.email.toLowerCase(), c.id);
    if (c.externalId !== null) this.customerByExternalId.set(c.externalId, c.id);
  }

  customerByEmailAddress(email: string): CustomerRecord | undefined {
    const id = this.customerByEmail.get(email.trim().toLowerCase());
    return id === undefined ? undefined : this.customers.get(id);
  }

  customerByExternal(externalId: string): CustomerRecord | undefined {
    const id = this.customerByExternalId.get(externalId);
    return id === undefined ? undefined : this.customers.get(id);
  }

  // ------------------------------------------------------------ users, tenants

  userByEmailAddress(email: string): UserRecord | undefined {
    const id = this.userByEmail.get(email.trim().toLowerCase());
    return id === undefined ? undefined : this.users.get(id);
  }

  tenantByExternal(externalId: string): TenantRecord | undefined {
    const id = this.tenantByExternalId.get(externalId);
    return id === undefined ? undefined : this.tenants.get(id);
  }

  addTenant(t: TenantRecord): void {
    this.tenants.set(t.id, t);
    this.tenantByExternalId.set(t.externalId, t.id);
  }

  reindexTenant(t: TenantRecord, oldExternalId: string): void {
    if (this.tenantByExternalId.get(oldExternalId) === t.id) this.tenantByExternalId.delete(oldExternalId);
    this.tenantByExternalId.set(t.externalId, t.id);
  }

  labelTypeByExternal(externalId: string): LabelTypeRecord | undefined {
    for (const l of this.labelTypes.values()) if (l.externalId === externalId) return l;
    return undefined;
  }

  tenantsOfCustomer(customerId: string): TenantRecord[] {
    return [...this.tenants.values()].filter((t) => t.members.has(customerId));
  }

  // ------------------------------------------------------------ thread field schemas

  threadFieldSchemaByKey(key: string): ThreadFieldSchemaRecord | undefined {
    const id = this.threadFieldSchemaIdByKey.get(key);
    return id === undefined ? undefined : this.threadFieldSchemas.get(id);
  }

  // ------------------------------------------------------------ threads

  /** Adds a new thread (no thread fields yet). */
  addThread(thread: Omit<ThreadRecord, 'ref' | 'fields'>): ThreadRecord {
    const record: ThreadRecord = { ...thread, ref: this.nextRef++, fields: new Map() };
    this.threads.set(record.id, record);
    this.threadByCustomerExternalId.set(threadKey(record.customerId, record.externalId), record.id);
    for (const l of record.labels) this.threadOfLabel.set(l.id, record.id);
    return record;
  }

  /** Appends labels to a thread and indexes them. */
  attachLabels(thread: ThreadRecord, labels: readonly LabelRecord[]): void {
    for (const l of labels) {
      thread.labels.push(l);
      this.threadOfLabel.set(l.id, thread.id);
    }
  }

  /** Removes the labels with these ids from the thread and the index. */
  detachLabels(thread: ThreadRecord, labelIds: ReadonlySet<string>): void {
    thread.labels = thread.labels.filter((l) => !labelIds.has(l.id));
    for (const id of labelIds) this.threadOfLabel.delete(id);
  }

  /** The thread a label (l_…) is on, if the label exists. */
  threadOfLabelId(labelId: string): ThreadRecord | undefined {
    const id = this.threadOfLabel.get(labelId);
    return id === undefined ? undefined : this.threads.get(id);
  }

  /** Removes a thread with its messages, labels and thread field values (deleteThread). */
  removeThread(thread: ThreadRecord): void {
    this.threads.delete(thread.id);
    this.threadByCustomerExternalId.delete(threadKey(thread.customerId, thread.externalId));
    for (const l of thread.labels) this.threadOfLabel.delete(l.id);
  }

  threadByExternal(customerId: string, externalId: string): ThreadRecord | undefined {
    const id = this.threadByCustomerExternalId.get(threadKey(customerId, externalId));
    return id === undefined ? undefined : this.threads.get(id);
  }

  // ------------------------------------------------------------ inspection

  snapshot(): EmulatorStateSnapshot {
    return {
      customers: [...this.customers.values()].map((c) => ({ id: c.id, email: c.email, fullName: c.fullName, externalId: c.externalId })),
      users: [...this.users.values()].map((u) => ({ id: u.id, email: u.email, fullName: u.fullName, isDeleted: u.isDeleted })),
      labelTypes: [...this.labelTypes.values()].map((l) => ({ id: l.id, name: l.name, archived: l.archived })),
      tenants: [...this.tenants.values()].map((t) => ({ id: t.id, externalId: t.externalId, name: t.name, customerIds: [...t.members.keys()] })),
      threads: [...this.threads.values()].map(threadSnapshot),
      attachments: this.attachmentsSnapshot(),
    };
  }

  private attachmentsSnapshot(): EmulatorStateSnapshot['attachments'] {
    const messageOf = new Map<string, string>();
    for (const th of this.threads.values()) {
      for (const m of th.messages) for (const id of m.attachmentIds) if (!messageOf.has(id)) messageOf.set(id, m.id);
    }
    return [...this.attachments.values()].map((a) => ({
      id: a.id,
      fileName: a.fileName,
      size: a.sizeBytes,
      sha256: a.sha256,
      uploaded: a.uploaded,
      messageId: messageOf.get(a.id) ?? null,
    }));
  }

  /** One thread as in snapshot().threads, or undefined. */
  threadSnapshot(id: string): ThreadSnapshot | undefined {
    const th = this.threads.get(id);
    return th ? threadSnapshot(th) : undefined;
  }
}

type ThreadSnapshot = EmulatorStateSnapshot['threads'][number];

const iso = (ms: number): string => new Date(ms).toISOString();

function threadSnapshot(th: ThreadRecord): ThreadSnapshot {
  return {
    id: th.id,
    externalId: th.externalId,
    customerId: th.customerId,
    title: th.title,
    description: th.description,
    externalUrl: th.externalUrl,
    status: th.status,
    statusDetail: th.statusDetail,
    statusChangedAt: iso(th.statusChangedAt),
    snoozedUntil: th.snoozedUntil === null ? null : iso(th.snoozedUntil),
    priority: th.priority,
    labelTypeIds: th.labels.map((l) => l.labelTypeId),
    labels: th.labels.map((l) => ({ id: l.id, labelTypeId: l.labelTypeId })),
    assignedTo: th.assignedTo === null ? null : { ...th.assignedTo },
    assignedAt: th.assignedAt === null ? null : iso(th.assignedAt),
    tenantId: th.tenantId,
    createdAt: iso(th.createdAt),
    updatedAt: iso(threadUpdatedAt(th)),
    fields: Object.fromEntries([...th.fields.values()].map((f) => [f.key, threadFieldValue(f)])),
    messages: th.messages.map((m) => ({
      id: m.id,
      externalId: m.externalId,
      type: m.type,
      text: m.text,
      createdAt: iso(m.createdAt),
      author: { ...m.author },
      attachmentIds: [...m.attachmentIds],
    })),
  };
}

/** The value field of a stored thread field (DATE as ISO 8601). */
export function threadFieldValue(f: ThreadFieldRecord): ThreadFieldValue {
  if (f.dateValue !== null) return iso(f.dateValue);
  return f.stringValue ?? f.booleanValue ?? f.numberValue ?? '';
}

/** Last change to the thread: a mutation on it or the latest message import. */
export function threadUpdatedAt(th: ThreadRecord): number {
  let ms = th.updatedAt;
  for (const m of th.messages) if (m.importedAt > ms) ms = m.importedAt;
  return ms;
}

function threadKey(customerId: string, externalId: string): string {
  return `${customerId}\u0000${externalId}`;
}
