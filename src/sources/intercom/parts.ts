/**
 * conversation_parts: for each conversation that changed since the parts were last brought up to date (the
 * conversations stream's changes, in snapshot order), `GET /conversations/{id}` and its
 * `conversation_parts.conversation_parts` — comments, notes and events — each with `conversation_id` added
 * (Airbyte's conversation_parts stream).
 *
 * The 500-part cap (../shared/reference/source-apis.md §0, §4): a retrieve returns only the 500 most recent
 * parts, silently. The true number is `statistics.count_conversation_parts` (and `conversation_parts.total_count`,
 * whichever is larger: the spec leaves open which of them counts the parts left out). When it exceeds what was
 * returned, every part pulled for that conversation carries `conversation_parts_total` (the true number) and
 * the pull emits a note; the parts the snapshot already held from earlier pulls stay. A mapping reports
 * `conversation_parts_total - $count($records('conversation_parts', id))` earlier parts as not available.
 *
 * As Freshdesk's conversations: up to PART_FETCHES retrieves in flight, committed in order with the cursor
 * past their conversation (its position (seq, ord) in the conversations stream's changes), so a stopped pull
 * resumes at the first conversation not committed. A conversation deleted since (404) gives no parts.
 */
import type { HttpSourceClient } from '../../http/client.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';

export const PART_FETCHES = 8;
const PER_READ = 200;

interface Position {
  readonly seq: number;
  readonly ord: number;
}

interface Fetched {
  records: SnapshotRecordInput[];
  /** Parts the API did not return (over the cap), when any. */
  missing?: { total: number; returned: number };
}

async function conversationParts(http: HttpSourceClient, row: SnapshotRow, stop: AbortSignal): Promise<Fetched> {
  if (row.deleted) return { records: [] };
  const res = await http.getJson(http.resolve(`/conversations/${encodeURIComponent(row.id)}`), { accept: [404], signal: stop });
  if (res.status === 404) return { records: [] };
  const body = (res.body ?? {}) as { conversation_parts?: { conversation_parts?: unknown; total_count?: unknown }; statistics?: { count_conversation_parts?: unknown } };
  const list = Array.isArray(body.conversation_parts?.conversation_parts) ? (body.conversation_parts.conversation_parts as unknown[]) : [];
  const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const returned = list.length;
  const total = Math.max(returned, num(body.conversation_parts?.total_count), num(body.statistics?.count_conversation_parts));
  const truncated = total > returned;
  const records: SnapshotRecordInput[] = [];
  for (const p of list) {
    if (typeof p !== 'object' || p === null || !('id' in p)) continue;
    const part: Record<string, unknown> = { ...(p as Record<string, unknown>), conversation_id: row.id };
    if (truncated) part['conversation_parts_total'] = total;
    records.push({ id: String(part['id']), deleted: false, json: JSON.stringify(part) });
  }
  return { records, ...(truncated ? { missing: { total, returned } } : {}) };
}

export async function pullParts(job: PullJob, parentStream: string, stream: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const prev = (await job.snapshot.stream(stream))?.cursor as Position | null | undefined;
  let enqueued: Position = { seq: prev?.seq ?? 0, ord: prev?.ord ?? 0 };
  let committed = enqueued;
  job.emit({ type: 'stream-start', stream });
  const local = new AbortController();
  const halt = AbortSignal.any([stop, local.signal]);
  const pending: Array<{ row: SnapshotRow; fetched: Promise<Fetched> }> = [];
  let buffer: SnapshotRow[] = [];
  let exhausted = false;
  const first: { error?: unknown } = {};
  try {
    for (;;) {
      stop.throwIfAborted();
      if (buffer.length === 0 && !exhausted) {
        buffer = await job.snapshot.changedSince(parentStream, enqueued, PER_READ);
        if (buffer.length === 0) exhausted = true;
      }
      while (pending.length < PART_FETCHES && buffer.length > 0) {
        const row = buffer.shift()!;
        enqueued = { seq: row.seq, ord: row.ord };
        const fetched = conversationParts(http, row, halt);
        fetched.catch((error: unknown) => {
          if (!('error' in first) && !halt.aborted) first.error = error;
          local.abort();
        });
        pending.push({ row, fetched });
      }
      const head = pending.shift();
      if (!head) break;
      const f = await head.fetched;
      committed = { seq: head.row.seq, ord: head.row.ord };
      const r = await job.snapshot.commit(stream, f.records, committed);
      job.emit({ type: 'page', stream, records: f.records.length, added: r.added, updated: r.updated });
      if (f.missing) {
        job.emit({ type: 'note', stream, message: `conversation ${head.row.id} has ${f.missing.total} parts; Intercom's API returns only the ${f.missing.returned} most recent: ${f.missing.total - f.missing.returned} earlier parts were not available (its parts carry conversation_parts_total)` });
      }
    }
  } catch (e) {
    local.abort();
    // The first failure, not the aborts it caused in the fetches after it.
    for (const p of pending) p.fetched.catch(() => undefined);
    throw 'error' in first && !stop.aborted ? first.error : e;
  }
  await job.snapshot.commit(stream, [], committed, { complete: true });
  job.emit({ type: 'stream-done', stream });
}
