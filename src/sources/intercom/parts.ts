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
 * By ../live/children.ts, as Freshdesk's conversations: up to PART_FETCHES retrieves in flight, committed in order with the cursor
 * past their conversation (its position (seq, ord) in the conversations stream's changes), so a stopped pull
 * resumes at the first conversation not committed. A conversation deleted since (404) gives no parts.
 */
import type { HttpSourceClient } from '../../http/client.js';
import { pullChildren } from '../live/children.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput, SnapshotRow } from '../../state/types.js';

export const PART_FETCHES = 8;
const PER_READ = 200;

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

export function pullParts(job: PullJob, parentStream: string, stream: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  return pullChildren(job, {
    parentStream,
    stream,
    stop,
    concurrency: PART_FETCHES,
    perRead: PER_READ,
    fetch: async (row, signal) => {
      const f = await conversationParts(http, row, signal);
      const m = f.missing;
      return {
        records: f.records,
        ...(m ? { note: `conversation ${row.id} has ${m.total} parts; Intercom's API returns only the ${m.returned} most recent: ${m.total - m.returned} earlier parts were not available (its parts carry conversation_parts_total)` } : {}),
      };
    },
  });
}
