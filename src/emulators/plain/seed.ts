/**
 * Seed files: JSON or YAML (by extension) describing the workspace the emulator starts with.
 * Everything is checked up front; a malformed seed is a PmError that names the file and the entry.
 */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { PmError } from '../../core/errors.js';
import { isPlainId, type IdGenerator, type IdPrefix } from './ids.js';
import {
  THREAD_FIELD_TYPES,
  type PlainSeed,
  type SeedApiKey,
  type SeedAttachment,
  type SeedCustomer,
  type SeedLabelType,
  type SeedMachineUser,
  type SeedTenant,
  type SeedThreadFieldSchema,
  type SeedUser,
  type ThreadFieldType,
} from './types.js';

/** A seed with every id filled in, so reset() re-creates exactly the same workspace. */
export interface ResolvedSeed {
  users: Required<SeedUser>[];
  machineUsers: Required<SeedMachineUser>[];
  labelTypes: Required<SeedLabelType>[];
  tenants: Required<SeedTenant>[];
  customers: (Required<Omit<SeedCustomer, 'externalId'>> & { externalId: string | null })[];
  apiKeys: SeedApiKey[];
  attachments: Required<SeedAttachment>[];
  threadFieldSchemas: Required<SeedThreadFieldSchema>[];
}

const SECTIONS = ['users', 'machineUsers', 'labelTypes', 'tenants', 'customers', 'apiKeys', 'attachments', 'threadFieldSchemas'] as const;
/** Plain validates thread field schema keys against this (ThreadFieldSchema.key in the schema). */
export const THREAD_FIELD_KEY = /^[a-z0-9_]+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type Obj = Record<string, unknown>;

class SeedChecker {
  constructor(private readonly source: string) {}

