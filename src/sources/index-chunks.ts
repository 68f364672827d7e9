/**
 * Building a groupBy index on several threads: a large `.jsonl` file read as it is is cut into chunks of
 * whole lines, and each chunk is parsed elsewhere (a worker of the plan's mapping pool): its lines
 * decoded and parsed, each record's group evaluated and each run of one group's records digested. What
 * comes back is, per record, its group and its place in the file; the thread that builds the index
 * only writes those rows, in file order (see buildIndex). Parsing was most of a build's time, on one
 * core while the others waited.
 *
 * A chunk is numbered from its own start (its first line is line 1, its first item item 0); the builder
 * adds what came before. A chunk with any problem in it (a line that is not JSON, a group expression
 * that fails, ...) comes back `clean: false` and nothing else: the builder reads that chunk itself, the
 * way it reads a whole file, so every problem is reported with the same words and places either way.
 */
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Expr, FileSourceDecl } from '../manifest/types.js';
import { readJsonlRangeSync } from './jsonl.js';
import { isThenable, keyEvaluator, keysOf } from './key.js';

/** A chunk to parse: whole lines of the file, from `start` (inclusive) to `end` (exclusive). */
export interface ChunkRange {
  readonly start: number;
  readonly end: number;
}

/** What parsing a chunk gives: its rows and its runs of one group, numbered within the chunk. */
export type ChunkResult =
  | {
      readonly clean: true;
      /** Lines in the chunk (blank ones too) and items (records and problems; here, records). */
      readonly lines: number;
      readonly items: number;
      /** Records in at least one group. */
      readonly grouped: number;
      /** One row per record and group (a record whose group is nothing has none). */
      readonly keys: string[];
      /** Per row: the record's line and item number in the chunk, its byte offset in the file and its length. */
      readonly line: Float64Array;
      readonly index: Float64Array;
      readonly offset: Float64Array;
      readonly length: Float64Array;
      /**
       * Runs of consecutive rows of one group: their first row and digest (sha1 of each record's JSON text
       * and a newline). Empty when a record is in several groups (`multi`): the builder then digests
       * every group after the build, as for any file whose groups are not runs.
       */
      readonly runStarts: number[];
      readonly runDigests: string[];
      readonly multi: boolean;
    }
  | { readonly clean: false };

/** Parse one chunk of `decl` (see the module comment). `expr`: the source's groupBy expression. */
export async function parseChunk(decl: FileSourceDecl, expr: Expr, range: ChunkRange): Promise<ChunkResult> {
  const evaluate = keyEvaluator(expr);
  const keys: string[] = [];
  const line: number[] = [];
  const index: number[] = [];
  const offset: number[] = [];
  const length: number[] = [];
  const runStarts: number[] = [];
  const runDigests: string[] = [];
  let multi = false;
  let runKey: string | undefined;
  let hash = createHash('sha1');
  let items = 0;
  let grouped = 0;
  const counts = { lines: 0 };
  for (const item of readJsonlRangeSync(decl, { ...range, linesBefore: 0, itemsBefore: 0 }, counts)) {
    items++;
    if (!item.ok || !item.span || item.raw === undefined) return { clean: false };
    let value: unknown;
    try {
      value = evaluate(item.record);
      if (isThenable(value)) value = await value;
    } catch {
      return { clean: false };
    }
    const ks = keysOf(value, 'groupBy');
    if (!ks.ok) return { clean: false };
    if (ks.keys.length === 0) continue;
    grouped++;
    if (ks.keys.length !== 1) multi = true;
    if (!multi) {
      const k = ks.keys[0]!;
      if (k !== runKey) {
        if (runKey !== undefined) runDigests.push(hash.digest('hex'));
        runKey = k;
        runStarts.push(keys.length);
        hash = createHash('sha1');
      }
      hash.update(item.raw).update('\n');
    }
    for (const k of ks.keys) {
      keys.push(k);
      line.push(item.location.line!);
      index.push(item.location.index!);
      offset.push(item.span.offset);
      length.push(item.span.length);
    }
  }
  if (multi) {
    runStarts.length = 0;
    runDigests.length = 0;
  } else if (runKey !== undefined) runDigests.push(hash.digest('hex'));
  return {
    clean: true,
    lines: counts.lines,
    items,
    grouped,
    keys,
    line: Float64Array.from(line),
    index: Float64Array.from(index),
    offset: Float64Array.from(offset),
    length: Float64Array.from(length),
    runStarts,
    runDigests,
    multi,
  };
}

const LF = 0x0a;
const SCAN = 64 * 1024;

/**
 * The file cut into chunks of about `chunkBytes`, each ending just after a newline (or at the end of
 * the file): a chunk is never a part of a line.
 */
export async function chunkRanges(path: string, size: number, chunkBytes: number): Promise<ChunkRange[]> {
  const out: ChunkRange[] = [];
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(SCAN);
    let start = 0;
    while (start < size) {
      let end = Math.min(size, start + chunkBytes);
      // Move the end to just after the next newline at or after it.
      for (let at = end - 1; end < size; ) {
        const { bytesRead } = await fh.read(buf, 0, SCAN, at);
        if (bytesRead === 0) {
          end = size;
          break;
        }
        const nl = buf.subarray(0, bytesRead).indexOf(LF);
        if (nl >= 0) {
          end = at + nl + 1;
          break;
        }
        at += bytesRead;
        if (at >= size) end = size;
      }
      out.push({ start, end });
      start = end;
    }
  } finally {
    await fh.close();
  }
  return out;
}
