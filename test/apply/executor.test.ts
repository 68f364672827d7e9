import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/apply/executor.js';
import type { ApplyEvent } from '../../src/apply/events.js';
import type { Clock } from '../../src/http/ratelimit.js';
import { messageAddress, threadAddress, type Thread } from '../../src/core/model.js';
import type { PlanItem, ThreadPlanItem } from '../../src/plan/types.js';
import { diffThread, type AppliedAttributes } from '../../src/plan/diff.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { item } from './items.js';
import { TargetError, type Ack, type ImportAck, type MessageOutcome, type MessageToSend, type RemoteThread, type Target, type TargetCapabilities } from '../../src/targets/types.js';
import { PLAIN_CAPABILITIES } from '../../src/targets/plain/client.js';

/** Virtual time: sleeping moves the clock on at once. */
const clock: Clock & { slept: number[]; t: number } = {
  slept: [],
  t: Date.now(),
  now: () => clock.t,
  sleep: async (ms) => {
    clock.slept.push(ms);
    clock.t += Math.max(0, ms);
  },
};


class FakeTarget implements Target {
  readonly name = 'fake';
  capabilities: TargetCapabilities = PLAIN_CAPABILITIES;
  maxMessagesPerCall = 25;
  calls: string[] = [];
  batches: string[][] = [];
  constructor(private readonly behave: { thread?: (n: number) => void; message?: (m: MessageToSend, call: number) => MessageOutcome | undefined } = {}) {}
  requestCounts() {
    const c: Record<string, number> = {};
    for (const x of this.calls) c[x] = (c[x] ?? 0) + 1;
    return c;
  }
  async upsertCustomer(): Promise<Ack> {
    this.calls.push('upsertCustomer');
    return { id: 'c_1', result: 'CREATED' };
  }
  async importThread(t: Thread, _c?: string, _o?: unknown, _tenant?: string, messages: readonly MessageToSend[] = []): Promise<ImportAck> {
    this.calls.push('importThread');
    if (messages.length > 0) this.carried.push(messages.map((m) => m.message.externalId));
    this.behave.thread?.(this.calls.filter((c) => c === 'importThread').length);
    if (this.existing) {
      return {
        id: `th_${t.externalId}`,
        result: 'NOOP',
        messages: messages.map((m) => (this.existing!.includes(m.message.externalId) ? { id: `i_${m.message.externalId}`, result: 'NOOP' } : undefined)),
        ...(this.answerShowsThread && this.remote ? { remote: this.remote } : {}),
      };
    }
    return { id: `th_${t.externalId}`, result: 'CREATED', messages: messages.map((m) => ({ id: `i_${m.message.externalId}`, result: 'CREATED' })) };
  }
  /** Set: the target has every thread already (NOOP), with these of the messages sent. */
  existing?: string[];
  /** With `existing`: the NOOP answer carries the thread (`remote`), as There There's does. */
  answerShowsThread = false;
  carried: string[][] = [];
  readonly maxThreadsPerRead = 50;
  remote: RemoteThread | null = null;
  async readThreads(ids: readonly string[]): Promise<Array<RemoteThread | null>> {
    this.calls.push('readThreads');
    return ids.map(() => this.remote);
  }
  async updateTitle(_id: string, title: string) {
    this.calls.push(`updateTitle:${title}`);
  }
  async changePriority(_id: string, p: number) {
    this.calls.push(`changePriority:${p}`);
  }
  async changeStatus(_id: string, st: { status: string }) {
    this.calls.push(`changeStatus:${st.status}`);
  }
  async addLabels(_id: string, ids: readonly string[]) {
    this.calls.push(`addLabels:${ids.join(',')}`);
  }
  async removeLabels(_thread: string, ids: readonly string[]) {
    this.calls.push(`removeLabels:${ids.join(',')}`);
  }
  async assign(_id: string, a: unknown) {
    this.calls.push(`assign:${JSON.stringify(a)}`);
  }
  async importMessages(_id: string, ms: readonly MessageToSend[]): Promise<MessageOutcome[]> {
    this.calls.push('importThreadMessages');
    this.batches.push(ms.map((m) => m.message.externalId));
    const call = this.batches.length;
    return ms.map((m) => this.behave.message?.(m, call) ?? { ok: true, ack: { id: `t_${m.message.externalId}`, result: 'CREATED' } });
  }
  // Workspace set-up, tenants, thread fields and attachments are not exercised here.
  async listLabelTypes(): Promise<never> {
    throw new Error('not used');
  }
  async userByEmail(): Promise<never> {
    throw new Error('not used');
  }
  async listThreadFieldSchemas(): Promise<never> {
    throw new Error('not used');
  }
  async createLabelType(): Promise<never> {
    throw new Error('not used');
  }
  async upsertTenant(): Promise<never> {
    throw new Error('not used');
  }
  async addCustomerToTenants(): Promise<never> {
    throw new Error('not used');
  }
  async setThreadField(): Promise<never> {
    throw new Error('not used');
  }
  async createAttachmentUploadUrl(): Promise<never> {
    throw new Error('not used');
  }
}

