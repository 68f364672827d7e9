/** `sources.<name>.maxRecordBytes`: a size string or a number of bytes, checked with its file:line:col. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MAX_RECORD_BYTES, loadManifest, manifestSchema, MAX_RECORD_BYTES_CEILING, parseSize } from '../../src/manifest/index.js';
import { base, ENV, problemsOf, writeManifest } from './helpers.js';

const withLimit = (written: string): string => base('    path: export/tickets.jsonl', `    path: export/tickets.jsonl\n    maxRecordBytes: ${written}`);

describe('parseSize', () => {
  it.each([
    ['64MB', 64_000_000],
    ['64MiB', 67_108_864],
    ['64 mib', 67_108_864],
    ['128 MiB', 134_217_728],
    ['500KB', 500_000],
    ['500kb', 500_000],
    ['2KiB', 2048],
    ['1.5GB', 1_500_000_000],
    ['0.5MB', 500_000],
    ['100B', 100],
    ['1000', 1000],
    [' 42 ', 42],
    [4096, 4096],
    [10.7, 10],
  ] as const)('%s is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  it.each(['0', '0MB', 0, -5, '64 megabytes', 'MB', '', '64M', '1TB', null, true, Number.NaN, Number.POSITIVE_INFINITY])('%s is not a size', (input) => {
    expect(parseSize(input)).toBeUndefined();
  });
});

describe('sources.<name>.maxRecordBytes', () => {
  it('is absent by default (the readers use 64 MiB)', async () => {
    const m = await loadManifest(writeManifest(base('  concurrency: 8', '  concurrency: 8')), { env: ENV });
    expect(m.sources['tickets']?.maxRecordBytes).toBeUndefined();
    expect(DEFAULT_MAX_RECORD_BYTES).toBe(64 * 1024 * 1024);
  });

  it('takes a size string or a number of bytes, also from the environment', async () => {
    for (const [written, bytes] of [['128MiB', 134_217_728], ['"1 MB"', 1_000_000], ['4096', 4096], ['512MB', MAX_RECORD_BYTES_CEILING], ['${LIMIT:-2KiB}', 2048]] as const) {
      const m = await loadManifest(writeManifest(withLimit(written)), { env: ENV });
      expect(m.sources['tickets']?.maxRecordBytes, written).toBe(bytes);
    }
  });

  it('refuses a value that is not a size, at its file:line:col', async () => {
    const problems = await problemsOf(withLimit('lots'));
    expect(problems.map((p) => [p.code, p.message, p.location?.line, p.location?.col])).toEqual([
      ['manifest.format', 'sources.tickets.maxRecordBytes must be a size such as 64MB, 128MiB, 500KB, or a number of bytes', 9, 21],
    ]);
  });

  it('refuses zero and a size over the 512 MB ceiling, written either way', async () => {
    const zero = await problemsOf(withLimit('0MB'));
    expect(zero.map((p) => [p.code, p.message, p.location?.line])).toEqual([['manifest.range', 'sources.tickets.maxRecordBytes must be greater than zero', 9]]);
    const big = await problemsOf(withLimit('1GB'));
    expect(big.map((p) => [p.code, p.message, p.location?.line, p.location?.col])).toEqual([
      ['manifest.range', 'sources.tickets.maxRecordBytes must be at most 512MB (512000000 bytes), the longest record that can be read', 9, 21],
    ]);
    const bigNumber = await problemsOf(withLimit('600000000'));
    expect(bigNumber.map((p) => [p.code, p.message, p.location?.line])).toEqual([['manifest.range', 'sources.tickets.maxRecordBytes must be between 1 and 512000000', 9]]);
    const zeroNumber = await problemsOf(withLimit('0'));
    expect(zeroNumber.map((p) => p.code)).toEqual(['manifest.range']);
  });

  it('is described in the schema, with both limits', () => {
    const source = (manifestSchema() as { definitions: { source: { description: string; properties: Record<string, { description?: string }> } } }).definitions.source;
    expect(source.description).toMatch(/128 levels/);
    const d = source.properties['maxRecordBytes']?.description ?? '';
    expect(d).toMatch(/Default 64MiB/);
    expect(d).toMatch(/512MB/);
    expect(d).toMatch(/128 levels/);
  });
});
