/**
 * Thread updates: updateThreadTitle, changeThreadPriority, markThreadAsDone, markThreadAsTodo,
 * snoozeThread, addLabels, removeLabels, assignThread, unassignThread, and the batched (aliased)
 * thread(threadId) refresh query.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import {
  AGENT,
  ANN,
  BOB,
  BOT,
  getJson,
  GHOST,
  gql,
  importThread,
  LT_BILLING,
  LT_BUG,
  LT_OLD,
  MUTATION_ERROR,
  onlyField,
  pid,
  postJson,
  SEED,
  type MutationErrorOut,
} from './helpers.js';

/** Controlled clock: every request sees `clock`. */
const START = Date.UTC(2025, 0, 10, 9, 0, 0);
let clock = START;
const iso = (ms: number): string => new Date(ms).toISOString();
const dt = (ms: number): { iso8601: string; unixTimestamp: string } => ({ iso8601: iso(ms), unixTimestamp: String(ms) });

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED, now: () => new Date(clock), rateLimitPerMinute: 1000 });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => {
  clock = START;
  emu.reset();
});

const IMPORTED_AT = '2024-06-15T10:32:00.000Z';

// ---------------------------------------------------------------- documents

/** The selection set the engine's refresh uses (copy-pasteable). */
const REFRESH_SELECTION = `
  id externalId title description priority status
  statusDetail {
    __typename
    ... on ThreadStatusDetailNewReply { statusChangedAt { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailInProgress { statusChangedAt { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailWaitingForCustomer { statusChangedAt { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailWaitingForDuration { statusChangedAt { iso8601 unixTimestamp } waitingUntil { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailDoneManuallySet { statusChangedAt { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailDoneAutomaticallySet { statusChangedAt { iso8601 unixTimestamp } }
    ... on ThreadStatusDetailIgnored { statusChangedAt { iso8601 unixTimestamp } }
  }
  assignedTo { __typename ... on User { id } ... on MachineUser { id } }
  labels { id labelType { id name } }
  customer { id }
  createdAt { iso8601 unixTimestamp }
  updatedAt { iso8601 unixTimestamp }
`;

function refreshQuery(n: number): string {
  const vars = Array.from({ length: n }, (_, i) => `$t${i}: ID!`).join(', ');
  const fields = Array.from({ length: n }, (_, i) => `t${i}: thread(threadId: $t${i}) { ${REFRESH_SELECTION} }`).join('\n  ');
  return `query refresh(${vars}) {\n  ${fields}\n}`;
}

interface RefreshedThread {
  id: string;
  externalId: string | null;
  title: string;
  description: string | null;
  priority: number;
  status: string;
  statusDetail: { __typename: string; statusChangedAt?: { iso8601: string; unixTimestamp: string }; waitingUntil?: { iso8601: string; unixTimestamp: string } } | null;
  assignedTo: { __typename: string; id?: string } | null;
  labels: { id: string; labelType: { id: string; name: string } }[];
  customer: { id: string };
  createdAt: { iso8601: string; unixTimestamp: string };
  updatedAt: { iso8601: string; unixTimestamp: string };
}

const THREAD_OUT = `thread { ${REFRESH_SELECTION} }`;

const doc = (name: string, input: string, extra = ''): string =>
  `mutation ${name}($input: ${input}!) { ${name}(input: $input) { ${extra} ${THREAD_OUT} ${MUTATION_ERROR} } }`;

const DOCS = {
  updateThreadTitle: doc('updateThreadTitle', 'UpdateThreadTitleInput'),
  changeThreadPriority: doc('changeThreadPriority', 'ChangeThreadPriorityInput'),
  markThreadAsDone: doc('markThreadAsDone', 'MarkThreadAsDoneInput'),
  markThreadAsTodo: doc('markThreadAsTodo', 'MarkThreadAsTodoInput'),
  snoozeThread: doc('snoozeThread', 'SnoozeThreadInput'),
  addLabels: doc('addLabels', 'AddLabelsInput', 'labels { id labelType { id name } createdAt { iso8601 } }'),
  removeLabels: doc('removeLabels', 'RemoveLabelsInput'),
  assignThread: doc('assignThread', 'AssignThreadInput'),
  unassignThread: doc('unassignThread', 'UnassignThreadInput'),
} as const;
type Op = keyof typeof DOCS;

interface Out {
  thread: RefreshedThread | null;
  labels?: { id: string; labelType: { id: string; name: string }; createdAt: { iso8601: string } }[];
  error: MutationErrorOut | null;
}

