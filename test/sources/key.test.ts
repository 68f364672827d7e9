import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { keyToString, openSourceIndex } from '../../src/sources/index.js';
import { isThenable, keyEvaluator, keysOf } from '../../src/sources/key.js';
import { parseDottedPath } from '../../src/sources/path.js';
import { decl, expr, tmp } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());

async function evaluate(text: string, record: unknown): Promise<unknown> {
  const v = keyEvaluator(expr(text))(record);
  return isThenable(v) ? await v : v;
}

describe('keyToString', () => {
  it('compares strings as-is and numbers/booleans as their String()', () => {
    expect(keyToString('5')).toBe('5');
    expect(keyToString(5)).toBe('5');
    expect(keyToString(5.0)).toBe('5');
    expect(keyToString(-0)).toBe('0');
    expect(keyToString(1.5)).toBe('1.5');
    expect(keyToString(true)).toBe('true');
    expect(keyToString('')).toBe('');
  });

  it('does not index null, undefined, objects, arrays or non-finite numbers', () => {
    for (const v of [null, undefined, {}, [], [1], Number.NaN, Number.POSITIVE_INFINITY]) expect(keyToString(v)).toBeUndefined();
  });
});

describe('key expressions', () => {
  it('recognises simple dotted paths only', () => {
    expect(parseDottedPath('id')).toEqual(['id']);
    expect(parseDottedPath('author.id')).toEqual(['author', 'id']);
    expect(parseDottedPath(' data . items ')).toEqual(['data', 'items']);
    expect(parseDottedPath('data.`my field`')).toEqual(['data', 'my field']);
    for (const s of ['', 'true', 'null', 'a.and', '$x', 'a[0]', 'a.*', '$string(id)', "'lit'", 'a..b', '1a']) expect(parseDottedPath(s)).toBeUndefined();
  });

  it('agrees with JSONata on the fast path, including missing fields and arrays along the way', async () => {
    const records: unknown[] = [
      { id: 5 },
      { id: '5' },
      { id: null },
      {},
      { author: { id: 7 } },
      { author: null },
      { author: 'x' },
      { author: [{ id: 1 }, { id: 2 }] },
      { author: { id: [3, 4] } },
      [{ id: 1 }],
      'text',
      { constructor: 'x' },
    ];
    for (const text of ['id', 'author.id', 'constructor']) {
      const jsonata = expr(text).compiled!;
      for (const r of records) {
        const fast = await evaluate(text, r);
        const slow: unknown = await jsonata.evaluate(r);
        // JSONata returns sequences (arrays with extra flags); compare as plain values.
        expect(JSON.parse(JSON.stringify([fast ?? null]))).toEqual(JSON.parse(JSON.stringify([slow ?? null])));
      }
    }
  });

  it('turns values into index keys', () => {
    expect(keysOf(5, 'key')).toEqual({ ok: true, keys: ['5'] });
    expect(keysOf(undefined, 'key')).toEqual({ ok: true, keys: [] });
    expect(keysOf(null, 'groupBy')).toEqual({ ok: true, keys: [] });
    expect(keysOf([1, '1', 2, null, {}], 'groupBy')).toEqual({ ok: true, keys: ['1', '2'] });
    expect(keysOf([1], 'key').ok).toBe(false);
    expect(keysOf({ a: 1 }, 'groupBy').ok).toBe(false);
  });
});

describe('index diagnostics cap', () => {
  it('keeps the first 100 problems, counts them all and says how many more there are', async () => {
    const f = path.join(t.dir, 'many-bad.jsonl');
    const lines: string[] = [];
    for (let i = 0; i < 150; i++) lines.push(`{"id": ${i}}`, `{"id": ${i}, "dup": true}`, '{broken');
    writeFileSync(f, lines.join('\n'));
    const idx = await openSourceIndex(decl(f, { key: expr('id') }), 'key', { cacheDir: path.join(t.dir, 'cache') });
    try {
      expect(idx.errorCount).toBe(300);
      expect(idx.errors).toHaveLength(101);
      expect(idx.errors.slice(0, 100).every((e) => e.code === 'source.malformed-record')).toBe(true);
      expect(idx.errors[100]!.code).toBe('source.index-errors-truncated');
      expect(idx.errors[100]!.message).toContain('200 more problems');
      expect(idx.get('149')).toEqual({ id: 149 });
    } finally {
      idx.close();
    }
    // the same diagnostics come back from the cached index
    const again = await openSourceIndex(decl(f, { key: expr('id') }), 'key', { cacheDir: path.join(t.dir, 'cache') });
    expect(again.built).toBe(false);
    expect(again.errorCount).toBe(300);
    expect(again.errors.map((e) => e.message)).toEqual(idx.errors.map((e) => e.message));
    again.close();
  });
});
