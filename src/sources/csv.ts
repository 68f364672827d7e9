/**
 * CSV (.csv): streamed with csv-parse. Values are strings ('' for an empty cell). With `header: true` the
 * first row names the columns (`columns:` overrides the names); with `header: false`, `columns:` is required.
 * A malformed row (wrong number of fields, bad quoting) becomes an error item and parsing goes on where
 * csv-parse can resynchronise (skip_records_with_error).
 *
 * Line numbers: csv-parse's own line counter drifts on CRLF inside quoted fields, so lines are counted here
 * from the raw bytes: a record starts right after the previous record's end (csv-parse's `info.bytes`,
 * which counts raw bytes), plus the empty lines it skipped in between.
 *
 * Size: a record longer than the source's `maxRecordBytes` is dropped before csv-parse by CsvRecordGuard
 * (csv-guard.ts) and reported as a too-long item at its line; the records after it are read as usual.
 * CSV values are strings, so the nesting limit does not apply.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { parse, type CsvError, type OptionsWithColumns, type Parser as CsvParser } from 'csv-parse';
import type { CsvOptions, FileSourceDecl } from '../manifest/types.js';
import { PmError } from '../core/errors.js';
import { CsvRecordGuard, type TooLongRecord } from './csv-guard.js';
import { declError, malformedItem, messageOf, rethrow } from './diagnostics.js';
import { formatBytes, recordLimit, tooLongItem } from './limits.js';
import { openSourceStream } from './open.js';
import type { SourceItem } from './types.js';

/** csv-parse's own limit, above the guard's: it only fires if the two disagree about where a record ends. */
const PARSER_SLACK = 1024;

/**
 * Passes bytes through unchanged and answers "how many newlines before byte B" for increasing B. Keeps the
 * positions of the newlines not yet asked about, not the bytes.
 */
class NewlineCounter extends Transform {
  private positions: number[] = [];
  private head = 0;
  /** Absolute offset of the next chunk's first byte. */
  private offset = 0;
  private newlines = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) this.positions.push(this.offset + i);
    this.offset += chunk.length;
    cb(null, chunk);
  }

  newlinesBefore(offset: number): number {
    while (this.head < this.positions.length && this.positions[this.head]! < offset) {
      this.head++;
      this.newlines++;
    }
    if (this.head > 4096 && this.head * 2 > this.positions.length) {
      this.positions = this.positions.slice(this.head);
      this.head = 0;
    }
    return this.newlines;
  }
}

/** Parsed row as it leaves the parser: a record or a skipped row, in file order. */
type Row =
  | { readonly kind: 'record'; readonly record: Record<string, string>; readonly line: number }
  | { readonly kind: 'error'; readonly message: string; readonly line: number };

function csvMessage(err: CsvError | undefined): string {
  if (!err) return 'the row could not be parsed';
  // csv-parse's own "on line N" may disagree with ours: drop it.
  return err.message.replace(/ (?:on|at) line \d+/g, '').replace(/^Invalid Record Length: /, 'wrong number of fields: ');
}

function csvOptions(decl: FileSourceDecl): CsvOptions {
  const o = decl.csv ?? { delimiter: ',', header: true };
  if (!o.header && (!o.columns || o.columns.length === 0)) {
    throw declError(
      decl,
      'source.csv-columns-required',
      `source "${decl.name}": csv.header is false, so csv.columns must name the columns`,
      'csv.columns',
      'list the column names, e.g. `csv: { header: false, columns: [id, subject, status] }`',
    );
  }
  return o;
}