async function run(op: Op, input: Record<string, unknown>, key?: string): Promise<Out> {
  const r = await gql<Record<string, Out>>(emu, DOCS[op], { input }, { key });
  if (r.status !== 200 || !r.body.data || r.body.errors) throw new Error(`${op} → HTTP ${r.status} ${JSON.stringify(r.body)}`);
  const out = r.body.data[op];
  if (!out) throw new Error(`${op}: no output`);
  return out;
}

async function newThread(over: Record<string, unknown> = {}): Promise<string> {
  const r = await importThread(emu, over);
  if (!r.thread) throw new Error(JSON.stringify(r.error));
  return r.thread.id;
}

const snap = (id: string) => {
  const t = emu.snapshot().threads.find((x) => x.id === id);
  if (!t) throw new Error(`no thread ${id} in the snapshot`);
  return t;
};

const UNKNOWN_THREAD = pid('th', 'Z');

/** A rejected call: payload null, VALIDATION error with exactly this one field error, state unchanged. Returns the error. */
async function rejected(op: Op, input: Record<string, unknown>, field: string, type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND', code = 'input_validation'): Promise<MutationErrorOut> {
  const before = emu.snapshot();
  const out = await run(op, input);
  expect(out.thread).toBeNull();
  if (op === 'addLabels') expect(out.labels).toEqual([]);
  expect(out.error).toMatchObject({ type: 'VALIDATION', code });
  expect(onlyField(out.error)).toMatchObject({ field, type });
  expect(emu.snapshot()).toEqual(before);
  return out.error as MutationErrorOut;
}

async function rejects(op: Op, input: Record<string, unknown>, field: string, type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND', code?: string): Promise<void> {
  await rejected(op, input, field, type, code);
}

/** Without `permission` the call is FORBIDDEN naming it, and nothing changes. */
async function forbidden(op: Op, input: Record<string, unknown>, permission: string): Promise<void> {
  const before = emu.snapshot();
  const out = await run(op, input, `key-without-${permission}`);
  expect(out.thread).toBeNull();
  if (op === 'addLabels') expect(out.labels).toEqual([]);
  expect(out.error).toMatchObject({ type: 'FORBIDDEN', code: 'forbidden', fields: [] });
  expect(out.error?.message).toContain(permission);
  expect(emu.snapshot()).toEqual(before);
}

// ---------------------------------------------------------------- title and priority

describe('updateThreadTitle', () => {
  test('changes the title; the output is the updated thread and updatedAt moves', async () => {
    const id = await newThread();
    clock += 60_000;
    const out = await run('updateThreadTitle', { threadId: id, title: 'Printer fixed' });
    expect(out.error).toBeNull();
    expect(out.thread).toMatchObject({ id, title: 'Printer fixed', updatedAt: dt(clock) });
    expect(snap(id)).toMatchObject({ title: 'Printer fixed', updatedAt: iso(clock) });
  });

  test.each(['', '   \n\t'])('a blank title %j is REQUIRED', async (title) => {
    const id = await newThread();
    await rejects('updateThreadTitle', { threadId: id, title }, 'title', 'REQUIRED');
  });

  test('an unknown thread is NOT_FOUND', () => rejects('updateThreadTitle', { threadId: UNKNOWN_THREAD, title: 'x' }, 'threadId', 'NOT_FOUND'));

  test('needs thread:edit', async () => forbidden('updateThreadTitle', { threadId: await newThread(), title: 'x' }, 'thread:edit'));
});

