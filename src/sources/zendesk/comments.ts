/**
 * ticket_comments: for each ticket that changed since the comments were last brought up to date (the
 * tickets stream's changes, in snapshot order), its whole comment list, each comment with ticket_id.
 *
 * Up to COMMENT_FETCHES tickets' lists are fetched at once (the connection's limiter paces them), and
 * they are committed in order, each with the cursor past its ticket: the cursor is the position
 * (seq, ord) in the tickets stream's changes up to which every ticket's comments are in the snapshot, so
 * a stopped pull resumes at the first ticket not committed. It runs while the tickets export is still
 * paging (the export's own limit is 10 a minute): `ticketsDone` says when no more will come.
 */
import type { HttpSourceClient } from '../../http/client.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';

/** Tickets whose comments are fetched at once. */
export const COMMENT_FETCHES = 8;
const TICKETS_PER_READ = 200;

interface Position {
  readonly seq: number;
  readonly ord: number;
}

export interface TicketsProgress {
  /** The tickets export has finished (or failed): no more changes will come. */
  done(): boolean;
  /** Resolves when the tickets export commits a page or ends. */
  next(): Promise<void>;
}

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

export async function pullComments(job: PullJob, ticketsStream: string, stream: string, tickets: TicketsProgress, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const prev = (await job.snapshot.stream(stream))?.cursor as Position | null | undefined;
  let committed: Position = { seq: prev?.seq ?? 0, ord: prev?.ord ?? 0 };
  let enqueued = committed;
  job.emit({ type: 'stream-start', stream });
  const pending: Array<{ row: SnapshotRow; records: Promise<SnapshotRecordInput[]> }> = [];
  // The first fetch to fail stops the others at once (one waiting out a long 429 included): its error is the pull's.
  const local = new AbortController();
  const halt = AbortSignal.any([stop, local.signal]);
  const first: { failure?: { error: unknown } } = {};
  // Read through a call: the failure is set by a callback, which narrowing cannot see.
  const failed = (): { error: unknown } | undefined => first.failure;
  let buffer: SnapshotRow[] = [];
  for (;;) {
    const f = failed();
    if (f) throw f.error;
    stop.throwIfAborted();
    if (buffer.length === 0) {
      buffer = await job.snapshot.changedSince(ticketsStream, enqueued, TICKETS_PER_READ);
    }
    while (pending.length < COMMENT_FETCHES && buffer.length > 0) {
      const row = buffer.shift()!;
      enqueued = { seq: row.seq, ord: row.ord };
      const records = ticketComments(http, row, halt);
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
        // The export may have committed its last page after the read above.
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
    // One ticket's comments and the cursor past it, together.
    const r = await job.snapshot.commit(stream, records, committed);
    job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
  }
  await job.snapshot.commit(stream, [], committed, { complete: true });
  job.emit({ type: 'stream-done', stream });
}
