/** What `sources/` offers the rest of the pipeline. */
import type { PmError } from '../core/errors.js';

/** Where a record came from: file and 1-based line (jsonl, csv) or 0-based element index (json); or a live source's stream and the record's id. */
export interface RecordLocation {
  /** Path as written in the manifest. */
  readonly file: string;
  /** 1-based line of the record's first character, where the format has lines that mean records (jsonl, csv). */
  readonly line?: number;
  /** 0-based ordinal of the record within the source (every format). */
  readonly index: number;
  /** Live sources: the record's id in its stream (its address is `zendesk.tickets[id=101]`). */
  readonly id?: string;
}

export type SourceItem =
  | { readonly ok: true; readonly record: unknown; readonly location: RecordLocation }
  /**
   * A record that could not be read (malformed JSON line, bad CSV row, a record over the size limit or nested
   * too deep: see limits.ts). The stream goes on after it.
   */
  | { readonly ok: false; readonly error: PmError; readonly location: RecordLocation };

/** Lookups for `$record` (key) and `$records` (groupBy). Synchronous so that JSONata functions stay cheap. */
export interface SourceIndex {
  /** The one record whose key equals `key` (compared as strings); undefined when none. */
  get(key: string): unknown | undefined;
  /** Every record whose groupBy value equals `key`, in source order; [] when none. */
  getAll(key: string): unknown[];
  /**
   * A digest of what `get(key)` (kind 'one') or `getAll(key)` (kind 'all') returns now, without parsing
   * it: the plan cache compares it with the digest it saw when it last mapped a record.
   */
  fingerprint(key: string, kind: 'one' | 'all'): string;
  /** Records that could not be indexed (read errors, key expression errors): counted for diagnostics. */
  readonly errors: ReadonlyArray<PmError>;
  close(): void;
}
