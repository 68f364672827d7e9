/**
 * Freshdesk's listings, page by page into the snapshot (../shared/reference/source-apis.md §2):
 * bare JSON arrays, `?page=N&per_page=100`, the next page announced by a `Link: <…>; rel="next"` header.
 *
 * tickets: `GET /api/v2/tickets?updated_since=…&order_by=updated_at&order_type=asc&include=description,requester,stats`
 * (Airbyte's exact request, §2 Endpoints), run three times: the default listing (incremental: the next
 * pull starts at the largest updated_at seen), then `filter=spam` and `filter=deleted` (the default listing
 * leaves both out, §2). Past page 300 Freshdesk answers HTTP 400 (§2 "Page cap"): after page 300 the window
 * moves forward — page 1 again with updated_since = the largest updated_at seen — and the boundary
 * records it repeats replace themselves by id. A 400 naming `page` (a lower cap) is handled the same way.
 */
import { PmError } from '../../core/errors.js';
import { HttpSourceError, type HttpSourceClient } from '../../http/client.js';
import { WindowLimiter } from '../../http/ratelimit.js';
import type { PullJob } from '../live/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';

/** Records per page: Freshdesk's maximum (§2: default 30, at most 100). */
export const PER_PAGE = 100;
/** The last page Freshdesk serves on the ticket list (§2: HTTP 400 beyond the 300th page). */
export const PAGE_CAP = 300;
/** The start of a first pull without `since`: before any Freshdesk account (without updated_since only the last 30 days are listed, §2). */
export const EPOCH = '1970-01-01T00:00:00Z';

/** Which ticket listing: the default one, then `filter=spam`, then `filter=deleted`. */
export type TicketListing = 'all' | 'spam' | 'deleted';
const LISTINGS: readonly TicketListing[] = ['all', 'spam', 'deleted'];

/**
 * The tickets stream's cursor. `all`: where the next pull's default listing starts (the largest updated_at
 * of the last complete one). While a pull runs: the listing in progress, its window start and next page,
 * and the largest updated_at seen in it.
 */
export interface TicketsCursor {
  readonly all?: string;
  readonly listing?: TicketListing;
  readonly since?: string;
  readonly page?: number;
  readonly max?: string;
}

/**
 * The list endpoints' own limit (§2 Rate limits: Tickets List / Contacts List, Growth 20 of 200, Pro 100 of
 * 400, Enterprise 200 of 700 a minute), from the account's limit: the ratio of the largest plan at or below it.
 */
export function listPerMinute(accountPerMinute: number): number {
  const ratio = accountPerMinute >= 700 ? 200 / 700 : accountPerMinute >= 400 ? 100 / 400 : 20 / 200;
  return Math.max(1, Math.floor(accountPerMinute * ratio));
}

const listLimiters = new WeakMap<PullJob, WindowLimiter>();
/** One list limiter per pull, shared by the ticket and contact listings; a 429 on a list pauses it, not the conversations. */
export function listPacer(job: PullJob): WindowLimiter {
  let l = listLimiters.get(job);
  if (!l) {
    l = new WindowLimiter(listPerMinute(job.connection?.requestsPerMinute ?? 200));
    listLimiters.set(job, l);
  }
  return l;
}

/** True when the Link header announces a next page (RFC 8288: `<url>; rel="next"`, rel may list several). */
export function hasNext(link: string | null): boolean {
  if (!link) return false;
  return link.split(/,(?=\s*<)/).some((part) => /;\s*rel="?([^";]*\s)?next(\s[^";]*)?"?/i.test(part));
}

export function asRecords(list: unknown, isDeleted?: (r: Record<string, unknown>) => boolean, extra?: Record<string, unknown>): SnapshotRecordInput[] {
  if (!Array.isArray(list)) return [];
  const out: SnapshotRecordInput[] = [];
  for (const r of list) {
    if (typeof r !== 'object' || r === null || Array.isArray(r) || !('id' in r)) continue;
    const rec = extra ? { ...(r as Record<string, unknown>), ...extra } : (r as Record<string, unknown>);
    out.push({ id: String(rec['id']), deleted: isDeleted?.(rec) ?? false, json: JSON.stringify(rec) });
  }
  return out;
}

