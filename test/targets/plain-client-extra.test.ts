/**
 * PlainTarget against the real Plain emulator: workspace set-up (label types, users, tenants),
 * tenant memberships on import, attachment uploads and thread fields.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Thread } from '../../src/core/model.js';
import { startPlainEmulator, type PlainEmulator, type PlainSeed } from '../../src/emulators/plain/index.js';
import { PlainTarget } from '../../src/targets/plain/client.js';
import { TargetError, type CallOptions, type MessageToSend } from '../../src/targets/types.js';
import { ACME, AGENT, ANN, BOB, FULL_KEY, GHOST, GLOBEX, LT_OLD, SEED } from '../emulators/plain/helpers.js';

const o: CallOptions = { signal: new AbortController().signal };

/** 130 label types in all (the seed's 3, one archived, and 127 more): two pages of 100. */
const MANY_LABEL_TYPES: PlainSeed = {
  ...SEED,
  labelTypes: [...(SEED.labelTypes ?? []), ...Array.from({ length: 127 }, (_, i) => ({ name: `topic-${String(i).padStart(3, '0')}` }))],
};

const FIELD_SCHEMAS = [
  { key: 'plan', label: 'Plan', type: 'ENUM', enumValues: ['free', 'pro', 'enterprise'] },
  { key: 'note', label: 'Note', type: 'STRING' },
  { key: 'vip', label: 'VIP', type: 'BOOL' },
  { key: 'seats', label: 'Seats', type: 'NUMBER' },
  { key: 'arr', label: 'ARR', type: 'CURRENCY' },
  { key: 'renewal', label: 'Renewal', type: 'DATE' },
] as const;
/** 105 thread field schemas: two pages of 100. */
const FIELDS_SEED = {
  ...SEED,
  threadFieldSchemas: [
    ...FIELD_SCHEMAS.map((f) => ({ ...f, ...('enumValues' in f ? { enumValues: [...f.enumValues] } : {}) })),
    ...Array.from({ length: 99 }, (_, i) => ({ key: `extra_${i}`, label: `Extra ${i}`, type: 'STRING' })),
  ],
} as PlainSeed;

function target(emu: PlainEmulator): PlainTarget {
  return new PlainTarget({ endpoint: emu.graphqlUrl, apiKey: FULL_KEY, requestTimeoutMs: 10_000 });
}

function thread(externalId: string, over: Partial<Thread> = {}): Thread {
  return {
    externalId,
    title: `Thread ${externalId}`,
    createdAt: '2024-06-15T10:32:00.000Z',
    status: 'TODO',
    statusDetail: 'IN_PROGRESS',
    priority: 2,
    labelTypeIds: [],
    customer: { email: 'ann@example.com', fullName: 'Ann Example' },
    messages: [],
    ...over,
  };
}

function inbound(externalId: string, attachmentIds?: string[]): MessageToSend {
  return {
    message: { externalId, type: 'INBOUND', text: `text of ${externalId}`, createdAt: '2024-06-15T10:33:00.000Z', author: { kind: 'customer' } },
    customerId: ANN,
    ...(attachmentIds ? { attachmentIds } : {}),
  };
}

async function rejection(p: Promise<unknown>): Promise<TargetError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TargetError);
  return e as TargetError;
}

/** Variables of the logged requests of one operation. */
function sent(emu: PlainEmulator, operationName: string): Array<Record<string, unknown>> {
  return emu
    .requests()
    .filter((r) => r.operationName === operationName || (r.query ?? '').includes(`${operationName}(`))
    .map((r) => r.variables as Record<string, unknown>);
}

