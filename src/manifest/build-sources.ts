/** `sources:` (files, formats, indexes) and `tables:` (lookup maps). */
import path from 'node:path';
import { compileJsonata } from './compile.js';
import { bool, expr, has, isObj, problem, str, type BuildContext } from './context.js';
import { isSizeText, MAX_RECORD_BYTES_CEILING, parseSize } from './size.js';
import { liveSource } from './build-live.js';
import type { ConnectionDecl, CsvOptions, SourceDecl, SourceFormat, TableDecl } from './types.js';
import { formatPath } from './yaml-doc.js';

/** Keys of the source schema that only live sources take. */
const LIVE_ONLY_KEYS = ['stream', 'request', 'records', 'next', 'cursor', 'id', 'protocol', 'env', 'method'] as const;

export const SUPPORTED_EXTENSIONS = '.jsonl .ndjson .json .csv, each optionally .gz';

/** The format and compression of a source from its path's extension (case-insensitive). */
export function formatFromPath(p: string): { format: SourceFormat; gzip: boolean } | undefined {
  const lower = p.toLowerCase();
  const gzip = lower.endsWith('.gz');
  const base = gzip ? lower.slice(0, -3) : lower;
  if (base.endsWith('.jsonl') || base.endsWith('.ndjson')) return { format: 'jsonl', gzip };
  if (base.endsWith('.json')) return { format: 'json', gzip };
  if (base.endsWith('.csv')) return { format: 'csv', gzip };
  return undefined;
}

function csvOptions(ctx: BuildContext, name: string, v: unknown): CsvOptions | undefined {
  const at = ['sources', name, 'csv'];
  const o = isObj(v) ? v : {};
  const delimiter = str(o, 'delimiter') ?? ',';
  const header = bool(o, 'header') ?? true;
  const columns = Array.isArray(o['columns']) && o['columns'].every((c): c is string => typeof c === 'string') ? o['columns'] : undefined;
  if (!header && columns === undefined) {
    problem(ctx, 'manifest.csv-columns', `sources.${name}.csv: header is false, so columns must name the columns`, at, {
      at: 'key',
      hint: 'add columns: [id, subject, …], or set header: true',
    });
  }
  return { delimiter, header, ...(columns !== undefined ? { columns: [...columns] } : {}) };
}

/**
 * `maxRecordBytes`: a size string or a number of bytes. The schema checks the form (and the range of a
 * number); the range of a size string is checked here.
 */
function maxRecordBytes(ctx: BuildContext, name: string, v: unknown): number | undefined {
  const at = ['sources', name, 'maxRecordBytes'];
  const bytes = parseSize(v);
  if (typeof v === 'string' && isSizeText(v)) {
    if (bytes === undefined) {
      problem(ctx, 'manifest.range', `sources.${name}.maxRecordBytes must be greater than zero`, at);
      return undefined;
    }
    if (bytes > MAX_RECORD_BYTES_CEILING) {
      problem(ctx, 'manifest.range', `sources.${name}.maxRecordBytes must be at most 512MB (${MAX_RECORD_BYTES_CEILING} bytes), the longest record that can be read`, at, {
        hint: 'a record this large is almost always a damaged export or inline file contents',
      });
      return undefined;
    }
  }
  return bytes !== undefined && bytes <= MAX_RECORD_BYTES_CEILING ? bytes : undefined;
}

