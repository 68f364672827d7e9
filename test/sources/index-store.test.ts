import { createHash } from 'node:crypto';
import { copyFileSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { PmError } from '../../src/core/errors.js';
import { openSourceIndex } from '../../src/sources/index.js';
import { constant, decl, expr, FIXTURES, gzipFixture, tmp } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());
let n = 0;
const cacheDir = (): string => path.join(t.dir, `cache-${++n}`, 'nested');

describe('source index: key', () => {
  it('finds a record by key, comparing as strings ("12" and 12, 10 and "10")', async () => {
    const idx = await openSourceIndex(decl('users.ndjson', { key: expr('id') }), 'key', { cacheDir: cacheDir() });
    try {
      expect(idx.get('11')).toEqual({ id: 11, email: 'bob@example.com', name: 'Bob' });
      expect(idx.get('12')).toMatchObject({ id: '12', email: 'cy@example.com' });
      expect(idx.get('13')).toMatchObject({ email: 'dee@example.com' });
      expect(idx.get('99')).toBeUndefined();
      expect(idx.get('null')).toBeUndefined();
      expect(idx.get('')).toBeUndefined();
      // cached lookups give the same answer
      expect(idx.get('11')).toEqual({ id: 11, email: 'bob@example.com', name: 'Bob' });
      expect(idx.get('99')).toBeUndefined();
    } finally {
      idx.close();
    }
  });

  it('keeps the first of duplicate keys and reports each duplicate', async () => {
    const idx = await openSourceIndex(decl('users.ndjson', { key: expr('id') }), 'key', { cacheDir: cacheDir() });
    try {
      expect(idx.get('10')).toMatchObject({ email: 'ann@example.com' });
      expect(idx.errors).toHaveLength(1);
      const [dup] = idx.errors;
      expect(dup!.code).toBe('source.duplicate-key');
      expect(dup!.message).toContain('"10"');
      expect(dup!.message).toContain('users.ndjson:1');
      expect(dup!.address).toBe('users.ndjson:4');
      expect(dup!.location).toEqual({ file: 'users.ndjson', line: 4 });
      expect(idx.errorCount).toBe(1);
      expect(idx.recordCount).toBe(7);
    } finally {
      idx.close();
    }
  });

  it('evaluates dotted paths directly and other expressions with JSONata', async () => {
    const byOrg = await openSourceIndex(decl('users.ndjson', { key: expr('org.id') }), 'key', { cacheDir: cacheDir() });
    expect(byOrg.get('o1')).toMatchObject({ name: 'Dee' });
    byOrg.close();
    const byEmail = await openSourceIndex(decl('users.ndjson', { key: expr("$lowercase($substringBefore(email, '@'))") }), 'key', { cacheDir: cacheDir() });
    expect(byEmail.get('bob')).toMatchObject({ id: 11 });
    expect(byEmail.get('ann')).toMatchObject({ name: 'Ann' });
    expect(byEmail.errors.map((e) => e.code)).toEqual([]);
    byEmail.close();
  });

  it('collects read errors and key expression errors instead of failing', async () => {
    const idx = await openSourceIndex(decl('tickets.jsonl', { key: expr('$number(subject)') }), 'key', { cacheDir: cacheDir() });
    // in source order: $number('Printer on fire') fails on lines 1, 2, 6, 7; line 5 is not JSON
    expect(idx.errors.map((e) => [e.code, e.address])).toEqual([
      ['source.key-error', 'tickets.jsonl:1'],
      ['source.key-error', 'tickets.jsonl:2'],
      ['source.malformed-record', 'tickets.jsonl:5'],
      ['source.key-error', 'tickets.jsonl:6'],
      ['source.key-error', 'tickets.jsonl:7'],
    ]);
    expect(idx.errors[0]!.path).toBe('sources.src.key');
    expect(idx.errors[0]!.message).toMatch(/key expression `\$number\(subject\)` failed: .+; the record is not indexed/);
    idx.close();
    const objects = await openSourceIndex(decl('users.ndjson', { key: expr('org') }), 'key', { cacheDir: cacheDir() });
    expect(objects.errors.map((e) => e.code)).toEqual(['source.key-not-scalar']);
    objects.close();
  });

  it('reads json and csv sources, gzipped too', async () => {
    const json = await openSourceIndex(decl('export.json', { select: 'tickets', key: expr('id') }), 'key', { cacheDir: cacheDir() });
    expect(json.get('2')).toEqual({ id: 2, subject: 'Two' });
    json.close();
    const gz = gzipFixture('tickets.csv', t.dir);
    const csv = await openSourceIndex(decl(gz, { key: expr('id') }), 'key', { cacheDir: cacheDir() });
    expect(csv.get('2')).toMatchObject({ subject: 'Quoted, with comma' });
    csv.close();
  });

  it('refuses a source without the expression', async () => {
    await expect(openSourceIndex(decl('users.ndjson'), 'key', { cacheDir: cacheDir() })).rejects.toMatchObject({ code: 'source.not-indexed' });
    await expect(openSourceIndex(decl('missing.jsonl', { key: expr('id') }), 'key', { cacheDir: cacheDir() })).rejects.toMatchObject({ code: 'source.not-found' });
  });
});

