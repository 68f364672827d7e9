/**
 * The requests and request_history streams (../shared/reference/source-apis.md §6, source-formats.md §6).
 *
 * Which requests: `private.request.getChanged&dtGMTChange=T` lists the ids of every request with a
 * request-history row newer than T (strict >). It answers one id per history row — the same id several
 * times — with no order and no paging, so the ids are de-duplicated and sorted, and each request is then
 * fetched once with `private.request.get&xRequest=…&fRawValues=1` (ids and unix seconds, not labels), which
 * brings its whole history too. A first pull asks with T = 1 (or `since`): every request has at least its
 * initial note in the history, trashed and spam ones included — `private.request.search` would leave those
 * out (HelpSpot's filters skip trash and spam) and is not used. T = 0 is not sent: PHP's empty() takes "0"
 * for "not supplied" (our reading of §6's error 101).
 *
 * The cursor: `next`, the T of the next pull — the server's second (its Date header) when getChanged
 * answered, minus one, as rows written later in that same second are not in the answer. While a pull runs:
 * `run` {since, until, after}: a resumed pull asks getChanged again with the same T and skips the ids up to
 * `after` (committed in ascending order), so no cursor holds the id list.
 *
 * Kept with a status a `where` can filter: trashed requests (`fTrash` 1) with `deleted: true`; spam
 * (`xStatus` 2, HelpSpot's cHD_STATUS_SPAM) with `spam: true`. A merged id answers with the request it went
 * into: its own record, if pulled before, is kept with `deleted: true`, `merged_into` and a note; a request
 * that answers error 103 ("Valid request ID required": purged) is kept as last pulled, with `deleted: true`,
 * `purged: true` and a note. Such notes are in `pull_notes` (a list of sentences a mapping can surface).
 */
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';
import { call, listOf, serverSeconds } from './api.js';

/** Requests fetched at once (each one is one `private.request.get`); committed in ascending id order. */
export const REQUEST_FETCHES = 8;
/** HelpSpot's spam status (hs_setting('cHD_STATUS_SPAM', 2)); an installation cannot change the seeded id. */
export const SPAM_STATUS = 2;

export interface RequestsCursor {
  readonly next?: number;
  readonly run?: { readonly since: number; readonly until: number; readonly after: number };
}

/** The first pull's T: `since` (one second before it: getChanged is strict >), else 1. */
export function firstSince(job: PullJob): number {
  const ms = job.connection?.sinceMs;
  return ms !== undefined ? Math.max(1, Math.floor(ms / 1000) - 1) : 1;
}

/** getChanged's ids, de-duplicated, ascending (a list, one value, or an object of them). */
export function changedIds(body: unknown): number[] {
  const v = (body as { xRequest?: unknown } | undefined)?.xRequest;
  const raw = Array.isArray(v) ? v : v !== undefined && v !== null && typeof v === 'object' ? Object.values(v) : v === undefined || v === null ? [] : [v];
  const ids = new Set<number>();
  for (const x of raw) {
    const n = Number(x);
    if (Number.isInteger(n) && n > 0) ids.add(n);
  }
  return [...ids].sort((a, b) => a - b);
}

const isOne = (v: unknown): boolean => v === 1 || v === '1' || v === true;

interface Fetched {
  readonly id: number;
  readonly requests: SnapshotRecordInput[];
  readonly history: SnapshotRecordInput[];
}

/** One changed request: its record and history rows, or what the snapshot keeps for a merged or purged one. */
async function fetchRequest(job: PullJob, requestsStream: string, id: number, stop: AbortSignal): Promise<Fetched> {
  const http = job.http!;
  const { res, errors } = await call(http, 'private.request.get', { xRequest: id, fRawValues: 1 }, stop, [103]);
  if (errors) {
    // Purged (or never readable): what was pulled before stays, marked; nothing new otherwise.
    const old = await job.snapshot.get(requestsStream, String(id));
    if (!old) return { id, requests: [], history: [] };
    const rec = JSON.parse(old.json) as Record<string, unknown>;
    const notes = [...((rec['pull_notes'] as string[] | undefined) ?? []).filter((n) => !n.startsWith('HelpSpot no longer has')), `HelpSpot no longer has request ${id} (error 103: purged); the copy kept is the one pulled before`];
    return { id, requests: [{ id: String(id), deleted: true, json: JSON.stringify({ ...rec, deleted: true, purged: true, pull_notes: notes }) }], history: [] };
  }
  const body = (res.body ?? {}) as Record<string, unknown>;
  const { request_history: h, ...fields } = body;
  const target = Number(fields['xRequest']);
  const out: Fetched = { id, requests: [], history: [] };
  if (Number.isInteger(target) && target !== id) {
    // §6: a merged id answers with the request it was merged into.
    const old = await job.snapshot.get(requestsStream, String(id));
    if (old) {
      const rec = JSON.parse(old.json) as Record<string, unknown>;
      out.requests.push({ id: String(id), deleted: true, json: JSON.stringify({ ...rec, deleted: true, merged_into: target, pull_notes: [`merged into request ${target}: its history is pulled with that request`] }) });
    }
  }
  const reqId = Number.isInteger(target) && target > 0 ? target : id;
  const items = listOf((h as { item?: unknown } | undefined)?.item);
  const mergedFrom = [...new Set(items.map((i) => Number(i['fMergedFromRequest'])).filter((n) => Number.isInteger(n) && n > 0))];
  const deleted = isOne(fields['fTrash']);
  const rec: Record<string, unknown> = { ...fields, xRequest: reqId, deleted, spam: Number(fields['xStatus']) === SPAM_STATUS };
  const notes: string[] = [];
  for (const from of mergedFrom) {
    // The merged request is not listed by getChanged any more (its history rows now belong here): mark it.
    if (from === reqId || from === id) continue;
    const old = await job.snapshot.get(requestsStream, String(from));
    if (!old) continue;
    const prevRec = JSON.parse(old.json) as Record<string, unknown>;
    if (prevRec['merged_into'] === reqId) continue;
    out.requests.push({ id: String(from), deleted: true, json: JSON.stringify({ ...prevRec, deleted: true, merged_into: reqId, pull_notes: [`merged into request ${reqId}: its history is pulled with that request`] }) });
  }
  if (mergedFrom.length > 0) notes.push(`holds the history of merged request${mergedFrom.length > 1 ? 's' : ''} ${mergedFrom.join(', ')}`);
  const noUrl = items.flatMap((i) => listOf((i['files'] as { file?: unknown } | undefined)?.file)).filter((f) => typeof f['private_url'] !== 'string' || f['private_url'] === '');
  if (noUrl.length > 0) notes.push(`${noUrl.length} file(s) came without a private_url (${noUrl.map((f) => String(f['sFilename'] ?? f['xDocumentId'])).join(', ')}): not fetched`);
  if (notes.length > 0) rec['pull_notes'] = notes;
  out.requests.push({ id: String(reqId), deleted, json: JSON.stringify(rec) });
  for (const item of items) {
    if (item['xRequestHistory'] === undefined) continue;
    const row = { ...item, xRequest: reqId };
    out.history.push({ id: String(item['xRequestHistory']), deleted: false, json: JSON.stringify(row) });
  }
  return out;
}

