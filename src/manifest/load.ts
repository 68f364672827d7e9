/** loadManifest: read → parse (with locations) → interpolate → validate → build. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { PmError, type SourceLocation } from '../core/errors.js';
import { buildManifest } from './build.js';
import type { BuildContext } from './context.js';
import { ManifestError } from './errors.js';
import { interpolate, isInterpolated } from './interpolate.js';
import { validateSchema } from './schema-validate.js';
import type { Expr, LiveKindCatalog, Manifest } from './types.js';
import { convertDocument, formatPath, parseYaml, toPointer, type Path } from './yaml-doc.js';

export interface LoadOptions {
  /** Where ${VAR} reads from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** JSONata evaluation timeout per expression, in ms; default 1000. */
  expressionTimeoutMs?: number;
  /** JSONata maximum evaluation depth; default 500. */
  expressionMaxDepth?: number;
  /** The live source kinds, to check connections and their sources (the CLI gives src/sources/live's). */
  liveKinds?: LiveKindCatalog;
}

export const DEFAULT_MANIFEST_FILE = 'plain-migrate.yaml';

async function readManifestFile(file: string, abs: string): Promise<Buffer> {
  try {
    return await readFile(abs);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') {
      throw new PmError('manifest.not-found', code === 'EISDIR' ? `${file} is a directory, not a manifest` : `manifest not found: ${file}`, {
        location: { file },
        hint: `run where ${DEFAULT_MANIFEST_FILE} is, or name the manifest with -f/--file PATH`,
      });
    }
    throw new PmError('manifest.unreadable', `cannot read the manifest ${file}: ${(e as Error).message}`, { location: { file }, cause: e });
  }
}

/**
 * Loads, interpolates, validates and compiles a manifest. Throws PmError('manifest.not-found') when the
 * file is missing, and ManifestError (code 'manifest.invalid') with every problem found otherwise.
 */
export async function loadManifest(file: string, opts: LoadOptions = {}): Promise<Manifest> {
  const env = opts.env ?? process.env;
  const absFile = path.resolve(file);
  const bytes = await readManifestFile(file, absFile);
  const sourceHash = createHash('sha256').update(bytes).digest('hex');
  const text = bytes.toString('utf8');

  const parsed = parseYaml(text, file);
  if (!parsed.doc) throw new ManifestError(file, parsed.problems);
  if (parsed.doc.contents === null) {
    throw new ManifestError(file, [
      new PmError('manifest.empty-file', 'the manifest file is empty (or holds only comments)', {
        location: { file, line: 1, col: 1 },
        hint: 'start one with: plain-migrate init --from zendesk',
      }),
    ]);
  }

  const problems: PmError[] = [];
  /** Pointers whose interpolation failed: the schema's complaints about them would only repeat it. */
  const failed = new Set<string>();
  const transform = (p: Path, value: string, location: SourceLocation): { value: unknown; interpolated: boolean } => {
    if (!isInterpolated(p)) return { value, interpolated: false };
    const r = interpolate(value, env);
    for (const q of r.problems) {
      problems.push(new PmError(q.code, q.message, { location, path: formatPath(p), hint: q.hint }));
    }
    if (r.problems.length > 0) failed.add(toPointer(p));
    return { value: r.value, interpolated: r.interpolated };
  };
  const converted = convertDocument(parsed.doc, text, parsed.lineCounter, file, transform);
  problems.push(...converted.problems);

  problems.push(...validateSchema(converted.value, converted.nodes, failed));

  const exprs: Expr[] = [];
  const ctx: BuildContext = {
    file,
    dir: path.dirname(absFile),
    nodes: converted.nodes,
    problems,
    compile: {
      timeoutMs: opts.expressionTimeoutMs ?? 1000,
      maxDepth: opts.expressionMaxDepth ?? 500,
      fastPath: (opts.env ?? process.env).PLAIN_MIGRATE_JSONATA_ONLY !== '1',
    },
    exprs,
    ...(opts.liveKinds ? { catalog: opts.liveKinds } : {}),
  };
  const manifest = buildManifest({ ctx, absFile, value: converted.value, sourceHash });
  if (!manifest || problems.length > 0) throw new ManifestError(file, problems);
  return manifest;
}