describe('changeThreadPriority', () => {
  test.each([0, 1, 3])('sets priority %i', async (priority) => {
    const id = await newThread();
    const out = await run('changeThreadPriority', { threadId: id, priority });
    expect(out.error).toBeNull();
    expect(out.thread?.priority).toBe(priority);
    expect(snap(id).priority).toBe(priority);
  });

  test('the same priority again succeeds and changes nothing (updatedAt stays)', async () => {
    const id = await newThread();
    clock += 60_000;
    const out = await run('changeThreadPriority', { threadId: id, priority: 2 });
    expect(out.error).toBeNull();
    expect(snap(id).updatedAt).toBe(iso(START));
  });

  test.each([4, -1, 100])('priority %i is rejected', async (priority) => {
    const id = await newThread();
    await rejects('changeThreadPriority', { threadId: id, priority }, 'priority', 'VALIDATION');
  });

  test('an unknown thread is NOT_FOUND', () => rejects('changeThreadPriority', { threadId: UNKNOWN_THREAD, priority: 1 }, 'threadId', 'NOT_FOUND'));

  test('needs thread:edit', async () => forbidden('changeThreadPriority', { threadId: await newThread(), priority: 1 }, 'thread:edit'));

  test('a non-integer priority is a GraphQL BAD_USER_INPUT (HTTP 400)', async () => {
    const id = await newThread();
    const r = await gql(emu, DOCS.changeThreadPriority, { input: { threadId: id, priority: 1.5 } });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

// ---------------------------------------------------------------- status

describe('markThreadAsDone / markThreadAsTodo / snoozeThread', () => {
  test('markThreadAsDone without statusDetail is DONE / DONE_MANUALLY_SET, statusChangedAt = now', async () => {
    const id = await newThread();
    clock += 5_000;
    const out = await run('markThreadAsDone', { threadId: id });
    expect(out.error).toBeNull();
    expect(out.thread).toMatchObject({ status: 'DONE', statusDetail: { __typename: 'ThreadStatusDetailDoneManuallySet', statusChangedAt: dt(clock) } });
    expect(snap(id)).toMatchObject({ status: 'DONE', statusDetail: 'DONE_MANUALLY_SET', statusChangedAt: iso(clock), snoozedUntil: null, updatedAt: iso(clock) });
  });

  test.each([
    ['IGNORED', 'IGNORED', 'ThreadStatusDetailIgnored'],
    ['DONE_MANUALLY_SET', 'DONE_MANUALLY_SET', 'ThreadStatusDetailDoneManuallySet'],
    ['DONE_AUTOMATICALLY_SET', 'DONE_AUTOMATICALLY_SET', 'ThreadStatusDetailDoneAutomaticallySet'],
    ['TIMER_EXPIRED', 'DONE_AUTOMATICALLY_SET', 'ThreadStatusDetailDoneAutomaticallySet'],
  ])('markThreadAsDone statusDetail %s is stored as %s (%s)', async (statusDetail, stored, typename) => {
    const id = await newThread();
    const out = await run('markThreadAsDone', { threadId: id, statusDetail });
    expect(out.error).toBeNull();
    expect(out.thread?.statusDetail?.__typename).toBe(typename);
    expect(snap(id)).toMatchObject({ status: 'DONE', statusDetail: stored });
  });

  test('markThreadAsTodo without statusDetail is TODO / IN_PROGRESS', async () => {
    const id = await newThread({ status: 'DONE', statusDetail: { type: 'IGNORED' } });
    const out = await run('markThreadAsTodo', { threadId: id });
    expect(out.error).toBeNull();
    expect(out.thread).toMatchObject({ status: 'TODO', statusDetail: { __typename: 'ThreadStatusDetailInProgress', statusChangedAt: dt(clock) } });
    expect(snap(id)).toMatchObject({ status: 'TODO', statusDetail: 'IN_PROGRESS' });
  });

  test.each([
    ['NEW_REPLY', 'ThreadStatusDetailNewReply'],
    ['IN_PROGRESS', 'ThreadStatusDetailInProgress'],
    ['CREATED', 'ThreadStatusDetailCreated'],
    ['THREAD_LINK_UPDATED', 'ThreadStatusDetailThreadLinkUpdated'],
    ['THREAD_DISCUSSION_RESOLVED', 'ThreadStatusDetailThreadDiscussionResolved'],
  ])('markThreadAsTodo statusDetail %s → %s', async (statusDetail, typename) => {
    const id = await newThread({ status: 'SNOOZED', statusDetail: { type: 'WAITING_FOR_CUSTOMER' } });
    const out = await run('markThreadAsTodo', { threadId: id, statusDetail });
    expect(out.error).toBeNull();
    expect(out.thread?.statusDetail?.__typename).toBe(typename);
    expect(snap(id)).toMatchObject({ status: 'TODO', statusDetail });
  });

  test('snoozeThread WAITING_FOR_CUSTOMER needs no duration', async () => {
    const id = await newThread();
    const out = await run('snoozeThread', { threadId: id, statusDetail: 'WAITING_FOR_CUSTOMER' });
    expect(out.error).toBeNull();
    expect(out.thread).toMatchObject({ status: 'SNOOZED', statusDetail: { __typename: 'ThreadStatusDetailWaitingForCustomer', statusChangedAt: dt(clock) } });
    expect(snap(id)).toMatchObject({ status: 'SNOOZED', statusDetail: 'WAITING_FOR_CUSTOMER', snoozedUntil: null });
    const state = await getJson<{ threads: { statusDetail: string }[] }>(emu, '/__emulator/state');
    expect(state.threads[0]?.statusDetail).toBe('WAITING_FOR_CUSTOMER');
  });

  test('snoozeThread WAITING_FOR_DURATION with durationSeconds sets waitingUntil', async () => {
    const id = await newThread();
    const out = await run('snoozeThread', { threadId: id, statusDetail: 'WAITING_FOR_DURATION', durationSeconds: 432_000 });
    expect(out.error).toBeNull();
    expect(out.thread?.statusDetail).toEqual({ __typename: 'ThreadStatusDetailWaitingForDuration', statusChangedAt: dt(clock), waitingUntil: dt(clock + 432_000_000) });
    expect(snap(id)).toMatchObject({ status: 'SNOOZED', statusDetail: 'WAITING_FOR_DURATION', snoozedUntil: iso(clock + 432_000_000) });
  });

  test('snoozeThread with only durationSeconds means WAITING_FOR_DURATION', async () => {
    const id = await newThread();
    const out = await run('snoozeThread', { threadId: id, durationSeconds: 60 });
    expect(out.error).toBeNull();
    expect(snap(id)).toMatchObject({ status: 'SNOOZED', statusDetail: 'WAITING_FOR_DURATION', snoozedUntil: iso(clock + 60_000) });
  });

  test('snoozeThread WAITING_INDEFINITELY needs no duration', async () => {
    const id = await newThread();
    const out = await run('snoozeThread', { threadId: id, statusDetail: 'WAITING_INDEFINITELY' });
    expect(out.error).toBeNull();
    expect(out.thread?.statusDetail?.__typename).toBe('ThreadStatusDetailWaitingIndefinitely');
  });

  test('snoozing a snoozed thread to DONE and back clears snoozedUntil', async () => {
    const id = await newThread();
    await run('snoozeThread', { threadId: id, durationSeconds: 60 });
    await run('markThreadAsDone', { threadId: id });
    expect(snap(id).snoozedUntil).toBeNull();
  });

  test('the same status and detail again keeps statusChangedAt', async () => {
    const id = await newThread({ status: 'DONE', statusDetail: { type: 'DONE_MANUALLY_SET' } });
    clock += 1_000;
    await run('markThreadAsDone', { threadId: id, statusDetail: 'DONE_MANUALLY_SET' });
    expect(snap(id).statusChangedAt).toBe(IMPORTED_AT);
  });

  describe('snoozeThread rejections', () => {
    test('neither statusDetail nor durationSeconds', async () => rejects('snoozeThread', { threadId: await newThread() }, 'statusDetail', 'REQUIRED'));
    test('WAITING_FOR_DURATION without durationSeconds', async () =>
      rejects('snoozeThread', { threadId: await newThread(), statusDetail: 'WAITING_FOR_DURATION' }, 'durationSeconds', 'REQUIRED'));
    test.each([0, -60])('durationSeconds %i', async (durationSeconds) =>
      rejects('snoozeThread', { threadId: await newThread(), statusDetail: 'WAITING_FOR_DURATION', durationSeconds }, 'durationSeconds', 'VALIDATION'));
    test('durationSeconds 0 without statusDetail', async () => rejects('snoozeThread', { threadId: await newThread(), durationSeconds: 0 }, 'durationSeconds', 'VALIDATION'));
    test.each(['WAITING_FOR_CUSTOMER', 'WAITING_INDEFINITELY'])('%s with durationSeconds', async (statusDetail) =>
      rejects('snoozeThread', { threadId: await newThread(), statusDetail, durationSeconds: 60 }, 'durationSeconds', 'VALIDATION'));
    test('an unknown thread', () => rejects('snoozeThread', { threadId: UNKNOWN_THREAD, statusDetail: 'WAITING_FOR_CUSTOMER' }, 'threadId', 'NOT_FOUND'));
  });

  test.each([
    ['markThreadAsDone', {}],
    ['markThreadAsTodo', {}],
    ['snoozeThread', { statusDetail: 'WAITING_FOR_CUSTOMER' }],
  ] as const)('%s on an unknown thread is NOT_FOUND', (op, extra) => rejects(op, { threadId: UNKNOWN_THREAD, ...extra }, 'threadId', 'NOT_FOUND'));

  test.each([
    ['markThreadAsDone', {}, 'thread:edit'],
    ['markThreadAsDone', {}, 'thread:read'],
    ['markThreadAsTodo', {}, 'thread:edit'],
    ['markThreadAsTodo', {}, 'thread:read'],
    ['snoozeThread', { statusDetail: 'WAITING_FOR_CUSTOMER' }, 'thread:edit'],
    ['snoozeThread', { statusDetail: 'WAITING_FOR_CUSTOMER' }, 'thread:read'],
  ] as const)('%s %j needs %s', async (op, extra, permission) => forbidden(op, { threadId: await newThread(), ...extra }, permission));

  test.each([
    ['markThreadAsDone', 'IN_PROGRESS'],
    ['markThreadAsDone', 'WAITING_FOR_CUSTOMER'],
    ['markThreadAsTodo', 'DONE_MANUALLY_SET'],
    ['markThreadAsTodo', 'WAITING_FOR_CUSTOMER'],
    ['snoozeThread', 'IGNORED'],
    ['snoozeThread', 'NEW_REPLY'],
  ] as const)('%s with a statusDetail of another status (%s) is a GraphQL BAD_USER_INPUT (HTTP 400)', async (op, statusDetail) => {
    const id = await newThread();
    const r = await gql(emu, DOCS[op], { input: { threadId: id, statusDetail } });
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(snap(id)).toMatchObject({ status: 'TODO', statusDetail: 'IN_PROGRESS' });
  });
});

// ---------------------------------------------------------------- labels

describe('addLabels', () => {
  test('adds labels (l_ ids) and returns them with the updated thread', async () => {
    const id = await newThread();
    clock += 1_000;
    const out = await run('addLabels', { threadId: id, labelTypeIds: [LT_BILLING, LT_BUG] });
    expect(out.error).toBeNull();
    expect(out.labels?.map((l) => l.labelType)).toEqual([
      { id: LT_BILLING, name: 'billing' },
      { id: LT_BUG, name: 'bug' },
    ]);
    for (const l of out.labels ?? []) expect(l.id).toMatch(/^l_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(out.labels?.[0]?.createdAt.iso8601).toBe(iso(clock));
    expect(out.thread?.labels.map((l) => l.id)).toEqual(out.labels?.map((l) => l.id));
    expect(snap(id)).toMatchObject({
      labelTypeIds: [LT_BILLING, LT_BUG],
      labels: out.labels?.map((l) => ({ id: l.id, labelTypeId: l.labelType.id })),
      updatedAt: iso(clock),
    });
  });

  test('a label type already on the thread (or repeated) is silently skipped', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING] });
    const before = snap(id).labels;
    const out = await run('addLabels', { threadId: id, labelTypeIds: [LT_BILLING, LT_BUG, LT_BUG] });
    expect(out.error).toBeNull();
    expect(out.labels?.map((l) => l.labelType.id)).toEqual([LT_BUG]);
    expect(out.thread?.labels.map((l) => l.labelType.id)).toEqual([LT_BILLING, LT_BUG]);
    expect(snap(id).labelTypeIds).toEqual([LT_BILLING, LT_BUG]);
    expect(snap(id).labels[0]).toEqual(before[0]);
  });

  test('only labels already present: success with labels [] and nothing changed', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING] });
    const before = emu.snapshot();
    clock += 1_000;
    const out = await run('addLabels', { threadId: id, labelTypeIds: [LT_BILLING] });
    expect(out.error).toBeNull();
    expect(out.labels).toEqual([]);
    expect(out.thread?.labels).toHaveLength(1);
    expect(emu.snapshot()).toEqual(before);
  });

  test('an unknown label type is NOT_FOUND and nothing is added', async () =>
    rejects('addLabels', { threadId: await newThread(), labelTypeIds: [LT_BILLING, pid('lt', 'Z')] }, 'labelTypeIds', 'NOT_FOUND'));

  test('an archived label type is cannot_add_label_using_archived_label_type and nothing is added', async () => {
    const e = await rejected('addLabels', { threadId: await newThread(), labelTypeIds: [LT_BUG, LT_OLD] }, 'labelTypeIds', 'VALIDATION', 'cannot_add_label_using_archived_label_type');
    expect(e.message).toContain(LT_OLD);
  });

  test('an empty labelTypeIds is REQUIRED', async () => rejects('addLabels', { threadId: await newThread(), labelTypeIds: [] }, 'labelTypeIds', 'REQUIRED'));

  test('an unknown thread is NOT_FOUND', () => rejects('addLabels', { threadId: UNKNOWN_THREAD, labelTypeIds: [LT_BUG] }, 'threadId', 'NOT_FOUND'));

  test('needs label:create', async () => forbidden('addLabels', { threadId: await newThread(), labelTypeIds: [LT_BUG] }, 'label:create'));

  test('an injected internal error still answers labels: []', async () => {
    const id = await newThread();
    await postJson(emu, '/__emulator/faults', { rules: [{ operation: 'addLabels', action: 'internal-error', times: 1 }] });
    const out = await run('addLabels', { threadId: id, labelTypeIds: [LT_BUG] });
    expect(out).toMatchObject({ labels: [], thread: null, error: { type: 'INTERNAL', code: 'internal' } });
    expect(snap(id).labels).toEqual([]);
  });
});