  fail(message: string, path?: string): never {
    throw new PmError('emulator.seed-invalid', `invalid Plain emulator seed ${this.source}: ${message}`, {
      location: { file: this.source },
      path,
      hint: 'a seed has the optional lists users, machineUsers, labelTypes, tenants, customers, apiKeys, attachments and threadFieldSchemas',
    });
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

  id(obj: Obj, path: string, prefix: IdPrefix): string | undefined {
    const id = this.optString(obj, 'id', path);
    if (id !== undefined && !isPlainId(id, prefix)) {
      this.fail(`${path}.id "${id}" is not a Plain id: expected ${prefix}_ followed by 26 Crockford base-32 characters`, `${path}.id`);
    }
    return id;
  }

  email(obj: Obj, path: string): string {
    const email = this.string(obj, 'email', path);
    if (!EMAIL.test(email)) this.fail(`${path}.email "${email}" is not an email address`, `${path}.email`);
    return email;
  }
}

/** Checks an already-parsed seed value; `source` names it in errors (a file path or "options.seed"). */
export function checkPlainSeed(value: unknown, source: string): PlainSeed {
  const c: SeedChecker = new SeedChecker(source);
  if (value === null || value === undefined) return {};
  const root = c.object(value, 'seed', SECTIONS);
  const seed: PlainSeed = {};
  seed.users = c.list(root.users, 'users').map((v, i): SeedUser => {
    const p = `users[${i}]`;
    const o = c.object(v, p, ['id', 'email', 'fullName', 'isDeleted']);
    return { id: c.id(o, p, 'u'), email: c.email(o, p), fullName: c.string(o, 'fullName', p), isDeleted: c.bool(o, 'isDeleted', p) };
  });
  seed.machineUsers = c.list(root.machineUsers, 'machineUsers').map((v, i): SeedMachineUser => {
    const p = `machineUsers[${i}]`;
    const o = c.object(v, p, ['id', 'fullName']);
    return { id: c.id(o, p, 'mu'), fullName: c.string(o, 'fullName', p) };
  });
  seed.labelTypes = c.list(root.labelTypes, 'labelTypes').map((v, i): SeedLabelType => {
    const p = `labelTypes[${i}]`;
    const o = c.object(v, p, ['id', 'name', 'archived']);
    return { id: c.id(o, p, 'lt'), name: c.string(o, 'name', p), archived: c.bool(o, 'archived', p) };
  });
  seed.tenants = c.list(root.tenants, 'tenants').map((v, i): SeedTenant => {
    const p = `tenants[${i}]`;
    const o = c.object(v, p, ['id', 'externalId', 'name']);
    return { id: c.id(o, p, 'te'), externalId: c.string(o, 'externalId', p), name: c.string(o, 'name', p) };
  });
  seed.customers = c.list(root.customers, 'customers').map((v, i): SeedCustomer => {
    const p = `customers[${i}]`;
    const o = c.object(v, p, ['id', 'email', 'fullName', 'externalId']);
    return { id: c.id(o, p, 'c'), email: c.email(o, p), fullName: c.string(o, 'fullName', p), externalId: c.optString(o, 'externalId', p) };
  });
  seed.apiKeys = c.list(root.apiKeys, 'apiKeys').map((v, i): SeedApiKey => {
    const p = `apiKeys[${i}]`;
    const o = c.object(v, p, ['key', 'permissions']);
    const key = c.string(o, 'key', p);
    const perms = o.permissions;
    if (!Array.isArray(perms) || !perms.every((x): x is string => typeof x === 'string' && x.trim() !== '')) {
      c.fail(`${p}.permissions must be a list of permission names such as thread:import`, `${p}.permissions`);
    }
    return { key, permissions: [...perms] };
  });
  seed.attachments = c.list(root.attachments, 'attachments').map((v, i): SeedAttachment => {
    const p = `attachments[${i}]`;
    const o = c.object(v, p, ['id', 'fileName']);
    return { id: c.id(o, p, 'att'), fileName: c.optString(o, 'fileName', p) };
  });
  seed.threadFieldSchemas = c.list(root.threadFieldSchemas, 'threadFieldSchemas').map((v, i) => threadFieldSchema(c, v, `threadFieldSchemas[${i}]`));
  checkUnique(c, seed);
  return seed;
}

function threadFieldSchema(c: SeedChecker, v: unknown, p: string): SeedThreadFieldSchema {
  const o = c.object(v, p, ['id', 'key', 'label', 'type', 'enumValues', 'isRequired']);
  const key = c.string(o, 'key', p);
  if (!THREAD_FIELD_KEY.test(key)) c.fail(`${p}.key "${key}" must match ^[a-z0-9_]+$ (lowercase letters, digits and underscores)`, `${p}.key`);
  const type = c.string(o, 'type', p);
  if (!(THREAD_FIELD_TYPES as readonly string[]).includes(type)) c.fail(`${p}.type "${type}" must be one of ${THREAD_FIELD_TYPES.join(', ')}`, `${p}.type`);
  const raw = o.enumValues;
  let enumValues: string[] | undefined;
  if (raw !== undefined && raw !== null) {
    if (!Array.isArray(raw) || !raw.every((x): x is string => typeof x === 'string' && x.trim() !== '')) {
      c.fail(`${p}.enumValues must be a list of non-empty strings`, `${p}.enumValues`);
    }
    const dup = raw.find((x, j) => raw.indexOf(x) !== j);
    if (dup !== undefined) c.fail(`${p}.enumValues repeats "${dup}"`, `${p}.enumValues`);
    enumValues = [...raw];
  }
  if (type === 'ENUM' && (enumValues === undefined || enumValues.length === 0)) c.fail(`${p}.enumValues is required for an ENUM field and must not be empty`, `${p}.enumValues`);
  if (type !== 'ENUM' && enumValues !== undefined && enumValues.length > 0) c.fail(`${p}.enumValues is only allowed for ENUM fields (type is ${type})`, `${p}.enumValues`);
  return { id: c.id(o, p, 'tfs'), key, label: c.string(o, 'label', p), type: type as ThreadFieldType, enumValues, isRequired: c.bool(o, 'isRequired', p) };
}

function checkUnique(c: SeedChecker, seed: PlainSeed): void {
  const unique = (section: string, values: (string | undefined)[], what: string, fold = false): void => {
    const seen = new Map<string, number>();
    values.forEach((raw, i) => {
      if (raw === undefined) return;
      const v = fold ? raw.toLowerCase() : raw;
      const first = seen.get(v);
      if (first !== undefined) c.fail(`${section}[${i}].${what} "${raw}" repeats ${section}[${first}]`, `${section}[${i}].${what}`);
      seen.set(v, i);
    });
  };
  const ids = [
    ...(seed.users ?? []).map((x) => x.id),
    ...(seed.machineUsers ?? []).map((x) => x.id),
    ...(seed.labelTypes ?? []).map((x) => x.id),
    ...(seed.tenants ?? []).map((x) => x.id),
    ...(seed.customers ?? []).map((x) => x.id),
    ...(seed.attachments ?? []).map((x) => x.id),
    ...(seed.threadFieldSchemas ?? []).map((x) => x.id),
  ];
  const seenIds = new Set<string>();
  for (const id of ids) {
    if (id === undefined) continue;
    if (seenIds.has(id)) c.fail(`id "${id}" is used twice`);
    seenIds.add(id);
  }
  unique('users', (seed.users ?? []).map((x) => x.email), 'email', true);
  unique('customers', (seed.customers ?? []).map((x) => x.email), 'email', true);
  unique('customers', (seed.customers ?? []).map((x) => x.externalId), 'externalId');
  unique('tenants', (seed.tenants ?? []).map((x) => x.externalId), 'externalId');
  unique('apiKeys', (seed.apiKeys ?? []).map((x) => x.key), 'key');
  unique('threadFieldSchemas', (seed.threadFieldSchemas ?? []).map((x) => x.key), 'key');
  unique('threadFieldSchemas', (seed.threadFieldSchemas ?? []).map((x) => x.label), 'label');
}

/** Fills in missing ids once. */
export function resolveSeed(seed: PlainSeed, ids: IdGenerator): ResolvedSeed {
  return {
    users: (seed.users ?? []).map((u) => ({ id: u.id ?? ids.next('u'), email: u.email, fullName: u.fullName, isDeleted: u.isDeleted ?? false })),
    machineUsers: (seed.machineUsers ?? []).map((m) => ({ id: m.id ?? ids.next('mu'), fullName: m.fullName })),
    labelTypes: (seed.labelTypes ?? []).map((l) => ({ id: l.id ?? ids.next('lt'), name: l.name, archived: l.archived ?? false })),
    tenants: (seed.tenants ?? []).map((t) => ({ id: t.id ?? ids.next('te'), externalId: t.externalId, name: t.name })),
    customers: (seed.customers ?? []).map((cu) => ({ id: cu.id ?? ids.next('c'), email: cu.email, fullName: cu.fullName, externalId: cu.externalId ?? null })),
    apiKeys: (seed.apiKeys ?? []).map((k) => ({ key: k.key, permissions: [...k.permissions] })),
    attachments: (seed.attachments ?? []).map((a) => {
      const id = a.id ?? ids.next('att');
      return { id, fileName: a.fileName ?? `${id}.bin` };
    }),
    threadFieldSchemas: (seed.threadFieldSchemas ?? []).map((f) => ({
      id: f.id ?? ids.next('tfs'),
      key: f.key,
      label: f.label,
      type: f.type,
      enumValues: [...(f.enumValues ?? [])],
      isRequired: f.isRequired ?? false,
    })),
  };
}

/** Reads a seed file (.json, .yaml or .yml) and checks it. */
export async function loadPlainSeed(file: string): Promise<PlainSeed> {
  const ext = extname(file).toLowerCase();
  if (ext !== '.json' && ext !== '.yaml' && ext !== '.yml') {
    throw new PmError('emulator.seed-invalid', `cannot read Plain emulator seed ${file}: unsupported extension "${ext}" (use .json, .yaml or .yml)`, {
      location: { file },
    });
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : (e as Error).message;
    throw new PmError('emulator.seed-unreadable', `cannot read Plain emulator seed ${file}: ${why}`, { location: { file }, cause: e });
  }
  let value: unknown;
  if (ext === '.json') {
    try {
      value = JSON.parse(text) as unknown;
    } catch (e) {
      throw new PmError('emulator.seed-invalid', `invalid JSON in Plain emulator seed ${file}: ${(e as Error).message}`, {
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
      throw new PmError('emulator.seed-invalid', `invalid YAML in Plain emulator seed ${file}: ${first}`, {
        location: { file, line: pos?.line, col: pos?.col },
        cause: e,
      });
    }
  }
  return checkPlainSeed(value, file);
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
