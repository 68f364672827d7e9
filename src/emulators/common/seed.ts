/**
 * Seed files (JSON or YAML, by extension) and the checks every emulator's seed uses. A malformed seed is
 * a PmError that names the file and the entry.
 */
import { access, readFile, stat } from 'node:fs/promises';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PmError } from '../../core/errors.js';

export const SEED_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Obj = Record<string, unknown>;

/** One section of a seed directory: its JSONL file and whether the directory must have it. */
export interface JsonlFile {
  file: string;
  required: boolean;
}

/** Where a seed record came from, for error messages: file:line when read from a directory. */
export type SeedOrigin<S extends string> = (section: S, index: number) => { label: string; file: string; line?: number };

const exists = (p: string): Promise<boolean> => access(p).then(() => true, () => false);

async function readJsonl(file: string, required: boolean, what: string, hint: string): Promise<{ records: Obj[]; lines: number[] } | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && !required) return undefined;
    throw new PmError('emulator.seed-unreadable', `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`, { location: { file }, hint, cause: e });
  }
  const records: Obj[] = [];
  const lines: number[] = [];
  text.split('\n').forEach((raw, n) => {
    if (raw.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(raw) as unknown;
    } catch (e) {
      throw new PmError('emulator.seed-invalid', `invalid ${what} ${file}:${n + 1}: not JSON (${(e as Error).message})`, { location: { file, line: n + 1 }, hint });
    }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new PmError('emulator.seed-invalid', `invalid ${what} ${file}:${n + 1}: each line must be a JSON object`, { location: { file, line: n + 1 }, hint });
    }
    records.push(v as Obj);
    lines.push(n + 1);
  });
  return { records, lines };
}

/**
 * Reads a seed directory of JSONL files (one JSON object per line, blank lines skipped), one file a section,
 * unchecked. A missing directory or required file, or a line that is not a JSON object, is a PmError naming
 * file:line; `what` and `hint` name the seed. `origin` maps a section's record index back to its file:line.
 */
export async function readJsonlDir<S extends string>(
  dir: string,
  files: Record<S, JsonlFile>,
  what: string,
  hint: string,
): Promise<{ root: string; seed: Partial<Record<S, Obj[]>>; origin: SeedOrigin<S> }> {
  const root = resolve(dir);
  if (!(await exists(root)) || !(await stat(root)).isDirectory()) {
    throw new PmError('emulator.seed-unreadable', `cannot read ${what} ${root}: not a directory`, { location: { file: root }, hint });
  }
  const seed: Partial<Record<S, Obj[]>> = {};
  const lines = new Map<S, number[]>();
  for (const [section, { file, required }] of Object.entries(files) as [S, JsonlFile][]) {
    const read = await readJsonl(join(root, file), required, what, hint);
    if (!read) continue;
    seed[section] = read.records;
    lines.set(section, read.lines);
  }
  const origin: SeedOrigin<S> = (section, index) => {
    const file = join(root, files[section].file);
    const line = lines.get(section)?.[index];
    return { label: line === undefined ? file : `${file}:${line}`, file, ...(line !== undefined ? { line } : {}) };
  };
  return { root, seed, origin };
}

/**
 * Rewrites each object's string `local_path` to the file it names: itself when absolute, else relative to
 * the seed directory `root` or to its parent; left as it is when neither is a file.
 */
export async function resolveLocalPaths(root: string, objects: Iterable<Obj>): Promise<void> {
  for (const o of objects) {
    if (typeof o.local_path !== 'string') continue;
    const p = o.local_path;
    for (const cand of isAbsolute(p) ? [p] : [join(root, p), join(dirname(root), p)]) {
      if ((await exists(cand)) && (await stat(cand)).isFile()) {
        o.local_path = cand;
        break;
      }
    }
  }
}

export class SeedChecker {
  constructor(
    readonly source: string,
    /** How errors name the seed, e.g. "Plain emulator seed". */
    private readonly what: string,
    private readonly hint: string,
  ) {}

  fail(message: string, path?: string): never {
    throw new PmError('emulator.seed-invalid', `invalid ${this.what} ${this.source}: ${message}`, { location: { file: this.source }, path, hint: this.hint });
  }

