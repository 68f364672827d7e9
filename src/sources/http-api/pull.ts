/**
 * Pulling one http source page by page into the snapshot. Each page is one commit: its records and the
 * stream's state together, so a pull stopped anywhere (signal, error, crash) resumes at the page after the
 * last one committed, and records met again simply replace themselves.
 */
import { createHash } from 'node:crypto';
import { PmError } from '../../core/errors.js';
import { HttpSourceError, type HttpSourceClient } from '../../http/client.js';
import { redactUrl } from '../../http/net.js';
import type { LiveSourceDecl } from '../../manifest/types.js';
import type { SnapshotRecordInput } from '../../state/types.js';
import type { PullJob } from '../live/types.js';
import { firstUrl, nextUrl, pageRecords, requestOf } from './paging.js';
import { asCursor, cursorOf, cursorText, idOf, idRule, maxCursor, type CursorValue } from './records.js';

/**
 * The stream's state as the snapshot keeps it (its `cursor`):
 * - `cursor`: the largest `cursor:` value seen over completed pulls (null when none), given as {{cursor}};
 * - `resume`: while a pull is under way, the page to continue from, the largest cursor seen so far in
 *   that pull, the page's number, and a fingerprint of the first request (a changed request starts over).
 */
export interface HttpStreamState {
  readonly cursor: CursorValue | null;
  readonly resume?: { readonly url: string; readonly maxSeen: CursorValue | null; readonly page: number; readonly request: string };
}

export function readHttpState(stored: unknown): HttpStreamState {
  if (typeof stored !== 'object' || stored === null) return { cursor: null };
  const o = stored as Record<string, unknown>;
  const r = o['resume'] as Record<string, unknown> | undefined;
  const resume =
    typeof r === 'object' && r !== null && typeof r['url'] === 'string'
      ? {
          url: r['url'],
          maxSeen: asCursor(r['maxSeen']),
          page: typeof r['page'] === 'number' && r['page'] >= 1 ? r['page'] : 1,
          request: typeof r['request'] === 'string' ? r['request'] : '',
        }
      : undefined;
  return { cursor: asCursor(o['cursor']), ...(resume ? { resume } : {}) };
}

/** Identifies the first request (base URL, path, query as written): a resume point is only used for the same one. */
function requestFingerprint(job: PullJob, decl: LiveSourceDecl): string {
  const req = requestOf(decl);
  return createHash('sha256')
    .update(JSON.stringify([job.connection?.baseUrl ?? '', req.path, Object.entries(req.query).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))]))
    .digest('hex')
    .slice(0, 16);
}

export async function pullHttpSource(job: PullJob, http: HttpSourceClient, decl: LiveSourceDecl): Promise<void> {
  const stream = decl.snapshotStream;
  const signal = job.signal;
  const prev = readHttpState((await job.snapshot.stream(stream))?.cursor);
  const fingerprint = requestFingerprint(job, decl);
  const resume = prev.resume?.request === fingerprint ? prev.resume : undefined;
  const id = idOf(decl);

  let url = resume ? new URL(resume.url) : firstUrl(http, requestOf(decl), cursorText(prev.cursor));
  let maxSeen = resume?.maxSeen ?? null;
  let page = resume?.page ?? 1;
  let resuming = resume !== undefined;
  const seen = new Set<string>();

  job.emit({ type: 'stream-start', stream });
  for (;;) {
    signal.throwIfAborted();
    seen.add(url.href);
    let res;
    try {
      res = await http.getJson(url);
    } catch (e) {
      // A stored resume link the API no longer takes (an expired page token): start over from the first
      // request with the stored cursor; the records met again replace themselves.
      const gone = e instanceof HttpSourceError && e.status !== undefined && e.status >= 400 && e.status < 500 && ![401, 403, 429].includes(e.status);
      if (!(resuming && gone)) throw e;
      job.emit({ type: 'note', stream, message: `the stored next page (${redactUrl(url)}) answered HTTP ${e.status}; starting over from the first request` });
      resuming = false;
      url = firstUrl(http, requestOf(decl), cursorText(prev.cursor));
      maxSeen = null;
      page = 1;
      seen.clear();
      continue;
    }
    resuming = false;
    signal.throwIfAborted();
    const list = await pageRecords(decl, res);
    const records: SnapshotRecordInput[] = [];
    for (let i = 0; i < list.length; i++) {
      const record = list[i];
      const rid = await id(record);
      if (rid === undefined) {
        throw new PmError('pull.record-without-id', `source "${decl.name}": record ${i} of the page GET ${redactUrl(res.url)} has no id (${idRule(decl)})`, {
          location: decl.location,
          path: `sources.${decl.name}`,
          hint: `set id: to a JSONata expression giving each record's unique id, e.g. id: ticket_id`,
        });
      }
      maxSeen = maxCursor(maxSeen, await cursorOf(decl, record, `record ${i} of GET ${redactUrl(res.url)}`));
      records.push({ id: rid, deleted: false, json: JSON.stringify(record) });
    }
    const next = await nextUrl(decl, http, res, page, list.length === 0);
    if (next && seen.has(next.href)) {
      throw new PmError('pull.next-loop', `source "${decl.name}": the page after GET ${redactUrl(res.url)} (page ${page}) is one already pulled in this pull`, {
        location: decl.location,
        path: `sources.${decl.name}.next`,
        hint: 'next must move forward on every page, and give nothing on the last one',
      });
    }
    const r = next
      ? await job.snapshot.commit(stream, records, { cursor: prev.cursor, resume: { url: next.href, maxSeen, page: page + 1, request: fingerprint } } satisfies HttpStreamState)
      : await job.snapshot.commit(stream, records, { cursor: maxCursor(prev.cursor, maxSeen) } satisfies HttpStreamState, { complete: true });
    job.emit({ type: 'page', stream, records: records.length, added: r.added, updated: r.updated });
    if (!next) break;
    url = next;
    page++;
  }
  job.emit({ type: 'stream-done', stream });
}
