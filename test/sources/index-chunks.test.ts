/**
 * A groupBy index built from chunks parsed elsewhere (src/sources/index-chunks.ts) is the index built by
 * reading the file in one go: the same rows (group, line, item number, place in the file), the same
 * group digests, the same problems with the same places and words, and the same facts but for how it
 * was built — whatever the chunks' size, wherever their edges fall (inside a group, at a BOM, a CRLF,
 * a blank line, a line with a problem), and whether a chunk comes back parsed or not at all.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import type { SourceDecl } from '../../src/manifest/types.js';
import type { ChunkParser } from '../../src/sources/index-build.js';
import { chunkRanges, parseChunk, type ChunkRange, type ChunkResult } from '../../src/sources/index-chunks.js';
import { openSourceIndex } from '../../src/sources/index.js';
import { decl, expr, gzipFixture, tmp } from './helpers.js';

const t = tmp('pm-chunks-');
afterAll(() => t.cleanup());
let n = 0;
const cacheDir = (): string => path.join(t.dir, `cache-${++n}`);

/** Everything in an index file but the build's duration. */
function contents(file: string): Record<string, unknown[]> {
  const db = new Database(file, { readonly: true });
  try {
    const all = (q: string) => db.prepare(q).raw().all();
    return {
      recs: all('SELECT k, line, idx, json, off, len FROM recs ORDER BY id'),
      digests: all('SELECT k, d FROM digests ORDER BY k'),
      diag: all('SELECT code, message, file, line, col, address, path, hint FROM diag ORDER BY seq'),
      meta: all("SELECT k, v FROM meta WHERE k NOT IN ('build_ms', 'chunks') ORDER BY k"),
    };
  } finally {
    db.close();
  }
}

function meta(file: string, k: string): string | undefined {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT v FROM meta WHERE k = ?').pluck().get(k) as string | undefined;
  } finally {
    db.close();
  }
}

/** A ChunkParser in this thread (the pool's workers run the same parseChunk), with a hook to spoil some chunks. */
function inThread(d: SourceDecl, chunkBytes: number, spoil?: (i: number, r: ChunkRange) => 'reject' | 'unparsed' | undefined): ChunkParser & { calls: number; clean: number } {
  let i = 0;
  const p = {
    calls: 0,
    clean: 0,
    inFlight: 3,
    minBytes: 0,
    chunkBytes,
    async parse(source: string, range: ChunkRange): Promise<ChunkResult> {
      expect(source).toBe(d.name);
      p.calls++;
      const what = spoil?.(i++, range);
      if (what === 'reject') throw new Error('a worker died');
      if (what === 'unparsed') return { clean: false };
      const r = await parseChunk(d as never, d.groupBy!, range);
      if (r.clean) p.clean++;
      return r;
    },
  };
  return p;
}

async function build(d: SourceDecl, chunker?: ChunkParser): Promise<string> {
  const idx = await openSourceIndex(d, 'groupBy', { cacheDir: cacheDir(), ...(chunker ? { chunker: () => chunker } : {}) });
  idx.close();
  return idx.file;
}

/** Comments grouped by ticket, as exports have them, with everything a line can be. */
function groupedFile(): string {
  const file = path.join(t.dir, `grouped-${++n}.jsonl`);
  const lines: string[] = [];
  let id = 0;
  for (let ticket = 1; ticket <= 60; ticket++) {
    const count = ticket % 7; // 0 to 6 comments, so groups of every size straddle chunk edges
    for (let c = 0; c < count; c++) {
      id++;
      const body = `<p>${'é ✓ 𝄞 '.repeat(ticket % 5)}comment ${id}</p>`;
      // Numbers and strings for the same group (compared as strings), and some records without one.
      const group = id % 13 === 0 ? null : id % 2 ? ticket : String(ticket);
      lines.push(JSON.stringify({ id, ticket_id: group, html_body: body }) + (id % 5 === 0 ? '\r' : ''));
      if (id % 9 === 0) lines.push('');
      if (id % 11 === 0) lines.push('   \t');
    }
  }
  writeFileSync(file, '\uFEFF' + lines.join('\n')); // a BOM, and no newline at the end
  return file;
}

