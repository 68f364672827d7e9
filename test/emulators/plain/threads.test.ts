import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import {
  ACME,
  ADD_TO_TENANTS,
  AGENT,
  ANN,
  BOB,
  BOT,
  GHOST,
  gql,
  importThread,
  LT_BILLING,
  LT_BUG,
  LT_OLD,
  onlyField,
  pid,
  SEED,
} from './helpers.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

describe('importThread: success and idempotency', () => {
  test('imports a thread with every optional field: CREATED, th_ id, original createdAt', async () => {
    await gql(emu, ADD_TO_TENANTS, { input: { customerIdentifier: { customerId: ANN }, tenantIdentifiers: [{ tenantId: ACME }] } });
    const r = await importThread(emu, {
      description: 'It smokes',
      externalUrl: 'https://acme.zendesk.com/agent/tickets/1',
      labelTypeIds: [LT_BILLING, LT_BUG],
      assignedTo: { userId: AGENT },
      tenantId: ACME,
      priority: 0,
      status: 'DONE',
      statusDetail: { type: 'IGNORED' },
      createdAt: '2024-06-15T12:32:00.123+02:00',
    });
    expect(r.error).toBeNull();
    expect(r.result).toBe('CREATED');
    expect(r.thread).toMatchObject({
      externalId: 'zd-1',
      title: 'Printer on fire',
      description: 'It smokes',
      status: 'DONE',
      priority: 0,
      customer: { id: ANN },
      createdAt: { iso8601: '2024-06-15T10:32:00.123Z', unixTimestamp: String(Date.UTC(2024, 5, 15, 10, 32, 0, 123)) },
    });
    expect(r.thread?.id).toMatch(/^th_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(emu.snapshot().threads).toEqual([
      {
        id: r.thread?.id,
        externalId: 'zd-1',
        customerId: ANN,
        title: 'Printer on fire',
        description: 'It smokes',
        externalUrl: 'https://acme.zendesk.com/agent/tickets/1',
        status: 'DONE',
        statusDetail: 'IGNORED',
        statusChangedAt: '2024-06-15T10:32:00.123Z',
        snoozedUntil: null,
        priority: 0,
        labelTypeIds: [LT_BILLING, LT_BUG],
        labels: [
          { id: expect.stringMatching(/^l_[0-9A-HJKMNP-TV-Z]{26}$/) as unknown, labelTypeId: LT_BILLING },
          { id: expect.stringMatching(/^l_[0-9A-HJKMNP-TV-Z]{26}$/) as unknown, labelTypeId: LT_BUG },
        ],
        assignedTo: { userId: AGENT },
        assignedAt: expect.stringMatching(ISO) as unknown,
        tenantId: ACME,
        createdAt: '2024-06-15T10:32:00.123Z',
        updatedAt: expect.stringMatching(ISO) as unknown,
        fields: {},
        messages: [],
      },
    ]);
  });

  test('the customer can be identified by email or externalId; a machine user can be the assignee', async () => {
    const byEmail = await importThread(emu, { customerIdentifier: { emailAddress: 'bob@example.com' }, externalId: 'a', assignedTo: { machineUserId: BOT } });
    expect(byEmail.thread?.customer.id).toBe(BOB);
    const byExt = await importThread(emu, { customerIdentifier: { externalId: 'ext-ann' }, externalId: 'b' });
    expect(byExt.thread?.customer.id).toBe(ANN);
    expect(emu.snapshot().threads[0]?.assignedTo).toEqual({ machineUserId: BOT });
  });

  test('the same externalId for the same customer is a NOOP returning the existing thread and changing nothing', async () => {
    const first = await importThread(emu);
    const second = await importThread(emu, { title: 'A different title', priority: 3 });
    expect(second.error).toBeNull();
    expect(second.result).toBe('NOOP');
    expect(second.thread?.id).toBe(first.thread?.id);
    expect(second.thread?.title).toBe('Printer on fire');
    expect(emu.snapshot().threads).toHaveLength(1);
    expect(emu.snapshot().threads[0]?.priority).toBe(2);
  });

  test('idempotency is per customer: the same externalId for another customer is a new thread', async () => {
    const a = await importThread(emu);
    const b = await importThread(emu, { customerIdentifier: { customerId: BOB } });
    expect(b.result).toBe('CREATED');
    expect(b.thread?.id).not.toBe(a.thread?.id);
    const found = await gql<{ threadByExternalId: { id: string } | null }>(emu, `{ threadByExternalId(customerId: "${BOB}", externalId: "zd-1") { id } }`);
    expect(found.body.data?.threadByExternalId?.id).toBe(b.thread?.id);
  });
});

describe('importThread: every documented rule is enforced', () => {
  const rejects = async (over: Record<string, unknown>, field: string, type: 'VALIDATION' | 'REQUIRED' | 'NOT_FOUND'): Promise<void> => {
    const r = await importThread(emu, over);
    expect(r.thread).toBeNull();
    expect(r.result).toBeNull();
    expect(r.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(r.error)).toMatchObject({ field, type });
    expect(emu.snapshot().threads).toHaveLength(0);
  };

  test('the customer must exist', () => rejects({ customerIdentifier: { emailAddress: 'nobody@example.com' } }, 'customerIdentifier', 'NOT_FOUND'));
  test('the customer identifier must have exactly one field', () =>
    rejects({ customerIdentifier: { emailAddress: 'ann@example.com', customerId: ANN } }, 'customerIdentifier', 'VALIDATION'));
  test('the title must not be blank', () => rejects({ title: '  \n ' }, 'title', 'REQUIRED'));
  test('priority 4 is rejected', () => rejects({ priority: 4 }, 'priority', 'VALIDATION'));
  test('priority -1 is rejected', () => rejects({ priority: -1 }, 'priority', 'VALIDATION'));

  test.each([
    ['TODO', 'WAITING_FOR_CUSTOMER'],
    ['TODO', 'DONE_MANUALLY_SET'],
    ['TODO', 'IGNORED'],
    ['SNOOZED', 'NEW_REPLY'],
    ['SNOOZED', 'IN_PROGRESS'],
    ['SNOOZED', 'DONE_MANUALLY_SET'],
    ['SNOOZED', 'IGNORED'],
    ['DONE', 'NEW_REPLY'],
    ['DONE', 'IN_PROGRESS'],
    ['DONE', 'WAITING_FOR_CUSTOMER'],
  ])('status %s with statusDetail %s is rejected', (status, detail) => rejects({ status, statusDetail: { type: detail } }, 'statusDetail', 'VALIDATION'));

  test.each([
    ['TODO', 'NEW_REPLY'],
    ['TODO', 'IN_PROGRESS'],
    ['SNOOZED', 'WAITING_FOR_CUSTOMER'],
    ['DONE', 'DONE_MANUALLY_SET'],
    ['DONE', 'IGNORED'],
  ])('status %s with statusDetail %s is accepted', async (status, detail) => {
    const r = await importThread(emu, { status, statusDetail: { type: detail } });
    expect(r.error).toBeNull();
    expect(emu.snapshot().threads[0]).toMatchObject({ status, statusDetail: detail });
  });

  test('an unknown label type is NOT_FOUND', () => rejects({ labelTypeIds: [LT_BILLING, pid('lt', 'Z')] }, 'labelTypeIds', 'NOT_FOUND'));
  test('an archived label type is rejected', () => rejects({ labelTypeIds: [LT_OLD] }, 'labelTypeIds', 'VALIDATION'));
  test('an unknown assignee user is NOT_FOUND', () => rejects({ assignedTo: { userId: pid('u', 'Z') } }, 'assignedTo.userId', 'NOT_FOUND'));
  test('a deleted assignee user is rejected', () => rejects({ assignedTo: { userId: GHOST } }, 'assignedTo.userId', 'VALIDATION'));
  test('an unknown machine user is NOT_FOUND', () => rejects({ assignedTo: { machineUserId: pid('mu', 'Z') } }, 'assignedTo.machineUserId', 'NOT_FOUND'));
  test('assignedTo with both userId and machineUserId is rejected', () => rejects({ assignedTo: { userId: AGENT, machineUserId: BOT } }, 'assignedTo', 'VALIDATION'));
  test('an unknown tenant is NOT_FOUND', () => rejects({ tenantId: pid('te', 'Z') }, 'tenantId', 'NOT_FOUND'));
  test('a tenant the customer is not a member of is rejected', () => rejects({ tenantId: ACME }, 'tenantId', 'VALIDATION'));

  test.each(['2024-06-15', '2024-06-15 10:32:00Z', '2024-06-15T10:32:00', '15/06/2024', '2024-13-01T00:00:00Z', '2024-02-30T00:00:00Z', '2024-06-15T25:00:00Z', 'yesterday', '1718447520'])(
    'createdAt %j is not ISO 8601 and is rejected',
    (createdAt) => rejects({ createdAt }, 'createdAt', 'VALIDATION'),
  );

  test('createdAt in the future is rejected', () => rejects({ createdAt: new Date(Date.now() + 3_600_000).toISOString() }, 'createdAt', 'VALIDATION'));

  test('several broken fields are all reported', async () => {
    const r = await importThread(emu, { title: '', priority: 9, createdAt: 'soon' });
    expect(r.error?.fields.map((f) => f.field).sort()).toEqual(['createdAt', 'priority', 'title']);
  });
});
