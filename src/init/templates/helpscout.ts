/** `plain-migrate init --from helpscout [--target therethere] [--api]`: Help Scout Mailbox API 2.0 exports, or a live pull. */
import { kit, type InitTarget } from './common.js';

const SOURCES = `
sources:
  conversations:
    # GET /v2/conversations?mailbox={id}&status=all&embed=threads&page=N (25 per page; follow _links.next).
    # Each conversation carries its threads (messages, replies, notes) under _embedded.threads. One per line:
    #   jq -c '._embedded.conversations[]' page-*.json > export/conversations.jsonl
    # If you fetched threads separately (GET /v2/conversations/{id}/threads), put them in a second source with
    # a conversation_id and groupBy: conversation_id, and use each: $records('threads', id) below.
    path: export/conversations.jsonl
`;

/** `init --from helpscout --api`: the same data pulled from the API by a connection (src/sources/helpscout/). */
const API_SOURCES = `
connections:
  helpscout:
    kind: helpscout
    baseUrl: https://api.helpscout.net   # Help Scout's API (or the emulator: http://127.0.0.1:4853)
    auth:                            # an OAuth2 app: Your Profile → My Apps → Create My App
      clientId: \${HELPSCOUT_CLIENT_ID}     # exchanged for an access token, renewed before it expires;
      clientSecret: \${HELPSCOUT_CLIENT_SECRET}   # the token is kept in memory only
    requestsPerMinute: 200           # your plan's API limit (shared by every app of the account)
    # since: 2019-01-01              # optional: leave out conversations and customers last changed before this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  conversations:                     # every status (active, pending, closed, spam); deleted ones with state "deleted"
    connection: helpscout
    stream: conversations
  threads:                           # each conversation's threads (newest first in Help Scout), with conversation_id
    connection: helpscout
    stream: conversation_threads
    groupBy: conversation_id         # $records('threads', id) returns a conversation's threads
`;

const FILE_EACH = '    each: _embedded.threads          # newest first in Help Scout; sent oldest first\n';
const API_EACH = "    each: $records('threads', id)    # newest first in Help Scout; sent oldest first (by createdAt)\n";
/** Pulled from the API, attachments are on: their data link is fetched with the connection's token (and decoded: it answers base64 in JSON). */
function apiAttachments(body: string): string {
  return body
    .replace('the data link needs your OAuth token', "the data link is fetched with the connection's token")
    .replace(`# attachments: "_embedded.attachments.{ 'url': _links.web.href`, `attachments: "_embedded.attachments.{ 'url': _links.data.href`);
}

const threadsHead = (idempotency: string): string => `threads:
  source: conversations
  where: $not(state in ['draft', 'deleted'])   # drafts and deleted conversations are left out
  externalId: "'hs-' & $string(id)"  # unique, and ${idempotency}: keep it stable between runs
  title: "subject ? subject : 'Conversation #' & $string(number)"   # chats and calls may have no subject
`;

