/**
 * The state contract, run against both backends: the SQLite file and a real PostgreSQL (started for the
 * test run by helpers/pg-global.ts). Whatever plan, apply and pull rely on is here, so that a backend
 * that breaks it fails the same test as the other.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgStateStore } from '../../src/state/postgres.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { ApplyOutcome, StateStore } from '../../src/state/types.js';
import { freshDatabase } from '../helpers/pg.js';

interface Backend {
  readonly name: 'sqlite' | 'postgres';
  /** A new, empty place for states; `open` opens (creating) the state of that migration name there. */
  place(): Promise<{ open(name?: string): Promise<StateStore>; url?: string }>;
}

const backends: Backend[] = [
  {
    name: 'sqlite',
    async place() {
      const file = join(mkdtempSync(join(tmpdir(), 'pm-contract-')), 'state.db');
      return { open: async (name = 'acme') => SqliteStateStore.open(file, { manifestName: name }) };
    },
  },
  {
    name: 'postgres',
    async place() {
      const url = await freshDatabase('contract');
      return { url, open: async (name = 'acme') => (await PgStateStore.open({ url, schema: 'plain_migrate', manifestName: name, create: true }))! };
    },
  },
];

const ok = (address: string, extra: Partial<ApplyOutcome> = {}): ApplyOutcome => ({
  address,
  kind: 'thread',
  externalId: address,
  inputHash: 'h',
  targetId: `th_${address}`,
  result: 'CREATED',
  attempts: 1,
  ...extra,
});

const rec = (id: number, extra: Record<string, unknown> = {}) => ({ id: String(id), deleted: extra['status'] === 'deleted', json: JSON.stringify({ id, ...extra }) });

