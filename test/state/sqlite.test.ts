import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { SCHEMA_VERSION } from '../../src/state/migrations.js';

const tmp = () => join(mkdtempSync(join(tmpdir(), 'pm-state-')), 'state.db');

describe('SqliteStateStore', () => {
  it('creates lineage, serial and manifest name; refuses another migration’s state', () => {
    const p = tmp();
    const s = SqliteStateStore.open(p, { manifestName: 'acme' });
    const m = s.meta();
    expect(m.lineage).toMatch(/^[0-9a-f-]{36}$/);
    expect(m.serial).toBe(0);
    expect(m.manifestName).toBe('acme');
    expect(m.schemaVersion).toBe(SCHEMA_VERSION);
    s.close();
    expect(() => SqliteStateStore.open(p, { manifestName: 'other' })).toThrow(/belongs to the migration 'acme'/);
    const again = SqliteStateStore.open(p, { manifestName: 'acme' });
    expect(again.meta().lineage).toBe(m.lineage);
    again.close();
  });

  it('records successes and failures; a later failure never undoes a success', () => {
    const s = SqliteStateStore.open(tmp(), { manifestName: 'a' });
    const { runId } = s.acquireLock('apply a');
    s.record([{ address: 'thread["1"]', kind: 'thread', externalId: '1', inputHash: 'h', targetId: 'th_1', result: 'CREATED', attempts: 1 }], runId);
    s.record(
      [
        { address: 'message["1/a"]', kind: 'message', parent: 'thread["1"]', externalId: 'a', inputHash: 'm', targetId: 't_1', result: 'NOOP', attempts: 2 },
        { address: 'message["1/b"]', kind: 'message', parent: 'thread["1"]', externalId: 'b', inputHash: 'm', error: { code: 'input_validation', message: 'bad', type: 'VALIDATION', fields: [{ field: 'text', message: 'empty', type: 'REQUIRED' }] }, attempts: 1 },
      ],
      runId,
    );
    s.record([{ address: 'thread["1"]', kind: 'thread', externalId: '1', inputHash: 'h', error: { code: 'x', message: 'y' }, attempts: 1 }], runId);
    const t = s.get('thread["1"]')!;
    expect(t.status).toBe('applied');
    expect(t.targetId).toBe('th_1');
    expect(t.attempts).toBe(2);
    expect(s.children('thread["1"]').map((r) => [r.externalId, r.status])).toEqual([
      ['a', 'applied'],
      ['b', 'failed'],
    ]);
    expect(s.get('message["1/b"]')!.lastError!.fields![0]!.field).toBe('text');
    expect([...s.list('message[*')].length).toBe(2);
    expect(s.count().message).toEqual({ applied: 1, failed: 1 });
    s.releaseLock(runId, 'completed', { 'thread.CREATED': 1 });
    expect(s.meta().serial).toBe(1);
    expect(s.runs()[0]!.outcome).toBe('completed');
    expect(s.remove('message["1/*')).toBe(2);
    s.close();
  });

  it('refuses a second apply while one holds the lock, naming pid, host and start time', () => {
    const p = tmp();
    const a = SqliteStateStore.open(p, { manifestName: 'a' });
    const b = SqliteStateStore.open(p, { manifestName: 'a' });
    a.acquireLock('apply a');
    expect(() => b.acquireLock('apply a')).toThrow(new RegExp(`pid ${process.pid} on .+, since \\d{4}-`));
    a.close();
    b.close();
  });

  it('takes over a lock left by a process that no longer exists', () => {
    const p = tmp();
    const a = SqliteStateStore.open(p, { manifestName: 'a' });
    a.acquireLock('apply a');
    a.close();
    const db = new Database(p);
    db.prepare('UPDATE lock SET pid = 2147483646').run();
    db.close();
    const b = SqliteStateStore.open(p, { manifestName: 'a' });
    const taken = b.acquireLock('apply a');
    expect(taken.tookOverFrom?.pid).toBe(2147483646);
    expect(b.runs(5).find((r) => r.outcome === 'crashed')).toBeDefined();
    b.close();
  });

  it('refuses a state file from a newer schema', () => {
    const p = tmp();
    SqliteStateStore.open(p, { manifestName: 'a' }).close();
    const db = new Database(p);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    expect(() => SqliteStateStore.open(p, { manifestName: 'a' })).toThrow(/newer plain-migrate/);
  });
});
