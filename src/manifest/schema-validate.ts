/**
 * Validation against `plain-migrate.schema.json` (ajv, draft-07, allErrors). Each error becomes a problem
 * with the file:line:col of the offending node and its property path. Messages never quote a value
 * that may have come from the environment: only keys, allowed values and (for enums) the text as written.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { ErrorObject, Options, SchemaObject, ValidateFunction } from 'ajv';
import { PmError } from '../core/errors.js';
import { suggestion } from './suggest.js';
import { formatPath, type NodeIndex, type PathSeg } from './yaml-doc.js';

export const SCHEMA_URL = new URL('../../plain-migrate.schema.json', import.meta.url);

/**
 * ajv's options for the manifest schema. coerceTypes: `concurrency: ${CONCURRENCY:-8}` interpolates to
 * the string "8"; it is taken as 8.
 */
export const AJV_OPTIONS: Readonly<Options> = { allErrors: true, verbose: true, coerceTypes: true, allowUnionTypes: true, strict: true };

/**
 * The validator `npm run build` writes beside this module's compiled file
 * (scripts/build-schema-validator.mjs): ajv's standalone code for the schema, with the schema's sha256.
 */
export const PREBUILT_VALIDATOR_URL = new URL('./schema-validator.cjs', import.meta.url);

let cachedSchemaText: string | undefined;
let cachedSchema: SchemaObject | undefined;
let cachedValidate: ValidateFunction | undefined;

function schemaText(): string {
  cachedSchemaText ??= readFileSync(SCHEMA_URL, 'utf8');
  return cachedSchemaText;
}

/** The manifest's JSON Schema, read once from the project root. */
export function manifestSchema(): SchemaObject {
  cachedSchema ??= JSON.parse(schemaText()) as SchemaObject;
  return cachedSchema;
}

export const schemaSha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * The prebuilt validator, if it was built from this very schema. Compiling the schema (and loading ajv)
 * was about 0.14 s of every command that reads a manifest, a tenth of a re-plan; the prebuilt one
 * loads in under 0.01 s. Missing (the tests run src/) or stale (the schema changed since the build):
 * ajv compiles it here, as before.
 */
function prebuiltValidator(): ValidateFunction | undefined {
  const require = createRequire(import.meta.url);
  let mod: { default?: ValidateFunction; schemaSha256?: string };
  try {
    mod = require(fileURLToPath(PREBUILT_VALIDATOR_URL)) as typeof mod;
  } catch {
    return undefined;
  }
  return mod.schemaSha256 === schemaSha256(schemaText()) ? mod.default : undefined;
}

/** The validator compiled by ajv from the schema file. */
export function compiledValidator(): ValidateFunction {
  const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
  return new Ajv({ ...AJV_OPTIONS }).compile(manifestSchema());
}

function validator(): ValidateFunction {
  cachedValidate ??= prebuiltValidator() ?? compiledValidator();
  return cachedValidate;
}

function fromPointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Turns pointer segments back into a path, with numbers for list indexes (found by walking `data`). */
function toPath(segs: readonly string[], data: unknown): PathSeg[] {
  const out: PathSeg[] = [];
  let cur: unknown = data;
  for (const s of segs) {
    if (Array.isArray(cur)) {
      const i = Number(s);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(s);
      cur = typeof cur === 'object' && cur !== null ? (cur as Record<string, unknown>)[s] : undefined;
    }
  }
  return out;
}

const TYPE_NAMES: Readonly<Record<string, string>> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'null',
};

function typeList(t: unknown): string {
  const types = (Array.isArray(t) ? t : [t]).map((x) => TYPE_NAMES[String(x)] ?? String(x));
  if (types.length <= 1) return types[0] ?? 'something else';
  return `${types.slice(0, -1).join(', ')} or ${types[types.length - 1]}`;
}

function where(path: readonly PathSeg[]): string {
  return path.length === 0 ? 'at the top level' : `in ${formatPath(path)}`;
}

function propertyNames(parentSchema: unknown): string[] {
  if (typeof parentSchema !== 'object' || parentSchema === null) return [];
  const props = (parentSchema as { properties?: unknown }).properties;
  return typeof props === 'object' && props !== null ? Object.keys(props) : [];
}

function patternMessage(pattern: string): string {
  if (pattern.includes('https?')) return 'must be an http(s) URL';
  if (pattern.includes('ms|s|m|h')) return 'must be a duration such as 30s, 1500ms, 2m, or a number of milliseconds';
  if (pattern.includes('[kmgKMG]')) return 'must be a size such as 64MB, 128MiB, 500KB, or a number of bytes';
  return `must match ${pattern}`;
}