/** The larger of two Freshdesk timestamps (ISO 8601, any offset: §7 notes `+05:30` in attachments). */
function later(a: string | undefined, b: unknown): string | undefined {
  if (typeof b !== 'string') return a;
  const tb = Date.parse(b);
  if (Number.isNaN(tb)) return a;
  if (a === undefined) return new Date(tb).toISOString().replace(/\.000Z$/, 'Z');
  return tb > Date.parse(a) ? new Date(tb).toISOString().replace(/\.000Z$/, 'Z') : a;
}

/** The start of a first pull: connections.<name>.since, else EPOCH. */
export function firstSince(job: PullJob): string {
  const ms = job.connection?.sinceMs;
  return ms !== undefined ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z') : EPOCH;
}

async function commitPage(job: PullJob, stream: string, records: SnapshotRecordInput[], cursor: unknown, complete: boolean): Promise<void> {
  const r = await job.snapshot.commit(stream, records, cursor, { complete });
  job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
}

/** Freshdesk's 400 for a page past the cap (§2: `errors[].field == "page"`). */
function pageCapError(body: unknown): boolean {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  return Array.isArray(errors) && errors.some((e) => typeof e === 'object' && e !== null && (e as { field?: unknown }).field === 'page');
}

function ticketUrl(http: HttpSourceClient, listing: TicketListing, since: string, page: number): URL {
  return http.resolve('/api/v2/tickets', {
    ...(listing === 'all' ? {} : { filter: listing }),
    updated_since: since,
    order_by: 'updated_at',
    order_type: 'asc',
    include: 'description,requester,stats',
    per_page: PER_PAGE,
    page,
  });
}

/**
 * The tickets stream: the three listings in turn, each page committed with the cursor of the next request.
 * Deleted tickets (`deleted: true`, from filter=deleted) are kept with that flag; spam ones with `spam: true`.
 * The spam and deleted listings are read from the first pull's start every time: whether deleting or marking
 * spam moves updated_at is not documented, and these listings are small (Freshdesk empties them after 30 days).
 */
export async function pullTickets(job: PullJob, stream: string, stop: AbortSignal, onPage?: () => void): Promise<void> {
  const http = job.http!;
  const prev = ((await job.snapshot.stream(stream))?.cursor ?? {}) as TicketsCursor;
  const base = firstSince(job);
  const nextAll = prev.all ?? base;
  job.emit({ type: 'stream-start', stream });
  let startAt = prev.listing !== undefined ? LISTINGS.indexOf(prev.listing) : 0;
  if (startAt < 0) startAt = 0;
  let all = nextAll;
  for (let i = startAt; i < LISTINGS.length; i++) {
    const listing = LISTINGS[i]!;
    const resuming = i === startAt && prev.listing === listing;
    let since = resuming && prev.since !== undefined ? prev.since : listing === 'all' ? nextAll : base;
    let page = resuming && prev.page !== undefined ? prev.page : 1;
    let max = resuming ? prev.max : undefined;
    for (;;) {
      stop.throwIfAborted();
      const res = await http.getJson(ticketUrl(http, listing, since, page), { signal: stop, pacer: listPacer(job), accept: [400] });
      stop.throwIfAborted();
      if (res.status === 400) {
        // Only the page cap is ours to handle; any other 400 is the pull's error.
        if (!pageCapError(res.body) || page === 1) {
          const detail = http.mask(JSON.stringify(res.body ?? '').slice(0, 300));
          throw new HttpSourceError(`GET ${http.origin}/api/v2/tickets: HTTP 400 ${detail}`, 400, detail);
        }
        ({ since, page } = moveWindow(since, max));
        await commitPage(job, stream, [], { all, listing, since, page, ...(max ? { max } : {}) }, false);
        continue;
      }
      // A where can filter on them: deleted: true and spam: true, as Freshdesk sends them (set if absent).
      const mark = listing === 'all' ? undefined : { [listing]: true };
      const records = asRecords(res.body, (r) => r['deleted'] === true, mark);
      for (const r of Array.isArray(res.body) ? (res.body as Array<Record<string, unknown>>) : []) max = later(max, r['updated_at']);
      const more = hasNext(res.headers.get('link'));
      if (!more) {
        if (listing === 'all') all = later(nextAll, max) ?? nextAll;
        const last = i === LISTINGS.length - 1;
        const cursor: TicketsCursor = last ? { all } : { all, listing: LISTINGS[i + 1]!, since: base, page: 1 };
        await commitPage(job, stream, records, cursor, last);
        onPage?.();
        break;
      }
      // Page 301 would be refused: move the window forward instead (§2 Page cap).
      if (page >= PAGE_CAP) ({ since, page } = moveWindow(since, max));
      else page++;
      await commitPage(job, stream, records, { all, listing, since, page, ...(max ? { max } : {}) }, false);
      onPage?.();
    }
  }
  job.emit({ type: 'stream-done', stream });
}

