/**
 * Front as a live source (`kind: front`), Core API with a Bearer API token. Streams and record shapes are
 * Front's own objects as its API (and Airbyte's source-front streams) give them, children with their
 * parent's id added (facts: ../shared/reference/source-apis.md §5; shapes: source-formats.md §5):
 *   conversations  a full listing on the first pull, then the events feed (15 a page) — see streams.ts;
 *                  trashed ones with status "deleted"; merged-away ones with merged_into and pull_notes
 *   messages       each changed conversation's messages, oldest first (sort_order=asc), with conversation_id;
 *                  drafts kept (draft_mode) for the mapping to drop
 *   comments       each changed conversation's comments — a separate endpoint (§5) — with conversation_id
 *   contacts       by q[updated_after], sorted by updated_at ascending
 *   teammates      the whole list every pull (unpaged)
 *   tags           the whole list every pull (sort_by=id)
 *   inboxes        the whole list every pull (unpaged)
 * Where the API cannot give something, the record says so in `pull_notes` (a list of sentences): a merged
 * conversation, an attachment URL on another origin than the connection's (fetched without the token).
 */
import { RateLimiter, realClock } from '../../http/ratelimit.js';
import type { ConnectionDecl } from '../../manifest/types.js';
import type { SnapshotRow } from '../../state/types.js';
import { SideBySide } from '../live/children.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { getPage } from './paging.js';
import { PAGE_LIMIT, PULL_NOTES, pullChildren, pullConversations, pullList } from './streams.js';

export const FRONT_STREAMS: Readonly<Record<string, StreamSpec>> = {
  conversations: {
    key: 'id',
    deleted: { field: 'status', value: 'deleted' },
    description: 'conversations: a full listing, then the events feed (trashed ones with status "deleted"; merged-away ones with merged_into)',
  },
  messages: { key: 'id', parent: { stream: 'conversations', field: 'conversation_id' }, description: "every changed conversation's messages, oldest first, with conversation_id (drafts kept with draft_mode)" },
  comments: { key: 'id', parent: { stream: 'conversations', field: 'conversation_id' }, description: "every changed conversation's comments (internal discussion), with conversation_id" },
  contacts: { key: 'id', description: 'contacts by q[updated_after]' },
  teammates: { key: 'id', description: 'teammates (the whole list every pull)' },
  tags: { key: 'id', description: 'tags (the whole list every pull)' },
  inboxes: { key: 'id', description: 'inboxes (the whole list every pull)' },
};

const ORDER = ['conversations', 'contacts', 'teammates', 'tags', 'inboxes', 'messages', 'comments'];

/** §5 Auth: `Authorization: Bearer {API token}`. */
export function frontAuthHeaders(conn: ConnectionDecl): Record<string, string> {
  return { authorization: `Bearer ${conn.auth['token'] ?? ''}` };
}

type Rec = Record<string, unknown>;

/** Notes on attachments this connection cannot fetch with its token (their URL is on another origin). */
function withChildNotes(job: PullJob, r: Rec, conversationId: string): Rec {
  const origin = job.http!.origin;
  const notes: string[] = [];
  for (const a of Array.isArray(r['attachments']) ? (r['attachments'] as Rec[]) : []) {
    const url = typeof a['url'] === 'string' ? a['url'] : undefined;
    if (url === undefined) continue;
    let o: string | undefined;
    try {
      o = new URL(url).origin;
    } catch {
      o = undefined;
    }
    if (o !== origin) notes.push(`attachment ${String(a['filename'] ?? a['id'])} is at ${o ?? 'an unreadable URL'}, not on this connection's origin: it is fetched without the API token (set the connection's baseUrl to ${o ?? 'https://{company}.api.frontapp.com'} so that it is sent)`);
  }
  return { ...r, conversation_id: conversationId, ...(notes.length > 0 ? { [PULL_NOTES]: notes } : {}) };
}

/**
 * Front's burst limit on resource-intensive routes: 5 requests a second per resource (§5 Rate limits), a 429
 * even while the company's budget has room. Each child route is paced a little under it (the two run side
 * by side, so that together they can use the company's limit).
 */
export const BURST_PER_MINUTE = 270;

/** A conversation's messages (all pages, oldest first) or comments; none for a merged-away one (301) or one gone (404). */
function children(job: PullJob, kind: 'messages' | 'comments') {
  const route = new RateLimiter(BURST_PER_MINUTE, realClock, 1);
  return async (row: SnapshotRow, parent: Rec, signal: AbortSignal): Promise<Rec[]> => {
    if (parent['merged_into'] !== undefined) return [];
    const http = job.http!;
    const out: Rec[] = [];
    let url: string | undefined = http.resolve(`/conversations/${encodeURIComponent(row.id)}/${kind}`, kind === 'messages' ? { limit: PAGE_LIMIT, sort_order: 'asc' } : {}).href;
    while (url !== undefined) {
      signal.throwIfAborted();
      // §5: 301 when the conversation was merged (its records are pulled with the other one), 404 when gone.
      const page = await getPage(http, url, signal, [301, 404], route);
      if (page.status === 301 || page.status === 404) break;
      for (const r of page.results) out.push(withChildNotes(job, r, row.id));
      // Comments: the spec's list has no _pagination (§5); followed anyway should Front send one.
      url = page.next;
    }
    return out;
  };
}

async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  if (wanted.has('messages') || wanted.has('comments')) wanted.add('conversations');
  const stream = (name: string) => `${conn.name}.${name}`;
  const stop = job.signal;
  // The messages and comments routes each have their own burst limit (5/s): they run side by side, after the lists.
  const routes = new SideBySide(job);
  for (const name of ORDER) {
    if (!wanted.has(name)) continue;
    if (name === 'conversations') await pullConversations(job, stream(name), stop);
    else if (name === 'contacts') await pullList(job, stream(name), '/contacts', stop, { incremental: true });
    else if (name === 'teammates') await pullList(job, stream(name), '/teammates', stop);
    else if (name === 'tags') await pullList(job, stream(name), '/tags', stop, { query: { sort_by: 'id', limit: PAGE_LIMIT } });
    else if (name === 'inboxes') await pullList(job, stream(name), '/inboxes', stop);
    else routes.run(pullChildren(job, stream('conversations'), stream(name), routes.signal, children(job, name as 'messages' | 'comments')));
  }
  await routes.done();
}

export const frontKind: LiveKind = {
  kind: 'front',
  usesConnection: true,
  auth: [['token']],
  // Starter's limit, the lowest plan (§5 Rate limits: 50 / 100 / 200 a minute): set requestsPerMinute to the company's.
  defaultRequestsPerMinute: 50,
  since: true,
  streams: FRONT_STREAMS,
  sourceKeys: [],
  authHeaders: frontAuthHeaders,
  pull,
};

export { getPage };
