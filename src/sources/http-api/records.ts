/**
 * What http and command sources share about the records they pull: the id each record is kept under in
 * the snapshot (`id:`, else the source's `key:`, else the field `id`), and the incremental cursor (`cursor:`),
 * the largest value of which is kept.
 */
import { PmError } from '../../core/errors.js';
import type { Expr, LiveSourceDecl } from '../../manifest/types.js';
import { keyEvaluator, keyToString } from '../key.js';

/** Evaluates a source's expression over a value (a constant evaluates to itself). */
export async function evaluateExpr(expr: Expr, input: unknown): Promise<unknown> {
  if (expr.constant) return expr.constant.value;
  if (!expr.compiled) throw new PmError('pull.expression', `the expression \`${expr.text}\` was not compiled`, { location: expr.location, path: expr.path });
  try {
    return await expr.compiled.evaluate(input);
  } catch (e) {
    const msg = typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : String(e);
    throw new PmError('pull.expression', `${expr.path}: the expression \`${expr.text}\` failed: ${msg}`, { location: expr.location, path: expr.path });
  }
}

/** The record's id as the snapshot keeps it (a string), or undefined when the record has none. */
export type IdOf = (record: unknown) => Promise<string | undefined>;

/** `id:` over the record, else the source's `key:`, else its field `id`. */
export function idOf(decl: LiveSourceDecl, fallbackField = 'id'): IdOf {
  const e = decl.exprs['id'] ?? decl.key;
  if (e) {
    const ev = keyEvaluator(e);
    return async (r) => keyToString(await ev(r));
  }
  return async (r) => (typeof r === 'object' && r !== null && !Array.isArray(r) ? keyToString((r as Record<string, unknown>)[fallbackField]) : undefined);
}

/** The form the id rule takes in messages. */
export function idRule(decl: LiveSourceDecl): string {
  const e = decl.exprs['id'] ?? decl.key;
  return e ? `\`${e.text}\`` : 'the field id';
}

export type CursorValue = string | number;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/;
const NUMERIC = /^-?\d+(\.\d+)?$/;

/**
 * Orders two cursor values: numbers numerically; strings as times when both are ISO times (so offsets and
 * precision do not matter), as numbers when both are numeric, else lexically. A number and a string compare
 * as text.
 */
export function compareCursor(a: CursorValue, b: CursorValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  if (typeof a === 'string' && typeof b === 'string') {
    if (ISO_TIME.test(sa) && ISO_TIME.test(sb)) {
      const ta = Date.parse(sa);
      const tb = Date.parse(sb);
      if (!Number.isNaN(ta) && !Number.isNaN(tb) && ta !== tb) return ta - tb;
    }
    if (NUMERIC.test(sa) && NUMERIC.test(sb) && Number(sa) !== Number(sb)) return Number(sa) - Number(sb);
  }
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** The larger of two cursors (either may be missing). */
export function maxCursor(a: CursorValue | null | undefined, b: CursorValue | null | undefined): CursorValue | null {
  if (a === null || a === undefined) return b ?? null;
  if (b === null || b === undefined) return a;
  return compareCursor(b, a) > 0 ? b : a;
}

/** A stored cursor value read back (anything but a string or a finite number counts as none). */
export function asCursor(v: unknown): CursorValue | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return null;
}

/** `cursor:` over one record: a string or a number, or null when the record has none. */
export async function cursorOf(decl: LiveSourceDecl, record: unknown, where: string): Promise<CursorValue | null> {
  const e = decl.exprs['cursor'];
  if (!e) return null;
  const v = await evaluateExpr(e, record);
  if (v === undefined || v === null || v === '') return null;
  if (typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v))) return v;
  throw new PmError('pull.cursor-invalid', `source "${decl.name}": the cursor \`${e.text}\` of ${where} is ${Array.isArray(v) ? 'a list' : typeof v}, not a string or a number`, {
    location: e.location,
    path: `sources.${decl.name}.cursor`,
    hint: 'the cursor must be one value per record, such as updated_at',
  });
}

/** The text `{{cursor}}` stands for: the cursor as a string, empty when there is none. */
export function cursorText(c: CursorValue | null): string {
  return c === null ? '' : String(c);
}