describe.each(backends)('state contract: $name', (b) => {
  it('creates lineage and serial once; a reopen sees the same', async () => {
    const place = await b.place();
    const s = await place.open();
    const m = await s.meta();
    expect(m.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.serial).toBe(0);
    expect(m.manifestName).toBe('acme');
    await s.close();
    const again = await place.open();
    expect((await again.meta()).lineage).toBe(m.lineage);
    await again.close();
  });

  it('records successes and failures; a later failure never undoes a success; serial moves with a changing run', async () => {
    const s = await (await b.place()).open();
    const { runId } = await s.acquireLock('apply acme');
    await s.record([ok('thread["1"]')], runId);
    await s.record(
      [
        { address: 'message["1/a"]', kind: 'message', parent: 'thread["1"]', externalId: 'a', inputHash: 'm', targetId: 't_1', result: 'NOOP', attempts: 2 },
        {
          address: 'message["1/b"]',
          kind: 'message',
          parent: 'thread["1"]',
          externalId: 'b',
          inputHash: 'm',
          error: { code: 'input_validation', message: 'bad', type: 'VALIDATION', fields: [{ field: 'text', message: 'empty', type: 'REQUIRED' }] },
          attempts: 1,
        },
      ],
      runId,
    );
    await s.record([{ address: 'thread["1"]', kind: 'thread', externalId: '1', inputHash: 'h2', error: { code: 'x', message: 'y' }, attempts: 1 }], runId);
    const t = (await s.get('thread["1"]'))!;
    expect(t).toMatchObject({ status: 'applied', targetId: 'th_thread["1"]', inputHash: 'h', result: 'CREATED', attempts: 2, lastError: { code: 'x', message: 'y' } });
    expect((await s.children('thread["1"]')).map((r) => [r.externalId, r.status])).toEqual([
      ['a', 'applied'],
      ['b', 'failed'],
    ]);
    // The plan cache's stamp counts them without reading every row: the same figures as children().
    const kids = await s.children('thread["1"]');
    expect(await s.childrenSummary('thread["1"]')).toEqual({
      count: kids.length,
      applied: kids.filter((r) => r.status === 'applied').length,
      latestUpdatedAt: kids.map((r) => r.updatedAt).sort().at(-1),
    });
    expect(await s.childrenSummary('thread["none"]')).toEqual({ count: 0, applied: 0, latestUpdatedAt: '' });
    expect((await s.get('message["1/b"]'))!.lastError!.fields![0]!.field).toBe('text');
    const listed: string[] = [];
    for await (const r of s.list('message[*')) listed.push(r.address);
    expect(listed).toEqual(['message["1/a"]', 'message["1/b"]']);
    expect((await s.count()).message).toEqual({ applied: 1, failed: 1 });
    expect((await s.failures()).map((r) => r.address)).toEqual(['message["1/b"]', 'thread["1"]']);
    // A success after a failure clears the error and replaces hash, id and result.
    await s.record([ok('thread["1"]', { inputHash: 'h3', targetId: 'th_new', result: 'UPDATED', applied: { title: 'x' } })], runId);
    expect(await s.get('thread["1"]')).toMatchObject({ inputHash: 'h3', targetId: 'th_new', result: 'UPDATED', lastError: null, applied: { title: 'x' }, attempts: 3 });
    await s.releaseLock(runId, 'completed', { 'thread.CREATED': 1 });
    expect((await s.meta()).serial).toBe(1);
    expect((await s.runs())[0]).toMatchObject({ id: runId, outcome: 'completed', counts: { 'thread.CREATED': 1 } });
    // A run that changed nothing leaves the serial alone.
    const quiet = await s.acquireLock('apply acme');
    await s.releaseLock(quiet.runId, 'completed', {});
    expect((await s.meta()).serial).toBe(1);
    // A thread's messages go with it.
    expect(await s.remove('thread["1"]')).toBe(3);
    expect(await s.get('message["1/a"]')).toBeUndefined();
    await s.close();
  });

  it('pages rows of one kind in address order, and lists by pattern across pages', async () => {
    const s = await (await b.place()).open();
    const { runId } = await s.acquireLock('apply acme');
    const threads = Array.from({ length: 1203 }, (_, i) => ok(`thread["${String(i).padStart(5, '0')}"]`));
    await s.record(threads, runId);
    await s.record([ok('customer[a@x]', { kind: 'customer' })], runId);
    const seen: string[] = [];
    let after = '';
    for (;;) {
      const page = await s.page('thread', after, 500);
      seen.push(...page.map((r) => r.address));
      if (page.length < 500) break;
      after = page[page.length - 1]!.address;
    }
    expect(seen).toEqual(threads.map((t) => t.address));
    let n = 0;
    for await (const r of s.list('thread["00*')) {
      expect(r.kind).toBe('thread');
      n++;
    }
    expect(n).toBe(1000);
    // Byte order, as SQLite compares: upper case before lower case, `_` and `%` are not wildcards.
    await s.record([ok('thread["B"]'), ok('thread["a"]'), ok('thread["a_b"]'), ok('thread["a%b"]'), ok('thread["axb"]')], runId);
    const letters: string[] = [];
    for await (const r of s.list('thread["a_*')) letters.push(r.address);
    expect(letters).toEqual(['thread["a_b"]']);
    const tail = await s.page('thread', 'thread["9', 10);
    expect(tail.map((r) => r.address)).toEqual(['thread["B"]', 'thread["a"]', 'thread["a%b"]', 'thread["a_b"]', 'thread["axb"]']);
    await s.releaseLock(runId, 'completed', {});
    await s.close();
  });

  it('commits every result of concurrent calls, each durable when it resolves, repeats included', async () => {
    const place = await b.place();
    const s = await place.open();
    const { runId } = await s.acquireLock('apply acme');
    const calls = Array.from({ length: 200 }, (_, i) => s.record([ok(`thread["${i}"]`), ok(`thread["${i}"]`, { attempts: 2, result: 'NOOP' })], runId));
    await Promise.all(calls);
    const other = await place.open();
    expect((await other.count()).thread.applied).toBe(200);
    expect(await other.get('thread["7"]')).toMatchObject({ attempts: 3, result: 'NOOP' });
    await other.close();
    await s.releaseLock(runId, 'completed', {});
    await s.close();
  });

  it('remembers invalid records per run and forgets those a complete run did not see', async () => {
    const s = await (await b.place()).open();
    const r1 = await s.acquireLock('apply acme');
    await s.recordInvalid([{ address: 'thread["x"]', where: 't.jsonl:3', reasons: ['no id'] }, { address: 'thread["y"]', where: 't.jsonl:4', reasons: ['a', 'b'] }], r1.runId);
    await s.releaseLock(r1.runId, 'completed', {});
    const r2 = await s.acquireLock('apply acme');
    await s.recordInvalid([{ address: 'thread["y"]', where: 't.jsonl:5', reasons: ['c'] }], r2.runId);
    await s.forgetInvalidNotSeenIn(r2.runId);
    await s.releaseLock(r2.runId, 'completed', {});
    expect(await s.invalidRecords()).toMatchObject([{ address: 'thread["y"]', where: 't.jsonl:5', reasons: ['c'], runId: r2.runId }]);
    expect(await s.invalidRecords('thread["x*')).toEqual([]);
    await s.rememberIdentity('user', 'sara@acme.test', 'u_1');
    expect(await s.identity('user', 'sara@acme.test')).toBe('u_1');
    expect(await s.identity('user', 'tom@acme.test')).toBeUndefined();
    await s.close();
  });

  it('refuses a second lock holder, naming the operation, pid, host and start; force-unlock frees it', async () => {
    const place = await b.place();
    const a = await place.open();
    const other = await place.open();
    const { runId } = await a.acquireLock('apply acme');
    const refused = await other.acquireLock('apply acme').catch((e: unknown) => e as Error & { code: string; hint: string });
    expect(refused).toMatchObject({ code: 'state.locked' });
    expect(refused.message).toContain(`'apply acme' (lock ID ${runId}:`);
    expect(refused.message).toMatch(new RegExp(`pid ${process.pid} on .+, since \\d{4}-`));
    expect(await other.lockHolder()).toMatchObject({ lockId: runId, pid: process.pid, command: 'apply acme' });
    await expect(other.forceUnlock(runId + 1000)).rejects.toMatchObject({ code: 'state.lock-id-mismatch' });
    const { did, holder } = await other.forceUnlock(runId);
    expect(holder.lockId).toBe(runId);
    expect(did).toMatch(b.name === 'postgres' ? /ended the holder's database session/ : /removed the lock/);
    if (b.name === 'postgres') {
      // The holder learns it lost the lock, and writes nothing more.
      await expect.poll(() => a.lockLost.aborted, { timeout: 5000 }).toBe(true);
      await expect(a.record([ok('thread["late"]')], runId)).rejects.toMatchObject({ code: 'state.lock-lost' });
    }
    const next = await other.acquireLock('apply acme');
    expect(next.runId).toBeGreaterThan(runId);
    await other.releaseLock(next.runId, 'completed', {});
    expect(await other.get('thread["late"]')).toBeUndefined();
    await expect(other.forceUnlock(next.runId)).rejects.toMatchObject({ code: 'state.not-locked' });
    await a.close().catch(() => undefined);
    await other.close();
  });

  it('snapshot: commits records and the cursor together; reads them back in first-pulled order', async () => {
    const s = await (await b.place()).open();
    expect(await s.snapshot.version()).toBe(0);
    expect(await s.snapshot.stream('z.tickets')).toBeUndefined();
    expect(await s.snapshot.commit('z.tickets', [rec(3), rec(1)], { after: 'c1' })).toEqual({ added: 2, updated: 0 });
    expect(await s.snapshot.commit('z.tickets', [rec(2)], { after: 'c2' }, { complete: true })).toEqual({ added: 1, updated: 0 });
    expect(await s.snapshot.stream('z.tickets')).toMatchObject({ stream: 'z.tickets', cursor: { after: 'c2' }, complete: true, records: 3, deleted: 0, seq: 2 });
    expect((await s.snapshot.page('z.tickets', 0, 10)).map((r) => r.id)).toEqual(['3', '1', '2']);
    expect((await s.snapshot.page('z.tickets', 2, 10)).map((r) => r.id)).toEqual(['2']);
    expect((await s.snapshot.get('z.tickets', '1'))!.json).toBe(rec(1).json);
    expect((await s.snapshot.streams()).map((x) => x.stream)).toEqual(['z.tickets']);
    // A record twice in one page: added, then updated, as it arrives.
    expect(await s.snapshot.commit('z.users', [rec(9, { v: 1 }), rec(9, { v: 2 })], null)).toEqual({ added: 1, updated: 1 });
    expect(JSON.parse((await s.snapshot.get('z.users', '9'))!.json)).toEqual({ id: 9, v: 2 });
    await s.close();
  });

  it('snapshot: an unchanged record changes nothing; a changed one keeps its place with a new version', async () => {
    const s = await (await b.place()).open();
    await s.snapshot.commit('z.tickets', [rec(1, { status: 'open' }), rec(2, { status: 'open' })], null, { complete: true });
    const v = await s.snapshot.version();
    expect(await s.snapshot.commit('z.tickets', [rec(1, { status: 'open' })], null)).toEqual({ added: 0, updated: 0 });
    expect(await s.snapshot.version()).toBe(v);
    expect(await s.snapshot.commit('z.tickets', [rec(1, { status: 'deleted' })], null)).toEqual({ added: 0, updated: 1 });
    expect(await s.snapshot.version()).toBe(v + 1);
    expect((await s.snapshot.page('z.tickets', 0, 10)).map((r) => [r.id, r.deleted])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(await s.snapshot.stream('z.tickets')).toMatchObject({ records: 2, deleted: 1, complete: true });
    expect((await s.snapshot.changedSince('z.tickets', { seq: v, ord: Number.MAX_SAFE_INTEGER }, 10)).map((r) => r.id)).toEqual(['1']);
    expect((await s.snapshot.changedSince('z.tickets', { seq: 0, ord: 0 }, 10)).map((r) => r.id)).toEqual(['2', '1']);
    const first = (await s.snapshot.changedSince('z.tickets', { seq: 0, ord: 0 }, 1))[0]!;
    expect((await s.snapshot.changedSince('z.tickets', { seq: first.seq, ord: first.ord }, 10)).map((r) => r.id)).toEqual(['1']);
    await s.close();
  });

  it('snapshot: a page that fails to commit leaves the records and the cursor as they were', async () => {
    const s = await (await b.place()).open();
    await s.snapshot.commit('z.tickets', [rec(1)], { after: 'c1' });
    const bad = { id: '2', deleted: false, json: null as unknown as string };
    await expect(s.snapshot.commit('z.tickets', [rec(3), bad], { after: 'c2' })).rejects.toThrow();
    expect(await s.snapshot.stream('z.tickets')).toMatchObject({ cursor: { after: 'c1' }, records: 1 });
    expect((await s.snapshot.page('z.tickets', 0, 10)).map((r) => r.id)).toEqual(['1']);
    await s.close();
  });
});
