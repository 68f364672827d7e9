/**
 * The record limits (src/sources/limits.ts): a record longer than `maxRecordBytes` or nested deeper than
 * MAX_DEPTH is one invalid item at its location, read past without being held, and the records after it
 * are read as usual; in every format, plain and gzipped, whatever the chunk boundaries.
 */
import { createWriteStream, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createGzip, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PmError } from '../../src/core/errors.js';
import { openSourceIndex, readSource } from '../../src/sources/index.js';
import { CsvRecordGuard } from '../../src/sources/csv-guard.js';
import { LineSplitter, type Line } from '../../src/sources/lines.js';
import { DEFAULT_MAX_RECORD_BYTES, MAX_DEPTH, mayNestDeeperThan, nestsDeeperThan } from '../../src/sources/limits.js';
import type { SourceItem } from '../../src/sources/types.js';
import { collect, collectUntilError, decl, expr, failures, records, tmp } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const t = tmp('pm-sources-limits-');
afterAll(() => t.cleanup());

function write(name: string, data: string | Buffer): string {
  const f = path.join(t.dir, name);
  writeFileSync(f, data);
  return f;
}

function writeGz(name: string, data: string | Buffer): string {
  return write(name, gzipSync(data));
}

/**
 * Writes `head`, 96 MB of "a", then `tail` gzipped into `name`, reads it with a 64 KB limit, and gives
 * the items with the peak growth of heap and array buffers while reading.
 */
async function readHuge(name: string, head: string, tail: string): Promise<{ seen: SourceItem[]; peak: number }> {
  const f = path.join(t.dir, name);
  await new Promise<void>((resolve, reject) => {
    const gz = createGzip({ level: 1 });
    gz.pipe(createWriteStream(f)).on('finish', () => resolve()).on('error', reject);
    gz.write(head);
    const block = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 96; i++) gz.write(block);
    gz.end(tail);
  });
  gc();
  const base = process.memoryUsage();
  let peak = 0;
  const seen: SourceItem[] = [];
  for await (const item of readSource(decl(f, { maxRecordBytes: 64 * 1024 }))) {
    seen.push(item);
    const m = process.memoryUsage();
    peak = Math.max(peak, m.heapUsed + m.arrayBuffers - base.heapUsed - base.arrayBuffers);
  }
  return { seen, peak };
}

/** Items as compact strings: `ok <line|[index]> <id>` or `<code> <address>`. */
function summary(items: SourceItem[]): string[] {
  return items.map((i) => {
    const where = i.location.line !== undefined ? String(i.location.line) : `[${i.location.index}]`;
    if (i.ok) {
      const id = typeof i.record === 'object' && i.record !== null && 'id' in i.record ? String((i.record as { id: unknown }).id) : JSON.stringify(i.record).slice(0, 20);
      return `ok ${where} ${id}`;
    }
    return `${i.error.code} ${i.error.address ?? ''}`;
  });
}

const nest = (n: number): string => `${'['.repeat(n)}${']'.repeat(n)}`;
const nestObj = (n: number): string => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;

function split(input: Buffer, limit: number, chunk: number): { lines: Line[]; maxHeld: number } {
  const s = new LineSplitter(limit);
  const lines: Line[] = [];
  for (let i = 0; i < input.length; i += chunk) lines.push(...s.push(input.subarray(i, i + chunk)));
  lines.push(...s.end());
  return { lines, maxHeld: s.maxHeld };
}

const show = (l: Line): string => (l.kind === 'line' ? `${l.line}:${l.bytes.toString('latin1')}` : `${l.line}:too-long(${l.size})`);

