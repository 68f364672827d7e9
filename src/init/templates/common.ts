/** Pieces shared by the starter manifests of `plain-migrate init --from …`. */

/** Placeholder ids in Plain's form (prefix + 26 Crockford base-32 characters): valid, obviously not real. */
export function labelId(n: number): string {
  return `lt_${'X'.repeat(24)}${String(n).padStart(2, '0')}`;
}
export function userId(n: number): string {
  return `u_${'X'.repeat(24)}${String(n).padStart(2, '0')}`;
}

/** The opening comment block: what the file is and what to do next. */
export function header(title: string, from: string, exportStep: string, extraSteps: readonly string[] = []): string {
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
${extraSteps.map((s) => `#\n# ${s.split('\n').join('\n# ')}\n`).join('')}#
# Every value under \`threads:\` is a JSONata expression (https://docs.jsonata.org), evaluated per record;
# a YAML number or boolean is a constant. Bound functions: $record, $records, $table, $htmlToText,
# $htmlToMarkdown, $toISO. Relative paths are relative to this file's directory.
`;
}

export function target(name: string): string {
  return `
version: 1
${`name: ${name}`.padEnd(36)} # names the migration; recorded in the state

target:
  plain:
    apiKey: \${PLAIN_API_KEY}         # read from the environment; never write the key itself here
    # endpoint: https://core-api.uk.plain.com/graphql/v1    (the default)

# state:
#   path: .plain-migrate/state.db    # the default: what was imported, so that apply resumes where it stopped
`;
}

export const BATCHING = `
batching:
  messagesPerRequest: 25             # messages per importThreadMessages call: 1..25 (25 is Plain's ceiling)
  concurrency: 8                     # requests in flight at once
  requestsPerMinute: 450             # your Plain workspace's API limit; x-ratelimit-* headers are obeyed too
  maxAttempts: 8                     # tries per request, for 429, 5xx, timeouts, connection resets and INTERNAL errors
  requestTimeout: 30s                # per request: e.g. 1500ms, 30s, 2m
`;

/** The agents table: helpdesk agent emails → Plain user ids. */
export function agentsTable(extraRows = ''): string {
  return `  agents:                            # the helpdesk's agents (by email) → Plain user ids or their Plain emails (assignee, OUTBOUND and NOTE authors)
    "agent@yourcompany.com": ${userId(1)}     # replace
    "another.agent@yourcompany.com": ${userId(2)}     # replace
${extraRows}    _default: ${userId(3)}     # replace: who gets the messages of agents not listed (e.g. agents who left)
`;
}

/** The labels table: helpdesk tag names → Plain label type ids. */
export function labelsTable(tags: readonly [string, string]): string {
  return `  labels:                            # the helpdesk's tags → Plain label type ids or names (target.plain.createMissingLabelTypes creates missing ones)
    ${tags[0]}: ${labelId(1)}     # replace
    ${tags[1]}: ${labelId(2)}     # replace
    _default: null                   # tags with no row are dropped (plan lists each one with its count)
`;
}
