import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PmError } from '../../src/core/errors.js';
import { loadManifest } from '../../src/manifest/index.js';
import { Mapper, type MapResult } from '../../src/mapping/map.js';
import type { SourceIndex } from '../../src/sources/types.js';
import type { IdentityResolver } from '../../src/mapping/resolve.js';
import { adapterFor } from '../../src/targets/registry.js';

const U = 'u_01HB924PME9C0YWKW1N4AK3B01';
const LT = 'lt_01HB924PME9C0YWKW1N4AK3BZA';

function memIndex(records: Record<string, unknown[]>): SourceIndex {
  return {
    get: (k) => records[k]?.[0],
    getAll: (k) => records[k] ?? [],
    fingerprint: (k) => JSON.stringify(records[k] ?? null),
    errors: [],
    close: () => undefined,
  };
}

async function mapper(threads: string, extra = '', resolver?: IdentityResolver, top = '', indexes: { u?: SourceIndex; c?: SourceIndex } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pm-map-'));
  writeFileSync(join(dir, 't.jsonl'), '');
  writeFileSync(join(dir, 'u.jsonl'), '');
  writeFileSync(join(dir, 'c.jsonl'), '');
  const file = join(dir, 'plain-migrate.yaml');
  writeFileSync(
    file,
    `version: 1
name: t
target: { plain: { apiKey: k, endpoint: "http://127.0.0.1:1/graphql/v1" } }
sources:
  t: { path: t.jsonl }
  u: { path: u.jsonl, key: id }
  c: { path: c.jsonl, groupBy: tid }
tables:
  labels: { billing: ${LT}, _default: null }
  strict: { a: 1 }
${extra}
${top}
threads:
${threads}
`,
  );
  const m = await loadManifest(file, { env: {}, expressionTimeoutMs: 200, expressionMaxDepth: 100 });
  const users = memIndex({ '7': [{ id: 7, email: 'ann@example.test', name: 'Ann' }] });
  const comments = memIndex({
    '1': [
      { id: 'b', tid: 1, at: '2024-01-01T10:00:00Z', body: 'second', by: 'agent' },
      { id: 'a', tid: 1, at: '2024-01-01T09:00:00+00:00', body: 'first', by: 'cust' },
      { id: 'c', tid: 1, at: '2024-01-01T10:00:00Z', body: 'third, same time as second', by: 'agent' },
    ],
  });
  return new Mapper(m, { key: new Map([['u', indexes.u ?? users]]), groupBy: new Map([['c', indexes.c ?? comments]]) }, adapterFor(m.target).rules, () => Date.parse('2025-01-01T00:00:00Z'), resolver);
}

const BASE = `  source: t
  externalId: "'x-' & $string(id)"
  title: subject
  createdAt: created
  labels: $table('labels', tags)
  customer:
    email: $record('u', uid).email
    fullName: $record('u', uid).name
  messages:
    each: $records('c', id)
    externalId: id
    type: "by = 'agent' ? 'OUTBOUND' : 'INBOUND'"
    text: body
    createdAt: at
    author: "by = 'agent' ? '${U}' : null"`;

const loc = { file: 't.jsonl', line: 1, index: 0 };
const reasons = (r: MapResult) => (r.kind === 'invalid' ? r.invalid.reasons.join('\n') : '');

