/**
 * Intercom's search endpoints, page by page into the snapshot (../shared/reference/source-apis.md §4):
 * `POST /conversations/search` and `POST /contacts/search`, sorted ascending by updated_at, 150 a page (the
 * maximum), the cursor in the body (`pagination.starting_after`), the end when `pages.next` is absent.
 *
 * The window: updated_at `> S OR = S` (§4: the spec's table calls `>` "Greater (or equal)"; Airbyte sends both,
 * so the pull is right under either reading), S = the largest updated_at (unix seconds) of the last complete
 * pull, else `connections.<name>.since`, else 0. Contact search matches dates by whole calendar day in the
 * workspace's timezone (§4), so its window starts a day (plus a day for any timezone) earlier; the repeats
 * replace themselves by id.
 *
 * A stopped pull resumes with a new search from the largest updated_at it committed (not with Intercom's
 * opaque cursor, whose lifetime is not documented): every page committed is ≤ it in the sort order, and the
 * records at that second are asked again and replace themselves.
 */
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';

/** §4: per_page at most 150. */
export const SEARCH_PER_PAGE = 150;
const DAY = 86_400;

/** A search stream's cursor. `next`: where the next pull starts. While a pull runs: its window start and the largest updated_at seen. */
export interface SearchCursor {
  readonly next?: number;
  readonly since?: number;
  readonly max?: number;
  /** The conversations stream's second phase (the deleted listing): the next page. */
  readonly deletedPage?: number;
}

export function firstSince(job: PullJob): number {
  const ms = job.connection?.sinceMs;
  return ms !== undefined ? Math.floor(ms / 1000) : 0;
}

const secs = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? Math.floor(v) : undefined);

export function asRecords(list: unknown, extra?: (r: Record<string, unknown>) => Record<string, unknown>): SnapshotRecordInput[] {
  if (!Array.isArray(list)) return [];
  const out: SnapshotRecordInput[] = [];
  for (const r of list) {
    if (typeof r !== 'object' || r === null || Array.isArray(r) || !('id' in r)) continue;
    const rec = extra ? { ...(r as Record<string, unknown>), ...extra(r as Record<string, unknown>) } : (r as Record<string, unknown>);
    out.push({ id: String(rec['id']), deleted: rec['deleted'] === true, json: JSON.stringify(rec) });
  }
  return out;
}

/** The search body for records updated at or after `since` (§4 Search request, Airbyte's shape). */
export function searchBody(since: number, startingAfter: string | undefined, byDay: boolean): Record<string, unknown> {
  const query = byDay
    ? // §4: "Contact search matches timestamps by whole calendar day in the workspace timezone, so pad the window by 1 day" (and one more for the timezone).
      { field: 'updated_at', operator: '>', value: Math.max(0, since - 2 * DAY) }
    : { operator: 'OR', value: [{ field: 'updated_at', operator: '>', value: since }, { field: 'updated_at', operator: '=', value: since }] };
  return {
    query,
    sort: { field: 'updated_at', order: 'ascending' },
    pagination: { per_page: SEARCH_PER_PAGE, ...(startingAfter !== undefined ? { starting_after: startingAfter } : {}) },
  };
}

/**
 * One search stream, brought up to date. `listKey`: where the page's records are (conversations: `conversations`,
 * contacts: `data`). `complete`: false when a later phase (the deleted listing) follows in the same stream.
 * Returns the cursor the stream holds at the end.
 */
export async function pullSearch(
  job: PullJob,
  stream: string,
  path: string,
  listKey: string,
  stop: AbortSignal,
  o: { byDay?: boolean; complete: boolean },
): Promise<SearchCursor> {
  const http = job.http!;
  const prev = ((await job.snapshot.stream(stream))?.cursor ?? {}) as SearchCursor;
  if (prev.deletedPage !== undefined) return prev; // the search finished; the deleted listing was under way
  const startNext = prev.next ?? firstSince(job);
  // Resuming: from the largest updated_at committed (see above).
  const since = prev.max ?? prev.since ?? startNext;
  let max = prev.max;
  let after: string | undefined;
  for (;;) {
    stop.throwIfAborted();
    const res = await http.postJson(http.resolve(path), searchBody(since, after, o.byDay === true), { signal: stop });
    stop.throwIfAborted();
    const body = (res.body ?? {}) as Record<string, unknown>;
    const list = body[listKey];
    for (const r of Array.isArray(list) ? (list as Array<Record<string, unknown>>) : []) {
      const u = secs(r['updated_at']);
      if (u !== undefined && (max === undefined || u > max)) max = u;
    }
    const pages = body['pages'] as { next?: { starting_after?: unknown } | null } | undefined;
    const next = pages?.next?.starting_after;
    const more = typeof next === 'string' && next !== '';
    const records = asRecords(list);
    if (!more) {
      const done: SearchCursor = { next: Math.max(startNext, max ?? startNext) };
      const cursor: SearchCursor = o.complete ? done : { ...done, deletedPage: 1 };
      const r = await job.snapshot.commit(stream, records, cursor, { complete: o.complete });
      job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
      return cursor;
    }
    const cursor: SearchCursor = { next: startNext, since, ...(max !== undefined ? { max } : {}) };
    const r = await job.snapshot.commit(stream, records, cursor);
    job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
    after = next;
  }
}
