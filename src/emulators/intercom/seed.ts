/**
 * The Intercom emulator's seed: an export directory (conversations.jsonl, contacts.jsonl, admins.jsonl,
 * optional tags.jsonl, attachment files) in Intercom's REST 2.x shapes, or the same lists in process.
 * A bad line is a PmError naming file:line.
 */
import { PmError } from '../../core/errors.js';
import { readJsonlDir, resolveLocalPaths, type SeedOrigin } from '../common/seed.js';
import type { IcObject, IntercomSeed } from './types.js';

const WHAT = 'Intercom emulator seed';
const HINT = 'An export directory holds conversations.jsonl (each conversation with all its conversation_parts), contacts.jsonl and admins.jsonl, optionally tags.jsonl; ids are strings, times unix seconds.';

type Section = keyof IntercomSeed;
const FILES: Record<Section, { file: string; required: boolean }> = {
  conversations: { file: 'conversations.jsonl', required: true },
  contacts: { file: 'contacts.jsonl', required: true },
  admins: { file: 'admins.jsonl', required: true },
  tags: { file: 'tags.jsonl', required: false },
};

type Origin = SeedOrigin<Section>;
const isObj = (v: unknown): v is IcObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isSecs = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e11;

/** Checks a seed given in process (or read by loadIntercomSeed); returns it unchanged. */
export function checkIntercomSeed(seed: IntercomSeed, source = 'options.seed', origin?: Origin): IntercomSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) }, hint: HINT });
  };
  const out: IntercomSeed = {};
  const partIds = new Set<string>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const ids = new Set<string>();
    (v as unknown[]).forEach((o, i) => {
      if (!isObj(o)) fail(section, i, 'must be a JSON object');
      const r = o as IcObject;
      if (typeof r.id !== 'string' || r.id === '') fail(section, i, `"id" must be a non-empty string (Intercom ids are strings; got ${JSON.stringify(r.id)})`);
      if (ids.has(r.id as string)) fail(section, i, `id ${String(r.id)} is used twice`);
      ids.add(r.id as string);
      for (const k of ['created_at', 'updated_at', 'deleted_at']) if (r[k] !== undefined && r[k] !== null && !isSecs(r[k])) fail(section, i, `"${k}" must be unix seconds (got ${JSON.stringify(r[k])})`);
      if (section !== 'conversations') return;
      if (r.state !== undefined && !['open', 'closed', 'snoozed'].includes(r.state as string)) fail(section, i, '"state" must be open, closed or snoozed');
      const cp = r.conversation_parts;
      if (cp === undefined) return;
      if (!isObj(cp) || !Array.isArray(cp.conversation_parts)) fail(section, i, '"conversation_parts" must be {"type":"conversation_part.list","conversation_parts":[…]}');
      ((cp as IcObject).conversation_parts as unknown[]).forEach((p, j) => {
        if (!isObj(p) || typeof p.id !== 'string' || p.id === '') fail(section, i, `conversation_parts[${j}] needs a string id`);
        const part = p as IcObject;
        if (partIds.has(part.id as string)) fail(section, i, `conversation_parts[${j}].id ${String(part.id)} is used twice`);
        partIds.add(part.id as string);
        if (!isSecs(part.created_at)) fail(section, i, `conversation_parts[${j}].created_at must be unix seconds`);
      });
    });
    out[section] = v as IcObject[];
  }
  return out;
}

/** Reads an export directory (see IntercomSeed) and checks it; attachments' local_path are resolved against it (or its parent). */
export async function loadIntercomSeed(dir: string): Promise<IntercomSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  const checked = checkIntercomSeed(seed, root, origin);
  const holders = (checked.conversations ?? []).flatMap((c) => [
    ...(isObj(c.source) ? [c.source] : []),
    ...(isObj(c.conversation_parts) && Array.isArray(c.conversation_parts.conversation_parts) ? (c.conversation_parts.conversation_parts as IcObject[]) : []),
  ]);
  await resolveLocalPaths(root, holders.flatMap((h) => (Array.isArray(h.attachments) ? (h.attachments as IcObject[]) : [])));
  return checked;
}