describe('removeLabels', () => {
  test('removes labels by label id; the label type stays available', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING, LT_BUG] });
    const [billing, bug] = snap(id).labels;
    clock += 1_000;
    const out = await run('removeLabels', { labelIds: [billing?.id] });
    expect(out.error).toBeNull();
    expect(out.thread?.labels).toEqual([{ id: bug?.id, labelType: { id: LT_BUG, name: 'bug' } }]);
    expect(snap(id)).toMatchObject({ labelTypeIds: [LT_BUG], labels: [bug], updatedAt: iso(clock) });
    // A removed label is gone: removing it again is NOT_FOUND; its type can be added again with a new id.
    await rejects('removeLabels', { labelIds: [billing?.id] }, 'labelIds', 'NOT_FOUND');
    const again = await run('addLabels', { threadId: id, labelTypeIds: [LT_BILLING] });
    expect(again.labels?.[0]?.id).not.toBe(billing?.id);
  });

  test('labels added by addLabels can be removed together', async () => {
    const id = await newThread();
    const added = await run('addLabels', { threadId: id, labelTypeIds: [LT_BILLING, LT_BUG] });
    const out = await run('removeLabels', { labelIds: added.labels?.map((l) => l.id) });
    expect(out.error).toBeNull();
    expect(snap(id).labels).toEqual([]);
  });

  test('label ids of two different threads are rejected and nothing is removed', async () => {
    const a = await newThread({ externalId: 'a', labelTypeIds: [LT_BILLING] });
    const b = await newThread({ externalId: 'b', labelTypeIds: [LT_BILLING] });
    await rejects('removeLabels', { labelIds: [snap(a).labels[0]?.id, snap(b).labels[0]?.id] }, 'labelIds', 'VALIDATION');
  });

  test('a label type id instead of a label id is NOT_FOUND', async () => {
    await newThread({ labelTypeIds: [LT_BILLING] });
    const e = await rejected('removeLabels', { labelIds: [LT_BILLING] }, 'labelIds', 'NOT_FOUND');
    expect(e.fields[0]?.message).toMatch(/label type id/);
  });

  test('one unknown id among known ones rejects the whole call', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING] });
    await rejects('removeLabels', { labelIds: [snap(id).labels[0]?.id, pid('l', 'Z')] }, 'labelIds', 'NOT_FOUND');
  });

  test('an empty list is rejected', () => rejects('removeLabels', { labelIds: [] }, 'labelIds', 'REQUIRED'));

  test('needs label:delete', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING] });
    await forbidden('removeLabels', { labelIds: [snap(id).labels[0]?.id] }, 'label:delete');
  });
});

