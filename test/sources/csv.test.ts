import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PmError } from '../../src/core/errors.js';
import { collect, decl, failures, gzipFixture, records, tmp, collectUntilError } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());

function write(name: string, text: string): string {
  const f = path.join(t.dir, name);
  writeFileSync(f, text);
  return f;
}

describe('csv', () => {
  it('uses the header row for names; values are strings, quoted newlines kept, lines are where records start', async () => {
    const items = await collect(decl('tickets.csv'));
    expect(records(items)).toEqual([
      { id: '1', subject: 'Hello', body: 'multi\nline body' },
      { id: '2', subject: 'Quoted, with comma', body: 'say "hi"' },
      { id: '3', subject: 'Empty body', body: '' },
    ]);
    expect(items.map((i) => i.location)).toEqual([
      { file: 'tickets.csv', line: 2, index: 0 },
      { file: 'tickets.csv', line: 4, index: 1 },
      { file: 'tickets.csv', line: 6, index: 2 },
    ]);
  });

  it("takes a delimiter (';') and CRLF line ends", async () => {
    const items = await collect(decl('semicolon.csv', { csv: { delimiter: ';', header: true } }));
    expect(records(items)).toEqual([
      { id: '1', subject: 'Hallo', status: 'open' },
      { id: '2', subject: 'a;b', status: 'closed' },
    ]);
    expect(items.map((i) => i.location.line)).toEqual([2, 3]);
  });

  it('reads a file without a header with the declared columns', async () => {
    const items = await collect(decl('noheader.csv', { csv: { delimiter: ',', header: false, columns: ['id', 'subject', 'status'] } }));
    expect(records(items)).toEqual([
      { id: '1', subject: 'Hello', status: 'open' },
      { id: '2', subject: 'World', status: 'closed' },
    ]);
    expect(items.map((i) => i.location.line)).toEqual([1, 2]);
  });

  it('lets columns override the header names', async () => {
    const items = await collect(decl('tickets.csv', { csv: { delimiter: ',', header: true, columns: ['ticket', 'title', 'text'] } }));
    expect(records(items)[0]).toEqual({ ticket: '1', title: 'Hello', text: 'multi\nline body' });
  });

  it('refuses header: false without columns, and columns that do not match the header', async () => {
    await expect(collect(decl('noheader.csv', { csv: { delimiter: ',', header: false } }))).rejects.toMatchObject({
      code: 'source.csv-columns-required',
      path: 'sources.src.csv.columns',
    });
    await expect(collect(decl('tickets.csv', { csv: { delimiter: ',', header: true, columns: ['a', 'b'] } }))).rejects.toBeInstanceOf(PmError);
  });

  it('reads gzipped csv identically', async () => {
    const plain = await collect(decl('tickets.csv'));
    const gz = await collect(decl(gzipFixture('tickets.csv', t.dir)));
    expect(gz.map((i) => [i.ok && i.record, i.location.line])).toEqual(plain.map((i) => [i.ok && i.record, i.location.line]));
  });

  it('reports malformed rows with file:line and goes on (until a quote swallows the rest of the file)', async () => {
    // `4,"bad"quote` opens a quote that is never closed: everything after it is lost, so the read stops there.
    const { items, error } = await collectUntilError(decl('bad.csv'));
    expect(error.code).toBe('source.unreadable');
    expect(records(items)).toEqual(expect.arrayContaining([{ id: '1', subject: 'ok' }, { id: '3', subject: 'fine' }]));
    const bad = failures(items);
    expect(bad.length).toBeGreaterThanOrEqual(2);
    expect(bad[0]!.location).toEqual({ file: 'bad.csv', line: 3, index: 1 });
    expect(bad[0]!.error.code).toBe('source.malformed-record');
    expect(bad[0]!.error.address).toBe('bad.csv:3');
    expect(bad[0]!.error.message).toMatch(/row at line 3 is malformed: wrong number of fields/);
    expect(bad[1]!.location.line).toBe(5);
    expect(bad[1]!.error.message).toMatch(/Closing Quote/i);
    // items come in file order
    expect(items.map((i) => i.location.index)).toEqual(items.map((_, n) => n));
  });

  it('keeps line numbers right with CRLF inside quoted fields and blank lines', async () => {
    const f = write('crlf.csv', 'id,body\r\n1,"a\r\nb\r\nc"\r\n\r\n2,x\r\n3,"y"\r\n');
    const items = await collect(decl(f));
    expect(items.map((i) => [i.ok && i.record, i.location.line])).toEqual([
      [{ id: '1', body: 'a\r\nb\r\nc' }, 2],
      [{ id: '2', body: 'x' }, 6],
      [{ id: '3', body: 'y' }, 7],
    ]);
  });

  it('stops at an unclosed quote, naming its line: the rest of the file cannot be read', async () => {
    const f = write('unclosed.csv', 'id,body\n1,ok\n2,"never closed\n3,lost\n');
    const { items, error } = await collectUntilError(decl(f));
    expect(records(items)).toEqual([{ id: '1', body: 'ok' }]);
    expect(failures(items)).toHaveLength(0);
    expect(error.code).toBe('source.unreadable');
    expect(error.location?.line).toBe(3);
    expect(error.message).toMatch(/unclosed quote in .*unclosed\.csv.*Quote Not Closed/i);
  });

  it('strips a BOM from the header', async () => {
    const f = write('bom.csv', '\uFEFFid,name\n1,Ann\n');
    expect(records(await collect(decl(f)))).toEqual([{ id: '1', name: 'Ann' }]);
  });
});
