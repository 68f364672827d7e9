/**
 * The Help Scout emulator's seed: a directory of JSON Lines files in the API's own shapes
 * (conversations.jsonl with `_embedded.threads`, customers.jsonl, users.jsonl, mailboxes.jsonl), or the
 * same lists in process. A bad record is a PmError naming file:line (or options.seed section[index]).
 */
import { PmError } from '../../core/errors.js';
import { parseIso8601 } from '../common/iso8601.js';
import { readJsonlDir, type SeedOrigin } from '../common/seed.js';
import type { HelpScoutSeed, HsObject } from './types.js';

const WHAT = 'Help Scout emulator seed';
const HINT =
  'A seed directory holds conversations.jsonl (each conversation with its threads under _embedded.threads, newest first), and optionally customers.jsonl, users.jsonl and mailboxes.jsonl: one JSON object per line, in the Mailbox API 2.0 shapes.';
/** Conversation status values (source-formats.md §3). */
export const CONVERSATION_STATUSES = ['active', 'pending', 'closed', 'spam'] as const;
/** Conversation state values (source-formats.md §3). */
export const CONVERSATION_STATES = ['published', 'draft', 'deleted'] as const;

type Section = 'conversations' | 'customers' | 'users' | 'mailboxes';
const FILES: Record<Section, { file: string; required: boolean }> = {
  conversations: { file: 'conversations.jsonl', required: true },
  customers: { file: 'customers.jsonl', required: false },
  users: { file: 'users.jsonl', required: false },
  mailboxes: { file: 'mailboxes.jsonl', required: false },
};

type Origin = SeedOrigin<Section>;

const isObj = (v: unknown): v is HsObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** Checks a seed given in process (or read by loadHelpScoutSeed); returns it unchanged. */
export function checkHelpScoutSeed(seed: HelpScoutSeed, source = 'options.seed', origin?: Origin): HelpScoutSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, line: o.line }, hint: HINT });
  };
  const out: HelpScoutSeed = {};
  const threadIds = new Set<number>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const ids = new Set<number>();
    (v as unknown[]).forEach((o, i) => {
      if (!isObj(o)) fail(section, i, 'must be a JSON object');
      const rec = o as HsObject;
      if (!isId(rec.id)) fail(section, i, `"id" is required and must be an integer ≥ 1 (got ${JSON.stringify(rec.id)})`);
      if (ids.has(rec.id as number)) fail(section, i, `id ${String(rec.id)} repeats an earlier record`);
      ids.add(rec.id as number);
      for (const k of ['createdAt', 'updatedAt', 'userUpdatedAt', 'closedAt']) {
        const t = rec[k];
        if (t !== undefined && t !== null && (typeof t !== 'string' || parseIso8601(t) === undefined)) fail(section, i, `"${k}" must be an ISO 8601 timestamp (got ${JSON.stringify(t)})`);
      }
      if (section !== 'conversations') return;
      if (rec.status !== undefined && !(CONVERSATION_STATUSES as readonly unknown[]).includes(rec.status)) fail(section, i, `"status" must be one of ${CONVERSATION_STATUSES.join(', ')}`);
      if (rec.state !== undefined && !(CONVERSATION_STATES as readonly unknown[]).includes(rec.state)) fail(section, i, `"state" must be one of ${CONVERSATION_STATES.join(', ')}`);
      const emb = rec._embedded;
      if (emb === undefined) return;
      if (!isObj(emb)) fail(section, i, '"_embedded" must be an object');
      const threads = (emb as HsObject).threads;
      if (threads === undefined) return;
      if (!Array.isArray(threads)) fail(section, i, '"_embedded.threads" must be a list');
      (threads as unknown[]).forEach((t, j) => {
        if (!isObj(t) || !isId(t.id)) fail(section, i, `_embedded.threads[${j}] needs an integer id ≥ 1`);
        const th = t as HsObject;
        if (threadIds.has(th.id as number)) fail(section, i, `_embedded.threads[${j}].id ${String(th.id)} is used twice`);
        threadIds.add(th.id as number);
        if (typeof th.createdAt !== 'string' || parseIso8601(th.createdAt) === undefined) fail(section, i, `_embedded.threads[${j}].createdAt must be an ISO 8601 timestamp`);
      });
    });
    out[section] = v as HsObject[];
  }
  return out;
}

/** Reads a seed directory (see HelpScoutSeed) and checks it. */
export async function loadHelpScoutSeed(dir: string): Promise<HelpScoutSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  return checkHelpScoutSeed(seed, root, origin);
}
