/**
 * Help Scout (Mailbox API 2.0) as a live source (`kind: helpscout`). Records are the API's own objects,
 * as Airbyte's source-help-scout streams keep them (camelCase, unchanged), with the stream names of
 * Airbyte and the Singer tap:
 *   conversations         GET /v2/conversations?status=all&modifiedSince=…&sortField=modifiedAt: every
 *                         status (active, pending, closed, spam) and state; deleted ones kept with
 *                         state "deleted" (`where: state != 'deleted'`)
 *   conversation_threads  every thread of each conversation that changed since the last pull (GET
 *                         /v2/conversations/{id}/threads), in the API's order (newest first) with their
 *                         createdAt, and conversation_id added (the Singer tap's name for it)
 *   customers             GET /v2/customers?modifiedSince=…&sortField=modifiedAt
 *   users, mailboxes      the whole lists, every pull (small)
 * Auth: OAuth2 client credentials (token.ts). See README.md in this folder.
 */
import { PmError } from '../../core/errors.js';
import { HttpSourceError, type HttpSourceClient, type HttpSourceResponse } from '../../http/client.js';
import type { ConnectionDecl } from '../../manifest/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { heldAuthHeaders, HelpScoutToken } from './token.js';

export { HelpScoutToken } from './token.js';

export const HELPSCOUT_STREAMS: Readonly<Record<string, StreamSpec>> = {
  conversations: {
    key: 'id',
    deleted: { field: 'state', value: 'deleted' },
    description: 'conversations of every status (active, pending, closed, spam), by modifiedSince; deleted ones with state "deleted"',
  },
  conversation_threads: {
    key: 'id',
    parent: { stream: 'conversations', field: 'conversation_id' },
    description: "every conversation's threads (customer messages, replies, notes, line items…) newest first as the API gives them, with conversation_id",
  },
  customers: { key: 'id', description: 'customers, by modifiedSince' },
  users: { key: 'id', description: 'the users (agents): the whole list every pull' },
  mailboxes: { key: 'id', description: 'the mailboxes (inboxes): the whole list every pull' },
};

/**
 * How far before the start of the last pull the next one asks from. Help Scout's modifiedSince is the
 * server's clock, and the records carry no modifiedAt to keep as a cursor (userUpdatedAt does not move on
 * every change: source-apis.md §3 Gotchas), so the request time is kept, less this margin for clock skew.
 */
export const OVERLAP_MS = 60_000;
/** Conversations whose threads are fetched at once (the connection's limiter paces them). */
export const THREAD_FETCHES = 8;
const CONVERSATIONS_PER_READ = 200;

/** Help Scout's timestamps: whole seconds, "Z" (source-apis.md §0: modifiedSince=2018-05-04T12:00:03Z). */
const isoSec = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What a pull of one connection shares: the HTTP client and the token. */
interface Ctx {
  readonly job: PullJob;
  readonly http: HttpSourceClient;
  readonly token: HelpScoutToken;
  readonly stop: AbortSignal;
}

/**
 * GET with the bearer token, on the connection's origin only (a pagination link elsewhere is refused: the
 * token must not go there). A 401 asks for a new token once and tries again (the token may have expired
 * or been revoked early). Errors never show the token.
 */
async function get(ctx: Ctx, url: URL, accept?: readonly number[]): Promise<HttpSourceResponse> {
  if (url.origin !== ctx.http.origin) {
    throw new PmError('pull.foreign-link', `Help Scout sent a page link to ${url.origin}, not the connection's origin ${ctx.http.origin}: not followed, so that the token goes nowhere else`, {
      hint: "check connections.<name>.baseUrl: it should be Help Scout's API address (https://api.helpscout.net)",
    });
  }
  for (let attempt = 1; ; attempt++) {
    const token = await ctx.token.get();
    try {
      return await ctx.http.getJson(url, { signal: ctx.stop, extraHeaders: { authorization: `Bearer ${token}` }, ...(accept ? { accept } : {}) });
    } catch (e) {
      if (!(e instanceof HttpSourceError)) throw e;
      if (e.status === 401 && attempt === 1) {
        ctx.token.invalidate(token);
        continue;
      }
      throw new HttpSourceError(ctx.token.mask(e.message), e.status, e.detail === undefined ? undefined : ctx.token.mask(e.detail));
    }
  }
}

