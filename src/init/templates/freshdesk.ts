/** `plain-migrate init --from freshdesk [--target therethere] [--api]`: Freshdesk (API v2) exports, or a live pull. */
import { kit, type InitTarget } from './common.js';

const SOURCES = `
sources:
  tickets:
    # GET /api/v2/tickets?updated_since=2000-01-01T00:00:00Z&order_by=updated_at&order_type=asc&per_page=100&page=N
    # (without updated_since only the last 30 days are listed). One ticket per line:
    #   jq -c '.[]' tickets-*.json > export/tickets.jsonl
    path: export/tickets.jsonl
  conversations:
    # GET /api/v2/tickets/{id}/conversations for each ticket (replies and notes; each carries ticket_id).
    # The ticket's first message is not here: it is the ticket's description (added below).
    #   jq -c '.[]' conversations-*.json > export/conversations.jsonl
    path: export/conversations.jsonl
    groupBy: ticket_id
  contacts:
    # GET /api/v2/contacts (requesters and other customers):  jq -c '.[]' contacts-*.json > export/contacts.jsonl
    path: export/contacts.jsonl
    key: id
  agents:
    # GET /api/v2/agents ({id, contact: {name, email}}):  jq -c '.[]' agents-*.json > export/agents.jsonl
    path: export/agents.jsonl
    key: id
`;

/** `init --from freshdesk --api`: the same four sources, pulled from the API by a connection. */
const API_SOURCES = `
connections:
  freshdesk:
    kind: freshdesk
    baseUrl: https://YOUR_DOMAIN.freshdesk.com   # replace YOUR_DOMAIN (or the emulator: http://127.0.0.1:4852)
    auth:
      apiKey: \${FRESHDESK_API_KEY}    # Profile settings → View API key; sent as the Basic user (password X)
    requestsPerMinute: 200           # your plan's API limit: Growth 200, Pro 400, Enterprise 700 (the ticket and
                                     # contact lists get Freshdesk's own share of it: 20, 100, 200)
    # since: 2019-01-01              # optional: leave out tickets and contacts last changed before this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  tickets:                           # by updated_at, with description, requester and stats; spam tickets come with
    connection: freshdesk            # spam: true and deleted ones with deleted: true (both filtered out below)
    stream: tickets
  conversations:                     # each ticket's replies and private notes, with ticket_id
    connection: freshdesk
    stream: conversations
    groupBy: ticket_id               # $records('conversations', id) returns a ticket's conversations
  contacts:                          # requesters and other customers
    connection: freshdesk
    stream: contacts
    key: id
  agents:                            # {id, contact: {name, email}}
    connection: freshdesk
    stream: agents
    key: id
`;

const FILE_ATTACHMENTS = 'URLs need attachments.fetch headers';
const API_ATTACHMENTS = 'attachment_url is pre-signed and expires minutes after the pull: apply soon after pulling';
const FILE_WHERE = 'where: $not(spam = true)           # spam tickets are left out';
const API_WHERE = 'where: $not(spam = true) and $not(deleted = true)   # spam and deleted tickets are left out';