describe('Mapper', () => {
  it('maps a record into a thread with ordered messages (oldest first, equal times in source order)', async () => {
    const m = await mapper(BASE);
    const r = await m.map({ id: 1, subject: 'Help', created: 1700000000, uid: 7, tags: ['billing', 'other'] }, loc);
    expect(r.kind).toBe('thread');
    if (r.kind !== 'thread') return;
    expect(r.thread).toMatchObject({
      externalId: 'x-1',
      title: 'Help',
      createdAt: '2023-11-14T22:13:20.000Z',
      status: 'DONE',
      statusDetail: 'DONE_MANUALLY_SET',
      priority: 2,
      labelTypeIds: [LT],
      customer: { email: 'ann@example.test', fullName: 'Ann' },
    });
    expect(r.thread.messages.map((x) => x.externalId)).toEqual(['a', 'b', 'c']);
    expect(r.thread.messages[0]!.author).toEqual({ kind: 'customer' });
    expect(r.thread.messages[1]!.author).toEqual({ kind: 'user', userId: U });
    expect(m.unmapped.counts.get('labels\u0000other')).toMatchObject({ count: 1, defaulted: true });
  });

  it('reports every reason of an invalid record, not only the first', async () => {
    const m = await mapper(BASE.replace('createdAt: created', 'createdAt: created\n  priority: 7\n  status: "\'SNOOZED\'"\n  statusDetail: "\'IGNORED\'"'));
    const r = await m.map({ id: 2, subject: '  ', created: '2099-01-01T00:00:00Z', uid: 8, tags: 'x' }, loc);
    expect(r.kind).toBe('invalid');
    const why = reasons(r);
    expect(why).toMatch(/threads\.title is required/);
    expect(why).toMatch(/threads\.createdAt is in the future/);
    expect(why).toMatch(/threads\.priority must be an integer 0\.\.3/);
    expect(why).toMatch(/statusDetail "IGNORED" does not fit status SNOOZED/);
    expect(why).toMatch(/threads\.customer\.email is required/);
    if (r.kind === 'invalid') expect(r.invalid.address).toBe('thread["x-2"]');
  });

  it('a table value with no row and no _default fails the record, naming the table and the value', async () => {
    const m = await mapper(BASE.replace('title: subject', "title: subject\n  priority: $table('strict', p)"));
    const r = await m.map({ id: 3, subject: 's', created: 1700000000, uid: 7, p: 'zzz' }, loc);
    expect(reasons(r)).toMatch(/\$table\('strict'\): no row for "zzz"/);
    expect(m.unmapped.counts.get('strict\u0000zzz')).toMatchObject({ count: 1, defaulted: false });
  });

  it('a runaway expression fails its record through the guard, not the process', async () => {
    const m = await mapper(BASE.replace('title: subject', 'title: "($f := function($n){ $f($n + 1) }; $f(0))"'));
    const r = await m.map({ id: 4, subject: 's', created: 1700000000, uid: 7 }, loc);
    expect(r.kind).toBe('invalid');
    expect(reasons(r)).toMatch(/threads\.title: .*(stack|timeout|guard)/i);
  });

  it('invalid messages are reported on their own address and the thread goes on', async () => {
    const m = await mapper(BASE.replace(`author: "by = 'agent' ? '${U}' : null"`, "author: \"by = 'agent' ? 'Sara Old' : null\""));
    const r = await m.map({ id: 1, subject: 'Help', created: 1700000000, uid: 7 }, loc);
    expect(r.kind).toBe('thread');
    if (r.kind !== 'thread') return;
    expect(r.thread.messages.map((x) => x.externalId)).toEqual(['a']);
    expect(r.invalidMessages.map((x) => x.address)).toEqual(['message["x-1/b"]', 'message["x-1/c"]']);
    expect(r.invalidMessages[0]!.reasons[0]).toMatch(/messages\.author must be a Plain user id \(u_…\) or a user's email/);
  });

  it("a look-up that cannot go on (a PmError: a source changed under its index) stops the mapping instead of failing the record", async () => {
    const changed = new PmError('source.changed', 'source c.jsonl changed while it was being read: it is not the file that was indexed');
    const failing: SourceIndex = { ...memIndex({}), get: () => { throw changed; }, getAll: () => { throw changed; } };
    const record = { id: 1, subject: 'Help', created: 1700000000, uid: 7, tags: [] };
    await expect((await mapper(BASE, '', undefined, '', { c: failing })).map(record, loc)).rejects.toBe(changed);
    await expect((await mapper(BASE, '', undefined, '', { u: failing })).map(record, loc)).rejects.toBe(changed);
    // Any other error of a look-up is the record's reason, as before.
    const plain: SourceIndex = { ...memIndex({}), getAll: () => { throw new Error('disk on fire'); } };
    const r = await (await mapper(BASE, '', undefined, '', { c: plain })).map(record, loc);
    expect(reasons(r)).toContain('disk on fire');
  });

  it('a where that is false filters the record out', async () => {
    const m = await mapper(BASE.replace('source: t', "source: t\n  where: status != 'deleted'"));
    expect((await m.map({ id: 9, status: 'deleted' }, loc)).kind).toBe('filtered');
  });
});

const U2 = 'u_01HB924PME9C0YWKW1N4AK3B02';
const LT2 = 'lt_01HB924PME9C0YWKW1N4AK3BZB';

/** A directory with one label type, two users (one gone, with a fallback), and three thread fields. */
function directory(opts: { createMissing?: boolean } = {}): IdentityResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    labelType: async (name) => {
      asked.push(`label:${name}`);
      if (name === 'Bug') return { id: LT2 };
      return opts.createMissing ? { create: name } : { reason: `no label type named "${name}"` };
    },
    user: async (email) => {
      asked.push(`user:${email}`);
      if (email === 'sara@acme.test') return { id: U2 };
      if (email === 'gone@acme.test') return { id: U, fallbackFor: 'gone@acme.test is a deleted Plain user' };
      return { reason: `${email} is not a Plain user` };
    },
    fieldSchema: async (key) => {
      if (key === 'order_id') return { type: 'STRING', enumValues: [] };
      if (key === 'is_vip') return { type: 'BOOL', enumValues: [] };
      if (key === 'tier') return { type: 'ENUM', enumValues: ['gold', 'silver'] };
      if (key === 'amount') return { type: 'NUMBER', enumValues: [] };
      return { reason: `the workspace has no thread field with key "${key}"` };
    },
  };
}

