/**
 * Notices a mapping that is wrong for every record before the plan pays for it on all of them. When
 * the first evaluations of one expression all fail with the same error — a timeout (which costs its
 * whole guard each time), a type error, an unknown function — and it has not once succeeded, the
 * mapping is wrong, not the data: 100,000 records would only repeat it (an expression that always
 * times out costs a second a record: 28 hours). Errors that name a record's values differ from record
 * to record and do not count, nor does an expression that succeeded once (then it is the data).
 */
import type { Expr } from '../manifest/types.js';

/**
 * How many first evaluations must fail alike (each may have cost its timeout), over at least two
 * records (the messages of one thread alone may share a problem of that thread's data).
 */
export const SYSTEMATIC_FAILURES = 5;

export interface SystematicFailure {
  readonly expr: Expr;
  /** The error, without the expression's path. */
  readonly detail: string;
  /** How many evaluations failed. */
  readonly count: number;
  /** Where the failing evaluations' records are (file:line), in order, each once. */
  readonly records: readonly string[];
}

interface Watched {
  succeeded: boolean;
  /** Set once two errors differ: never systematic. */
  mixed: boolean;
  message?: string;
  count: number;
  records: string[];
}

export class FailureWatch {
  private readonly byPath = new Map<string, Watched>();
  private found?: SystematicFailure;

  constructor(private readonly threshold = SYSTEMATIC_FAILURES) {}

  /** The first expression found failing alike on its first evaluations, if any. */
  get tripped(): SystematicFailure | undefined {
    return this.found;
  }

  private entry(expr: Expr): Watched {
    let w = this.byPath.get(expr.path);
    if (!w) {
      w = { succeeded: false, mixed: false, count: 0, records: [] };
      this.byPath.set(expr.path, w);
    }
    return w;
  }

  succeeded(expr: Expr): void {
    this.entry(expr).succeeded = true;
  }

  /** An evaluation of `expr` for the record at `where` threw `message`. */
  failed(expr: Expr, message: string, where: string): void {
    const w = this.entry(expr);
    if (w.succeeded || w.mixed || this.found) return;
    if (w.message !== undefined && w.message !== message) {
      w.mixed = true;
      w.records = [];
      return;
    }
    w.message = message;
    w.count++;
    if (w.records[w.records.length - 1] !== where) w.records.push(where);
    if (w.count >= this.threshold && w.records.length >= 2) this.found = { expr, detail: message, count: w.count, records: [...w.records] };
  }
}
