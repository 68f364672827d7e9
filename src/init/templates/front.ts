/** `plain-migrate init --from front [--target therethere]`: Front Core API exports. */
import { kit, textToHtml, type InitTarget } from './common.js';

const SOURCES = `
sources:
  conversations:
    # GET /conversations?limit=100 (follow _pagination.next). One per line:
    #   jq -c '._results[]' conversations-*.json > export/conversations.jsonl
    path: export/conversations.jsonl
  messages:
    # GET /conversations/{id}/messages for each conversation (newest first; sent oldest first anyway).
    #   jq -c '._results[]' messages-*.json > export/messages.jsonl
    path: export/messages.jsonl
    # each message links to its conversation: .../conversations/cnv_123 → cnv_123
    # (if you add a conversation_id to each line yourself, write groupBy: conversation_id)
    groupBy: $split(_links.related.conversation, '/')[-1]
  comments:
    # GET /conversations/{id}/comments for each conversation: the internal discussion, imported as notes.
    #   jq -c '._results[]' comments-*.json > export/comments.jsonl
    path: export/comments.jsonl
    groupBy: $split(_links.related.conversation, '/')[-1]
`;

/** `init --from front --api`: the same sources, pulled from the Core API by a connection. */
const API_SOURCES = `
connections:
  front:
    kind: front
    baseUrl: https://YOUR_COMPANY.api.frontapp.com   # your company's API host (its pagination links and attachment
                                     # URLs are on it, so the token goes with them); or the emulator: http://localhost:4855
    auth:
      token: \${FRONT_API_TOKEN}     # Settings → Developers → API tokens (scopes: conversations, messages, comments,
                                     # contacts, events, tags, teammates, inboxes :read); sent as Bearer
    requestsPerMinute: 50            # your plan's limit: Starter 50, Professional 100, Enterprise 200 (429 Retry-After obeyed)
    # since: 2019-01-01              # optional: leave out conversations and contacts last changed before this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  conversations:                     # a full listing first, then only Front's events since the last pull; trashed
    connection: front                # ones come with status "deleted", merged-away ones with merged_into (both left out below)
    stream: conversations
  messages:                          # each changed conversation's messages, oldest first, with conversation_id
    connection: front
    stream: messages
    groupBy: conversation_id
  comments:                          # each changed conversation's comments (Front's internal discussion), with conversation_id
    connection: front
    stream: comments
    groupBy: conversation_id
`;

const FILE_WHERE = "where: $not(status = 'deleted')    # deleted conversations are left out";
const API_WHERE = "where: $not(status = 'deleted') and $not($exists(merged_into))   # trashed and merged-away conversations are left out";
const FILE_ATTACHMENTS = "# attachments: \"attachments.{";

const threadsHead = (idempotency: string): string => `threads:
  source: conversations
  where: $not(status = 'deleted')    # deleted conversations are left out
  externalId: "'front-' & id"        # cnv_…; unique, and ${idempotency}
  title: "subject ? subject : '(no subject)'"
`;

