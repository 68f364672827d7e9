/** `plain-migrate init --from csv [--target therethere]`: a generic tickets.csv + messages.csv layout. */
import { kit, textToHtml, type InitTarget } from './common.js';

const SOURCES = `
sources:
  tickets:
    # id,subject,status,priority,created_at,customer_email,customer_name,assignee_email,tags
    # 1001,Cannot log in,open,high,2024-03-01T09:30:00Z,ann@example.com,Ann Example,agent@yourcompany.com,billing;bug
    path: export/tickets.csv
    # csv: { delimiter: ",", header: true }       # the defaults; columns: [...] names them when there is no header row
  messages:
    # id,ticket_id,direction,author_email,author_name,created_at,body
    # 5001,1001,inbound,ann@example.com,Ann Example,2024-03-01T09:30:00Z,"I cannot log in since this morning."
    # direction: inbound (from the customer) · outbound (an agent's reply) · note (internal)
    path: export/messages.csv
    groupBy: ticket_id               # $records('messages', id) returns a ticket's messages
`;

const threadsHead = (idempotency: string): string => `threads:
  source: tickets
  externalId: "'csv-' & id"          # unique, and ${idempotency}: keep it stable between runs
  title: subject
  createdAt: created_at
  status: $table('status', status)
`;

const LABELS_ASSIGNEE = `  labels: "tags ? $table('labels', $map($split(tags, ';'), $trim))"   # tags separated by ;
  assignee: "assignee_email ? $table('agents', assignee_email)"        # an empty cell: unassigned
`;

const EACH = `    each: $records('messages', id)
    externalId: "'csv-msg-' & id"    # unique within its thread
    type: $table('direction', direction)
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:
  status:                            # your status values → Plain status and statusDetail
    new:     { status: TODO, statusDetail: NEW_REPLY }
    open:    { status: TODO, statusDetail: IN_PROGRESS }
    pending: { status: SNOOZED, statusDetail: WAITING_FOR_CUSTOMER }
    solved:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    closed:  { status: DONE, statusDetail: DONE_MANUALLY_SET }
    spam:    { status: DONE, statusDetail: IGNORED }
    _default: { status: DONE, statusDetail: DONE_MANUALLY_SET }
  priority: { urgent: 0, high: 1, normal: 2, low: 3, _default: 2 }   # an empty cell takes _default
  direction: { inbound: INBOUND, outbound: OUTBOUND, note: NOTE }  # no _default: another value makes the message invalid
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("Plain's idempotency key")}  priority: $table('priority', priority)
${LABELS_ASSIGNEE}  customer:
    email: customer_email
    fullName: customer_name
    # externalId: "'csv-customer-' & customer_id"
  messages:
${EACH}    text: body                       # plain text; if yours is HTML, write $htmlToMarkdown(body)
    createdAt: created_at
    # INBOUND: null means the thread's customer; another sender becomes {email, fullName}.
    # OUTBOUND and NOTE: a Plain user id, through the agents table.
    author: |
      direction = 'inbound'
        ? (author_email = '' or author_email = $thread.customer_email
            ? null
            : { 'email': author_email, 'fullName': author_name })
        : $table('agents', author_email)
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # your status values → There There status: open | waiting | closed | spam
    new:     open
    open:    open
    pending: waiting
    solved:  closed
    closed:  closed
    spam:    spam
    _default: closed
  direction: { inbound: inbound, outbound: outbound, note: note }  # no _default: another value makes the message invalid
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
${threadsHead("There There's external_id")}  # closedAt: closed_at                # a column with the closing time, if you have one (used only for closed tickets)
${LABELS_ASSIGNEE}  customer:                          # There There needs an email
    email: customer_email
    fullName: customer_name
  messages:
${EACH}    # There There takes an HTML body: the text is escaped here, with its line breaks kept
    # (if yours is HTML already, write text: body)
    text: |
      ${textToHtml('body')}
    createdAt: created_at
    # inbound: null. There There gives every inbound message the ticket's contact as author.
    # outbound and note: the member's email through the agents table; an agent with no row (one who left)
    # keeps their own email and name on the message.
    author: |
      direction = 'inbound'
        ? null
        : (
            $member := $table('agents', author_email);
            { 'email': $member ? $member : author_email, 'name': author_name }
          )
`;
}

export function csv(target: InitTarget = 'plain'): string {
  const k = kit(target);
  return `${k.header(
    'CSV',
    'csv',
    'Put your tickets in ./export/tickets.csv and their messages in ./export/messages.csv, with a header\n#      row naming the columns used below (rename them below if yours differ).',
    ['CSV values are strings; an empty cell is "". Times may be ISO 8601, unix seconds or unix milliseconds.'],
  )}${k.targetBlock('csv')}${SOURCES}${target === 'plain' ? plain() : thereThere()}${k.batching}`;
}
