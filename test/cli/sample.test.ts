/** `validate --sample N` (sampleMapping): the first N records, field by field, with diagnostics in place. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadManifest, type Manifest } from '../../src/manifest/index.js';
import { Mapper } from '../../src/mapping/map.js';
import { sampleMapping } from '../../src/cli/sample/index.js';
import { openIndexes } from '../../src/plan/plan.js';
import { readSource } from '../../src/sources/index.js';
import { INIT_SOURCES } from '../../src/init/templates.js';
import { workspace } from '../init/helpers.js';
import { adapterFor } from '../../src/targets/registry.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const ENV = { PLAIN_API_KEY: 'k', PLAIN_ENDPOINT: 'http://127.0.0.1:1/graphql/v1', THERETHERE_TOKEN: 't' };
const NOW = () => Date.parse('2025-06-01T00:00:00Z');
const U = 'u_01HB924PME9C0YWKW1N4AK3B01';
const LT = 'lt_01HB924PME9C0YWKW1N4AK3BZA';

/** The quickstart, copied so that its index cache does not land in the repository. */
async function quickstart(): Promise<Manifest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pm-sample-qs-'));
  cpSync(path.join(ROOT, 'examples/quickstart'), dir, { recursive: true, filter: (s) => !s.includes('.plain-migrate') });
  return loadManifest(path.join(dir, 'plain-migrate.yaml'), { env: ENV });
}

interface SampleDoc {
  manifest: string;
  source: string;
  records: Array<Record<string, any>>;
  summary: Record<string, number>;
}

function lines(text: string): string[] {
  return text.split('\n');
}

/** The first line of `text` that starts (after indentation) with `key:` and contains `contains`. */
function lineWith(text: string, key: string, contains: string): string {
  const hit = lines(text).find((l) => l.trimStart().startsWith(`${key}:`) && l.includes(contains));
  expect(hit, `a line "${key}: …" containing ${contains}\n${text}`).toBeDefined();
  return hit!;
}

const SMALL_THREADS = `threads:
  source: t
  externalId: "'x-' & $string(id)"
  title: subject
  createdAt: created
  status: $table('status', st)
  labels: $table('labels', tags)
  customer:
    email: $record('u', uid).email
    fullName: $record('u', uid).name
  messages:
    each: $records('c', id)
    externalId: "'m-' & $string(id)"
    type: "by = 'agent' ? 'OUTBOUND' : 'INBOUND'"
    text: body
    createdAt: at
    author: "by = 'agent' ? '${U}' : null"
`;

const PLAIN_TARGET = 'target: { plain: { apiKey: "${PLAIN_API_KEY}" } }';

/** A manifest and three small sources in a temp dir. */
async function small(threads: string, tickets: unknown[], extraLines = '', target = PLAIN_TARGET): Promise<Manifest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pm-sample-'));
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  writeFileSync(path.join(dir, 't.jsonl'), jsonl(tickets) + extraLines);
  writeFileSync(
    path.join(dir, 'u.jsonl'),
    jsonl([
      { id: 7, email: 'ann@example.test', name: 'Ann' },
      { id: 8, name: 'No Email' },
      { id: 9, email: 'bob@example.test' },
    ]),
  );
  writeFileSync(
    path.join(dir, 'c.jsonl'),
    jsonl([
      { id: 2, tid: 1, at: '2024-01-01T10:00:00Z', body: 'second', by: 'agent' },
      { id: 1, tid: 1, at: 1704099600, body: 'first', by: 'cust' },
      { id: 3, tid: 1, at: '2024-01-01T11:00:00Z', body: '', by: 'agent' },
      { id: 4, tid: 2, at: '2024-01-02T10:00:00Z', body: 'hello', by: 'cust' },
    ]),
  );
  const file = path.join(dir, 'plain-migrate.yaml');
  writeFileSync(
    file,
    `version: 1
name: sample-test
${target}
sources:
  t: { path: t.jsonl }
  u: { path: u.jsonl, key: id }
  c: { path: c.jsonl, groupBy: tid }
tables:
  status: { open: { status: TODO, statusDetail: IN_PROGRESS }, odd: { status: DONE, statusDetail: NEW_REPLY }, done: DONE }
  labels: { billing: ${LT}, raw: not-a-label-id, _default: null }
${threads}`,
  );
  return loadManifest(file, { env: ENV });
}

