/**
 * The Front emulator's seed: a directory of JSONL files in Front's Core API shapes (§5, source-formats.md §5)
 * — conversations, messages, comments, contacts, teammates, optional tags, inboxes, events — or the same
 * lists in process. A bad line is a PmError naming file:line.
 */
import { PmError } from '../../core/errors.js';
import { readJsonlDir, resolveLocalPaths, type SeedOrigin } from '../common/seed.js';
import type { FrObject, FrontSeed } from './types.js';

const WHAT = 'Front emulator seed';
const HINT = 'A seed directory holds conversations.jsonl, messages.jsonl, comments.jsonl, contacts.jsonl and teammates.jsonl (one JSON object per line), optionally tags.jsonl, inboxes.jsonl and events.jsonl.';

type Section = keyof FrontSeed;
const FILES: Record<Section, { file: string; required: boolean; prefix: string }> = {
  conversations: { file: 'conversations.jsonl', required: true, prefix: 'cnv_' },
  messages: { file: 'messages.jsonl', required: true, prefix: 'msg_' },
  comments: { file: 'comments.jsonl', required: false, prefix: 'com_' },
  contacts: { file: 'contacts.jsonl', required: true, prefix: 'crd_' },
  teammates: { file: 'teammates.jsonl', required: true, prefix: 'tea_' },
  tags: { file: 'tags.jsonl', required: false, prefix: 'tag_' },
  inboxes: { file: 'inboxes.jsonl', required: false, prefix: 'inb_' },
  events: { file: 'events.jsonl', required: false, prefix: 'evt_' },
};
const TIME_FIELDS = ['created_at', 'updated_at', 'posted_at', 'emitted_at', 'waiting_since'];

export type Origin = SeedOrigin<Section>;

/** Checks a seed given in process (or read by loadFrontSeed); returns it unchanged. */
export function checkFrontSeed(seed: FrontSeed, source = 'options.seed', origin?: Origin): FrontSeed {
  const where: Origin = origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source }));
  const fail = (section: Section, i: number, message: string): never => {
    const o = where(section, i);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, ...(o.line !== undefined ? { line: o.line } : {}) }, hint: HINT });
  };
  const out: FrontSeed = {};
  const files = new Set<string>();
  for (const section of Object.keys(FILES) as Section[]) {
    const v = seed[section];
    if (v === undefined || v === null) continue;
    if (!Array.isArray(v)) fail(section, 0, `${section} must be a list`);
    const ids = new Set<string>();
    const prefix = FILES[section].prefix;
    (v as unknown[]).forEach((o, i) => {
      if (typeof o !== 'object' || o === null || Array.isArray(o)) fail(section, i, 'must be a JSON object');
      const r = o as FrObject;
      if (!(typeof r.id === 'string' && r.id.startsWith(prefix) && r.id.length > prefix.length)) fail(section, i, `"id" must be a string starting with ${prefix} (got ${JSON.stringify(r.id)})`);
      if (ids.has(r.id as string)) fail(section, i, `id ${String(r.id)} is used twice`);
      ids.add(r.id as string);
      // §5 "Timestamps": unix seconds with 3 decimals, never ISO strings.
      for (const k of TIME_FIELDS) if (r[k] !== undefined && r[k] !== null && typeof r[k] !== 'number') fail(section, i, `"${k}" must be epoch seconds (a number such as 1701292649.333), as Front sends it`);
      if (section === 'messages' || section === 'comments' || section === 'events') {
        if (typeof r.conversation_id !== 'string') fail(section, i, '"conversation_id" must name the conversation (seed files only: the API does not send it)');
      }
      if (r.attachments !== undefined && r.attachments !== null) {
        if (!Array.isArray(r.attachments)) fail(section, i, '"attachments" must be a list');
        (r.attachments as unknown[]).forEach((a, j) => {
          const att = a as FrObject;
          if (typeof a !== 'object' || a === null || typeof att.id !== 'string' || !att.id.startsWith('fil_')) fail(section, i, `attachments[${j}] needs an id starting with fil_`);
          if (files.has(att.id as string)) fail(section, i, `attachments[${j}].id ${String(att.id)} is used twice`);
          files.add(att.id as string);
          if (typeof att.filename !== 'string' || att.filename === '') fail(section, i, `attachments[${j}].filename must be a non-empty string`);
        });
      }
    });
    out[section] = v as FrObject[];
  }
  const conversations = new Set((out.conversations ?? []).map((c) => c.id as string));
  for (const section of ['messages', 'comments', 'events'] as const) {
    (out[section] ?? []).forEach((m, i) => {
      if (!conversations.has(m.conversation_id as string)) fail(section, i, `conversation_id ${JSON.stringify(m.conversation_id)} is not a seeded conversation`);
    });
  }
  return out;
}

/** Reads a seed directory (see FrontSeed) and checks it; attachments' local_path are resolved against it (or its parent). */
export async function loadFrontSeed(dir: string): Promise<FrontSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  const checked = checkFrontSeed(seed, root, origin);
  await resolveLocalPaths(root, [...(checked.messages ?? []), ...(checked.comments ?? [])].flatMap((r) => (Array.isArray(r.attachments) ? (r.attachments as FrObject[]) : [])));
  return checked;
}
