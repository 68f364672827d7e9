import { describe, expect, test } from 'vitest';
import { createIdGenerator, isPlainId } from '../../../src/emulators/plain/ids.js';
import { parseIso8601 } from '../../../src/emulators/plain/rules/common.js';

describe('ids', () => {
  test('ids are <prefix>_ + 26 Crockford base-32 characters with the time in front', () => {
    const ids = createIdGenerator(() => new Date('2024-06-15T10:32:00Z'));
    const id = ids.next('th');
    expect(id).toMatch(/^th_[0123456789ABCDEFGHJKMNPQRSTVWXYZ]{26}$/);
    expect(isPlainId(id, 'th')).toBe(true);
    expect(isPlainId(id, 'c')).toBe(false);
    // 48-bit time, base 32, 10 characters: decode and compare.
    const alphabet = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
    const ms = [...id.slice(3, 13)].reduce((acc, ch) => acc * 32 + alphabet.indexOf(ch), 0);
    expect(ms).toBe(Date.parse('2024-06-15T10:32:00Z'));
  });

  test('ids are monotonic within one millisecond and when the clock goes backwards', () => {
    let t = 1_700_000_000_000;
    const ids = createIdGenerator(() => new Date(t));
    const seen: string[] = [];
    for (let i = 0; i < 2000; i++) {
      if (i === 1000) t -= 5000;
      seen.push(ids.next('c').slice(2));
    }
    const sorted = [...seen].sort();
    expect(seen).toEqual(sorted);
    expect(new Set(seen).size).toBe(seen.length);
  });
});

describe('ISO 8601 parsing', () => {
  test.each([
    ['2024-06-15T10:32:00Z', Date.UTC(2024, 5, 15, 10, 32)],
    ['2024-06-15T10:32:00.5Z', Date.UTC(2024, 5, 15, 10, 32, 0, 500)],
    ['2024-06-15T12:32:00+02:00', Date.UTC(2024, 5, 15, 10, 32)],
    ['2024-06-15T05:02:00.123456-05:30', Date.UTC(2024, 5, 15, 10, 32, 0, 123)],
    ['2024-02-29T00:00:00Z', Date.UTC(2024, 1, 29)],
  ])('%s is accepted', (value, ms) => {
    expect(parseIso8601(value)).toBe(ms);
  });

  test.each(['2024-06-15', '2024-06-15T10:32Z', '2024-06-15T10:32:00', '2024-06-15t10:32:00z', '2023-02-29T00:00:00Z', '2024-06-15T10:32:60Z', '2024-06-15T10:32:00+0200', ' 2024-06-15T10:32:00Z'])(
    '%j is rejected',
    (value) => {
      expect(parseIso8601(value)).toBeUndefined();
    },
  );
});
