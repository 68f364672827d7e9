/**
 * The per-record rules of MANIFEST.md for the Plain target: each check turns a mapped value into the
 * canonical field or adds a reason. Every reason names the manifest path it came from.
 */
import {
  DEFAULT_STATUS_DETAIL,
  STATUS_DETAILS,
  type Assignee,
  type Customer,
  type MessageType,
  type ThreadStatus,
  type ThreadStatusDetail,
} from '../core/model.js';
import { toISO } from './convert.js';

export type Reasons = string[];

const PLAIN_ID = /^[a-zA-Z]+_[0-9A-HJKMNP-TV-Z]{26}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;

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
  if (v === undefined || v === null || v === '') {
    reasons.push(`${path} is required (an ISO 8601 time, unix seconds or milliseconds); the expression gave ${show(v)}`);
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
    reasons.push(`${path} is in the future (${iso}); Plain only imports past times`);
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

export function labelsOf(v: unknown, reasons: Reasons): string[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    if (typeof item !== 'string' || !item.startsWith('lt_') || !PLAIN_ID.test(item)) {
      reasons.push(`threads.labels: ${show(item)} is not a Plain label type id (lt_…); map it through a table`);
      continue;
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

export function assigneeOf(v: unknown, reasons: Reasons): Assignee | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v === 'string' && PLAIN_ID.test(v)) {
    if (v.startsWith('u_')) return { userId: v };
    if (v.startsWith('mu_')) return { machineUserId: v };
  }
  reasons.push(`threads.assignee must be a Plain user id (u_…) or machine user id (mu_…); the expression gave ${show(v)}`);
  return undefined;
}

export function userIdOf(v: unknown, path: string, reasons: Reasons): string | undefined {
  if (typeof v === 'string' && v.startsWith('u_') && PLAIN_ID.test(v)) return v;
  reasons.push(`${path} must be a Plain user id (u_…) for OUTBOUND and NOTE messages; the expression gave ${show(v)}`);
  return undefined;
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
