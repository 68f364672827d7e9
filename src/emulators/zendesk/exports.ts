/**
 * The incremental exports: tickets and users (cursor-based), organizations and ticket_events
 * (time-based). start_time must be minStartTimeLagSeconds in the past; rows stamped within the last
 * hideLastSeconds are never served.
 */
import { cursorPage, decodeExportCursor, encodeExportCursor, intParam, isAnswer, timePage, zdError, type Answer, type Key, type Row } from './paging.js';
import type { ZendeskStore } from './store.js';
import type { TimedRecord, ZdObject, ZendeskConfig } from './types.js';
import { commentEvent, statusEvent } from './views.js';

export interface ExportContext {
  store: ZendeskStore;
  config: ZendeskConfig;
  baseUrl: string;
  nowSec: number;
  q: URLSearchParams;
  path: string;
}

const SCOPES = ['all', 'agent', 'ai_agent'] as const;
const EXPORT_MAX = 1000;

/** The newest timestamp a row may carry to be served. */
const visibleUntil = (ctx: ExportContext): number => ctx.nowSec - ctx.config.hideLastSeconds;

function tooRecent(ctx: ExportContext): Answer {
  const lag = ctx.config.minStartTimeLagSeconds;
  const older = lag === 60 ? '1 minute' : `${lag} seconds`;
  return zdError(400, 'InvalidValue', `Too recent start_time. Use a start_time older than ${older}`);
}

/** start_time: required, unix seconds, at least minStartTimeLagSeconds in the past. */
function startTime(ctx: ExportContext): number | Answer {
  const raw = ctx.q.get('start_time');
  if (raw === null) return zdError(400, 'InvalidValue', 'start_time is required (unix seconds), or cursor');
  if (!/^\d+$/.test(raw)) return zdError(400, 'InvalidValue', `start_time must be unix seconds, not ${JSON.stringify(raw)}`);
  const t = Number(raw);
  if (t > ctx.nowSec - ctx.config.minStartTimeLagSeconds) return tooRecent(ctx);
  return t;
}

/** Where a cursor export continues: after the cursor's row, or from start_time (inclusive). */
function position(ctx: ExportContext): Key | Answer {
  const cursor = ctx.q.get('cursor');
  if (cursor !== null) return decodeExportCursor(cursor) ?? zdError(400, 'InvalidPaginationParameter', 'cursor is invalid');
  const t = startTime(ctx);
  return isAnswer(t) ? t : [t, 0];
}

function nextUrl(ctx: ExportContext, param: 'cursor' | 'start_time', value: string): string {
  const q = new URLSearchParams(ctx.q);
  q.delete('cursor');
  q.delete('start_time');
  q.set(param, value);
  return `${ctx.baseUrl}${ctx.path}?${q.toString()}`;
}

function cursorExport(ctx: ExportContext, name: string, rows: Row[], sideload?: (page: ZdObject[]) => ZdObject): Answer {
  const perPage = intParam(ctx.q, 'per_page', EXPORT_MAX, 1);
  if (isAnswer(perPage)) return perPage;
  const pos = position(ctx);
  if (isAnswer(pos)) return pos;
  const limit = visibleUntil(ctx);
  const visible = rows.filter((r) => r.key[0] <= limit).sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]);
  const { page, next, endOfStream } = cursorPage(visible, pos, perPage ?? EXPORT_MAX, ctx.config.emptyPageGapSeconds);
  const items = page.map((r) => r.view());
  const cursor = encodeExportCursor(next);
  return {
    status: 200,
    body: {
      [name]: items,
      ...(sideload ? sideload(items) : {}),
      after_url: nextUrl(ctx, 'cursor', cursor),
      after_cursor: cursor,
      before_url: null,
      before_cursor: null,
      end_of_stream: endOfStream,
    },
  };
}

