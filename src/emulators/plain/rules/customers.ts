/** upsertCustomer and addCustomerToTenants. */
import type { PlainStore } from '../store.js';
import type { CustomerRecord, MutationFieldError, TenantRecord } from '../types.js';
import { isBlank, resolveCustomer, setKeys, type CustomerIdentifier } from './common.js';
import { codedValidationError, fail, fieldError, ok, validationError, type RuleResult } from './errors.js';

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface TenantIdentifier {
  tenantId?: string | null;
  externalId?: string | null;
}
interface EmailAddressInput {
  email: string;
  isVerified: boolean;
}
export interface UpsertCustomerInput {
  identifier: CustomerIdentifier;
  onCreate: {
    externalId?: string | null;
    fullName: string;
    shortName?: string | null;
    email: EmailAddressInput;
    customerGroupIdentifiers?: unknown[] | null;
    tenantIdentifiers?: TenantIdentifier[] | null;
  };
  onUpdate: {
    externalId?: { value?: string | null } | null;
    fullName?: { value: string } | null;
    shortName?: { value?: string | null } | null;
    email?: EmailAddressInput | null;
  };
}
export interface AddCustomerToTenantsInput {
  customerIdentifier: CustomerIdentifier;
  tenantIdentifiers: TenantIdentifier[];
}

export type UpsertResult = 'CREATED' | 'UPDATED' | 'NOOP';

export function resolveTenants(store: PlainStore, idents: TenantIdentifier[], field: string, errors: MutationFieldError[]): TenantRecord[] {
  const out: TenantRecord[] = [];
  idents.forEach((ident, i) => {
    const keys = setKeys(ident);
    if (keys.length !== 1) {
      errors.push(fieldError(`${field}[${i}]`, 'VALIDATION', 'Exactly one of tenantId or externalId must be set'));
      return;
    }
    const t = ident.tenantId != null ? store.tenants.get(ident.tenantId) : store.tenantByExternal(ident.externalId ?? '');
    if (!t) {
      errors.push(fieldError(`${field}[${i}]`, 'NOT_FOUND', `No tenant found with ${keys[0] ?? 'tenantId'} "${ident.tenantId ?? ident.externalId ?? ''}"`));
      return;
    }
    if (!out.includes(t)) out.push(t);
  });
  return out;
}

function checkEmail(value: string, field: string, errors: MutationFieldError[]): void {
  if (isBlank(value)) errors.push(fieldError(field, 'REQUIRED', `${field} is required and must not be empty`));
  else if (!EMAIL.test(value.trim())) errors.push(fieldError(field, 'VALIDATION', `"${value}" is not a valid email address`));
}

function emailTaken(email: string, field: string): RuleResult<never> {
  return fail(codedValidationError('customer_already_exists_with_email', `A customer with email ${email} already exists`, [
    fieldError(field, 'VALIDATION', `A customer with email ${email} already exists`),
  ]));
}

function externalIdTaken(externalId: string, field: string): RuleResult<never> {
  return fail(codedValidationError('customer_already_exists_with_external_id', `A customer with external id ${externalId} already exists`, [
    fieldError(field, 'VALIDATION', `A customer with external id ${externalId} already exists`),
  ]));
}

export function upsertCustomer(store: PlainStore, input: UpsertCustomerInput, nowMs: number): RuleResult<{ result: UpsertResult; customer: CustomerRecord }> {
  const ident = input.identifier;
  const keys = setKeys(ident);
  if (keys.length !== 1) {
    return fail(validationError([fieldError('identifier', 'VALIDATION', 'Exactly one of externalId, emailAddress or customerId must be set')]));
  }
  const key = keys[0] as keyof CustomerIdentifier;
  const value = ident[key] ?? '';
  if (isBlank(value)) return fail(validationError([fieldError(`identifier.${key}`, 'VALIDATION', `identifier.${key} must not be empty`)]));

  let existing: CustomerRecord | undefined;
  if (key === 'customerId') {
    existing = store.customers.get(value);
    if (!existing) return fail(validationError([fieldError('identifier.customerId', 'NOT_FOUND', `No customer found with id "${value}"`)]));
  } else if (key === 'emailAddress') {
    existing = store.customerByEmailAddress(value);
  } else {
    existing = store.customerByExternal(value);
  }
  return existing ? updateCustomer(store, existing, input.onUpdate, nowMs) : createCustomer(store, input, nowMs);
}

