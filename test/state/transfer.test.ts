/**
 * `state migrate`'s copy, both ways: a SQLite state with every kind of row (resources of each status,
 * runs, invalid records, identities, a snapshot with a deleted record) copied into PostgreSQL and back
 * into a new SQLite file gives the same rows, lineage and serial; run ids are given anew and the rows
 * that name a run follow them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PgStateStore } from '../../src/state/postgres.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { TransferableState, TransferChunk } from '../../src/state/transfer.js';
import type { StateStore } from '../../src/state/types.js';
import { freshDatabase } from '../helpers/pg.js';

const file = () => join(mkdtempSync(join(tmpdir(), 'pm-transfer-')), 'state.db');

/** Everything a store exports, without run ids (they are renumbered), in a comparable shape. */
async function contents(s: TransferableState, skipRun?: number): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for await (const c of s.exportState(skipRun) as AsyncGenerator<TransferChunk>) {
    const rows = (c.rows as Array<Record<string, unknown>>).map((r) => {
      const { id, run_id, ...rest } = r;
      return c.table === 'runs' ? rest : c.table === 'snapshot_records' || c.table === 'identities' ? { ...rest, ...(id !== undefined ? { id } : {}) } : { ...rest, ran: run_id === null ? null : 'run' };
    });
    (out[c.table] ??= []).push(...rows);
  }
  return out;
}

async function copy(from: StateStore & TransferableState, to: StateStore & TransferableState): Promise<void> {
  const src = await from.acquireLock('state migrate');
  const dst = await to.acquireLock('state migrate');
  await to.importState(await from.transferMeta(), from.exportState(src.runId), dst.runId);
  await to.releaseLock(dst.runId, 'migrated', {});
  await from.releaseLock(src.runId, 'migrated', {});
}

describe('state migrate: the copy', () => {
  it('SQLite → PostgreSQL → SQLite keeps every row, the lineage and the serial', async () => {
    const a = SqliteStateStore.open(file(), { manifestName: 'm' });
    const r1 = await a.acquireLock('apply m');
    await a.record(
      [
        { address: 'thread["1"]', kind: 'thread', externalId: '1', inputHash: 'h1', targetId: 'th_1', result: 'CREATED', applied: { title: 'x' }, attempts: 1 },
        { address: 'message["1/a"]', kind: 'message', parent: 'thread["1"]', externalId: 'a', inputHash: 'm', targetId: 't_1', result: 'CREATED', attempts: 1 },
        { address: 'message["1/b"]', kind: 'message', parent: 'thread["1"]', externalId: 'b', inputHash: 'm', error: { code: 'input_validation', message: 'bad' }, attempts: 3 },
        { address: 'customer["c@x"]', kind: 'customer', externalId: 'c@x', inputHash: 'c', targetId: 'c_1', result: 'NOOP', attempts: 1 },
      ],
      r1.runId,
    );
    await a.recordInvalid([{ address: 'thread["2"]', where: 't.jsonl:2', reasons: ['no title'] }], r1.runId);
    await a.releaseLock(r1.runId, 'completed', { 'thread.CREATED': 1 });
    await a.rememberIdentity('user', 'sara@x', 'u_1');
    await a.snapshot.commit('zd.tickets', [{ id: '7', deleted: false, json: '{"id":7}' }, { id: '8', deleted: true, json: '{"id":8,"status":"deleted"}' }], { after: 'c9' }, { complete: true });
    const before = await contents(a);
    const meta = await a.transferMeta();
    expect(meta.serial).toBe(1);

    const pg = (await PgStateStore.open({ url: await freshDatabase('transfer'), schema: 'plain_migrate', manifestName: 'm', create: true }))!;
    expect(await pg.isEmpty()).toBe(true);
    await copy(a, pg);
    expect(await pg.transferMeta()).toEqual(meta);
    const inPg = await contents(pg);
    // The copy's own run is in the destination; apart from it, the same rows.
    expect({ ...inPg, runs: inPg['runs']!.filter((r) => (r as { command: string }).command !== 'state migrate') }).toEqual(before);
    expect(await pg.get('message["1/b"]')).toMatchObject({ status: 'failed', attempts: 3, lastError: { code: 'input_validation' } });
    expect(await pg.identity('user', 'sara@x')).toBe('u_1');
    expect(await pg.snapshot.stream('zd.tickets')).toMatchObject({ cursor: { after: 'c9' }, complete: true, records: 2, deleted: 1 });
    expect((await pg.invalidRecords())[0]).toMatchObject({ address: 'thread["2"]', reasons: ['no title'] });
    // The invalid record names its run by the destination's new id.
    const runs = await pg.runs();
    expect(runs.map((r) => r.id)).toContain((await pg.invalidRecords())[0]!.runId);

    const back = SqliteStateStore.open(file(), { manifestName: 'm' });
    await copy(pg, back);
    expect(await back.transferMeta()).toEqual(meta);
    const again = await contents(back);
    expect({ ...again, runs: again['runs']!.filter((r) => (r as { command: string }).command !== 'state migrate') }).toEqual(before);
    // A further apply continues the serial.
    const r2 = await back.acquireLock('apply m');
    await back.record([{ address: 'thread["3"]', kind: 'thread', externalId: '3', inputHash: 'h', targetId: 'th_3', result: 'CREATED', attempts: 1 }], r2.runId);
    await back.releaseLock(r2.runId, 'completed', {});
    expect((await back.meta()).serial).toBe(2);
    for (const s of [a, pg, back]) await s.close();
  });
});
