/** Checks shared by several mutations: identifiers, timestamps, required strings. */
import type { PlainStore } from '../store.js';
import type { CustomerRecord, MutationFieldError } from '../types.js';
import { parseIso8601 } from '../../common/iso8601.js';
import { fieldError } from './errors.js';

export { parseIso8601 } from '../../common/iso8601.js';

/** Validates a createdAt field: ISO 8601 and not in the future. Pushes a field error on failure. */
export function checkCreatedAt(value: string, field: string, nowMs: number, errors: MutationFieldError[]): number | undefined {
  const ms = parseIso8601(value);
  if (ms === undefined) {
    errors.push(fieldError(field, 'VALIDATION', `"${value}" is not a valid ISO 8601 timestamp (e.g. 2024-06-15T10:32:00Z)`));
    return undefined;
  }
  if (ms > nowMs) {
    errors.push(fieldError(field, 'VALIDATION', `${value} is in the future`));
    return undefined;
  }
  return ms;
}

export function isBlank(value: string | null | undefined): boolean {
  return value === null || value === undefined || value.trim() === '';
}

export function requireText(value: string | null | undefined, field: string, errors: MutationFieldError[]): void {
  if (isBlank(value)) errors.push(fieldError(field, 'REQUIRED', `${field} is required and must not be empty`));
}

export interface CustomerIdentifier {
  externalId?: string | null;
  emailAddress?: string | null;
  customerId?: string | null;
}

/** Names of the identifier fields that are set (not null/absent). */
export function setKeys<T extends object>(obj: T): (keyof T & string)[] {
  return (Object.keys(obj) as (keyof T & string)[]).filter((k) => obj[k] !== null && obj[k] !== undefined);
}

/**
 * Resolves a CustomerIdentifierInput that must name exactly one of customerId / emailAddress / externalId
 * and must reach an existing customer. Field errors go under `field`.
 */
export function resolveCustomer(
  store: PlainStore,
  ident: CustomerIdentifier,
  field: string,
  errors: MutationFieldError[],
): CustomerRecord | undefined {
  const keys = setKeys(ident);
  if (keys.length !== 1) {
    errors.push(fieldError(field, 'VALIDATION', 'Exactly one of customerId, emailAddress or externalId must be set'));
    return undefined;
  }
  let found: CustomerRecord | undefined;
  if (ident.customerId != null) found = store.customers.get(ident.customerId);
  else if (ident.emailAddress != null) found = store.customerByEmailAddress(ident.emailAddress);
  else if (ident.externalId != null) found = store.customerByExternal(ident.externalId);
  if (!found) {
    const key = keys[0] ?? 'customerId';
    errors.push(fieldError(field, 'NOT_FOUND', `No customer found with ${key} "${String(ident[key as keyof CustomerIdentifier])}"`));
  }
  return found;
}
