/**
 * The per-record rules of MANIFEST.md's "There There target" table, as pure functions in the style
 * of src/mapping/rules.ts: each turns a mapped value into what POST /api/tickets/import takes, or
 * pushes a reason naming the manifest path it came from. Limits are the import page's
 * (/work/shared/reference/therethere-import-api.txt): subject ≤ 255 characters, status one of four,
 * at most 50 tags, 1 to 200 messages, at most 10 upload tokens per message, files ≤ 25 MB,
 * timestamps in the past.
 */
import { formatBytes, sourceProblem, type AttachmentSpec, type PolicyReasonCode } from '../../attachments/index.js';
import { EMAIL, pastTime, show, type Reasons } from '../../mapping/rules.js';

export type { Reasons };

export const TICKET_STATUSES = ['open', 'waiting', 'closed', 'spam'] as const;
export type TicketStatus = (typeof TICKET_STATUSES)[number];
/** MANIFEST.md: a ticket whose status the mapping does not give is imported closed (a historical record). */
export const DEFAULT_STATUS: TicketStatus = 'closed';

export const MESSAGE_TYPES = ['inbound', 'outbound', 'note'] as const;
export type ThereThereMessageType = (typeof MESSAGE_TYPES)[number];

/** `subject`: max 255 characters (Laravel counts characters, not bytes). */
export const MAX_SUBJECT_CHARS = 255;
/** `tags`: max 50 names per ticket. */
export const MAX_TAGS = 50;
/**
 * Tag names, contact and author names: the reference gives no limit; Laravel's usual `max:255` for
 * strings is assumed (the emulator applies it). A longer tag name is a reason (cutting it would make
 * another tag); a longer name is cut, since it only labels a person.
 */
export const MAX_NAME_CHARS = 255;
/** `messages`: between 1 and 200 per import request. */
export const MAX_MESSAGES = 200;
/** `messages[].attachment_ids`: max 10 upload tokens per message. */
export const MAX_ATTACHMENTS_PER_MESSAGE = 10;
/**
 * POST /api/attachments takes files up to 25 MB. Read as 25 × 10^6 bytes, the smaller of the two
 * readings (25 MiB would be 26,214,400): a file between the two is skipped rather than refused.
 */
export const MAX_FILE_BYTES = 25_000_000;

// ---------------------------------------------------------------- ticket

/** The first `max` characters (code points) of `s`. */
function cut(s: string, max: number): string {
  const chars = Array.from(s);
  return chars.length <= max ? s : chars.slice(0, max).join('');
}

/** `threads.status`: open | waiting | closed | spam, upper case accepted and lowered; default closed. */
export function statusOf(v: unknown, reasons: Reasons): TicketStatus | undefined {
  if (v === undefined || v === null || v === '') return DEFAULT_STATUS;
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s !== undefined && (TICKET_STATUSES as readonly string[]).includes(s)) return s as TicketStatus;
  reasons.push(`threads.status must be open, waiting, closed or spam for There There (upper case accepted); the expression gave ${show(v)}`);
  return undefined;
}

/**
 * An optional time (ISO 8601 with an offset, unix seconds or milliseconds) as ISO 8601 UTC; a time
 * in the future is a reason ("All timestamps must be in the past"). `required`: nothing is a reason too.
 */
export function timeOf(v: unknown, path: string, reasons: Reasons, now: number, required = false): string | undefined {
  return pastTime(v, path, reasons, now, 'There There', required);
}

/**
 * `threads.closedAt` → `closed_at`. The import page says closed_at is "used only when status is
 * closed": for any other status the value is dropped here (undefined, no reason, not even checked),
 * since There There would ignore it and the ticket imports the same. For closed it must be a past time.
 */
export function closedAtOf(v: unknown, status: TicketStatus | undefined, reasons: Reasons, now: number): string | undefined {
  if (status !== 'closed') return undefined;
  return timeOf(v, 'threads.closedAt', reasons, now);
}

/** What subjectOf gives: the subject to send and, when it had to be cut, a diagnostic (not a reason). */
export interface Subject {
  readonly value: string;
  readonly diagnostic?: string;
}

/**
 * `threads.title` → `subject`: a non-empty string (a number is written out). Longer than 255
 * characters (code points, so a surrogate pair is never split) is cut to 255, with a diagnostic.
 */
