/**
 * The size limit for CSV records, applied to the bytes before csv-parse sees them. csv-parse's own
 * `max_record_size` cannot be used for this: with `skip_records_with_error` it drops the rest of the chunk
 * and every record after the long one (csv-parse 6.2), and without it the whole file fails.
 *
 * The guard follows record boundaries with the same quote rules as csv-parse (a quote opens a quoted field
 * only at the start of a field; `""` inside quotes is a quote; after a closing quote anything but a
 * delimiter or line end goes back into the quoted text, as csv-parse does after its error). It passes on
 * whole records only: the bytes of the record in progress are held (at most the limit, as references to
 * the input chunks) until its line end. A record that grows past the limit is dropped as it streams,
 * never reaching csv-parse, and noted in `tooLong` for the reader to report at its line; the newlines it
 * took with it are noted too, so that the reader's line numbers stay those of the file.
 */
import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteSeen,
}

export interface TooLongRecord {
  /** 1-based line where the record starts. */
  readonly line: number;
  /** Its length in bytes without the LF (or CRLF) that ends it; final once `done`. */
  size: number;
  /** The first record of the file (the header row, when there is one). */
  readonly first: boolean;
  /** The file ended inside the record's quoted field: the quote was never closed. */
  unclosedQuote: boolean;
  done: boolean;
}

export class CsvRecordGuard extends Transform {
  /** Records dropped, in file order; the reader takes them from the front. */
  readonly tooLong: TooLongRecord[] = [];
  /** From output offset `at` on, `lines` more newlines of the file were dropped. */
  private readonly dropped: Array<{ at: number; lines: number }> = [];
  private readonly delimiter: number;
  private state = State.FieldStart;
  /** Bytes of the record in progress from earlier chunks, not yet passed on. */
  private held: Buffer[] = [];
  private recordBytes = 0;
  private line = 1;
  private recordLine = 1;
  private records = 0;
  /** Bytes passed on so far. */
  private out = 0;
  private skipping: TooLongRecord | undefined;
  private droppedLines = 0;
  /** The record so far holds a byte other than CR (a CRLF blank line is not a record). */
  private hasContent = false;
  /** The last byte seen was CR. */
  private lastWasCr = false;

  /** `limit`: the most bytes a record may hold, not counting the LF or CRLF that ends it. */
  constructor(
    private readonly limit: number,
    delimiter: string,
  ) {
    super();
    // A multi-byte delimiter is followed by its last byte (an approximation only for quotes right after it).
    const d = Buffer.from(delimiter, 'utf8');
    this.delimiter = d[d.length - 1] ?? 0x2c;
  }