/** The ticket's description as its first message, then the conversations. */
const EACH = `    # The ticket's description is its first message; the conversations follow. Outbound-email tickets
    # (source 10) were started by an agent: the responder is taken as the description's author.
    each: |
      $append(
        [{
          'id': 'description',
          'body': description,
          'incoming': $not(source = 10),
          'private': false,
          'user_id': source = 10 ? responder_id : requester_id,
          'created_at': created_at
        }],
        $records('conversations', id)
      )
    externalId: "'fd-conv-' & $string(id)"   # unique within its thread
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:
  status:                            # Freshdesk status → Plain status and statusDetail
    "2": { status: TODO, statusDetail: IN_PROGRESS }             # Open
    "3": { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }  # Pending
    "4": { status: DONE, statusDetail: DONE_MANUALLY_SET }       # Resolved
    "5": { status: DONE, statusDetail: DONE_MANUALLY_SET }       # Closed
    _default: { status: TODO, statusDetail: IN_PROGRESS }        # custom statuses (6, 7, …): add a row for each of yours
  priority:                          # Freshdesk 1 Low · 2 Medium · 3 High · 4 Urgent → Plain 0 urgent .. 3 low
    "1": 3
    "2": 2
    "3": 1
    "4": 0
    _default: 2
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: tickets
  where: $not(spam = true)           # spam tickets are left out
  externalId: "'fd-' & $string(id)"  # unique, and Plain's idempotency key: keep it stable between runs
  title: subject
  externalUrl: "'https://YOUR_DOMAIN.freshdesk.com/a/tickets/' & $string(id)"   # replace YOUR_DOMAIN
  createdAt: created_at
  status: $table('status', status)
  priority: $table('priority', priority)
  labels: $table('labels', tags)
  assignee: $table('agents', $record('agents', responder_id).contact.email)   # responder_id: the assigned agent
  customer:
    email: $record('contacts', requester_id).email
    fullName: $record('contacts', requester_id).name
    externalId: "'fd-contact-' & $string(requester_id)"
  messages:
${EACH}    # private notes are NOTEs; incoming (from the customer's side) INBOUND; the rest OUTBOUND
    type: "private ? 'NOTE' : (incoming ? 'INBOUND' : 'OUTBOUND')"
    text: $htmlToMarkdown(body)      # body is HTML; body_text is the plain text
    createdAt: created_at
    # INBOUND: null means the thread's customer; another contact becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table.
    author: |
      incoming and $not(private)
        ? (user_id = $thread.requester_id
            ? null
            : { 'email': $record('contacts', user_id).email, 'fullName': $record('contacts', user_id).name })
        : $table('agents', $record('agents', user_id).contact.email)
    # attachments (uploaded by apply with each message; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': attachment_url, 'fileName': name, 'contentType': content_type, 'size': size }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # Freshdesk status → There There status: open | waiting | closed | spam
    "2": open                        # Open
    "3": waiting                     # Pending
    "4": closed                      # Resolved
    "5": closed                      # Closed
    _default: open                   # custom statuses (6, 7, …): add a row for each of yours
  # There There tickets have no priority: Freshdesk's is not carried (add a tag for it if you need it).
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: tickets
  where: $not(spam = true)           # spam tickets are left out (or keep them: status: "spam = true ? 'spam' : $table('status', status)")
  externalId: "'fd-' & $string(id)"  # unique; the ticket's external_id, so that importing it again returns it, not a copy
  title: subject                     # at most 255 characters (a longer one is cut, with a diagnostic)
  createdAt: created_at
  status: $table('status', status)   # open | waiting | closed | spam; default closed
  # closed_at, used only for closed tickets: ?include=stats on the ticket list adds stats.resolved_at;
  # without it updated_at is the nearest.
  closedAt: "stats.resolved_at ? stats.resolved_at : updated_at"
  labels: $table('labels', tags)     # tag names, at most 50
  assignee: $table('agents', $record('agents', responder_id).contact.email)   # responder_id: the assigned agent
  customer:                          # the ticket's contact: There There needs an email
    email: $record('contacts', requester_id).email
    fullName: $record('contacts', requester_id).name
  messages:
${EACH}    # private notes are notes; incoming (from the customer's side) inbound; the rest outbound
    type: "private ? 'note' : (incoming ? 'inbound' : 'outbound')"
    text: body                       # There There takes the HTML body as it is; body_text is the plain text
    createdAt: created_at
    # inbound: null. There There gives every inbound message the ticket's contact as author.
    # outbound and note: the member's email through the agents table; an agent with no row (one who left)
    # keeps their own email and name on the message.
    author: |
      incoming and $not(private)
        ? null
        : (
            $agent := $record('agents', user_id).contact;
            $member := $table('agents', $agent.email);
            { 'email': $member ? $member : $agent.email, 'name': $agent.name }
          )
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': attachment_url, 'fileName': name, 'contentType': content_type, 'size': size }"
`;
}

export function freshdesk(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  const body = target === 'plain' ? plain() : thereThere();
  if (opts.api) {
    return `${k.header(
      'Freshdesk',
      'freshdesk --api',
      'export FRESHDESK_API_KEY=… (an agent\'s API key: it sees what that agent sees), set baseUrl below, then\n#      plain-migrate pull   brings tickets, conversations, contacts and agents into a local snapshot (plan\n#      pulls first too; each later pull asks only for what changed since the last one).',
    )}${k.targetBlock('freshdesk')}${API_SOURCES}${body
      .replace(`# ${'attachments'}: "attachments.{ 'url'`, `attachments: "attachments.{ 'url'`)
      .replaceAll(FILE_ATTACHMENTS, API_ATTACHMENTS)
      .replace(FILE_WHERE, API_WHERE)}${k.batching}`;
  }
  return `${k.header(
    'Freshdesk',
    'freshdesk',
    'Export tickets, conversations, contacts and agents from the Freshdesk API into ./export/, one JSON\n#      object per line (how: next to each source below). Base URL https://YOUR_DOMAIN.freshdesk.com/api/v2,\n#      Basic auth with the API key as the user name and X as the password; ?page=N&per_page=100.\n#      Or pull straight from the API: plain-migrate init --from freshdesk --api',
  )}${k.targetBlock('freshdesk')}${SOURCES}${body}${k.batching}`;
}
