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

async function rejection(p: Promise<unknown>): Promise<PmError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PmError);
    return e as PmError;
  }
  throw new Error('expected a rejection');
}

describe('json', () => {
  it('streams a top-level array with 0-based indexes and no lines', async () => {
    const items = await collect(decl('tickets.json'));
    expect(records(items)).toEqual([
      { id: 1, subject: 'One' },
      { id: 2, subject: 'Two', nested: { a: [1, 2, { b: null }] } },
      { id: 3, subject: 'Three' },
    ]);
    expect(items.map((i) => i.location)).toEqual([0, 1, 2].map((index) => ({ file: 'tickets.json', index })));
  });

  it('selects an array inside a top-level object', async () => {
    const items = await collect(decl('export.json', { select: 'tickets' }));
    expect(records(items)).toEqual([
      { id: 1, subject: 'One' },
      { id: 2, subject: 'Two' },
    ]);
  });

  it('selects a nested array by a dotted path, and a backquoted name', async () => {
    expect(records(await collect(decl('nested.json', { select: 'data.items' })))).toEqual([{ id: 'a' }, { id: 'b' }, { id: 'c' }]);
    expect(records(await collect(decl('nested.json', { select: '`my items`' })))).toEqual([{ id: 'q' }]);
  });

  it('reads gzipped json, with and without select', async () => {
    expect(records(await collect(decl(gzipFixture('tickets.json', t.dir))))).toHaveLength(3);
    expect(records(await collect(decl(gzipFixture('nested.json', t.dir), { select: 'data.items' })))).toHaveLength(3);
  });

  it('accepts a UTF-8 BOM', async () => {
    const f = write('bom.json', '\uFEFF[{"a":1},{"a":2}]');
    expect(records(await collect(decl(f)))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('asks for select: on a top-level object, listing its keys', async () => {
    const err = await rejection(collect(decl('export.json')));
    expect(err.code).toBe('source.json-needs-select');
    expect(err.message).toContain('holds an object, not an array');
    expect(err.message).toContain('meta (object), count, tickets (array), users (array)');
    expect(err.hint).toContain('select: tickets');
    expect(err.path).toBe('sources.src.select');
  });

  it('refuses a select that is more than a dotted path', async () => {
    for (const select of ['tickets[0]', '$.tickets', 'tickets.*', "tickets[status='open']", 'a..b', '']) {
      const err = await rejection(collect(decl('export.json', { select })));
      expect(err.code).toBe('source.select-unsupported');
      expect(err.message).toMatch(/dotted path of field names/);
    }
  });

  it('explains a select that matches nothing or names a non-array', async () => {
    const missing = await rejection(collect(decl('export.json', { select: 'ticket' })));
    expect(missing.code).toBe('source.select-not-found');
    expect(missing.message).toContain('tickets (array)');
    const notArray = await rejection(collect(decl('export.json', { select: 'meta' })));
    expect(notArray.code).toBe('source.select-not-array');
    const onArray = await rejection(collect(decl('tickets.json', { select: 'tickets' })));
    expect(onArray.code).toBe('source.select-on-array');
  });

  it('stops with the syntax error and its line, after the records before it (nothing after it can be read)', async () => {
    const { items, error } = await collectUntilError(decl('broken.json'));
    expect(records(items)).toEqual([
      { id: 1, subject: 'One' },
      { id: 2, subject: 'Two' },
    ]);
    expect(failures(items)).toHaveLength(0);
    expect(error.code).toBe('source.unreadable');
    expect(error.location).toEqual({ file: 'broken.json', line: 4 });
    expect(error.message).toMatch(/broken\.json is not valid JSON at line 4/);
  });

  it('names a file that is not JSON at all at its first character', async () => {
    const { items, error } = await collectUntilError(decl(write('not.json', '\n\nid,subject\n1,Printer')));
    expect(items).toEqual([]);
    expect(error.location).toEqual({ file: expect.stringContaining('not.json'), line: 3, col: 1 });
    expect(error.message).toMatch(/is not JSON: it starts with "id,subject/);
  });

  it('finds the line of a syntax error deep in a large file (across read chunks)', async () => {
    const lines = ['['];
    for (let i = 0; i < 20_000; i++) lines.push(`  {"id": ${i}, "pad": "${'x'.repeat(40)}"},`);
    lines.push('  {"id": "broken" : 1},');
    lines.push('  {"id": "after"}', ']');
    const f = write('big-broken.json', lines.join('\n'));
    const { items, error } = await collectUntilError(decl(f));
    expect(records(items)).toHaveLength(20_000);
    expect(error.location?.line).toBe(20_002);
  });

  it('reports a truncated file', async () => {
    const f = write('truncated.json', '[{"a":1},{"a":');
    const { items, error } = await collectUntilError(decl(f));
    expect(records(items)).toEqual([{ a: 1 }]);
    expect(error.code).toBe('source.unreadable');
  });

  it('reads an empty array as no records, and refuses a top-level scalar', async () => {
    expect(await collect(decl(write('empty.json', '[]')))).toEqual([]);
    const err = await rejection(collect(decl(write('scalar.json', '"hello"'))));
    expect(err.code).toBe('source.json-not-array');
  });
});