describe('a groupBy index built from chunks parsed elsewhere', () => {
  it('is the index read in one go, for every chunk size, contiguous groups digested as they go', async () => {
    const d = decl(groupedFile(), { groupBy: expr('ticket_id', 'sources.src.groupBy') });
    const whole = contents(await build(d));
    expect(whole.recs.length).toBeGreaterThan(150);
    expect(whole.diag).toEqual([]);
    expect(whole.meta).toContainEqual(['digests', 'inline']);
    for (const size of [1, 37, 100, 333, 1000, 4096, 1 << 20]) {
      const parser = inThread(d, size);
      const file = await build(d, parser);
      expect(contents(file), `chunks of ${size} bytes`).toEqual(whole);
      expect(parser.clean).toBe(parser.calls);
      expect(meta(file, 'chunks')).toBe(`${parser.calls}/${parser.calls}`);
      if (size === 1) expect(parser.calls).toBe(readFileSync(d.path, 'utf8').split('\n').length); // a line a chunk
    }
  });

  it('reads here a chunk that comes back unparsed or not at all, and numbers what follows it alike', async () => {
    const d = decl(groupedFile(), { groupBy: expr('ticket_id', 'sources.src.groupBy') });
    const whole = contents(await build(d));
    const parser = inThread(d, 200, (i) => (i % 3 === 1 ? 'reject' : i % 3 === 2 ? 'unparsed' : undefined));
    const file = await build(d, parser);
    expect(contents(file)).toEqual(whole);
    expect(parser.clean).toBeGreaterThan(0);
    expect(meta(file, 'chunks')).toBe(`${parser.clean}/${parser.calls}`);
  });

  it('reports every problem with the same words and places, the chunks around it parsed elsewhere', async () => {
    const file = path.join(t.dir, 'problems.jsonl');
    const ok = (id: number, ticket: unknown) => JSON.stringify({ id, ticket_id: ticket, text: `comment ${id} `.repeat(4) });
    const lines: string[] = [];
    for (let i = 1; i <= 120; i++) {
      if (i === 17) lines.push('{"id": 17, "ticket_id": 3, broken');
      else if (i === 40) lines.push(JSON.stringify({ id: 40, ticket_id: { nested: true } })); // an object: not a group
      else if (i === 55) lines.push(`{"id": 55, "ticket_id": 5, "deep": ${'['.repeat(200)}${']'.repeat(200)}}`);
      else if (i === 70) lines.push(`{"id": 70, "ticket_id": 7, "text": "${'x'.repeat(3000)}"}`); // over maxRecordBytes
      else if (i === 90) lines.push(ok(90, 'fail')); // the expression fails on it
      else if (i === 100) lines.push('\uFEFF' + ok(100, 17)); // a BOM not at the start of the file, dropped all the same
      else lines.push(ok(i, Math.ceil(i / 6)));
    }
    writeFileSync(file, lines.join('\n') + '\n');
    appendFileSync(file, Buffer.from([0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0xff, 0x7d, 0x0a])); // not UTF-8
    appendFileSync(file, ok(122, 21) + '\n');
    const groupBy = expr("ticket_id = 'fail' ? $error('no group for this one') : ticket_id", 'sources.src.groupBy');
    const d = decl(file, { groupBy, maxRecordBytes: 2048 });
    const whole = contents(await build(d));
    expect(whole.diag.map((r) => [(r as unknown[])[0], (r as unknown[])[5]])).toEqual([
      ['source.malformed-record', 'problems.jsonl:17'],
      ['source.key-not-scalar', 'problems.jsonl:40'],
      ['source.record-too-deep', 'problems.jsonl:55'],
      ['source.record-too-long', 'problems.jsonl:70'],
      ['source.key-error', 'problems.jsonl:90'],
      ['source.malformed-record', 'problems.jsonl:121'],
    ]);
    for (const size of [1, 150, 1000]) {
      const parser = inThread(d, size);
      const built = await build(d, parser);
      expect(contents(built), `chunks of ${size} bytes`).toEqual(whole);
      expect(parser.clean).toBeGreaterThan(0);
      expect(parser.clean).toBeLessThan(parser.calls); // the chunks with a problem were read here
    }
  });

  it('digests the groups after the build, as for any file, when they are not runs or a record is in several', async () => {
    const interleaved = path.join(t.dir, 'interleaved.jsonl');
    writeFileSync(interleaved, Array.from({ length: 90 }, (_, i) => JSON.stringify({ id: i, ticket_id: (i % 4) + 1 })).join('\n') + '\n');
    const several = path.join(t.dir, 'several.jsonl');
    writeFileSync(
      several,
      Array.from({ length: 90 }, (_, i) => JSON.stringify({ id: i, tags: i === 50 ? ['a', 'b', 'a'] : [i < 45 ? 'a' : 'b'] })).join('\n') + '\n',
    );
    for (const [file, groupBy] of [
      [interleaved, 'ticket_id'],
      [several, 'tags'],
    ] as const) {
      const d = decl(file, { groupBy: expr(groupBy, 'sources.src.groupBy') });
      const whole = contents(await build(d));
      expect(whole.meta).toContainEqual(['digests', 'pass']);
      for (const size of [1, 64, 500]) expect(contents(await build(d, inThread(d, size))), `${groupBy}, chunks of ${size} bytes`).toEqual(whole);
    }
  });

  it('parses a record longer than a read (256 KiB) in a chunk, as one record', async () => {
    const file = path.join(t.dir, 'long.jsonl');
    const long = (id: number) => JSON.stringify({ id, ticket_id: 1 + (id >> 1), html_body: `<p>${'x'.repeat(700_000 + id)}</p>` });
    writeFileSync(file, [long(1), long(2), long(3), JSON.stringify({ id: 4, ticket_id: 2 }), long(5)].join('\n') + '\n');
    const d = decl(file, { groupBy: expr('ticket_id', 'sources.src.groupBy') });
    const whole = contents(await build(d));
    for (const size of [1, 1 << 30]) {
      const parser = inThread(d, size);
      expect(contents(await build(d, parser)), `chunks of ${size} bytes`).toEqual(whole);
      expect(parser.clean).toBe(parser.calls); // parsed there, not read again here
    }
  });

  it('reads a small, gzipped or non-jsonl source in one go, without asking for chunks', async () => {
    const d = decl(groupedFile(), { groupBy: expr('ticket_id', 'sources.src.groupBy') });
    const small = { ...inThread(d, 100), minBytes: 1 << 30 };
    const file = await build(d, small);
    expect(small.calls).toBe(0);
    expect(meta(file, 'chunks')).toBeUndefined();
    const gz = decl(gzipFixture('comments.jsonl', t.dir), { groupBy: expr('ticket_id', 'sources.src.groupBy') });
    const gzParser = inThread(gz, 100);
    await build(gz, gzParser);
    expect(gzParser.calls).toBe(0);
  });

  it('cuts a file into chunks of whole lines that cover it exactly', async () => {
    const file = path.join(t.dir, 'cut.jsonl');
    const text = ['a', '', 'bbbbbbbbbbbbbbbbbbbbbbbb', 'c'.repeat(200_000), 'd', ''].join('\n');
    writeFileSync(file, text);
    const size = Buffer.byteLength(text);
    for (const bytes of [1, 3, 10, 1000, size, size * 2]) {
      const ranges = await chunkRanges(file, size, bytes);
      expect(ranges[0]!.start).toBe(0);
      expect(ranges[ranges.length - 1]!.end).toBe(size);
      for (let i = 1; i < ranges.length; i++) {
        expect(ranges[i]!.start).toBe(ranges[i - 1]!.end);
        expect(text[ranges[i]!.start - 1]).toBe('\n');
      }
      if (bytes === 1) expect(ranges.map((r) => text.slice(r.start, r.end))).toEqual(['a\n', '\n', 'bbbbbbbbbbbbbbbbbbbbbbbb\n', `${'c'.repeat(200_000)}\n`, 'd\n']);
    }
  });
});
