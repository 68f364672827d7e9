/**
 * upsertThreadField: one value per (thread, schema key). The `type` names the one value field that is
 * read (STRING/ENUM → stringValue, BOOL → booleanValue, NUMBER/CURRENCY → numberValue, DATE → dateValue)
 * and must equal the schema's type. Every problem is reported at once; nothing changes on error.
 */
import type { PlainStore } from '../store.js';
import type { MutationFieldError, ThreadFieldRecord, ThreadFieldSchemaRecord, ThreadFieldType, ThreadRecord } from '../types.js';
import { isBlank, parseIso8601 } from './common.js';
import type { UpsertResult } from './customers.js';
import { fail, fieldError, ok, validationError, type RuleResult } from './errors.js';

type ValueField = 'stringValue' | 'booleanValue' | 'numberValue' | 'dateValue';
const VALUE_FIELDS: readonly ValueField[] = ['stringValue', 'booleanValue', 'numberValue', 'dateValue'];

/** The input value field a type is written with. */
export const VALUE_FIELD: Readonly<Record<ThreadFieldType, ValueField>> = {
  STRING: 'stringValue',
  ENUM: 'stringValue',
  BOOL: 'booleanValue',
  NUMBER: 'numberValue',
  CURRENCY: 'numberValue',
  DATE: 'dateValue',
};

export interface UpsertThreadFieldInput {
  identifier: { threadId: string; key: string };
  type: ThreadFieldType;
  stringValue?: string | null;
  booleanValue?: boolean | null;
  numberValue?: number | null;
  dateValue?: string | null;
}

type Value = Pick<ThreadFieldRecord, 'stringValue' | 'booleanValue' | 'numberValue' | 'dateValue'>;

/** Checks the value fields against `type` (and the schema's enumValues); returns the value to store. */
function checkValue(input: UpsertThreadFieldInput, schema: ThreadFieldSchemaRecord | undefined, errors: MutationFieldError[]): Value | undefined {
  const want = VALUE_FIELD[input.type];
  const before = errors.length;
  for (const f of VALUE_FIELDS) {
    if (f !== want && input[f] != null) errors.push(fieldError(f, 'VALIDATION', `Only ${want} may be set for a ${input.type} field (got ${f})`));
  }
  const value: Value = { stringValue: null, booleanValue: null, numberValue: null, dateValue: null };
  switch (want) {
    case 'stringValue': {
      const v = input.stringValue;
      if (isBlank(v)) errors.push(fieldError('stringValue', 'REQUIRED', `stringValue is required for a ${input.type} field and must not be empty`));
      else if (input.type === 'ENUM' && schema?.type === 'ENUM' && !schema.enumValues.includes(v ?? '')) {
        errors.push(fieldError('stringValue', 'VALIDATION', `"${v ?? ''}" is not one of the values of "${schema.key}": ${schema.enumValues.join(', ')}`));
      } else value.stringValue = v ?? null;
      break;
    }
    case 'booleanValue':
      if (input.booleanValue == null) errors.push(fieldError('booleanValue', 'REQUIRED', 'booleanValue is required for a BOOL field'));
      else value.booleanValue = input.booleanValue;
      break;
    case 'numberValue':
      if (input.numberValue == null) errors.push(fieldError('numberValue', 'REQUIRED', `numberValue is required for a ${input.type} field`));
      else value.numberValue = input.numberValue;
      break;
    case 'dateValue': {
      const v = input.dateValue;
      if (isBlank(v)) errors.push(fieldError('dateValue', 'REQUIRED', 'dateValue is required for a DATE field'));
      else {
        const ms = parseIso8601(v ?? '');
        if (ms === undefined) errors.push(fieldError('dateValue', 'VALIDATION', `"${v ?? ''}" is not a valid ISO 8601 timestamp (e.g. 2024-06-15T10:32:00Z)`));
        else value.dateValue = ms;
      }
      break;
    }
  }
  return errors.length === before ? value : undefined;
}

const sameValue = (a: Value, b: Value): boolean =>
  a.stringValue === b.stringValue && a.booleanValue === b.booleanValue && a.numberValue === b.numberValue && a.dateValue === b.dateValue;

export function upsertThreadField(
  store: PlainStore,
  input: UpsertThreadFieldInput,
  nowMs: number,
): RuleResult<{ result: UpsertResult; threadField: ThreadFieldRecord; thread: ThreadRecord }> {
  const errors: MutationFieldError[] = [];
  const { threadId, key } = input.identifier;
  const thread = store.threads.get(threadId);
  if (!thread) errors.push(fieldError('identifier.threadId', 'NOT_FOUND', `No thread found with id "${threadId}"`));
  let schema: ThreadFieldSchemaRecord | undefined;
  if (isBlank(key)) errors.push(fieldError('identifier.key', 'REQUIRED', 'identifier.key is required and must not be empty'));
  else {
    schema = store.threadFieldSchemaByKey(key);
    if (!schema) errors.push(fieldError('identifier.key', 'NOT_FOUND', `No thread field schema found with key "${key}"`));
    else if (schema.type !== input.type) errors.push(fieldError('type', 'VALIDATION', `Thread field "${key}" is of type ${schema.type}, not ${input.type}`));
  }
  const value = checkValue(input, schema, errors);
  if (errors.length > 0 || !thread || !schema || !value) return fail(validationError(errors));

  const existing = thread.fields.get(schema.key);
  if (!existing) {
    const threadField: ThreadFieldRecord = { id: store.ids.next('tf'), threadId: thread.id, key: schema.key, type: schema.type, ...value, createdAt: nowMs, updatedAt: nowMs };
    thread.fields.set(schema.key, threadField);
    thread.updatedAt = nowMs;
    return ok({ result: 'CREATED', threadField, thread });
  }
  if (sameValue(existing, value)) return ok({ result: 'NOOP', threadField: existing, thread });
  Object.assign(existing, value, { updatedAt: nowMs });
  thread.updatedAt = nowMs;
  return ok({ result: 'UPDATED', threadField: existing, thread });
}

/** Required thread fields (schema isRequired) that have no value on the thread, as field errors. */
export function missingRequiredFields(store: PlainStore, thread: ThreadRecord): MutationFieldError[] {
  return [...store.threadFieldSchemas.values()]
    .filter((s) => s.isRequired && !thread.fields.has(s.key))
    .map((s) => fieldError('threadFields', 'REQUIRED', `Thread field "${s.key}" (${s.label}) is required and must be set before the thread can be marked as done`));
}
