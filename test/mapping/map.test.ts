import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifest } from '../../src/manifest/index.js';
import { Mapper, type MapResult } from '../../src/mapping/map.js';
import type { SourceIndex } from '../../src/sources/types.js';

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

async function mapper(threads: string, extra = '') {
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
  return new Mapper(m, { key: new Map([['u', users]]), groupBy: new Map([['c', comments]]) }, () => Date.parse('2025-01-01T00:00:00Z'));
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
    const m = await mapper(BASE.replace(`author: "by = 'agent' ? '${U}' : null"`, "author: \"by = 'agent' ? 'sara@old.test' : null\""));
    const r = await m.map({ id: 1, subject: 'Help', created: 1700000000, uid: 7 }, loc);
    expect(r.kind).toBe('thread');
    if (r.kind !== 'thread') return;
    expect(r.thread.messages.map((x) => x.externalId)).toEqual(['a']);
    expect(r.invalidMessages.map((x) => x.address)).toEqual(['message["x-1/b"]', 'message["x-1/c"]']);
    expect(r.invalidMessages[0]!.reasons[0]).toMatch(/messages\.author must be a Plain user id/);
  });

  it('a where that is false filters the record out', async () => {
    const m = await mapper(BASE.replace('source: t', "source: t\n  where: status != 'deleted'"));
    expect((await m.map({ id: 9, status: 'deleted' }, loc)).kind).toBe('filtered');
  });
});