export async function* readCsv(decl: FileSourceDecl, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  const file = decl.pathAsWritten;
  const o = csvOptions(decl);
  const limit = recordLimit(decl);
  const input = await openSourceStream(decl, { signal });
  const guard = new CsvRecordGuard(limit, o.delimiter);
  const counter = new NewlineCounter();
  let prevEnd = 0;
  let prevEmpty = 0;
  const startLine = (bytes: unknown, empty: unknown): number => {
    const emptyNow = typeof empty === 'number' ? empty : prevEmpty;
    const line = 1 + counter.newlinesBefore(prevEnd) + guard.droppedBefore(prevEnd) + (emptyNow - prevEmpty);
    if (typeof bytes === 'number' && bytes > prevEnd) prevEnd = bytes;
    prevEmpty = emptyNow;
    return line;
  };
  let parser: CsvParser;
  const headerTooLong = (r: TooLongRecord): PmError =>
    new PmError('source.unreadable', `the header row of ${file} (line ${r.line}) is longer than the limit of ${formatBytes(limit)} per record, so the columns cannot be read`, {
      location: { file, line: r.line },
      hint: `check that ${file} is a CSV file with a header row, or raise sources.${decl.name}.maxRecordBytes`,
    });
  const headerColumns = (first: unknown): string[] => {
    // The header row was dropped for its size: what csv-parse takes for it is the first data row.
    const dropped = guard.tooLong[0];
    if (dropped?.first) throw headerTooLong(dropped);
    const header = Array.isArray(first) ? first.map(String) : [];
    startLine(parser.info.bytes, parser.info.empty_lines);
    const names = o.columns ?? header;
    if (o.columns && o.columns.length !== header.length) {
      throw declError(
        decl,
        'source.csv-columns-mismatch',
        `source "${decl.name}": csv.columns names ${o.columns.length} columns but the header row of ${file} has ${header.length}`,
        'csv.columns',
        `the header row is: ${header.join(o.delimiter)}`,
      );
    }
    return names;
  };
  const options: OptionsWithColumns<Row, Record<string, string>> = {
      delimiter: o.delimiter,
      record_delimiter: ['\r\n', '\n'],
      bom: true,
      skip_empty_lines: true,
      skip_records_with_error: true,
      // The guard keeps records within the limit; this only stops a disagreement between the two.
      max_record_size: limit + PARSER_SLACK,
      columns: o.header ? headerColumns : (o.columns ?? []),
      on_record: (record, ctx): Row => ({ kind: 'record', record, line: startLine(ctx.bytes, ctx.empty_lines) }),
      on_skip: (err) => {
        // csv-parse loses its place after this one (it drops the rest of the chunk): stop the source.
        if (err?.code === 'CSV_MAX_RECORD_SIZE') throw err;
        const row: Row = { kind: 'error', message: csvMessage(err), line: startLine(err?.['bytes'], err?.['empty_lines']) };
        parser.push(row);
        return undefined;
      },
  };
  try {
    parser = parse<Row, Record<string, string>>(options);
  } catch (e) {
    input.destroy();
    throw declError(decl, 'source.csv-options', `source "${decl.name}": invalid csv options: ${messageOf(e)}`, 'csv');
  }
  // pipe() keeps backpressure; errors of the file/gunzip stream are forwarded to the parser by hand.
  input.on('error', (e) => parser.destroy(e));
  guard.on('error', (e) => parser.destroy(e));
  counter.on('error', (e) => parser.destroy(e));
  input.pipe(guard).pipe(counter).pipe(parser);
  let index = 0;
  const tooLong = (r: TooLongRecord): SourceItem => {
    if (r.first && o.header) throw headerTooLong(r);
    if (r.unclosedQuote) {
      throw new PmError('source.unreadable', `unclosed quote in ${file}: the record at line ${r.line} runs to the end of the file; the rest of the file cannot be read, so the source cannot be used`, {
        location: { file, line: r.line },
        hint: 'close the quote on that line (or re-export the file)',
      });
    }
    return tooLongItem(decl, { file, line: r.line, index: index++ }, `row at line ${r.line}`, r.size);
  };
  /** The records dropped for their size that come before a row at `line` (all of them when undefined). */
  const before = (line: number | undefined): SourceItem[] => {
    const out: SourceItem[] = [];
    while (guard.tooLong.length > 0 && (line === undefined || guard.tooLong[0]!.line < line)) out.push(tooLong(guard.tooLong.shift()!));
    return out;
  };
  try {
    for await (const row of parser as AsyncIterable<Row>) {
      for (const item of before(row.line)) yield item;
      const location = { file, line: row.line, index: index++ };
      if (row.kind === 'record') yield { ok: true, record: row.record, location };
      else if (/Quote Not Closed/i.test(row.message)) {
        // An unclosed quote swallows the rest of the file: the source as a whole is unusable.
        throw new PmError('source.unreadable', `unclosed quote in ${file} (${row.message}); the rest of the file cannot be read, so the source cannot be used`, {
          location: { file, line: row.line },
          hint: 'close the quote on that line (or re-export the file)',
        });
      } else yield malformedItem(location, `row at line ${row.line} is malformed: ${row.message}`);
      if (signal?.aborted) throw signal.reason;
    }
    for (const item of before(undefined)) yield item;
  } catch (e) {
    const code = typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
    if (code.startsWith('CSV_') && !signal?.aborted) {
      // The rest of the file cannot be read: the source as a whole is unusable (planning on a part
      // of it would take every later record for gone).
      const line = startLine(undefined, undefined);
      throw new PmError('source.unreadable', `${file} could not be parsed as CSV from line ${line}: ${csvMessage(e as CsvError)}; the rest of the file cannot be read, so the source cannot be used`, {
        location: { file, line },
        hint: 'fix the file (an unclosed quote swallows everything after it), or re-export it',
      });
    }
    rethrow(decl, e, signal);
  } finally {
    parser.destroy();
    counter.destroy();
    guard.destroy();
    input.destroy();
  }
}
