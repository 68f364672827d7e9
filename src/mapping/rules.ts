/**
 * The per-record rules of MANIFEST.md for the Plain target: each check turns a mapped value into the
 * canonical field or adds a reason. Every reason names the manifest path it came from.
 */
import {
  DEFAULT_STATUS_DETAIL,
  STATUS_DETAILS,
  type Assignee,
  type Customer,
  type MessageAttachment,
  type MessageType,
  type Tenant,
  type ThreadFieldType,
  type ThreadFieldValue,
  type ThreadStatus,
  type ThreadStatusDetail,
} from '../core/model.js';
import { toISO } from './convert.js';

export type Reasons = string[];

const PLAIN_ID = /^[a-zA-Z]+_[0-9A-HJKMNP-TV-Z]{26}$/;
export const EMAIL = /^[^\s@]+@[^\s@]+$/;
export const isPlainId = (v: string, prefix: string): boolean => v.startsWith(`${prefix}_`) && PLAIN_ID.test(v);

export function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

export function requiredString(v: unknown, path: string, reasons: Reasons): string | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v.trim() === '') {
    reasons.push(`${path} is required and must be a non-empty string; the expression gave ${show(v)}`);
    return undefined;
  }
  return v;
}

export function optionalString(v: unknown, path: string, reasons: Reasons): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v !== 'string') {
    reasons.push(`${path} must be a string; the expression gave ${show(v)}`);
    return undefined;
  }
  return v;
}

export function time(v: unknown, path: string, reasons: Reasons, now: number): string | undefined {
  return pastTime(v, path, reasons, now, 'Plain', true);
}

/**
 * A time (ISO 8601 with any offset, unix seconds or milliseconds) as ISO 8601 UTC; a time in the
 * future is a reason, since neither target imports one. Nothing is a reason only when `required`.
 */
export function pastTime(v: unknown, path: string, reasons: Reasons, now: number, target: string, required: boolean): string | undefined {
  if (v === undefined || v === null || v === '') {
    if (required) reasons.push(`${path} is required (an ISO 8601 time, unix seconds or milliseconds); the expression gave ${show(v)}`);
    return undefined;
  }
  let iso: string | undefined;
  try {
    iso = toISO(v);
  } catch (e) {
    reasons.push(`${path}: ${(e as Error).message}`);
    return undefined;
  }
  if (iso && Date.parse(iso) > now) {
    reasons.push(`${path} is in the future (${iso}); ${target} only imports past times`);
    return undefined;
  }
  return iso;
}

export function statusOf(
  statusValue: unknown,
  detailValue: unknown,
  reasons: Reasons,
): { status: ThreadStatus; statusDetail: ThreadStatusDetail } | undefined {
  let status: unknown = statusValue;
  let detail: unknown = detailValue;
  if (statusValue !== null && typeof statusValue === 'object' && !Array.isArray(statusValue)) {
    const o = statusValue as Record<string, unknown>;
    status = o.status;
    if (detail === undefined || detail === null) detail = o.statusDetail;
  }
  if (status === undefined || status === null) status = 'DONE';
  if (typeof status !== 'string' || !(status in STATUS_DETAILS)) {
    reasons.push(`threads.status must be TODO, SNOOZED or DONE (or {status, statusDetail}); the expression gave ${show(statusValue)}`);
    return undefined;
  }
  const st = status as ThreadStatus;
  if (detail === undefined || detail === null) return { status: st, statusDetail: DEFAULT_STATUS_DETAIL[st] };
  if (typeof detail !== 'string' || !STATUS_DETAILS[st].includes(detail as ThreadStatusDetail)) {
    reasons.push(
      `threads.statusDetail ${show(detail)} does not fit status ${st}; allowed: ${STATUS_DETAILS[st].join(', ')}`,
    );
    return undefined;
  }
  return { status: st, statusDetail: detail as ThreadStatusDetail };
}

export function priorityOf(v: unknown, reasons: Reasons): number | undefined {
  if (v === undefined || v === null) return 2;
  const n = typeof v === 'string' && /^\d+$/.test(v.trim()) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 3) {
    reasons.push(`threads.priority must be an integer 0..3 (0 urgent, 3 low); the expression gave ${show(v)}`);
    return undefined;
  }
  return n;
}