/** A HAL page's items (`_embedded.<key>`, absent on an empty page: source-apis.md §3 Pagination) and its next link. */
function halPage(ctx: Ctx, body: unknown, key: string): { items: Array<Record<string, unknown>>; next?: URL } {
  const b = (body ?? {}) as Record<string, unknown>;
  const emb = b['_embedded'] as Record<string, unknown> | undefined;
  const list = emb?.[key];
  const items = (Array.isArray(list) ? list : []).filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && 'id' in r);
  const href = ((b['_links'] as Record<string, unknown> | undefined)?.['next'] as { href?: unknown } | undefined)?.href;
  const page = b['page'] as { number?: unknown; totalPages?: unknown } | undefined;
  // The end: no next link, an empty page, or page.number 0 (what tap-helpscout stops on, §3 Pagination).
  const more = typeof href === 'string' && items.length > 0 && page?.number !== 0;
  return { items, ...(more ? { next: ctx.http.resolve(href) } : {}) };
}

function asRecords(items: Array<Record<string, unknown>>, isDeleted?: (r: Record<string, unknown>) => boolean): SnapshotRecordInput[] {
  return items.map((r) => ({ id: String(r['id']), deleted: isDeleted?.(r) ?? false, json: JSON.stringify(r) }));
}

async function commitPage(job: PullJob, stream: string, records: SnapshotRecordInput[], cursor: unknown, complete: boolean, total?: number): Promise<void> {
  const r = await job.snapshot.commit(stream, records, cursor, { complete });
  job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated, ...(total !== undefined ? { total } : {}) });
}

/** The stored cursor of an incremental list: where the last complete pull started, and a pull under way. */
interface ModifiedCursor {
  /** modifiedSince of the next pull (absent: from the beginning, or connections.<name>.since). */
  readonly since?: string;
  /** A pull stopped before the end: its modifiedSince, when it started, and the next page to ask for. */
  readonly run?: { readonly since?: string; readonly startedAt: number; readonly page: number };
}

/**
 * An incremental list (`conversations`, `customers`) by modifiedSince, sorted by modifiedAt **newest
 * first**. Help Scout pages by page number, and a record modified while a pull pages moves in the order:
 * sorted oldest first (the §0 table's sortOrder=asc) it would move behind the pages still to come and
 * shift an unchanged record back onto a page already read, which would then never be pulled; newest
 * first, it moves onto a page already read and shifts the rest forward, so a record is at worst read
 * twice (an upsert), and the one that moved is in the next pull (modified after this one started).
 * Each page is committed with the page to resume at.
 */
async function pullModified(ctx: Ctx, stream: string, path: string, key: string, query: Readonly<Record<string, string>>, isDeleted?: (r: Record<string, unknown>) => boolean): Promise<void> {
  const { job, http } = ctx;
  const prev = ((await job.snapshot.stream(stream))?.cursor ?? {}) as ModifiedCursor;
  const first = job.connection?.sinceMs !== undefined ? isoSec(job.connection.sinceMs) : undefined;
  const run = prev.run ?? { ...(prev.since !== undefined ? { since: prev.since } : first !== undefined ? { since: first } : {}), startedAt: job.now(), page: 1 };
  job.emit({ type: 'stream-start', stream });
  let page = run.page;
  for (;;) {
    ctx.stop.throwIfAborted();
    const url = http.resolve(path, { ...query, ...(run.since !== undefined ? { modifiedSince: run.since } : {}), sortField: 'modifiedAt', sortOrder: 'desc', page });
    const res = await get(ctx, url);
    const { items, next } = halPage(ctx, res.body, key);
    const total = ((res.body as Record<string, unknown> | undefined)?.['page'] as { totalElements?: unknown } | undefined)?.totalElements;
    const end = next === undefined;
    const cursor: ModifiedCursor = end ? { since: isoSec(run.startedAt - OVERLAP_MS) } : { ...(prev.since !== undefined ? { since: prev.since } : {}), run: { ...run, page: page + 1 } };
    await commitPage(job, stream, asRecords(items, isDeleted), cursor, end, typeof total === 'number' ? total : undefined);
    if (end) break;
    page++;
  }
  job.emit({ type: 'stream-done', stream });
}

