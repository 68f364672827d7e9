/** Zendesk's incremental exports (cursor and time-based) and plain cursor-paged lists, page by page into the snapshot. */
import { PmError } from '../../core/errors.js';
import { WindowLimiter } from '../../http/ratelimit.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';

/** Zendesk allows 10 incremental export requests a minute (30 with High Volume); they may come at once. */
export const EXPORTS_PER_MINUTE = 10;
/** Records per export page: Zendesk's maximum. */
export const EXPORT_PAGE = 1000;

const exportLimiters = new WeakMap<PullJob, WindowLimiter>();

/**
 * The export endpoints' own limit, shared by every export of one pull: at most 10 in any minute (they may
 * go at once). Given to each export request as its pacer, so that a 429 from it pauses the exports only,
 * not the comment lists under the account's limit.
 */
export function exportPacer(job: PullJob): WindowLimiter {
  let l = exportLimiters.get(job);
  if (!l) {
    l = new WindowLimiter(EXPORTS_PER_MINUTE);
    exportLimiters.set(job, l);
  }
  return l;
}

function asRecords(list: unknown, isDeleted?: (r: Record<string, unknown>) => boolean): SnapshotRecordInput[] {
  if (!Array.isArray(list)) return [];
  const out: SnapshotRecordInput[] = [];
  for (const r of list) {
    if (typeof r !== 'object' || r === null || !('id' in r)) continue;
    const rec = r as Record<string, unknown>;
    out.push({ id: String(rec['id']), deleted: isDeleted?.(rec) ?? false, json: JSON.stringify(rec) });
  }
  return out;
}

/** The start time of a first pull: connections.<name>.since, else the beginning. */
function startTime(job: PullJob): number {
  const since = job.connection?.sinceMs;
  return since !== undefined ? Math.floor(since / 1000) : 0;
}

async function commitPage(job: PullJob, stream: string, records: SnapshotRecordInput[], cursor: unknown, complete: boolean, total?: number): Promise<void> {
  const r = await job.snapshot.commit(stream, records, cursor, { complete });
  job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated, ...(total !== undefined ? { total } : {}) });
}

/**
 * tickets, users: `incremental/<name>/cursor.json`. The stored cursor is Zendesk's `after_cursor`; an empty
 * page does not end the stream, only `end_of_stream` does.
 */
export async function pullCursorExport(job: PullJob, stream: string, name: string, stop: AbortSignal, onPage?: () => void): Promise<void> {
  const http = job.http!;
  const prev = (await job.snapshot.stream(stream))?.cursor as { after?: string } | null | undefined;
  job.emit({ type: 'stream-start', stream });
  let url =
    prev?.after !== undefined
      ? http.resolve(`/api/v2/incremental/${name}/cursor.json`, { cursor: prev.after, per_page: EXPORT_PAGE })
      : http.resolve(`/api/v2/incremental/${name}/cursor.json`, {
          start_time: startTime(job),
          per_page: EXPORT_PAGE,
          ...(name === 'tickets' ? { support_type_scope: 'all' } : {}),
        });
  if (prev?.after !== undefined && name === 'tickets') url.searchParams.set('support_type_scope', 'all');
  for (;;) {
    const res = await http.getJson(url, { signal: stop, pacer: exportPacer(job) });
    stop.throwIfAborted();
    const body = (res.body ?? {}) as Record<string, unknown>;
    const records = asRecords(body[name], name === 'tickets' ? (r) => r['status'] === 'deleted' : undefined);
    const after = typeof body['after_cursor'] === 'string' ? body['after_cursor'] : prev?.after;
    const end = body['end_of_stream'] === true || after === undefined;
    await commitPage(job, stream, records, after !== undefined ? { after } : null, end);
    onPage?.();
    if (end) break;
    url = http.resolve(`/api/v2/incremental/${name}/cursor.json`, { cursor: after, per_page: EXPORT_PAGE, ...(name === 'tickets' ? { support_type_scope: 'all' } : {}) });
  }
  job.emit({ type: 'stream-done', stream });
}