describe('source index: groupBy', () => {
  it('returns every record of a group in source order, numbers and strings alike', async () => {
    const idx = await openSourceIndex(decl('comments.jsonl', { groupBy: expr('ticket_id', 'sources.src.groupBy') }), 'groupBy', { cacheDir: cacheDir() });
    try {
      expect(idx.getAll('1').map((r) => (r as { id: number }).id)).toEqual([100, 102, 103]);
      expect(idx.getAll('2')).toEqual([{ id: 101, ticket_id: 2, body: 'other ticket', tags: ['b'] }]);
      expect(idx.getAll('3')).toEqual([]);
      const again = idx.getAll('1');
      again.push('mutated');
      expect(idx.getAll('1')).toHaveLength(3);
      expect(idx.errors).toEqual([]);
    } finally {
      idx.close();
    }
  });

  it("fingerprints a group by the digest stored at build time: sha1 of its records' lines, each with a newline", async () => {
    const idx = await openSourceIndex(decl('comments.jsonl', { groupBy: expr('ticket_id', 'sources.src.groupBy') }), 'groupBy', { cacheDir: cacheDir() });
    try {
      const lines = readFileSync(path.join(FIXTURES, 'comments.jsonl'), 'utf8').split('\n').filter((l) => l.trim() !== '');
      const sha1 = (parts: string[]): string => parts.reduce((h, l) => h.update(l).update('\n'), createHash('sha1')).digest('hex');
      const group = (id: string): string[] => lines.filter((l) => String((JSON.parse(l) as { ticket_id: unknown }).ticket_id) === id);
      expect(group('1')).toHaveLength(3);
      expect(idx.fingerprint('1', 'all')).toBe(sha1(group('1')));
      expect(idx.fingerprint('2', 'all')).toBe(sha1(group('2')));
      expect(idx.fingerprint('3', 'all')).toBe(sha1([]));
    } finally {
      idx.close();
    }
  });

  it('gives the same digests whether the groups are contiguous in the source (computed while reading) or not (a second pass)', async () => {
    // Groups of 1–7 records, one after another, past a write batch (10,000 rows); some records without a group.
    let id = 0;
    const contiguous: string[] = [];
    for (let g = 1; contiguous.length < 12_500; g++) {
      for (let i = 0; i < 1 + (g % 7); i++) contiguous.push(JSON.stringify({ id: ++id, ticket_id: g % 3 === 0 ? `t${g}` : g, body: `comment ${id} "q" \\ é` }));
      if (g % 50 === 0) contiguous.push(JSON.stringify({ id: ++id, ticket_id: null }));
    }
    const layouts: Array<[name: string, lines: string[], expected: 'inline' | 'pass']> = [
      ['contiguous', contiguous, 'inline'],
      ['a group that comes back after the last batch', [...contiguous, JSON.stringify({ id: ++id, ticket_id: 1, body: 'late' })], 'pass'],
      ['a group that comes back within the first batch', [contiguous[0]!, JSON.stringify({ id: ++id, ticket_id: 99_999 }), ...contiguous], 'pass'],
      ['a record in two groups', [...contiguous.slice(0, 100), JSON.stringify({ id: ++id, ticket_id: [1_000_001, 1_000_002] }), ...contiguous.slice(100)], 'pass'],
    ];
    const sha1 = (parts: string[]): string => parts.reduce((h, l) => h.update(l).update('\n'), createHash('sha1')).digest('hex');
    for (const [name, lines, expected] of layouts) {
      const src = path.join(t.dir, `digests-${expected}-${name.replace(/\W+/g, '-')}.jsonl`);
      writeFileSync(src, `${lines.join('\n')}\n`);
      const groups = new Map<string, string[]>();
      for (const l of lines) {
        const k = (JSON.parse(l) as { ticket_id: unknown }).ticket_id;
        for (const key of k === null ? [] : Array.isArray(k) ? k : [k]) groups.set(String(key), [...(groups.get(String(key)) ?? []), l]);
      }
      const idx = await openSourceIndex(decl(src, { groupBy: expr('ticket_id', 'sources.src.groupBy') }), 'groupBy', { cacheDir: cacheDir() });
      try {
        const db = new Database(idx.file, { readonly: true });
        expect(db.prepare("SELECT v FROM meta WHERE k = 'digests'").pluck().get(), name).toBe(expected);
        expect(db.prepare('SELECT COUNT(*) FROM digests').pluck().get(), name).toBe(groups.size);
        db.close();
        for (const [k, group] of groups) expect(idx.fingerprint(k, 'all'), `${name}: group ${k}`).toBe(sha1(group));
      } finally {
        idx.close();
      }
    }
  });

  it('keeps the records of a .jsonl groupBy index by their place in the file and reads them back as they are (BOM, CRLF, UTF-8); a .gz, and a key index, keep their text', async () => {
    const lines = ['{"id":1,"t":1,"s":"é ü 😀"}', '{"id":2,"t":1,"s":"a\\"b"}', '{"id":3,"t":2,"s":""}', '{"id":4,"t":1,"n":[1,{"x":null}]}'];
    const src = path.join(t.dir, 'placed.jsonl');
    writeFileSync(src, `\ufeff${lines.join('\r\n')}\r\n`);
    writeFileSync(`${src}.gz`, gzipSync(Buffer.from(`${lines.join('\n')}\n`)));
    for (const [file, placed] of [[src, true], [`${src}.gz`, false]] as const) {
      const idx = await openSourceIndex(decl(file, { groupBy: expr('t', 'sources.src.groupBy') }), 'groupBy', { cacheDir: cacheDir() });
      try {
        const db = new Database(idx.file, { readonly: true });
        expect(db.prepare("SELECT v FROM meta WHERE k = 'spans'").pluck().get(), file).toBe(placed ? '4' : '0');
        expect(db.prepare('SELECT COUNT(*) FROM recs WHERE json IS NULL').pluck().get(), file).toBe(placed ? 4 : 0);
        db.close();
        expect(idx.getAll('1')).toEqual([JSON.parse(lines[0]!), JSON.parse(lines[1]!), JSON.parse(lines[3]!)]);
        expect(idx.getAll('2')).toEqual([JSON.parse(lines[2]!)]);
        const sha1 = (parts: string[]): string => parts.reduce((h, l) => h.update(l).update('\n'), createHash('sha1')).digest('hex');
        expect(idx.fingerprint('1', 'all')).toBe(sha1([lines[0]!, lines[1]!, lines[3]!]));
      } finally {
        idx.close();
      }
    }
    // A key index keeps a copy (it is read one record at a time).
    const keyed = await openSourceIndex(decl(src, { key: expr('id') }), 'key', { cacheDir: cacheDir() });
    try {
      const db = new Database(keyed.file, { readonly: true });
      expect(db.prepare("SELECT v FROM meta WHERE k = 'spans'").pluck().get()).toBe('0');
      db.close();
      expect(keyed.get('1')).toEqual(JSON.parse(lines[0]!));
      expect(keyed.fingerprint('2', 'one')).toBe(createHash('sha1').update(lines[1]!).digest('hex'));
    } finally {
      keyed.close();
    }
  });

  it('stops with source.changed when a .jsonl it keeps by place is changed after the index was opened, or while it is read', async () => {
    const src = path.join(t.dir, 'changing.jsonl');
    const lines = Array.from({ length: 3_000 }, (_, i) => JSON.stringify({ id: i, t: i, body: `comment ${i}` }));
    writeFileSync(src, `${lines.join('\n')}\n`);
    const d = decl(src, { groupBy: expr('t', 'sources.src.groupBy') });
    // Changed before the first look-up: the file is not the one indexed.
    const before = await openSourceIndex(d, 'groupBy', { cacheDir: cacheDir() });
    appendFileSync(src, `${JSON.stringify({ id: 'x', t: 'x' })}\n`);
    try {
      expect(() => before.getAll('1')).toThrow(expect.objectContaining({ code: 'source.changed', message: expect.stringContaining('not the file that was indexed') }));
    } finally {
      before.close();
    }
    // Written to while look-ups go on: noticed within 1,024 reads.
    const during = await openSourceIndex(d, 'groupBy', { cacheDir: cacheDir() });
    try {
      expect(during.getAll('0')).toEqual([JSON.parse(lines[0]!)]);
      const later = new Date(Date.now() + 60_000);
      utimesSync(src, later, later);
      let failure: unknown;
      for (let i = 1; i < 3_000 && failure === undefined; i++) {
        try {
          during.getAll(String(i));
        } catch (e) {
          failure = e;
          expect(i).toBeLessThanOrEqual(1_024);
        }
      }
      expect(failure).toBeInstanceOf(PmError);
      expect(failure).toMatchObject({ code: 'source.changed', hint: expect.stringContaining('run the command again') });
    } finally {
      during.close();
    }
  });

  it('puts a record whose value is a list in each of its groups, once', async () => {
    const idx = await openSourceIndex(decl('comments.jsonl', { groupBy: expr('tags') }), 'groupBy', { cacheDir: cacheDir() });
    expect(idx.getAll('a').map((r) => (r as { id: number }).id)).toEqual([100, 103]);
    expect(idx.getAll('b').map((r) => (r as { id: number }).id)).toEqual([100, 101]);
    expect(idx.getAll('c').map((r) => (r as { id: number }).id)).toEqual([103, 104]);
    idx.close();
  });

  it('accepts a constant expression (every record in one group)', async () => {
    const idx = await openSourceIndex(decl('comments.jsonl', { groupBy: constant(1) }), 'groupBy', { cacheDir: cacheDir() });
    expect(idx.getAll('1')).toHaveLength(5);
    idx.close();
  });
});