/** A whole list (`users`, `mailboxes`), page by page, every pull. */
async function pullList(ctx: Ctx, stream: string, path: string, key: string): Promise<void> {
  const { job, http } = ctx;
  job.emit({ type: 'stream-start', stream });
  let url: URL | undefined = http.resolve(path, { page: 1 });
  while (url) {
    ctx.stop.throwIfAborted();
    const res = await get(ctx, url);
    const { items, next } = halPage(ctx, res.body, key);
    await commitPage(job, stream, asRecords(items), null, next === undefined);
    url = next;
  }
  job.emit({ type: 'stream-done', stream });
}

/**
 * One conversation's threads, every page, in the API's order (newest first: source-apis.md §3 Endpoints),
 * each with conversation_id. The snapshot keeps that order; a mapping orders messages by createdAt.
 * [] for a deleted conversation (the emulator answers 404 for one; its threads pulled before stay).
 */
async function conversationThreads(ctx: Ctx, id: string, deleted: boolean): Promise<SnapshotRecordInput[]> {
  if (deleted) return [];
  const conversationId = /^\d+$/.test(id) ? Number(id) : id;
  const out: SnapshotRecordInput[] = [];
  let url: URL | undefined = ctx.http.resolve(`/v2/conversations/${encodeURIComponent(id)}/threads`, { page: 1 });
  while (url) {
    ctx.stop.throwIfAborted();
    const res = await get(ctx, url, [404]);
    if (res.status === 404) break;
    const { items, next } = halPage(ctx, res.body, 'threads');
    for (const t of items) out.push({ id: String(t['id']), deleted: false, json: JSON.stringify({ ...t, conversation_id: conversationId }) });
    url = next;
  }
  return out;
}

/**
 * conversation_threads: the threads of every conversation that changed since they were last brought up
 * to date (the conversations stream's changes, in snapshot order), THREAD_FETCHES at once, committed in
 * order, each with the cursor past its conversation: a stopped pull resumes at the first one not committed.
 */
async function pullThreads(ctx: Ctx, parent: string, stream: string): Promise<void> {
  const { job } = ctx;
  const prev = (await job.snapshot.stream(stream))?.cursor as { seq?: number; ord?: number } | null | undefined;
  let position = { seq: prev?.seq ?? 0, ord: prev?.ord ?? 0 };
  job.emit({ type: 'stream-start', stream });
  const local = new AbortController();
  const halt = AbortSignal.any([ctx.stop, local.signal]);
  const inner: Ctx = { ...ctx, stop: halt };
  const first: { failure?: { error: unknown } } = {};
  const failed = (): { error: unknown } | undefined => first.failure;
  try {
    for (;;) {
      const rows = await job.snapshot.changedSince(parent, position, CONVERSATIONS_PER_READ);
      if (rows.length === 0) break;
      const queue = rows.map((row) => ({ row, records: undefined as Promise<SnapshotRecordInput[]> | undefined }));
      const start = (i: number): void => {
        const q = queue[i];
        if (q && !q.records) {
          q.records = conversationThreads(inner, q.row.id, q.row.deleted);
          // The first failure stops the others at once; it is rethrown in order below.
          q.records.catch((error: unknown) => {
            if (first.failure === undefined && !halt.aborted) {
              first.failure = { error };
              local.abort();
            }
          });
        }
      };
      for (let i = 0; i < queue.length; i++) {
        for (let j = i; j < Math.min(queue.length, i + THREAD_FETCHES); j++) start(j);
        ctx.stop.throwIfAborted();
        const { row, records } = queue[i]!;
        let list: SnapshotRecordInput[];
        try {
          list = await records!;
        } catch (e) {
          throw failed()?.error ?? e;
        }
        position = { seq: row.seq, ord: row.ord };
        await commitPage(job, stream, list, position, false);
      }
    }
  } catch (e) {
    local.abort();
    throw e;
  }
  await job.snapshot.commit(stream, [], position, { complete: true });
  job.emit({ type: 'stream-done', stream });
}

