/**
 * `plain-migrate init --from helpspot [--target therethere] [--api]`: HelpSpot (Web Service API) exports,
 * or a live pull (src/sources/helpspot). The mapping is examples/helpspot-api's, which runs end to end.
 */
import { kit, textToHtml, type InitTarget } from './common.js';

const SOURCES = `
sources:
  requests:
    # GET /api/index.php?method=private.request.get&xRequest={id}&fRawValues=1&output=json for each request
    # (private.request.getChanged&dtGMTChange=1 lists every id): the request's fields with its whole
    # history under request_history.item. fRawValues=1 keeps ids and unix seconds, not labels. One request
    # per line:  jq -c '.' request-*.json > export/requests.jsonl
    # Trashed requests (fTrash 1) and spam (xStatus 2) are in it too (filtered out below).
    path: export/requests.jsonl      # .jsonl .ndjson .json .csv, each optionally .gz; read as a stream
  staff:
    # GET /api/index.php?method=private.util.getAllStaff&output=json: {"person": {"<xPerson>": {…}}}, an
    # object keyed by id, departed staff included (fDeleted 1). One person per line:
    #   jq -c '.person[]' staff.json > export/staff.jsonl
    path: export/staff.jsonl
    key: xPerson                     # $record('staff', xPersonAssignedTo) finds a staff member by id
  # Reporting tags come with each request (reportingTags.tag[]), and customers live on the request
  # (sFirstName, sLastName, sEmail): no categories or customers file is needed.
`;

/** `init --from helpspot --api`: the same requests (their history as a source of its own) and staff, pulled. */
const API_SOURCES = `
connections:
  helpspot:
    kind: helpspot
    baseUrl: https://YOUR_HOST       # replace: your installation's address (HelpSpot Cloud: https://YOUR_COMPANY.helpspot.com;
                                     # or the emulator: http://127.0.0.1:4856); the private API must be on (Admin → Settings
                                     # → Web Services API)
    auth:                            # or  auth: { email: \${HELPSPOT_EMAIL}, password: \${HELPSPOT_PASSWORD} }  (not on SAML installs)
      token: \${HELPSPOT_TOKEN}        # a staff member's personal access token (sent as Bearer): it sees what they see
    requestsPerMinute: 120           # HelpSpot's API has no limit of its own: this spares your server
    # since: 2019-01-01              # optional: leave out requests with no history after this

sources:                             # pulled into a snapshot beside the state: plain-migrate pull
  requests:                          # each changed request (private.request.get, fRawValues=1), without its history;
    connection: helpspot             # trashed ones come with deleted: true, spam with spam: true (both filtered out below)
    stream: requests
  history:                           # every request's history rows: notes, emails and event-log rows, with xRequest
    connection: helpspot
    stream: request_history
    groupBy: xRequest                # $records('history', xRequest) returns a request's history
  staff:                             # private.util.getAllStaff, departed staff included (fDeleted 1)
    connection: helpspot
    stream: staff
    key: xPerson                     # $record('staff', xPersonAssignedTo) finds a staff member by id
`;

const FILE_EACH = "each: request_history.item            # the request's history rows, oldest first";
const API_EACH = "each: $records('history', xRequest)   # the request's history rows, oldest first";
const FILE_WHERE = "where: $not($string(fTrash) = '1') and $not($string(xStatus) = '2')   # trashed requests and spam (status 2) are left out";
const API_WHERE = 'where: $not(deleted = true) and $not(spam = true)   # trashed requests and spam are left out';
const FILE_ATTACHMENTS = 'private_url needs attachments.fetch headers: a staff login';
const API_ATTACHMENTS = "private_url is fetched with the connection's credentials";

/** The thread fields both targets share: the request's title, times and customer. */
const MESSAGES_COMMON = `  messages:
    ${FILE_EACH}
    where: tNote != ''               # event-log rows (status changes, assignments, trash) have an empty tNote
    externalId: "'hs-note-' & $string(xRequestHistory)"   # unique within its thread
`;

function plain(): string {
  const k = kit('plain');
  return `
tables:                              # plain maps from a source value (compared as a string) to any YAML value
  status:                            # fOpen: 1 open, 0 closed (xStatus is HelpSpot's own status: add a table for it if you need more)
    "1": { status: TODO, statusDetail: IN_PROGRESS }
    "0": { status: DONE, statusDetail: DONE_MANUALLY_SET }
    _default: { status: TODO, statusDetail: IN_PROGRESS }
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: requests                   # one Plain thread per request
  ${FILE_WHERE}
  externalId: "'hs-' & $string(xRequest)"   # unique, and Plain's idempotency key: keep it stable between runs
  title: sTitle
  externalUrl: "'https://YOUR_HOST/admin.php?pg=request&reqid=' & $string(xRequest)"   # replace YOUR_HOST
  createdAt: $fromMillis($number(dtGMTOpened) * 1000)   # HelpSpot's times are unix seconds
  status: $table('status', $string(fOpen))
  priority: "$string(fUrgent) = '1' ? 0 : 2"   # fUrgent is HelpSpot's only priority: urgent, else normal
  labels: $table('labels', reportingTags.tag.sReportingTag)   # reporting tags, by name
  assignee: $table('agents', $record('staff', xPersonAssignedTo).sEmail)   # 0: unassigned, and stays so
  customer:                          # the customer lives on the request; one with no email (a phone call) is invalid
    email: sEmail
    fullName: $trim($join([sFirstName, sLastName], ' '))
    externalId: "'hs-customer-' & $lowercase(sEmail)"
${MESSAGES_COMMON}    # private notes (fPublic 0, external notes too) are NOTEs; the customer's (xPerson 0) INBOUND;
    # staff replies OUTBOUND
    type: "$string(fPublic) = '0' ? 'NOTE' : ($string(xPerson) = '0' ? 'INBOUND' : 'OUTBOUND')"
    text: "$string(fNoteIsHTML) = '1' ? $htmlToMarkdown(tNote) : tNote"
    createdAt: $fromMillis($number(dtGMTChange) * 1000)
    # INBOUND: null means the thread's customer. OUTBOUND and NOTE: a Plain user id, through the agents
    # table (xPerson > 0 is a staff member; a row by the system, -1, with a note is invalid: plan lists it).
    author: "$string(xPerson) = '0' ? null : $table('agents', $record('staff', xPerson).sEmail)"
    # attachments (uploaded by apply with each message; ${FILE_ATTACHMENTS}):
    # attachments: "files.file.{ 'url': private_url, 'fileName': sFilename, 'contentType': sFileMimeType }"
`;
}