async function run(target: Target, items: PlanItem[], maxAttempts = 4, requestsPerMinute = 1_000_000) {
  const state = SqliteStateStore.open(join(mkdtempSync(join(tmpdir(), 'pm-ex-')), 's.db'), { manifestName: 'x' });
  const { runId } = await state.acquireLock('test');
  const events: ApplyEvent[] = [];
  async function* gen() {
    yield* items;
  }
  const result = await applyPlan({
    items: gen(),
    target,
    state,
    runId,
    batching: { messagesPerRequest: 10, concurrency: 3, requestsPerMinute, maxAttempts, requestTimeoutMs: 1000 },
    stop: new AbortController().signal,
    cancel: new AbortController().signal,
    emit: (e) => events.push(e),
    clock,
    random: () => 0.5,
  });
  return { result, state, events };
}

describe('Executor', () => {
  it('does what the target declares, not what it is called: inline customers, messages carried by the import, the rest one per request', async () => {
    const t = new FakeTarget();
    t.capabilities = { ...PLAIN_CAPABILITIES, customers: 'inline', messagesInImport: 4, appends: 'notes', messagesPerAppend: 1, tenants: false, threadFields: false };
    t.maxMessagesPerCall = 1;
    const { result, state } = await run(t, [item('a', 6), item('b', 2)]);
    expect(t.calls).not.toContain('upsertCustomer');
    expect(t.carried.sort()).toEqual([['m0', 'm1'], ['m0', 'm1', 'm2', 'm3']]);
    expect(t.batches).toEqual([['m4'], ['m5']]);
    expect(result.counts.message.CREATED).toBe(8);
    expect((await state.get(messageAddress('a', 'm2')))!.targetId).toBe('i_m2');
    expect((await state.get(messageAddress('a', 'm5')))!.targetId).toBe('t_m5');
  });

  it('sends customers once per identity, then threads, then messages oldest first in batches of messagesPerRequest', async () => {
    const t = new FakeTarget();
    const { result, state } = await run(t, [item('a', 23), item('b', 3), item('c', 0)]);
    expect(t.calls.filter((c) => c === 'upsertCustomer')).toHaveLength(1);
    expect(t.calls.filter((c) => c === 'importThread')).toHaveLength(3);
    expect(t.batches.map((b) => b.length).sort((x, y) => x - y)).toEqual([3, 3, 10, 10]);
    expect(t.batches.filter((b) => b.length === 10)[0]![0]).toBe('m0');
    expect(result.counts.message.CREATED).toBe(26);
    expect((await state.get(messageAddress('a', 'm22')))!.targetId).toBe('t_m22');
  });

  it('retries only the messages that failed with INTERNAL, records VALIDATION failures without retrying them', async () => {
    const t = new FakeTarget({
      message: (m, call) => {
        if (m.message.externalId === 'm1' && call === 1) return { ok: false, error: { code: 'internal', message: 'boom', type: 'INTERNAL' }, retryable: true };
        if (m.message.externalId === 'm2') return { ok: false, error: { code: 'input_validation', message: 'bad', type: 'VALIDATION', fields: [{ field: 'text', message: 'no', type: 'REQUIRED' }] }, retryable: false };
        return undefined;
      },
    });
    const { result, state } = await run(t, [item('a', 4)]);
    expect(t.batches).toEqual([['m0', 'm1', 'm2', 'm3'], ['m1']]);
    expect(result.counts.message).toMatchObject({ CREATED: 3, FAILED: 1 });
    const failed = (await state.get(messageAddress('a', 'm2')))!;
    expect(failed.status).toBe('failed');
    expect(failed.lastError!.fields![0]!.field).toBe('text');
    expect((await state.get(messageAddress('a', 'm1')))!.attempts).toBe(2);
  });

  it('retries a retryable request error with backoff, waiting at least Retry-After for a 429', async () => {
    clock.slept = [];
    const t = new FakeTarget({
      thread: (n) => {
        if (n === 1) throw new TargetError({ code: 'RATE_LIMITED', message: 'slow down' }, true, 3000);
        if (n === 2) throw new TargetError({ code: 'http_503', message: 'unavailable' }, true);
      },
    });
    const { result, events } = await run(t, [item('a', 1)]);
    expect(result.counts.thread.CREATED).toBe(1);
    expect(events.filter((e) => e.type === 'retry')).toHaveLength(2);
    expect(Math.max(...clock.slept)).toBeGreaterThanOrEqual(3000);
  });

  it('gives up after maxAttempts and records the last error on the address', async () => {
    const t = new FakeTarget({ thread: () => { throw new TargetError({ code: 'http_503', message: 'unavailable' }, true); } });
    const { result, state } = await run(t, [item('a', 2)], 3);
    expect(t.calls.filter((c) => c === 'importThread')).toHaveLength(3);
    expect(result.counts.thread.FAILED).toBe(1);
    expect((await state.get(threadAddress('a')))!).toMatchObject({ status: 'failed', attempts: 3 });
    expect(t.batches).toEqual([]);
  });

  it('stops the whole run on a fatal error (bad API key) without scheduling more', async () => {
    const t = new FakeTarget({ thread: () => { throw new TargetError({ code: 'UNAUTHENTICATED', message: 'bad key' }, false, undefined, true); } });
    const items = Array.from({ length: 20 }, (_, i) => item(`t${i}`, 1));
    const { result } = await run(t, items);
    expect(result.fatal?.code).toBe('UNAUTHENTICATED');
    expect(result.stopped).toBe(true);
    expect(t.calls.filter((c) => c === 'importThread').length).toBeLessThanOrEqual(3);
  });

  it('updates only the attributes that changed, reads the thread first, and leaves conflicts alone', async () => {
    const base = item('a', 0);
    const applied = { ...base.desired, title: 'old', priority: 1, labels: ['lt_A', 'lt_B'] };
    const desired = { ...base.desired, title: 'new', priority: 3, labels: ['lt_B', 'lt_C'] };
    const upd: ThreadPlanItem = {
      ...base,
      action: 'update',
      targetId: 'th_a',
      applied,
      desired,
      send: [],
      updates: [
        { attribute: 'title', from: 'old', to: 'new' },
        { attribute: 'priority', from: 1, to: 3 },
        { attribute: 'labels', from: ['lt_A', 'lt_B'], to: ['lt_B', 'lt_C'] },
      ],
    };
    const t = new FakeTarget();
    // an agent renamed the thread in the target since the last apply: a conflict, left alone
    t.remote = {
      id: 'th_a',
      title: 'renamed by an agent',
      priority: 1,
      status: applied.status,
      labels: ['lt_A', 'lt_B'],
      labelIds: [{ id: 'l_1', labelTypeId: 'lt_A' }, { id: 'l_2', labelTypeId: 'lt_B' }],
      assignee: null,
    };
    const { result, state, events } = await run(t, [upd]);
    expect(t.calls).toEqual(['readThreads', 'changePriority:3', 'addLabels:lt_C', 'removeLabels:l_1']);
    expect(result.counts.thread.UPDATED).toBe(1);
    expect(events.some((e) => e.type === 'not-applied' && /title was also changed/.test(e.reason))).toBe(true);
    const rec = (await state.get(threadAddress('a')))!.applied as { title: string; priority: number; labels: string[] };
    expect(rec).toMatchObject({ title: 'old', priority: 3, labels: ['lt_B', 'lt_C'] });
  });

  it('holds an operation to the target\'s own limit (There There: imports per minute), apart from the run\'s', async () => {
    const t = new FakeTarget();
    t.capabilities = { ...PLAIN_CAPABILITIES, operationLimits: { importThread: 60 } };
    const sleptBefore = clock.slept.reduce((a, b) => a + b, 0);
    await run(t, [item('a', 0), item('b', 0), item('c', 0), item('d', 0)]);
    // 4 imports at 60 a minute, a burst of one: at least 3 s of waiting, though the run allows a million
    expect(clock.slept.reduce((a, b) => a + b, 0) - sleptBefore).toBeGreaterThanOrEqual(2_900);
    expect(t.calls.filter((c) => c === 'importThread')).toHaveLength(4);
  });

  it('a target that makes more requests in one call paces each after the first through the run\'s limiter', async () => {
    const t = new FakeTarget();
    const importThread = t.importThread.bind(t);
    t.importThread = async (th, c, o, ...rest) => {
      // two uploads before the import itself
      await t.pace!((o as { signal: AbortSignal }).signal);
      await t.pace!((o as { signal: AbortSignal }).signal);
      return importThread(th, c, o, ...rest);
    };
    const sleptBefore = clock.slept.reduce((a, b) => a + b, 0);
    await run(t, [item('a', 0), item('b', 0), item('c', 0)], 4, 60);
    // 60 a minute, a burst of one: 1 customer + 3 × 3 requests = 10 → at least 9 s of waiting
    const slept = clock.slept.reduce((a, b) => a + b, 0) - sleptBefore;
    expect(slept).toBeGreaterThanOrEqual(8_900);
  });

  describe('an import answered with a thread the target had already (an earlier import whose answer never reached state)', () => {
    const carrying = (t: FakeTarget, appends: 'notes' | 'skip') => {
      t.capabilities = { ...PLAIN_CAPABILITIES, customers: 'inline', messagesInImport: 4, appends, messagesPerAppend: 1, tenants: false, threadFields: false };
      t.maxMessagesPerCall = 1;
    };
    const remoteOf = (x: ThreadPlanItem, over: Partial<RemoteThread> = {}): RemoteThread => ({
      id: `th_${x.thread.externalId}`,
      title: x.desired.title,
      priority: x.desired.priority!,
      status: x.desired.status,
      labels: [...x.desired.labels],
      labelIds: [],
      assignee: x.desired.assignee,
      ...over,
    });

    it('reads it back, records its attributes as they are there (the next plan updates the differences), and appends the messages it lacks', async () => {
      const t = new FakeTarget();
      carrying(t, 'notes');
      t.existing = ['m0', 'm1'];
      const x = item('a', 5);
      t.remote = remoteOf(x, { status: { status: 'TODO', statusDetail: null }, priority: 0 });
      const { result, state, events } = await run(t, [x]);
      // no change the plan did not show: the thread is read, not updated
      expect(t.calls).toEqual(['importThread', 'readThreads', 'importThreadMessages', 'importThreadMessages', 'importThreadMessages']);
      // the carried messages it lacks (m2, m3) go first, then the one the import never carries (m4)
      expect(t.batches).toEqual([['m2'], ['m3'], ['m4']]);
      expect(result.counts.thread).toMatchObject({ CREATED: 0, NOOP: 1, UPDATED: 0, FAILED: 0 });
      expect(result.counts.message).toMatchObject({ NOOP: 2, CREATED: 3 });
      expect((await state.get(messageAddress('a', 'm1')))!.targetId).toBe('i_m1');
      expect((await state.get(messageAddress('a', 'm2')))!.targetId).toBe('t_m2');
      const notes = events.flatMap((e) => (e.type === 'not-applied' && e.address === threadAddress('a') ? [e.reason] : []));
      expect(notes).toEqual([
        'priority in Plain: 0; in the export: 2. The thread was there already (imported by an earlier apply that did not record it): the next plan shows the update',
        'status in Plain: TODO; in the export: DONE/DONE_MANUALLY_SET. The thread was there already (imported by an earlier apply that did not record it): the next plan shows the update',
      ]);
      // recorded as it is there: the next plan's diff has exactly those updates
      const applied = (await state.get(threadAddress('a')))!.applied as AppliedAttributes;
      expect(applied).toEqual({ ...x.desired, priority: 0, status: { status: 'TODO', statusDetail: null } });
      expect(diffThread(applied, x.desired, undefined, false, t.capabilities).updates.map((u) => u.attribute)).toEqual(['priority', 'status']);
    });

    it('an answer that shows the existing thread is used as it is: no read', async () => {
      const t = new FakeTarget();
      carrying(t, 'notes');
      t.existing = ['m0'];
      t.answerShowsThread = true;
      const x = item('a', 1);
      t.remote = remoteOf(x, { priority: 0 });
      const { state, events } = await run(t, [x]);
      expect(t.calls).toEqual(['importThread']);
      expect(((await state.get(threadAddress('a')))!.applied as AppliedAttributes).priority).toBe(0);
      expect(events.filter((e) => e.type === 'not-applied')).toHaveLength(1);
    });

    it('with appendAs skip, the messages it lacks are reported and not sent', async () => {
      const t = new FakeTarget();
      carrying(t, 'skip');
      t.existing = ['m0', 'm2'];
      const x = item('a', 3);
      t.remote = remoteOf(x);
      const { result, state, events } = await run(t, [x]);
      expect(t.calls).toEqual(['importThread', 'readThreads']);
      expect(result.counts.thread.NOOP).toBe(1);
      expect(await state.get(messageAddress('a', 'm1'))).toBeUndefined();
      expect(events.some((e) => e.type === 'not-applied' && e.address === messageAddress('a', 'm1') && /appendAs is skip/.test(e.reason))).toBe(true);
    });

    it('a thread it cannot read back is recorded as failed, without a target id, and none of its messages', async () => {
      const t = new FakeTarget();
      carrying(t, 'notes');
      t.existing = ['m0'];
      t.remote = null;
      const { result, state } = await run(t, [item('a', 2)]);
      expect(t.calls).toEqual(['importThread', 'readThreads']);
      expect(result.counts.thread.FAILED).toBe(1);
      const rec = (await state.get(threadAddress('a')))!;
      expect(rec.status).toBe('failed');
      expect(rec.targetId ?? null).toBeNull();
      expect(await state.get(messageAddress('a', 'm0'))).toBeUndefined();
    });
  });
});