describe('sampleMapping on the quickstart', () => {
  it('shows the first 3 records with every declared field, normalised values and messages in send order', async () => {
    const m = await quickstart();
    const text = await sampleMapping(m, 3, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.manifest).toBe('quickstart-zendesk');
    expect(doc.source).toBe('tickets (export/tickets.jsonl)');
    expect(doc.records.map((r) => r.record)).toEqual(['export/tickets.jsonl:1', 'export/tickets.jsonl:2', 'export/tickets.jsonl:3']);
    for (const r of doc.records) {
      expect(r.where).toBe(true);
      expect(Object.keys(r.thread)).toEqual([
        'externalId',
        'title',
        'externalUrl',
        'createdAt',
        'status',
        'priority',
        'labels',
        'assignee',
        'customer',
        'messages',
      ]);
      expect(Object.keys(r.thread.customer)).toEqual(['email', 'fullName', 'externalId']);
      expect(r.thread.messages.length).toBeGreaterThan(0);
      for (const msg of r.thread.messages) expect(Object.keys(msg)).toEqual(['index', 'externalId', 'type', 'text', 'createdAt', 'author', 'attachments']);
      const times = r.thread.messages.map((msg: { createdAt: string }) => Date.parse(msg.createdAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      expect(r.verdict).toBe('import');
    }
    const first = doc.records[0]!;
    expect(first.thread).toMatchObject({
      externalId: 'zd-101',
      title: 'Invoice shows the wrong VAT number',
      createdAt: '2023-01-04T13:46:33Z',
      status: { status: 'DONE', statusDetail: 'DONE_MANUALLY_SET' },
      priority: 2,
      labels: ['bug'],
      assignee: null,
      customer: { email: 'ann@example.com', fullName: 'Ann Example', externalId: 'zd-user-1001' },
    });
    expect(first.thread.messages[0]).toMatchObject({ index: 0, externalId: 'zd-comment-5001', type: 'INBOUND', author: null });
    // The value as the expression gave it, then the normalised one; notes and verdicts as comments.
    expect(text).toContain('createdAt: 2023-01-04T13:46:33Z # → 2023-01-04T13:46:33.000Z');
    lineWith(text, 'labels', `ℹ $table('labels') has no row for "mobile": took _default (null)`);
    expect(text).toMatch(/^ {4}verdict: import # → would be imported with 8 messages$/m);
    expect(text).toMatch(/^ {10}# → sent 1st of 8$/m);
    expect(text).toMatch(/^ {10}author: null # → the thread's customer$/m);
    expect(doc.summary).toEqual({ records: 3, import: 3, invalid: 0, filtered: 0, messages: 16, invalidMessages: 0 });
    expect(text).toContain('# stopped after 3 records; plan reads them all');
    expect(lines(text)[0]).toMatch(/^# plain-migrate validate --sample 3: the first 3 records of source "tickets" \(export\/tickets\.jsonl\),$/);
  });

  it('shows the deleted ticket as filtered and the ticket without an email as invalid when they are within range', async () => {
    const m = await quickstart();
    const text = await sampleMapping(m, 23, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.records).toHaveLength(23);
    const deleted = doc.records[16]!;
    expect(deleted).toEqual({ record: 'export/tickets.jsonl:17', where: false, verdict: 'filtered' });
    expect(text).toContain("    where: false # ℹ threads.where (status != 'deleted') is false for this record\n    verdict: filtered # → filtered out by threads.where: not imported");
    const noEmail = doc.records[22]!;
    expect(noEmail.verdict).toBe('invalid');
    expect(noEmail.thread.customer).toEqual({ email: null, fullName: 'Walk-in caller', externalId: 'zd-user-1015' });
    lineWith(text, 'email', '# ✗ threads.customer.email is required to create a Plain customer and must be an email address; the expression gave null');
    lineWith(text, 'verdict', '# → invalid: threads.customer.email is required');
    expect(doc.summary).toMatchObject({ records: 23, import: 21, invalid: 1, filtered: 1 });
  });

  it('agrees with the Mapper over the whole source (n larger than the source)', async () => {
    const m = await quickstart();
    const text = await sampleMapping(m, 1000, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.records).toHaveLength(40);
    expect(doc.summary).toEqual({ records: 40, ...(await agreeWithMapper(m, doc)) });
    expect(text).toContain('# the source has 40 records, fewer than --sample 1000');
  });
});

/** Checks each sampled record's verdict and sent messages against the Mapper; returns the Mapper's tally. */
async function agreeWithMapper(m: Manifest, doc: SampleDoc) {
  const indexes = await openIndexes(m);
  const count = { import: 0, invalid: 0, filtered: 0, messages: 0, invalidMessages: 0 };
  try {
    const mapper = new Mapper(m, indexes, adapterFor(m.target).rules, NOW);
    for await (const item of readSource(m.sources[m.threads.source]!)) {
      const shown = doc.records[item.location.index]!;
      if (!item.ok) {
        expect(shown.verdict).toBe('invalid');
        count.invalid++;
        continue;
      }
      const r = await mapper.map(item.record, item.location);
      expect(shown.verdict, shown.record).toBe(r.kind === 'thread' ? 'import' : r.kind);
      if (r.kind === 'thread') {
        count.import++;
        count.messages += r.thread.messages.length;
        count.invalidMessages += r.invalidMessages.length;
        const sent = (shown.thread.messages as Array<{ externalId: string }>).slice(0, r.thread.messages.length);
        expect(sent.map((x) => x.externalId)).toEqual(r.thread.messages.map((x) => x.externalId));
      } else count[r.kind]++;
    }
  } finally {
    indexes.close();
  }
  return count;
}

describe('sampleMapping on the starter manifests of init', () => {
  it.each(INIT_SOURCES)('%s: agrees with the Mapper record by record', async (from) => {
    const m = await loadManifest(workspace(from), { env: ENV });
    const text = await sampleMapping(m, 100, { now: NOW });
    const doc = parse(text) as SampleDoc;
    const count = await agreeWithMapper(m, doc);
    expect(doc.summary).toEqual({ records: doc.records.length, ...count });
    expect(count.import).toBeGreaterThanOrEqual(2);
  });
});

describe('sampleMapping diagnostics', () => {
  it('puts each reason next to the field it concerns, and the verdict after the record', async () => {
    const threads = SMALL_THREADS.replace('title: subject', 'title: subjekt'); // a typo: gives nothing
    const m = await small(threads, [{ id: 1, subject: 'Help', created: '2024-01-01T09:00:00Z', st: 'open', uid: 8, tags: ['billing'] }]);
    const text = await sampleMapping(m, 1, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.records[0]!.thread.title).toBeNull();
    lineWith(text, 'title', '# ✗ threads.title is required and must be a non-empty string; the expression gave nothing');
    expect(lineWith(text, 'email', 'null')).toBe(
      '        email: null # ✗ threads.customer.email is required to create a Plain customer and must be an email address; the expression gave nothing',
    );
    // the other fields carry no diagnostic
    expect(lineWith(text, 'externalId', 'x-1')).toBe('      externalId: x-1');
    expect(lineWith(text, 'fullName', 'No Email')).toBe('        fullName: No Email');
    const verdict = lineWith(text, 'verdict', 'invalid');
    expect(verdict).toBe(
      '    verdict: invalid # → invalid: threads.title is required and must be a non-empty string; the expression gave nothing · ' +
        'threads.customer.email is required to create a Plain customer and must be an email address; the expression gave nothing',
    );
    // messages are still shown, in send order, with their own diagnostics
    const msgs = doc.records[0]!.thread.messages as Array<Record<string, unknown>>;
    expect(msgs.map((x) => x.externalId)).toEqual(['m-1', 'm-2', 'm-3']);
    expect(text).toContain('createdAt: 1704099600 # → 2024-01-01T09:00:00.000Z');
    lineWith(text, 'text', '"" # ✗ messages.text is required and must be a non-empty string; the expression gave ""');
    expect(text).toContain('# → valid, 1st of 2 (not sent: the thread is invalid)');
    expect(text).toContain('# → invalid, not sent: messages.text is required');
    expect(doc.summary).toMatchObject({ records: 1, import: 0, invalid: 1 });
  });

  it('shows evaluation errors, status, label, time and type problems, and defaults, at their fields', async () => {
    const threads = SMALL_THREADS.replace("status: $table('status', st)", "status: $table('status', st)\n  priority: $number(subject)")
      .replace("type: \"by = 'agent' ? 'OUTBOUND' : 'INBOUND'\"", "type: \"by = 'agent' ? 'OUTBOUND' : 'CHAT'\"");
    const m = await small(threads, [
      { id: 1, subject: 'Help', created: '2030-01-01T00:00:00Z', st: 'odd', uid: 7, tags: ['raw', 'billing', 'other'] },
    ]);
    const text = await sampleMapping(m, 1, { now: NOW });
    lineWith(text, 'createdAt', '2030-01-01T00:00:00Z # ✗ threads.createdAt is in the future (2030-01-01T00:00:00.000Z)');
    lineWith(text, 'status', '{ status: DONE, statusDetail: NEW_REPLY } # ✗ threads.statusDetail "NEW_REPLY" does not fit status DONE');
    expect(lineWith(text, 'priority', 'null')).toBe(
      '      priority: null # ✗ threads.priority: Unable to cast value to a number: "Help" (JSONata D3030 at position 8)',
    );
    lineWith(
      text,
      'labels',
      `[ not-a-label-id, ${LT} ] # ℹ $table('labels') has no row for "other": took _default (null) · ℹ label type names, looked up in Plain by plan: "not-a-label-id"`,
    );
    lineWith(text, 'fullName', 'Ann');
    lineWith(text, 'type', 'CHAT # ✗ messages.type must be INBOUND, OUTBOUND or NOTE; the expression gave "CHAT"');
    lineWith(text, 'type', `OUTBOUND`);
    expect(parse(text).records[0].verdict).toBe('invalid');
  });

  it('normalises defaults: a bare status, a missing fullName, a numeric externalId; flags duplicate externalIds', async () => {
    const threads = SMALL_THREADS.replace("externalId: \"'x-' & $string(id)\"", 'externalId: num').replace(/\n {4}fullName: .*\n/, '\n');
    const m = await small(threads, [
      { id: 2, num: 42, subject: 'A', created: '2024-01-02T09:00:00Z', st: 'done', uid: 9 },
      { id: 2, num: 42, subject: 'B', created: '2024-01-02T09:00:00Z', st: 'done', uid: 9 },
    ]);
    const text = await sampleMapping(m, 2, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(lineWith(text, 'externalId', '42 # → "42"').trim()).toBe('externalId: 42 # → "42"');
    lineWith(text, 'status', 'DONE # → DONE · DONE_MANUALLY_SET');
    lineWith(text, 'email', 'bob@example.test # → fullName "bob" (the email\'s local part)');
    expect(doc.records.map((r) => r.verdict)).toEqual(['import', 'invalid']);
    lineWith(text, 'externalId', '✗ threads.externalId "42" is also produced by t.jsonl:1; it must be unique across the manifest');
    expect(doc.records[0]!.thread.labels).toBeNull(); // tags absent: nothing in, nothing out
  });

  it('stops reading after n records, and handles n larger than the source and n = 0', async () => {
    const rec = (id: number) => ({ id, subject: `S${id}`, created: '2024-01-01T09:00:00Z', st: 'open', uid: 7 });
    // A malformed line right after the 2nd record: reading it would add an invalid record.
    const m = await small(SMALL_THREADS, [rec(1), rec(2)], '{not json\n');
    const two = parse(await sampleMapping(m, 2, { now: NOW })) as SampleDoc;
    expect(two.records.map((r) => r.verdict)).toEqual(['import', 'import']);
    expect(two.summary.records).toBe(2);
    const all = await sampleMapping(m, 10, { now: NOW });
    const doc = parse(all) as SampleDoc;
    expect(doc.records.map((r) => r.record)).toEqual(['t.jsonl:1', 't.jsonl:2', 't.jsonl:3']);
    expect(doc.records[2]).toEqual({ record: 't.jsonl:3', verdict: 'invalid' });
    lineWith(all, 'verdict', '# → invalid: ');
    expect(all).toContain('# the source has 3 records, fewer than --sample 10');
    const none = parse(await sampleMapping(m, 0)) as SampleDoc;
    expect(none.records).toEqual([]);
    await expect(sampleMapping(m, -1)).rejects.toThrow(RangeError);
    await expect(sampleMapping(m, 1.5)).rejects.toThrow(RangeError);
  });

  it('agrees with plan on a list of messages that cannot be read, and notes the files plan would skip', async () => {
    const threads = SMALL_THREADS.replace(
      "each: $records('c', id)",
      `each: "mode = 'err' ? $error('no list') : mode = 'nums' ? [1, 2] : $records('c', id)"`,
    ).replace('    author: ', `    attachments: "[{ 'url': 'https://x.test/setup.exe' }]"\n    author: `);
    const base = { subject: 'A', created: '2024-01-02T09:00:00Z', st: 'open', uid: 7 };
    const m = await small(threads, [{ id: 1, mode: 'err', ...base }, { id: 3, mode: 'nums', ...base }, { id: 2, ...base }]);
    const text = await sampleMapping(m, 3, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.records.map((r) => r.verdict)).toEqual(['invalid', 'invalid', 'import']);
    expect(lineWith(text, 'messages', 'no list')).toMatch(/^ {6}messages: \[\] # ✗ threads\.messages\.each: no list/);
    lineWith(text, 'verdict', '# → invalid: threads.messages.each: no list');
    const notRecords = 'messages.each must give a list of records (objects); the expression gave [1,2]';
    expect(lineWith(text, 'messages', notRecords)).toBe(`      messages: [] # ✗ ${notRecords}`);
    lineWith(text, 'attachments', "# ℹ 1 file, checked against Plain's limits and uploaded by apply · ℹ attachment setup.exe skipped: .exe files are not allowed by Plain");
    expect(doc.summary).toEqual({ records: 3, ...(await agreeWithMapper(m, doc)) });
  });

  it('checks tenants, and says which values the plan looks up in Plain', async () => {
    const threads = SMALL_THREADS.replace('  customer:', "  tenant: \"{ 'externalId': 'org-1', 'name': 'Org' }\"\n  customer:");
    const m = await small(threads, [{ id: 2, subject: 'A', created: '2024-01-02T09:00:00Z', st: 'open', uid: 7 }]);
    const text = await sampleMapping(m, 1, { now: NOW });
    lineWith(text, 'tenant', '{ externalId: org-1, name: Org }');
    expect(text).not.toContain('read but not applied');
    expect((parse(text) as SampleDoc).records[0]!.verdict).toBe('import');
  });
});

/** The There There example, copied so that its index cache does not land in the repository. */
async function thereThereExample(): Promise<Manifest> {
  const dir = mkdtempSync(path.join(tmpdir(), 'pm-sample-tt-'));
  cpSync(path.join(ROOT, 'examples/zendesk-to-therethere'), dir, { recursive: true, filter: (s) => !s.includes('.plain-migrate') });
  return loadManifest(path.join(dir, 'plain-migrate.yaml'), { env: ENV });
}

const TT_TARGET = 'target: { therethere: { token: "${THERETHERE_TOKEN}", baseUrl: "http://127.0.0.1:1", channel: Support } }';

/** SMALL_THREADS for There There: statuses and types in its own (lower-case) words, a closing time, agents by email. */
const TT_THREADS = `threads:
  source: t
  externalId: "'x-' & $string(id)"
  title: subject
  createdAt: created
  status: st
  closedAt: closed
  labels: tags
  assignee: agent
  customer:
    email: $record('u', uid).email
    fullName: $record('u', uid).name
  messages:
    each: $records('c', id)
    externalId: "'m-' & $string(id)"
    type: "by = 'agent' ? 'outbound' : 'inbound'"
    text: body
    createdAt: at
    author: "by = 'agent' ? 'sara@acme.test' : null"
`;

describe('sampleMapping for a There There manifest', () => {
  it("checks the example with There There's rules: lower-case statuses and types kept, closedAt shown, tags and members noted", async () => {
    const m = await thereThereExample();
    const text = await sampleMapping(m, 1000, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.manifest).toBe('zendesk-to-therethere');
    expect(text).not.toContain('TODO, SNOOZED or DONE');
    expect(text).not.toContain('INBOUND, OUTBOUND or NOTE');
    expect(text).not.toContain('Plain');
    const first = doc.records[0]!;
    expect(first.verdict).toBe('import');
    expect(Object.keys(first.thread)).toEqual(['externalId', 'title', 'createdAt', 'closedAt', 'status', 'labels', 'assignee', 'customer', 'messages']);
    expect(first.thread).toMatchObject({ externalId: 'zd-101', status: 'closed', closedAt: '2023-01-09T13:46:33Z', labels: ['bug'] });
    // Values There There takes as they are carry no "→" and no "✗".
    expect(lineWith(text, 'status', 'closed')).toBe('      status: closed');
    expect(lineWith(text, 'type', 'inbound')).toBe('          type: inbound');
    expect(lineWith(text, 'type', 'outbound')).toBe('          type: outbound');
    expect(text).toMatch(/^ {10}type: note$/m);
    expect(text).toContain('      closedAt: 2023-01-09T13:46:33Z # → 2023-01-09T13:46:33.000Z\n');
    // closedAt of a ticket that is not closed: There There takes none.
    lineWith(text, 'closedAt', '# → not sent: There There takes none with status open');
    lineWith(text, 'labels', '[ billing, VIP ] # ℹ tag names (There There creates missing ones on import)');
    lineWith(text, 'assignee', 'tom@acme.com # ℹ a member by email, checked by plan');
    lineWith(text, 'attachments', "# ℹ 1 file, checked against There There's limits and uploaded by apply");
    expect(text).toMatch(/^ {4}verdict: import # → would be imported with 8 messages$/m);
    lineWith(text, 'email', '# ✗ threads.customer.email is required for a There There contact and must be an email address; the expression gave null');
    lineWith(text, 'verdict', '# → invalid: threads.createdAt is in the future (2025-06-05T21:15:47.000Z); There There only imports past times');
    expect(doc.summary).toEqual({ records: 40, ...(await agreeWithMapper(m, doc)) });
    expect(doc.summary).toMatchObject({ import: 37, invalid: 2, filtered: 1 });
  });

  it.each(INIT_SOURCES)('%s starter for There There: agrees with the Mapper record by record', async (from) => {
    const m = await loadManifest(workspace(from, 'therethere'), { env: ENV });
    const text = await sampleMapping(m, 100, { now: NOW });
    const doc = parse(text) as SampleDoc;
    const count = await agreeWithMapper(m, doc);
    expect(doc.summary).toEqual({ records: doc.records.length, ...count });
    expect(count.import).toBeGreaterThanOrEqual(2);
  });

  it("cuts a long title with There There's note, gives its reasons for a bad status, and needs a message", async () => {
    const base = { created: '2024-01-01T09:00:00Z', closed: '2024-01-03T09:00:00Z', uid: 7 };
    const m = await small(
      TT_THREADS,
      [
        { id: 1, subject: 'x'.repeat(300), st: 'closed', tags: ['billing', 7], agent: 'sara@acme.test', ...base },
        { id: 3, subject: 'Pending', st: 'pending', ...base },
        { id: 5, subject: 'Nothing said', st: 'OPEN', uid: 9, created: base.created },
        { id: 2, subject: 'Again', ...base },
      ],
      '',
      TT_TARGET,
    );
    const text = await sampleMapping(m, 10, { now: NOW });
    const doc = parse(text) as SampleDoc;
    expect(doc.records.map((r) => r.verdict)).toEqual(['import', 'invalid', 'invalid', 'import']);

    // 1: the subject cut to 255 characters, with the note plan gives; a message with no text is not sent.
    lineWith(
      text,
      'title',
      `# → ${JSON.stringify('x'.repeat(117))}... · ℹ threads.title is 300 characters; There There takes at most 255, so the subject was cut to the first 255`,
    );
    lineWith(text, 'closedAt', '2024-01-03T09:00:00Z # → 2024-01-03T09:00:00.000Z');
    lineWith(text, 'labels', '[ billing, 7 ] # → ["billing","7"] · ℹ tag names (There There creates missing ones on import)');
    lineWith(text, 'assignee', 'sara@acme.test # ℹ a member by email, checked by plan');
    lineWith(text, 'text', '"" # ✗ messages.text is required and must be a non-empty string; the expression gave ""');
    expect(lineWith(text, 'verdict', 'import # → would be imported with 2 messages')).toBe(
      '    verdict: import # → would be imported with 2 messages; 1 message invalid (not sent)',
    );

    // 2: There There's reason for a status it does not have, alone (as the Mapper: messages are not counted then).
    const reason = 'threads.status must be open, waiting, closed or spam for There There (upper case accepted); the expression gave "pending"';
    expect(lineWith(text, 'status', 'pending')).toBe(`      status: pending # ✗ ${reason}`);
    expect(lineWith(text, 'verdict', 'invalid: threads.status')).toBe(`    verdict: invalid # → invalid: ${reason}`);

    // 3: upper case is lowered; no closedAt for an open ticket; no messages: not a ticket There There imports.
    lineWith(text, 'status', 'OPEN # → open');
    lineWith(text, 'email', 'bob@example.test');
    const none = 'messages: a There There ticket is imported with at least 1 message; this thread has none';
    expect(lineWith(text, 'messages', none)).toBe(`      messages: [] # ✗ ${none}`);
    expect(lineWith(text, 'verdict', 'invalid: messages')).toBe(`    verdict: invalid # → invalid: ${none}`);
    expect(doc.records[2]!.thread.customer).toEqual({ email: 'bob@example.test', fullName: null });
    expect(lineWith(text, 'fullName', 'null')).toBe('        fullName: null # ℹ the expression gave nothing');

    // 4: no status: closed (the default), so its closedAt is sent.
    lineWith(text, 'status', 'null # → closed');
    expect(lineWith(text, 'verdict', 'import # → would be imported with 1 message')).toBe('    verdict: import # → would be imported with 1 message');

    expect(doc.summary).toEqual({ records: 4, ...(await agreeWithMapper(m, doc)) });
  });

  it("words a message's default type from There There's rule, in its own words", async () => {
    const threads = TT_THREADS.replace(/\n {4}type: .*\n/, '\n');
    const m = await small(threads, [{ id: 1, subject: 'Help', created: '2024-01-01T09:00:00Z', st: 'waiting', uid: 7 }], '', TT_TARGET);
    const text = await sampleMapping(m, 1, { now: NOW });
    expect(text).toMatch(/^ {10}type: null # → outbound \(the default: the message has an author\)$/m);
    expect(text).toMatch(/^ {10}type: null # → inbound \(the default: no author\)$/m);
    lineWith(text, 'verdict', 'import');
  });
});
