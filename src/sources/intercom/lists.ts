/**
 * Intercom's whole lists and the deleted-conversations listing (../shared/reference/source-apis.md §4).
 *   admins  `GET /admins` → {type: "admin.list", admins: […]} (unpaged), the whole list every pull
 *   tags    `GET /tags` → {type: "list", data: […]} (unpaged), the whole list every pull
 *   deleted `GET /conversations/deleted?order=asc&per_page=60&page=N` (Intercom-Version 2.16 and Unstable only):
 *           ids and deleted_at, read whole every pull (it takes no `since`); each conversation the snapshot holds
 *           is kept with `deleted: true` and `deleted_at`. An older Intercom-Version answers 404: the pull says so
 *           (a note) — a deleted conversation then only stops changing (§4: "a later GET → 404, which Airbyte ignores").
 */
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';
import { asRecords, type SearchCursor } from './search.js';

/** §4: per_page ≤ 60 on the deleted listing. */
export const DELETED_PER_PAGE = 60;

export async function pullWhole(job: PullJob, stream: string, path: string, listKey: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const res = await http.getJson(http.resolve(path), { signal: stop });
  stop.throwIfAborted();
  const records = asRecords(((res.body ?? {}) as Record<string, unknown>)[listKey]);
  const r = await job.snapshot.commit(stream, records, null, { complete: true });
  job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
}

/** The conversations stream's second phase: the deleted listing, from the page its cursor names. */
export async function pullDeleted(job: PullJob, stream: string, cursor: SearchCursor, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const keep: SearchCursor = cursor.next !== undefined ? { next: cursor.next } : {};
  for (let page = cursor.deletedPage ?? 1; ; page++) {
    stop.throwIfAborted();
    const url = http.resolve('/conversations/deleted', { order: 'asc', per_page: DELETED_PER_PAGE, page });
    const res = await http.getJson(url, { signal: stop, accept: [404] });
    stop.throwIfAborted();
    if (res.status === 404) {
      job.emit({ type: 'note', stream, message: 'deleted conversations cannot be listed with this Intercom-Version (2.16 or later lists them): a conversation deleted in Intercom stays in the snapshot as it was last pulled' });
      await job.snapshot.commit(stream, [], keep, { complete: true });
      return;
    }
    const body = (res.body ?? {}) as { conversations?: unknown; pages?: { next?: unknown; total_pages?: unknown } };
    const records: SnapshotRecordInput[] = [];
    for (const d of Array.isArray(body.conversations) ? (body.conversations as Array<Record<string, unknown>>) : []) {
      if (d['id'] === undefined) continue;
      const held = await job.snapshot.get(stream, String(d['id']));
      // Only conversations the snapshot holds: one deleted before it was ever pulled was never imported either.
      if (!held || held.deleted) continue;
      const rec = { ...(JSON.parse(held.json) as Record<string, unknown>), deleted: true, deleted_at: d['deleted_at'] ?? null };
      records.push({ id: held.id, deleted: true, json: JSON.stringify(rec) });
    }
    const more = typeof body.pages?.next === 'string' && body.pages.next !== '';
    const next: SearchCursor = more ? { ...keep, deletedPage: page + 1 } : keep;
    const r = await job.snapshot.commit(stream, records, next, { complete: !more });
    job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
    if (!more) return;
  }
}
