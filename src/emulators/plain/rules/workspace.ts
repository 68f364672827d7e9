/** createLabelType and upsertTenant: workspace set-up a migration may do before importing. */
import type { PlainStore } from '../store.js';
import type { LabelTypeRecord, MutationFieldError, TenantRecord } from '../types.js';
import { isBlank, requireText, setKeys } from './common.js';
import type { TenantIdentifier, UpsertResult } from './customers.js';
import { fail, fieldError, ok, validationError, type RuleResult } from './errors.js';

export interface CreateLabelTypeInput {
  name: string;
  parentLabelTypeId?: string | null;
  externalId?: string | null;
}

export function createLabelType(store: PlainStore, input: CreateLabelTypeInput, nowMs: number): RuleResult<LabelTypeRecord> {
  const errors: MutationFieldError[] = [];
  requireText(input.name, 'name', errors);
  if (input.parentLabelTypeId != null && !store.labelTypes.has(input.parentLabelTypeId)) {
    errors.push(fieldError('parentLabelTypeId', 'NOT_FOUND', `No label type found with id "${input.parentLabelTypeId}"`));
  }
  if (input.externalId != null) {
    if (isBlank(input.externalId)) errors.push(fieldError('externalId', 'VALIDATION', 'externalId must not be empty'));
    else if (store.labelTypeByExternal(input.externalId)) errors.push(fieldError('externalId', 'VALIDATION', `A label type with external id "${input.externalId}" already exists`));
  }
  if (errors.length > 0) return fail(validationError(errors));
  const record: LabelTypeRecord = {
    id: store.ids.next('lt'),
    name: input.name,
    archived: false,
    externalId: input.externalId ?? null,
    parentLabelTypeId: input.parentLabelTypeId ?? null,
    createdAt: nowMs,
  };
  store.labelTypes.set(record.id, record);
  return ok(record);
}

export interface UpsertTenantInput {
  identifier: TenantIdentifier;
  name: string;
  externalId: string;
  url?: { value?: string | null } | null;
}

export function upsertTenant(store: PlainStore, input: UpsertTenantInput, nowMs: number): RuleResult<{ result: UpsertResult; tenant: TenantRecord }> {
  const errors: MutationFieldError[] = [];
  const keys = setKeys(input.identifier);
  if (keys.length !== 1) errors.push(fieldError('identifier', 'VALIDATION', 'Exactly one of tenantId or externalId must be set'));
  requireText(input.name, 'name', errors);
  requireText(input.externalId, 'externalId', errors);
  if (errors.length > 0) return fail(validationError(errors));

  const { tenantId, externalId } = input.identifier;
  const existing = tenantId != null ? store.tenants.get(tenantId) : store.tenantByExternal(externalId ?? '');
  if (!existing && tenantId != null) return fail(validationError([fieldError('identifier.tenantId', 'NOT_FOUND', `No tenant found with id "${tenantId}"`)]));
  const clash = store.tenantByExternal(input.externalId);
  if (clash && clash !== existing) {
    return fail(validationError([fieldError('externalId', 'VALIDATION', `A tenant with external id "${input.externalId}" already exists`)]));
  }
  if (!existing) {
    const tenant: TenantRecord = { id: store.ids.next('te'), externalId: input.externalId, name: input.name, members: new Map(), createdAt: nowMs };
    store.addTenant(tenant);
    return ok({ result: 'CREATED', tenant });
  }
  if (existing.name === input.name && existing.externalId === input.externalId) return ok({ result: 'NOOP', tenant: existing });
  const old = existing.externalId;
  existing.name = input.name;
  existing.externalId = input.externalId;
  store.reindexTenant(existing, old);
  return ok({ result: 'UPDATED', tenant: existing });
}
