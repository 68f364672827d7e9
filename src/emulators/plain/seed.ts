/**
 * Seed files: JSON or YAML (by extension) describing the workspace the emulator starts with.
 * Everything is checked up front; a malformed seed is a PmError that names the file and the entry.
 */
import { readSeedFile, SeedChecker } from '../common/seed.js';
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

type Obj = Record<string, unknown>;

class PlainSeedChecker extends SeedChecker {
  constructor(source: string) {
    super(source, 'Plain emulator seed', 'a seed has the optional lists users, machineUsers, labelTypes, tenants, customers, apiKeys, attachments and threadFieldSchemas');
  }

  id(obj: Obj, path: string, prefix: IdPrefix): string | undefined {
    const id = this.optString(obj, 'id', path);
    if (id !== undefined && !isPlainId(id, prefix)) {
      this.fail(`${path}.id "${id}" is not a Plain id: expected ${prefix}_ followed by 26 Crockford base-32 characters`, `${path}.id`);
    }
    return id;
  }
}

/** Checks an already-parsed seed value; `source` names it in errors (a file path or "options.seed"). */
export function checkPlainSeed(value: unknown, source: string): PlainSeed {
  const c: PlainSeedChecker = new PlainSeedChecker(source);
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

function threadFieldSchema(c: PlainSeedChecker, v: unknown, p: string): SeedThreadFieldSchema {
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

function checkUnique(c: PlainSeedChecker, seed: PlainSeed): void {
  const ids = [
    ...(seed.users ?? []).map((x) => x.id),
    ...(seed.machineUsers ?? []).map((x) => x.id),
    ...(seed.labelTypes ?? []).map((x) => x.id),
    ...(seed.tenants ?? []).map((x) => x.id),
    ...(seed.customers ?? []).map((x) => x.id),
    ...(seed.attachments ?? []).map((x) => x.id),
    ...(seed.threadFieldSchemas ?? []).map((x) => x.id),
  ];
  c.distinctIds(ids, 'id');
  c.unique('users', (seed.users ?? []).map((x) => x.email), 'email', true);
  c.unique('customers', (seed.customers ?? []).map((x) => x.email), 'email', true);
  c.unique('customers', (seed.customers ?? []).map((x) => x.externalId), 'externalId');
  c.unique('tenants', (seed.tenants ?? []).map((x) => x.externalId), 'externalId');
  c.unique('apiKeys', (seed.apiKeys ?? []).map((x) => x.key), 'key');
  c.unique('threadFieldSchemas', (seed.threadFieldSchemas ?? []).map((x) => x.key), 'key');
  c.unique('threadFieldSchemas', (seed.threadFieldSchemas ?? []).map((x) => x.label), 'label');
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
  return checkPlainSeed(await readSeedFile(file, 'Plain emulator seed'), file);
}
