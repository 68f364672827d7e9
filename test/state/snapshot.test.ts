import { describe, expect, it } from 'vitest';
import { SqliteStateStore } from '../../src/state/sqlite.js';

function store() {
  return SqliteStateStore.open(':memory:', { manifestName: 't' });
}

const rec = (id: number, extra: Record<string, unknown> = {}) => ({ id: String(id), deleted: extra['status'] === 'deleted', json: JSON.stringify({ id, ...extra }) });

describe('snapshot store', () => {
  it('commits records and the cursor together; reads them back in first-pulled order', () => {
    const s = store();
    expect(s.snapshot.version()).toBe(0);
    expect(s.snapshot.stream('z.tickets')).toBeUndefined();
    expect(s.snapshot.commit('z.tickets', [rec(3), rec(1)], { after: 'c1' })).toEqual({ added: 2, updated: 0 });
    expect(s.snapshot.commit('z.tickets', [rec(2)], { after: 'c2' }, { complete: true })).toEqual({ added: 1, updated: 0 });
    const info = s.snapshot.stream('z.tickets')!;
    expect(info).toMatchObject({ stream: 'z.tickets', cursor: { after: 'c2' }, complete: true, records: 3, deleted: 0, seq: 2 });
    expect(s.snapshot.page('z.tickets', 0, 10).map((r) => r.id)).toEqual(['3', '1', '2']);
    expect(s.snapshot.page('z.tickets', 2, 10).map((r) => r.id)).toEqual(['2']);
    s.close();
  });

  it('an unchanged record pulled again changes nothing; a changed one keeps its place and gets a new version', () => {
    const s = store();
    s.snapshot.commit('z.tickets', [rec(1, { status: 'open' }), rec(2, { status: 'open' })], null, { complete: true });
    const v = s.snapshot.version();
    expect(s.snapshot.commit('z.tickets', [rec(1, { status: 'open' })], null)).toEqual({ added: 0, updated: 0 });
    expect(s.snapshot.version()).toBe(v);
    expect(s.snapshot.commit('z.tickets', [rec(1, { status: 'deleted' })], null)).toEqual({ added: 0, updated: 1 });
    expect(s.snapshot.version()).toBe(v + 1);
    expect(s.snapshot.page('z.tickets', 0, 10).map((r) => [r.id, r.deleted])).toEqual([
      ['1', true],
      ['2', false],
    ]);
    expect(s.snapshot.stream('z.tickets')).toMatchObject({ records: 2, deleted: 1, complete: true });
    // Child streams follow the parent's changes by (seq, ord).
    expect(s.snapshot.changedSince('z.tickets', { seq: v, ord: Number.MAX_SAFE_INTEGER }, 10).map((r) => r.id)).toEqual(['1']);
    expect(s.snapshot.changedSince('z.tickets', { seq: 0, ord: 0 }, 10).map((r) => r.id)).toEqual(['2', '1']);
    const first = s.snapshot.changedSince('z.tickets', { seq: 0, ord: 0 }, 1)[0]!;
    expect(s.snapshot.changedSince('z.tickets', { seq: first.seq, ord: first.ord }, 10).map((r) => r.id)).toEqual(['1']);
    s.close();
  });

  it('a page that fails to commit leaves the records and the cursor as they were', () => {
    const s = store();
    s.snapshot.commit('z.tickets', [rec(1)], { after: 'c1' });
    const bad = { id: '2', deleted: false, json: null as unknown as string };
    expect(() => s.snapshot.commit('z.tickets', [rec(3), bad], { after: 'c2' })).toThrow();
    expect(s.snapshot.stream('z.tickets')).toMatchObject({ cursor: { after: 'c1' }, records: 1 });
    expect(s.snapshot.page('z.tickets', 0, 10).map((r) => r.id)).toEqual(['1']);
    s.close();
  });
});
