/**
 * Splitting a byte stream into lines on raw bytes (a UTF-8 multi-byte sequence never contains 0x0a), with a
 * size limit: a line longer than the limit is not accumulated. Its bytes are counted and dropped as they
 * stream past, and it comes out as a `too-long` line with its length once its end is seen, so the reader
 * holds at most about `limit` bytes of any one line.
 */

const LF = 0x0a;
const CR = 0x0d;

export type Line =
  /**
   * A line without its LF (a trailing CR is kept; the caller drops it). `line` is 1-based; `offset` is
   * where its first byte is in the stream.
   */
  | { readonly kind: 'line'; readonly line: number; readonly bytes: Buffer; readonly offset: number }
  /** A line over the limit: only its number and its length (without the terminator) are known. */
  | { readonly kind: 'too-long'; readonly line: number; readonly size: number };

export class LineSplitter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The current line is over the limit: its bytes are counted, not kept. */
  private skipping = false;
  /** Bytes of the line being skipped so far. */
  private skipped = 0;
  /** Whether the last byte seen of the skipped line was CR (not counted if the line ends right after). */
  private skippedCr = false;
  private line = 0;
  /** Bytes of the stream before the current chunk, and where the current line starts. */
  private seen = 0;
  private lineStart = 0;
  /** The most bytes held at once (for tests: it stays near the limit whatever the line's length). */
  maxHeld = 0;

  /**
   * `limit`: the most bytes a line may hold, not counting its LF or a CR before it. `linesBefore` and
   * `offset`: for a stream that starts at the beginning of a line further in a file, how many lines
   * came before it and where it starts (the lines' numbers and offsets are then the file's).
   */
  constructor(
    private readonly limit: number,
    linesBefore = 0,
    offset = 0,
  ) {
    this.line = linesBefore;
    this.seen = offset;
    this.lineStart = offset;
  }

  /** The number of the last line ended so far (linesBefore when none). */
  get lines(): number {
    return this.line;
  }

  /** The lines that `chunk` completes, in order. */
  *push(chunk: Buffer): Generator<Line> {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(LF, start);
      const end = nl === -1 ? chunk.length : nl;
      if (this.skipping) {
        if (end > start) {
          this.skipped += end - start;
          this.skippedCr = chunk[end - 1] === CR;
        }
      } else {
        // Mid-line, one byte more than the limit is held back: it may be the CR of a CRLF.
        const size = this.pendingBytes + (end - start);
        const over = nl === -1 ? size > this.limit + 1 : size - (end > start ? Number(chunk[end - 1] === CR) : this.lastPendingIsCr()) > this.limit;
        if (over) {
          this.skipping = true;
          this.skipped = size;
          this.skippedCr = end > start ? chunk[end - 1] === CR : this.lastPendingIsCr() === 1;
          this.pending = [];
          this.pendingBytes = 0;
        } else if (nl === -1) {
          if (end > start) {
            this.pending.push(chunk.subarray(start));
            this.pendingBytes += end - start;
            if (this.pendingBytes > this.maxHeld) this.maxHeld = this.pendingBytes;
          }
        }
      }
      if (nl === -1) {
        this.seen += chunk.length;
        return;
      }
      const line = this.finish(chunk.subarray(start, nl));
      this.lineStart = this.seen + nl + 1;
      yield line;
      start = nl + 1;
    }
  }

  /** The last line, when the stream does not end with LF. */
  *end(): Generator<Line> {
    if (!this.skipping && this.pendingBytes - this.lastPendingIsCr() > this.limit) {
      // The byte held back for a CR was not one.
      this.skipping = true;
      this.skipped = this.pendingBytes;
      this.skippedCr = this.lastPendingIsCr() === 1;
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (this.skipping || this.pendingBytes > 0) yield this.finish(Buffer.alloc(0));
  }

  private lastPendingIsCr(): 0 | 1 {
    const last = this.pending[this.pending.length - 1];
    return last !== undefined && last[last.length - 1] === CR ? 1 : 0;
  }

  /** Ends the current line; `tail` is its part in the current chunk (already counted when skipping). */
  private finish(tail: Buffer): Line {
    this.line++;
    if (this.skipping) {
      const size = this.skipped - (this.skippedCr ? 1 : 0);
      this.skipping = false;
      this.skipped = 0;
      this.skippedCr = false;
      return { kind: 'too-long', line: this.line, size };
    }
    let bytes = tail;
    if (this.pending.length > 0) {
      if (tail.length > 0) this.pending.push(tail);
      bytes = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes + tail.length);
      this.pending = [];
      this.pendingBytes = 0;
    }
    if (bytes.length > this.maxHeld) this.maxHeld = bytes.length;
    return { kind: 'line', line: this.line, bytes, offset: this.lineStart };
  }
}
