import { hash } from 'node:crypto';

/** Below this depth canonicalJson recurses (fast); deeper subtrees are written by the iterative walk. */
const RECURSION_DEPTH = 256;
/** Deeper than this a value is taken for cyclic: an error, not an endless walk. */
const MAX_ITERATIVE_DEPTH = 10_000_000;

/**
 * JSON with object keys sorted, so that equal values always hash equally. Written with loops rather
 * than map/filter/join: it runs for every message of every plan (a few percent of a plan's time).
 * Any nesting depth is handled: past RECURSION_DEPTH levels the rest is written iteratively, with the
 * same output, so a deep value never overflows the stack. The output must never change: state files keep
 * hashes of it.
 */
export function canonicalJson(v: unknown): string {
  return write(v, 0);
}

/**
 * What JSON.stringify escapes in a string besides \n: " and \, the other control characters, and lone
 * surrogates (a string with any surrogate at all takes JSON.stringify).
 */
const ESCAPED_BESIDES_NEWLINE = /["\\\u0000-\u0009\u000b-\u001f\ud800-\udfff]/;

/**
 * JSON.stringify(s), faster for a message's text: Markdown has newlines and seldom anything else JSON
 * escapes, and replacing only those beats JSON.stringify's per-character escaping (5.5 → 3.9 µs for a
 * 1.5 KB text). Short strings are not worth the test.
 */
function stringJson(s: string): string {
  if (s.length < 256 || ESCAPED_BESIDES_NEWLINE.test(s)) return JSON.stringify(s);
  return `"${s.replaceAll('\n', '\\n')}"`;
}

/** `"key":` for an object key; keys repeat in every value, so each is escaped once. */
const KEY_JSON = new Map<string, string>();
function keyJson(k: string): string {
  let j = KEY_JSON.get(k);
  if (j === undefined) {
    j = `${JSON.stringify(k)}:`;
    if (KEY_JSON.size < 10_000) KEY_JSON.set(k, j);
  }
  return j;
}

function write(v: unknown, depth: number): string {
  if (typeof v === 'string') return stringJson(v);
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (depth >= RECURSION_DEPTH) return canonicalJsonIterative(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + write(v[i], depth + 1);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += `${first ? '' : ','}${keyJson(k)}${write(x, depth + 1)}`;
    first = false;
  }
  return `${s}}`;
}

/**
 * canonicalJson with an explicit stack instead of recursion: the same output for every value. Exported for
 * the tests that hold the two to each other.
 */
export function canonicalJsonIterative(v: unknown): string {
  // Tasks, last first: a string to append as is, or a value (with its depth) to write.
  const texts: Array<string | undefined> = [];
  const values: unknown[] = [];
  const depths: number[] = [];
  const pushText = (t: string): void => {
    texts.push(t);
    values.push(undefined);
    depths.push(0);
  };
  const pushValue = (x: unknown, d: number): void => {
    texts.push(undefined);
    values.push(x);
    depths.push(d);
  };
  let s = '';
  pushValue(v, 1);
  while (texts.length > 0) {
    const text = texts.pop();
    const x = values.pop();
    const d = depths.pop()!;
    if (text !== undefined) {
      s += text;
      continue;
    }
    if (x === null || typeof x !== 'object') {
      s += JSON.stringify(x) ?? 'null';
      continue;
    }
    if (d > MAX_ITERATIVE_DEPTH) throw new RangeError(`canonicalJson: a value nested more than ${MAX_ITERATIVE_DEPTH} levels deep (is it cyclic?)`);
    if (Array.isArray(x)) {
      s += '[';
      pushText(']');
      for (let i = x.length - 1; i >= 0; i--) {
        pushValue(x[i], d + 1);
        if (i > 0) pushText(',');
      }
      continue;
    }
    const o = x as Record<string, unknown>;
    const keys = Object.keys(o).sort();
    const present: Array<[string, unknown]> = [];
    for (const k of keys) {
      const y = o[k];
      if (y !== undefined) present.push([k, y]);
    }
    s += '{';
    pushText('}');
    for (let i = present.length - 1; i >= 0; i--) {
      const [k, y] = present[i]!;
      pushValue(y, d + 1);
      pushText(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
    }
  }
  return s;
}

/** sha256 of canonicalJson(v), in hex. One-shot crypto.hash: no Hash object per value (a third faster for a message). */
export function hashOf(v: unknown): string {
  return hash('sha256', canonicalJson(v), 'hex');
}
