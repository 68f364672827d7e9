import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { formatError } from '../../src/core/errors.js';
import { collect, decl, failures, FIXTURES, gzipFixture, records, tmp } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());

describe('jsonl', () => {
  it('reads records with 1-based lines, skipping blank lines, with BOM and CRLF', async () => {
    const items = await collect(decl('tickets.jsonl'));
    expect(items).toHaveLength(5);
    const ok = items.filter((i) => i.ok);
    expect(ok.map((i) => i.location.line)).toEqual([1, 2, 6, 7]);
    expect(items.map((i) => i.location.index)).toEqual([0, 1, 2, 3, 4]);
    expect(records(items)).toEqual([
      { id: 1, subject: 'Printer on fire', requester_id: 10 },
      { id: 2, subject: 'Refund', requester_id: 11 },
      { id: 4, subject: 'Ünïcödé ✓', requester_id: 10 },
      { id: 5, subject: 'no trailing newline', requester_id: 12 },
    ]);
  });

  it('reports a malformed line with file:line and what is wrong, then goes on', async () => {
    const items = await collect(decl('tickets.jsonl'));
    const [bad] = failures(items);
    expect(bad).toBeDefined();
    expect(bad!.location).toEqual({ file: 'tickets.jsonl', line: 5, index: 2 });
    expect(bad!.error.code).toBe('source.malformed-record');
    expect(bad!.error.address).toBe('tickets.jsonl:5');
    expect(bad!.error.location).toMatchObject({ file: 'tickets.jsonl', line: 5 });
    expect(bad!.error.message).toMatch(/line 5 is not valid JSON: .+/);
    expect(formatError(bad!.error)).toMatch(/^tickets\.jsonl:5(:\d+)?: line 5 is not valid JSON/);
    // items after the bad line are still read
    expect(items.slice(3).every((i) => i.ok)).toBe(true);
  });

  it('reads .ndjson the same way', async () => {
    const items = await collect(decl('users.ndjson'));
    expect(items.every((i) => i.ok)).toBe(true);
    expect(records(items)).toHaveLength(7);
  });

  it('reads gzipped jsonl and ndjson identically', async () => {
    for (const f of ['tickets.jsonl', 'users.ndjson']) {
      const plain = await collect(decl(f));
      const gz = await collect(decl(gzipFixture(f, t.dir)));
      expect(records(gz)).toEqual(records(plain));
      expect(gz.map((i) => i.location.line)).toEqual(plain.map((i) => i.location.line));
      expect(failures(gz)).toHaveLength(failures(plain).length);
    }
  });

  it('finds the stray brace on line 35 of the Airbyte Zendesk fixture and parses every other line', async () => {
    const file = 'zendesk-airbyte-expected-records.jsonl';
    const lines = readFileSync(path.join(FIXTURES, file), 'utf8').split('\n').filter((l) => l.trim() !== '');
    const items = await collect(decl(file));
    expect(items).toHaveLength(lines.length);
    const bad = failures(items);
    expect(bad).toHaveLength(1);
    expect(bad[0]!.location.line).toBe(35);
    expect(bad[0]!.error.address).toBe(`${file}:35`);
    expect(bad[0]!.error.message).toMatch(/line 35 is not valid JSON: .*JSON/);
    expect(bad[0]!.error.location?.col).toBeGreaterThan(1);
    const ok = records(items) as Array<{ stream: string }>;
    expect(ok).toHaveLength(lines.length - 1);
    expect(new Set(ok.map((r) => r.stream))).toContain('tickets');
  });

  it('reads a file copied under another name with the path as written', async () => {
    const copy = path.join(t.dir, 'copy.jsonl');
    copyFileSync(path.join(FIXTURES, 'tickets.jsonl'), copy);
    const items = await collect(decl(copy, { pathAsWritten: 'export/copy.jsonl' }));
    expect(failures(items)[0]!.error.address).toBe('export/copy.jsonl:5');
  });
});

describe('invalid UTF-8', () => {
  it('makes that line an error naming the byte and column, and the other lines are read', async () => {
    const f = path.join(t.dir, 'latin1.jsonl');
    writeFileSync(f, Buffer.concat([Buffer.from('{"id":1,"s":"ok"}\n{"id":2,"s":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"id":3,"s":"café"}\n')]));
    const items = await collect(decl(f));
    expect(items.map((i) => (i.ok ? (i.record as { id: number }).id : `bad:${i.location.line}`))).toEqual([1, 'bad:2', 3]);
    const bad = items[1]!;
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.message).toMatch(/line 2 is not valid UTF-8 \(byte 0xe9 at column 17\)/);
  });
});
