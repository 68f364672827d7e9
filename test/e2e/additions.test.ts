/**
 * End to end, the rest of a real Plain migration: attachments (fetched over HTTP with per-prefix
 * headers, read from the manifest's directory, inline images, files Plain refuses), agents by email
 * (a deleted one falling back to the agents table's _default), labels by name (a missing one
 * created), tenants and thread fields — the built CLI against the emulator and a local file server.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';

const SARA = 'u_01HB924PME9C0YWKW1N4AK3B01';
const TOM = 'u_01HB924PME9C0YWKW1N4AK3B02';
const GONE = 'u_01HB924PME9C0YWKW1N4AK3B03';
const BILLING = 'lt_01HB924PME9C0YWKW1N4AK3BZA';
const BUG = 'lt_01HB924PME9C0YWKW1N4AK3BZB';

const SEED = {
  users: [
    { id: SARA, email: 'sara@acme.test', fullName: 'Sara Agent' },
    { id: TOM, email: 'tom@acme.test', fullName: 'Tom Agent' },
    { id: GONE, email: 'gone@acme.test', fullName: 'Gone Agent', isDeleted: true },
  ],
  labelTypes: [
    { id: BILLING, name: 'billing' },
    { id: BUG, name: 'Bug' },
  ],
  threadFieldSchemas: [
    { key: 'order_id', label: 'Order', type: 'STRING' as const },
    { key: 'tier', label: 'Tier', type: 'ENUM' as const, enumValues: ['gold', 'silver'] },
  ],
};

/** Files the old helpdesk serves; `secret.txt` needs the header the manifest sets for its prefix. */
const FILES: Record<string, Buffer> = {
  'report.pdf': randomBytes(300_000),
  'shot.png': randomBytes(20_000),
  'secret.txt': Buffer.from('for your eyes only\n'),
  'big.dat': randomBytes(6_500_000),
};
const LOCAL = Buffer.from('a file exported next to the manifest\n');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let files: Server;
let filesUrl = '';
let emu: PlainEmulator;
const fetched: string[] = [];

