/**
 * The two limits every reader holds a record to, so that one bad record stays that record's problem:
 *
 *  - **size** (`maxRecordBytes`, per source, default 64 MiB): a jsonl line or csv record longer than this,
 *    or a json array element whose text is longer, is an invalid record. Readers stream past it without
 *    holding more than about the limit, and go on with the next record.
 *  - **nesting** (`MAX_DEPTH`, 128 levels, fixed): a record whose arrays/objects nest deeper is an invalid
 *    record. Real helpdesk exports nest a few levels (rich-text trees a few dozen); everything downstream
 *    that walks a record recursively (JSON.stringify, structuredClone, JSONata's `**`, hashing) breaks at
 *    roughly 2,700 (JSONata `**`) to 4,200 levels (measured on Node 20), and earlier inside deep call stacks.
 */
import { PmError } from '../core/errors.js';
import { DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CEILING } from '../manifest/size.js';
import type { FileSourceDecl } from '../manifest/types.js';
import { addressOf } from './diagnostics.js';
import type { RecordLocation, SourceItem } from './types.js';

export { DEFAULT_MAX_RECORD_BYTES, MAX_RECORD_BYTES_CEILING };
/** Arrays and objects nested deeper than this make a record invalid. The record itself is level 1. */
export const MAX_DEPTH = 128;

/** The size limit that applies to `decl`. */
export function recordLimit(decl: FileSourceDecl): number {
  return decl.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
}

/** `64 MiB`, `500 MB`, `1,234 bytes`: binary units when exact, then decimal, else bytes. */
export function formatBytes(n: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 3, 'GiB'],
    [1000 ** 3, 'GB'],
    [1024 ** 2, 'MiB'],
    [1000 ** 2, 'MB'],
    [1024, 'KiB'],
    [1000, 'KB'],
  ];
  for (const [size, unit] of units) if (n >= size && n % size === 0) return `${n / size} ${unit}`;
  return `${n.toLocaleString('en-US')} byte${n === 1 ? '' : 's'}`;
}

/** `600 MB` style, rounded, for a measured size (not a limit). */
function approxBytes(n: number): string {
  if (n < 10_000) return `${n.toLocaleString('en-US')} bytes`;
  if (n < 1_000_000) return `${Math.round(n / 1000).toLocaleString('en-US')} KB`;
  return `${(Math.round(n / 100_000) / 10).toLocaleString('en-US')} MB`;
}

function item(code: string, loc: RecordLocation, message: string, hint: string): SourceItem {
  const error = new PmError(code, message, { location: { file: loc.file, line: loc.line }, address: addressOf(loc), hint });
  return { ok: false, error, location: loc };
}

/**
 * A record over the size limit. `size` is its length when known (jsonl, csv: the reader streamed to its end);
 * `what` names the record the way the format does ("line 3", "row at line 3", "element 12").
 */
export function tooLongItem(decl: FileSourceDecl, loc: RecordLocation, what: string, size: number | undefined): SourceItem {
  const limit = recordLimit(decl);
  const long = size !== undefined ? `is ${approxBytes(size)} long, over` : 'is longer than';
  const fix =
    size !== undefined && size > MAX_RECORD_BYTES_CEILING
      ? `it is larger than any record plain-migrate can read (${formatBytes(MAX_RECORD_BYTES_CEILING)}); fix the export, e.g. leave out inline file contents`
      : `if it is a real record, raise the limit: \`maxRecordBytes: ${suggestLimit(size ?? limit * 2)}\` under sources.${decl.name} (memory grows with it); otherwise fix the export`;
  return item(
    'source.record-too-long',
    loc,
    `${what} ${long} the limit of ${formatBytes(limit)} per record (sources.${decl.name}.maxRecordBytes); it was skipped${size !== undefined ? ' without being read' : ''}`,
    fix,
  );
}

/** The next round size at or above `n` (e.g. 70,000,000 → 128MiB), capped at the ceiling. */
function suggestLimit(n: number): string {
  let mib = 1;
  while (mib * 1024 * 1024 < n && mib < 512) mib *= 2;
  const bytes = mib * 1024 * 1024;
  return bytes > MAX_RECORD_BYTES_CEILING ? '512MB' : `${mib}MiB`;
}

/** A record nested deeper than MAX_DEPTH. */
export function tooDeepItem(decl: FileSourceDecl, loc: RecordLocation, what: string): SourceItem {
  return item(
    'source.record-too-deep',
    loc,
    `${what} nests arrays or objects more than ${MAX_DEPTH} levels deep, the limit per record; it was skipped`,
    `no helpdesk export nests this deep: the record is probably damaged; fix or remove it in ${decl.pathAsWritten}`,
  );
}

const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;

/**
 * A cheap, exact-enough pre-test on a record's raw bytes: false when the bytes hold at most `limit` opening
 * brackets, so the value cannot nest deeper than `limit` (brackets inside strings only make it say true
 * more often). Stops counting at limit + 1.
 */
export function mayNestDeeperThan(buf: Uint8Array, limit = MAX_DEPTH): boolean {
  const b = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let n = 0;
  for (const ch of [OPEN_ARRAY, OPEN_OBJECT]) {
    let i = b.indexOf(ch);
    while (i !== -1) {
      if (++n > limit) return true;
      i = b.indexOf(ch, i + 1);
    }
  }
  return false;
}

/** True when `value` holds arrays/objects nested more than `limit` levels (the value itself is level 1). Iterative. */
export function nestsDeeperThan(value: unknown, limit = MAX_DEPTH): boolean {
  if (value === null || typeof value !== 'object') return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  while (nodes.length > 0) {
    const node = nodes.pop()!;
    const depth = depths.pop()!;
    if (depth > limit) return true;
    const children = Array.isArray(node) ? (node as unknown[]) : Object.values(node);
    for (const c of children) {
      if (c !== null && typeof c === 'object') {
        nodes.push(c);
        depths.push(depth + 1);
      }
    }
  }
  return false;
}
