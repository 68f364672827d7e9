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

  it('refuses a state file from a newer schema', () => {
    const p = tmp();
    SqliteStateStore.open(p, { manifestName: 'a' }).closeNow();
    const db = new Database(p);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStateStore.open(p, { manifestName: 'a' })).toThrow(/newer plain-migrate/);
  });
});