function source(ctx: BuildContext, name: string, v: unknown): SourceDecl | undefined {
  if (!isObj(v)) return undefined;
  const at = ['sources', name];
  const location = ctx.nodes.location(at);
  const pathAsWritten = str(v, 'path');
  if (pathAsWritten === undefined || pathAsWritten === '') return undefined;
  for (const k of LIVE_ONLY_KEYS) {
    if (has(v, k)) {
      problem(ctx, 'manifest.source-option', `sources.${name}.${k} applies to live sources (connection: or command:), not to a file`, [...at, k], {
        at: 'key',
        hint: `remove ${k}, or read this source from a connection instead of path`,
      });
    }
  }
  const detected = formatFromPath(pathAsWritten);
  if (!detected) {
    const base = path.basename(pathAsWritten);
    const dot = base.indexOf('.');
    const ext = dot < 0 ? 'no extension' : `extension '${base.slice(dot)}'`;
    problem(ctx, 'manifest.source-format', `cannot tell the format of sources.${name} from its path (${ext}); supported: ${SUPPORTED_EXTENSIONS}`, [...at, 'path'], {
      hint: 'rename the file, or convert it to one of the supported formats',
    });
  }
  // A relative path stays inside the manifest's directory: a reviewed manifest cannot quietly read
  // ../../ elsewhere. An absolute path says plainly where it reads.
  if (!path.isAbsolute(pathAsWritten)) {
    const rel = path.relative(ctx.dir, path.resolve(ctx.dir, pathAsWritten));
    if (rel === '..' || rel.startsWith(`..${path.sep}`)) {
      problem(ctx, 'manifest.path-escapes', `sources.${name}.path ${JSON.stringify(pathAsWritten)} leads outside the manifest's directory`, [...at, 'path'], {
        hint: 'keep the export next to the manifest, or write an absolute path if you mean to read from elsewhere',
      });
    }
  }
  const format = detected?.format;
  const select = str(v, 'select');
  if (select !== undefined) {
    if (format !== undefined && format !== 'json') {
      problem(ctx, 'manifest.source-option', `select applies only to json sources; sources.${name} is ${format}`, [...at, 'select'], { at: 'key' });
    }
    compileJsonata(select, formatPath([...at, 'select']), ctx.nodes.location([...at, 'select']), ctx.compile, ctx.problems);
  }
  let csv: CsvOptions | undefined;
  if (has(v, 'csv')) {
    if (format !== undefined && format !== 'csv') {
      problem(ctx, 'manifest.source-option', `csv applies only to csv sources; sources.${name} is ${format}`, [...at, 'csv'], { at: 'key' });
    }
    csv = csvOptions(ctx, name, v['csv']);
  } else if (format === 'csv') {
    csv = { delimiter: ',', header: true };
  }
  const key = expr(ctx, [...at, 'key'], v['key']);
  const groupBy = expr(ctx, [...at, 'groupBy'], v['groupBy']);
  const limit = has(v, 'maxRecordBytes') ? maxRecordBytes(ctx, name, v['maxRecordBytes']) : undefined;
  if (!detected) return undefined;
  return {
    kind: 'file',
    name,
    path: path.resolve(ctx.dir, pathAsWritten),
    pathAsWritten,
    format: detected.format,
    gzip: detected.gzip,
    ...(select !== undefined && detected.format === 'json' ? { select } : {}),
    ...(csv !== undefined && detected.format === 'csv' ? { csv } : {}),
    ...(key ? { key } : {}),
    ...(groupBy ? { groupBy } : {}),
    ...(limit !== undefined ? { maxRecordBytes: limit } : {}),
    location,
  };
}

/** Every well-formed source; malformed ones are reported and left out. */
export function buildSources(
  ctx: BuildContext,
  v: unknown,
  connections: Readonly<Record<string, ConnectionDecl>> = {},
  connectionNames: readonly string[] = [],
): Record<string, SourceDecl> {
  const out: Record<string, SourceDecl> = {};
  if (!isObj(v)) return out;
  for (const [name, decl] of Object.entries(v)) {
    // A source with more than one of path/connection/command is reported by the schema (oneOf).
    if (isObj(decl) && ['path', 'connection', 'command'].filter((k) => has(decl, k)).length > 1) continue;
    const live = isObj(decl) && (has(decl, 'connection') || has(decl, 'command'));
    const s = live ? liveSource(ctx, ctx.catalog, connections, connectionNames, name, decl) : source(ctx, name, decl);
    if (s) out[name] = s;
  }
  return out;
}

/** Tables: rows keyed by the source value as a string; `_default` is not a row. */
export function buildTables(ctx: BuildContext, v: unknown): Record<string, TableDecl> {
  const out: Record<string, TableDecl> = {};
  if (!isObj(v)) return out;
  for (const [name, decl] of Object.entries(v)) {
    if (!isObj(decl)) continue;
    const rows = new Map<string, unknown>();
    for (const [k, value] of Object.entries(decl)) if (k !== '_default') rows.set(k, value);
    out[name] = {
      name,
      rows,
      hasDefault: has(decl, '_default'),
      defaultValue: has(decl, '_default') ? decl['_default'] : undefined,
      location: ctx.nodes.location(['tables', name]),
    };
  }
  return out;
}
