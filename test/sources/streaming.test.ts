import { createWriteStream, statSync } from 'node:fs';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSourceIndex, readSource } from '../../src/sources/index.js';
import { decl, expr, tmp } from './helpers.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heap(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

const t = tmp('pm-sources-stream-');
const LINES = 200_000;
let jsonlFile = '';
let jsonFile = '';

async function generate(file: string, lines: number, json: boolean): Promise<void> {
  const ws = createWriteStream(file);
  const write = async (s: string): Promise<void> => {
    if (!ws.write(s)) await new Promise<void>((r) => ws.once('drain', () => r()));
  };
  if (json) await write('[\n');
  for (let i = 0; i < lines; i++) {
    const rec = { id: i, ticket_id: i % 5000, subject: `Ticket ${i}`, body: `<p>${'lorem ipsum '.repeat(20)}${i}</p>`, tags: ['a', 'b'] };
    await write(`${json && i > 0 ? ',' : ''}${JSON.stringify(rec)}\n`);
  }
  if (json) await write(']\n');
  await new Promise<void>((r) => ws.end(() => r()));
}

beforeAll(async () => {
  jsonlFile = path.join(t.dir, 'big.jsonl');
  jsonFile = path.join(t.dir, 'big.json');
  await generate(jsonlFile, LINES, false);
  await generate(jsonFile, 50_000, true);
});
afterAll(() => t.cleanup());

/** Read the whole source, sampling the heap (after GC) as it goes; returns the largest growth seen. */
async function maxHeapGrowth(file: string, every: number): Promise<{ count: number; growth: number }> {
  const base = heap();
  let growth = 0;
  let count = 0;
  for await (const item of readSource(decl(file))) {
    expect(item.ok).toBe(true);
    if (++count % every === 0) growth = Math.max(growth, heap() - base);
  }
  return { count, growth: Math.max(growth, heap() - base) };
}

describe('streaming', () => {
  it('reads a ~200k-line jsonl without the heap growing with the file', async () => {
    const size = statSync(jsonlFile).size;
    expect(size).toBeGreaterThan(40_000_000);
    const { count, growth } = await maxHeapGrowth(jsonlFile, 20_000);
    expect(count).toBe(LINES);
    // Loose bound: a reader that kept the records or the file would grow by more than the file size.
    expect(growth).toBeLessThan(size * 0.5);
    expect(growth).toBeLessThan(20_000_000);
  });

  it('reads a large json array without the heap growing with the file', async () => {
    const size = statSync(jsonFile).size;
    const { count, growth } = await maxHeapGrowth(jsonFile, 10_000);
    expect(count).toBe(50_000);
    expect(growth).toBeLessThan(size * 0.5);
  });

  it('indexes a large source on disk: the open index does not hold the records', async () => {
    const size = statSync(jsonlFile).size;
    const base = heap();
    const idx = await openSourceIndex(decl(jsonlFile, { groupBy: expr('ticket_id', 'sources.src.groupBy') }), 'groupBy', {
      cacheDir: path.join(t.dir, 'cache'),
    });
    try {
      expect(idx.recordCount).toBe(LINES);
      expect(idx.getAll('42')).toHaveLength(LINES / 5000);
      expect(heap() - base).toBeLessThan(size * 0.1);
    } finally {
      idx.close();
    }
  });
});
