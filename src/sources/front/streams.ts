/**
 * The Front streams, each page committed with the cursor of the next request, so a pull stopped anywhere
 * resumes there (facts: ../shared/reference/source-apis.md §5; shapes: source-formats.md §5).
 *
 * conversations: the first pull reads the newest event's emitted_at (GET /events?limit=1, newest first by
 * default), lists every conversation (GET /conversations?limit=100 with all four q[statuses], as the
 * default listing may leave trashed ones out), then replays the events since that start; later pulls read
 * only GET /events?q[after]={max emitted_at}&sort_by=created_at&sort_order=asc&limit=15 (§0, §5: at most
 * 15 a page, newest first unless asked). Each event embeds its conversation: the last one of a conversation
 * wins. `conversations_merged` names the conversations merged away (target deleted_conversation_ids): those
 * are kept with `merged_into` and a pull note, as their messages now belong to the other conversation.
 */
import type { HttpSourceClient } from '../../http/client.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';
import { pullChildren as followParent } from '../live/children.js';
import type { PullJob } from '../live/types.js';
import { getPage, results } from './paging.js';

export const PAGE_LIMIT = 100;
/** §5: events at most 15 a page. */
export const EVENTS_LIMIT = 15;
export const CHILD_FETCHES = 8;
const PARENTS_PER_READ = 200;
/** The per-record field where a pull says what the API could not give (a mapping can surface it as a note). */
export const PULL_NOTES = 'pull_notes';

type Rec = Record<string, unknown>;

async function commitPage(job: PullJob, stream: string, records: SnapshotRecordInput[], cursor: unknown, complete: boolean): Promise<void> {
  const r = await job.snapshot.commit(stream, records, cursor, { complete });
  job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
}

const rec = (r: Rec, deleted = false): SnapshotRecordInput => ({ id: String(r['id']), deleted, json: JSON.stringify(r) });
/** A trashed conversation is `status: "deleted"` (source-formats §5): kept, and flagged for `where`. */
const conversationRecord = (c: Rec): SnapshotRecordInput => rec(c, c['status'] === 'deleted');

interface ConversationsCursor {
  /** Where the next pull's events start (the largest emitted_at seen), once a first pull is complete. */
  readonly after?: number;
  /** While a pull runs: 'list' (the first full listing) or 'events'. */
  readonly phase?: 'list' | 'events';
  /** The first pull's start: the newest event's emitted_at before the listing. */
  readonly start?: number;
  readonly next?: string;
  readonly max?: number;
}

function listUrl(http: HttpSourceClient): string {
  const u = http.resolve('/conversations', { limit: PAGE_LIMIT });
  for (const s of ['assigned', 'unassigned', 'archived', 'trashed']) u.searchParams.append('q[statuses][]', s);
  return u.href;
}
const eventsUrl = (http: HttpSourceClient, after: number): string =>
  http.resolve('/events', { 'q[after]': after.toFixed(3), sort_by: 'created_at', sort_order: 'asc', limit: EVENTS_LIMIT }).href;

/** Front times are epoch seconds; `since` is ms. */
const sinceSeconds = (job: PullJob): number | undefined => (job.connection?.sinceMs !== undefined ? job.connection.sinceMs / 1000 : undefined);

