/**
 * The Freshdesk emulator's seed: an export directory (tickets.jsonl, conversations.jsonl, contacts.jsonl,
 * agents.jsonl, optional companies.jsonl, attachment files) in Freshdesk's API v2 shapes, or the same lists in
 * process. A bad line is a PmError naming file:line.
 */
import { PmError } from '../../core/errors.js';
import { parseIso8601 } from '../common/iso8601.js';
import { readJsonlDir, resolveLocalPaths, type SeedOrigin } from '../common/seed.js';
import type { FdObject, FreshdeskSeed } from './types.js';

const WHAT = 'Freshdesk emulator seed';
const HINT = 'An export directory holds tickets.jsonl, conversations.jsonl, contacts.jsonl and agents.jsonl (one JSON object per line), optionally companies.jsonl.';

type Section = keyof FreshdeskSeed;
const FILES: Record<Section, { file: string; required: boolean }> = {
  tickets: { file: 'tickets.jsonl', required: true },
  conversations: { file: 'conversations.jsonl', required: true },
  contacts: { file: 'contacts.jsonl', required: true },
  agents: { file: 'agents.jsonl', required: true },
  companies: { file: 'companies.jsonl', required: false },
};

export type Origin = SeedOrigin<Section>;

/** Checks a seed given in process (or read by loadFreshdeskSeed); returns it unchanged. */
export function checkFreshdeskSeed(seed: FreshdeskSeed, source = 'options.seed', origin?: Origin): FreshdeskSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) }, hint: HINT });
  };
  const out: FreshdeskSeed = {};
  const attachmentIds = new Set<number>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const ids = new Set<number>();
    (v as unknown[]).forEach((o, i) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(section, i, 'must be a JSON object');
      const r = o as FdObject;
      if (!(typeof r.id === 'number' && Number.isInteger(r.id) && r.id >= 1)) fail(section, i, `"id" must be an integer ≥ 1 (got ${JSON.stringify(r.id)})`);
      if (ids.has(r.id as number)) fail(section, i, `id ${String(r.id)} is used twice`);
      ids.add(r.id as number);
      for (const k of ['created_at', 'updated_at']) {
        if (r[k] !== undefined && r[k] !== null && (typeof r[k] !== 'string' || parseIso8601(r[k]) === undefined)) fail(section, i, `"${k}" must be an ISO 8601 timestamp (got ${JSON.stringify(r[k])})`);
      }
      for (const k of ['spam', 'deleted', 'private', 'incoming']) if (r[k] !== undefined && typeof r[k] !== 'boolean') fail(section, i, `"${k}" must be true or false`);
      if (section === 'tickets' && r.status !== undefined && !(typeof r.status === 'number' && Number.isInteger(r.status) && r.status >= 2)) {
        fail(section, i, '"status" must be an integer ≥ 2 (2 Open, 3 Pending, 4 Resolved, 5 Closed, custom statuses above)');
      }
      if (r.attachments !== undefined && r.attachments !== null) {
        if (!Array.isArray(r.attachments)) fail(section, i, '"attachments" must be a list');
        (r.attachments as unknown[]).forEach((a, j) => {
          const att = a as FdObject;
          if (typeof a !== 'object' || a === null || !(typeof att.id === 'number' && Number.isInteger(att.id) && att.id >= 1)) fail(section, i, `attachments[${j}] needs an integer id`);
          if (attachmentIds.has(att.id as number)) fail(section, i, `attachments[${j}].id ${String(att.id)} is used twice`);
          attachmentIds.add(att.id as number);
          if (typeof att.name !== 'string' || att.name === '') fail(section, i, `attachments[${j}].name must be a non-empty string`);
        });
      }
    });
    out[section] = v as FdObject[];
  }
  const tickets = new Set((out.tickets ?? []).map((t) => t.id as number));
  (out.conversations ?? []).forEach((c, i) => {
    if (!tickets.has(c.ticket_id as number)) fail('conversations', i, `ticket_id ${JSON.stringify(c.ticket_id)} is not a seeded ticket`);
  });
  return out;
}

/** Reads an export directory (see FreshdeskSeed) and checks it; attachments' local_path are resolved against it (or its parent). */
export async function loadFreshdeskSeed(dir: string): Promise<FreshdeskSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  const checked = checkFreshdeskSeed(seed, root, origin);
  await resolveLocalPaths(root, [...(checked.tickets ?? []), ...(checked.conversations ?? [])].flatMap((r) => (Array.isArray(r.attachments) ? (r.attachments as FdObject[]) : [])));
  return checked;
}
