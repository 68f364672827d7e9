import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordBytes } from '../../src/sources/record-bytes.js';
import { tmp } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());

describe('RecordBytes', () => {
  it('reads records close together in one piece and far apart one by one, always the same texts in the order asked', () => {
    const file = path.join(t.dir, 'records.jsonl');
    const parts = ['{"a":1}', '{"b":"é"}', 'x'.repeat(10_000), '{"c":3}', '{"d":4}'];
    writeFileSync(file, `${parts.join('\n')}\n`);
    const offsets: number[] = [];
    let at = 0;
    for (const p of parts) {
      offsets.push(at);
      at += Buffer.byteLength(p) + 1;
    }
    const len = (i: number): number => Buffer.byteLength(parts[i]!);
    const bytes = RecordBytes.open(file);
    try {
      const ask = (...which: number[]): string[] =>
        bytes.texts(
          which.map((i) => offsets[i]!),
          which.map(len),
        );
      expect(ask(0, 1)).toEqual([parts[0], parts[1]]); // together
      expect(ask(0, 1, 3, 4)).toEqual([parts[0], parts[1], parts[3], parts[4]]); // a long record between: two pieces
      expect(ask(4, 0)).toEqual([parts[4], parts[0]]); // out of file order
      expect(ask(1)).toEqual([parts[1]]);
      expect(ask()).toEqual([]);
      expect(bytes.read(offsets[3]!, len(3)).toString()).toBe(parts[3]);
      expect(() => bytes.read(at - 2, 10)).toThrow(expect.objectContaining({ code: 'source.changed' }));
    } finally {
      bytes.close();
    }
  });
});