function timeExport(ctx: ExportContext, name: string, rows: Row[]): Answer {
  const perPage = intParam(ctx.q, 'per_page', EXPORT_MAX, 1);
  if (isAnswer(perPage)) return perPage;
  const start = startTime(ctx);
  if (isAnswer(start)) return start;
  const limit = visibleUntil(ctx);
  const visible = rows.filter((r) => r.key[0] <= limit).sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1]);
  const { page, endTime, endOfStream } = timePage(visible, start, perPage ?? EXPORT_MAX);
  return {
    status: 200,
    body: { [name]: page.map((r) => r.view()), next_page: nextUrl(ctx, 'start_time', String(endTime)), count: page.length, end_time: endTime, end_of_stream: endOfStream },
  };
}

const includes = (ctx: ExportContext): string[] => (ctx.q.get('include') ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');

function boolParam(ctx: ExportContext, name: string): boolean | Answer {
  const raw = ctx.q.get(name);
  if (raw === null || raw === 'false') return false;
  if (raw === 'true') return true;
  return zdError(400, 'InvalidValue', `${name} must be true or false`);
}

/** GET /api/v2/incremental/tickets/cursor.json */
export function exportTickets(ctx: ExportContext): Answer {
  const scope = ctx.q.get('support_type_scope') ?? 'agent';
  if (!(SCOPES as readonly string[]).includes(scope)) return zdError(400, 'InvalidValue', `support_type_scope must be one of ${SCOPES.join(', ')}`);
  const excludeDeleted = boolParam(ctx, 'exclude_deleted');
  if (isAnswer(excludeDeleted)) return excludeDeleted;
  const rows: Row[] = [...ctx.store.tickets.values()]
    .filter((t) => (scope === 'all' ? true : scope === 'ai_agent' ? t.aiAgent : !t.aiAgent))
    .filter((t) => !(excludeDeleted && t.data.status === 'deleted'))
    .map((t) => ({ key: [t.generatedTimestamp, t.id], view: () => ctx.store.ticketView(t) }));
  const wanted = includes(ctx);
  const sideload = (tickets: ZdObject[]): ZdObject => {
    const out: ZdObject = {};
    const pick = (map: Map<number, TimedRecord>, keys: string[]): ZdObject[] => {
      const ids = new Set(tickets.flatMap((t) => keys.map((k) => t[k])).filter((v): v is number => typeof v === 'number'));
      return [...ids].sort((a, b) => a - b).flatMap((id) => (map.has(id) ? [structuredClone(map.get(id)?.data as ZdObject)] : []));
    };
    if (wanted.includes('users')) out.users = pick(ctx.store.users, ['requester_id', 'submitter_id', 'assignee_id']);
    if (wanted.includes('organizations')) out.organizations = pick(ctx.store.organizations, ['organization_id']);
    return out;
  };
  return cursorExport(ctx, 'tickets', rows, sideload);
}

const timedRows = (map: Map<number, TimedRecord>): Row[] => [...map.values()].map((r) => ({ key: [r.ts, r.id], view: () => structuredClone(r.data) }));

/** GET /api/v2/incremental/users/cursor.json */
export function exportUsers(ctx: ExportContext): Answer {
  return cursorExport(ctx, 'users', timedRows(ctx.store.users));
}

/** GET /api/v2/incremental/organizations.json */
export function exportOrganizations(ctx: ExportContext): Answer {
  return timeExport(ctx, 'organizations', timedRows(ctx.store.organizations));
}

/** GET /api/v2/incremental/ticket_events.json */
export function exportTicketEvents(ctx: ExportContext): Answer {
  const withComments = includes(ctx).includes('comment_events');
  const rows: Row[] = [
    ...[...ctx.store.comments.values()].flat().map((c) => commentEvent(c, ctx.baseUrl, withComments)),
    ...ctx.store.statusChanges.map((s) => statusEvent(s)),
  ];
  return timeExport(ctx, 'ticket_events', rows);
}
