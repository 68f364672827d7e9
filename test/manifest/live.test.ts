/** `connections:` and live sources (connection + stream, http requests, command programs) in the manifest. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LiveSourceDecl } from '../../src/manifest/index.js';
import { liveKinds } from '../../src/sources/live/registry.js';
import { BASE, ENV, load, ROOT } from './helpers.js';
import { loadManifest, ManifestError } from '../../src/manifest/index.js';
import { writeManifest } from './helpers.js';

const SOURCES = /sources:\n(?: {2,}.*\n)+/;
const env = { ...ENV, ZD_TOKEN: 'zd-secret-token-1', LEGACY: 'legacy-secret' };

function live(block: string): string {
  return BASE.replace(SOURCES, block);
}

async function problems(text: string): Promise<string[]> {
  try {
    await loadManifest(writeManifest(text), { env, liveKinds });
  } catch (e) {
    if (e instanceof ManifestError) return e.problems.map((p) => `${p.location?.line ?? '?'}: ${p.message}${p.hint ? ` | ${p.hint}` : ''}`);
    throw e;
  }
  return [];
}

const ZENDESK = `connections:
  zd:
    kind: zendesk
    baseUrl: https://acme.zendesk.com/
    auth: { email: admin@acme.com, token: "\${ZD_TOKEN}" }
    since: 2019-01-01
    requestsPerMinute: 400
sources:
  tickets: { connection: zd, stream: tickets }
  users: { connection: zd, stream: users, key: id }
  comments: { connection: zd, stream: ticket_comments, groupBy: ticket_id, method: events }
`;

describe('live sources in the manifest', () => {
  it('builds connections and their sources: kind, base URL without a trailing slash, since, limit, snapshot streams', async () => {
    const m = await loadManifest(writeManifest(live(ZENDESK)), { env, liveKinds });
    expect(m.connections['zd']).toMatchObject({ kind: 'zendesk', baseUrl: 'https://acme.zendesk.com', sinceMs: Date.parse('2019-01-01T00:00:00Z'), requestsPerMinute: 400 });
    const c = m.sources['comments'] as LiveSourceDecl;
    expect(c).toMatchObject({ kind: 'live', adapter: 'zendesk', connection: 'zd', stream: 'ticket_comments', snapshotStream: 'zd.ticket_comments', options: { method: 'events' } });
    expect(c.groupBy?.text).toBe('ticket_id');
    // Secrets are redacted when the manifest is shown.
    expect(JSON.stringify(m.connections)).not.toContain('zd-secret-token-1');
    expect(m.connections['zd']!.auth['token']).toBe('zd-secret-token-1');
  });

  it('refuses a literal token (not an email) unless the base URL is loopback, http off loopback, credentials in the URL', async () => {
    const p = await problems(
      live(`connections:
  zd:
    kind: zendesk
    baseUrl: http://user:pw@acme.zendesk.com
    auth: { email: admin@acme.com, token: literal-token }
sources:
  tickets: { connection: zd, stream: tickets }
`),
    );
    expect(p.join('\n')).toMatch(/connections\.zd\.auth\.token is written literally/);
    expect(p.join('\n')).not.toMatch(/auth\.email is written literally/);
    expect(p.join('\n')).toMatch(/baseUrl must be https/);
    expect(p.join('\n')).toMatch(/carries a user name or password/);
    expect(p.join('\n')).not.toContain('literal-token');
    const loopback = await problems(live(ZENDESK.replace('https://acme.zendesk.com/', 'http://127.0.0.1:4851').replace('${ZD_TOKEN}', 'zd-emulator-token')));
    expect(loopback).toEqual([]);
  });

  it('names the wrong stream, the missing connection, the wrong auth keys and the keys that do not apply, each at its line', async () => {
    const p = await problems(
      live(`connections:
  zd:
    kind: zendesk
    baseUrl: https://acme.zendesk.com
    auth: { apiKey: "\${ZD_TOKEN}" }
sources:
  tickets: { connection: zd, stream: tikets }
  users: { connection: nope, stream: users }
  comments: { connection: zd, stream: ticket_comments, method: sometimes }
  other: { connection: zd, stream: users, records: data }
`),
    );
    expect(p).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^10: connections\.zd\.auth must hold email \+ token, or oauthToken for a zendesk connection \(it has apiKey\)/),
        expect.stringMatching(/^12: sources\.tickets\.stream "tikets" is not a zendesk stream \| zendesk streams: tickets, users, ticket_comments, organizations, ticket_fields/),
        expect.stringMatching(/^13: sources\.users\.connection names "nope", which is not under connections: \| use one of: zd/),
        expect.stringMatching(/^14: sources\.comments\.method must be one of: "lists", "events" \(got sometimes\)/),
        expect.stringMatching(/^15: sources\.other\.records does not apply to a zendesk source/),
      ]),
    );
  });

  it('a source is exactly one of a file, a live stream or a program', async () => {
    const p = await problems(live(`sources:\n  tickets: { path: a.jsonl, command: [echo] }\n  users: { key: id }\n`));
    expect(p.filter((x) => /must have exactly one of path \(a file of the export\), connection \(a live helpdesk's stream\) or command/.test(x))).toHaveLength(2);
  });

  it('http and command sources: their JSONata is compiled and left uninterpolated; {{cursor}} stays; env values are read from the environment', async () => {
    const m = await loadManifest(
      writeManifest(
        live(`connections:
  legacy:
    kind: http
    baseUrl: https://help.example.com/api
    headers: { Authorization: "Bearer \${LEGACY}" }
sources:
  tickets:
    connection: legacy
    request: { path: /tickets, query: { per_page: 100, updated_since: "{{cursor}}" } }
    records: data
    next: links.next
    cursor: updated_at
  users:
    command: [python3, export_users.py, --since, "{{cursor}}"]
    protocol: jsonl
    env: { TOKEN: "\${LEGACY}", LANG: C }
    key: id
  comments:
    command: [tap-zendesk, --state, "{{state}}"]
    protocol: singer
    stream: ticket_comments
    groupBy: ticket_id
`),
      ),
      { env, liveKinds },
    );
    const t = m.sources['tickets'] as LiveSourceDecl;
    expect(t).toMatchObject({ adapter: 'http', stream: 'tickets', snapshotStream: 'legacy.tickets', options: { request: { path: '/tickets', query: { per_page: 100, updated_since: '{{cursor}}' } } } });
    expect(Object.keys(t.exprs).sort()).toEqual(['cursor', 'next', 'records']);
    expect(m.connections['legacy']!.headers['Authorization']).toBe('Bearer legacy-secret');
    const u = m.sources['users'] as LiveSourceDecl;
    expect(u).toMatchObject({ adapter: 'command', snapshotStream: 'command.users', options: { command: ['python3', 'export_users.py', '--since', '{{cursor}}'] } });
    expect(u.env['TOKEN']).toBe('legacy-secret');
    expect(JSON.stringify(u.env)).not.toContain('legacy-secret');
    expect((m.sources['comments'] as LiveSourceDecl).stream).toBe('ticket_comments');
  });

  it("the schema's connection kinds are the registry's", () => {
    const schema = JSON.parse(readFileSync(path.join(ROOT, 'plain-migrate.schema.json'), 'utf8')) as {
      definitions: { connection: { properties: { kind: { enum: string[] } } } };
    };
    const usesConnection = liveKinds.names().filter((k) => liveKinds.get(k)!.usesConnection);
    expect(schema.definitions.connection.properties.kind.enum.sort()).toEqual(usesConnection.sort());
  });

  it('without the catalog (a library caller), only the form is checked', async () => {
    const m = await load(live(ZENDESK), { env });
    expect(m.sources['tickets']).toMatchObject({ kind: 'live', adapter: 'zendesk' });
  });

  it('refuses what would be ignored or kept where it should not be: auth or since on an http connection, a credential in a query string, live keys on a file', async () => {
    const p = await problems(
      live(`connections:
  legacy:
    kind: http
    baseUrl: https://help.example.com/api
    auth: { token: "\${LEGACY}" }
    since: 2020-01-01
sources:
  tickets:
    connection: legacy
    request: { path: /tickets, query: { api_key: "\${LEGACY}", per_page: 100 } }
  users:
    path: export/users.jsonl
    cursor: updated_at
`),
    );
    const text = p.join('\n');
    expect(text).toMatch(/connections\.legacy\.auth does not apply to a http connection: it sends no auth keys \| send credentials as headers/);
    expect(text).toMatch(/connections\.legacy\.since does not apply to a http connection/);
    expect(text).toMatch(/sources\.tickets\.request\.query\.api_key reads the environment; a query string is no place for a credential/);
    expect(text).not.toMatch(/query\.per_page/);
    expect(text).toMatch(/sources\.users\.cursor applies to live sources \(connection: or command:\), not to a file/);
    expect(text).not.toContain('legacy-secret');
  });
});