function createCustomer(store: PlainStore, input: UpsertCustomerInput, nowMs: number): RuleResult<{ result: UpsertResult; customer: CustomerRecord }> {
  const c = input.onCreate;
  const errors: MutationFieldError[] = [];
  if (isBlank(c.fullName)) errors.push(fieldError('onCreate.fullName', 'REQUIRED', 'onCreate.fullName is required and must not be empty'));
  checkEmail(c.email.email, 'onCreate.email', errors);
  if (c.externalId != null && isBlank(c.externalId)) errors.push(fieldError('onCreate.externalId', 'VALIDATION', 'onCreate.externalId must not be empty'));
  if (c.customerGroupIdentifiers && c.customerGroupIdentifiers.length > 0) {
    errors.push(fieldError('onCreate.customerGroupIdentifiers', 'NOT_FOUND', 'The emulator has no customer groups'));
  }
  const tenants = resolveTenants(store, c.tenantIdentifiers ?? [], 'onCreate.tenantIdentifiers', errors);
  if (errors.length > 0) return fail(validationError(errors));

  const email = c.email.email.trim();
  const externalId = c.externalId ?? input.identifier.externalId ?? null;
  if (store.customerByEmailAddress(email)) return emailTaken(email, 'onCreate.email');
  if (externalId !== null && store.customerByExternal(externalId)) return externalIdTaken(externalId, 'onCreate.externalId');

  const customer: CustomerRecord = {
    id: store.ids.next('c'),
    email,
    emailVerified: c.email.isVerified,
    fullName: c.fullName,
    shortName: c.shortName ?? null,
    externalId,
    createdAt: nowMs,
    updatedAt: nowMs,
  };
  store.addCustomer(customer);
  for (const t of tenants) t.members.set(customer.id, nowMs);
  return ok({ result: 'CREATED', customer });
}

function updateCustomer(
  store: PlainStore,
  customer: CustomerRecord,
  u: UpsertCustomerInput['onUpdate'],
  nowMs: number,
): RuleResult<{ result: UpsertResult; customer: CustomerRecord }> {
  const errors: MutationFieldError[] = [];
  if (u.fullName && isBlank(u.fullName.value)) errors.push(fieldError('onUpdate.fullName', 'REQUIRED', 'onUpdate.fullName.value must not be empty'));
  if (u.email) checkEmail(u.email.email, 'onUpdate.email', errors);
  const newExternalId = u.externalId ? (u.externalId.value ?? null) : customer.externalId;
  if (newExternalId !== null && isBlank(newExternalId)) errors.push(fieldError('onUpdate.externalId', 'VALIDATION', 'onUpdate.externalId.value must not be empty'));
  if (errors.length > 0) return fail(validationError(errors));

  const newEmail = u.email ? u.email.email.trim() : customer.email;
  const other = store.customerByEmailAddress(newEmail);
  if (other && other.id !== customer.id) return emailTaken(newEmail, 'onUpdate.email');
  if (newExternalId !== null) {
    const o = store.customerByExternal(newExternalId);
    if (o && o.id !== customer.id) return externalIdTaken(newExternalId, 'onUpdate.externalId');
  }

  const next: CustomerRecord = {
    ...customer,
    email: newEmail,
    emailVerified: u.email ? u.email.isVerified : customer.emailVerified,
    fullName: u.fullName ? u.fullName.value : customer.fullName,
    shortName: u.shortName ? (u.shortName.value ?? null) : customer.shortName,
    externalId: newExternalId,
  };
  const changed =
    next.email !== customer.email ||
    next.emailVerified !== customer.emailVerified ||
    next.fullName !== customer.fullName ||
    next.shortName !== customer.shortName ||
    next.externalId !== customer.externalId;
  if (!changed) return ok({ result: 'NOOP', customer });
  const oldEmail = customer.email;
  const oldExternalId = customer.externalId;
  Object.assign(customer, next, { updatedAt: nowMs });
  store.reindexCustomer(customer, oldEmail, oldExternalId);
  return ok({ result: 'UPDATED', customer });
}

export function addCustomerToTenants(store: PlainStore, input: AddCustomerToTenantsInput, nowMs: number): RuleResult<CustomerRecord> {
  const errors: MutationFieldError[] = [];
  const customer = resolveCustomer(store, input.customerIdentifier, 'customerIdentifier', errors);
  const tenants = resolveTenants(store, input.tenantIdentifiers, 'tenantIdentifiers', errors);
  if (errors.length > 0 || !customer) return fail(validationError(errors));
  for (const t of tenants) if (!t.members.has(customer.id)) t.members.set(customer.id, nowMs);
  return ok(customer);
}