  object(value: unknown, path: string, allowed: readonly string[]): Obj {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(`${path} must be an object`, path);
    const obj = value as Obj;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) this.fail(`${path} has unknown key "${key}" (allowed: ${allowed.join(', ')})`, path);
    }
    return obj;
  }

  list(value: unknown, path: string): unknown[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) this.fail(`${path} must be a list`, path);
    return value;
  }

  string(obj: Obj, key: string, path: string): string {
    const v = obj[key];
    if (typeof v !== 'string' || v.trim() === '') this.fail(`${path}.${key} is required and must be a non-empty string`, `${path}.${key}`);
    return v;
  }

  optString(obj: Obj, key: string, path: string): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    return this.string(obj, key, path);
  }

  bool(obj: Obj, key: string, path: string): boolean {
    const v = obj[key];
    if (v === undefined || v === null) return false;
    if (typeof v !== 'boolean') this.fail(`${path}.${key} must be true or false`, `${path}.${key}`);
    return v;
  }

  email(obj: Obj, path: string): string {
    const email = this.string(obj, 'email', path);
    if (!SEED_EMAIL.test(email)) this.fail(`${path}.email "${email}" is not an email address`, `${path}.email`);
    return email;
  }

  /** Refuses an id that appears twice among all the sections' ids (`label`: "id", "ulid"); undefined ids are skipped. */
  distinctIds(ids: (string | undefined)[], label: string): void {
    const seen = new Set<string>();
    for (const id of ids) {
      if (id === undefined) continue;
      if (seen.has(id)) this.fail(`${label} "${id}" is used twice`);
      seen.add(id);
    }
  }

  /** Refuses a value that repeats an earlier entry's (`fold`: case-insensitively); undefined values are skipped. */
  unique(section: string, values: (string | undefined)[], what: string, fold = false): void {
    const seen = new Map<string, number>();
    values.forEach((raw, i) => {
      if (raw === undefined) return;
      const v = fold ? raw.toLowerCase() : raw;
      const first = seen.get(v);
      if (first !== undefined) this.fail(`${section}[${i}].${what} "${raw}" repeats ${section}[${first}]`, `${section}[${i}].${what}`);
      seen.set(v, i);
    });
  }
}

/** Reads a seed file (.json, .yaml or .yml) into a value for the emulator's checker; `what` names it in errors. */
export async function readSeedFile(file: string, what: string): Promise<unknown> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new PmError('emulator.seed-invalid', `cannot read ${what} ${file}: unsupported extension "${ext}" (use .json, .yaml or .yml)`, {
      location: { file },
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PmError('emulator.seed-unreadable', `cannot read ${what} ${file}: ${why}`, { location: { file }, cause: e });
  }
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(text) as unknown;
    } catch (e) {
      throw new PmError('emulator.seed-invalid', `invalid JSON in ${what} ${file}: ${(e as Error).message}`, {
        location: { file, ...jsonPosition(text, (e as Error).message) },
        cause: e,
      });
    }
  } else {
    try {
      value = parseYaml(text) as unknown;
    } catch (e) {
      const pos = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
      const first = ((e as Error).message.split('\n')[0] ?? '').trim();
      throw new PmError('emulator.seed-invalid', `invalid YAML in ${what} ${file}: ${first}`, {
        location: { file, line: pos?.line, col: pos?.col },
        cause: e,
      });
    }
  }
  return value;
}

function jsonPosition(text: string, message: string): { line?: number; col?: number } {
  const lc = /line (\d+) column (\d+)/.exec(message);
  if (lc) return { line: Number(lc[1]), col: Number(lc[2]) };
  const m = /position (\d+)/.exec(message);
  if (m) {
    const lines = text.slice(0, Number(m[1])).split('\n');
    return { line: lines.length, col: (lines[lines.length - 1] ?? '').length + 1 };
  }
  // Node 20 often omits the position; JSON is YAML, so let the YAML parser locate the fault.
  try {
    parseYaml(text);
  } catch (e) {
    const pos = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
    if (pos) return { line: pos.line, col: pos.col };
  }
  return {};
}
