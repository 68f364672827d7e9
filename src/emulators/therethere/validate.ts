/**
 * Laravel-style validation: input normalised as Laravel's global middleware does (strings trimmed,
 * empty strings null), rules checked in order with Laravel's default English messages, one message
 * per field (the first rule that fails, as with `bail`), and a 422 body
 * `{message: "<first message> (and N more errors)", errors: {"<dotted.field>": ["…"]}}`.
 */
import { parseIso8601 } from '../common/iso8601.js';

export type Input = Record<string, unknown>;

/** Laravel shows `from_contact.email` as "from contact.email". */
export const displayName = (key: string): string => key.replace(/_/g, ' ');

/** Laravel's RFC email check is lenient: something@something, no spaces. */
const EMAIL = /^[^\s@]+@[^\s@]+$/;

export const isObject = (v: unknown): v is Input => typeof v === 'object' && v !== null && !Array.isArray(v);

/** TrimStrings + ConvertEmptyStringsToNull, recursively. */
export function normalise(value: unknown): unknown {
  if (typeof value === 'string') {
    const t = value.trim();
    return t === '' ? null : t;
  }
  if (Array.isArray(value)) return value.map(normalise);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalise(v)]));
  return value;
}

/** A request body as Laravel's input: a JSON object, else nothing. */
export function inputOf(body: unknown): Input {
  const v = normalise(body);
  return isObject(v) ? v : {};
}

/** A PHP array: a JSON list or object. */
const isPhpArray = (v: unknown): v is unknown[] | Input => Array.isArray(v) || isObject(v);

/** The entries of a PHP array (list indices or object keys). */
export function entriesOf(v: unknown): [string, unknown][] {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (isObject(v)) return Object.entries(v);
  return [];
}

/** Laravel's `required`: not null, and not an empty array. */
const filled = (v: unknown): boolean => v !== undefined && v !== null && !(isPhpArray(v) && entriesOf(v).length === 0);

export class Validator {
  readonly errors: Record<string, string[]> = {};

  constructor(private readonly nowMs: number) {}

  get ok(): boolean {
    return Object.keys(this.errors).length === 0;
  }

  has(key: string): boolean {
    return key in this.errors;
  }

  fail(key: string, message: string): undefined {
    if (!this.has(key)) this.errors[key] = [message];
    return undefined;
  }

  /** The 422 body. */
  body(): { message: string; errors: Record<string, string[]> } {
    const all = Object.values(this.errors).flat();
    const more = all.length - 1;
    const first = all[0] ?? 'The given data was invalid.';
    return { message: more > 0 ? `${first} (and ${more} more error${more === 1 ? '' : 's'})` : first, errors: this.errors };
  }

  private required(v: unknown, key: string, required: boolean): boolean {
    if (filled(v)) return true;
    if (required) this.fail(key, `The ${displayName(key)} field is required.`);
    return false;
  }

  /** `required|string|max:N` or `nullable|string|max:N`; `max` counts characters. */
  string(v: unknown, key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
    if (!this.required(v, key, opts.required ?? false)) return undefined;
    if (typeof v !== 'string') return this.fail(key, `The ${displayName(key)} field must be a string.`);
    if (opts.max !== undefined && [...v].length > opts.max) return this.fail(key, `The ${displayName(key)} field must not be greater than ${opts.max} characters.`);
    return v;
  }

  /** `…|string|in:a,b`. */
  oneOf<T extends string>(v: unknown, key: string, values: readonly T[], required: boolean): T | undefined {
    const s = this.string(v, key, { required });
    if (s === undefined) return undefined;
    if (!(values as readonly string[]).includes(s)) return this.fail(key, `The selected ${displayName(key)} is invalid.`);
    return s as T;
  }

  /** `…|string|email|max:255`. */
  email(v: unknown, key: string, required: boolean): string | undefined {
    const s = this.string(v, key, { required });
    if (s === undefined) return undefined;
    if (!EMAIL.test(s)) return this.fail(key, `The ${displayName(key)} field must be a valid email address.`);
    if ([...s].length > 255) return this.fail(key, `The ${displayName(key)} field must not be greater than 255 characters.`);
    return s;
  }

  /** `nullable|date|before:now`, the date being ISO 8601 with an offset; milliseconds since the epoch. */
  pastDate(v: unknown, key: string): number | undefined {
    if (!filled(v)) return undefined;
    const ms = typeof v === 'string' ? parseIso8601(v) : undefined;
    if (ms === undefined) return this.fail(key, `The ${displayName(key)} field must be a valid date.`);
    if (ms >= this.nowMs) return this.fail(key, `The ${displayName(key)} field must be a date before now.`);
    return ms;
  }

  /**
   * `…|array|max:N`: the entries, or undefined when absent or not an array. Too many entries fail the
   * field but the entries are still returned, since Laravel validates each of them as well.
   */
  array(v: unknown, key: string, opts: { required?: boolean; max?: number } = {}): [string, unknown][] | undefined {
    if (!this.required(v, key, opts.required ?? false)) return undefined;
    if (!isPhpArray(v)) return this.fail(key, `The ${displayName(key)} field must be an array.`);
    const entries = entriesOf(v);
    if (opts.max !== undefined && entries.length > opts.max) this.fail(key, `The ${displayName(key)} field must not have more than ${opts.max} items.`);
    return entries;
  }

  /** `required|array` on an entry of a list of objects (`messages.*`): the object, or {} after a failure. */
  object(v: unknown, key: string): Input {
    if (!this.required(v, key, true)) return {};
    if (!isObject(v)) {
      this.fail(key, `The ${displayName(key)} field must be an array.`);
      return {};
    }
    return v;
  }

  /** `distinct` over `values` (key → value): every occurrence of a repeated value fails, as in Laravel. */
  distinct(values: [string, string][]): void {
    const count = new Map<string, number>();
    for (const [, v] of values) count.set(v, (count.get(v) ?? 0) + 1);
    for (const [key, v] of values) if ((count.get(v) ?? 0) > 1) this.fail(key, `The ${displayName(key)} field has a duplicate value.`);
  }

  /** `after_or_equal:<other>`: a date not earlier than another field's. */
  afterOrEqual(key: string, ms: number, otherKey: string, otherMs: number): void {
    if (ms < otherMs) this.fail(key, `The ${displayName(key)} field must be a date after or equal to ${displayName(otherKey)}.`);
  }

  /** `exists`-style failure. */
  invalid(key: string): undefined {
    return this.fail(key, `The selected ${displayName(key)} is invalid.`);
  }
}
