/**
 * JSON Lines (.jsonl, .ndjson): one JSON value per line. Lines are split on raw bytes (see lines.ts), so only
 * one line at a time is decoded and held. A malformed line, a line longer than the source's
 * `maxRecordBytes` (streamed past, never held) and a value nested deeper than MAX_DEPTH become error items
 * naming file:line, and the stream goes on. Blank lines are skipped but counted; CRLF and a leading UTF-8
 * BOM are accepted.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { FileSourceDecl } from '../manifest/types.js';
import { malformedItem, messageOf, rethrow } from './diagnostics.js';
import { mayNestDeeperThan, nestsDeeperThan, recordLimit, tooDeepItem, tooLongItem } from './limits.js';
import { LineSplitter, type Line } from './lines.js';
import { openSourceBytes, READ_CHUNK } from './open.js';
import type { RecordLocation, SourceItem } from './types.js';

const CR = 0x0d;
/** Invalid UTF-8 is an error, not U+FFFD quietly put into a customer's message. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** `JSON.parse`'s message without V8's "(line 1 column N)" suffix, which counts within the line. */
function parseMessage(e: unknown): { message: string; col?: number } {
  const raw = e instanceof Error ? e.message : String(e);
  const message = raw.replace(/\s*\(line \d+ column \d+\)\s*$/, '');
  const m = /at position (\d+)/.exec(message);
  return { message, col: m ? Number(m[1]) + 1 : undefined };
}

/** The first byte that does not start or continue a valid UTF-8 sequence (1-based column in bytes); undefined when none. */
function firstInvalidUtf8(b: Buffer): { byte: number; col: number } | undefined {
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    const n = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
    if (n === 0) return { byte: c, col: i + 1 };
    for (let k = 1; k < n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return { byte: c, col: i + 1 };
    }
    if (n > 1 && !utf8Ok(b.subarray(i, i + n))) return { byte: c, col: i + 1 };
    i += n;
  }
  return undefined;
}

function utf8Ok(seq: Buffer): boolean {
  try {
    utf8.decode(seq);
    return true;
  } catch {
    return false;
  }
}

/** Where a record's JSON text is in its source file: a byte offset and a length in bytes. */
export interface FileSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * A jsonl item that may carry its line's text (for the index), and where that text is in the file
 * when the file is read as it is (not gzip): the index then keeps the place, not the text.
 */
export type JsonlItem = SourceItem & { readonly raw?: string; readonly span?: FileSpan };

/**
 * Parse one line (without its terminator). undefined for a blank line. `offset`: where the line starts
 * in the file, when the bytes are the file's own (else undefined).
 */
function lineItem(decl: FileSourceDecl, buf: Buffer, line: number, index: number, withRaw: boolean, offset: number | undefined, firstOfFile: boolean): JsonlItem | undefined {
  const file = decl.pathAsWritten;
  let end = buf.length;
  if (end > 0 && buf[end - 1] === CR) end--;
  let start = 0;
  if (firstOfFile && end >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) start = 3;
  if (end <= start) return undefined;
  const location: RecordLocation = { file, line, index };
  let text: string;
  try {
    text = utf8.decode(buf.subarray(start, end));
  } catch (e) {
    const bad = firstInvalidUtf8(buf.subarray(start, end));
    // Only an encoding error is one; anything else (a string too long for V8) is named as it is.
    if (!bad) {
      return malformedItem(location, `line ${line} could not be decoded: ${messageOf(e)}`, undefined, `lower sources.${decl.name}.maxRecordBytes so that a line this long is skipped`);
    }
    return malformedItem(
      location,
      `line ${line} is not valid UTF-8 (byte 0x${bad.byte.toString(16).padStart(2, '0')} at column ${bad.col})`,
      bad.col,
      'export the file as UTF-8, or convert it (iconv -f windows-1252 -t utf-8)',
    );
  }
  let record: unknown;
  try {
    // V8's JSON.parse is iterative: any nesting parses; the depth is checked after.
    record = JSON.parse(text) as unknown;
  } catch (e) {
    if (text.trim() === '') return undefined;
    const { message, col } = parseMessage(e);
    return malformedItem(location, `line ${line} is not valid JSON: ${message}`, col, 'each line of a .jsonl file must hold one complete JSON value');
  }
  if (mayNestDeeperThan(buf) && nestsDeeperThan(record)) return tooDeepItem(decl, location, `line ${line}`);
  if (!withRaw) return { ok: true, record, location };
  return offset === undefined ? { ok: true, record, location, raw: text } : { ok: true, record, location, raw: text, span: { offset: offset + start, length: end - start } };
}

