/**
 * There There emulator seeds: JSON or YAML (by extension) describing the workspace it starts with.
 * Everything is checked up front; a malformed seed is a PmError that names the file and the entry.
 */
import type { UlidGenerator } from '../common/ulid.js';
import { readSeedFile, SEED_EMAIL, SeedChecker } from '../common/seed.js';
import type { ChannelType, SeedChannel, SeedContact, SeedMember, SeedTag, SeedToken, SeedWorkspace, ThereThereSeed } from './types.js';

const WHAT = 'There There emulator seed';
const HINT = 'a seed has an optional workspace and the optional lists members, channels, tags, tokens and contacts';
const SECTIONS = ['workspace', 'members', 'channels', 'tags', 'tokens', 'contacts'] as const;
/** A ULID: 26 Crockford base-32 characters, the first 0-7 (48-bit time). Case-insensitive, stored upper case. */
export const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i;
export const TAG_COLOR = /^#[0-9a-fA-F]{6}$/;
const CHANNEL_TYPES: readonly ChannelType[] = ['email', 'widget'];

/** Used when the seed has no members: every token needs an owner. */
export const DEFAULT_OWNER = { email: 'owner@emulator.invalid', name: 'Workspace Owner' } as const;
export const DEFAULT_TAG_COLOR = '#6b7280';
export const DEFAULT_CHANNEL_COLOR = '#3b82f6';

type Obj = Record<string, unknown>;

class ThereThereSeedChecker extends SeedChecker {
  constructor(source: string) {
    super(source, WHAT, HINT);
  }

  ulid(obj: Obj, path: string): string | undefined {
    const v = this.optString(obj, 'ulid', path);
    if (v !== undefined && !ULID.test(v)) this.fail(`${path}.ulid "${v}" is not a ULID: expected 26 Crockford base-32 characters`, `${path}.ulid`);
    return v?.toUpperCase();
  }

  optBool(obj: Obj, key: string, path: string): boolean | undefined {
    return obj[key] === undefined || obj[key] === null ? undefined : this.bool(obj, key, path);
  }

  color(obj: Obj, path: string): string | undefined {
    const v = this.optString(obj, 'color', path);
    if (v !== undefined && !TAG_COLOR.test(v)) this.fail(`${path}.color "${v}" must be a colour like #3b82f6`, `${path}.color`);
    return v;
  }

  strings(obj: Obj, key: string, path: string): string[] | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || !v.every((x): x is string => typeof x === 'string' && x.trim() !== '')) this.fail(`${path}.${key} must be a list of non-empty strings`, `${path}.${key}`);
    return [...v];
  }
}

function workspace(c: ThereThereSeedChecker, v: unknown): SeedWorkspace {
  if (v === undefined || v === null) return {};
  const o = c.object(v, 'workspace', ['id', 'ulid', 'name', 'slug']);
  const w: SeedWorkspace = { ulid: c.ulid(o, 'workspace'), name: c.optString(o, 'name', 'workspace'), slug: c.optString(o, 'slug', 'workspace') };
  if (o.id !== undefined && o.id !== null) {
    if (typeof o.id !== 'number' || !Number.isInteger(o.id) || o.id < 1) c.fail('workspace.id must be an integer ≥ 1', 'workspace.id');
    w.id = o.id;
  }
  if (w.slug !== undefined && !/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(w.slug)) c.fail(`workspace.slug "${w.slug}" must be lower-case letters and digits separated by hyphens`, 'workspace.slug');
  return w;
}

/** Checks an already-parsed seed value; `source` names it in errors (a file path or "options.seed"). */
export function checkThereThereSeed(value: unknown, source: string): ThereThereSeed {
  const c: ThereThereSeedChecker = new ThereThereSeedChecker(source);
  if (value === null || value === undefined) return {};
  const root = c.object(value, 'seed', SECTIONS);
  const seed: ThereThereSeed = { workspace: workspace(c, root.workspace) };
  seed.channels = c.list(root.channels, 'channels').map((v, i): SeedChannel => {
    const p = `channels[${i}]`;
    const o = c.object(v, p, ['ulid', 'name', 'type', 'emailAddress', 'color']);
    const type = c.optString(o, 'type', p);
    if (type !== undefined && !(CHANNEL_TYPES as readonly string[]).includes(type)) c.fail(`${p}.type "${type}" must be email or widget`, `${p}.type`);
    const ch: SeedChannel = { ulid: c.ulid(o, p), name: c.string(o, 'name', p), type: type as ChannelType | undefined, color: c.color(o, p) };
    const address = c.optString(o, 'emailAddress', p);
    if (address !== undefined && !SEED_EMAIL.test(address)) c.fail(`${p}.emailAddress "${address}" is not an email address`, `${p}.emailAddress`);
    if (address !== undefined) ch.emailAddress = address;
    return ch;
  });
  seed.members = c.list(root.members, 'members').map((v, i): SeedMember => {
    const p = `members[${i}]`;
    const o = c.object(v, p, ['ulid', 'email', 'name', 'active', 'channels']);
    const channels = c.strings(o, 'channels', p);
    channels?.forEach((ref, j) => {
      const n = (seed.channels ?? []).filter((ch) => ch.ulid === ref.toUpperCase() || ch.name === ref).length;
      if (n !== 1) c.fail(`${p}.channels[${j}] "${ref}" ${n === 0 ? 'names no seeded channel' : 'names several channels: use the ULID'}`, `${p}.channels`);
    });
    return { ulid: c.ulid(o, p), email: c.email(o, p), name: c.string(o, 'name', p), active: c.optBool(o, 'active', p), channels };
  });
  seed.tags = c.list(root.tags, 'tags').map((v, i): SeedTag => {
    const p = `tags[${i}]`;
    if (typeof v === 'string') return c.string({ name: v }, 'name', p);
    const o = c.object(v, p, ['ulid', 'name', 'color']);
    return { ulid: c.ulid(o, p), name: c.string(o, 'name', p), color: c.color(o, p) };
  });
  seed.tokens = c.list(root.tokens, 'tokens').map((v, i): SeedToken => {
    const p = `tokens[${i}]`;
    const o = c.object(v, p, ['token', 'admin', 'member', 'multiWorkspace']);
    const member = c.optString(o, 'member', p);
    if (member !== undefined) {
      const m = (seed.members ?? []).find((x) => x.email.toLowerCase() === member.toLowerCase());
      if (!m) c.fail(`${p}.member "${member}" is not the email of a seeded member`, `${p}.member`);
      if (m.active === false) c.fail(`${p}.member "${member}" is not an active member`, `${p}.member`);
    }
    return { token: c.string(o, 'token', p), admin: c.optBool(o, 'admin', p), member, multiWorkspace: c.optBool(o, 'multiWorkspace', p) };
  });
  if (seed.members.length > 0 && !seed.members.some((m) => m.active !== false)) c.fail('members has no active member: every token needs an active owner', 'members');
  seed.contacts = c.list(root.contacts, 'contacts').map((v, i): SeedContact => {
    const p = `contacts[${i}]`;
    const o = c.object(v, p, ['ulid', 'email', 'name']);
    return { ulid: c.ulid(o, p), email: c.email(o, p), name: c.optString(o, 'name', p) };
  });
  checkUnique(c, seed);
  return seed;
}

