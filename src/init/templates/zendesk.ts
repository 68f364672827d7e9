/** `plain-migrate init --from zendesk [--target therethere]`: Zendesk Support (API v2) exports. */
import { kit, type InitTarget } from './common.js';

const SOURCES = `
sources:
  tickets:
    # GET /api/v2/incremental/tickets/cursor.json?start_time=0, then ?cursor={after_cursor} until end_of_stream
    # is true (10 requests/minute). One ticket per line:  jq -c '.tickets[]' page-*.json > export/tickets.jsonl
    # Use the cursor-based export: the time-based one can repeat a ticket, and plan reports a repeated
    # externalId as invalid. Deleted tickets come with status "deleted" (filtered out below).
    path: export/tickets.jsonl       # .jsonl .ndjson .json .csv, each optionally .gz; read as a stream
  users:
    # GET /api/v2/incremental/users/cursor.json?start_time=0: requesters, agents and CCs with their emails.
    #   jq -c '.users[]' page-*.json > export/users.jsonl
    path: export/users.jsonl
    key: id                          # $record('users', requester_id) finds a user by id
  comments:
    # GET /api/v2/tickets/{id}/comments for each ticket (cursor pagination: ?page[size]=100). Zendesk's
    # comments do not name their ticket, so add ticket_id to each:
    #   jq -c --argjson t 123 '.comments[] | .ticket_id = $t' comments-123.json >> export/comments.jsonl
    # (Airbyte's ticket_comments stream already carries ticket_id.) The first comment is the ticket's description.
    path: export/comments.jsonl
    groupBy: ticket_id               # $records('comments', id) returns a ticket's comments
`;

/** `init --from zendesk --api`: the same three sources, pulled from the API by a connection. */
const API_SOURCES = `
connections:
  zendesk:
    kind: zendesk
    baseUrl: https://YOUR_SUBDOMAIN.zendesk.com   # replace YOUR_SUBDOMAIN (or the emulator: http://127.0.0.1:4851)
    auth:                            # or  auth: { oauthToken: \${ZENDESK_OAUTH_TOKEN} }
      email: \${ZENDESK_EMAIL}         # an administrator: the incremental exports are for admins only
      token: \${ZENDESK_API_TOKEN}     # Admin Center → Apps and integrations → Zendesk API → API token
    requestsPerMinute: 200           # your plan's API limit: Team 200, Growth/Professional 400, Enterprise 700
    # since: 2019-01-01              # optional: leave out tickets and users last changed before this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  tickets:                           # the incremental cursor export; deleted tickets come with status "deleted"
    connection: zendesk
    stream: tickets
  users:                             # requesters, agents and CCs with their emails and roles
    connection: zendesk
    stream: users
    key: id                          # $record('users', requester_id) finds a user by id
  comments:                          # every comment and internal note of each ticket, with ticket_id added
    connection: zendesk
    stream: ticket_comments
    groupBy: ticket_id               # $records('comments', id) returns a ticket's comments
`;

const FILE_ATTACHMENTS = 'URLs need attachments.fetch headers';
const API_ATTACHMENTS = "fetched with the connection's credentials";