function thereThere(): string {
  const k = kit('therethere');
  return `
tables:
  status:                            # fOpen → There There status: open | waiting | closed | spam
    "1": open
    "0": closed
    _default: open
  # There There tickets have no priority: HelpSpot's fUrgent is not carried (add a tag for it if you need it).
${k.labelsTable(['billing', 'bug'])}${k.agentsTable()}
threads:
  source: requests
  ${FILE_WHERE}
  externalId: "'hs-' & $string(xRequest)"   # unique; the ticket's external_id, so that importing it again returns it, not a copy
  title: sTitle                      # at most 255 characters (a longer one is cut, with a diagnostic)
  createdAt: $fromMillis($number(dtGMTOpened) * 1000)   # HelpSpot's times are unix seconds
  status: $table('status', $string(fOpen))   # open | waiting | closed | spam; default closed
  closedAt: "$number(dtGMTClosed) > 0 ? $fromMillis($number(dtGMTClosed) * 1000)"   # used only for closed tickets
  labels: $table('labels', reportingTags.tag.sReportingTag)   # reporting tag names, at most 50
  assignee: $table('agents', $record('staff', xPersonAssignedTo).sEmail)   # 0: unassigned, and stays so
  customer:                          # the customer lives on the request: There There needs an email (a phone call has none)
    email: sEmail
    fullName: $trim($join([sFirstName, sLastName], ' '))
${MESSAGES_COMMON}    # private notes (fPublic 0, external notes too) are notes; the customer's (xPerson 0) inbound;
    # staff replies outbound
    type: "$string(fPublic) = '0' ? 'note' : ($string(xPerson) = '0' ? 'inbound' : 'outbound')"
    # HTML as it is; a plain-text note escaped, its line breaks kept
    text: |
      $string(fNoteIsHTML) = '1' ? tNote : ${textToHtml('tNote')}
    createdAt: $fromMillis($number(dtGMTChange) * 1000)
    # inbound: null. There There gives every inbound message the ticket's contact as author.
    # outbound and note: the member's email through the agents table; a staff member with no row (one who
    # left) keeps their own email and name on the message.
    author: |
      $string(xPerson) = '0'
        ? null
        : (
            $staff := $record('staff', xPerson);
            $member := $table('agents', $staff.sEmail);
            { 'email': $member ? $member : $staff.sEmail, 'name': $trim($join([$staff.sFname, $staff.sLname], ' ')) }
          )
    # attachments (uploaded by apply with each message: at most 10 files of 25 MB; ${FILE_ATTACHMENTS}):
    # attachments: "files.file.{ 'url': private_url, 'fileName': sFilename, 'contentType': sFileMimeType }"
`;
}

export function helpspot(target: InitTarget = 'plain', opts: { api?: boolean } = {}): string {
  const k = kit(target);
  const body = target === 'plain' ? plain() : thereThere();
  if (opts.api) {
    return `${k.header(
      'HelpSpot',
      'helpspot --api',
      'export HELPSPOT_TOKEN=… (a staff member\'s personal access token), set baseUrl below, then\n#      plain-migrate pull   brings requests with their history, and staff, into a local snapshot (plan pulls\n#      first too; each later pull asks only for the requests changed since the last one).',
    )}${k.targetBlock('helpspot')}${API_SOURCES}${body
      .replace(`# ${'attachments'}: "files.file.{`, `attachments: "files.file.{`)
      .replace(FILE_ATTACHMENTS, API_ATTACHMENTS)
      .replace(FILE_EACH, API_EACH)
      .replace(FILE_WHERE, API_WHERE)}${k.batching}`;
  }
  return `${k.header(
    'HelpSpot',
    'helpspot',
    'Export requests (each with its history) and staff from HelpSpot\'s Web Service API into ./export/, one\n#      JSON object per line (how: next to each source below). https://YOUR_HOST/api/index.php?method=…&output=json,\n#      with a staff login (Basic) or personal access token (Bearer); the private API must be on (Admin →\n#      Settings → Web Services API). Or pull straight from the API: plain-migrate init --from helpspot --api',
  )}${k.targetBlock('helpspot')}${SOURCES}${body}${k.batching}`;
}
