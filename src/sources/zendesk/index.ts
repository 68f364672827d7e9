/**
 * Zendesk Support as a live source (`kind: zendesk`). Streams and record shapes follow Airbyte's
 * source-zendesk-support, so a mapping written for such an export maps a live pull unchanged:
 *   tickets          cursor export on generated_timestamp; deleted tickets kept with status "deleted"
 *   users            cursor export
 *   organizations    time-based export (repeats at page edges: records upsert by id)
 *   ticket_fields    the whole list, every pull (small)
 *   ticket_comments  every comment (public replies and internal notes) of each ticket that changed since
 *                    the last pull, from the ticket's own comment list, with ticket_id added
 * See README.md in this folder for why comments come from per-ticket lists.
 */
import type { ConnectionDecl } from '../../manifest/types.js';
import { SideBySide, StreamProgress } from '../live/children.js';
import type { LiveKind, PullJob, StreamSpec } from '../live/types.js';
import { pullComments } from './comments.js';
import { pullCommentEvents, pullCursorExport, pullList, pullTimeExport } from './exports.js';

export const ZENDESK_STREAMS: Readonly<Record<string, StreamSpec>> = {
  tickets: { key: 'id', deleted: { field: 'status', value: 'deleted' }, description: 'tickets, by the incremental cursor export (deleted ones with status "deleted")' },
  users: { key: 'id', description: 'end users, agents and admins, by the incremental cursor export' },
  ticket_comments: { key: 'id', parent: { stream: 'tickets', field: 'ticket_id' }, description: "every ticket's comments and internal notes, with ticket_id" },
  organizations: { key: 'id', description: 'organizations, by the incremental time-based export' },
  ticket_fields: { key: 'id', description: 'the custom ticket fields (the whole list every pull)' },
};

/** The order the streams are started in. */
const ORDER = ['tickets', 'users', 'organizations', 'ticket_fields', 'ticket_comments'];

export function zendeskAuthHeaders(conn: ConnectionDecl): Record<string, string> {
  const a = conn.auth;
  if (a['oauthToken'] !== undefined) return { authorization: `Bearer ${a['oauthToken']}` };
  const basic = Buffer.from(`${a['email'] ?? ''}/token:${a['token'] ?? ''}`).toString('base64');
  return { authorization: `Basic ${basic}` };
}

/** How ticket_comments are pulled: each changed ticket's comment list (default), or the ticket events export. */
export type CommentsMethod = 'lists' | 'events';

function commentsMethod(job: PullJob): CommentsMethod {
  const src = job.sources.find((s) => s.stream === 'ticket_comments');
  return src?.options['method'] === 'events' ? 'events' : 'lists';
}

/**
 * The streams run side by side: the exports share Zendesk's 10-a-minute export limit, and the comments
 * follow the tickets export as its pages land, so the connection's own limit is used while the export
 * waits. The first failure stops the others (their committed pages stay) and is what the pull reports.
 */
async function pull(job: PullJob): Promise<void> {
  const conn = job.connection!;
  const wanted = new Set(job.sources.map((s) => s.stream));
  // Comments by lists follow the tickets stream's changes, so the tickets are brought up to date too.
  if (wanted.has('ticket_comments') && commentsMethod(job) === 'lists') wanted.add('tickets');
  const stream = (name: string) => `${conn.name}.${name}`;
  const streams = new SideBySide(job);
  const halt = streams.signal;
  const run = (p: Promise<void>) => streams.run(p);
  const progress = new StreamProgress();
  for (const name of ORDER) {
    if (!wanted.has(name)) continue;
    if (name === 'tickets') {
      // The comments follow the tickets export; if it fails they stop before seeing it as finished.
      streams.parent((onPage) => pullCursorExport(job, stream(name), name, halt, onPage), progress);
    } else if (name === 'users') {
      run(pullCursorExport(job, stream(name), name, halt));
    } else if (name === 'organizations') {
      run(pullTimeExport(job, stream(name), name, halt));
    } else if (name === 'ticket_fields') {
      run(pullList(job, stream(name), '/api/v2/ticket_fields.json', name, halt));
    } else if (commentsMethod(job) === 'events') {
      run(pullCommentEvents(job, stream(name), halt));
    } else {
      run(pullComments(job, stream('tickets'), stream(name), progress, halt));
    }
  }
  await streams.done();
}

export const zendeskKind: LiveKind = {
  kind: 'zendesk',
  usesConnection: true,
  auth: [['email', 'token'], ['oauthToken']],
  // Suite Team's limit, the lowest: set connections.<name>.requestsPerMinute to the account's plan.
  defaultRequestsPerMinute: 200,
  since: true,
  streams: ZENDESK_STREAMS,
  sourceKeys: ['method'],
  checkSource: (decl) => {
    const m = decl.options['method'];
    if (m === undefined) return [];
    if (decl.stream !== 'ticket_comments') return [{ message: `sources.${decl.name}.method applies to the ticket_comments stream only`, path: ['method'] }];
    return [];
  },
  authHeaders: zendeskAuthHeaders,
  pull,
};