/**
 * The streams asked for (conversations too when threads are: the threads follow its changes). The lists
 * run side by side; the threads start when the conversations are up to date. The first failure stops the
 * others (their committed pages stay) and is what the pull reports.
 */
async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const http = job.http!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  if (wanted.has('conversation_threads')) wanted.add('conversations');
  const name = (s: string): string => `${conn.name}.${s}`;
  const stop = new AbortController();
  const halt = AbortSignal.any([job.signal, stop.signal]);
  const ctx: Ctx = { job, http, token: new HelpScoutToken(conn, halt, job.now), stop: halt };
  // The token is fetched once before the streams start (they would otherwise all wait on the same request).
  await ctx.token.get().catch((e: unknown) => {
    throw e instanceof HttpSourceError ? new HttpSourceError(ctx.token.mask(e.message), e.status, e.detail) : e;
  });
  const tasks: Array<Promise<void>> = [];
  const run = (p: Promise<void>): Promise<void> => {
    const guarded = p.catch((e: unknown) => (stop.abort(), Promise.reject(e)));
    tasks.push(guarded);
    return guarded;
  };
  // Help Scout's default is status=active: status=all lists every status and state (source-apis.md §3, §8).
  const conversations = wanted.has('conversations')
    ? run(pullModified(ctx, name('conversations'), '/v2/conversations', 'conversations', { status: 'all' }, (r) => r['state'] === 'deleted'))
    : undefined;
  if (wanted.has('customers')) run(pullModified(ctx, name('customers'), '/v2/customers', 'customers', {}));
  if (wanted.has('users')) run(pullList(ctx, name('users'), '/v2/users', 'users'));
  if (wanted.has('mailboxes')) run(pullList(ctx, name('mailboxes'), '/v2/mailboxes', 'mailboxes'));
  if (wanted.has('conversation_threads')) run(conversations!.then(() => pullThreads(ctx, name('conversations'), name('conversation_threads'))));
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const first = results.find((r): r is PromiseRejectedResult => r.status === 'rejected' && !(r.reason instanceof Error && r.reason.name === 'AbortError' && !job.signal.aborted));
  if (failed) throw (first ?? failed).reason;
}

export const helpscoutKind: LiveKind = {
  kind: 'helpscout',
  usesConnection: true,
  auth: [['clientId', 'clientSecret']],
  // The legacy v1 limit; the 2.0 plan numbers are [u] (source-apis.md §3 Rate limits): set
  // connections.<name>.requestsPerMinute to the account's.
  defaultRequestsPerMinute: 200,
  since: true,
  streams: HELPSCOUT_STREAMS,
  sourceKeys: [],
  // The token this process holds (after a pull): attachment data links on the API's origin are fetched with it.
  authHeaders: (conn: ConnectionDecl) => heldAuthHeaders(conn),
  // The data link answers {"data": "<base64>"} (Help Scout's "Get attachment data"): apply decodes it.
  attachmentBody: 'json-base64',
  pull,
};
