/** What only the SQLite file does (the shared contract is in contract.test.ts). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { SCHEMA_VERSION } from '../../src/state/migrations.js';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'pm-state-')), 'state.db');

describe('SqliteStateStore', () => {
  it('refuses another migration’s state file', async () => {
    const p = tmp();
    const s = SqliteStateStore.open(p, { manifestName: 'acme' });
    expect((await s.meta()).schemaVersion).toBe(SCHEMA_VERSION);
    await s.close();
    expect(() => SqliteStateStore.open(p, { manifestName: 'other' })).toThrow(/belongs to the migration 'acme'/);
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const p = tmp();
    const a = SqliteStateStore.open(p, { manifestName: 'a' });
    await a.acquireLock('apply a');
    await a.close();
    const db = new Database(p);
    db.prepare('UPDATE lock SET pid = 2147483646').run();
    db.close();
    const b = SqliteStateStore.open(p, { manifestName: 'a' });
    const taken = await b.acquireLock('apply a');
    expect(taken.tookOverFrom?.pid).toBe(2147483646);
    expect((await b.runs(5)).find((r) => r.outcome === 'crashed')).toBeDefined();
    await b.close();
  });

  it('counts a thread\'s messages from the parent index alone, and brings a schema-5 file to it keeping every row', async () => {
    const p = tmp();
    const s = SqliteStateStore.open(p, { manifestName: 'a' });
    const { runId } = await s.acquireLock('apply a');
    const ok = (address: string, kind: 'thread' | 'message', parent?: string) => ({
      address,
      kind,
      ...(parent ? { parent } : {}),
      externalId: address,
      inputHash: 'h',
      targetId: `t_${address}`,
      result: 'CREATED' as const,
      attempts: 1,
    });
    await s.record([ok('thread["1"]', 'thread'), ...['a', 'b', 'c'].map((m) => ok(`message["1/${m}"]`, 'message', 'thread["1"]'))], runId);
    await s.releaseLock(runId, 'completed', { 'thread.CREATED': 1, 'message.CREATED': 3 });
    const summary = await s.childrenSummary('thread["1"]');
    expect(summary).toMatchObject({ count: 3, applied: 3 });
    await s.close();
    const plan = (db: Database.Database) =>
      db.prepare("EXPLAIN QUERY PLAN SELECT count(*) AS n, sum(status = 'applied') AS applied, max(updated_at) AS latest FROM resources WHERE parent = ?").all('thread["1"]').map((r) => (r as { detail: string }).detail);
    const db = new Database(p);
    expect(plan(db)).toEqual(['SEARCH resources USING COVERING INDEX resources_parent (parent=?)']);
    // The file as schema 5 left it: the parent index of the parent alone.
    db.exec('DROP INDEX resources_parent; CREATE INDEX resources_parent ON resources (parent) WHERE parent IS NOT NULL;');
    db.pragma('user_version = 5');
    expect(plan(db)).toEqual(['SEARCH resources USING INDEX resources_parent (parent=?)']);
    db.close();
    const again = SqliteStateStore.open(p, { manifestName: 'a' });
    expect((await again.meta()).schemaVersion).toBe(6);
    expect(await again.childrenSummary('thread["1"]')).toEqual(summary);
    expect((await again.children('thread["1"]')).map((r) => r.address)).toEqual(['message["1/a"]', 'message["1/b"]', 'message["1/c"]']);
    await again.close();
    const upgraded = new Database(p, { readonly: true });
    expect(plan(upgraded)).toEqual(['SEARCH resources USING COVERING INDEX resources_parent (parent=?)']);
    upgraded.close();
  });

  it('refuses a state file from a newer schema', () => {
    const p = tmp();
    SqliteStateStore.open(p, { manifestName: 'a' }).closeNow();
    const db = new Database(p);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStateStore.open(p, { manifestName: 'a' })).toThrow(/newer plain-migrate/);
  });
});
