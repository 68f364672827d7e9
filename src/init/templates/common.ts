/** Pieces shared by the starter manifests of `plain-migrate init --from … [--target …]`. */

/** Where the starter manifest sends the threads: Plain (the default) or There There. */
export const INIT_TARGETS = ['plain', 'therethere'] as const;
export type InitTarget = (typeof INIT_TARGETS)[number];

/** Placeholder ids in Plain's form (prefix + 26 Crockford base-32 characters): valid, obviously not real. */
export function labelId(n: number): string {
  return `lt_${'X'.repeat(24)}${String(n).padStart(2, '0')}`;
}
export function userId(n: number): string {
  return `u_${'X'.repeat(24)}${String(n).padStart(2, '0')}`;
}

/** The placeholder agent emails of every template (the sample exports under test/fixtures/init use them). */
export const AGENT_EMAILS = ['agent@yourcompany.com', 'another.agent@yourcompany.com'] as const;

/** What differs between the targets outside each helpdesk's tables and threads. */
export interface Kit {
  readonly target: InitTarget;
  /** The opening comment block: what the file is and what to do next. */
  header(title: string, from: string, exportStep: string, extraSteps?: readonly string[]): string;
  /** version, name (`<from>-to-<target>`), target and the commented state block. */
  targetBlock(from: string): string;
  /** The labels table: helpdesk tag names → Plain label types, or There There tag names. */
  labelsTable(tags: readonly [string, string]): string;
  /** The agents table: helpdesk agent emails → Plain users, or There There members' emails. */
  agentsTable(extraRows?: string): string;
  readonly batching: string;
}

const FUNCTIONS_NOTE = `#
# Every value under \`threads:\` is a JSONata expression (https://docs.jsonata.org), evaluated per record;
# a YAML number or boolean is a constant. Bound functions: $record, $records, $table, $htmlToText,
# $htmlToMarkdown, $toISO. Relative paths are relative to this file's directory.
`;

const extra = (steps: readonly string[]): string => steps.map((s) => `#\n# ${s.split('\n').join('\n# ')}\n`).join('');

// ---------------------------------------------------------------- Plain

function plainHeader(title: string, from: string, exportStep: string, extraSteps: readonly string[] = []): string {
  return `# yaml-language-server: $schema=./plain-migrate.schema.json
#
# plain-migrate: ${title} → Plain. Written by \`plain-migrate init --from ${from}\`; edit it to fit your account.
#
#   1. ${exportStep}
#   2. Replace every value marked \`# replace\`: your own values, and the Plain label type ids (lt_…) and
#      user ids (u_…) they map to. Plain's GraphQL API lists them:
#        labelTypes(first: 100) { edges { node { id name } } }   and   userByEmail(email: "…") { id }
#   3. export PLAIN_API_KEY=…   (a Plain machine user's API key with thread:import, customer:create and
#      customer:edit)
#   4. plain-migrate validate --sample 5   what the first 5 records map to, field by field, with every problem
#      plain-migrate plan                  every thread and message that would be imported, and every invalid
#                                          record with its reasons; sends nothing
#      plain-migrate apply                 imports; it can be stopped and run again without duplicates
${extra(extraSteps)}${FUNCTIONS_NOTE}`;
}

function plainTargetBlock(from: string): string {
  return `
version: 1
${`name: ${from}-to-plain`.padEnd(36)} # names the migration; recorded in the state

target:
  plain:
    apiKey: \${PLAIN_API_KEY}         # read from the environment; never write the key itself here
    # endpoint: https://core-api.uk.plain.com/graphql/v1    (the default)

# state:
#   path: .plain-migrate/state.db    # the default: what was imported, so that apply resumes where it stopped
`;
}

const PLAIN_BATCHING = `
batching:
  messagesPerRequest: 25             # messages per importThreadMessages call: 1..25 (25 is Plain's ceiling)
  concurrency: 8                     # requests in flight at once
  requestsPerMinute: 450             # your Plain workspace's API limit; x-ratelimit-* headers are obeyed too
  maxAttempts: 8                     # tries per request, for 429, 5xx, timeouts, connection resets and INTERNAL errors
  requestTimeout: 30s                # per request: e.g. 1500ms, 30s, 2m
`;

function plainAgentsTable(extraRows = ''): string {
  return `  agents:                            # the helpdesk's agents (by email) → Plain user ids or their Plain emails (assignee, OUTBOUND and NOTE authors)
    "${AGENT_EMAILS[0]}": ${userId(1)}     # replace
    "${AGENT_EMAILS[1]}": ${userId(2)}     # replace
${extraRows}    _default: ${userId(3)}     # replace: who stands in for agents not listed (e.g. who left), as their messages' author and their tickets' assignee; an email Plain does not know leaves a ticket unassigned (plan lists each one)
`;
}