describe('LineSplitter', () => {
  it('gives a line over the limit as too-long with its size, between the good lines, whatever the chunking', () => {
    const input = Buffer.from(`good one\n${'x'.repeat(100)}\ngood two\n\nlast`);
    for (const chunk of [1, 2, 3, 7, 10, 11, 64, 1000]) {
      const { lines, maxHeld } = split(input, 10, chunk);
      expect(lines.map(show), `chunk ${chunk}`).toEqual(['1:good one', '2:too-long(100)', '3:good two', '4:', '5:last']);
      expect(maxHeld, `chunk ${chunk}`).toBeLessThanOrEqual(11);
    }
  });

  it('takes a line of exactly the limit (a CR of CRLF not counted), refuses one byte more', () => {
    const input = Buffer.from(`${'a'.repeat(10)}\r\n${'b'.repeat(11)}\r\n${'c'.repeat(10)}\n${'d'.repeat(11)}\n${'e'.repeat(10)}\r`);
    for (const chunk of [1, 3, 10, 11, 12, 100]) {
      const { lines } = split(input, 10, chunk);
      expect(lines.map(show), `chunk ${chunk}`).toEqual([`1:${'a'.repeat(10)}\r`, '2:too-long(11)', `3:${'c'.repeat(10)}`, '4:too-long(11)', `5:${'e'.repeat(10)}\r`]);
    }
  });

  it('refuses a last line without LF that is one byte over the limit', () => {
    for (const chunk of [1, 5, 100]) expect(split(Buffer.from(`ok\n${'z'.repeat(11)}`), 10, chunk).lines.map(show)).toEqual(['1:ok', '2:too-long(11)']);
    expect(split(Buffer.from(`ok\n${'z'.repeat(10)}`), 10, 4).lines.map(show)).toEqual(['1:ok', `2:${'z'.repeat(10)}`]);
  });

  it("gives each line's offset in the stream, whatever the chunking", () => {
    const input = Buffer.from(`\ufeff{"a":1}\r\n\n{"é":"ü"}\n${'x'.repeat(30)}\n{"b":2}\r\n{"c":3}`);
    for (const chunk of [1, 2, 3, 5, 8, 13, 1000]) {
      const { lines } = split(input, 20, chunk);
      const got = lines.map((l) => (l.kind === 'line' ? [l.offset, input.subarray(l.offset, l.offset + l.bytes.length).equals(l.bytes)] : l.kind));
      expect(got, `chunk ${chunk}`).toEqual([[0, true], [12, true], [13, true], 'too-long', [56, true], [65, true]]);
    }
  });

  it('never holds more than the limit of a 50 MB line', () => {
    const s = new LineSplitter(1000);
    const block = Buffer.alloc(64 * 1024, 0x61);
    const out: Line[] = [...s.push(Buffer.from('{"id":1}\n'))];
    for (let i = 0; i < 800; i++) out.push(...s.push(block));
    out.push(...s.push(Buffer.from('\n{"id":2}\n')));
    out.push(...s.end());
    expect(out.map(show)).toEqual(['1:{"id":1}', `2:too-long(${800 * 64 * 1024})`, '3:{"id":2}']);
    expect(s.maxHeld).toBeLessThanOrEqual(1001);
  });
});

describe('nesting checks', () => {
  it('measure depth iteratively, the value itself being level 1', () => {
    expect(nestsDeeperThan(JSON.parse(nest(MAX_DEPTH)))).toBe(false);
    expect(nestsDeeperThan(JSON.parse(nest(MAX_DEPTH + 1)))).toBe(true);
    expect(nestsDeeperThan(JSON.parse(nestObj(MAX_DEPTH)))).toBe(false);
    expect(nestsDeeperThan(JSON.parse(nestObj(MAX_DEPTH + 1)))).toBe(true);
    expect(nestsDeeperThan(JSON.parse(nest(1_000_000)))).toBe(true);
    expect(nestsDeeperThan('x')).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: [] }] }, 4)).toBe(false);
    expect(nestsDeeperThan({ a: [1, { b: [] }] }, 3)).toBe(true);
  });

  it('skip the walk when the bytes cannot hold that many brackets', () => {
    expect(mayNestDeeperThan(Buffer.from(nest(MAX_DEPTH)))).toBe(false);
    expect(mayNestDeeperThan(Buffer.from(nest(MAX_DEPTH + 1)))).toBe(true);
    expect(mayNestDeeperThan(Buffer.from(`{"a":[1],"b":{"c":2}}`), 3)).toBe(false);
  });
});

