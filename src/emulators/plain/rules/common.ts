/** Checks shared by several mutations: identifiers, timestamps, required strings. */
import type { PlainStore } from '../store.js';
import type { CustomerRecord, MutationFieldError } from '../types.js';
import { fieldError } from './errors.js';

/** Strict ISO 8601: date, 'T', time, optional fraction, then 'Z' or ±hh:mm. */
const ISO_8601 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

/** Milliseconds since the epoch, or undefined when `value` is not a valid ISO 8601 timestamp. */
export function parseIso8601(value: string): number | undefined {
  const m = ISO_8601.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = Number(m[10]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] === undefined ? 0 : Math.floor(Number(`0.${m[7]}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, fraction);
  // Date.UTC maps years 0..99 to 1900+; set the year explicitly.
  const d = new Date(utc);
  d.setUTCFullYear(year);
  return d.getTime() - offsetMinutes * 60_000;
}

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
