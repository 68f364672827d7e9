import { describe, expect, it } from 'vitest';
import { canonicalJson, hashOf } from '../../src/core/hash.js';

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
