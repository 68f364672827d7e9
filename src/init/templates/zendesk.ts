/** `plain-migrate init --from zendesk`: Zendesk Support (API v2) exports. */
import { agentsTable, BATCHING, header, labelsTable, target } from './common.js';

export function zendesk(): string {
  return `${header(
    'Zendesk',
    'zendesk',
    'Export tickets, users and comments from the Zendesk API into ./export/, one JSON object per line\n#      (how: next to each source below). Base URL https://YOUR_SUBDOMAIN.zendesk.com/api/v2,\n#      Basic auth {email}/token:{api_token}.',
  )}${target('zendesk-to-plain')}
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

tables:                              # plain maps from a source value (compared as a string) to any YAML value
  status:                            # Zendesk status → Plain status and statusDetail
    new:     { status: TODO, statusDetail: NEW_REPLY }
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    hold:    { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    solved:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }   # Plain: 0 urgent · 1 high · 2 normal · 3 low; null → normal
${labelsTable(['billing', 'bug'])}${agentsTable()}
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
${BATCHING}`;
}
