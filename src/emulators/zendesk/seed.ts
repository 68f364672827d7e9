/**
 * The Zendesk emulator's seed: an export directory (tickets.jsonl, users.jsonl, comments.jsonl, optional
 * organizations.jsonl and ticket_fields.jsonl, attachment files) or the same lists in process. A bad
 * line is a PmError naming file:line (or options.seed section[index]).
 */
import { PmError } from '../../core/errors.js';
import { parseIso8601 } from '../common/iso8601.js';
import { readJsonlDir, resolveLocalPaths, type SeedOrigin } from '../common/seed.js';
import type { ZdObject, ZendeskSeed } from './types.js';

const WHAT = 'Zendesk emulator seed';
const HINT = 'An export directory holds tickets.jsonl, users.jsonl and comments.jsonl (one JSON object per line), optionally organizations.jsonl and ticket_fields.jsonl.';
export const TICKET_STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed', 'deleted'] as const;

type Section = 'tickets' | 'users' | 'comments' | 'organizations' | 'ticketFields';
const FILES: Record<Section, { file: string; required: boolean }> = {
  tickets: { file: 'tickets.jsonl', required: true },
  users: { file: 'users.jsonl', required: true },
  comments: { file: 'comments.jsonl', required: true },
  organizations: { file: 'organizations.jsonl', required: false },
  ticketFields: { file: 'ticket_fields.jsonl', required: false },
};

/** Where a seed record came from, for error messages. */
export type Origin = SeedOrigin<Section>;

class Checker {
  constructor(private readonly origin: Origin) {}

  fail(section: Section, index: number, message: string): never {
    const o = this.origin(section, index);
    throw new PmError('emulator.seed-invalid', `invalid ${WHAT} ${o.label}: ${message}`, { location: { file: o.file, line: o.line }, hint: HINT });
  }

  id(section: Section, i: number, obj: ZdObject, key = 'id', required = true): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.fail(section, i, `"${key}" is required`);
      return undefined;
    }
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) this.fail(section, i, `"${key}" must be an integer ≥ 1 (got ${JSON.stringify(v)})`);
    return v;
  }

  time(section: Section, i: number, obj: ZdObject, key: string): void {
    const v = obj[key];
    if (v === undefined || v === null) return;
    if (typeof v !== 'string' || parseIso8601(v) === undefined) this.fail(section, i, `"${key}" must be an ISO 8601 timestamp (got ${JSON.stringify(v)})`);
  }

  unique(section: Section, list: ZdObject[]): void {
    const seen = new Map<number, number>();
    list.forEach((o, i) => {
      const id = this.id(section, i, o) as number;
      if (seen.has(id)) this.fail(section, i, `id ${id} repeats an earlier record (${this.origin(section, seen.get(id) as number).label})`);
      seen.set(id, i);
    });
  }
}

function objects(c: Checker, section: Section, v: unknown): ZdObject[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) c.fail(section, 0, `${section} must be a list`);
  v.forEach((o, i) => {
    if (typeof o !== 'object' || o === null || Array.isArray(o)) c.fail(section, i, 'must be a JSON object');
  });
  return v as ZdObject[];
}

function checkAttachments(c: Checker, i: number, comment: ZdObject, seen: Set<number>): void {
  const list = comment.attachments;
  if (list === undefined || list === null) return;
  if (!Array.isArray(list)) c.fail('comments', i, '"attachments" must be a list');
  for (const [j, a] of list.entries()) {
    if (typeof a !== 'object' || a === null || Array.isArray(a)) c.fail('comments', i, `attachments[${j}] must be an object`);
    const att = a as ZdObject;
    const id = c.id('comments', i, att, 'id') as number;
    if (seen.has(id)) c.fail('comments', i, `attachments[${j}].id ${id} is used twice`);
    seen.add(id);
    if (typeof att.file_name !== 'string' || att.file_name.trim() === '') c.fail('comments', i, `attachments[${j}].file_name must be a non-empty string`);
    if (att.size !== undefined && (typeof att.size !== 'number' || !Number.isInteger(att.size) || att.size < 0)) c.fail('comments', i, `attachments[${j}].size must be an integer ≥ 0`);
    for (const k of ['content_type', 'local_path']) {
      if (att[k] !== undefined && att[k] !== null && typeof att[k] !== 'string') c.fail('comments', i, `attachments[${j}].${k} must be a string`);
    }
  }
}

/** Checks a seed given in process (or read by loadZendeskSeed); returns it unchanged. */
export function checkZendeskSeed(seed: ZendeskSeed, source = 'options.seed', origin?: Origin): ZendeskSeed {
  const c = new Checker(origin ?? ((section, index) => ({ label: `${source} ${section}[${index}]`, file: source })));
  const tickets = objects(c, 'tickets', seed.tickets);
  const users = objects(c, 'users', seed.users);
  const comments = objects(c, 'comments', seed.comments);
  const organizations = objects(c, 'organizations', seed.organizations);
  const ticketFields = objects(c, 'ticketFields', seed.ticketFields);
  for (const [section, list] of [['tickets', tickets], ['users', users], ['comments', comments], ['organizations', organizations], ['ticketFields', ticketFields]] as const) {
    c.unique(section, list);
    if (section === 'ticketFields') continue;
    list.forEach((o, i) => ['created_at', 'updated_at'].forEach((k) => c.time(section, i, o, k)));
  }
  const ticketIds = new Set<number>();
  tickets.forEach((t, i) => {
    ticketIds.add(t.id as number);
    if (t.status !== undefined && !(TICKET_STATUSES as readonly unknown[]).includes(t.status)) c.fail('tickets', i, `"status" must be one of ${TICKET_STATUSES.join(', ')} (got ${JSON.stringify(t.status)})`);
    const g = t.generated_timestamp;
    if (g !== undefined && g !== null && (typeof g !== 'number' || !Number.isInteger(g) || g < 0)) c.fail('tickets', i, '"generated_timestamp" must be unix seconds (an integer ≥ 0)');
    if (t.tags !== undefined && t.tags !== null && (!Array.isArray(t.tags) || !t.tags.every((x) => typeof x === 'string'))) c.fail('tickets', i, '"tags" must be a list of strings');
    if (t.ai_agent !== undefined && typeof t.ai_agent !== 'boolean') c.fail('tickets', i, '"ai_agent" must be true or false');
  });
  const attachmentIds = new Set<number>();
  comments.forEach((cm, i) => {
    const tid = c.id('comments', i, cm, 'ticket_id') as number;
    if (!ticketIds.has(tid)) c.fail('comments', i, `ticket_id ${tid} is not a seeded ticket`);
    if (cm.public !== undefined && typeof cm.public !== 'boolean') c.fail('comments', i, '"public" must be true or false');
    checkAttachments(c, i, cm, attachmentIds);
  });
  return { tickets, users, comments, organizations, ticketFields };
}

/** Reads an export directory (see ZendeskSeed) and checks it; attachments' local_path are resolved against it (or its parent). */
export async function loadZendeskSeed(dir: string): Promise<ZendeskSeed> {
  const { root, seed, origin } = await readJsonlDir(dir, FILES, WHAT, HINT);
  const checked = checkZendeskSeed(seed, root, origin);
  await resolveLocalPaths(root, (checked.comments ?? []).flatMap((cm) => (Array.isArray(cm.attachments) ? (cm.attachments as ZdObject[]) : [])));
  return checked;
}