/** Label type ids (lt_…) and names, in order, without repeats. Names are resolved by the plan. */
export function labelsOf(v: unknown, reasons: Reasons): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string' || item.trim() === '') {
      reasons.push(`threads.labels: ${show(item)} is neither a Plain label type id (lt_…) nor a label type name`);
      continue;
    }
    const label = item.trim();
    if (!out.includes(label)) out.push(label);
  }
  return out;
}

/** A user id, a machine user id, or an email (resolved by the plan). */
export type AssigneeValue = Assignee | { readonly email: string };

export function assigneeOf(v: unknown, reasons: Reasons): AssigneeValue | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && PLAIN_ID.test(v)) {
    if (v.startsWith('u_')) return { userId: v };
    if (v.startsWith('mu_')) return { machineUserId: v };
  }
  if (typeof v === 'string' && EMAIL.test(v.trim())) return { email: v.trim() };
  reasons.push(`threads.assignee must be a Plain user id (u_…), a machine user id (mu_…) or a user's email; the expression gave ${show(v)}`);
  return undefined;
}

/** OUTBOUND / NOTE author: a user id, or an email (resolved by the plan). */
export function userOf(v: unknown, path: string, reasons: Reasons): { userId: string } | { email: string } | undefined {
  if (typeof v === 'string' && v.startsWith('u_') && PLAIN_ID.test(v)) return { userId: v };
  if (typeof v === 'string' && EMAIL.test(v.trim())) return { email: v.trim() };
  reasons.push(`${path} must be a Plain user id (u_…) or a user's email for OUTBOUND and NOTE messages; the expression gave ${show(v)}`);
  return undefined;
}

export function tenantOf(v: unknown, reasons: Reasons): Tenant | undefined {
  if (v === undefined || v === null) return undefined;
  const o = typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { externalId: v };
  const externalId = typeof o.externalId === 'number' ? String(o.externalId) : o.externalId;
  if (typeof externalId !== 'string' || externalId.trim() === '') {
    reasons.push(`threads.tenant must be {externalId, name} with a non-empty externalId; the expression gave ${show(v)}`);
    return undefined;
  }
  if (o.name !== undefined && o.name !== null && typeof o.name !== 'string') {
    reasons.push(`threads.tenant.name must be a string; the expression gave ${show(o.name)}`);
    return undefined;
  }
  const name = typeof o.name === 'string' && o.name.trim() !== '' ? o.name.trim() : externalId.trim();
  return { externalId: externalId.trim(), name };
}

/** A thread field value checked against its schema's type; undefined (with a reason) when it does not fit. */
export function fieldValueOf(
  key: string,
  v: unknown,
  schema: { type: ThreadFieldType; enumValues: readonly string[] },
  reasons: Reasons,
): ThreadFieldValue | undefined {
  const path = `threads.fields.${key}`;
  const bad = (what: string): undefined => {
    reasons.push(`${path} must be ${what} (the workspace's field ${key} is ${schema.type}); the expression gave ${show(v)}`);
    return undefined;
  };
  switch (schema.type) {
    case 'STRING':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' && Number.isFinite(v)) return String(v);
      return bad('a string');
    case 'BOOL':
      return typeof v === 'boolean' ? v : bad('true or false');
    case 'NUMBER':
    case 'CURRENCY': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      return typeof n === 'number' && Number.isFinite(n) ? n : bad('a number');
    }
    case 'ENUM':
      if (typeof v === 'string' && schema.enumValues.includes(v)) return v;
      return bad(`one of ${schema.enumValues.map((x) => JSON.stringify(x)).join(', ')}`);
    case 'DATE':
      try {
        const iso = v === undefined || v === null || v === '' ? undefined : toISO(v);
        return iso ?? bad('a time (ISO 8601, unix seconds or milliseconds)');
      } catch {
        return bad('a time (ISO 8601, unix seconds or milliseconds)');
      }
  }
}

const HTTP_URL = /^https?:\/\/\S+$/i;