export async function pullConversations(job: PullJob, stream: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  let cur = ((await job.snapshot.stream(stream))?.cursor ?? {}) as ConversationsCursor;
  job.emit({ type: 'stream-start', stream });
  if (cur.after === undefined && cur.phase === undefined) {
    // The first pull: where the events will start, taken from Front's own clock before the listing begins.
    const res = await http.getJson(http.resolve('/events', { limit: 1 }), { signal: stop });
    const newest = results(res.body)[0]?.['emitted_at'];
    cur = { phase: 'list', start: typeof newest === 'number' ? newest : 0 };
    await commitPage(job, stream, [], cur, false);
  }
  if (cur.phase === 'list') {
    const since = sinceSeconds(job);
    let url = cur.next ?? listUrl(http);
    for (;;) {
      stop.throwIfAborted();
      const page = await getPage(http, url, stop);
      // `since`: conversations last changed before it are left out (the listing has no such filter, §5).
      const kept = page.results.filter((c) => since === undefined || Number(c['updated_at'] ?? c['created_at'] ?? 0) >= since);
      const next: ConversationsCursor = page.next ? { phase: 'list', start: cur.start!, next: page.next } : { phase: 'events', start: cur.start! };
      await commitPage(job, stream, kept.map(conversationRecord), next, false);
      if (!page.next) break;
      url = page.next;
    }
    cur = { phase: 'events', start: cur.start! };
  }
  const from = cur.phase === 'events' ? (cur.start ?? cur.after ?? 0) : (cur.after ?? 0);
  let max = cur.max ?? from;
  let url = cur.phase === 'events' && cur.next ? cur.next : eventsUrl(http, from);
  for (;;) {
    stop.throwIfAborted();
    const page = await getPage(http, url, stop);
    const latest = new Map<string, SnapshotRecordInput>();
    for (const e of page.results) {
      if (typeof e['emitted_at'] === 'number') max = Math.max(max, e['emitted_at']);
      const c = e['conversation'] as Rec | undefined;
      if (c && typeof c === 'object' && typeof c['id'] === 'string' && Object.keys(c).length > 2) latest.set(c['id'], conversationRecord(c));
      const target = e['target'] as { _meta?: { type?: unknown }; data?: unknown } | null | undefined;
      if (e['type'] === 'conversations_merged' && target?._meta?.type === 'deleted_conversation_ids' && Array.isArray(target.data) && c) {
        for (const gone of target.data) {
          if (typeof gone !== 'string') continue;
          const prev = await job.snapshot.get(stream, gone);
          const old = prev ? (JSON.parse(prev.json) as Rec) : { id: gone };
          const note = `merged into ${String(c['id'])} in Front: its messages and comments now belong to that conversation`;
          latest.set(gone, rec({ ...old, merged_into: c['id'], [PULL_NOTES]: [note] }));
          job.emit({ type: 'note', stream, message: `conversation ${gone} ${note}` });
        }
      }
    }
    const cursor: ConversationsCursor = page.next ? { phase: 'events', start: from, next: page.next, max } : { after: max };
    await commitPage(job, stream, [...latest.values()], cursor, !page.next);
    if (!page.next) break;
    url = page.next;
  }
  job.emit({ type: 'stream-done', stream });
}

interface ListCursor {
  readonly after?: number;
  readonly next?: string;
  readonly max?: number;
}

/**
 * A whole list every pull (teammates, inboxes: unpaged; tags: paged, sort_by=id), or contacts by
 * q[updated_after] sorted by updated_at ascending (§5 Endpoints: `cardQuery`, `sortByCards`).
 */
export async function pullList(job: PullJob, stream: string, path: string, stop: AbortSignal, o: { incremental?: boolean; query?: Record<string, string | number> } = {}): Promise<void> {
  const http = job.http!;
  const prev = ((await job.snapshot.stream(stream))?.cursor ?? {}) as ListCursor;
  job.emit({ type: 'stream-start', stream });
  const after = o.incremental ? (prev.after ?? sinceSeconds(job)) : undefined;
  let max = prev.next ? prev.max : after;
  let url =
    prev.next ??
    http.resolve(path, { ...(o.query ?? {}), ...(o.incremental ? { sort_by: 'updated_at', sort_order: 'asc', limit: PAGE_LIMIT } : {}), ...(after !== undefined ? { 'q[updated_after]': after.toFixed(3) } : {}) }).href;
  for (;;) {
    stop.throwIfAborted();
    const page = await getPage(http, url, stop);
    if (o.incremental) for (const r of page.results) if (typeof r['updated_at'] === 'number') max = Math.max(max ?? 0, r['updated_at']);
    const keep = o.incremental && max !== undefined ? { after: max } : {};
    const cursor: ListCursor = page.next ? { next: page.next, ...(max !== undefined ? { max } : {}) } : keep;
    await commitPage(job, stream, page.results.map((r) => rec(r)), o.incremental ? cursor : page.next ? { next: page.next } : {}, !page.next);
    if (!page.next) break;
    url = page.next;
  }
  job.emit({ type: 'stream-done', stream });
}

/**
 * A child stream (messages, comments): for each conversation that changed since this stream last caught up
 * (the conversations stream's changes, in order), all its records, each with conversation_id. Up to
 * CHILD_FETCHES conversations in flight, committed in order with the position past their conversation
 * (../live/children.ts).
 */
export function pullChildren(
  job: PullJob,
  parentStream: string,
  stream: string,
  stop: AbortSignal,
  fetchOne: (row: SnapshotRow, parent: Rec, signal: AbortSignal) => Promise<Rec[]>,
): Promise<void> {
  return followParent(job, {
    parentStream,
    stream,
    stop,
    concurrency: CHILD_FETCHES,
    perRead: PARENTS_PER_READ,
    fetch: async (row, signal) => (await fetchOne(row, JSON.parse(row.json) as Rec, signal)).map((r) => rec(r)),
  });
}
