import { PmError } from '../../src/core/errors.js';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import jsonata from 'jsonata';
import type { Expr, SourceDecl, SourceFormat } from '../../src/manifest/types.js';
import { readSource } from '../../src/sources/index.js';
import type { SourceItem } from '../../src/sources/types.js';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/sources');

export function formatOf(file: string): SourceFormat {
  const base = file.replace(/\.gz$/, '');
  if (base.endsWith('.csv')) return 'csv';
  if (base.endsWith('.json')) return 'json';
  return 'jsonl';
}

/** A SourceDecl as the manifest loader would produce it; `file` is relative to the fixtures unless absolute. */
export function decl(file: string, over: Partial<SourceDecl> = {}): SourceDecl {
  const abs = path.isAbsolute(file) ? file : path.join(FIXTURES, file);
  return {
    name: 'src',
    path: abs,
    pathAsWritten: path.isAbsolute(file) ? path.basename(file) : file,
    format: formatOf(file),
    gzip: file.endsWith('.gz'),
    location: { file: 'plain-migrate.yaml', line: 3, col: 5 },
    ...over,
  };
}

export function expr(text: string, p = 'sources.src.key'): Expr {
  return { text, location: { file: 'plain-migrate.yaml', line: 1, col: 1 }, path: p, compiled: jsonata(text) };
}

export function constant(value: unknown, p = 'sources.src.key'): Expr {
  return { text: String(value), location: { file: 'plain-migrate.yaml', line: 1, col: 1 }, path: p, constant: { value } };
}

export async function collect(d: SourceDecl, signal?: AbortSignal): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of readSource(d, { signal })) out.push(item);
  return out;
}

export function records(items: SourceItem[]): unknown[] {
  return items.flatMap((i) => (i.ok ? [i.record] : []));
}

export function failures(items: SourceItem[]): Extract<SourceItem, { ok: false }>[] {
  return items.filter((i): i is Extract<SourceItem, { ok: false }> => !i.ok);
}

/** A fresh temporary directory, removed by the returned cleanup. */
export function tmp(prefix = 'pm-sources-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Gzip a fixture into `dir`, returning the new file's absolute path (name + .gz). */
export function gzipFixture(file: string, dir: string): string {
  const out = path.join(dir, `${path.basename(file)}.gz`);
  writeFileSync(out, gzipSync(readFileSync(path.join(FIXTURES, file))));
  return out;
}

/** Reads until the source throws: the records before the error, and the error (a PmError) it stopped with. */
export async function collectUntilError(d: SourceDecl): Promise<{ items: SourceItem[]; error: PmError }> {
  const items: SourceItem[] = [];
  try {
    for await (const item of readSource(d)) items.push(item);
  } catch (e) {
    if (e instanceof PmError) return { items, error: e };
    throw e;
  }
  throw new Error('expected the source to stop with an error');
}
