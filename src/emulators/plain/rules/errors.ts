/** Builders for Plain's MutationError shape. */
import type { MutationError, MutationFieldError, MutationFieldErrorType } from '../types.js';

export function fieldError(field: string, type: MutationFieldErrorType, message: string): MutationFieldError {
  return { field, type, message };
}

/** A VALIDATION error (code input_validation) carrying field errors. */
export function validationError(fields: MutationFieldError[], message?: string): MutationError {
  const text = message ?? `There was a validation error: ${fields.map((f) => `${f.field}: ${f.message}`).join('; ')}`;
  return { message: text, type: 'VALIDATION', code: 'input_validation', fields };
}

export function codedValidationError(code: string, message: string, fields: MutationFieldError[] = []): MutationError {
  return { message, type: 'VALIDATION', code, fields };
}

export function forbiddenError(missing: readonly string[]): MutationError {
  const label = missing.length === 1 ? 'Missing permission' : 'Missing permissions';
  return { message: `${label}: ${missing.join(', ')}`, type: 'FORBIDDEN', code: 'forbidden', fields: [] };
}

export function internalError(): MutationError {
  return { message: 'Internal server error (injected by the emulator)', type: 'INTERNAL', code: 'internal', fields: [] };
}

/** Outcome of a rule: the value on success or a MutationError. */
export type RuleResult<T> = { ok: true; value: T } | { ok: false; error: MutationError };

export function ok<T>(value: T): RuleResult<T> {
  return { ok: true, value };
}

export function fail<T>(error: MutationError): RuleResult<T> {
  return { ok: false, error };
}