export function subjectOf(v: unknown, reasons: Reasons): Subject | undefined {
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof s !== 'string' || s.trim() === '') {
    reasons.push(`threads.title is required and must be a non-empty string (the ticket's subject); the expression gave ${show(v)}`);
    return undefined;
  }
  const chars = Array.from(s);
  if (chars.length <= MAX_SUBJECT_CHARS) return { value: s };
  // Cut by code points, never inside a surrogate pair.
  return {
    value: chars.slice(0, MAX_SUBJECT_CHARS).join(''),
    diagnostic: `threads.title is ${chars.length} characters; There There takes at most ${MAX_SUBJECT_CHARS}, so the subject was cut to the first ${MAX_SUBJECT_CHARS}`,
  };
}

/**
 * `threads.labels` → `tags`: tag names (There There creates missing ones), trimmed, without repeats
 * (exact comparison: the reference does not say whether tag names are case-insensitive), in order.
 * More than 50 is a reason; the list is still returned.
 */
export function tagsOf(v: unknown, reasons: Reasons): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    const name = typeof item === 'number' && Number.isFinite(item) ? String(item) : item;
    if (typeof name !== 'string' || name.trim() === '') {
      reasons.push(`threads.labels: ${show(item)} is not a tag name (a non-empty string)`);
      continue;
    }
    const t = name.trim();
    if (Array.from(t).length > MAX_NAME_CHARS) {
      reasons.push(`threads.labels: the tag name ${show(t)} is longer than ${MAX_NAME_CHARS} characters`);
      continue;
    }
    if (!out.includes(t)) out.push(t);
  }
  if (out.length > MAX_TAGS) {
    reasons.push(`threads.labels gives ${out.length} tags; There There takes at most ${MAX_TAGS} per ticket`);
  }
  return out;
}

/**
 * `threads.assignee` → `assignee_email`: a workspace member's email. (There There ignores an email
 * that is not an active member with access to the channel; the plan checks members, not this rule.)
 */
export function assigneeOf(v: unknown, reasons: Reasons): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && EMAIL.test(v.trim())) return v.trim();
  reasons.push(`threads.assignee must be a There There workspace member's email; the expression gave ${show(v)}`);
  return undefined;
}

/** `threads.customer` → `from_contact`: an email is required, the name is optional. */
export interface Contact {
  readonly email: string;
  readonly name?: string;
}

export function contactOf(v: { email?: unknown; fullName?: unknown }, path: string, reasons: Reasons): Contact | undefined {
  const email = typeof v.email === 'string' ? v.email.trim() : v.email;
  if (typeof email !== 'string' || !EMAIL.test(email)) {
    reasons.push(`${path}.email is required for a There There contact and must be an email address; the expression gave ${show(v.email)}`);
    return undefined;
  }
  if (v.fullName !== undefined && v.fullName !== null && typeof v.fullName !== 'string') {
    reasons.push(`${path}.fullName must be a string; the expression gave ${show(v.fullName)}`);
    return undefined;
  }
  const name = typeof v.fullName === 'string' ? cut(v.fullName.trim(), MAX_NAME_CHARS) : '';
  return name === '' ? { email } : { email, name };
}

// ---------------------------------------------------------------- messages

/**
 * `messages.type`: inbound | outbound | note, upper case accepted. When the mapping gives none, a
 * message with an author is outbound and one without is inbound (as for Plain).
 */
export function messageTypeOf(v: unknown, hasAuthor: boolean, reasons: Reasons): ThereThereMessageType | undefined {
  if (v === undefined || v === null || v === '') return hasAuthor ? 'outbound' : 'inbound';
  const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
  if (s !== undefined && (MESSAGE_TYPES as readonly string[]).includes(s)) return s as ThereThereMessageType;
  reasons.push(`messages.type must be inbound, outbound or note (upper case accepted); the expression gave ${show(v)}`);
  return undefined;
}

/** A message's author as the import takes it: `author_email` and `author_name`. */
export interface Author {
  readonly email: string;
  readonly name?: string;
}

/**
 * `messages.author`.
 * - outbound and note: an email, or `{email, name}` (agents who have left keep their name: There
 *   There stores both on the message when the email is not an active member). Required: with no
 *   author There There would attribute the message to the token's owner, which is a silent lie.
 * - inbound: null (or nothing) means the ticket's contact, the only author There There records for
 *   inbound messages; an email or `{email, name}` is accepted and returned, but the import has no
 *   field for it (the request builder must leave author fields out of inbound messages).
 * Returns null for "the contact", undefined (with a reason) for a bad value.
 */