function plain(): string {
  const k = kit('plain');
  return `
tables:                              # plain maps from a source value (compared as a string) to any YAML value
  status:                            # Zendesk status → Plain status and statusDetail
    new:     { status: TODO, statusDetail: NEW_REPLY }
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    hold:    { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    solved:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }   # Plain: 0 urgent · 1 high · 2 normal · 3 low; null → normal
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: tickets                    # one Plain thread per ticket
  where: status != 'deleted'         # records this is false for are left out (plan counts them)
  externalId: "'zd-' & $string(id)"  # unique, and Plain's idempotency key: keep it stable between runs
  title: subject
  externalUrl: "'https://YOUR_SUBDOMAIN.zendesk.com/agent/tickets/' & $string(id)"   # replace YOUR_SUBDOMAIN
  createdAt: created_at              # ISO 8601; not in the future
  status: $table('status', status)   # an object {status, statusDetail} or a bare TODO | SNOOZED | DONE
  priority: $table('priority', priority)
  labels: $table('labels', tags)     # a list in, a list out; null rows are dropped
  assignee: $table('agents', $record('users', assignee_id).email)   # unassigned tickets stay unassigned
  customer:                          # Plain needs an email to create the customer
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name    # defaults to the email's local part
    externalId: "'zd-user-' & $string(requester_id)"
  messages:
    each: $records('comments', id)   # the ticket's comments, in any order: they are sent oldest first
    externalId: "'zd-comment-' & $string(id)"   # unique within its thread
    # public comments by end-users are INBOUND, by agents OUTBOUND; internal comments (public: false) are NOTEs
    type: "public ? ($record('users', author_id).role = 'end-user' ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: $htmlToMarkdown(html_body)  # html_body keeps links and formatting; body is the plain text
    createdAt: created_at
    # INBOUND: null means the thread's customer; a CC'd end-user becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table.
    author: |
      (
        $user := $record('users', author_id);
        $user.role = 'end-user'
          ? (author_id = $thread.requester_id ? null : { 'email': $user.email, 'fullName': $user.name })
          : $table('agents', $user.email)
      )
    # attachments (uploaded by apply with each message; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': content_url, 'fileName': file_name, 'contentType': content_type, 'size': size, 'inline': inline }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:                              # plain maps from a source value (compared as a string) to any YAML value
  status:                            # Zendesk status → There There status: open | waiting | closed | spam
    new:     open
    open:    open
    hold:    open                    # on-hold (waiting on a third party): still the team's to do
    pending: waiting                 # waiting for the customer's reply
    solved:  closed
    closed:  closed
  # There There tickets have no priority: Zendesk's is not carried (add a tag for it if you need it).
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: tickets                    # one There There ticket per Zendesk ticket
  where: status != 'deleted'         # records this is false for are left out (plan counts them)
  externalId: "'zd-' & $string(id)"  # unique; the ticket's external_id, so that importing it again returns it, not a copy
  title: subject                     # the subject: at most 255 characters (a longer one is cut, with a diagnostic)
  createdAt: created_at              # ISO 8601; in the past
  status: $table('status', status)   # open | waiting | closed | spam; default closed
  # closed_at, used only for closed tickets. A Zendesk ticket carries no solve time: updated_at is the
  # nearest (?include=metric_sets on the ticket export adds metric_set.solved_at).
  closedAt: updated_at
  labels: $table('labels', tags)     # tag names, at most 50; a list in, a list out; null rows are dropped
  assignee: $table('agents', $record('users', assignee_id).email)   # a member's email; unassigned tickets stay unassigned
  customer:                          # the ticket's contact: There There needs an email, and reuses the contact with that email
    email: $record('users', requester_id).email
    fullName: $record('users', requester_id).name
  messages:
    each: $records('comments', id)   # the ticket's comments, in any order: they are sent oldest first
    externalId: "'zd-comment-' & $string(id)"   # unique within its ticket
    # public comments by end-users are inbound, by agents outbound; internal comments (public: false) are notes
    type: "public ? ($record('users', author_id).role = 'end-user' ? 'inbound' : 'outbound') : 'note'"
    text: html_body                  # There There takes the HTML body as it is; body is the plain text
    createdAt: created_at
    # inbound: null. There There gives every inbound message the ticket's contact as author (a CC'd end-user's too).
    # outbound and note: the member's email through the agents table; an agent with no row (one who left)
    # keeps their own email and name on the message, without becoming a (billable) member.
    author: |
      (
        $user := $record('users', author_id);
        $user.role = 'end-user'
          ? null
          : (
              $member := $table('agents', $user.email);
              { 'email': $member ? $member : $user.email, 'name': $user.name }
            )
      )
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': content_url, 'fileName': file_name, 'contentType': content_type, 'size': size, 'inline': inline }"
`;
}

export function zendesk(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  const body = target === 'plain' ? plain() : thereThere();
  if (opts.api) {
    return `${k.header(
      'Zendesk',
      'zendesk --api',
      'export ZENDESK_EMAIL=… ZENDESK_API_TOKEN=… (an administrator\'s API token), set baseUrl below, then\n#      plain-migrate pull   brings tickets, users and comments into a local snapshot (plan pulls first too;\n#      each later pull asks only for what changed since the last one).',
    )}${k.targetBlock('zendesk')}${API_SOURCES}${body
      .replace(`# ${'attachments'}: "attachments.{ 'url'`, `attachments: "attachments.{ 'url'`)
      .replaceAll(FILE_ATTACHMENTS, API_ATTACHMENTS)}${k.batching}`;
  }
  return `${k.header(
    'Zendesk',
    'zendesk',
    'Export tickets, users and comments from the Zendesk API into ./export/, one JSON object per line\n#      (how: next to each source below). Base URL https://YOUR_SUBDOMAIN.zendesk.com/api/v2,\n#      Basic auth {email}/token:{api_token}. Or pull straight from the API: plain-migrate init --from zendesk --api',
  )}${k.targetBlock('zendesk')}${SOURCES}${body}${k.batching}`;
}