const EACH = `    each: $append($records('messages', id), $records('comments', id))
    where: $not(draft_mode in ['shared', 'private'])   # drafts are not messages
    externalId: "'front-' & id"      # msg_… or com_…; unique within its thread
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:
  status:                            # Front status_category (ticketing) or legacy status → Plain status and statusDetail
    open:       { status: TODO, statusDetail: IN_PROGRESS }
    waiting:    { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    resolved:   { status: DONE, statusDetail: DONE_MANUALLY_SET }
    assigned:   { status: TODO, statusDetail: IN_PROGRESS }
    unassigned: { status: TODO, statusDetail: NEW_REPLY }
    archived:   { status: DONE, statusDetail: DONE_MANUALLY_SET }
  # Front has no priority: every thread gets Plain's default, 2 (normal). Map a tag or custom field
  # to one with a table and threads.priority if you have one.
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("Plain's idempotency key")}  externalUrl: "'https://app.frontapp.com/open/' & id"
  createdAt: $toISO(created_at)      # epoch seconds (float)
  status: "$table('status', status_category ? status_category : status)"
  labels: $table('labels', tags.name)
  assignee: $table('agents', assignee.email)   # a Front teammate {id, email, …} or null
  # The conversation's contact. Plain needs an email: conversations whose contact handle is a phone number
  # (SMS, WhatsApp) are reported invalid unless you map them to an email.
  customer:
    email: recipient.handle
    fullName: recipient.name
    externalId: "recipient._links.related.contact ? 'front-' & $split(recipient._links.related.contact, '/')[-1]"
  messages:
${EACH}    # comments (they have posted_at) are NOTEs; messages are INBOUND or OUTBOUND by is_inbound
    type: "$exists(posted_at) ? 'NOTE' : (is_inbound ? 'INBOUND' : 'OUTBOUND')"
    text: "$exists(posted_at) ? body : $htmlToMarkdown(body)"   # a comment's body is text, a message's HTML
    createdAt: "$toISO($exists(posted_at) ? posted_at : created_at)"
    # INBOUND: null means the thread's customer; another sender (the "from" recipient) becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table.
    author: |
      $exists(posted_at) or $not(is_inbound)
        ? $table('agents', author.email)
        : (recipients[role = 'from'].handle = $thread.recipient.handle
            ? null
            : { 'email': recipients[role = 'from'].handle, 'fullName': recipients[role = 'from'].name })
    # attachments (uploaded by apply with each message; the url needs your API token):
    # attachments: "attachments.{ 'url': url, 'fileName': filename, 'contentType': content_type, 'size': size, 'inline': metadata.is_inline }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # Front status_category (ticketing) or legacy status → There There status: open | waiting | closed | spam
    open:       open
    waiting:    waiting
    resolved:   closed
    assigned:   open
    unassigned: open
    archived:   closed
  # Front has no priority, and There There tickets have none either.
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("There There's external_id")}  createdAt: $toISO(created_at)      # epoch seconds (float)
  status: "$table('status', status_category ? status_category : status)"   # open | waiting | closed | spam; default closed
  # Front's conversations carry no closing time: closed_at is left to There There (closedAt: … if you have one).
  labels: $table('labels', tags.name)   # tag names, at most 50
  assignee: $table('agents', assignee.email)   # a Front teammate {id, email, …} or null → a member's email
  # The conversation's contact. There There needs an email: conversations whose contact handle is a phone
  # number (SMS, WhatsApp) are reported invalid unless you map them to an email.
  customer:
    email: recipient.handle
    fullName: recipient.name
  messages:
${EACH}    # comments (they have posted_at) are notes; messages are inbound or outbound by is_inbound
    type: "$exists(posted_at) ? 'note' : (is_inbound ? 'inbound' : 'outbound')"
    # There There takes an HTML body: a message's is HTML already; a comment's is text, escaped here
    # with its line breaks kept
    text: |
      $exists(posted_at)
        ? ${textToHtml('body')}
        : body
    createdAt: "$toISO($exists(posted_at) ? posted_at : created_at)"
    # inbound: null. There There gives every inbound message the ticket's contact as author.
    # outbound and note: the member's email through the agents table; a teammate with no row (one who
    # left) keeps their own email and name on the message.
    author: |
      $exists(posted_at) or $not(is_inbound)
        ? (
            $member := $table('agents', author.email);
            { 'email': $member ? $member : author.email, 'name': $join([author.first_name, author.last_name], ' ') }
          )
        : null
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; the url needs your API token):
    # attachments: "attachments.{ 'url': url, 'fileName': filename, 'contentType': content_type, 'size': size, 'inline': metadata.is_inline }"
`;
}

export function front(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  if (opts.api) {
    const body = target === 'plain' ? plain() : thereThere();
    return `${k.header(
      'Front',
      'front --api',
      'export FRONT_API_TOKEN=… (a company API token), set baseUrl below, then\n#      plain-migrate pull   brings conversations, messages and comments into a local snapshot (plan pulls\n#      first too; each later pull reads only the events since the last one, 15 a page).',
      ['Front times are epoch seconds with a fraction (1701292649.333): $toISO turns them into ISO 8601 UTC.'],
    )}${k.targetBlock('front')}${API_SOURCES}${body
      .replace(FILE_WHERE, API_WHERE)
      .replace(FILE_ATTACHMENTS, 'attachments: "attachments.{')
      .replace('(uploaded by apply with each message; the url needs your API token):', '(uploaded by apply with each message, fetched with the API token on baseUrl\'s origin):')
      .replace('(uploaded by apply with each message: at most 10 files of 25 MB; the url needs your API token):', '(at most 10 files of 25 MB, fetched with the API token on baseUrl\'s origin):')}${k.batching}`;
  }
  return `${k.header(
    'Front',
    'front',
    'Export conversations, messages and comments from the Front Core API into ./export/, one JSON object\n#      per line (how: next to each source below). Base URL https://api2.frontapp.com, Authorization:\n#      Bearer <API token>; ?limit=100, then follow _pagination.next.',
    ['Front times are epoch seconds with a fraction (1701292649.333): $toISO turns them into ISO 8601 UTC.'],
  )}${k.targetBlock('front')}${SOURCES}${target === 'plain' ? plain() : thereThere()}${k.batching}`;
}
