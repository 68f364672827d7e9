/**
 * ticket_comments: for each ticket that changed since the comments were last brought up to date (the
 * tickets stream's changes, in snapshot order), its whole comment list, each comment with ticket_id.
 *
 * Up to COMMENT_FETCHES tickets' lists are fetched at once (the connection's limiter paces them), and
 * they are committed in order, each with the cursor past its ticket: the cursor is the position
 * (seq, ord) in the tickets stream's changes up to which every ticket's comments are in the snapshot, so
 * a stopped pull resumes at the first ticket not committed. It runs while the tickets export is still
 * paging (the export's own limit is 10 a minute). The loop is ../live/children.ts's.
 */
import type { HttpSourceClient } from '../../http/client.js';
import { pullChildren, type ParentProgress } from '../live/children.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';

/** Tickets whose comments are fetched at once. */
export const COMMENT_FETCHES = 8;
const TICKETS_PER_READ = 200;


/** One ticket's comments, all pages; [] when the ticket is gone (404) or deleted. */
async function ticketComments(http: HttpSourceClient, t: SnapshotRow, stop: AbortSignal): Promise<SnapshotRecordInput[]> {
  if (t.deleted) return [];
  const ticketId = /^\d+$/.test(t.id) ? Number(t.id) : t.id;
  const records: SnapshotRecordInput[] = [];
  let url: URL | undefined = http.resolve(`/api/v2/tickets/${encodeURIComponent(t.id)}/comments.json`, { 'page[size]': 100 });
  while (url) {
    stop.throwIfAborted();
    // 404: the ticket was deleted (or merged away) since it was listed; its comments pulled before stay.
    const res = await http.getJson(url, { accept: [404], signal: stop });
    if (res.status === 404) break;
    const body = (res.body ?? {}) as Record<string, unknown>;
    for (const c of Array.isArray(body['comments']) ? (body['comments'] as unknown[]) : []) {
      if (typeof c !== 'object' || c === null || !('id' in c)) continue;
      const comment: Record<string, unknown> = { ...(c as Record<string, unknown>), ticket_id: ticketId };
      records.push({ id: String(comment['id']), deleted: false, json: JSON.stringify(comment) });
    }
    const links = body['links'] as { next?: unknown } | undefined;
    const meta = body['meta'] as { has_more?: unknown } | undefined;
    url = meta?.has_more === true && typeof links?.next === 'string' ? http.resolve(links.next) : undefined;
  }
  return records;
}

export function pullComments(job: PullJob, ticketsStream: string, stream: string, tickets: ParentProgress, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  return pullChildren(job, { parentStream: ticketsStream, stream, parent: tickets, stop, concurrency: COMMENT_FETCHES, perRead: TICKETS_PER_READ, fetch: (row, signal) => ticketComments(http, row, signal) });
}
