/**
 * Errors are values: a stable code, a message a person can act on, and where it applies a location
 * (file:line:col) or a record address. The CLI prints them without a stack trace.
 */

export interface SourceLocation {
  file: string;
  /** 1-based */
  line?: number;
  /** 1-based */
  col?: number;
}

export interface PmErrorOptions {
  location?: SourceLocation;
  /** A record or resource address, e.g. thread["zd-1"] or tickets.jsonl:12 */
  address?: string;
  /** A property path inside the manifest, e.g. threads.messages.text */
  path?: string;
  /** What the user can do about it. */
  hint?: string;
  cause?: unknown;
}

export class PmError extends Error {
  readonly code: string;
  readonly location?: SourceLocation;
  readonly address?: string;
  readonly path?: string;
  readonly hint?: string;

  constructor(code: string, message: string, opts: PmErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'PmError';
    this.code = code;
    this.location = opts.location;
    this.address = opts.address;
    this.path = opts.path;
    this.hint = opts.hint;
  }
}

export function formatLocation(loc: SourceLocation): string {
  let s = loc.file;
  if (loc.line !== undefined) {
    s += `:${loc.line}`;
    if (loc.col !== undefined) s += `:${loc.col}`;
  }
  return s;
}

/** One-paragraph rendering for terminals and logs: `file:line:col: message (code)` plus the hint. */
export function formatError(err: PmError): string {
  const where = err.location ? `${formatLocation(err.location)}: ` : err.address ? `${err.address}: ` : '';
  const path = err.path ? ` (at ${err.path})` : '';
  let s = `${where}${err.message}${path}`;
  if (err.hint) s += `\n  hint: ${err.hint}`;
  return s;
}

export function isPmError(e: unknown): e is PmError {
  return e instanceof PmError;
}
