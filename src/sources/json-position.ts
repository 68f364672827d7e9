/**
 * stream-json's parser reports syntax errors without a position, and as a stream error, which would make
 * a pipeline drop the tokens already parsed. This wraps one parser instance so that a syntax error
 *  - is given a 1-based line: it keeps the line of the first character of the parser's pending text,
 *    snapshots the parser's small state before each chunk, and on an error replays that chunk line by line
 *    (with output suppressed) to find the line where parsing stops;
 *  - is held rather than emitted: the parser stops consuming input and the caller is told (`onError`), so
 *    it can end the parser and let everything parsed before the error flow on.
 * No cost beyond counting newlines unless an error happens. It relies on the parser's internals
 * (stream-json 1.x); if those are missing, nothing is wrapped and errors are emitted as usual.
 */
import type { Transform } from 'node:stream';

type Callback = (err?: Error | null) => void;

interface ParserInternals {
  _buffer: unknown;
  _expect: unknown;
  _stack: unknown;
  _parent: unknown;
  _open_number: unknown;
  _accumulator: unknown;
  _done: unknown;
  _processBuffer: (cb: Callback) => void;
  push: (chunk: unknown) => boolean;
}

type Snapshot = Omit<ParserInternals, '_processBuffer' | 'push' | '_buffer'>;

function countNewlines(s: string, from = 0, to = s.length): number {
  let n = 0;
  let i = s.indexOf('\n', from);
  while (i !== -1 && i < to) {
    n++;
    i = s.indexOf('\n', i + 1);
  }
  return n;
}

export interface ParserGuard {
  /** False when the parser could not be wrapped: syntax errors are then emitted as stream errors. */
  readonly active: boolean;
  /** The syntax error held, if any. */
  error(): Error | undefined;
  /** The line of the syntax error, when it could be found. */
  errorLine(): number | undefined;
}

export function guardParser(parser: Transform, onError: () => void): ParserGuard {
  const p = parser as unknown as ParserInternals;
  let held: Error | undefined;
  let errorLine: number | undefined;
  const active = typeof p._processBuffer === 'function' && typeof p._buffer === 'string';
  const guard: ParserGuard = { active, error: () => held, errorLine: () => errorLine };
  if (!active) return guard;
  const original = p._processBuffer;
  /** Line of the first character of the parser's pending text. */
  let baseLine = 1;

  const snapshot = (): Snapshot => ({
    _expect: p._expect,
    _stack: Array.isArray(p._stack) ? [...(p._stack as unknown[])] : p._stack,
    _parent: p._parent,
    _open_number: p._open_number,
    _accumulator: p._accumulator,
    _done: p._done,
  });

  /** Re-run the chunk from the snapshot one line at a time; the line whose piece fails is the error line. */
  const locate = (snap: Snapshot, text: string): number | undefined => {
    Object.assign(p, snap, { _buffer: '' });
    // push may be an own property (a hook on the parser's tokens): put back whatever was there.
    const own = Object.prototype.hasOwnProperty.call(p, 'push');
    const saved = p.push;
    p.push = () => true;
    try {
      let line = baseLine;
      let start = 0;
      while (start < text.length) {
        const nl = text.indexOf('\n', start);
        const end = nl === -1 ? text.length : nl + 1;
        p._buffer = `${p._buffer as string}${text.slice(start, end)}`;
        let failed = false;
        original.call(p, (err) => {
          failed = Boolean(err);
        });
        if (failed) return line;
        start = end;
        line++;
      }
      return undefined;
    } catch {
      return undefined;
    } finally {
      if (own) p.push = saved;
      else delete (p as Partial<ParserInternals>).push;
    }
  };

  p._processBuffer = function patched(this: ParserInternals, cb: Callback): void {
    if (held) {
      // After an error nothing more is parsed; the input is being shut off.
      this._buffer = '';
      cb(null);
      return;
    }
    const text = typeof this._buffer === 'string' ? this._buffer : '';
    const snap = snapshot();
    original.call(this, (err) => {
      if (err) {
        const found = locate(snap, text);
        // Without a precise position, name the line of the last non-blank text seen.
        errorLine = found ?? baseLine + countNewlines(text.trimEnd());
        held = err;
        this._buffer = '';
        // The parser's flush would otherwise emit a half-read number after the error.
        this._open_number = false;
        cb(null);
        onError();
        return;
      }
      const rest = typeof this._buffer === 'string' ? this._buffer : '';
      baseLine += countNewlines(text, 0, text.length - rest.length);
      cb(null);
    });
  };
  return guard;
}