beforeAll(async () => {
  files = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '').replace(/^\/files\//, '').split('?')[0]!);
    fetched.push(name);
    if (name === 'secret.txt' && req.headers.authorization !== 'Basic c2VjcmV0') {
      res.writeHead(401).end('no');
      return;
    }
    const body = FILES[name];
    if (!body) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}/files/`;
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu?.close();
  await new Promise((r) => files?.close(r));
});
beforeEach(() => {
  emu.reset();
  fetched.length = 0;
});

const MANIFEST = (filesUrl: string) => `version: 1
name: additions
target:
  plain:
    apiKey: \${PLAIN_API_KEY}
    endpoint: \${PLAIN_ENDPOINT}
    createMissingLabelTypes: true
attachments:
  fetch:
    - prefix: ${filesUrl}secret
      headers: { Authorization: "Basic \${FILES_AUTH}" }
  maxBytes: 6000000
  onSkip: note
sources:
  tickets: { path: tickets.jsonl }
  comments: { path: comments.jsonl, groupBy: ticket_id }
tables:
  labels: { billing: billing, bug: Bug, vip: VIP, _default: null }
  agents:
    "sara@old.test": sara@acme.test
    "gone@old.test": gone@acme.test
    _default: tom@acme.test
threads:
  source: tickets
  externalId: "'zd-' & $string(id)"
  title: subject
  createdAt: created_at
  labels: $table('labels', tags)
  assignee: "assignee ? $table('agents', assignee) : null"
  tenant: "{ 'externalId': 'org-' & $string(org), 'name': org_name }"
  fields:
    order_id: order
    tier: tier
  customer:
    email: requester
  messages:
    each: $records('comments', id)
    externalId: "'c-' & $string(id)"
    type: "author = $thread.requester ? 'INBOUND' : 'OUTBOUND'"
    text: $htmlToMarkdown(html)
    createdAt: created_at
    author: "author = $thread.requester ? null : $table('agents', author)"
    attachments: "files.{ 'url': url, 'path': path, 'fileName': name, 'size': size, 'inline': inline }"
batching:
  messagesPerRequest: 25
  concurrency: 2
  requestsPerMinute: 100000
  maxAttempts: 3
  requestTimeout: 2s
`;

function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pm-additions-'));
  mkdirSync(join(dir, 'files'));
  writeFileSync(join(dir, 'files', 'local.txt'), LOCAL);
  const tickets = [
    { id: 1, subject: 'Refund', created_at: '2024-03-01T10:00:00Z', tags: ['billing', 'vip'], assignee: 'sara@old.test', org: 1, org_name: 'Acme', order: 'A-1001', tier: 'gold', requester: 'ann@example.test' },
    { id: 2, subject: 'Crash', created_at: '2024-03-02T10:00:00Z', tags: ['bug'], assignee: null, org: 1, org_name: 'Acme', order: null, tier: null, requester: 'bob@example.test' },
  ];
  const comments = [
    {
      id: 11,
      ticket_id: 1,
      author: 'ann@example.test',
      created_at: '2024-03-01T10:00:00Z',
      html: `<p>Invoice attached.</p><p><img src="${filesUrl}shot.png" alt="screenshot"></p>`,
      files: [
        { url: `${filesUrl}report.pdf`, name: 'report.pdf', size: FILES['report.pdf']!.length },
        { url: `${filesUrl}shot.png`, name: 'shot.png', inline: true },
      ],
    },
    {
      id: 12,
      ticket_id: 1,
      author: 'gone@old.test',
      created_at: '2024-03-01T11:00:00Z',
      html: '<p>Here you go.</p>',
      files: [
        { url: `${filesUrl}secret.txt`, name: 'secret.txt' },
        { url: `${filesUrl}setup.exe`, name: 'setup.exe', size: 1000 },
        { url: `${filesUrl}huge.zip`, name: 'huge.zip', size: 7_000_000 },
      ],
    },
    {
      id: 21,
      ticket_id: 2,
      author: 'bob@example.test',
      created_at: '2024-03-02T10:00:00Z',
      html: '<p>It crashed.</p>',
      files: [
        { url: `${filesUrl}missing.pdf`, name: 'missing.pdf' },
        { path: 'files/local.txt', name: 'local.txt' },
        { url: `${filesUrl}big.bin`, name: 'big.dat' },
      ],
    },
  ];
  writeFileSync(join(dir, 'tickets.jsonl'), tickets.map((t) => JSON.stringify(t)).join('\n') + '\n');
  writeFileSync(join(dir, 'comments.jsonl'), comments.map((c) => JSON.stringify(c)).join('\n') + '\n');
  writeFileSync(join(dir, 'plain-migrate.yaml'), MANIFEST(filesUrl));
  return dir;
}

const env = (dir: string) => ({ cwd: dir, endpoint: emu.graphqlUrl, extraEnv: { FILES_AUTH: 'c2VjcmV0' } });
const ops = (name: string) => emu.requests().filter((r) => r.operationName === name || r.query.includes(`${name}(`)).length;

describe('attachments, agents and labels by email and name, tenants and thread fields', () => {
  it('plan lists what it found: label types to create, agents who fell back, files left out', async () => {
    const dir = workspace();
    const r = await cli(['plan'], env(dir));
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const out = String(r.stdout);
    expect(out).toContain('+ label_type["VIP"]');
    expect(out).toMatch(/! gone@acme\.test: is a deleted Plain user → the agents table's _default u_\w+ for 1 message\n/);
    expect(out).toMatch(/message\["zd-1\/c-12"\]: attachment setup\.exe skipped: .*exe/);
    expect(out).toMatch(/message\["zd-1\/c-12"\]: attachment huge\.zip skipped: /);
    expect(out).toMatch(/6 attachments to upload/);
    expect(out).toContain('Plan: 2 threads to import (3 messages)');
    // plan never uploads, creates or fetches anything
    expect(fetched).toEqual([]);
    expect(emu.snapshot().attachments).toEqual([]);
    expect(emu.snapshot().labelTypes.map((l) => l.name).sort()).toEqual(['Bug', 'billing']);
  });

  it('apply carries every allowed file byte for byte to its message, and reports the others in the text', async () => {
    const dir = workspace();
    const r = await cli(['apply', '--auto-approve'], env(dir));
    expect(r.exitCode, `${String(r.stdout)}\n${String(r.stderr)}`).toBe(0);
    const s = emu.snapshot();
    const vip = s.labelTypes.find((l) => l.name === 'VIP');
    expect(vip).toBeDefined();
    expect(ops('createLabelType')).toBe(1);

    const t1 = s.threads.find((t) => t.externalId === 'zd-1')!;
    const t2 = s.threads.find((t) => t.externalId === 'zd-2')!;
    expect([...t1.labelTypeIds].sort()).toEqual([BILLING, vip!.id].sort());
    expect(t2.labelTypeIds).toEqual([BUG]);
    expect(t1.assignedTo).toMatchObject({ userId: SARA });
    expect(t1.fields).toEqual({ order_id: 'A-1001', tier: 'gold' });
    expect(t2.fields).toEqual({});

    const tenant = s.tenants.find((t) => t.externalId === 'org-1')!;
    expect(tenant).toMatchObject({ name: 'Acme' });
    expect(t1.tenantId).toBe(tenant.id);
    expect(t2.tenantId).toBe(tenant.id);
    expect(ops('upsertTenant')).toBe(1);
    expect(ops('addCustomerToTenants')).toBe(2);

    const byMessage = (externalId: string) => {
      const m = [...t1.messages, ...t2.messages].find((x) => x.externalId === externalId)!;
      return { m, files: s.attachments.filter((a) => a.messageId === m.id) };
    };
    const c11 = byMessage('c-11');
    expect(c11.files.map((a) => [a.fileName, a.sha256, a.uploaded])).toEqual([
      ['report.pdf', sha(FILES['report.pdf']!), true],
      ['shot.png', sha(FILES['shot.png']!), true],
    ]);
    expect(c11.m.text).toContain('[image: shot.png]');
    const c12 = byMessage('c-12');
    expect(c12.m.author).toMatchObject({ userId: TOM });
    expect(c12.files.map((a) => [a.fileName, a.sha256])).toEqual([['secret.txt', sha(FILES['secret.txt']!)]]);
    expect(c12.m.text).toMatch(/\[Attachment not migrated: setup\.exe — /);
    expect(c12.m.text).toMatch(/\[Attachment not migrated: huge\.zip — /);
    const c21 = byMessage('c-21');
    expect(c21.files.map((a) => [a.fileName, a.sha256])).toEqual([['local.txt', sha(LOCAL)]]);
    expect(c21.m.text).toMatch(/\[Attachment not migrated: missing\.pdf — /);
    expect(c21.m.text).toMatch(/\[Attachment not migrated: big\.dat — /);
    // a note never carries the old helpdesk's URL (paths can hold tokens)
    for (const m of [c11.m, c12.m, c21.m]) expect(m.text).not.toContain('/files/');
    // every upload URL was used, and nothing was uploaded that no message references
    expect(s.attachments.every((a) => a.uploaded && a.messageId)).toBe(true);
    expect(fetched).not.toContain('setup.exe');
    expect(fetched).not.toContain('huge.zip');

    // a second apply has nothing to do: no fetch, no upload, no request but what the plan reads
    fetched.length = 0;
    const before = emu.requests().length;
    const again = await cli(['apply', '--auto-approve'], env(dir));
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(String(again.stdout) + String(again.stderr)).toContain('Plan: 0 threads to import (0 messages), 0 to update');
    expect(fetched).toEqual([]);
    expect(emu.requests().slice(before).filter((r) => /^\s*mutation/.test(r.query))).toEqual([]);

    // state errors names the files that could not be carried
    const errs = await cli(['state', 'errors'], env(dir));
    expect(String(errs.stdout)).toMatch(/attachment\["zd-2\/c-21\/0"\][\s\S]*not found|404/);

    // the header secret for the file server is in no output, state or cache file
    const secret = 'c2VjcmV0';
    for (const o of [r, again, errs]) expect(String(o.stdout) + String(o.stderr)).not.toContain(secret);
    for (const f of readdirSync(join(dir, '.plain-migrate'), { recursive: true, withFileTypes: true })) {
      if (f.isFile()) expect(readFileSync(join(f.parentPath, f.name)).includes(secret), f.name).toBe(false);
    }
  });

  it('a changed field and a new label become updates, a changed tenant is reported as not updatable, and users found are not asked for again', async () => {
    const dir = workspace();
    expect((await cli(['apply', '--auto-approve'], env(dir))).exitCode).toBe(0);
    const asked = ops('userByEmail');
    const tickets = readFileSync(join(dir, 'tickets.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    tickets[0]!.tier = 'silver';
    tickets[0]!.tags = ['billing', 'vip', 'bug'];
    tickets[1]!.org = 2;
    writeFileSync(join(dir, 'tickets.jsonl'), tickets.map((t) => JSON.stringify(t)).join('\n') + '\n');

    const plan = await cli(['plan'], env(dir));
    const out = String(plan.stdout);
    expect(out).toMatch(/~ thread\["zd-1"\]\n\s+labels: .*→ .*\n\s+fields: \{"order_id":"A-1001","tier":"gold"\} → \{"order_id":"A-1001","tier":"silver"\}/);
    expect(out).toMatch(/! thread\["zd-2"\] tenant: imported "org-1", source now "org-2"/);
    // sara and tom were remembered in state; only the deleted user is asked again
    expect(emu.requests().slice(-10).filter((r) => r.operationName === 'userByEmail')).toHaveLength(1);
    expect(ops('userByEmail')).toBe(asked + 1);

    const r = await cli(['apply', '--auto-approve'], env(dir));
    expect(r.exitCode, `${String(r.stdout)}\n${String(r.stderr)}`).toBe(0);
    const t1 = emu.snapshot().threads.find((t) => t.externalId === 'zd-1')!;
    expect(t1.fields).toEqual({ order_id: 'A-1001', tier: 'silver' });
    expect(t1.labelTypeIds).toContain(BUG);
    expect(ops('upsertThreadField')).toBe(3);
    const again = await cli(['plan'], env(dir));
    expect(String(again.stdout)).toContain('0 to update');
  });

  it('a crash between the uploads and the import, then a re-apply, uploads nothing twice', async () => {
    const dir = workspace();
    await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ rules: [{ operation: 'importThreadMessages', action: 'hang' }] }),
    });
    const child = cli(['apply', '--auto-approve'], env(dir));
    // Both threads' message batches have been sent (and hang): every file they reference was uploaded
    // and recorded before its batch went out. Kill the apply there, before any message is imported.
    const deadline = Date.now() + 30_000;
    while (ops('importThreadMessages') < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(emu.snapshot().attachments.filter((a) => a.uploaded)).toHaveLength(4);
    child.kill('SIGKILL');
    await child;
    expect(emu.snapshot().threads.flatMap((t) => t.messages)).toHaveLength(0);
    const urlsBefore = ops('createAttachmentUploadUrl');
    expect(urlsBefore).toBe(4);

    await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules: [] }) });
    fetched.length = 0;
    const r = await cli(['apply', '--auto-approve'], env(dir));
    expect(r.exitCode, `${String(r.stdout)}\n${String(r.stderr)}`).toBe(0);
    expect(ops('createAttachmentUploadUrl')).toBe(4);
    expect(fetched.filter((f) => ['report.pdf', 'shot.png', 'secret.txt'].includes(f))).toEqual([]);
    const s = emu.snapshot();
    expect(s.attachments).toHaveLength(4);
    expect(s.attachments.every((a) => a.uploaded && a.messageId)).toBe(true);
    expect(s.threads.flatMap((t) => t.messages)).toHaveLength(3);
  });

  it('an unknown agent without a _default, and an unknown label without createMissingLabelTypes, make the record invalid with the reason', async () => {
    const dir = workspace();
    const m = MANIFEST(filesUrl)
      .replace('    createMissingLabelTypes: true\n', '')
      .replace('    _default: tom@acme.test\n', '')
      .replace('bug: Bug, vip: VIP', 'bug: Nope, vip: billing');
    writeFileSync(join(dir, 'plain-migrate.yaml'), m);
    const r = await cli(['plan'], env(dir));
    const out = String(r.stdout);
    expect(out).toMatch(/thread\["zd-2"\][\s\S]*threads\.labels: no label type named "Nope" in Plain/);
    expect(out).toMatch(/! gone@acme\.test: is a deleted Plain user → 1 message invalid \(a message needs an author/);
    expect(out).toMatch(/message\["zd-1\/c-12"\][\s\S]*messages\.author: gone@acme\.test is a deleted Plain user; a message needs an author/);
  });
});