const REC = { id: 1, subject: 'Help', created: 1700000000, uid: 7 };

describe('Mapper: identities, tenants, thread fields and attachments', () => {
  it('label types by name and by id; an unknown name fails the record with the reason, or is planned for creation', async () => {
    const labels = BASE.replace("labels: $table('labels', tags)", 'labels: tags');
    const dir = directory();
    const m = await mapper(labels, '', dir);
    const ok = await m.map({ ...REC, tags: ['Bug', LT, 'Bug'] }, loc);
    expect(ok.kind === 'thread' && ok.thread.labelTypeIds).toEqual([LT2, LT]);
    expect(reasons(await m.map({ ...REC, tags: ['Bug', 'nope'] }, loc))).toMatch(/threads\.labels: no label type named "nope"/);
    const create = await (await mapper(labels, '', directory({ createMissing: true }))).map({ ...REC, tags: ['Bug', 'vip'] }, loc);
    expect(create.kind === 'thread' && create.thread.labelTypeIds).toEqual([LT2]);
    expect(create.kind === 'thread' && create.thread.pendingLabelTypes).toEqual(['vip']);
  });

  it("agents by email: found, a fallback to the agents table's _default counted per thread and message, an unknown assignee leaving the thread unassigned and an unknown author failing its message", async () => {
    const t = BASE.replace('createdAt: created', 'createdAt: created\n  assignee: agent').replace(`author: "by = 'agent' ? '${U}' : null"`, 'author: "by = \'agent\' ? $thread.agent : null"');
    const m = await mapper(t, '', directory());
    const ok = await m.map({ ...REC, agent: 'sara@acme.test' }, loc);
    expect(ok.kind === 'thread' && ok.thread.assignee).toEqual({ userId: U2 });
    expect(ok.kind === 'thread' && ok.thread.messages[1]!.author).toEqual({ kind: 'user', userId: U2 });
    const gone = await m.map({ ...REC, agent: 'gone@acme.test' }, loc);
    expect(gone.kind === 'thread' && gone.thread.assignee).toEqual({ userId: U });
    expect(gone.kind === 'thread' && gone.unresolvedAgents).toBe(true);
    expect(m.unresolvedAgents.get('gone@acme.test')).toMatchObject({ threads: 1, messages: 2, fallback: U });
    const unknown = await m.map({ ...REC, agent: 'who@acme.test' }, loc);
    expect(unknown.kind).toBe('thread');
    expect(unknown.kind === 'thread' && unknown.thread.assignee).toBeUndefined();
    expect(unknown.kind === 'thread' && unknown.unresolvedAgents).toBe(true);
    const why = ['messages.author: who@acme.test is not a Plain user; a message needs an author: add a row for it to the agents table, or give the table a _default'];
    expect(unknown.kind === 'thread' && unknown.invalidMessages.map((x) => x.reasons)).toEqual([why, why]);
    expect(m.unresolvedAgents.get('who@acme.test')).toMatchObject({ threads: 1, messages: 2, fallback: null });
    const found = await m.map({ ...REC, agent: 'sara@acme.test' }, loc);
    expect(found.kind === 'thread' && found.unresolvedAgents).toBeUndefined();
  });

  it('a tenant is {externalId, name}; a bare value is its externalId; anything else fails the record', async () => {
    const m = await mapper(BASE.replace('createdAt: created', 'createdAt: created\n  tenant: org'));
    const a = await m.map({ ...REC, org: { externalId: 'org-1', name: 'Acme' } }, loc);
    expect(a.kind === 'thread' && a.thread.tenant).toEqual({ externalId: 'org-1', name: 'Acme' });
    const b = await m.map({ ...REC, org: 42 }, loc);
    expect(b.kind === 'thread' && b.thread.tenant).toEqual({ externalId: '42', name: '42' });
    expect(reasons(await m.map({ ...REC, org: { name: 'x' } }, loc))).toMatch(/threads\.tenant must be \{externalId, name\}/);
  });

  it("thread fields are checked against the workspace's schemas; null values are left out", async () => {
    const t = BASE.replace('createdAt: created', 'createdAt: created\n  fields:\n    order_id: order\n    is_vip: vip\n    tier: tier\n    amount: amount');
    const m = await mapper(t, '', directory());
    const ok = await m.map({ ...REC, order: 12345, vip: true, tier: 'gold', amount: '9.5' }, loc);
    expect(ok.kind === 'thread' && ok.thread.fields).toEqual({ order_id: '12345', is_vip: true, tier: 'gold', amount: 9.5 });
    expect(ok.kind === 'thread' && ok.thread.fieldTypes).toEqual({ order_id: 'STRING', is_vip: 'BOOL', tier: 'ENUM', amount: 'NUMBER' });
    const none = await m.map({ ...REC, order: null }, loc);
    expect(none.kind === 'thread' && none.thread.fields).toBeUndefined();
    const bad = reasons(await m.map({ ...REC, vip: 'yes', tier: 'bronze', amount: 'lots' }, loc));
    expect(bad).toMatch(/threads\.fields\.is_vip must be true or false/);
    expect(bad).toMatch(/threads\.fields\.tier must be one of "gold", "silver"/);
    expect(bad).toMatch(/threads\.fields\.amount must be a number/);
    const unknown = await (await mapper(BASE.replace('createdAt: created', 'createdAt: created\n  fields:\n    nope: order'), '', directory())).map({ ...REC, order: 1 }, loc);
    expect(reasons(unknown)).toMatch(/threads\.fields\.nope: the workspace has no thread field/);
  });

  it('attachments: kept, inline images turned into attachments with a marker, files Plain refuses noted in the text (onSkip: note)', async () => {
    const t = BASE.replace('    text: body', "    text: body\n    attachments: files");
    const m = await mapper(t);
    const files = [
      { url: 'https://files.test/a/report.pdf', fileName: 'report.pdf', size: 1000 },
      { url: 'https://files.test/b/setup.exe', fileName: 'setup.exe', size: 10 },
      { url: 'https://files.test/c/huge.zip', fileName: 'huge.zip', size: 7_000_000 },
      { url: 'https://files.test/d/shot.png', fileName: 'shot.png', inline: true },
    ];
    const r = await m.map({ ...REC, id: 2 }, loc);
    expect(r.kind).toBe('thread');
    const comments = { id: 'a', tid: 2, at: '2024-01-01T09:00:00Z', body: 'see ![shot](https://files.test/d/shot.png)', by: 'cust', files };
    const m2 = await mapper(t.replace("each: $records('c', id)", 'each: comments'));
    const r2 = await m2.map({ ...REC, comments: [comments] }, loc);
    expect(r2.kind).toBe('thread');
    if (r2.kind !== 'thread') return;
    const msg = r2.thread.messages[0]!;
    expect(msg.attachments?.map((a) => a.fileName)).toEqual(['report.pdf', 'shot.png']);
    expect(msg.text).toContain('[image: shot.png]');
    expect(msg.text).not.toContain('](https://files.test/d/shot.png)');
    expect(msg.text).toMatch(/\[Attachment not migrated: setup\.exe — [^\]]*exe[^\]]*\]/);
    expect(msg.text).toMatch(/\[Attachment not migrated: huge\.zip — /);
    expect(r2.notes.map((n) => n.note).join('\n')).toMatch(/setup\.exe skipped[\s\S]*huge\.zip skipped/);
    expect(r2.notes[0]!.address).toBe('message["x-1/a"]');

    const strict = await mapper(t.replace("each: $records('c', id)", 'each: comments'), '', undefined, 'attachments: { onSkip: fail }');
    const r3 = await strict.map({ ...REC, comments: [comments] }, loc);
    expect(r3.kind === 'thread' && r3.invalidMessages[0]!.reasons.join('\n')).toMatch(/setup\.exe: .*onSkip: fail/);
    const r4 = await m2.map({ ...REC, comments: [{ ...comments, files: [{ fileName: 'x' }] }] }, loc);
    expect(r4.kind === 'thread' && r4.invalidMessages[0]!.reasons.join('\n')).toMatch(/messages\.attachments\[0\] needs exactly one of url and path/);
  });
});
