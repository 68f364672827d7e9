import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { isPmError } from '../../../src/core/errors.js';
import { checkPlainSeed, startPlainEmulator, type EmulatorStateSnapshot, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import {
  getJson,
  gql,
  importThread,
  MUTATION_ERROR,
  onlyField,
  pid,
  SEED,
  TFS_AREA,
  TFS_DUE,
  TFS_POINTS,
  TFS_REFUND,
  TFS_SEVERITY,
  TFS_URGENT,
  type GqlError,
  type MutationErrorOut,
} from './helpers.js';

let emu: PlainEmulator;
let threadId: string;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(async () => {
  emu.reset();
  threadId = (await importThread(emu)).thread?.id ?? '';
});

const UPSERT = `mutation upsertThreadField($input: UpsertThreadFieldInput!) {
  upsertThreadField(input: $input) {
    result
    threadField { id threadId key type isAiGenerated stringValue booleanValue numberValue dateValue { iso8601 } createdAt { iso8601 } updatedAt { iso8601 } }
    ${MUTATION_ERROR}
  }
}`;
const THREAD_FIELDS = `query thread($id: ID!) {
  thread(threadId: $id) { id updatedAt { iso8601 } threadFields { id key type stringValue booleanValue numberValue dateValue { iso8601 } } }
}`;
const SCHEMAS = `query threadFieldSchemas($first: Int, $after: String, $last: Int, $before: String) {
  threadFieldSchemas(first: $first, after: $after, last: $last, before: $before) {
    edges { cursor node { id key label description order type enumValues isRequired defaultStringValue defaultBooleanValue defaultNumberValue defaultDateValue { iso8601 } isAiAutoFillEnabled dependsOnThreadField { threadFieldSchemaId } dependsOnLabels { labelTypeId } } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  }
}`;
const SCHEMA = `query threadFieldSchema($id: ID!) { threadFieldSchema(threadFieldSchemaId: $id) { id key label type enumValues isRequired createdAt { iso8601 } } }`;

interface ThreadFieldOut {
  id: string;
  threadId: string;
  key: string;
  type: string;
  isAiGenerated: boolean;
  stringValue: string | null;
  booleanValue: boolean | null;
  numberValue: number | null;
  dateValue: { iso8601: string } | null;
  createdAt: { iso8601: string };
  updatedAt: { iso8601: string };
}
interface UpsertData {
  upsertThreadField: { result: string | null; threadField: ThreadFieldOut | null; error: MutationErrorOut | null };
}
interface ThreadData {
  thread: { id: string; updatedAt: { iso8601: string }; threadFields: Omit<ThreadFieldOut, 'threadId' | 'isAiGenerated' | 'createdAt' | 'updatedAt'>[] } | null;
}
interface SchemaNode {
  id: string;
  key: string;
  label: string;
  type: string;
  enumValues: string[];
  isRequired: boolean;
}
interface SchemasData {
  threadFieldSchemas: {
    edges: { cursor: string; node: SchemaNode & Record<string, unknown> }[];
    pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}

const upsertRaw = (input: Record<string, unknown>, key?: string) => gql<UpsertData>(emu, UPSERT, { input }, { key });
async function upsert(key: string, type: string, value: Record<string, unknown>, opts: { threadId?: string; apiKey?: string } = {}): Promise<UpsertData['upsertThreadField']> {
  const r = await upsertRaw({ identifier: { threadId: opts.threadId ?? threadId, key }, type, ...value }, opts.apiKey);
  if (r.status !== 200 || !r.body.data) throw new Error(`upsertThreadField → HTTP ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.data.upsertThreadField;
}
const fields = (): Record<string, unknown> | undefined => emu.snapshot().threads.find((t) => t.id === threadId)?.fields;
async function readThread(id = threadId): Promise<ThreadData['thread']> {
  return (await gql<ThreadData>(emu, THREAD_FIELDS, { id })).body.data?.thread ?? null;
}

describe('threadFieldSchemas / threadFieldSchema', () => {
  test('lists the seeded schemas in seed order with the modelled fields', async () => {
    const r = await gql<SchemasData>(emu, SCHEMAS);
    expect(r.status).toBe(200);
    expect(r.body.errors).toBeUndefined();
    const nodes = r.body.data?.threadFieldSchemas.edges.map((e) => e.node) ?? [];
    expect(nodes.map((n) => [n.id, n.key, n.type])).toEqual([
      [TFS_AREA, 'product_area', 'STRING'],
      [TFS_URGENT, 'is_urgent', 'BOOL'],
      [TFS_SEVERITY, 'severity', 'ENUM'],
      [TFS_POINTS, 'story_points', 'NUMBER'],
      [TFS_REFUND, 'refund', 'CURRENCY'],
      [TFS_DUE, 'due_date', 'DATE'],
    ]);
    expect(nodes[2]).toEqual({
      id: TFS_SEVERITY,
      key: 'severity',
      label: 'Severity',
      description: '',
      order: 2,
      type: 'ENUM',
      enumValues: ['low', 'high', 'critical'],
      isRequired: false,
      defaultStringValue: null,
      defaultBooleanValue: null,
      defaultNumberValue: null,
      defaultDateValue: null,
      isAiAutoFillEnabled: false,
      dependsOnThreadField: null,
      dependsOnLabels: [],
    });
    expect(nodes[0]?.enumValues).toEqual([]);
    expect(r.body.data?.threadFieldSchemas.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: false });
  });

  test('is paginated like labelTypes: first + after, last + before, misuse is BAD_USER_INPUT', async () => {
    const first = await gql<SchemasData>(emu, SCHEMAS, { first: 4 });
    const page1 = first.body.data?.threadFieldSchemas;
    expect(page1?.edges.map((e) => e.node.key)).toEqual(['product_area', 'is_urgent', 'severity', 'story_points']);
    expect(page1?.pageInfo.hasNextPage).toBe(true);
    const second = await gql<SchemasData>(emu, SCHEMAS, { first: 4, after: page1?.pageInfo.endCursor });
    expect(second.body.data?.threadFieldSchemas.edges.map((e) => e.node.key)).toEqual(['refund', 'due_date']);
    expect(second.body.data?.threadFieldSchemas.pageInfo).toMatchObject({ hasNextPage: false, hasPreviousPage: true });
    const back = await gql<SchemasData>(emu, SCHEMAS, { last: 2, before: page1?.edges[3]?.cursor });
    expect(back.body.data?.threadFieldSchemas.edges.map((e) => e.node.key)).toEqual(['is_urgent', 'severity']);
    const mixed = await gql<SchemasData>(emu, SCHEMAS, { first: 2, before: page1?.pageInfo.endCursor });
    expect(mixed.status).toBe(200);
    expect(mixed.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const tooMany = await gql<SchemasData>(emu, SCHEMAS, { first: 101 });
    expect(tooMany.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });

  test('threadFieldSchema finds one by id; an unknown id is null', async () => {
    const r = await gql<{ threadFieldSchema: SchemaNode | null }>(emu, SCHEMA, { id: TFS_DUE });
    expect(r.body.data?.threadFieldSchema).toMatchObject({ id: TFS_DUE, key: 'due_date', label: 'Due date', type: 'DATE', enumValues: [], isRequired: false });
    const none = await gql<{ threadFieldSchema: SchemaNode | null }>(emu, SCHEMA, { id: pid('tfs', 'Z') });
    expect(none.body.errors).toBeUndefined();
    expect(none.body.data?.threadFieldSchema).toBeNull();
  });

  test('both queries need threadFieldSchema:read (GraphQL FORBIDDEN)', async () => {
    for (const [q, v] of [
      [SCHEMAS, {}],
      [SCHEMA, { id: TFS_AREA }],
    ] as const) {
      const r = await gql(emu, q, v, { key: 'key-without-threadFieldSchema:read' });
      expect(r.status).toBe(200);
      expect(r.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      expect(r.body.errors?.[0]?.message).toContain('threadFieldSchema:read');
    }
  });

  test('createdBy is not modelled: NOT_IMPLEMENTED', async () => {
    const r = await gql(emu, `query { threadFieldSchema(threadFieldSchemaId: "${TFS_AREA}") { id createdBy { __typename } } }`);
    expect((r.body.errors as GqlError[] | undefined)?.[0]?.extensions?.code).toBe('NOT_IMPLEMENTED');
  });
});

describe('upsertThreadField: every type', () => {
  test.each([
    ['product_area', 'STRING', { stringValue: 'security' }, { stringValue: 'security', booleanValue: null, numberValue: null, dateValue: null }, 'security'],
    ['is_urgent', 'BOOL', { booleanValue: false }, { stringValue: null, booleanValue: false, numberValue: null, dateValue: null }, false],
    ['severity', 'ENUM', { stringValue: 'high' }, { stringValue: 'high', booleanValue: null, numberValue: null, dateValue: null }, 'high'],
    ['story_points', 'NUMBER', { numberValue: 0 }, { stringValue: null, booleanValue: null, numberValue: 0, dateValue: null }, 0],
    ['refund', 'CURRENCY', { numberValue: 12.5 }, { stringValue: null, booleanValue: null, numberValue: 12.5, dateValue: null }, 12.5],
    [
      'due_date',
      'DATE',
      { dateValue: '2024-07-01T12:00:00+02:00' },
      { stringValue: null, booleanValue: null, numberValue: null, dateValue: { iso8601: '2024-07-01T10:00:00.000Z' } },
      '2024-07-01T10:00:00.000Z',
    ],
  ] as const)('%s (%s) is CREATED and shows on the thread and in the snapshot', async (key, type, value, out, snap) => {
    const r = await upsert(key, type, value);
    expect(r.error).toBeNull();
    expect(r.result).toBe('CREATED');
    expect(r.threadField).toMatchObject({ threadId, key, type, isAiGenerated: false, ...out });
    expect(r.threadField?.id).toMatch(/^tf_[0-9A-HJKMNP-TV-Z]{26}$/);
    const th = await readThread();
    expect(th?.threadFields).toEqual([{ id: r.threadField?.id, key, type, ...out }]);
    expect(fields()).toEqual({ [key]: snap });
  });

  test('several fields on one thread keep their first-set order; GET /__emulator/threads/<id> shows them too', async () => {
    await upsert('severity', 'ENUM', { stringValue: 'low' });
    await upsert('product_area', 'STRING', { stringValue: 'billing' });
    await upsert('is_urgent', 'BOOL', { booleanValue: true });
    await upsert('severity', 'ENUM', { stringValue: 'critical' });
    expect(fields()).toEqual({ severity: 'critical', product_area: 'billing', is_urgent: true });
    expect(Object.keys(fields() ?? {})).toEqual(['severity', 'product_area', 'is_urgent']);
    const one = await getJson<EmulatorStateSnapshot['threads'][number]>(emu, `/__emulator/threads/${threadId}`);
    expect(one.fields).toEqual({ severity: 'critical', product_area: 'billing', is_urgent: true });
    const state = await getJson<EmulatorStateSnapshot>(emu, '/__emulator/state');
    expect(state.threads[0]?.fields).toEqual({ severity: 'critical', product_area: 'billing', is_urgent: true });
    expect((await readThread())?.threadFields.map((f) => f.key)).toEqual(['severity', 'product_area', 'is_urgent']);
  });

  test('values are per thread', async () => {
    const other = (await importThread(emu, { externalId: 'zd-2' })).thread?.id ?? '';
    await upsert('product_area', 'STRING', { stringValue: 'a' });
    const r = await upsert('product_area', 'STRING', { stringValue: 'b' }, { threadId: other });
    expect(r.result).toBe('CREATED');
    expect(emu.snapshot().threads.map((t) => t.fields)).toEqual([{ product_area: 'a' }, { product_area: 'b' }]);
  });
});

describe('upsertThreadField: CREATED, UPDATED, NOOP', () => {
  test('CREATED the first time, UPDATED when the value changes, NOOP when it does not', async () => {
    const created = await upsert('product_area', 'STRING', { stringValue: 'security' });
    expect(created.result).toBe('CREATED');
    const same = await upsert('product_area', 'STRING', { stringValue: 'security' });
    expect(same).toMatchObject({ result: 'NOOP', error: null });
    expect(same.threadField?.id).toBe(created.threadField?.id);
    const updated = await upsert('product_area', 'STRING', { stringValue: 'billing' });
    expect(updated).toMatchObject({ result: 'UPDATED', error: null, threadField: { stringValue: 'billing' } });
    expect(updated.threadField?.id).toBe(created.threadField?.id);
    expect((await readThread())?.threadFields).toHaveLength(1);
    expect(fields()).toEqual({ product_area: 'billing' });
  });

  test('a NOOP leaves the thread and the field untouched; UPDATED and CREATED move updatedAt', async () => {
    let clock = Date.parse('2030-01-01T00:00:00Z');
    const clockEmu = await startPlainEmulator({ seed: SEED, now: () => new Date(clock) });
    try {
      const r = await gql<{ importThread: { thread: { id: string } } }>(
        clockEmu,
        `mutation importThread($input: ImportThreadInput!) { importThread(input: $input) { thread { id } } }`,
        { input: { customerIdentifier: { customerId: pid('c', '1') }, title: 't', externalId: 'x', priority: 2, status: 'TODO', statusDetail: { type: 'IN_PROGRESS' }, createdAt: '2024-06-15T10:32:00Z' } },
      );
      const id = r.body.data?.importThread.thread.id ?? '';
      const call = async (value: number) =>
        (await gql<UpsertData>(clockEmu, UPSERT, { input: { identifier: { threadId: id, key: 'story_points' }, type: 'NUMBER', numberValue: value } })).body.data?.upsertThreadField;
      const updatedAt = () => clockEmu.snapshot().threads[0]?.updatedAt;
      clock += 1000;
      const c = await call(3);
      expect(updatedAt()).toBe('2030-01-01T00:00:01.000Z');
      clock += 1000;
      const n = await call(3);
      expect(n?.result).toBe('NOOP');
      expect(n?.threadField?.updatedAt.iso8601).toBe(c?.threadField?.updatedAt.iso8601);
      expect(updatedAt()).toBe('2030-01-01T00:00:01.000Z');
      clock += 1000;
      const u = await call(5);
      expect(u?.result).toBe('UPDATED');
      expect(u?.threadField?.createdAt.iso8601).toBe('2030-01-01T00:00:01.000Z');
      expect(u?.threadField?.updatedAt.iso8601).toBe('2030-01-01T00:00:03.000Z');
      expect(updatedAt()).toBe('2030-01-01T00:00:03.000Z');
    } finally {
      await clockEmu.close();
    }
  });

  test('the same instant written with another offset is a NOOP; a different BOOL is UPDATED', async () => {
    await upsert('due_date', 'DATE', { dateValue: '2024-07-01T10:00:00Z' });
    expect((await upsert('due_date', 'DATE', { dateValue: '2024-07-01T12:00:00.000+02:00' })).result).toBe('NOOP');
    expect((await upsert('due_date', 'DATE', { dateValue: '2024-07-01T10:00:01Z' })).result).toBe('UPDATED');
    await upsert('is_urgent', 'BOOL', { booleanValue: true });
    expect((await upsert('is_urgent', 'BOOL', { booleanValue: false })).result).toBe('UPDATED');
    expect(fields()).toEqual({ due_date: '2024-07-01T10:00:01.000Z', is_urgent: false });
  });
});

describe('upsertThreadField: rules', () => {
  const rejects = async (
    key: string,
    type: string,
    value: Record<string, unknown>,
    expected: { field: string; type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND' }[],
    opts: { threadId?: string } = {},
  ): Promise<void> => {
    const r = await upsert(key, type, value, opts);
    expect(r.result).toBeNull();
    expect(r.threadField).toBeNull();
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(r.error?.fields.map((f) => ({ field: f.field, type: f.type }))).toEqual(expected);
    expect(fields() ?? {}).toEqual({});
  };

  test('an unknown thread is NOT_FOUND on identifier.threadId', () =>
    rejects('product_area', 'STRING', { stringValue: 'x' }, [{ field: 'identifier.threadId', type: 'NOT_FOUND' }], { threadId: pid('th', 'Z') }));
  test('an unknown key is NOT_FOUND on identifier.key', () => rejects('productArea', 'STRING', { stringValue: 'x' }, [{ field: 'identifier.key', type: 'NOT_FOUND' }]));
  test('a blank key is REQUIRED on identifier.key', () => rejects('  ', 'STRING', { stringValue: 'x' }, [{ field: 'identifier.key', type: 'REQUIRED' }]));
  test('a type other than the schema type is VALIDATION on type', () => rejects('product_area', 'BOOL', { booleanValue: true }, [{ field: 'type', type: 'VALIDATION' }]));
  test('ENUM written as STRING is VALIDATION on type', () => rejects('severity', 'STRING', { stringValue: 'high' }, [{ field: 'type', type: 'VALIDATION' }]));
  test('CURRENCY written as NUMBER is VALIDATION on type', () => rejects('refund', 'NUMBER', { numberValue: 1 }, [{ field: 'type', type: 'VALIDATION' }]));
  test('an ENUM value outside enumValues is VALIDATION on stringValue (case-sensitive)', () =>
    rejects('severity', 'ENUM', { stringValue: 'High' }, [{ field: 'stringValue', type: 'VALIDATION' }]));
  test('a DATE that is not ISO 8601 is VALIDATION on dateValue', () => rejects('due_date', 'DATE', { dateValue: '01/07/2024' }, [{ field: 'dateValue', type: 'VALIDATION' }]));
  test('a date without a time and offset is VALIDATION on dateValue', () => rejects('due_date', 'DATE', { dateValue: '2024-07-01' }, [{ field: 'dateValue', type: 'VALIDATION' }]));

  test.each([
    ['product_area', 'STRING', 'stringValue'],
    ['severity', 'ENUM', 'stringValue'],
    ['is_urgent', 'BOOL', 'booleanValue'],
    ['story_points', 'NUMBER', 'numberValue'],
    ['refund', 'CURRENCY', 'numberValue'],
    ['due_date', 'DATE', 'dateValue'],
  ])('%s (%s) without %s is REQUIRED on it', (key, type, field) => rejects(key, type, {}, [{ field, type: 'REQUIRED' }]));

  test('null or blank values count as missing', async () => {
    await rejects('product_area', 'STRING', { stringValue: null }, [{ field: 'stringValue', type: 'REQUIRED' }]);
    await rejects('product_area', 'STRING', { stringValue: '  ' }, [{ field: 'stringValue', type: 'REQUIRED' }]);
    await rejects('due_date', 'DATE', { dateValue: '' }, [{ field: 'dateValue', type: 'REQUIRED' }]);
  });

  test('a value field that does not match the type is VALIDATION, even next to the right one', () =>
    rejects('story_points', 'NUMBER', { numberValue: 2, stringValue: '2', booleanValue: false }, [
      { field: 'stringValue', type: 'VALIDATION' },
      { field: 'booleanValue', type: 'VALIDATION' },
    ]));

  test('every problem is reported at once', () =>
    rejects('no_such_key', 'DATE', { stringValue: 'x' }, [
      { field: 'identifier.threadId', type: 'NOT_FOUND' },
      { field: 'identifier.key', type: 'NOT_FOUND' },
      { field: 'stringValue', type: 'VALIDATION' },
      { field: 'dateValue', type: 'REQUIRED' },
    ], { threadId: pid('th', 'Z') }));

  test('an invalid call changes nothing: the stored value stays', async () => {
    await upsert('severity', 'ENUM', { stringValue: 'low' });
    const before = emu.snapshot().threads[0]?.updatedAt;
    const r = await upsert('severity', 'ENUM', { stringValue: 'nope' });
    expect(onlyField(r.error)).toMatchObject({ field: 'stringValue', type: 'VALIDATION' });
    expect(fields()).toEqual({ severity: 'low' });
    expect(emu.snapshot().threads[0]?.updatedAt).toBe(before);
  });

  test.each(['threadField:create', 'threadField:update'])('without %s: FORBIDDEN naming it, nothing stored', async (perm) => {
    const r = await upsert('product_area', 'STRING', { stringValue: 'x' }, { apiKey: `key-without-${perm}` });
    expect(r).toEqual({ result: null, threadField: null, error: { message: `Missing permission: ${perm}`, type: 'FORBIDDEN', code: 'forbidden', fields: [] } });
    expect(fields()).toEqual({});
  });

  test('an unknown type enum value or a non-number numberValue never reaches the rules: 400 BAD_USER_INPUT', async () => {
    const badType = await upsertRaw({ identifier: { threadId, key: 'product_area' }, type: 'TEXT', stringValue: 'x' });
    expect(badType.status).toBe(400);
    expect(badType.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const badNumber = await upsertRaw({ identifier: { threadId, key: 'story_points' }, type: 'NUMBER', numberValue: 'three' });
    expect(badNumber.status).toBe(400);
    expect(fields()).toEqual({});
  });

  test('myPermissions of a key-less workspace lists the thread field permissions', async () => {
    const open = await startPlainEmulator({ seed: { ...SEED, apiKeys: [] } });
    try {
      const r = await gql<{ myPermissions: { permissions: string[] } }>(open, '{ myPermissions { permissions } }', undefined, { key: 'anything' });
      expect(r.body.data?.myPermissions.permissions).toEqual(expect.arrayContaining(['threadField:create', 'threadField:update', 'threadFieldSchema:read']));
    } finally {
      await open.close();
    }
  });
});

describe('thread fields and the thread lifecycle', () => {
  test('deleteThread drops the thread fields; re-importing the externalId starts without them', async () => {
    await upsert('product_area', 'STRING', { stringValue: 'security' });
    const del = await gql<{ deleteThread: { error: MutationErrorOut | null } }>(emu, `mutation deleteThread($input: DeleteThreadInput!) { deleteThread(input: $input) { ${MUTATION_ERROR} } }`, {
      input: { threadId },
    });
    expect(del.body.data?.deleteThread.error).toBeNull();
    const gone = await upsert('product_area', 'STRING', { stringValue: 'security' });
    expect(onlyField(gone.error)).toMatchObject({ field: 'identifier.threadId', type: 'NOT_FOUND' });
    const again = (await importThread(emu)).thread?.id ?? '';
    expect(again).not.toBe(threadId);
    expect(emu.snapshot().threads.map((t) => t.fields)).toEqual([{}]);
    expect((await readThread(again))?.threadFields).toEqual([]);
    expect((await upsert('product_area', 'STRING', { stringValue: 'security' }, { threadId: again })).result).toBe('CREATED');
  });

  test('reset() drops thread field values but keeps the seeded schemas', async () => {
    await upsert('product_area', 'STRING', { stringValue: 'security' });
    emu.reset();
    expect(emu.snapshot().threads).toEqual([]);
    const r = await gql<SchemasData>(emu, SCHEMAS);
    expect(r.body.data?.threadFieldSchemas.edges).toHaveLength(6);
  });
});

describe('required thread fields and markThreadAsDone', () => {
  let req: PlainEmulator;
  beforeAll(async () => {
    req = await startPlainEmulator({
      seed: {
        ...SEED,
        threadFieldSchemas: [
          { key: 'product_area', label: 'Product area', type: 'STRING', isRequired: true },
          { key: 'severity', label: 'Severity', type: 'ENUM', enumValues: ['low', 'high'], isRequired: true },
          { key: 'note', label: 'Note', type: 'STRING' },
        ],
      },
    });
  });
  afterAll(async () => {
    await req.close();
  });

  const DONE = `mutation markThreadAsDone($input: MarkThreadAsDoneInput!) { markThreadAsDone(input: $input) { thread { id status } ${MUTATION_ERROR} } }`;
  interface DoneData {
    markThreadAsDone: { thread: { id: string; status: string } | null; error: MutationErrorOut | null };
  }

  test('a thread cannot be marked as done until every required field has a value', async () => {
    const id = (await importThread(req)).thread?.id ?? '';
    const early = await gql<DoneData>(req, DONE, { input: { threadId: id } });
    expect(early.body.data?.markThreadAsDone.thread).toBeNull();
    expect(early.body.data?.markThreadAsDone.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(early.body.data?.markThreadAsDone.error?.fields.map((f) => [f.field, f.type, f.message.includes('"product_area"') || f.message.includes('"severity"')])).toEqual([
      ['threadFields', 'REQUIRED', true],
      ['threadFields', 'REQUIRED', true],
    ]);
    expect(req.snapshot().threads[0]?.status).toBe('TODO');

    const set = (key: string, type: string, stringValue: string) =>
      gql<UpsertData>(req, UPSERT, { input: { identifier: { threadId: id, key }, type, stringValue } });
    await set('product_area', 'STRING', 'billing');
    const half = await gql<DoneData>(req, DONE, { input: { threadId: id } });
    expect(onlyField(half.body.data?.markThreadAsDone.error ?? null)).toMatchObject({ field: 'threadFields', type: 'REQUIRED' });
    await set('severity', 'ENUM', 'high');
    const done = await gql<DoneData>(req, DONE, { input: { threadId: id } });
    expect(done.body.data?.markThreadAsDone).toEqual({ thread: { id, status: 'DONE' }, error: null });
  });

  test('required fields do not block importThread with status DONE (Plain documents the rule for marking as done only)', async () => {
    const t = await importThread(req, { externalId: 'done-1', status: 'DONE', statusDetail: { type: 'DONE_MANUALLY_SET' } });
    expect(t.error).toBeNull();
    expect(t.thread?.status).toBe('DONE');
  });
});

describe('threadFieldSchemas seed section', () => {
  const refused = (section: unknown): string => {
    try {
      checkPlainSeed({ threadFieldSchemas: section }, 'test-seed');
    } catch (e) {
      if (isPmError(e)) {
        expect(e.code).toBe('emulator.seed-invalid');
        return e.message;
      }
      throw e;
    }
    throw new Error('expected the seed to be refused');
  };

  test('a valid section is accepted and ids are generated with the tfs_ prefix', async () => {
    const seed = checkPlainSeed({ threadFieldSchemas: [{ key: 'a_1', label: 'A', type: 'NUMBER' }] }, 'test-seed');
    expect(seed.threadFieldSchemas).toEqual([{ id: undefined, key: 'a_1', label: 'A', type: 'NUMBER', enumValues: undefined, isRequired: false }]);
    const e = await startPlainEmulator({ seed });
    try {
      const r = await gql<SchemasData>(e, SCHEMAS, {}, { key: 'k' });
      expect(r.body.data?.threadFieldSchemas.edges[0]?.node.id).toMatch(/^tfs_[0-9A-HJKMNP-TV-Z]{26}$/);
    } finally {
      await e.close();
    }
  });

  test.each([
    ['a key with capitals', [{ key: 'productArea', label: 'A', type: 'STRING' }], 'threadFieldSchemas[0].key'],
    ['a key with a hyphen', [{ key: 'product-area', label: 'A', type: 'STRING' }], 'threadFieldSchemas[0].key'],
    ['a missing label', [{ key: 'a', type: 'STRING' }], 'threadFieldSchemas[0].label'],
    ['an unknown type', [{ key: 'a', label: 'A', type: 'DATETIME' }], 'threadFieldSchemas[0].type'],
    ['an ENUM without enumValues', [{ key: 'a', label: 'A', type: 'ENUM' }], 'threadFieldSchemas[0].enumValues'],
    ['an ENUM with empty enumValues', [{ key: 'a', label: 'A', type: 'ENUM', enumValues: [] }], 'threadFieldSchemas[0].enumValues'],
    ['repeated enumValues', [{ key: 'a', label: 'A', type: 'ENUM', enumValues: ['x', 'x'] }], 'threadFieldSchemas[0].enumValues'],
    ['enumValues on a STRING field', [{ key: 'a', label: 'A', type: 'STRING', enumValues: ['x'] }], 'threadFieldSchemas[0].enumValues'],
    ['isRequired not a boolean', [{ key: 'a', label: 'A', type: 'BOOL', isRequired: 'yes' }], 'threadFieldSchemas[0].isRequired'],
    ['an unknown key', [{ key: 'a', label: 'A', type: 'BOOL', default: true }], 'threadFieldSchemas[0]'],
    ['an id with the wrong prefix', [{ id: pid('lt', '1'), key: 'a', label: 'A', type: 'BOOL' }], 'threadFieldSchemas[0].id'],
    ['a repeated key', [{ key: 'a', label: 'A', type: 'BOOL' }, { key: 'a', label: 'B', type: 'BOOL' }], 'threadFieldSchemas[1].key'],
    ['a repeated label', [{ key: 'a', label: 'A', type: 'BOOL' }, { key: 'b', label: 'A', type: 'BOOL' }], 'threadFieldSchemas[1].label'],
    ['not a list', { key: 'a' }, 'threadFieldSchemas'],
  ])('%s is refused, naming the entry', (_name, section, where) => {
    expect(refused(section)).toContain(where);
  });
});
