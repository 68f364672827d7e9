import { describe, expect, it } from 'vitest';
import { diffThread, type AppliedAttributes } from '../../src/plan/diff.js';
import { THERETHERE_CAPABILITIES } from '../../src/targets/therethere/target.js';

const A: AppliedAttributes = {
  title: 't',
  priority: 2,
  status: { status: 'TODO', statusDetail: 'IN_PROGRESS' },
  labels: ['lt_a'],
  assignee: null,
  customer: 'ann@x.test',
  createdAt: '2024-01-01T00:00:00.000Z',
  externalUrl: null,
  description: null,
};

describe('diffThread (last applied × desired × Plain today)', () => {
  it('plans an update only where the desired value differs from the last applied one', () => {
    const d = diffThread(A, { ...A, priority: 0 }, undefined, false);
    expect(d.updates).toEqual([{ attribute: 'priority', from: 2, to: 0 }]);
    expect(d.conflicts).toEqual([]);
    expect(diffThread(A, A, undefined, false).updates).toEqual([]);
  });
  it('a value also changed in Plain is a conflict, left alone unless overwriting', () => {
    const remote = { ...A, title: 'agent' };
    const d = diffThread(A, { ...A, title: 'source' }, remote, false);
    expect(d.updates).toEqual([]);
    expect(d.conflicts).toEqual([{ attribute: 'title', from: 't', to: 'source', plain: 'agent' }]);
    expect(diffThread(A, { ...A, title: 'source' }, remote, true).updates).toHaveLength(1);
  });
  it('a change made only in Plain is not undone; a value Plain already has is not sent', () => {
    expect(diffThread(A, A, { ...A, priority: 0 }, false).updates).toEqual([]);
    expect(diffThread(A, { ...A, priority: 0 }, { ...A, priority: 0 }, false).updates).toEqual([]);
  });
  it('non-updatable attributes are reported, never planned as updates', () => {
    const d = diffThread(A, { ...A, customer: 'bob@x.test', createdAt: '2020-01-01T00:00:00.000Z' }, undefined, false);
    expect(d.updates).toEqual([]);
    expect(d.frozen.map((f) => f.attribute)).toEqual(['customer', 'createdAt']);
  });
});

describe('diffThread with a target’s own attribute rules (There There)', () => {
  const caps = THERETHERE_CAPABILITIES('skip');
  const T: AppliedAttributes = { ...A, priority: undefined, status: { status: 'open', statusDetail: null }, labels: ['Billing', 'vip'] };
  it('updates only what the target can update; a changed subject is frozen, and so is a closing time the export gives', () => {
    // closing: the status is updated; There There stamps its own closed_at, so the export's is reported
    const d = diffThread(T, { ...T, title: 'new', closedAt: '2024-02-01T00:00:00.000Z', status: { status: 'closed', statusDetail: null } }, undefined, false, caps);
    expect(d.updates.map((u) => u.attribute)).toEqual(['status']);
    expect(d.frozen.map((f) => [f.attribute, f.to])).toEqual([['title', 'new'], ['closedAt', '2024-02-01T00:00:00.000Z']]);
    // reopening: the closing time goes with the status, nothing to report
    const closed: AppliedAttributes = { ...T, status: { status: 'closed', statusDetail: null }, closedAt: '2024-02-01T00:00:00.000Z' };
    const reopened = diffThread(closed, { ...T, status: { status: 'open', statusDetail: null } }, undefined, false, caps);
    expect(reopened.updates.map((u) => u.attribute)).toEqual(['status']);
    expect(reopened.frozen).toEqual([]);
    // a closed ticket's closing time changed in the export: reported
    expect(diffThread(closed, { ...closed, closedAt: '2024-03-01T00:00:00.000Z' }, undefined, false, caps).frozen.map((f) => f.attribute)).toEqual(['closedAt']);
  });
  it('compares tag names without case, as There There matches them', () => {
    expect(diffThread(T, { ...T, labels: ['billing', 'VIP'] }, { ...T, labels: ['billing', 'vip'] }, false, caps).updates).toEqual([]);
    expect(diffThread(T, { ...T, labels: ['billing'] }, undefined, false, caps).updates.map((u) => u.attribute)).toEqual(['labels']);
    // Plain's label type ids are exact.
    expect(diffThread(A, { ...A, labels: ['LT_A'] }, undefined, false).updates.map((u) => u.attribute)).toEqual(['labels']);
  });
});
