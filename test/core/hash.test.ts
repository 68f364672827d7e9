import { describe, expect, it } from 'vitest';
import { canonicalJson, canonicalJsonIterative, hashOf } from '../../src/core/hash.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth, drops undefined properties, keeps array order and nulls', () => {
    const v = { b: [3, { z: 1, a: undefined, m: null }, undefined], a: 'x"\n', c: { y: true, x: 1.5 } };
    expect(canonicalJson(v)).toBe('{"a":"x\\"\\n","b":[3,{"m":null,"z":1},null],"c":{"x":1.5,"y":true}}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson(undefined)).toBe('null');
  });
  it('hashes equal values equally whatever their key order (state keeps these hashes: they must never change)', () => {
    expect(hashOf({ a: 1, b: [1, 2] })).toBe(hashOf({ b: [1, 2], a: 1 }));
    expect(hashOf({ a: 1, b: [1, 2] })).toBe('8baa73198470c7bb4c3ce142a8fd651affc0310d878bb9bd159e37a573fb4874');
  });
});

/** Values of the shapes that state files hold hashes of; the hashes were made by the recursive version. */
const PINNED: Array<[string, unknown, string]> = [
  [
    'thread',
    {
      externalId: 'zd-1234',
      title: 'Printer on fire ✓',
      createdAt: '2023-01-01T10:00:00.000Z',
      status: 'DONE',
      statusDetail: 'DONE_MANUALLY_SET',
      priority: 2,
      labels: ['lt_1', 'lt_2'],
      customer: { email: 'ann@example.com', fullName: 'Ann', externalId: undefined },
      fields: { order_id: 42, is_vip: false, note: null },
    },
    '5d5eb235be4753b9150398c7e74a61be4d7130b3e4298aeffbbdf30843ce1a9a',
  ],
  [
    'message',
    { externalId: 'c-1', type: 'INBOUND', text: 'Line 1\nLine "2"\u2028', createdAt: '2023-01-01T10:00:00Z', attachments: [{ url: 'https://x/y', size: 1.5e3, inline: true }] },
    '812e598f64e763fe9083ecb7f5e7c112367ed6be3b4de047dadd61204e6bf5d5',
  ],
  ['nested', [[[[1, [2, [3, { z: [], a: {} }]]]]], -0, 1e21, 'é'], 'b36eb85ac2116edad1e04c24322f7160a7ba3d38eb4fbb69bc0998d77d61e9c0'],
];

/** A small deterministic generator of JSON-like values (with undefined, which objects drop and arrays write as null). */
function randomValue(seed: number, depth: number): unknown {
  let s = seed;
  const rnd = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const make = (d: number): unknown => {
    const r = rnd();
    if (d <= 0 || r < 0.3) {
      const p = rnd();
      return p < 0.2 ? null : p < 0.4 ? Math.round(rnd() * 1e6) / 100 : p < 0.6 ? `s${Math.round(rnd() * 100)}"\n\u00e9` : p < 0.8 ? rnd() < 0.5 : undefined;
    }
    if (r < 0.65) return Array.from({ length: Math.floor(rnd() * 4) }, () => make(d - 1));
    const o: Record<string, unknown> = {};
    for (let i = Math.floor(rnd() * 4); i > 0; i--) o[`k${Math.floor(rnd() * 10)}`] = make(d - 1);
    return o;
  };
  return make(depth);
}

describe('canonicalJson on any input', () => {
  it('keeps every hash it ever made (state files hold them)', () => {
    for (const [name, value, hash] of PINNED) expect(hashOf(value), name).toBe(hash);
  });

  it('writes the same text iteratively as recursively, for a thousand random values', () => {
    for (let seed = 1; seed <= 1000; seed++) {
      const v = randomValue(seed, 6);
      expect(canonicalJsonIterative(v), `seed ${seed}`).toBe(canonicalJson(v));
    }
    for (const [, value] of PINNED) expect(canonicalJsonIterative(value)).toBe(canonicalJson(value));
    for (const v of [undefined, null, 1, 'x', [], {}, [undefined], { a: undefined }]) expect(canonicalJsonIterative(v)).toBe(canonicalJson(v));
  });

  it('writes a long text as JSON.stringify does, whatever characters it has', () => {
    // Texts of 256 characters or more with newlines only take a short path of their own.
    const pieces = ['line\n', 'plain text ', '"', '\\', '\t', '\r', '\u0000', '\u001f', '\u007f', '\u2028', '\u2029', 'é', 'שלום', '😀', '\ud83d', '\ude00', '\n\n', '</script>', '\u00a0'];
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    let fast = 0;
    for (let i = 0; i < 2000; i++) {
      let s = 'x'.repeat(200 + (i % 120));
      const n = i % 3 === 0 ? 0 : Math.floor(rnd() * 4);
      for (let k = 0; k < n; k++) s += pieces[Math.floor(rnd() * pieces.length)];
      s += '\nend';
      expect(canonicalJson(s), JSON.stringify(s)).toBe(JSON.stringify(s));
      expect(canonicalJson({ text: s })).toBe(`{"text":${JSON.stringify(s)}}`);
      if (s.length >= 256 && !/["\\\u0000-\u0009\u000b-\u001f\ud800-\udfff]/.test(s)) fast++;
    }
    expect(fast).toBeGreaterThan(500);
  });

  it('does not overflow the stack on 100,000 nested arrays or objects (the rest is written iteratively)', () => {
    const depth = 100_000;
    const arrays: unknown = JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    expect(canonicalJson(arrays)).toBe(`${'['.repeat(depth)}${']'.repeat(depth)}`);
    let obj: unknown = 1;
    for (let i = 0; i < depth; i++) obj = { b: obj, a: i % 3 === 0 ? undefined : i };
    let expected = '1';
    for (let i = 0; i < depth; i++) expected = i % 3 === 0 ? `{"b":${expected}}` : `{"a":${i},"b":${expected}}`;
    expect(canonicalJson(obj)).toBe(expected);
    expect(() => hashOf({ deep: arrays })).not.toThrow();
  });

  it('switches to the iterative walk below the top without changing a deep value’s text', () => {
    let v: unknown = { z: [1, { y: 'deep', x: null }] };
    for (let i = 0; i < 300; i++) v = i % 2 ? [v, i] : { k: v, j: i };
    expect(canonicalJson(v)).toBe(canonicalJsonIterative(v));
    expect(canonicalJson(v)).toBe(JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x)));
  });
});