function toProblem(e: ErrorObject, nodes: NodeIndex, data: unknown): PmError {
  const path = toPath(fromPointer(e.instancePath), data);
  const name = path.length === 0 ? 'the manifest' : formatPath(path);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperty':
    case 'additionalProperties': {
      const key = String(params['additionalProperty']);
      const keyPath = [...path, key];
      const candidates = propertyNames(e.parentSchema);
      return new PmError('manifest.unknown-key', `unknown key '${key}' ${where(path)}${suggestion(key, candidates)}`, {
        location: nodes.keyLocation(keyPath),
        path: formatPath(keyPath),
      });
    }
    case 'required': {
      const key = String(params['missingProperty']);
      return new PmError('manifest.missing-key', `missing required key '${key}' ${where(path)}`, {
        location: nodes.keyLocation(path),
        path: formatPath([...path, key]),
      });
    }
    case 'enum': {
      const allowed = Array.isArray(params['allowedValues']) ? params['allowedValues'] : [];
      const raw = nodes.get(path)?.raw;
      const got = raw !== undefined && raw.length <= 40 && !raw.includes('\n') ? ` (got ${raw})` : '';
      const list = allowed.map((v) => JSON.stringify(v)).join(', ');
      const message = allowed.length === 1 ? `${name} must be ${list}${got}` : `${name} must be one of: ${list}${got}`;
      return new PmError('manifest.enum', message, { location: nodes.location(path), path: formatPath(path) });
    }
    case 'type':
      return new PmError('manifest.type', `${name} must be ${typeList(params['type'])}`, {
        location: nodes.location(path),
        path: formatPath(path),
      });
    case 'minimum':
    case 'maximum': {
      const bounds = e.parentSchema as { minimum?: number; maximum?: number } | undefined;
      const message =
        bounds?.minimum !== undefined && bounds.maximum !== undefined
          ? `${name} must be between ${bounds.minimum} and ${bounds.maximum}`
          : `${name} must be at ${e.keyword === 'minimum' ? 'least' : 'most'} ${String(params['limit'])}`;
      return new PmError('manifest.range', message, { location: nodes.location(path), path: formatPath(path) });
    }
    case 'minLength':
      return new PmError('manifest.empty', `${name} must not be empty`, { location: nodes.location(path), path: formatPath(path) });
    case 'maxLength':
      return new PmError('manifest.type', `${name} must be at most ${String(params['limit'])} character(s)`, {
        location: nodes.location(path),
        path: formatPath(path),
      });
    case 'pattern':
      return new PmError('manifest.format', `${name} ${patternMessage(String(params['pattern']))}`, {
        location: nodes.location(path),
        path: formatPath(path),
      });
    case 'minProperties':
    case 'maxProperties':
      if (path.length === 1 && path[0] === 'target') {
        return new PmError('manifest.target', 'target must name exactly one target: plain or therethere', {
          location: nodes.keyLocation(path),
          path: 'target',
        });
      }
      return new PmError('manifest.schema', `${name} must have at least one entry`, { location: nodes.keyLocation(path), path: formatPath(path) });
    case 'oneOf':
      if (path.length === 2 && path[0] === 'sources') {
        return new PmError('manifest.source-kind', `${name} must have exactly one of path (a file of the export), connection (a live helpdesk's stream) or command (a program's output)`, {
          location: nodes.keyLocation(path),
          path: formatPath(path),
        });
      }
      return new PmError('manifest.schema', `${name} ${e.message ?? 'is invalid'}`, { location: nodes.location(path), path: formatPath(path) });
    default:
      return new PmError('manifest.schema', `${name} ${e.message ?? 'is invalid'}`, { location: nodes.location(path), path: formatPath(path) });
  }
}

/**
 * Validates (and coerces, in place: "8" → 8 where an integer is expected) the interpolated document.
 * Errors at pointers in `skip` (values whose interpolation already failed) are dropped.
 */
export function validateSchema(value: unknown, nodes: NodeIndex, skip: ReadonlySet<string> = new Set()): PmError[] {
  const validate = validator();
  if (validate(value)) return [];
  const seen = new Set<string>();
  const problems: PmError[] = [];
  for (const e of validate.errors ?? []) {
    if (skip.has(e.instancePath)) continue;
    // A oneOf's branches fail for the reason the oneOf itself states (sources: path, connection or command).
    if (e.schemaPath.includes('/oneOf/')) continue;
    const p = toProblem(e, nodes, value);
    const id = `${p.code}|${p.path ?? ''}|${p.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(p);
  }
  return problems;
}