describe('source index: cache', () => {
  it('reuses a complete index, and rebuilds when the source or the expression changes', async () => {
    const dir = cacheDir();
    const src = path.join(t.dir, 'users-copy.ndjson');
    copyFileSync(path.join(FIXTURES, 'users.ndjson'), src);
    const d = decl(src, { key: expr('id') });

    const first = await openSourceIndex(d, 'key', { cacheDir: dir });
    expect(first.built).toBe(true);
    const file = first.file;
    const mtime = statSync(file).mtimeMs;
    first.close();

    const second = await openSourceIndex(d, 'key', { cacheDir: dir });
    expect(second.built).toBe(false);
    expect(second.file).toBe(file);
    expect(statSync(file).mtimeMs).toBe(mtime);
    expect(second.get('11')).toMatchObject({ name: 'Bob' });
    expect(second.errors.map((e) => e.code)).toEqual(['source.duplicate-key']);
    second.close();

    appendFileSync(src, '{"id":14,"email":"eve@example.com","name":"Eve"}\n');
    const future = new Date(Date.now() + 5_000);
    utimesSync(src, future, future);
    const third = await openSourceIndex(d, 'key', { cacheDir: dir });
    expect(third.built).toBe(true);
    expect(third.file).not.toBe(file);
    expect(third.get('14')).toMatchObject({ name: 'Eve' });
    third.close();
    // the index of the old version of the file was removed
    expect(readdirSync(dir).filter((f) => f.endsWith('.sqlite'))).toEqual([path.basename(third.file)]);

    const byEmail = await openSourceIndex({ ...d, key: expr('email') }, 'key', { cacheDir: dir });
    expect(byEmail.built).toBe(true);
    byEmail.close();
  });

  it('rebuilds an index file that is incomplete or corrupt', async () => {
    const dir = cacheDir();
    const d = decl('users.ndjson', { key: expr('id') });
    const first = await openSourceIndex(d, 'key', { cacheDir: dir });
    const file = first.file;
    first.close();
    writeFileSync(file, 'this is not a database');
    const second = await openSourceIndex(d, 'key', { cacheDir: dir });
    expect(second.built).toBe(true);
    expect(second.get('11')).toMatchObject({ name: 'Bob' });
    second.close();
    // nothing but the index is left behind (no temporary files)
    expect(readdirSync(dir)).toEqual([path.basename(file)]);
  });

  it('says so, as a PmError, when the cache directory is removed while an index is built', async () => {
    const dir = cacheDir();
    const d = decl('users.ndjson', { key: expr('id') });
    const err = await openSourceIndex(d, 'key', { cacheDir: dir, onBuild: () => rmSync(dir, { recursive: true, force: true }) }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PmError);
    expect((err as PmError).code).toBe('source.cache-unwritable');
    expect((err as PmError).message).toMatch(/was removed while the index of source "src" was being built/);
  });
});
