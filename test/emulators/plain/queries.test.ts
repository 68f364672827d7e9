import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { AGENT, ANN, GHOST, gql, importMessages, importThread, LT_BUG, message, SEED } from './helpers.js';

let emu: PlainEmulator;
const LABELS = Array.from({ length: 130 }, (_, i) => ({ name: `label-${String(i).padStart(3, '0')}`, archived: i % 10 === 9 }));
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { ...SEED, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu.close();
});

interface Page {
  labelTypes: {
    edges: { cursor: string; node: { id: string; name: string; isArchived: boolean } }[];
    pageInfo: { hasPreviousPage: boolean; hasNextPage: boolean; startCursor: string | null; endCursor: string | null };
  };
}
const LABEL_TYPES = `query labelTypes($first: Int, $after: String, $last: Int, $before: String, $filters: LabelTypeFilter) {
  labelTypes(first: $first, after: $after, last: $last, before: $before, filters: $filters) {
    edges { cursor node { id name isArchived } }
    pageInfo { hasPreviousPage hasNextPage startCursor endCursor }
  }
}`;

describe('labelTypes', () => {
  test('the default page size is 25 and archived label types are included by default', async () => {
    const r = await gql<Page>(emu, LABEL_TYPES);
    expect(r.body.data?.labelTypes.edges).toHaveLength(25);
    expect(r.body.data?.labelTypes.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false });
    expect(r.body.data?.labelTypes.edges.some((e) => e.node.isArchived)).toBe(true);
  });

  test('first + after walks every page; filters.isArchived=false excludes archived ones', async () => {
    const names: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const r: Awaited<ReturnType<typeof gql<Page>>> = await gql<Page>(emu, LABEL_TYPES, { first: 50, after, filters: { isArchived: false } });
      const page: Page['labelTypes'] | undefined = r.body.data?.labelTypes;
      names.push(...(page?.edges.map((e) => e.node.name) ?? []));
      if (!page?.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(names).toEqual(LABELS.filter((l) => !l.archived).map((l) => l.name));
    const archived = await gql<Page>(emu, LABEL_TYPES, { first: 100, filters: { isArchived: true } });
    expect(archived.body.data?.labelTypes.edges.map((e) => e.node.name)).toEqual(LABELS.filter((l) => l.archived).map((l) => l.name));
  });

  test('last + before pages backwards', async () => {
    const all = await gql<Page>(emu, LABEL_TYPES, { first: 100 });
    const tenth = all.body.data?.labelTypes.edges[10]?.cursor;
    const r = await gql<Page>(emu, LABEL_TYPES, { last: 3, before: tenth });
    expect(r.body.data?.labelTypes.edges.map((e) => e.node.name)).toEqual(['label-007', 'label-008', 'label-009']);
    expect(r.body.data?.labelTypes.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });
  });

  test.each([
    ['first with before', { first: 5, before: 'x' }],
    ['last with after', { last: 5, after: 'x' }],
    ['first and last', { first: 5, last: 5 }],
    ['first over 100', { first: 101 }],
    ['negative first', { first: -1 }],
    ['an unknown cursor', { first: 5, after: 'bm9wZQ' }],
  ])('%s is a BAD_USER_INPUT error', async (_name, variables) => {
    const r = await gql<Page>(emu, LABEL_TYPES, variables);
    expect(r.status).toBe(200);
    expect(r.body.data).toBeNull();
    expect(r.body.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('userByEmail and threadByExternalId', () => {
  test('userByEmail returns active and deleted users, null when unknown', async () => {
    const q = '{ a: userByEmail(email: "SARA@acme.com") { id email fullName isDeleted } b: userByEmail(email: "gone@acme.com") { id isDeleted } c: userByEmail(email: "x@acme.com") { id } }';
    const r = await gql<Record<string, unknown>>(emu, q);
    expect(r.body.data).toEqual({
      a: { id: AGENT, email: 'sara@acme.com', fullName: 'Sara Agent', isDeleted: false },
      b: { id: GHOST, isDeleted: true },
      c: null,
    });
  });

  test('threadByExternalId returns the imported thread with its fields, null when unknown', async () => {
    const t = await importThread(emu, { externalId: 'q-1', labelTypeIds: [], description: null });
    await importMessages(emu, t.thread?.id ?? '', [message({ type: 'NOTE', author: { userId: AGENT } })]);
    const q = `{ t: threadByExternalId(customerId: "${ANN}", externalId: "q-1") {
      id externalId title description status priority ref channel
      createdAt { iso8601 unixTimestamp } customer { id fullName } labels { id } assignedTo { __typename }
    } n: threadByExternalId(customerId: "${ANN}", externalId: "nope") { id } }`;
    const r = await gql<{ t: Record<string, unknown>; n: null }>(emu, q);
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data?.n).toBeNull();
    expect(r.body.data?.t).toMatchObject({
      id: t.thread?.id,
      externalId: 'q-1',
      title: 'Printer on fire',
      description: null,
      status: 'TODO',
      priority: 2,
      channel: 'IMPORT',
      createdAt: { iso8601: '2024-06-15T10:32:00.000Z', unixTimestamp: '1718447520000' },
      customer: { id: ANN, fullName: 'Ann Example' },
      labels: [],
      assignedTo: null,
    });
    expect(String(r.body.data?.t.ref)).toMatch(/^T-\d+$/);
  });

  test('labels on a thread resolve their label type', async () => {
    const t = await importThread(emu, { externalId: 'q-2', labelTypeIds: [] });
    expect(t.error).toBeNull();
    const lt = emu.snapshot().labelTypes[0]?.id ?? LT_BUG;
    const t2 = await importThread(emu, { externalId: 'q-3', labelTypeIds: [lt] });
    const r = await gql<{ thread: { labels: { id: string; labelType: { id: string } }[] } }>(emu, `{ thread(threadId: "${t2.thread?.id ?? ''}") { labels { id labelType { id } } } }`);
    expect(r.body.data?.thread.labels.map((l) => l.labelType.id)).toEqual([lt]);
  });
});