/**
 * Some whole lines of a .jsonl file read as it is (not gzip): bytes `start` to `end` (exclusive), each at
 * the start of a line (or the end of the file), with `linesBefore` lines and `itemsBefore` items (records
 * and problems, not blank lines) before them. Numbers relative to the range (both 0) give the lines and
 * items their places within it; only `start` tells whether its first line is the file's (where a BOM
 * may be).
 */
export interface JsonlRange {
  readonly start: number;
  readonly end: number;
  readonly linesBefore: number;
  readonly itemsBefore: number;
}

/**
 * Bytes of a .jsonl source in, items out, numbered from `from` (the whole file: all 0). `offsets`: the
 * bytes are the file's own, so an item can say where it is (FileSpan).
 */
class JsonlItems {
  private readonly lines: LineSplitter;
  private readonly startsFile: boolean;
  private index: number;

  constructor(
    private readonly decl: FileSourceDecl,
    private readonly withRaw: boolean,
    private readonly offsets: boolean,
    from: JsonlRange | undefined,
  ) {
    this.lines = new LineSplitter(recordLimit(decl), from?.linesBefore ?? 0, from?.start ?? 0);
    this.startsFile = (from?.start ?? 0) === 0;
    this.index = from?.itemsBefore ?? 0;
  }

  /** The number of the last line read. */
  get lineCount(): number {
    return this.lines.lines;
  }

  *push(chunk: Buffer): Generator<JsonlItem> {
    for (const l of this.lines.push(chunk)) {
      const item = this.item(l);
      if (item) yield item;
    }
  }

  *end(): Generator<JsonlItem> {
    for (const l of this.lines.end()) {
      const item = this.item(l);
      if (item) yield item;
    }
  }

  private item(l: Line): JsonlItem | undefined {
    const { decl } = this;
    const item =
      l.kind === 'too-long'
        ? tooLongItem(decl, { file: decl.pathAsWritten, line: l.line, index: this.index }, `line ${l.line}`, l.size)
        : lineItem(decl, l.bytes, l.line, this.index, this.withRaw, this.offsets ? l.offset : undefined, this.startsFile && l.line === 1);
    if (item) this.index++;
    return item;
  }
}

/** `withRaw`: ok items also carry the line's text (already valid JSON), sparing a JSON.stringify. */
export async function* readJsonl(decl: FileSourceDecl, signal?: AbortSignal, withRaw = false): AsyncGenerator<JsonlItem> {
  const { stream, direct } = await openSourceBytes(decl, { signal });
  const items = new JsonlItems(decl, withRaw, direct, undefined);
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      for (const item of items.push(chunk)) {
        yield item;
        if (signal?.aborted) throw signal.reason;
      }
    }
    yield* items.end();
  } catch (e) {
    rethrow(decl, e, signal);
  } finally {
    stream.destroy();
  }
}

/**
 * readJsonl's items (with their text) of a range of a file read as it is, read synchronously: for a
 * worker that parses a chunk (index-chunks.ts), where a stream and a promise per line were a fifth of
 * the time, and for the building thread that reads again a chunk with problems. Errors are thrown as
 * they come. `counts`, when given, has the number of the last line read once the items are all out.
 */
export function* readJsonlRangeSync(decl: FileSourceDecl, range: JsonlRange, counts?: { lines: number }): Generator<JsonlItem> {
  const fd = openSync(decl.path, 'r');
  try {
    const items = new JsonlItems(decl, true, true, range);
    for (let pos = range.start; pos < range.end; ) {
      // A new buffer each time: the splitter keeps pieces of the last one for a line that goes on.
      const chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, range.end - pos));
      const n = readSync(fd, chunk, 0, chunk.length, pos);
      if (n === 0) break;
      pos += n;
      yield* items.push(n < chunk.length ? chunk.subarray(0, n) : chunk);
    }
    yield* items.end();
    if (counts) counts.lines = items.lineCount;
  } finally {
    closeSync(fd);
  }
}
