/**
 * conversations: for each ticket that changed since the conversations were last brought up to date (the
 * tickets stream's changes, in snapshot order), its whole conversation list — replies and private notes,
 * `GET /api/v2/tickets/{id}/conversations?per_page=100&page=N`, paged by the Link header
 * (../shared/reference/source-apis.md §2) — each with ticket_id (Freshdesk already sends it; set if absent).
 * The ticket's first message is its `description`, not a conversation (§2).
 *
 * As Zendesk's comments (../zendesk/comments.ts): up to CONVERSATION_FETCHES lists in flight, committed in
 * order with the cursor past their ticket (its position (seq, ord) in the tickets stream's changes), so
 * a stopped pull resumes at the first ticket not committed; it follows the ticket listings as they page.
 */
import type { HttpSourceClient } from '../../http/client.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';
import { hasNext, PER_PAGE } from './lists.js';

export const CONVERSATION_FETCHES = 8;
const TICKETS_PER_READ = 200;

interface Position {
  readonly seq: number;
  readonly ord: number;
}

export interface TicketsProgress {
  done(): boolean;
  next(): Promise<void>;
}

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

export async function pullConversations(job: PullJob, ticketsStream: string, stream: string, tickets: TicketsProgress, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const prev = (await job.snapshot.stream(stream))?.cursor as Position | null | undefined;
  let committed: Position = { seq: prev?.seq ?? 0, ord: prev?.ord ?? 0 };
  let enqueued = committed;
  job.emit({ type: 'stream-start', stream });
  const pending: Array<{ row: SnapshotRow; records: Promise<SnapshotRecordInput[]> }> = [];
  const local = new AbortController();
  const halt = AbortSignal.any([stop, local.signal]);
  const first: { failure?: { error: unknown } } = {};
  const failed = (): { error: unknown } | undefined => first.failure;
  let buffer: SnapshotRow[] = [];
  for (;;) {
    const f = failed();
    if (f) throw f.error;
    stop.throwIfAborted();
    if (buffer.length === 0) buffer = await job.snapshot.changedSince(ticketsStream, enqueued, TICKETS_PER_READ);
    while (pending.length < CONVERSATION_FETCHES && buffer.length > 0) {
      const row = buffer.shift()!;
      enqueued = { seq: row.seq, ord: row.ord };
      const records = ticketConversations(http, row, halt);
      records.catch((error: unknown) => {
        if (first.failure === undefined && !halt.aborted) {
          first.failure = { error };
          local.abort();
        }
      });
      pending.push({ row, records });
    }
    if (pending.length === 0) {
      if (tickets.done()) {
        buffer = await job.snapshot.changedSince(ticketsStream, enqueued, TICKETS_PER_READ);
        if (buffer.length === 0) break;
        continue;
      }
      await tickets.next();
      continue;
    }
    const head = pending.shift()!;
    let records: SnapshotRecordInput[];
    try {
      records = await head.records;
    } catch (e) {
      throw failed()?.error ?? e;
    }
    committed = { seq: head.row.seq, ord: head.row.ord };
    const r = await job.snapshot.commit(stream, records, committed);
    job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
  }
  await job.snapshot.commit(stream, [], committed, { complete: true });
  job.emit({ type: 'stream-done', stream });
}