  /** Newlines of the file dropped before the record that starts after output offset `offset`. */
  droppedBefore(offset: number): number {
    let n = 0;
    for (const d of this.dropped) if (d.at <= offset) n += d.lines;
    return n;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const n = chunk.length;
    /** Start of the record in progress within this chunk (0 when it began in an earlier one). */
    let recStart = 0;
    /** Bytes of this chunk before `from` are passed on or dropped. */
    let from = 0;
    // Next positions of the bytes that matter (n when none): runs between them are skipped with indexOf.
    let nextLf = -1;
    let nextQuote = -1;
    let nextDelim = -1;
    const find = (b: number, at: number): number => {
      const k = chunk.indexOf(b, at);
      return k === -1 ? n : k;
    };
    for (let i = 0; i < n; ) {
      // A run of bytes that cannot change the state: inside quotes up to the next quote, in an unquoted
      // field up to the next delimiter or line end.
      let end = i;
      if (this.state === State.Quoted) {
        if (nextQuote < i) nextQuote = find(QUOTE, i);
        end = nextQuote;
      } else if (this.state === State.Unquoted) {
        if (nextDelim < i) nextDelim = find(this.delimiter, i);
        if (nextLf < i) nextLf = find(LF, i);
        end = Math.min(nextDelim, nextLf);
      }
      if (!this.skipping) end = Math.min(end, i + this.limit - this.recordBytes);
      if (end > i) {
        if (this.state === State.Quoted) {
          if (nextLf < i) nextLf = find(LF, i);
          while (nextLf < end) {
            this.line++;
            if (this.skipping) this.droppedLines++;
            nextLf = find(LF, nextLf + 1);
          }
        }
        if (this.skipping) this.skipping.size += end - i;
        else this.recordBytes += end - i;
        this.hasContent = true;
        this.lastWasCr = chunk[end - 1] === CR;
        i = end;
        continue;
      }
      const c = chunk[i]!;
      if (c === LF) this.line++;
      if (c === LF && this.state !== State.Quoted) {
        // The record ends here.
        if (this.skipping) {
          this.endSkip(true);
          from = i + 1;
        } else {
          if (this.hasContent) this.records++;
          this.passHeld();
        }
        recStart = i + 1;
        this.state = State.FieldStart;
        this.recordBytes = 0;
        this.hasContent = false;
        this.lastWasCr = false;
        this.recordLine = this.line;
        i++;
        continue;
      }
      const prev = this.state;
      this.state = next(prev, c, this.delimiter);
      if (c !== CR) this.hasContent = true;
      this.lastWasCr = c === CR;
      if (this.skipping) {
        this.skipping.size++;
        if (c === LF) this.droppedLines++;
        // (one CR past the limit may be the first half of the CRLF that ends the record)
      } else if (++this.recordBytes > this.limit + (c === CR && this.recordBytes === this.limit + 1 ? 1 : 0)) {
        // Over the limit: the complete records before this one go on; this one is dropped.
        this.pass(chunk.subarray(from, recStart));
        this.held = [];
        this.startSkip(c);
      }
      i++;
    }
    if (!this.skipping) {
      this.pass(chunk.subarray(from, recStart));
      if (recStart < n) this.held.push(chunk.subarray(recStart));
    }
    cb();
  }

  override _flush(cb: TransformCallback): void {
    if (this.skipping) {
      this.skipping.unclosedQuote = this.state === State.Quoted;
      this.endSkip(false);
    } else {
      this.passHeld();
    }
    cb();
  }

  private pass(b: Buffer): void {
    if (b.length === 0) return;
    this.out += b.length;
    this.push(b);
  }

  private passHeld(): void {
    for (const b of this.held) this.pass(b);
    this.held = [];
  }

  /** `c` is the first byte over the limit. */
  private startSkip(c: number): void {
    this.skipping = { line: this.recordLine, size: this.recordBytes, first: this.records === 0, unclosedQuote: false, done: false };
    this.tooLong.push(this.skipping);
    this.droppedLines = c === LF ? 1 : 0;
  }

  /** At the LF that ends the dropped record (`atLf`), or at the end of the file. */
  private endSkip(atLf: boolean): void {
    const s = this.skipping!;
    // A CR right before the LF is the record's line end, not part of it.
    if (atLf && this.lastWasCr) s.size--;
    // Every newline of the record is gone from what csv-parse sees, its final LF included. They count for
    // the records after it: csv-parse's end offset of the record before it is at least `out - 1`.
    this.dropped.push({ at: this.out - 1, lines: this.droppedLines + (atLf ? 1 : 0) });
    s.done = true;
    this.skipping = undefined;
    this.records++;
  }
}

function next(state: State, c: number, delimiter: number): State {
  switch (state) {
    case State.FieldStart:
      return c === QUOTE ? State.Quoted : c === delimiter ? State.FieldStart : State.Unquoted;
    case State.Unquoted:
      return c === delimiter ? State.FieldStart : State.Unquoted;
    case State.Quoted:
      return c === QUOTE ? State.QuoteSeen : State.Quoted;
    case State.QuoteSeen:
      return c === QUOTE ? State.Quoted : c === delimiter ? State.FieldStart : c === CR ? State.QuoteSeen : State.Quoted;
  }
}
