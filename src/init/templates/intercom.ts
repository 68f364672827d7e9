/** `plain-migrate init --from intercom [--target therethere] [--api]`: Intercom REST API (2.x) exports, or a live pull. */
import { kit, userId, type InitTarget } from './common.js';

const SOURCES = `
sources:
  conversations:
    # List the ids with GET /conversations?per_page=150&starting_after=… (or POST /conversations/search on
    # updated_at), then GET /conversations/{id} for each: only that returns conversation_parts (at most 500).
    #   jq -c '.' conversation-*.json > export/conversations.jsonl
    path: export/conversations.jsonl
  contacts:
    # GET /contacts?per_page=150&starting_after=… (users and leads, with their emails):
    #   jq -c '.data[]' contacts-*.json > export/contacts.jsonl
    path: export/contacts.jsonl
    key: id
  admins:
    # GET /admins (teammates, for the assignee):  jq -c '.admins[]' admins.json > export/admins.jsonl
    path: export/admins.jsonl
    key: id
`;

/** `init --from intercom --api`: the same sources, pulled from the API by a connection (source-apis.md §4). */
const API_SOURCES = `
connections:
  intercom:
    kind: intercom
    baseUrl: https://api.intercom.io   # your workspace's region: EU https://api.eu.intercom.io, AU https://api.au.intercom.io
                                       # (or the emulator: http://127.0.0.1:4854)
    auth:
      accessToken: \${INTERCOM_ACCESS_TOKEN}   # Developer Hub → your app → Authentication; sent as Bearer with Intercom-Version 2.16
    requestsPerMinute: 1000          # under your app's limit (10,000 a minute, counted in 10-second windows)
    # since: 2019-01-01              # optional: leave out conversations and contacts last changed before this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  conversations:                     # by updated_at (the search endpoint); deleted ones with deleted: true (filtered out below)
    connection: intercom
    stream: conversations
  parts:                             # each conversation's parts (comments, notes, events), with conversation_id
    connection: intercom
    stream: conversation_parts
    groupBy: conversation_id         # $records('parts', id) returns a conversation's parts
  contacts:                          # users and leads, with their emails
    connection: intercom
    stream: contacts
    key: id
  admins:                            # teammates, for the assignee
    connection: intercom
    stream: admins
    key: id
`;

/**
 * The API variant's messages: the opening message, then a note when Intercom's API kept back earlier parts
 * (it returns only the 500 most recent; the pull marks such parts with conversation_parts_total), then the parts.
 */
const API_EACH = `    # The opening message is the conversation's source; the replies and notes are its parts. Intercom's API
    # returns only the 500 most recent parts of a conversation: a note says how many earlier ones were not available.
    each: |
      (
        $parts := $records('parts', id);
        $total := $max($parts.conversation_parts_total);
        $missing := $total ? $total - $count($parts) : 0;
        $append(
          $append(
            [{ 'id': 'source-' & source.id, 'part_type': 'comment', 'body': source.body, 'author': source.author, 'created_at': created_at }],
            $missing > 0
              ? [{ 'id': 'missing-parts', 'part_type': 'note', 'body': '<p>' & $string($missing) & ' earlier parts were not available from the Intercom API</p>', 'author': { 'type': 'bot' }, 'created_at': created_at }]
              : []
          ),
          $parts
        )
      )
`;

const threadsHead = (idempotency: string): string => `threads:
  source: conversations
  externalId: "'ic-' & $string(id)"  # unique, and ${idempotency}: keep it stable between runs
  # conversations often have no title: then the email subject, else the start of the first message
  title: |
    title ? title
      : source.subject ? $htmlToText(source.subject)
      : $substring($replace($htmlToText(source.body), /\\s+/, ' '), 0, 80)
`;

const EACH = `    # The opening message is the conversation's source; the replies and notes are its conversation_parts.
    each: |
      $append(
        [{
          'id': 'source-' & source.id,
          'part_type': 'comment',
          'body': source.body,
          'author': source.author,
          'created_at': created_at
        }],
        conversation_parts.conversation_parts
      )
    # comments and notes with a body; not assignments, opens, closes, snoozes and other events
    where: "part_type in ['comment', 'note', 'note_and_reopen'] and $type(body) = 'string' and $length($trim(body)) > 0"
    externalId: "'ic-part-' & $string(id)"   # unique within its thread
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:
  status:                            # Intercom state → Plain status and statusDetail
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    snoozed: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { priority: 1, not_priority: 2, _default: 2 }   # Intercom's flag → Plain 1 high, 2 normal
${k.labelsTable(['billing', 'bug'])}${k.agentsTable(`    bot: ${userId(4)}     # replace: who replies by Fin and other bots are attributed to\n`)}
${threadsHead("Plain's idempotency key")}  externalUrl: "'https://app.intercom.com/a/apps/YOUR_APP_ID/inbox/inbox/conversation/' & $string(id)"   # replace YOUR_APP_ID
  createdAt: $toISO(created_at)      # unix seconds
  status: $table('status', state)
  priority: $table('priority', priority)
  labels: $table('labels', tags.tags.name)
  assignee: $table('agents', $record('admins', admin_assignee_id).email)
  customer:                          # the conversation's first contact
    email: $record('contacts', contacts.contacts[0].id).email
    fullName: $record('contacts', contacts.contacts[0].id).name
    externalId: "'ic-contact-' & contacts.contacts[0].id"
  messages:
${EACH}    # comments by users and leads are INBOUND, by admins and bots OUTBOUND; notes are NOTEs
    type: "part_type = 'comment' ? (author.type in ['user', 'lead', 'contact'] ? 'INBOUND' : 'OUTBOUND') : 'NOTE'"
    text: $htmlToMarkdown(body)      # body is HTML
    createdAt: $toISO(created_at)    # unix seconds
    # INBOUND: null means the thread's customer; another contact becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table (bots through its bot row).
    author: |
      author.type in ['user', 'lead', 'contact']
        ? (author.id = $thread.contacts.contacts[0].id ? null : { 'email': author.email, 'fullName': author.name })
        : $table('agents', author.type = 'bot' ? 'bot' : author.email)
    # attachments (uploaded by apply with each message; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': url, 'fileName': name, 'contentType': content_type, 'size': filesize }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # Intercom state → There There status: open | waiting | closed | spam
    open:    open
    snoozed: waiting
    closed:  closed
  # There There tickets have no priority: Intercom's priority flag is not carried (add a tag for it if you need it).
${k.labelsTable(['billing', 'bug'])}${k.agentsTable(`    bot: bot@yourcompany.com     # replace: the email replies by Fin and other bots go under (an email that is no member keeps the bot's name)\n`)}
${threadsHead("There There's external_id")}  createdAt: $toISO(created_at)      # unix seconds
  status: $table('status', state)    # open | waiting | closed | spam; default closed
  # closed_at, used only for closed tickets: the last close (unix seconds), else the last update
  closedAt: "$toISO(statistics.last_close_at ? statistics.last_close_at : updated_at)"
  labels: $table('labels', tags.tags.name)   # tag names, at most 50
  assignee: $table('agents', $record('admins', admin_assignee_id).email)   # a member's email
  customer:                          # the conversation's first contact: There There needs an email
    email: $record('contacts', contacts.contacts[0].id).email
    fullName: $record('contacts', contacts.contacts[0].id).name
  messages:
${EACH}    # comments by users and leads are inbound, by admins and bots outbound; notes are notes
    type: "part_type = 'comment' ? (author.type in ['user', 'lead', 'contact'] ? 'inbound' : 'outbound') : 'note'"
    text: body                       # There There takes the HTML body as it is
    createdAt: $toISO(created_at)    # unix seconds
    # inbound: null. There There gives every inbound message the ticket's contact as author.
    # outbound and note: the member's email through the agents table (bots through its bot row); an
    # admin with no row (one who left) keeps their own email and name on the message.
    author: |
      author.type in ['user', 'lead', 'contact']
        ? null
        : (
            $email := author.type = 'bot' ? 'bot' : author.email;
            $member := $table('agents', $email);
            { 'email': $member ? $member : $email, 'name': author.name }
          )
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; URLs need attachments.fetch headers):
    # attachments: "attachments.{ 'url': url, 'fileName': name, 'contentType': content_type, 'size': filesize }"
`;
}

export function intercom(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  const body = target === 'plain' ? plain() : thereThere();
  if (opts.api) {
    const eachStart = body.indexOf("    # The opening message is the conversation's source;");
    const eachEnd = body.indexOf('    # comments and notes with a body;');
    return `${k.header(
      'Intercom',
      'intercom --api',
      'export INTERCOM_ACCESS_TOKEN=… (an app\'s access token with read scopes), set baseUrl below to your region, then\n#      plain-migrate pull   brings conversations, their parts, contacts and admins into a local snapshot (plan\n#      pulls first too; each later pull asks only for what changed since the last one).',
      ['Intercom times are unix seconds: $toISO turns them into ISO 8601 UTC.'],
    )}${k.targetBlock('intercom')}${API_SOURCES}${(body.slice(0, eachStart) + API_EACH + body.slice(eachEnd))
      .replace('threads:\n  source: conversations\n', 'threads:\n  source: conversations\n  where: $not(deleted = true)         # deleted conversations are left out\n')
      .replace("assignee: $table('agents', $record('admins', admin_assignee_id).email)", "assignee: $table('agents', $record('admins', $string(admin_assignee_id)).email)   # admin_assignee_id is a number, admin ids strings")
      .replace(/# attachments: "attachments/g, 'attachments: "attachments')
      .replace(/; URLs need attachments\.fetch headers\)/g, '; Intercom serves them from its CDN, without credentials)')}${k.batching}`;
  }
  return `${k.header(
    'Intercom',
    'intercom',
    'Export conversations (each with its parts), contacts and admins from the Intercom API into ./export/,\n#      one JSON object per line (how: next to each source below). Base URL https://api.intercom.io (or\n#      api.eu.intercom.io, api.au.intercom.io), Authorization: Bearer <token>, plus the Intercom-Version header.\n#      Or pull straight from the API: plain-migrate init --from intercom --api',
    ['Intercom times are unix seconds: $toISO turns them into ISO 8601 UTC.'],
  )}${k.targetBlock('intercom')}${SOURCES}${body}${k.batching}`;
}