export async function pullRequests(job: PullJob, requestsStream: string, historyStream: string, stop: AbortSignal): Promise<void> {
  const http = job.http!;
  const prev = ((await job.snapshot.stream(requestsStream))?.cursor ?? {}) as RequestsCursor;
  job.emit({ type: 'stream-start', stream: requestsStream });
  job.emit({ type: 'stream-start', stream: historyStream });
  const since = prev.run?.since ?? prev.next ?? firstSince(job);
  const { res } = await call(http, 'private.request.getChanged', { dtGMTChange: since }, stop);
  const until = prev.run?.until ?? Math.max(since, (serverSeconds(res.headers.get('date')) ?? Math.floor(job.now() / 1000)) - 1);
  const all = changedIds(res.body);
  const after = prev.run?.after ?? 0;
  const ids = all.filter((id) => id > after);
  const listed = Array.isArray((res.body as { xRequest?: unknown } | undefined)?.xRequest) ? ((res.body as { xRequest: unknown[] }).xRequest.length) : all.length;
  if (listed !== all.length) job.emit({ type: 'note', stream: requestsStream, message: `getChanged listed ${listed} ids for ${all.length} requests (one per history row): each request is fetched once` });
  const local = new AbortController();
  const halt = AbortSignal.any([stop, local.signal]);
  for (let i = 0; i < ids.length; i += REQUEST_FETCHES) {
    stop.throwIfAborted();
    const chunk = ids.slice(i, i + REQUEST_FETCHES);
    const settled = await Promise.allSettled(
      chunk.map((id) =>
        fetchRequest(job, requestsStream, id, halt).catch((e: unknown) => {
          local.abort();
          throw e;
        }),
      ),
    );
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected' && !(s.reason instanceof Error && s.reason.name === 'AbortError'));
    if (failed) throw failed.reason;
    const anyFailed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (anyFailed) throw anyFailed.reason;
    const got = settled.map((s) => (s as PromiseFulfilledResult<Fetched>).value);
    const history = got.flatMap((g) => g.history);
    const requests = got.flatMap((g) => g.requests);
    const cursor: RequestsCursor = { ...(prev.next !== undefined ? { next: prev.next } : {}), run: { since, until, after: chunk[chunk.length - 1]! } };
    // The history first: a pull stopped between the two commits fetches this chunk again.
    const h = await job.snapshot.commit(historyStream, history, {});
    job.emit({ type: 'page', stream: historyStream, records: history.length, added: h.added, updated: h.updated });
    const r = await job.snapshot.commit(requestsStream, requests, cursor);
    job.emit({ type: 'page', stream: requestsStream, records: requests.length, added: r.added, updated: r.updated });
  }
  stop.throwIfAborted();
  await job.snapshot.commit(historyStream, [], {}, { complete: true });
  await job.snapshot.commit(requestsStream, [], { next: until } satisfies RequestsCursor, { complete: true });
  job.emit({ type: 'stream-done', stream: historyStream });
  job.emit({ type: 'stream-done', stream: requestsStream });
}

/** A whole list every pull (staff, categories, statuses): one call, its values committed. */
export async function pullList(job: PullJob, stream: string, method: string, field: string, key: string, stop: AbortSignal): Promise<void> {
  job.emit({ type: 'stream-start', stream });
  const { res } = await call(job.http!, method, {}, stop);
  const items = listOf((res.body as Record<string, unknown> | undefined)?.[field]);
  const records = items.filter((r) => r[key] !== undefined).map((r) => ({ id: String(r[key]), deleted: false, json: JSON.stringify(r) }));
  const c = await job.snapshot.commit(stream, records, {}, { complete: true });
  job.emit({ type: 'page', stream, records: records.length, added: c.added, updated: c.updated });
  job.emit({ type: 'stream-done', stream });
}