/** A message's attachments: a list of {url | path, fileName, contentType, size, inline}. */
export function attachmentsOf(v: unknown, reasons: Reasons): MessageAttachment[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: MessageAttachment[] = [];
  list.forEach((item, i) => {
    const path = `messages.attachments[${i}]`;
    if (item === null || item === undefined) return;
    if (typeof item !== 'object' || Array.isArray(item)) {
      reasons.push(`${path} must be an object {url | path, fileName, contentType, size, inline}; the expression gave ${show(item)}`);
      return;
    }
    const o = item as Record<string, unknown>;
    const hasUrl = o.url !== undefined && o.url !== null;
    const hasPath = o.path !== undefined && o.path !== null;
    if (hasUrl === hasPath) {
      reasons.push(`${path} needs exactly one of url and path; it has ${hasUrl ? 'both' : 'neither'}`);
      return;
    }
    if (hasUrl && (typeof o.url !== 'string' || !HTTP_URL.test(o.url))) {
      reasons.push(`${path}.url must be an http(s) URL; the expression gave ${show(o.url)}`);
      return;
    }
    if (hasPath && (typeof o.path !== 'string' || o.path.trim() === '')) {
      reasons.push(`${path}.path must be a file path inside the manifest's directory; the expression gave ${show(o.path)}`);
      return;
    }
    const source = (hasUrl ? o.url : o.path) as string;
    let fileName = typeof o.fileName === 'string' && o.fileName.trim() !== '' ? o.fileName.trim() : undefined;
    if (o.fileName !== undefined && o.fileName !== null && typeof o.fileName !== 'string') {
      reasons.push(`${path}.fileName must be a string; the expression gave ${show(o.fileName)}`);
      return;
    }
    fileName ??= lastSegment(source);
    if (o.size !== undefined && o.size !== null && (typeof o.size !== 'number' || !Number.isInteger(o.size) || o.size < 0)) {
      reasons.push(`${path}.size must be a whole number of bytes; the expression gave ${show(o.size)}`);
      return;
    }
    out.push({
      ...(hasUrl ? { url: o.url as string } : { path: o.path as string }),
      fileName,
      ...(typeof o.contentType === 'string' && o.contentType !== '' ? { contentType: o.contentType } : {}),
      ...(typeof o.size === 'number' ? { size: o.size } : {}),
      ...(o.inline === true ? { inline: true } : {}),
      ...(typeof o.contentId === 'string' && o.contentId !== '' ? { contentId: o.contentId } : {}),
    });
  });
  return out;
}

function lastSegment(source: string): string {
  const noQuery = source.split(/[?#]/)[0]!;
  const seg = noQuery.split(/[\\/]/).filter(Boolean).pop() ?? '';
  try {
    return decodeURIComponent(seg) || 'attachment';
  } catch {
    return seg || 'attachment';
  }
}

export function customerOf(
  v: { email?: unknown; fullName?: unknown; externalId?: unknown },
  path: string,
  reasons: Reasons,
): Customer | undefined {
  const email = typeof v.email === 'string' ? v.email.trim() : v.email;
  if (typeof email !== 'string' || !EMAIL.test(email)) {
    reasons.push(
      `${path}.email is required to create a Plain customer and must be an email address; the expression gave ${show(v.email)}`,
    );
    return undefined;
  }
  let fullName = typeof v.fullName === 'string' ? v.fullName.trim() : undefined;
  if (v.fullName !== undefined && v.fullName !== null && typeof v.fullName !== 'string') {
    reasons.push(`${path}.fullName must be a string; the expression gave ${show(v.fullName)}`);
    return undefined;
  }
  if (!fullName) fullName = email.slice(0, email.indexOf('@'));
  const externalId = optionalString(v.externalId, `${path}.externalId`, reasons);
  return externalId === undefined ? { email, fullName } : { email, fullName, externalId };
}

export function messageTypeOf(v: unknown, hasUserAuthor: boolean, reasons: Reasons): MessageType | undefined {
  if (v === undefined || v === null) return hasUserAuthor ? 'OUTBOUND' : 'INBOUND';
  if (v === 'INBOUND' || v === 'OUTBOUND' || v === 'NOTE') return v;
  reasons.push(`messages.type must be INBOUND, OUTBOUND or NOTE; the expression gave ${show(v)}`);
  return undefined;
}