describe('jsonl limits', () => {
  const good = (id: number): string => JSON.stringify({ id, subject: `ticket ${id}` });

  it('reports a line over maxRecordBytes at its line, naming the limit and the setting, and reads the lines around it', async () => {
    const long = JSON.stringify({ id: 2, body: 'y'.repeat(500) });
    const text = `${good(1)}\n${long}\n${good(3)}\n`;
    for (const f of [write('long.jsonl', text), writeGz('long.jsonl.gz', text)]) {
      const items = await collect(decl(f, { maxRecordBytes: 100 }));
      const name = path.basename(f);
      expect(summary(items)).toEqual(['ok 1 1', `source.record-too-long ${name}:2`, 'ok 3 3']);
      expect(items.map((i) => i.location.index)).toEqual([0, 1, 2]);
      const [bad] = failures(items);
      expect(bad!.error.message).toBe(
        `line 2 is ${long.length} bytes long, over the limit of 100 bytes per record (sources.src.maxRecordBytes); it was skipped without being read`,
      );
      expect(bad!.error.location).toEqual({ file: name, line: 2 });
      expect(bad!.error.hint).toMatch(/maxRecordBytes: 1MiB` under sources\.src/);
    }
  });

  it('defaults to 64 MiB', async () => {
    expect(DEFAULT_MAX_RECORD_BYTES).toBe(64 * 1024 * 1024);
    const items = await collect(decl(write('default.jsonl', `${good(1)}\n${JSON.stringify({ id: 2, body: 'y'.repeat(100_000) })}\n`)));
    expect(summary(items)).toEqual(['ok 1 1', 'ok 2 2']);
  });

  it('reads a gzipped file whose lines and multi-byte characters straddle the decompressor’s chunks', async () => {
    // Lines around 256 KiB (the read and gunzip chunk size), full of two- and three-byte characters.
    const lines: string[] = [];
    const sizes = [262_143, 262_144, 262_145, 100, 131_072, 400_000, 7, 262_140, 1_000_000, 3];
    sizes.forEach((size, i) => {
      const pad = 'é✓x'.repeat(Math.ceil(size / 3)).slice(0, size);
      lines.push(JSON.stringify({ id: i + 1, pad }));
    });
    const text = `${lines.join('\n')}\n`;
    const limit = 1_500_000; // the 1,000,000-character line (about 2 MB of UTF-8) is over it
    const items = await collect(decl(writeGz('straddle.jsonl.gz', text), { maxRecordBytes: limit }));
    expect(summary(items)).toEqual(sizes.map((s, i) => (s === 1_000_000 ? 'source.record-too-long straddle.jsonl.gz:9' : `ok ${i + 1} ${i + 1}`)));
    for (const item of items) {
      if (!item.ok) continue;
      const { id, pad } = item.record as { id: number; pad: string };
      expect(pad.length).toBe(sizes[id - 1]);
      expect(pad.startsWith('é✓xé✓x'.slice(0, Math.min(6, pad.length)))).toBe(true);
    }
  });

  it('reports a value nested deeper than 128 levels at its line (100,000 arrays need no stack), and the lines around it', async () => {
    const text = `${good(1)}\n{"id":2,"x":${nest(100_000)}}\n${good(3)}\n{"id":4,"x":${nestObj(MAX_DEPTH - 1)}}\n{"id":5,"x":${nestObj(MAX_DEPTH)}}\n`;
    const items = await collect(decl(write('deep.jsonl', text)));
    expect(summary(items)).toEqual(['ok 1 1', 'source.record-too-deep deep.jsonl:2', 'ok 3 3', 'ok 4 4', 'source.record-too-deep deep.jsonl:5']);
    const [bad] = failures(items);
    expect(bad!.error.message).toBe('line 2 nests arrays or objects more than 128 levels deep, the limit per record; it was skipped');
    expect(bad!.error.location).toEqual({ file: 'deep.jsonl', line: 2 });
  });

  it('does not take brackets inside strings for nesting', async () => {
    const items = await collect(decl(write('brackets.jsonl', `${JSON.stringify({ id: 1, s: '['.repeat(1000), t: '{'.repeat(1000) })}\n`)));
    expect(summary(items)).toEqual(['ok 1 1']);
  });

  it('holds about the limit, not the line: the heap does not grow with a 96 MB line', async () => {
    const { seen, peak } = await readHuge('huge-line.jsonl.gz', `${good(1)}\n{"id":2,"s":"`, `"}\n${good(3)}\n`);
    expect(summary(seen)).toEqual(['ok 1 1', 'source.record-too-long huge-line.jsonl.gz:2', 'ok 3 3']);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('json limits', () => {
  it('reports an element nested deeper than 128 levels by its index, and reads the elements after it', async () => {
    const text = `[{"id":1},{"id":2,"x":${nest(100_000)}},{"id":3,"x":${nest(MAX_DEPTH - 1)}},${nest(MAX_DEPTH + 1)},{"id":5,"x":${nestObj(MAX_DEPTH - 1)}}]`;
    const items = await collect(decl(write('deep.json', text)));
    expect(summary(items)).toEqual(['ok [0] 1', 'source.record-too-deep deep.json[1]', 'ok [2] 3', 'source.record-too-deep deep.json[3]', 'ok [4] 5']);
    const [bad] = failures(items);
    expect(bad!.error.message).toBe('element 1 of the records array nests arrays or objects more than 128 levels deep, the limit per record; it was skipped');
    expect((items[2] as { record: { x: unknown } }).record.x).toEqual(JSON.parse(nest(MAX_DEPTH - 1)));
  });

  it('reports an element longer than maxRecordBytes (one long string, many short ones, a long key) and reads the rest', async () => {
    const many = Array.from({ length: 100 }, (_, i) => `"v${i}"`).join(',');
    const text = `[{"id":1,"s":"short"},{"id":2,"s":"${'y'.repeat(300)}"},{"id":3,"list":[${many}]},{"id":4,"${'k'.repeat(300)}":1},"${'p'.repeat(300)}",{"id":6,"n":1.5e3,"ok":true,"no":null}]`;
    for (const f of [write('long.json', text), writeGz('long.json.gz', text)]) {
      const name = path.basename(f);
      const items = await collect(decl(f, { maxRecordBytes: 200 }));
      expect(summary(items)).toEqual([
        'ok [0] 1',
        `source.record-too-long ${name}[1]`,
        `source.record-too-long ${name}[2]`,
        `source.record-too-long ${name}[3]`,
        `source.record-too-long ${name}[4]`,
        'ok [5] 6',
      ]);
      expect(records(items)).toEqual([{ id: 1, s: 'short' }, { id: 6, n: 1500, ok: true, no: null }]);
      expect(failures(items)[0]!.error.message).toBe(
        'element 1 of the records array is longer than the limit of 200 bytes per record (sources.src.maxRecordBytes); it was skipped',
      );
    }
  });

  it('builds kept elements exactly as JSON.parse does (strings and numbers arrive in pieces)', async () => {
    const value = [{ id: 1, s: 'a\\"b\n\u00e9\u2713'.repeat(200), n: -12.5e-3, big: 12345678901234567890, arr: [[], {}, [null, false, true]], e: '' }, 42, 'str', null];
    const text = JSON.stringify(value);
    expect(records(await collect(decl(write('exact.json', text))))).toEqual(JSON.parse(text));
    expect(records(await collect(decl(writeGz('exact.json.gz', text))))).toEqual(JSON.parse(text));
  });

  it('applies the limits to the selected array only: a long value beside it is not a record', async () => {
    const text = `{"meta":"${'m'.repeat(5000)}","data":{"other":[${nest(500)}],"items":[{"id":1},{"id":2,"s":"${'y'.repeat(500)}"},{"id":3,"x":${nest(300)}},{"id":4}]}}`;
    const items = await collect(decl(write('select.json', text), { select: 'data.items', maxRecordBytes: 200 }));
    expect(summary(items)).toEqual(['ok [0] 1', 'source.record-too-long select.json[1]', 'source.record-too-deep select.json[2]', 'ok [3] 4']);
  });

  it('holds about the limit, not the element: the heap does not grow with a 96 MB string', async () => {
    const { seen, peak } = await readHuge('huge-element.json.gz', '[{"id":1},{"id":2,"s":"', '"},{"id":3}]');
    expect(summary(seen)).toEqual(['ok [0] 1', 'source.record-too-long huge-element.json.gz[1]', 'ok [2] 3']);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  }, 30_000);
});

describe('csv limits', () => {
  it('reports a long quoted record at its line and keeps the lines of the records after it (plain, gzip, CRLF)', async () => {
    const rows = ['id,body', '1,hello', `2,"${'x'.repeat(300)}`, 'more', `text"`, '3,world', `4,${'u'.repeat(300)}`, '5,"multi', 'line"', '6,end', ''];
    for (const eol of ['\n', '\r\n']) {
      const text = rows.join(eol);
      for (const f of [write('long.csv', text), writeGz('long.csv.gz', text)]) {
        const name = path.basename(f);
        const items = await collect(decl(f, { maxRecordBytes: 100 }));
        expect(summary(items), `${name} ${JSON.stringify(eol)}`).toEqual(['ok 2 1', `source.record-too-long ${name}:3`, 'ok 6 3', `source.record-too-long ${name}:7`, 'ok 8 5', 'ok 10 6']);
        expect(records(items)).toContainEqual({ id: '5', body: `multi${eol}line` });
        expect(failures(items)[0]!.error.message).toBe(
          `row at line 3 is ${Buffer.byteLength(rows.slice(2, 5).join(eol))} bytes long, over the limit of 100 bytes per record (sources.src.maxRecordBytes); it was skipped without being read`,
        );
      }
    }
  });

  it('takes a record of exactly the limit (its LF or CRLF not counted), refuses one byte more', async () => {
    for (const eol of ['\n', '\r\n']) {
      const text = ['id,body', `1,${'a'.repeat(18)}`, `2,${'b'.repeat(19)}`, `3,"${'c'.repeat(16)}"`, `4,"${'d'.repeat(17)}"`, ''].join(eol);
      const items = await collect(decl(write('exact.csv', text), { maxRecordBytes: 20 }));
      expect(summary(items), JSON.stringify(eol)).toEqual(['ok 2 1', 'source.record-too-long exact.csv:3', 'ok 4 3', 'source.record-too-long exact.csv:5']);
      expect(failures(items).map((i) => i.error.message.match(/is (\d+) bytes/)?.[1])).toEqual(['21', '21']);
      // The guard alone, whatever the chunks: the same records dropped, the others passed on whole.
      for (const chunk of [1, 2, 5, 1000]) {
        const guard = new CsvRecordGuard(20, ',');
        const out: Buffer[] = [];
        guard.on('data', (b: Buffer) => out.push(b));
        const input = Buffer.from(text);
        for (let i = 0; i < input.length; i += chunk) guard.write(input.subarray(i, i + chunk));
        await new Promise<void>((resolve) => guard.end(() => resolve()));
        expect(guard.tooLong.map((r) => [r.line, r.size, r.done]), `chunk ${chunk}`).toEqual([[3, 21, true], [5, 21, true]]);
        const lines = text.split(eol);
        expect(Buffer.concat(out).toString('latin1'), `chunk ${chunk}`).toBe([lines[0], lines[1], lines[3], ''].join(eol));
      }
    }
  });

  it('reads every record after a long one (csv-parse alone loses them)', async () => {
    const body = Array.from({ length: 2000 }, (_, i) => (i % 500 === 7 ? `${i},"${'q'.repeat(5000)}\n${'r'.repeat(5000)}"` : `${i},row ${i}`));
    const text = `id,body\n${body.join('\n')}\n`;
    for (const f of [write('many.csv', text), writeGz('many.csv.gz', text)]) {
      const items = await collect(decl(f, { maxRecordBytes: 1000 }));
      expect(failures(items).map((i) => i.location.line)).toEqual([9, 510, 1011, 1512]);
      expect(records(items)).toHaveLength(1996);
      // line of row i: 1 (header) + i + 1, plus one for each long record before it (it spans two lines)
      for (const item of items) {
        if (!item.ok) continue;
        const id = Number((item.record as { id: string }).id);
        expect(item.location.line, `row ${id}`).toBe(id + 2 + Math.floor((id + 492) / 500));
      }
    }
  });

  it('stops the source when the header row is over the limit', async () => {
    const { error } = await collectUntilError(decl(write('long-header.csv', `id,${'h'.repeat(300)}\n1,x\n`), { maxRecordBytes: 100 }));
    expect(error).toBeInstanceOf(PmError);
    expect(error.code).toBe('source.unreadable');
    expect(error.message).toMatch(/header row of long-header\.csv \(line 1\) is longer than the limit of 100 bytes/);
  });

  it('without a header row, a long first row is one invalid record like any other', async () => {
    const f = write('noheader-long.csv', `1,${'x'.repeat(300)}\n2,ok\n`);
    const items = await collect(decl(f, { maxRecordBytes: 100, csv: { delimiter: ',', header: false, columns: ['id', 'body'] } }));
    expect(summary(items)).toEqual(['source.record-too-long noheader-long.csv:1', 'ok 2 2']);
  });

  it('still reports an unclosed quote within the limit as csv-parse does', async () => {
    const { items, error } = await collectUntilError(decl(write('unclosed-short.csv', `id,body\n1,ok\n2,"oops\n3,lost\n`), { maxRecordBytes: 100 }));
    expect(summary(items)).toEqual(['ok 2 1']);
    expect(error.message).toMatch(/unclosed quote/);
  });

  it('names an unclosed quote that runs past the limit to the end of the file', async () => {
    const { items, error } = await collectUntilError(decl(write('unclosed.csv', `id,body\n1,ok\n2,"${'x'.repeat(300)}\n3,lost\n`), { maxRecordBytes: 100 }));
    expect(summary(items)).toEqual(['ok 2 1']);
    expect(error.code).toBe('source.unreadable');
    expect(error.message).toMatch(/unclosed quote in unclosed\.csv: the record at line 3/);
    expect(error.location).toEqual({ file: 'unclosed.csv', line: 3 });
  });

  it('has no nesting: a cell holding deeply nested JSON text is a string', async () => {
    const cell = nest(10_000);
    const items = await collect(decl(write('json-cell.csv', `id,payload\n1,${cell}\n`)));
    expect(records(items)).toEqual([{ id: '1', payload: cell }]);
  });

  it('holds about the limit, not the record: the heap does not grow with a 96 MB field', async () => {
    const { seen, peak } = await readHuge('huge-field.csv.gz', 'id,body\n1,a\n2,"', '"\n3,c\n');
    expect(summary(seen)).toEqual(['ok 2 1', 'source.record-too-long huge-field.csv.gz:3', 'ok 4 3']);
    expect(peak).toBeLessThan(40 * 1024 * 1024);
  });
});

describe('limits in keyed and grouped sources', () => {
  const users = [
    JSON.stringify({ id: 1, email: 'ann@example.com' }),
    JSON.stringify({ id: 2, email: 'bob@example.com', bio: 'b'.repeat(1000) }),
    `{"id":3,"email":"cy@example.com","x":${nest(150)}}`,
    JSON.stringify({ id: 4, email: 'dee@example.com' }),
  ].join('\n');

  it('leaves records over a limit out of the index and reports each at its line', async () => {
    const f = write('users-limits.jsonl', users);
    const idx = await openSourceIndex(decl(f, { key: expr('id'), maxRecordBytes: 400 }), 'key', { cacheDir: path.join(t.dir, 'cache-a') });
    try {
      expect(idx.get('1')).toMatchObject({ email: 'ann@example.com' });
      expect(idx.get('2')).toBeUndefined();
      expect(idx.get('3')).toBeUndefined();
      expect(idx.get('4')).toMatchObject({ email: 'dee@example.com' });
      expect(idx.errors.map((e) => [e.code, e.address])).toEqual([
        ['source.record-too-long', 'users-limits.jsonl:2'],
        ['source.record-too-deep', 'users-limits.jsonl:3'],
      ]);
    } finally {
      idx.close();
    }
  });

  it('rebuilds the index when maxRecordBytes changes, and reuses it (with the same problems) when not', async () => {
    const f = write('users-rebuild.jsonl', users);
    const cacheDir = path.join(t.dir, 'cache-b');
    const open = async (limit: number | undefined) => {
      const idx = await openSourceIndex(decl(f, { groupBy: expr('email'), ...(limit ? { maxRecordBytes: limit } : {}) }), 'groupBy', { cacheDir });
      const facts = { built: idx.built, errors: idx.errors.map((e) => e.code), bob: idx.getAll('bob@example.com').length };
      idx.close();
      return facts;
    };
    expect(await open(400)).toEqual({ built: true, errors: ['source.record-too-long', 'source.record-too-deep'], bob: 0 });
    expect(await open(400)).toEqual({ built: false, errors: ['source.record-too-long', 'source.record-too-deep'], bob: 0 });
    expect(await open(undefined)).toEqual({ built: true, errors: ['source.record-too-deep'], bob: 1 });
  });
});
