/** importThread: every documented rule, then idempotency per (customer, externalId). */
import type { PlainStore } from '../store.js';
import { STATUS_DETAILS, type AssigneeRef, type ImportStatusDetail, type MutationFieldError, type ThreadRecord, type ThreadStatus } from '../types.js';
import { checkCreatedAt, isBlank, requireText, resolveCustomer, setKeys, type CustomerIdentifier } from './common.js';
import { fail, fieldError, ok, validationError, type RuleResult } from './errors.js';

export interface ImportThreadInput {
  customerIdentifier: CustomerIdentifier;
  title: string;
  externalId: string;
  externalUrl?: string | null;
  description?: string | null;
  priority: number;
  status: ThreadStatus;
  statusDetail: { type: ImportStatusDetail };
  labelTypeIds?: string[] | null;
  assignedTo?: { userId?: string | null; machineUserId?: string | null } | null;
  tenantId?: string | null;
  createdAt: string;
}

export function importThread(
  store: PlainStore,
  input: ImportThreadInput,
  nowMs: number,
): RuleResult<{ result: 'CREATED' | 'NOOP'; thread: ThreadRecord }> {
  const errors: MutationFieldError[] = [];
  const customer = resolveCustomer(store, input.customerIdentifier, 'customerIdentifier', errors);
  requireText(input.title, 'title', errors);
  requireText(input.externalId, 'externalId', errors);

  if (!Number.isInteger(input.priority) || input.priority < 0 || input.priority > 3) {
    errors.push(fieldError('priority', 'VALIDATION', `priority must be 0, 1, 2 or 3 (got ${input.priority})`));
  }

  const allowed = STATUS_DETAILS[input.status];
  if (!allowed.includes(input.statusDetail.type)) {
    errors.push(fieldError('statusDetail', 'VALIDATION', `statusDetail ${input.statusDetail.type} does not match status ${input.status} (allowed: ${allowed.join(', ')})`));
  }

  const labelTypeIds: string[] = [];
  for (const id of input.labelTypeIds ?? []) {
    const lt = store.labelTypes.get(id);
    if (!lt) errors.push(fieldError('labelTypeIds', 'NOT_FOUND', `No label type found with id "${id}"`));
    else if (lt.archived) errors.push(fieldError('labelTypeIds', 'VALIDATION', `Label type "${id}" is archived`));
    else if (!labelTypeIds.includes(id)) labelTypeIds.push(id);
  }

  const assignedTo = checkAssignee(store, input.assignedTo, errors);

  let tenantId: string | null = null;
  if (input.tenantId != null) {
    const tenant = store.tenants.get(input.tenantId);
    if (!tenant) errors.push(fieldError('tenantId', 'NOT_FOUND', `No tenant found with id "${input.tenantId}"`));
    else if (customer && !tenant.members.has(customer.id)) {
      errors.push(fieldError('tenantId', 'VALIDATION', `Customer ${customer.id} is not a member of tenant ${tenant.id}; call addCustomerToTenants first`));
    } else tenantId = tenant.id;
  }

  const createdAt = checkCreatedAt(input.createdAt, 'createdAt', nowMs, errors);
  if (errors.length > 0 || !customer || createdAt === undefined) return fail(validationError(errors));

  const existing = store.threadByExternal(customer.id, input.externalId);
  if (existing) return ok({ result: 'NOOP', thread: existing });

  const thread = store.addThread({
    id: store.ids.next('th'),
    externalId: input.externalId,
    customerId: customer.id,
    title: input.title,
    description: input.description ?? null,
    externalUrl: input.externalUrl ?? null,
    status: input.status,
    statusDetail: input.statusDetail.type,
    statusChangedAt: createdAt,
    snoozedUntil: null,
    priority: input.priority,
    labels: labelTypeIds.map((labelTypeId) => ({ id: store.ids.next('l'), labelTypeId, createdAt: nowMs })),
    assignedTo,
    assignedAt: assignedTo === null ? null : nowMs,
    tenantId,
    createdAt,
    importedAt: nowMs,
    updatedAt: nowMs,
    messages: [],
    messagesByExternalId: new Map(),
  });
  return ok({ result: 'CREATED', thread });
}

function checkAssignee(store: PlainStore, input: ImportThreadInput['assignedTo'], errors: MutationFieldError[]): AssigneeRef | null {
  if (input == null) return null;
  const keys = setKeys(input);
  if (keys.length !== 1) {
    errors.push(fieldError('assignedTo', 'VALIDATION', 'Exactly one of userId or machineUserId must be set'));
    return null;
  }
  return resolveAssignee(store, input, 'assignedTo.', errors);
}

/**
 * Resolves an assignee that names exactly one of userId / machineUserId (checked by the caller): the user
 * must exist and not be deleted, the machine user must exist. Field errors go under `prefix` + field name.
 */
export function resolveAssignee(
  store: PlainStore,
  input: { userId?: string | null; machineUserId?: string | null },
  prefix: string,
  errors: MutationFieldError[],
): AssigneeRef | null {
  if (input.userId != null) {
    const user = store.users.get(input.userId);
    if (!user) errors.push(fieldError(`${prefix}userId`, 'NOT_FOUND', `No user found with id "${input.userId}"`));
    else if (user.isDeleted) errors.push(fieldError(`${prefix}userId`, 'VALIDATION', `User ${user.id} is deleted`));
    else return { userId: user.id };
    return null;
  }
  const id = input.machineUserId ?? '';
  if (isBlank(id) || !store.machineUsers.has(id)) {
    errors.push(fieldError(`${prefix}machineUserId`, 'NOT_FOUND', `No machine user found with id "${id}"`));
    return null;
  }
  return { machineUserId: id };
}