describe('PlainTarget: workspace set-up, tenants and attachments', () => {
  let emu: PlainEmulator;
  beforeAll(async () => {
    emu = await startPlainEmulator({ seed: MANY_LABEL_TYPES });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => emu.reset());

  it('listLabelTypes reads every page (first: 100), archived label types included and flagged', async () => {
    const t = target(emu);
    const all = await t.listLabelTypes(o);
    expect(all).toHaveLength(130);
    expect(new Set(all.map((l) => l.id)).size).toBe(130);
    expect(all.find((l) => l.id === LT_OLD)).toEqual({ id: LT_OLD, name: 'legacy', archived: true });
    expect(all.filter((l) => l.archived)).toHaveLength(1);
    expect(t.requestCounts()).toEqual({ labelTypes: 2 });
    const pages = sent(emu, 'labelTypes');
    expect(pages.map((v) => v.first)).toEqual([100, 100]);
    expect(pages[0]!.after ?? null).toBeNull();
    expect(typeof pages[1]!.after).toBe('string');
  });

  it('userByEmail: a user, a deleted user (flagged), and null for an unknown email', async () => {
    const t = target(emu);
    expect(await t.userByEmail('sara@acme.com', o)).toEqual({ id: AGENT, email: 'sara@acme.com', fullName: 'Sara Agent', isDeleted: false });
    expect(await t.userByEmail('gone@acme.com', o)).toEqual({ id: GHOST, email: 'gone@acme.com', fullName: 'Gone Agent', isDeleted: true });
    expect(await t.userByEmail('nobody@acme.com', o)).toBeNull();
    expect(t.requestCounts()).toEqual({ userByEmail: 3 });
  });

  it('createLabelType creates a label type that listLabelTypes then finds', async () => {
    const t = target(emu);
    const ack = await t.createLabelType('urgent-escalation', o);
    expect(ack.result).toBe('CREATED');
    expect(ack.id).toMatch(/^lt_/);
    expect(sent(emu, 'createLabelType')).toEqual([{ input: { name: 'urgent-escalation' } }]);
    const all = await t.listLabelTypes(o);
    expect(all.find((l) => l.id === ack.id)).toEqual({ id: ack.id, name: 'urgent-escalation', archived: false });
  });

  it('createLabelType with a blank name is a TargetError carrying Plain’s VALIDATION error', async () => {
    const e = await rejection(target(emu).createLabelType('  ', o));
    expect(e.retryable).toBe(false);
    expect(e.recorded.type).toBe('VALIDATION');
    expect(e.recorded.fields?.map((f) => f.field)).toEqual(['name']);
  });

  it('upsertTenant by externalId: CREATED, then NOOP for the same values, UPDATED for a new name', async () => {
    const t = target(emu);
    const created = await t.upsertTenant({ externalId: 'org-initech', name: 'Initech' }, o);
    expect(created.result).toBe('CREATED');
    expect(created.id).toMatch(/^te_/);
    expect(await t.upsertTenant({ externalId: 'org-initech', name: 'Initech' }, o)).toEqual({ id: created.id, result: 'NOOP' });
    expect(await t.upsertTenant({ externalId: 'org-initech', name: 'Initech Corp' }, o)).toEqual({ id: created.id, result: 'UPDATED' });
    // A seeded tenant is found by its externalId.
    expect(await t.upsertTenant({ externalId: 'org-acme', name: 'Acme' }, o)).toEqual({ id: ACME, result: 'NOOP' });
    expect(sent(emu, 'upsertTenant')[0]).toEqual({ input: { identifier: { externalId: 'org-initech' }, name: 'Initech', externalId: 'org-initech' } });
    expect(t.requestCounts()).toEqual({ upsertTenant: 4 });
    expect(emu.snapshot().tenants.find((x) => x.id === created.id)?.name).toBe('Initech Corp');
  });

  it('addCustomerToTenants, then importThread with tenantId puts the thread in the tenant', async () => {
    const t = target(emu);
    await t.addCustomerToTenants(ANN, [ACME], o);
    expect(sent(emu, 'addCustomerToTenants')).toEqual([{ input: { customerIdentifier: { customerId: ANN }, tenantIdentifiers: [{ tenantId: ACME }] } }]);
    // Already a member: a no-op, no error.
    await t.addCustomerToTenants(ANN, [ACME, GLOBEX], o);
    const ack = await t.importThread(thread('zd-tenant'), ANN, o, ACME);
    expect(ack.result).toBe('CREATED');
    expect(sent(emu, 'importThread')[0]).toMatchObject({ input: { tenantId: ACME, customerIdentifier: { customerId: ANN } } });
    expect(emu.snapshot().threads.find((x) => x.id === ack.id)?.tenantId).toBe(ACME);
    expect(t.requestCounts()).toEqual({ addCustomerToTenants: 2, importThread: 1 });
  });

  it('addCustomerToTenants with no tenants sends nothing', async () => {
    const t = target(emu);
    await t.addCustomerToTenants(ANN, [], o);
    expect(t.requestCounts()).toEqual({});
  });

  it('importThread without tenantId sends no tenantId', async () => {
    const t = target(emu);
    await t.importThread(thread('zd-plain'), ANN, o);
    expect(sent(emu, 'importThread')[0]!.input).not.toHaveProperty('tenantId');
  });

  it('importThread with a tenant the customer is not a member of: a TargetError naming the problem, not retried', async () => {
    const e = await rejection(target(emu).importThread(thread('zd-outsider'), BOB, o, GLOBEX));
    expect(e.retryable).toBe(false);
    expect(e.recorded.type).toBe('VALIDATION');
    expect(e.recorded.fields?.map((f) => f.field)).toEqual(['tenantId']);
    expect(e.message).toMatch(/not a member of tenant/);
    expect(e.message).toContain(GLOBEX);
    expect(emu.snapshot().threads).toHaveLength(0);
  });

  it('addCustomerToTenants with an unknown tenant is a TargetError (NOT_FOUND field)', async () => {
    const e = await rejection(target(emu).addCustomerToTenants(ANN, ['te_01J0000000000000000000000Z'], o));
    expect(e.retryable).toBe(false);
    expect(e.recorded.fields?.[0]?.type).toBe('NOT_FOUND');
  });

  it('createAttachmentUploadUrl returns a ticket on the emulator; the uploaded file can be referenced by importMessages', async () => {
    const t = target(emu);
    const file = new TextEncoder().encode('hello, attachment');
    const before = Date.now();
    const ticket = await t.createAttachmentUploadUrl(ANN, 'hello.txt', file.byteLength, 'CUSTOM_TIMELINE_ENTRY', o);
    expect(ticket.attachmentId).toMatch(/^att_/);
    expect(ticket.uploadFormUrl.startsWith(emu.url)).toBe(true);
    expect(ticket.uploadFormData.length).toBeGreaterThan(0);
    const expires = Date.parse(ticket.expiresAt);
    expect(new Date(expires).toISOString()).toBe(ticket.expiresAt);
    expect(expires).toBeGreaterThan(before);
    expect(sent(emu, 'createAttachmentUploadUrl')).toEqual([
      { input: { customerId: ANN, fileName: 'hello.txt', fileSizeBytes: file.byteLength, attachmentType: 'CUSTOM_TIMELINE_ENTRY' } },
    ]);

    const form = new FormData();
    for (const { key, value } of ticket.uploadFormData) form.append(key, value);
    form.append('file', new Blob([file]), 'hello.txt');
    const up = await fetch(ticket.uploadFormUrl, { method: 'POST', body: form });
    expect(up.status).toBe(204);

    const th = await t.importThread(thread('zd-att'), ANN, o);
    const out = await t.importMessages(th.id, [inbound('m-1', [ticket.attachmentId]), inbound('m-2', [])], o);
    expect(out.map((r) => r.ok)).toEqual([true, true]);
    const msgs = sent(emu, 'importThreadMessages')[0]!.input as { threadMessages: Array<Record<string, unknown>> };
    expect(msgs.threadMessages[0]!.attachmentIds).toEqual([ticket.attachmentId]);
    // An empty list is not sent.
    expect(msgs.threadMessages[1]).not.toHaveProperty('attachmentIds');
  });

  it('an attachment that was never uploaded fails that message only (attachment_not_uploaded)', async () => {
    const t = target(emu);
    const ticket = await t.createAttachmentUploadUrl(ANN, 'never.txt', 10, 'CUSTOM_TIMELINE_ENTRY', o);
    const th = await t.importThread(thread('zd-att2'), ANN, o);
    const out = await t.importMessages(th.id, [inbound('m-1', [ticket.attachmentId])], o);
    expect(out[0]!.ok).toBe(false);
    if (!out[0]!.ok) {
      expect(out[0]!.error.code).toBe('attachment_not_uploaded');
      expect(out[0]!.retryable).toBe(false);
    }
  });

  it('createAttachmentUploadUrl for a banned file type is a TargetError with Plain’s code', async () => {
    const e = await rejection(target(emu).createAttachmentUploadUrl(ANN, 'setup.exe', 100, 'NOTE', o));
    expect(e.retryable).toBe(false);
    expect(e.recorded.code).toBe('attachment_file_type_not_allowed');
  });

  it('readThreads returns fields {} for a thread without thread fields', async () => {
    const t = target(emu);
    const th = await t.importThread(thread('zd-nofields'), ANN, o);
    const [r] = await t.readThreads([th.id], o);
    expect(r?.fields).toEqual({});
  });
});

describe('PlainTarget: thread fields', () => {
  let emu: PlainEmulator;
  beforeAll(async () => {
    emu = await startPlainEmulator({ seed: FIELDS_SEED });
  });
  afterAll(async () => {
    await emu.close();
  });
  beforeEach(() => emu.reset());

  it('listThreadFieldSchemas reads every page (first: 100)', async () => {
    const t = target(emu);
    const all = await t.listThreadFieldSchemas(o);
    expect(all).toHaveLength(105);
    expect(t.requestCounts()).toEqual({ threadFieldSchemas: 2 });
    const plan = all.find((s) => s.key === 'plan');
    expect(plan).toMatchObject({ key: 'plan', label: 'Plan', type: 'ENUM', enumValues: ['free', 'pro', 'enterprise'] });
    expect(plan?.id).toEqual(expect.any(String));
    expect(all.find((s) => s.key === 'renewal')).toMatchObject({ type: 'DATE', enumValues: [] });
  });

  it('setThreadField sends the value field of the type; readThreads reads the fields back', async () => {
    const t = target(emu);
    const th = await t.importThread(thread('zd-fields'), ANN, o);
    await t.setThreadField(th.id, 'plan', 'ENUM', 'pro', o);
    await t.setThreadField(th.id, 'note', 'STRING', 'migrated', o);
    await t.setThreadField(th.id, 'vip', 'BOOL', false, o);
    await t.setThreadField(th.id, 'seats', 'NUMBER', 42, o);
    await t.setThreadField(th.id, 'arr', 'CURRENCY', 1234.5, o);
    await t.setThreadField(th.id, 'renewal', 'DATE', '2025-01-31T00:00:00Z', o);
    expect(t.requestCounts()).toEqual({ importThread: 1, upsertThreadField: 6 });
    expect(sent(emu, 'upsertThreadField').map((v) => v.input)).toEqual([
      { identifier: { threadId: th.id, key: 'plan' }, type: 'ENUM', stringValue: 'pro' },
      { identifier: { threadId: th.id, key: 'note' }, type: 'STRING', stringValue: 'migrated' },
      { identifier: { threadId: th.id, key: 'vip' }, type: 'BOOL', booleanValue: false },
      { identifier: { threadId: th.id, key: 'seats' }, type: 'NUMBER', numberValue: 42 },
      { identifier: { threadId: th.id, key: 'arr' }, type: 'CURRENCY', numberValue: 1234.5 },
      { identifier: { threadId: th.id, key: 'renewal' }, type: 'DATE', dateValue: '2025-01-31T00:00:00.000Z' },
    ]);
    const [r] = await t.readThreads([th.id], o);
    expect(r?.fields).toEqual({ plan: 'pro', note: 'migrated', vip: false, seats: 42, arr: 1234.5, renewal: '2025-01-31T00:00:00.000Z' });
  });

  it('setThreadField overwrites an existing value', async () => {
    const t = target(emu);
    const th = await t.importThread(thread('zd-over'), ANN, o);
    await t.setThreadField(th.id, 'plan', 'ENUM', 'free', o);
    await t.setThreadField(th.id, 'plan', 'ENUM', 'enterprise', o);
    const [r] = await t.readThreads([th.id], o);
    expect(r?.fields).toEqual({ plan: 'enterprise' });
  });

  it('a value of the wrong kind for the type is refused before anything is sent', async () => {
    const t = target(emu);
    const e = await rejection(t.setThreadField('th_01J0000000000000000000000Z', 'vip', 'BOOL', 'yes', o));
    expect(e.retryable).toBe(false);
    expect(e.recorded.code).toBe('input_validation');
    expect(e.message).toContain('vip');
    await rejection(t.setThreadField('th_01J0000000000000000000000Z', 'renewal', 'DATE', 'not a date', o));
    await rejection(t.setThreadField('th_01J0000000000000000000000Z', 'seats', 'NUMBER', '3', o));
    expect(t.requestCounts()).toEqual({});
  });

  it('a value Plain rejects (not one of the ENUM values) is a TargetError with Plain’s field error', async () => {
    const t = target(emu);
    const th = await t.importThread(thread('zd-bad'), ANN, o);
    const e = await rejection(t.setThreadField(th.id, 'plan', 'ENUM', 'platinum', o));
    expect(e.retryable).toBe(false);
    expect(e.recorded.type).toBe('VALIDATION');
    expect(e.recorded.fields?.map((f) => f.field)).toEqual(['stringValue']);
  });
});
