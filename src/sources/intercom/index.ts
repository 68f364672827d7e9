/**
 * Intercom as a live source (`kind: intercom`). Streams and record shapes follow Airbyte's source-intercom,
 * so a mapping written for such an export maps a live pull unchanged (facts: ../shared/reference/source-apis.md
 * §4, shapes: source-formats.md §4):
 *   conversations       POST /conversations/search on updated_at, ascending (§0: the endpoint incremental pulls
 *                       hinge on; the list endpoint shifts, intercom-node#211); then the deleted listing: those
 *                       the snapshot holds are kept with `deleted: true` and `deleted_at`
 *   conversation_parts  each changed conversation's parts (GET /conversations/{id}), with conversation_id; past
 *                       Intercom's 500-part cap, with conversation_parts_total (parts.ts)
 *   contacts            POST /contacts/search on updated_at (a day's padding: it matches by whole day, §4)
 *   admins              GET /admins, the whole list every pull
 *   tags                GET /tags, the whole list every pull
 * Times are unix seconds, as Intercom sends them.
 */
import type { ConnectionDecl } from '../../manifest/types.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { pullDeleted, pullWhole } from './lists.js';
import { pullParts } from './parts.js';
import { pullSearch } from './search.js';

/** §4 Auth: the version pinned in every request. 2.16 is the first with GET /conversations/deleted (§4 Endpoints); `headers: {Intercom-Version: …}` on the connection overrides it. */
export const INTERCOM_VERSION = '2.16';

/** §4: the base URL of each region's workspaces. */
export const INTERCOM_REGIONS: Readonly<Record<'us' | 'eu' | 'au', string>> = {
  us: 'https://api.intercom.io',
  eu: 'https://api.eu.intercom.io',
  au: 'https://api.au.intercom.io',
};

export const INTERCOM_STREAMS: Readonly<Record<string, StreamSpec>> = {
  conversations: {
    key: 'id',
    deleted: { field: 'deleted', value: 'true' },
    description: 'conversations by updated_at (the search endpoint: no conversation_parts); deleted ones with deleted: true and deleted_at',
  },
  conversation_parts: {
    key: 'id',
    parent: { stream: 'conversations', field: 'conversation_id' },
    description: "every conversation's parts (comments, notes, events), with conversation_id; past Intercom's 500-part cap, with conversation_parts_total",
  },
  contacts: { key: 'id', description: 'users and leads by updated_at (merged contacts vanish from the API)' },
  admins: { key: 'id', description: 'teammates (the whole list every pull)' },
  tags: { key: 'id', description: 'tags (the whole list every pull)' },
};

/** §4 Auth: Bearer, the pinned Intercom-Version, Accept JSON. */
export function intercomAuthHeaders(conn: ConnectionDecl): Record<string, string> {
  const own = Object.keys(conn.headers).some((k) => k.toLowerCase() === 'intercom-version');
  return { authorization: `Bearer ${conn.auth['accessToken'] ?? ''}`, ...(own ? {} : { 'intercom-version': INTERCOM_VERSION }) };
}

async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  if (wanted.has('conversation_parts')) wanted.add('conversations');
  const stream = (name: string) => `${conn.name}.${name}`;
  const stop = job.signal;
  if (wanted.has('conversations')) {
    const s = stream('conversations');
    job.emit({ type: 'stream-start', stream: s });
    const cursor = await pullSearch(job, s, '/conversations/search', 'conversations', stop, { complete: false });
    await pullDeleted(job, s, cursor, stop);
    job.emit({ type: 'stream-done', stream: s });
  }
  if (wanted.has('conversation_parts')) await pullParts(job, stream('conversations'), stream('conversation_parts'), stop);
  if (wanted.has('contacts')) {
    const s = stream('contacts');
    job.emit({ type: 'stream-start', stream: s });
    await pullSearch(job, s, '/contacts/search', 'data', stop, { byDay: true, complete: true });
    job.emit({ type: 'stream-done', stream: s });
  }
  for (const [name, path, key] of [['admins', '/admins', 'admins'], ['tags', '/tags', 'data']] as const) {
    if (!wanted.has(name)) continue;
    job.emit({ type: 'stream-start', stream: stream(name) });
    await pullWhole(job, stream(name), path, key, stop);
    job.emit({ type: 'stream-done', stream: stream(name) });
  }
}

export const intercomKind: LiveKind = {
  kind: 'intercom',
  usesConnection: true,
  auth: [['accessToken']],
  // §4 Rate limits: a private app's 10,000 a minute (enforced in 10-second windows; X-RateLimit-Reset obeyed on a 429).
  defaultRequestsPerMinute: 10_000,
  since: true,
  streams: INTERCOM_STREAMS,
  sourceKeys: [],
  authHeaders: intercomAuthHeaders,
  pull,
};
