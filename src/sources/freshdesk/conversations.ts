/**
 * conversations: for each ticket that changed since the conversations were last brought up to date (the
 * tickets stream's changes, in snapshot order), its whole conversation list — replies and private notes,
 * `GET /api/v2/tickets/{id}/conversations?per_page=100&page=N`, paged by the Link header
 * (../shared/reference/source-apis.md §2) — each with ticket_id (Freshdesk already sends it; set if absent).
 * The ticket's first message is its `description`, not a conversation (§2).
 *
 * As Zendesk's comments, by ../live/children.ts: up to CONVERSATION_FETCHES lists in flight, committed in
 * order with the cursor past their ticket (its position (seq, ord) in the tickets stream's changes), so
 * a stopped pull resumes at the first ticket not committed; it follows the ticket listings as they page.
 */
import type { HttpSourceClient } from '../../http/client.js';
import { pullChildren, type ParentProgress } from '../live/children.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';
import { hasNext, PER_PAGE } from './lists.js';

export const CONVERSATION_FETCHES = 8;
const TICKETS_PER_READ = 200;


/** One ticket's conversations, all pages; [] when the ticket is deleted or gone (404). */
async function ticketConversations(http: HttpSourceClient, t: SnapshotRow, stop: AbortSignal): Promise<SnapshotRecordInput[]> {
  if (t.deleted) return [];
  const ticketId = /^\d+$/.test(t.id) ? Number(t.id) : t.id;
  const records: SnapshotRecordInput[] = [];
  for (let page = 1; ; page++) {
    stop.throwIfAborted();
    const url = http.resolve(`/api/v2/tickets/${encodeURIComponent(t.id)}/conversations`, { per_page: PER_PAGE, page });
    // 404: deleted for good since it was listed; what was pulled before stays.
    const res = await http.getJson(url, { accept: [404], signal: stop });
    if (res.status === 404) break;
    for (const c of Array.isArray(res.body) ? (res.body as unknown[]) : []) {
      if (typeof c !== 'object' || c === null || !('id' in c)) continue;
      const conv: Record<string, unknown> = { ...(c as Record<string, unknown>) };
      conv['ticket_id'] ??= ticketId;
      records.push({ id: String(conv['id']), deleted: false, json: JSON.stringify(conv) });
    }
    // The next page's URL is built here, not taken from the Link header: only its presence is relied on.
    if (!hasNext(res.headers.get('link'))) break;
  }
  return records;
}

export function pullConversations(job: PullJob, ticketsStream: string, stream: string, tickets: ParentProgress, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  return pullChildren(job, { parentStream: ticketsStream, stream, parent: tickets, stop, concurrency: CONVERSATION_FETCHES, perRead: TICKETS_PER_READ, fetch: (row, signal) => ticketConversations(http, row, signal) });
}
