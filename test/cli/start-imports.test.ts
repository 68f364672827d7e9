/**
 * What a command loads at start. graphql-request (with graphql, ~140 files) is loaded by the Plain
 * client's first request, and the manifest schema's validator is prebuilt by `npm run build`, so ajv is
 * not loaded either; each was about a tenth of a re-plan. This holds a command that reads a manifest
 * but talks to no target (`validate`) to that, by recording every module the CLI resolves.
 */
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin/plain-migrate.js');
const HOOK = path.join(ROOT, 'test/helpers/record-imports.mjs');

async function modulesLoadedBy(args: string[], cwd: string): Promise<string[]> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'pm-imports-')), 'imports.txt');
  const r = await execa(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd,
    reject: false,
    env: { PM_RECORD_IMPORTS: file, PLAIN_API_KEY: 'k', PLAIN_ENDPOINT: 'http://127.0.0.1:1/graphql/v1', NO_COLOR: '1' },
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

describe('a command that reads a manifest and talks to no target', () => {
  it('loads neither graphql nor ajv, and does load the prebuilt validator', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-start-'));
    cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (s) => !s.includes('.plain-migrate') });
    const urls = await modulesLoadedBy(['validate'], dir);
    expect(urls.some((u) => u.includes('/dist/cli/main.js'))).toBe(true);
    expect(urls.some((u) => u.endsWith('/dist/manifest/schema-validator.cjs'))).toBe(true);
    expect(urls.filter((u) => /\/node_modules\/(graphql|graphql-request)\//.test(u))).toEqual([]);
    // The prebuilt validator needs one helper of ajv's runtime, not ajv.
    expect(urls.filter((u) => /\/node_modules\/ajv\//.test(u) && !u.includes('/ajv/dist/runtime/'))).toEqual([]);
  });

  it('loads no HTML parser, worker pool, or parser of a format its sources are not in', async () => {
    // Loaded on first use: parse5 by HTML the simple parser does not take, entities by the first `&`,
    // piscina by the first mapping pool, stream-json and csv-parse by the first .json or .csv source.
    // The quickstart's sources are all .jsonl.
    const dir = mkdtempSync(path.join(tmpdir(), 'pm-start-'));
    cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (s) => !s.includes('.plain-migrate') });
    const urls = await modulesLoadedBy(['validate'], dir);
    expect(urls.some((u) => u.endsWith('/dist/mapping/markdown.js'))).toBe(true);
    expect(urls.filter((u) => /\/node_modules\/(parse5|entities|piscina|stream-json|csv-parse)\//.test(u))).toEqual([]);
    expect(urls.filter((u) => /\/dist\/sources\/(csv|json)\.js$/.test(u))).toEqual([]);
  });
});