/** Page 1 again from the largest updated_at seen; refused when that does not move (300 pages of one second). */
function moveWindow(since: string, max: string | undefined): { since: string; page: number } {
  if (max === undefined || Date.parse(max) <= Date.parse(since)) {
    throw new PmError('pull.freshdesk-page-cap', `more than ${PAGE_CAP * PER_PAGE} Freshdesk tickets share updated_at ${since}: the ticket list cannot page past them`, {
      hint: "Freshdesk's ticket list stops at page 300 and orders by updated_at to the second; what was pulled so far is kept. Report this with the timestamp.",
    });
  }
  return { since: max, page: 1 };
}

/**
 * The cursor of a plain listing. `next`: where the next pull's incremental listing starts. While a pull
 * runs: the phase (0 the main listing, 1 the deleted one), the window start, the next page, the largest
 * updated_at seen so far.
 */
interface ListCursor {
  readonly next?: string;
  readonly phase?: number;
  readonly since?: string;
  readonly page?: number;
  readonly max?: string;
}

/**
 * A plain listing, page by page. `incremental`: the query parameter that takes the last pull's largest
 * updated_at (contacts: `_updated_since`, §2); without it the list is read whole every pull.
 * `deletedListing`: a second listing read whole after it (contacts: `state=deleted`, §2), its records kept
 * as deleted with `deleted: true`.
 */
export async function pullList(
  job: PullJob,
  stream: string,
  path: string,
  stop: AbortSignal,
  o: { incremental?: string; pacer?: boolean; deletedListing?: Readonly<Record<string, string>> } = {},
): Promise<void> {
  const http = job.http!;
  const prev = ((await job.snapshot.stream(stream))?.cursor ?? {}) as ListCursor;
  job.emit({ type: 'stream-start', stream });
  const pacer = o.pacer ? listPacer(job) : undefined;
  const phases: Array<{ query: Readonly<Record<string, string>>; deleted: boolean }> = [{ query: {}, deleted: false }];
  if (o.deletedListing) phases.push({ query: o.deletedListing, deleted: true });
  const startNext = o.incremental ? (prev.next ?? firstSince(job)) : undefined;
  let next = startNext;
  const first = prev.phase !== undefined && prev.phase < phases.length ? prev.phase : 0;
  for (let p = first; p < phases.length; p++) {
    const phase = phases[p]!;
    const resuming = p === first && prev.phase !== undefined;
    let page = resuming ? (prev.page ?? 1) : 1;
    let max = resuming ? prev.max : undefined;
    const since = p === 0 && o.incremental ? (resuming && prev.since ? prev.since : startNext) : undefined;
    for (;;) {
      stop.throwIfAborted();
      const url = http.resolve(path, { ...phase.query, ...(since !== undefined ? { [o.incremental!]: since } : {}), per_page: PER_PAGE, page });
      const res = await http.getJson(url, { signal: stop, ...(pacer ? { pacer } : {}) });
      stop.throwIfAborted();
      for (const r of Array.isArray(res.body) ? (res.body as Array<Record<string, unknown>>) : []) max = later(max, r['updated_at']);
      const records = phase.deleted ? asRecords(res.body, () => true, { deleted: true }) : asRecords(res.body, (r) => r['deleted'] === true);
      const more = hasNext(res.headers.get('link'));
      if (!more && p === 0 && startNext !== undefined) next = later(startNext, max) ?? startNext;
      const keep = next !== undefined ? { next } : {};
      const last = p === phases.length - 1;
      const cursor: ListCursor = more
        ? { ...keep, phase: p, ...(since !== undefined ? { since } : {}), page: page + 1, ...(max !== undefined ? { max } : {}) }
        : last
          ? keep
          : { ...keep, phase: p + 1, page: 1 };
      await commitPage(job, stream, records, cursor, !more && last);
      if (!more) break;
      page++;
    }
  }
  job.emit({ type: 'stream-done', stream });
}
