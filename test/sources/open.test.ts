import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { formatError, PmError } from '../../src/core/errors.js';
import { readSource } from '../../src/sources/index.js';
import { collect, decl, FIXTURES, records, tmp } from './helpers.js';

const t = tmp();
afterAll(() => t.cleanup());

describe('opening source files', () => {
  it('reports a missing file as a PmError naming the path as written, not a raw ENOENT', async () => {
    const d = decl(path.join(t.dir, 'missing.jsonl'), { pathAsWritten: 'export/missing.jsonl' });
    const err = await collect(d).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PmError);
    const pm = err as PmError;
    expect(pm.code).toBe('source.not-found');
    expect(pm.message).toContain('export/missing.jsonl');
    expect(pm.message).not.toMatch(/ENOENT/);
    expect(pm.hint).toContain(d.path);
    expect(pm.path).toBe('sources.src.path');
    expect(formatError(pm)).toMatch(/^plain-migrate\.yaml:3:5: /);
  });

  it('reports a directory as unreadable', async () => {
    const dir = path.join(t.dir, 'adir.jsonl');
    mkdirSync(dir);
    await expect(collect(decl(dir))).rejects.toMatchObject({ code: 'source.not-found', message: expect.stringMatching(/directory/) });
  });

  it('fails clearly when a .gz file is not gzip', async () => {
    const f = path.join(t.dir, 'fake.jsonl.gz');
    writeFileSync(f, '{"a":1}\n');
    await expect(collect(decl(f))).rejects.toMatchObject({ code: 'source.not-gzip' });
  });

  it('decompresses a file that starts with gzip magic even without .gz', async () => {
    const f = path.join(t.dir, 'sneaky.jsonl');
    writeFileSync(f, gzipSync('{"a":1}\n{"a":2}\n'));
    expect(records(await collect(decl(f)))).toEqual([{ a: 1 }, { a: 2 }]);
  });

  it('reports a truncated gzip file as a read failure', async () => {
    const full = gzipSync(readFileSync(path.join(FIXTURES, 'zendesk-airbyte-expected-records.jsonl')));
    const f = path.join(t.dir, 'truncated.jsonl.gz');
    writeFileSync(f, full.subarray(0, Math.floor(full.length / 2)));
    await expect(collect(decl(f))).rejects.toMatchObject({ code: 'source.read-failed', message: expect.stringContaining('truncated.jsonl.gz') });
  });

  it('reads an empty file as no records', async () => {
    for (const name of ['empty.jsonl', 'empty.csv']) {
      const f = path.join(t.dir, name);
      writeFileSync(f, '');
      expect(await collect(decl(f))).toEqual([]);
    }
  });

  it('stops on abort and lets the consumer break early', async () => {
    const ac = new AbortController();
    const seen: unknown[] = [];
    const run = (async () => {
      for await (const item of readSource(decl('zendesk-airbyte-expected-records.jsonl'), { signal: ac.signal })) {
        seen.push(item);
        if (seen.length === 3) ac.abort(new Error('stop'));
      }
    })();
    await expect(run).rejects.toThrow('stop');
    expect(seen).toHaveLength(3);

    let n = 0;
    for await (const item of readSource(decl('tickets.json'))) {
      expect(item.ok).toBe(true);
      if (++n === 1) break;
    }
    expect(n).toBe(1);
  });
});
