/**
 * Ink wants a NodeJS.WriteStream (it listens for 'resize', reads columns/rows/isTTY). The renderer
 * factory also accepts a bare `{ write }`; this wraps one in an EventEmitter that has what Ink reads.
 * A real stream passes through (Ink waits on its write callbacks at unmount).
 */
import { EventEmitter } from 'node:events';

export interface OutStream {
  write(s: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export function asWriteStream(s: OutStream): NodeJS.WriteStream {
  if (typeof (s as Partial<EventEmitter>).on === 'function') {
    if (s.columns && s.rows) return s as NodeJS.WriteStream;
    // A terminal that reports no size (a pty without one, e.g. under `script`): Ink would lay out in
    // one column and clear the screen on every frame. Same stream, with a default size.
    return new Proxy(s as NodeJS.WriteStream, {
      get(target, prop) {
        if (prop === 'columns') return target.columns || 80;
        if (prop === 'rows') return target.rows || 24;
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
  const adapter = Object.assign(new EventEmitter(), {
    write: (chunk: string) => {
      s.write(chunk);
      return true;
    },
    get isTTY() {
      return s.isTTY ?? false;
    },
    get columns() {
      return s.columns ?? 80;
    },
    get rows() {
      return s.rows ?? 24;
    },
  });
  return adapter as unknown as NodeJS.WriteStream;
}