// ---------------------------------------------------------------- assignment

describe('assignThread / unassignThread', () => {
  test('assigns a user: assignedTo User, assignedAt = now', async () => {
    const id = await newThread();
    clock += 1_000;
    const out = await run('assignThread', { threadId: id, userId: AGENT });
    expect(out.error).toBeNull();
    expect(out.thread?.assignedTo).toEqual({ __typename: 'User', id: AGENT });
    expect(snap(id)).toMatchObject({ assignedTo: { userId: AGENT }, assignedAt: iso(clock), updatedAt: iso(clock) });
  });

  test('assigning a machine user replaces the user', async () => {
    const id = await newThread({ assignedTo: { userId: AGENT } });
    const out = await run('assignThread', { threadId: id, machineUserId: BOT });
    expect(out.error).toBeNull();
    expect(out.thread?.assignedTo).toEqual({ __typename: 'MachineUser', id: BOT });
    expect(snap(id).assignedTo).toEqual({ machineUserId: BOT });
  });

  test('a deleted user is rejected', async () => rejects('assignThread', { threadId: await newThread(), userId: GHOST }, 'userId', 'VALIDATION'));
  test('an unknown user is NOT_FOUND', async () => rejects('assignThread', { threadId: await newThread(), userId: pid('u', 'Z') }, 'userId', 'NOT_FOUND'));
  test('an unknown machine user is NOT_FOUND', async () =>
    rejects('assignThread', { threadId: await newThread(), machineUserId: pid('mu', 'Z') }, 'machineUserId', 'NOT_FOUND'));
  test('an unknown thread is NOT_FOUND', () => rejects('assignThread', { threadId: UNKNOWN_THREAD, userId: AGENT }, 'threadId', 'NOT_FOUND'));

  test('both userId and machineUserId is rejected (one field error each)', async () => {
    const id = await newThread();
    const out = await run('assignThread', { threadId: id, userId: AGENT, machineUserId: BOT });
    expect(out.thread).toBeNull();
    expect(out.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(out.error?.fields.map((f) => [f.field, f.type])).toEqual([
      ['userId', 'VALIDATION'],
      ['machineUserId', 'VALIDATION'],
    ]);
    expect(snap(id).assignedTo).toBeNull();
  });

  test('neither userId nor machineUserId is REQUIRED', async () => {
    const out = await run('assignThread', { threadId: await newThread() });
    expect(out.error?.fields.map((f) => [f.field, f.type])).toEqual([
      ['userId', 'REQUIRED'],
      ['machineUserId', 'REQUIRED'],
    ]);
  });

  test.each(['thread:assign', 'thread:read'])('assignThread needs %s', async (p) => forbidden('assignThread', { threadId: await newThread(), userId: AGENT }, p));

  test('unassignThread clears the assignee; again is a successful no-op', async () => {
    const id = await newThread({ assignedTo: { userId: AGENT } });
    const out = await run('unassignThread', { threadId: id });
    expect(out.error).toBeNull();
    expect(out.thread?.assignedTo).toBeNull();
    expect(snap(id)).toMatchObject({ assignedTo: null, assignedAt: null });
    const again = await run('unassignThread', { threadId: id });
    expect(again.error).toBeNull();
  });

  test('unassignThread on an unknown thread is NOT_FOUND', () => rejects('unassignThread', { threadId: UNKNOWN_THREAD }, 'threadId', 'NOT_FOUND'));

  test.each(['thread:unassign', 'thread:read'])('unassignThread needs %s', async (p) =>
    forbidden('unassignThread', { threadId: await newThread({ assignedTo: { userId: AGENT } }) }, p));
});

// ---------------------------------------------------------------- batched refresh

describe('thread(threadId) refresh query', () => {
  test('aliased fields return each thread; an unknown id is null for that alias only; ONE request', async () => {
    const a = await newThread({ externalId: 'a', description: 'first', labelTypeIds: [LT_BUG], assignedTo: { machineUserId: BOT } });
    const b = await newThread({ externalId: 'b', customerIdentifier: { customerId: BOB }, priority: 0 });
    await run('snoozeThread', { threadId: b, durationSeconds: 3600 });

    const before = emu.requests().length;
    const r1 = await gql<Record<string, RefreshedThread | null>>(emu, refreshQuery(3), { t0: a, t1: UNKNOWN_THREAD, t2: b }, { operationName: 'refresh' });
    const r2 = await gql<Record<string, RefreshedThread | null>>(emu, refreshQuery(1), { t0: a });
    expect(emu.requests().length - before).toBe(2);
    expect(Number(r1.headers.get('x-ratelimit-remaining')) - Number(r2.headers.get('x-ratelimit-remaining'))).toBe(1);

    expect(r1.status).toBe(200);
    expect(r1.body.errors).toBeUndefined();
    const lbl = snap(a).labels[0];
    expect(r1.body.data).toEqual({
      t0: {
        id: a,
        externalId: 'a',
        title: 'Printer on fire',
        description: 'first',
        priority: 2,
        status: 'TODO',
        statusDetail: { __typename: 'ThreadStatusDetailInProgress', statusChangedAt: dt(Date.parse(IMPORTED_AT)) },
        assignedTo: { __typename: 'MachineUser', id: BOT },
        labels: [{ id: lbl?.id, labelType: { id: LT_BUG, name: 'bug' } }],
        customer: { id: ANN },
        createdAt: dt(Date.parse(IMPORTED_AT)),
        updatedAt: dt(START),
      },
      t1: null,
      t2: expect.objectContaining({
        id: b,
        priority: 0,
        status: 'SNOOZED',
        statusDetail: { __typename: 'ThreadStatusDetailWaitingForDuration', statusChangedAt: dt(START), waitingUntil: dt(START + 3_600_000) },
        assignedTo: null,
        labels: [],
        customer: { id: BOB },
      }) as unknown,
    });
  });

  test('the same selection works through a named fragment', async () => {
    const id = await newThread({ assignedTo: { userId: AGENT }, status: 'DONE', statusDetail: { type: 'IGNORED' } });
    const q = `query refresh($t0: ID!, $t1: ID!) { t0: thread(threadId: $t0) { ...T } t1: thread(threadId: $t1) { ...T } }
      fragment T on Thread { ${REFRESH_SELECTION} }`;
    const r = await gql<Record<string, RefreshedThread | null>>(emu, q, { t0: UNKNOWN_THREAD, t1: id });
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.t0).toBeNull();
    expect(r.body.data?.t1).toMatchObject({ id, status: 'DONE', statusDetail: { __typename: 'ThreadStatusDetailIgnored' }, assignedTo: { __typename: 'User', id: AGENT } });
  });

  test('every stored status detail resolves to its ThreadStatusDetail member', async () => {
    const id = await newThread();
    const cases: [Op, Record<string, unknown>, string][] = [
      ['markThreadAsTodo', { statusDetail: 'NEW_REPLY' }, 'ThreadStatusDetailNewReply'],
      ['markThreadAsTodo', { statusDetail: 'IN_PROGRESS' }, 'ThreadStatusDetailInProgress'],
      ['snoozeThread', { statusDetail: 'WAITING_FOR_CUSTOMER' }, 'ThreadStatusDetailWaitingForCustomer'],
      ['snoozeThread', { statusDetail: 'WAITING_FOR_DURATION', durationSeconds: 10 }, 'ThreadStatusDetailWaitingForDuration'],
      ['markThreadAsDone', { statusDetail: 'DONE_MANUALLY_SET' }, 'ThreadStatusDetailDoneManuallySet'],
      ['markThreadAsDone', { statusDetail: 'DONE_AUTOMATICALLY_SET' }, 'ThreadStatusDetailDoneAutomaticallySet'],
      ['markThreadAsDone', { statusDetail: 'IGNORED' }, 'ThreadStatusDetailIgnored'],
    ];
    for (const [op, extra, typename] of cases) {
      clock += 1_000;
      expect((await run(op, { threadId: id, ...extra })).error).toBeNull();
      const r = await gql<Record<string, RefreshedThread | null>>(emu, refreshQuery(1), { t0: id });
      expect(r.body.data?.t0?.statusDetail).toMatchObject({ __typename: typename, statusChangedAt: dt(clock) });
      expect(r.body.data?.t0?.updatedAt).toEqual(dt(clock));
    }
  });

  test('without thread:read every alias is a FORBIDDEN GraphQL error', async () => {
    const id = await newThread();
    const r = await gql<Record<string, RefreshedThread | null>>(emu, refreshQuery(2), { t0: id, t1: UNKNOWN_THREAD }, { key: 'key-without-thread:read' });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual({ t0: null, t1: null });
    expect(r.body.errors?.map((e) => [e.path?.[0], e.extensions?.code])).toEqual([
      ['t0', 'FORBIDDEN'],
      ['t1', 'FORBIDDEN'],
    ]);
    expect(r.body.errors?.[0]?.message).toContain('thread:read');
  });
});

