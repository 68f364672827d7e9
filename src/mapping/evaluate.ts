/** Evaluate one compiled manifest expression, turning JSONata's error objects into readable reasons. */
import { PmError } from '../core/errors.js';
import { BAIL } from '../manifest/fast-path.js';
import type { Expr } from '../manifest/types.js';
import type { Bindings } from './bindings.js';

export class EvalError extends Error {
  constructor(
    readonly path: string,
    /** What went wrong, without the path. */
    readonly detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}

interface JsonataErrorLike {
  code?: string;
  message?: string;
  position?: number;
  token?: string;
}

export function describeJsonataError(e: unknown): string {
  if (e instanceof Error && !('code' in e && typeof (e as JsonataErrorLike).code === 'string' && /^[A-Z]\d{4}$/.test(String((e as JsonataErrorLike).code)))) {
    return e.message;
  }
  const j = e as JsonataErrorLike;
  const msg = j?.message ?? String(e);
  if (j?.code === 'D1012' || j?.code === 'U1001') {
    return `${msg} (the expression was stopped by the evaluation guard; simplify it or check for unbounded recursion)`;
  }
  return j?.code ? `${msg} (JSONata ${j.code}${j.position !== undefined ? ` at position ${j.position}` : ''})` : msg;
}

/** JSONata marks result sequences with a `sequence` flag; give plain values back. */
function plain(v: unknown): unknown {
  if (Array.isArray(v) && (v as { sequence?: boolean }).sequence) return Array.from(v);
  return v;
}

export async function evaluate(expr: Expr | undefined, input: unknown, bindings: Bindings): Promise<unknown> {
  if (!expr) return undefined;
  if (expr.constant) return expr.constant.value;
  if (!expr.compiled) return undefined;
  try {
    if (expr.fast) {
      const v = expr.fast(input, bindings);
      if (v !== BAIL) return v;
    }
    return plain(await expr.compiled.evaluate(input, bindings));
  } catch (e) {
    // A look-up that cannot go on (a source changed under its index) stops the command, not the record.
    if (e instanceof PmError) throw e;
    throw new EvalError(expr.path, describeJsonataError(e));
  }
}

/** Why an evaluation failed, as a record's reason; a PmError is not one (it stops the command) and is thrown. */
export function reasonOf(e: unknown): string {
  if (e instanceof PmError) throw e;
  return e instanceof EvalError ? e.message : String(e);
}