export function authorOf(v: unknown, type: ThereThereMessageType, reasons: Reasons, path = 'messages.author'): Author | null | undefined {
  const empty = v === undefined || v === null || v === '';
  if (empty) {
    if (type === 'inbound') return null;
    reasons.push(
      `${path} is required for ${type} messages (an agent's email, or {email, name}); without one There There would attribute the message to the token's owner`,
    );
    return undefined;
  }
  const bad = (): undefined => {
    reasons.push(`${path} must be an email or {email, name} for ${type} messages; the expression gave ${show(v)}`);
    return undefined;
  };
  if (typeof v === 'string') return EMAIL.test(v.trim()) ? { email: v.trim() } : bad();
  if (typeof v !== 'object' || Array.isArray(v)) return bad();
  const o = v as Record<string, unknown>;
  const email = typeof o.email === 'string' ? o.email.trim() : undefined;
  if (email === undefined || !EMAIL.test(email)) return bad();
  if (o.name !== undefined && o.name !== null && typeof o.name !== 'string') {
    reasons.push(`${path}.name must be a string; the expression gave ${show(o.name)}`);
    return undefined;
  }
  const name = typeof o.name === 'string' ? cut(o.name.trim(), MAX_NAME_CHARS) : '';
  return name === '' ? { email } : { email, name };
}

/** `messages.text` → `body` (HTML): a non-empty string. */
export function bodyOf(v: unknown, reasons: Reasons): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.trim() === '') {
    reasons.push(`messages.text is required and must be a non-empty string (the message's HTML body); the expression gave ${show(v)}`);
    return undefined;
  }
  return v;
}

/** A ticket needs at least one message; more than 200 are split (splitMessages), not refused. */
export function messageCountOf(count: number, reasons: Reasons): boolean {
  if (count >= 1) return true;
  reasons.push('messages: a There There ticket is imported with at least 1 message; this thread has none');
  return false;
}

/** The messages one import request takes (the first MAX_MESSAGES) and the rest, for later requests or notes. */
export function splitMessages<T>(messages: readonly T[], max: number = MAX_MESSAGES): { readonly first: T[]; readonly rest: T[] } {
  return { first: messages.slice(0, max), rest: messages.slice(max) };
}

// ---------------------------------------------------------------- attachments

export type ThereTherePolicyCode = PolicyReasonCode | 'too_many';

export interface ThereTherePolicyReason {
  readonly code: ThereTherePolicyCode;
  /** A phrase fit for a message note and a plan diagnostic; names no URL. */
  readonly message: string;
}

export interface ThereTherePolicyOptions {
  /** attachments.maxBytes: the smaller of it and There There's 25 MB applies. */
  readonly maxBytes?: number;
  /** When given, a `path` that lexically leaves this directory is a bad_source. */
  readonly manifestDir?: string;
  /** 0-based position of the file among the message's files; the 11th and later are too_many. */
  readonly index?: number;
}

/** The largest file There There may be sent: the smaller of its 25 MB and attachments.maxBytes. */
export function effectiveMaxFileBytes(maxBytes?: number): number {
  return maxBytes === undefined ? MAX_FILE_BYTES : Math.min(MAX_FILE_BYTES, maxBytes);
}

/** Null when `size` bytes may be uploaded, else a too_large reason naming the limit that bites. */
export function fileSizeProblem(size: number, maxBytes?: number): ThereTherePolicyReason | null {
  const limit = effectiveMaxFileBytes(maxBytes);
  if (size <= limit) return null;
  const whose = maxBytes !== undefined && maxBytes < MAX_FILE_BYTES ? 'attachments.maxBytes' : "There There's limit";
  return { code: 'too_large', message: `the file is ${formatBytes(size)}, more than ${whose} (${formatBytes(limit)})` };
}

/**
 * Null when the file may be sent, else why not: its source (shared with Plain's policy and fetch),
 * its place in the message (at most 10 files), and the size hint (a missing hint passes: the bytes
 * decide). There There publishes no banned-extension list, so Plain's is not applied.
 */
export function checkAttachment(spec: AttachmentSpec, opts: ThereTherePolicyOptions = {}): ThereTherePolicyReason | null {
  const bad = sourceProblem(spec, opts.manifestDir);
  if (bad !== null) return { code: 'bad_source', message: bad };
  if (opts.index !== undefined && opts.index >= MAX_ATTACHMENTS_PER_MESSAGE) {
    return { code: 'too_many', message: `a There There message carries at most ${MAX_ATTACHMENTS_PER_MESSAGE} files` };
  }
  const size = spec.size;
  if (typeof size === 'number' && Number.isFinite(size) && size >= 0) return fileSizeProblem(size, opts.maxBytes);
  return null;
}

/** A message's files split into the ones one message can carry (the first 10) and the rest. */
export function splitAttachments<T>(files: readonly T[]): { readonly keep: T[]; readonly over: T[] } {
  return { keep: files.slice(0, MAX_ATTACHMENTS_PER_MESSAGE), over: files.slice(MAX_ATTACHMENTS_PER_MESSAGE) };
}