function plainLabelsTable(tags: readonly [string, string]): string {
  return `  labels:                            # the helpdesk's tags → Plain label type ids or names (target.plain.createMissingLabelTypes creates missing ones)
    ${tags[0]}: ${labelId(1)}     # replace
    ${tags[1]}: ${labelId(2)}     # replace
    _default: null                   # tags with no row are dropped (plan lists each one with its count)
`;
}

// ---------------------------------------------------------------- There There

function thereThereHeader(title: string, from: string, exportStep: string, extraSteps: readonly string[] = []): string {
  return `# yaml-language-server: $schema=./plain-migrate.schema.json
#
# plain-migrate: ${title} → There There. Written by \`plain-migrate init --from ${from} --target therethere\`;
# edit it to fit your workspace.
#
#   1. ${exportStep}
#   2. Replace every value marked \`# replace\`: your own values, the There There channel the tickets go
#      into (its name, or the ULID its settings page shows as "Channel ID"), and the emails of the
#      workspace members your agents are. Tags are given by name: There There creates missing ones.
#   3. export THERETHERE_TOKEN=…   (an admin token: importing needs workspace-settings access)
#   4. plain-migrate validate --sample 5   what the first 5 records map to, field by field, with every problem
#      plain-migrate plan                  every ticket and message that would be imported, and every invalid
#                                          record with its reasons; sends nothing
#      plain-migrate apply                 imports; it can be stopped and run again without duplicates
#
# Importing is silent: no email reaches your customers, and no workflow, notification or automation runs.
# A ticket imported open behaves like any open ticket afterwards; import it closed to keep only the record.
${extra(extraSteps)}${FUNCTIONS_NOTE}`;
}

function thereThereTargetBlock(from: string): string {
  return `
version: 1
${`name: ${from}-to-therethere`.padEnd(36)} # names the migration; recorded in the state

target:
  therethere:
    token: \${THERETHERE_TOKEN}       # an admin token, read from the environment; never write the token itself here
    channel: Support                 # replace: the channel the tickets go into, by name or by its ULID ("Channel ID" in its settings)
    # baseUrl: https://there-there.app                (the default)
    # workspaceId: \${THERETHERE_WORKSPACE}             only for a token that reaches several workspaces
    # appendAs: skip                 # messages added in the helpdesk after a ticket was imported: skip (the default) or note

# state:
#   path: .plain-migrate/state.db    # the default: what was imported, so that apply resumes where it stopped
`;
}

const THERETHERE_BATCHING = `
batching:
  concurrency: 8                     # imports in flight at once (one ticket, with up to 200 messages, per request)
  requestsPerMinute: 300             # There There's import limit (separate from its API limit); 429 Retry-After is obeyed
  maxAttempts: 8                     # tries per request, for 429, 5xx, timeouts and connection resets
  requestTimeout: 30s                # per request: e.g. 1500ms, 30s, 2m
`;

function thereThereAgentsTable(extraRows = ''): string {
  return `  agents:                            # the helpdesk's agents (by email) → There There members' emails (assignee, outbound and note authors)
    "${AGENT_EMAILS[0]}": ${AGENT_EMAILS[0]}     # replace
    "${AGENT_EMAILS[1]}": ${AGENT_EMAILS[1]}     # replace
${extraRows}    _default: null                   # agents not listed (e.g. who left): their tickets are unassigned, their messages keep their own name and email; a mapped email that is not a member also leaves its ticket unassigned (plan lists each one)
`;
}

function thereThereLabelsTable(tags: readonly [string, string]): string {
  return `  labels:                            # the helpdesk's tags → There There tag names (these rows are examples; missing tags are created)
    ${tags[0]}: ${tags[0]}
    ${tags[1]}: ${tags[1]}
    _default: null                   # tags with no row are dropped (plan lists each one with its count)
`;
}

/**
 * A JSONata expression that turns a plain-text value into an HTML body for There There: &, < and >
 * escaped, line breaks kept as <br>. For a YAML block scalar (the backslash reaches JSONata as is).
 */
export function textToHtml(expr: string): string {
  return `'<p>' & $replace($replace($replace($replace(${expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '\\n', '<br>') & '</p>'`;
}

const KITS: Readonly<Record<InitTarget, Kit>> = {
  plain: {
    target: 'plain',
    header: plainHeader,
    targetBlock: plainTargetBlock,
    labelsTable: plainLabelsTable,
    agentsTable: plainAgentsTable,
    batching: PLAIN_BATCHING,
  },
  therethere: {
    target: 'therethere',
    header: thereThereHeader,
    targetBlock: thereThereTargetBlock,
    labelsTable: thereThereLabelsTable,
    agentsTable: thereThereAgentsTable,
    batching: THERETHERE_BATCHING,
  },
};

export function kit(target: InitTarget): Kit {
  return KITS[target];
}