describe('GET /__emulator/threads/<id>', () => {
  test('is that thread as in /__emulator/state; unknown id → 404; other methods → 405', async () => {
    const id = await newThread({ labelTypeIds: [LT_BILLING] });
    await run('snoozeThread', { threadId: id, statusDetail: 'WAITING_FOR_CUSTOMER' });
    const one = await getJson<unknown>(emu, `/__emulator/threads/${id}`);
    expect(one).toEqual(snap(id));
    expect(one).toMatchObject({ status: 'SNOOZED', statusDetail: 'WAITING_FOR_CUSTOMER', labelTypeIds: [LT_BILLING] });
    const missing = await fetch(`${emu.url}/__emulator/threads/${UNKNOWN_THREAD}`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('NOT_FOUND');
    const post = await fetch(`${emu.url}/__emulator/threads/${id}`, { method: 'POST' });
    expect(post.status).toBe(405);
  });
});

describe('deleteThread', () => {
  const DELETE = `mutation deleteThread($input: DeleteThreadInput!) { deleteThread(input: $input) { ${MUTATION_ERROR} } }`;
  type Out = { deleteThread: { error: MutationErrorOut | null } };

  test('removes the thread with its messages and labels; the externalId may be imported again', async () => {
    const t = await importThread(emu, { externalId: 'del-1', labelTypeIds: [LT_BILLING] });
    const id = t.thread!.id;
    const r = await gql<Out>(emu, DELETE, { input: { threadId: id } });
    expect(r.body.data!.deleteThread.error).toBeNull();
    expect(emu.snapshot().threads.find((x) => x.id === id)).toBeUndefined();
    const q = await gql<{ thread: unknown }>(emu, 'query q($id: ID!) { thread(threadId: $id) { id } }', { id });
    expect(q.body.data!.thread).toBeNull();
    const again = await importThread(emu, { externalId: 'del-1' });
    expect(again.result).toBe('CREATED');
  });

  test('an unknown thread is a NOT_FOUND field error', async () => {
    const r = await gql<Out>(emu, DELETE, { input: { threadId: pid('th', 'Z') } });
    expect(onlyField(r.body.data!.deleteThread.error)).toMatchObject({ field: 'threadId', type: 'NOT_FOUND' });
  });
});

test('deleteThread needs thread:delete', async () => {
  const t = await importThread(emu, { externalId: 'del-2' });
  const r = await gql<{ deleteThread: { error: MutationErrorOut | null } }>(
    emu,
    `mutation d($input: DeleteThreadInput!) { deleteThread(input: $input) { ${MUTATION_ERROR} } }`,
    { input: { threadId: t.thread!.id } },
    { key: 'key-without-thread:delete' },
  );
  expect(r.body.data!.deleteThread.error).toMatchObject({ type: 'FORBIDDEN' });
  expect(r.body.data!.deleteThread.error!.message).toContain('thread:delete');
  expect(emu.snapshot().threads).toHaveLength(1);
});