const tagName = (t: SeedTag): string => (typeof t === 'string' ? t : t.name);

function checkUnique(c: ThereThereSeedChecker, seed: ThereThereSeed): void {
  const ulids = [
    seed.workspace?.ulid,
    ...(seed.members ?? []).map((x) => x.ulid),
    ...(seed.channels ?? []).map((x) => x.ulid),
    ...(seed.tags ?? []).map((x) => (typeof x === 'string' ? undefined : x.ulid)),
    ...(seed.contacts ?? []).map((x) => x.ulid),
  ];
  c.distinctIds(ulids, 'ulid');
  c.unique('members', (seed.members ?? []).map((x) => x.email), 'email', true);
  c.unique('contacts', (seed.contacts ?? []).map((x) => x.email), 'email', true);
  c.unique('tags', (seed.tags ?? []).map(tagName), 'name', true);
  c.unique('tokens', (seed.tokens ?? []).map((x) => x.token), 'token');
}

/** A seed with every ULID and default filled in, so reset() re-creates exactly the same workspace. */
export interface ResolvedSeed {
  workspace: { id: number; ulid: string; name: string; slug: string };
  members: { ulid: string; email: string; name: string; active: boolean; channels: string[] | null }[];
  channels: { ulid: string; name: string; type: ChannelType; emailAddress: string | null; color: string }[];
  tags: { ulid: string; name: string; color: string }[];
  /** null: no tokens seeded, so any non-empty Bearer token is an admin, single-workspace token of the first member. */
  tokens: { token: string; admin: boolean; member: string; multiWorkspace: boolean }[] | null;
  contacts: { ulid: string; email: string; name: string | null }[];
}

const slugify = (s: string): string =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '') || 'workspace';

export function resolveSeed(seed: ThereThereSeed, ulid: UlidGenerator): ResolvedSeed {
  const channels = (seed.channels ?? []).map((ch) => ({
    ulid: ch.ulid ?? ulid.next(),
    name: ch.name,
    type: ch.type ?? 'email',
    emailAddress: ch.emailAddress ?? null,
    color: ch.color ?? DEFAULT_CHANNEL_COLOR,
  }));
  const channelUlid = (ref: string): string => (channels.find((ch) => ch.ulid === ref.toUpperCase()) ?? channels.find((ch) => ch.name === ref))?.ulid ?? ref;
  const seeded = seed.members ?? [];
  const members = (seeded.length > 0 ? seeded : [DEFAULT_OWNER]).map((m: SeedMember) => ({
    ulid: m.ulid ?? ulid.next(),
    email: m.email,
    name: m.name,
    active: m.active ?? true,
    channels: m.channels === undefined ? null : m.channels.map(channelUlid),
  }));
  const firstActive = members.find((m) => m.active)?.email ?? DEFAULT_OWNER.email;
  const name = seed.workspace?.name ?? 'Emulator workspace';
  return {
    workspace: { id: seed.workspace?.id ?? 1, ulid: seed.workspace?.ulid ?? ulid.next(), name, slug: seed.workspace?.slug ?? slugify(name) },
    members,
    channels,
    tags: (seed.tags ?? []).map((t) => (typeof t === 'string' ? { ulid: ulid.next(), name: t, color: DEFAULT_TAG_COLOR } : { ulid: t.ulid ?? ulid.next(), name: t.name, color: t.color ?? DEFAULT_TAG_COLOR })),
    tokens:
      seed.tokens === undefined || seed.tokens.length === 0
        ? null
        : seed.tokens.map((t) => ({ token: t.token, admin: t.admin ?? false, member: t.member ?? firstActive, multiWorkspace: t.multiWorkspace ?? false })),
    contacts: (seed.contacts ?? []).map((ct) => ({ ulid: ct.ulid ?? ulid.next(), email: ct.email, name: ct.name ?? null })),
  };
}

/** Reads a seed file (.json, .yaml or .yml) and checks it. */
export async function loadThereThereSeed(file: string): Promise<ThereThereSeed> {
  return checkThereThereSeed(await readSeedFile(file, WHAT), file);
}