const EACH = `    each: _embedded.threads          # newest first in Help Scout; sent oldest first
    # customer messages, replies, notes, agent-started messages, chats and calls; not drafts, and not
    # lineitem (activity such as "assigned to …") or forward threads
    where: "type in ['customer', 'reply', 'note', 'message', 'chat', 'phone'] and $not(state in ['draft', 'hidden'])"
    externalId: "'hs-thread-' & $string(id)"   # unique within its thread
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:
  status:                            # Help Scout status → Plain status and statusDetail
    active:  { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    spam:    { status: DONE, statusDetail: IGNORED }
    _default: { status: TODO, statusDetail: IN_PROGRESS }
  # Help Scout has no priority: every thread gets Plain's default, 2 (normal). Map a tag or custom field
  # to one with a table and threads.priority if you have one.
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("Plain's idempotency key")}  externalUrl: "'https://secure.helpscout.net/conversation/' & $string(id) & '/' & $string(number)"
  createdAt: createdAt
  status: $table('status', status)
  labels: $table('labels', tags.tag) # tags are {id, tag, color}
  assignee: $table('agents', assignee.email)
  customer:
    email: primaryCustomer.email
    fullName: $join([primaryCustomer.first, primaryCustomer.last], ' ')
    externalId: "'hs-customer-' & $string(primaryCustomer.id)"
  messages:
${EACH}    type: "type = 'note' ? 'NOTE' : (createdBy.type = 'customer' ? 'INBOUND' : 'OUTBOUND')"
    text: $htmlToMarkdown(body)      # body is HTML
    createdAt: createdAt
    # INBOUND: null means the thread's customer; another customer (e.g. a CC who replied) becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table.
    author: |
      createdBy.type = 'customer'
        ? (createdBy.email = $thread.primaryCustomer.email
            ? null
            : { 'email': createdBy.email, 'fullName': $join([createdBy.first, createdBy.last], ' ') })
        : $table('agents', createdBy.email)
    # attachments (uploaded by apply with each message; the data link needs your OAuth token):
    # attachments: "_embedded.attachments.{ 'url': _links.web.href, 'fileName': filename, 'contentType': mimeType, 'size': size }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # Help Scout status → There There status: open | waiting | closed | spam
    active:  open
    pending: waiting
    closed:  closed
    spam:    spam
    _default: open
  # Help Scout has no priority, and There There tickets have none either.
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("There There's external_id")}  createdAt: createdAt
  status: $table('status', status)   # open | waiting | closed | spam; default closed
  closedAt: closedAt                 # closed_at, used only for closed tickets
  labels: $table('labels', tags.tag) # tags are {id, tag, color}; tag names, at most 50
  assignee: $table('agents', assignee.email)   # a member's email
  customer:                          # the ticket's contact: There There needs an email
    email: primaryCustomer.email
    fullName: $join([primaryCustomer.first, primaryCustomer.last], ' ')
  messages:
${EACH}    type: "type = 'note' ? 'note' : (createdBy.type = 'customer' ? 'inbound' : 'outbound')"
    text: body                       # There There takes the HTML body as it is
    createdAt: createdAt
    # inbound: null. There There gives every inbound message the ticket's contact as author (a CC's reply too).
    # outbound and note: the member's email through the agents table; a user with no row (one who left)
    # keeps their own email and name on the message.
    author: |
      createdBy.type = 'customer'
        ? null
        : (
            $member := $table('agents', createdBy.email);
            { 'email': $member ? $member : createdBy.email, 'name': $join([createdBy.first, createdBy.last], ' ') }
          )
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; the data link needs your OAuth token):
    # attachments: "_embedded.attachments.{ 'url': _links.web.href, 'fileName': filename, 'contentType': mimeType, 'size': size }"
`;
}

export function helpscout(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  if (opts.api) {
    const body = apiAttachments((target === 'plain' ? plain() : thereThere()).replace(FILE_EACH, API_EACH));
    return `${k.header(
      'Help Scout',
      'helpscout --api',
      'export HELPSCOUT_CLIENT_ID=… HELPSCOUT_CLIENT_SECRET=… (an OAuth2 app\'s), then\n#      plain-migrate pull   brings conversations and their threads into a local snapshot (plan pulls first too;\n#      each later pull asks only for what changed since the last one).',
    )}${k.targetBlock('helpscout')}${API_SOURCES}${body}${k.batching}`;
  }
  return `${k.header(
    'Help Scout',
    'helpscout',
    'Export conversations, with their threads embedded, from the Help Scout Mailbox API into ./export/, one\n#      JSON object per line (how: next to the source below). Base URL https://api.helpscout.net/v2, OAuth2\n#      client credentials (POST /v2/oauth2/token).',
  )}${k.targetBlock('helpscout')}${SOURCES}${target === 'plain' ? plain() : thereThere()}${k.batching}`;
}
