/** How `key`/`groupBy` expressions are evaluated per record and how their values compare. */
import type { Expr } from '../manifest/types.js';
import { PmError } from '../core/errors.js';
import { parseDottedPath } from './path.js';

/**
 * How key values are compared: strings as they are, numbers and booleans via String() (so "5" finds 5),
 * anything else (null, undefined, objects, arrays, NaN/Infinity) → undefined: not indexed.
 */
export function keyToString(v: unknown): string | undefined {
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
      return Number.isFinite(v) ? String(v) : undefined;
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return undefined;
  }
}

/** Evaluates an expression for one record: synchronously on the fast path, else a Promise (JSONata). */
export type KeyEvaluator = (record: unknown) => unknown;

const FALLBACK = Symbol('fallback');

/** Read a dotted path directly, as JSONata would for plain objects; FALLBACK where arrays make it subtle. */
function walk(record: unknown, segs: readonly string[]): unknown {
  let cur: unknown = record;
  for (const s of segs) {
    if (cur === null || typeof cur !== 'object') return undefined;
    if (Array.isArray(cur)) return FALLBACK;
    cur = Object.hasOwn(cur, s) ? (cur as Record<string, unknown>)[s] : undefined;
  }
  return Array.isArray(cur) ? FALLBACK : cur;
}

/** True when a value may be awaited (JSONata's evaluate returns a Promise; JSON values never have a then()). */
export function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

export function keyEvaluator(expr: Expr): KeyEvaluator {
  if (expr.constant) {
    const value = expr.constant.value;
    return () => value;
  }
  const compiled = expr.compiled;
  if (!compiled) {
    throw new PmError('source.key-invalid', `the expression \`${expr.text}\` was not compiled`, { location: expr.location, path: expr.path });
  }
  const slow = (record: unknown): unknown => compiled.evaluate(record);
  const segs = parseDottedPath(expr.text);
  if (!segs) return slow;
  return (record) => {
    const v = walk(record, segs);
    return v === FALLBACK ? slow(record) : v;
  };
}

/** The index keys of one evaluated value. */
export type KeysOf =
  | { readonly ok: true; readonly keys: readonly string[] }
  | { readonly ok: false; readonly reason: string };

const NONE: KeysOf = { ok: true, keys: [] };

/**
 * `key`: a scalar gives one key; null/undefined none; an array or object is refused (not indexed).
 * `groupBy`: the same, but an array puts the record in the group of each distinct scalar element.
 */
export function keysOf(value: unknown, kind: 'key' | 'groupBy'): KeysOf {
  if (value === undefined || value === null) return NONE;
  const k = keyToString(value);
  if (k !== undefined) return { ok: true, keys: [k] };
  if (Array.isArray(value)) {
    if (kind === 'key') return { ok: false, reason: 'evaluates to a list; a key must be a single string, number or boolean' };
    const keys = new Set<string>();
    for (const el of value) {
      const s = keyToString(el);
      if (s !== undefined) keys.add(s);
    }
    return { ok: true, keys: [...keys] };
  }
  if (typeof value === 'object') return { ok: false, reason: 'evaluates to an object; it must be a string, number or boolean' };
  return NONE;
}