/**
 * A time-based export (`incremental/<path>.json?start_time=`), page by page: `records` picks a page's
 * records from its body; the stored cursor is the next start time. The export repeats items at page
 * edges: they upsert by id.
 */
async function pullTimeBased(
  job: PullJob,
  stream: string,
  path: string,
  query: Readonly<Record<string, string>>,
  records: (body: Record<string, unknown>) => SnapshotRecordInput[],
  stop: AbortSignal,
): Promise<void> {
  const http = job.http!;
  const prev = (await job.snapshot.stream(stream))?.cursor as { startTime?: number } | null | undefined;
  let start = prev?.startTime ?? startTime(job);
  job.emit({ type: 'stream-start', stream });
  for (;;) {
    const res = await http.getJson(http.resolve(`/api/v2/incremental/${path}.json`, { start_time: start, per_page: EXPORT_PAGE, ...query }), { signal: stop, pacer: exportPacer(job) });
    stop.throwIfAborted();
    const body = (res.body ?? {}) as Record<string, unknown>;
    const endTime = typeof body['end_time'] === 'number' ? body['end_time'] : start;
    const end = body['end_of_stream'] === true;
    if (!end && endTime <= start) {
      // Going on from the same start time would read the same page forever; stopping would lose the rest.
      throw new PmError('pull.export-stuck', `the ${path} export did not move past start_time ${start} and did not say end_of_stream`, {
        hint: 'what was pulled so far is kept; run the pull again, and if it stops here again, report it with this start time',
      });
    }
    await commitPage(job, stream, records(body), { startTime: Math.max(start, endTime) }, end);
    if (end) break;
    start = endTime;
  }
  job.emit({ type: 'stream-done', stream });
}

/** organizations: `incremental/organizations.json`. */
export function pullTimeExport(job: PullJob, stream: string, name: string, stop: AbortSignal): Promise<void> {
  return pullTimeBased(job, stream, name, {}, (body) => asRecords(body[name]), stop);
}

/** A cursor-paged list (`page[size]`, `links.next`), read whole every pull. */
export async function pullList(job: PullJob, stream: string, path: string, name: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  job.emit({ type: 'stream-start', stream });
  let url: URL | undefined = http.resolve(path, { 'page[size]': 100 });
  while (url) {
    stop.throwIfAborted();
    const res = await http.getJson(url, { signal: stop });
    const body = (res.body ?? {}) as Record<string, unknown>;
    const links = body['links'] as { next?: unknown } | undefined;
    const meta = body['meta'] as { has_more?: unknown } | undefined;
    const next = meta?.has_more === true && typeof links?.next === 'string' ? http.resolve(links.next) : undefined;
    await commitPage(job, stream, asRecords(body[name]), null, next === undefined);
    url = next;
  }
  job.emit({ type: 'stream-done', stream });
}

/** The comments among a ticket events page's child events, each with its event's ticket_id. */
function commentEvents(body: Record<string, unknown>): SnapshotRecordInput[] {
  const records: SnapshotRecordInput[] = [];
  for (const ev of Array.isArray(body['ticket_events']) ? (body['ticket_events'] as Array<Record<string, unknown>>) : []) {
    const children = Array.isArray(ev['child_events']) ? (ev['child_events'] as Array<Record<string, unknown>>) : [];
    for (const c of children) {
      if (c['event_type'] !== 'Comment' || !('id' in c) || !('body' in c || 'html_body' in c)) continue;
      records.push({ id: String(c['id']), deleted: false, json: JSON.stringify({ ...c, ticket_id: ev['ticket_id'] }) });
    }
  }
  return records;
}

/**
 * ticket_comments by the ticket events export (`method: events`): every comment event since the stored
 * start time, with the event's ticket_id; 1,000 events a page under the exports' 10-a-minute limit.
 */
export function pullCommentEvents(job: PullJob, stream: string, stop: AbortSignal): Promise<void> {
  return pullTimeBased(job, stream, 'ticket_events', { include: 'comment_events' }, commentEvents, stop);
}
