/**
 * Freshdesk as a live source (`kind: freshdesk`). Streams and record shapes follow Airbyte's
 * source-freshdesk, so a mapping written for such an export maps a live pull unchanged
 * (facts: ../shared/reference/source-apis.md §2, shapes: source-formats.md §2):
 *   tickets        the ticket list by updated_since, ordered by updated_at, with description, requester and
 *                  stats; then the spam and deleted listings (filter=spam, filter=deleted), kept with
 *                  `spam: true` / `deleted: true`; past page 300 the window moves forward (lists.ts)
 *   conversations  replies and private notes of each ticket that changed since the last pull, with ticket_id
 *   contacts       by _updated_since; soft-deleted ones (state=deleted) with `deleted: true`
 *   agents         the whole list, every pull
 *   companies      the whole list, every pull
 */
import type { ConnectionDecl } from '../../manifest/types.js';
import { SideBySide, StreamProgress } from '../live/children.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { pullConversations } from './conversations.js';
import { pullList, pullTickets } from './lists.js';

export const FRESHDESK_STREAMS: Readonly<Record<string, StreamSpec>> = {
  tickets: {
    key: 'id',
    deleted: { field: 'deleted', value: 'true' },
    description: 'tickets by updated_at (with description, requester, stats); spam ones with spam: true, deleted ones with deleted: true',
  },
  conversations: { key: 'id', parent: { stream: 'tickets', field: 'ticket_id' }, description: "every ticket's replies and private notes, with ticket_id" },
  contacts: { key: 'id', deleted: { field: 'deleted', value: 'true' }, description: 'contacts by _updated_since; soft-deleted ones with deleted: true' },
  agents: { key: 'id', description: 'agents, each with contact {name, email} (the whole list every pull)' },
  companies: { key: 'id', description: 'companies (the whole list every pull)' },
};

const ORDER = ['tickets', 'contacts', 'agents', 'companies', 'conversations'];

/** §2 Auth: Basic base64("{api_key}:X"). */
export function freshdeskAuthHeaders(conn: ConnectionDecl): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${conn.auth['apiKey'] ?? ''}:X`).toString('base64')}` };
}

/** The streams run side by side (the listings under the list limit, the conversations under the account's); the first failure stops the rest. */
async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  if (wanted.has('conversations')) wanted.add('tickets');
  const stream = (name: string) => `${conn.name}.${name}`;
  const streams = new SideBySide(job);
  const halt = streams.signal;
  const run = (p: Promise<void>) => streams.run(p);
  const progress = new StreamProgress();
  for (const name of ORDER) {
    if (!wanted.has(name)) continue;
    if (name === 'tickets') {
      streams.parent((onPage) => pullTickets(job, stream(name), halt, onPage), progress);
    } else if (name === 'contacts') {
      run(pullList(job, stream(name), '/api/v2/contacts', halt, { incremental: '_updated_since', pacer: true, deletedListing: { state: 'deleted' } }));
    } else if (name === 'agents') {
      run(pullList(job, stream(name), '/api/v2/agents', halt));
    } else if (name === 'companies') {
      run(pullList(job, stream(name), '/api/v2/companies', halt));
    } else {
      run(pullConversations(job, stream('tickets'), stream(name), progress, halt));
    }
  }
  await streams.done();
}

export const freshdeskKind: LiveKind = {
  kind: 'freshdesk',
  usesConnection: true,
  auth: [['apiKey']],
  // Growth's limit, the lowest paid plan (§2 Rate limits): set connections.<name>.requestsPerMinute to the account's.
  defaultRequestsPerMinute: 200,
  since: true,
  streams: FRESHDESK_STREAMS,
  sourceKeys: [],
  authHeaders: freshdeskAuthHeaders,
  pull,
};
