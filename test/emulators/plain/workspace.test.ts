import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../../src/emulators/plain/index.js';
import { AGENT, ANN, BOB, gql, importMessages, importThread, LT_BILLING, message, onlyField, pid, SEED, type MutationErrorOut } from './helpers.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: SEED });
});
afterAll(async () => {
  await emu.close();
});
beforeEach(() => emu.reset());

const CREATE_LABEL_TYPE = `mutation createLabelType($input: CreateLabelTypeInput!) {
  createLabelType(input: $input) { labelType { id name isArchived externalId parentLabelType { id } } error { message type code fields { field message type } } }
}`;
const UPSERT_TENANT = `mutation upsertTenant($input: UpsertTenantInput!) {
  upsertTenant(input: $input) { result tenant { id externalId name } error { message type code fields { field message type } } }
}`;
const CREATE_UPLOAD_URL = `mutation createAttachmentUploadUrl($input: CreateAttachmentUploadUrlInput!) {
  createAttachmentUploadUrl(input: $input) {
    attachmentUploadUrl { attachment { id fileName fileExtension fileSize { bytes } type } uploadFormUrl uploadFormData { key value } expiresAt { iso8601 } }
    error { message type code fields { field message type } }
  }
}`;

interface LabelTypeData {
  createLabelType: { labelType: { id: string; name: string; isArchived: boolean; externalId: string | null; parentLabelType: { id: string } | null } | null; error: MutationErrorOut | null };
}
interface TenantData {
  upsertTenant: { result: string | null; tenant: { id: string; externalId: string; name: string } | null; error: MutationErrorOut | null };
}
interface UploadUrlData {
  createAttachmentUploadUrl: {
    attachmentUploadUrl: {
      attachment: { id: string; fileName: string; fileExtension: string | null; fileSize: { bytes: number }; type: string };
      uploadFormUrl: string;
      uploadFormData: { key: string; value: string }[];
      expiresAt: { iso8601: string };
    } | null;
    error: MutationErrorOut | null;
  };
}

describe('createLabelType', () => {
  test('creates a label type usable by importThread, with an optional parent and externalId', async () => {
    const r = await gql<LabelTypeData>(emu, CREATE_LABEL_TYPE, { input: { name: 'vip', externalId: 'tag-vip', parentLabelTypeId: LT_BILLING } });
    const lt = r.body.data?.createLabelType.labelType;
    expect(r.body.data?.createLabelType.error).toBeNull();
    expect(lt).toMatchObject({ name: 'vip', isArchived: false, externalId: 'tag-vip', parentLabelType: { id: LT_BILLING } });
    expect(lt?.id).toMatch(/^lt_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect((await importThread(emu, { labelTypeIds: [lt?.id] })).error).toBeNull();
    const byExt = await gql<{ labelTypeByExternalId: { id: string } | null }>(emu, '{ labelTypeByExternalId(externalId: "tag-vip") { id } }');
    expect(byExt.body.data?.labelTypeByExternalId?.id).toBe(lt?.id);
  });

  test('a blank name, an unknown parent and a duplicate externalId are rejected; labelType:create is required', async () => {
    const blank = await gql<LabelTypeData>(emu, CREATE_LABEL_TYPE, { input: { name: ' ' } });
    expect(onlyField(blank.body.data?.createLabelType.error ?? null)).toMatchObject({ field: 'name', type: 'REQUIRED' });
    const parent = await gql<LabelTypeData>(emu, CREATE_LABEL_TYPE, { input: { name: 'x', parentLabelTypeId: pid('lt', 'Z') } });
    expect(onlyField(parent.body.data?.createLabelType.error ?? null)).toMatchObject({ field: 'parentLabelTypeId', type: 'NOT_FOUND' });
    await gql(emu, CREATE_LABEL_TYPE, { input: { name: 'a', externalId: 'dup' } });
    const dup = await gql<LabelTypeData>(emu, CREATE_LABEL_TYPE, { input: { name: 'b', externalId: 'dup' } });
    expect(onlyField(dup.body.data?.createLabelType.error ?? null)).toMatchObject({ field: 'externalId', type: 'VALIDATION' });
    const forbidden = await gql<LabelTypeData>(emu, CREATE_LABEL_TYPE, { input: { name: 'c' } }, { key: 'key-without-labelType:create' });
    expect(forbidden.body.data?.createLabelType.error).toMatchObject({ type: 'FORBIDDEN', message: 'Missing permission: labelType:create' });
  });
});

describe('upsertTenant', () => {
  test('CREATED, then NOOP, then UPDATED; usable by addCustomerToTenants', async () => {
    const input = { identifier: { externalId: 'org-new' }, externalId: 'org-new', name: 'New Org' };
    const created = await gql<TenantData>(emu, UPSERT_TENANT, { input });
    expect(created.body.data?.upsertTenant).toMatchObject({ result: 'CREATED', error: null, tenant: { externalId: 'org-new', name: 'New Org' } });
    expect((await gql<TenantData>(emu, UPSERT_TENANT, { input })).body.data?.upsertTenant.result).toBe('NOOP');
    const renamed = await gql<TenantData>(emu, UPSERT_TENANT, { input: { ...input, name: 'Renamed' } });
    expect(renamed.body.data?.upsertTenant).toMatchObject({ result: 'UPDATED', tenant: { name: 'Renamed' } });
    expect(emu.snapshot().tenants.find((t) => t.externalId === 'org-new')?.name).toBe('Renamed');
  });

  test('an unknown tenantId is NOT_FOUND; a blank name is REQUIRED', async () => {
    const r = await gql<TenantData>(emu, UPSERT_TENANT, { input: { identifier: { tenantId: pid('te', 'Z') }, externalId: 'x', name: 'X' } });
    expect(onlyField(r.body.data?.upsertTenant.error ?? null)).toMatchObject({ field: 'identifier.tenantId', type: 'NOT_FOUND' });
    const blank = await gql<TenantData>(emu, UPSERT_TENANT, { input: { identifier: { externalId: 'y' }, externalId: 'y', name: '' } });
    expect(onlyField(blank.body.data?.upsertTenant.error ?? null)).toMatchObject({ field: 'name', type: 'REQUIRED' });
  });
});

describe('attachments: createAttachmentUploadUrl, upload, reference', () => {
  const createUrl = async (fileName: string, fileSizeBytes: number, attachmentType = 'CUSTOM_TIMELINE_ENTRY') =>
    (await gql<UploadUrlData>(emu, CREATE_UPLOAD_URL, { input: { customerId: ANN, fileName, fileSizeBytes, attachmentType } })).body.data?.createAttachmentUploadUrl;

  const upload = async (url: string, fields: { key: string; value: string }[], bytes: Uint8Array): Promise<Response> => {
    const form = new FormData();
    for (const f of fields) form.append(f.key, f.value);
    form.append('file', new Blob([bytes]), 'file.bin');
    return fetch(url, { method: 'POST', body: form });
  };

  test('an attachment referenced before its upload fails with attachment_not_uploaded; after the upload it is accepted', async () => {
    const out = await createUrl('screenshot.png', 5);
    const up = out?.attachmentUploadUrl;
    expect(out?.error).toBeNull();
    expect(up?.attachment).toMatchObject({ fileName: 'screenshot.png', fileExtension: 'png', fileSize: { bytes: 5 }, type: 'CUSTOM_TIMELINE_ENTRY' });
    expect(up?.uploadFormUrl.startsWith(emu.url)).toBe(true);
    const attId = up?.attachment.id ?? '';
    const t = await importThread(emu);
    const threadId = t.thread?.id ?? '';

    const early = await importMessages(emu, threadId, [message({ attachmentIds: [attId] })]);
    expect(early.results[0]?.error).toMatchObject({ code: 'attachment_not_uploaded' });

    const wrongSize = await upload(up?.uploadFormUrl ?? '', up?.uploadFormData ?? [], new Uint8Array(6));
    expect(wrongSize.status).toBe(400);
    expect(await wrongSize.text()).toContain('EntityTooLarge');
    const noKey = await upload(up?.uploadFormUrl ?? '', [], new Uint8Array(5));
    expect(noKey.status).toBe(403);

    const ok = await upload(up?.uploadFormUrl ?? '', up?.uploadFormData ?? [], new Uint8Array([1, 2, 3, 4, 5]));
    expect(ok.status).toBe(204);
    const later = await importMessages(emu, threadId, [message({ attachmentIds: [attId] }), message({ externalId: 'm-2', type: 'NOTE', author: { userId: AGENT }, attachmentIds: [attId] })]);
    expect(later.error).toBeNull();
    expect(emu.snapshot().threads[0]?.messages.map((m) => m.attachmentIds)).toEqual([[attId], [attId]]);
  });

  test('banned file types, oversize files, unknown customers and missing permission are refused', async () => {
    expect((await createUrl('setup.exe', 10))?.error).toMatchObject({ type: 'VALIDATION', code: 'attachment_file_type_not_allowed' });
    expect((await createUrl('big.pdf', 6_000_001))?.error).toMatchObject({ type: 'VALIDATION', code: 'attachment_file_size_too_large' });
    expect((await createUrl('big.pdf', 6_000_001, 'NOTE'))?.error).toBeNull();
    const unknown = await gql<UploadUrlData>(emu, CREATE_UPLOAD_URL, { input: { customerId: pid('c', 'Z'), fileName: 'a.png', fileSizeBytes: 1, attachmentType: 'NOTE' } });
    expect(onlyField(unknown.body.data?.createAttachmentUploadUrl.error ?? null)).toMatchObject({ field: 'customerId', type: 'NOT_FOUND' });
    const forbidden = await gql<UploadUrlData>(emu, CREATE_UPLOAD_URL, { input: { customerId: ANN, fileName: 'a.png', fileSizeBytes: 1, attachmentType: 'NOTE' } }, { key: 'key-without-attachment:create' });
    expect(forbidden.body.data?.createAttachmentUploadUrl.error).toMatchObject({ type: 'FORBIDDEN', code: 'forbidden' });
  });

  test('the snapshot lists attachments: sha256 of the uploaded bytes, messageId once a message references it', async () => {
    const bytes = new Uint8Array([104, 101, 108, 108, 111, 0, 255]);
    const up = (await createUrl('notes.txt', bytes.length))?.attachmentUploadUrl;
    const attId = up?.attachment.id ?? '';
    const entry = () => emu.snapshot().attachments.find((a) => a.id === attId);
    expect(entry()).toEqual({ id: attId, fileName: 'notes.txt', size: 7, sha256: null, uploaded: false, messageId: null });

    const rejected = await upload(up?.uploadFormUrl ?? '', up?.uploadFormData ?? [], new Uint8Array(8));
    expect(rejected.status).toBe(400);
    expect(entry()?.sha256).toBeNull();

    expect((await upload(up?.uploadFormUrl ?? '', up?.uploadFormData ?? [], bytes)).status).toBe(204);
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(entry()).toEqual({ id: attId, fileName: 'notes.txt', size: 7, sha256: sha, uploaded: true, messageId: null });

    const threadId = (await importThread(emu)).thread?.id ?? '';
    const r = await importMessages(emu, threadId, [message({ attachmentIds: [attId] }), message({ externalId: 'm-2', type: 'NOTE', author: { userId: AGENT }, attachmentIds: [attId] })]);
    expect(r.error).toBeNull();
    const firstId = r.results[0]?.threadMessage?.id;
    expect(entry()?.messageId).toBe(firstId);
    const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as ReturnType<PlainEmulator['snapshot']>;
    expect(state.attachments.find((a) => a.id === attId)).toEqual({ id: attId, fileName: 'notes.txt', size: 7, sha256: sha, uploaded: true, messageId: firstId });
    expect(state.threads[0]?.messages.map((m) => m.attachmentIds)).toEqual([[attId], [attId]]);
    // the seeded attachment: uploaded, no bytes went through the upload endpoint
    expect(state.attachments.find((a) => a.id === pid('att', '1'))).toEqual({ id: pid('att', '1'), fileName: 'screenshot.png', size: 0, sha256: null, uploaded: true, messageId: null });
  });

  test('Plain documents no per-customer or single-use rule: an attachment may be reused on another customer\'s thread', async () => {
    const up = (await createUrl('a.png', 3))?.attachmentUploadUrl;
    const attId = up?.attachment.id ?? '';
    expect((await upload(up?.uploadFormUrl ?? '', up?.uploadFormData ?? [], new Uint8Array(3))).status).toBe(204);
    const ann = (await importThread(emu)).thread?.id ?? '';
    const bob = (await importThread(emu, { customerIdentifier: { customerId: BOB }, externalId: 'zd-bob' })).thread?.id ?? '';
    expect((await importMessages(emu, ann, [message({ attachmentIds: [attId] })])).error).toBeNull();
    const r = await importMessages(emu, bob, [message({ author: { customerId: BOB }, attachmentIds: [attId] })]);
    expect(r.error).toBeNull();
    expect(emu.snapshot().attachments.find((a) => a.id === attId)?.messageId).toBe(emu.snapshot().threads[0]?.messages[0]?.id);
  });

  test('deleting the referencing thread clears messageId', async () => {
    const threadId = (await importThread(emu)).thread?.id ?? '';
    await importMessages(emu, threadId, [message({ attachmentIds: [pid('att', '1')] })]);
    expect(emu.snapshot().attachments[0]?.messageId).toMatch(/^t_/);
    await gql(emu, 'mutation d($input: DeleteThreadInput!) { deleteThread(input: $input) { error { code } } }', { input: { threadId } });
    expect(emu.snapshot().attachments[0]?.messageId).toBeNull();
  });

  test('an upload to an unknown attachment id is 404', async () => {
    const res = await fetch(`${emu.url}/__emulator/uploads/${pid('att', 'Z')}`, { method: 'POST', body: new FormData() });
    expect(res.status).toBe(404);
  });
});

describe('attachments: at most 100 per message', () => {
  const ATTS = Array.from({ length: 101 }, (_, i) => `att_01J${'0'.repeat(20)}${String(i).padStart(3, '0')}`);
  let many: PlainEmulator;
  beforeAll(async () => {
    many = await startPlainEmulator({ seed: { ...SEED, attachments: ATTS.map((id) => ({ id, fileName: `${id}.png` })) } });
  });
  afterAll(async () => {
    await many.close();
  });

  test('100 attachments are accepted, 101 are VALIDATION on attachmentIds, a repeated id counts once', async () => {
    const threadId = (await importThread(many)).thread?.id ?? '';
    const hundred = await importMessages(many, threadId, [message({ attachmentIds: ATTS.slice(0, 100) })]);
    expect(hundred.error).toBeNull();
    const over = await importMessages(many, threadId, [message({ externalId: 'm-2', attachmentIds: ATTS })]);
    expect(over.error?.code).toBe('bulk_partial_failure');
    expect(over.results[0]?.error).toMatchObject({ type: 'VALIDATION', code: 'input_validation' });
    expect(onlyField(over.results[0]?.error ?? null)).toMatchObject({ field: 'attachmentIds', type: 'VALIDATION' });
    const repeated = await importMessages(many, threadId, [message({ externalId: 'm-3', attachmentIds: [...ATTS.slice(0, 100), ATTS[0] ?? ''] })]);
    expect(repeated.error).toBeNull();
    expect(many.snapshot().threads[0]?.messages.map((m) => m.attachmentIds.length)).toEqual([100, 100]);
  });
});

describe('attachments: unreferenced uploads are deleted after 24 h', () => {
  let clock = Date.parse('2030-01-01T00:00:00Z');
  let timed: PlainEmulator;
  beforeAll(async () => {
    timed = await startPlainEmulator({ seed: SEED, now: () => new Date(clock) });
  });
  afterAll(async () => {
    await timed.close();
  });

  const uploaded = async (): Promise<string> => {
    const r = await gql<UploadUrlData>(timed, CREATE_UPLOAD_URL, { input: { customerId: ANN, fileName: 'a.txt', fileSizeBytes: 2, attachmentType: 'CUSTOM_TIMELINE_ENTRY' } });
    const up = r.body.data?.createAttachmentUploadUrl.attachmentUploadUrl;
    const form = new FormData();
    for (const f of up?.uploadFormData ?? []) form.append(f.key, f.value);
    form.append('file', new Blob([new Uint8Array(2)]), 'a.txt');
    expect((await fetch(up?.uploadFormUrl ?? '', { method: 'POST', body: form })).status).toBe(204);
    return up?.attachment.id ?? '';
  };

  test('referenced within 24 h it stays usable; never referenced for more than 24 h it fails with attachment_not_uploaded; seeded ones never expire', async () => {
    const first = await uploaded();
    const second = await uploaded();
    const threadId = (await importThread(timed)).thread?.id ?? '';
    clock += 24 * 3600_000; // exactly 24 h: still there
    expect((await importMessages(timed, threadId, [message({ externalId: 'm-1', attachmentIds: [first, second] })])).error).toBeNull();
    timed.reset();
    const a = await uploaded();
    const b = await uploaded();
    const th = (await importThread(timed)).thread?.id ?? '';
    clock += 24 * 3600_000 - 1;
    expect((await importMessages(timed, th, [message({ externalId: 'm-1', attachmentIds: [a] })])).error).toBeNull();
    clock += 2;
    const late = await importMessages(timed, th, [message({ externalId: 'm-2', attachmentIds: [b] }), message({ externalId: 'm-3', attachmentIds: [a, pid('att', '1')] })]);
    expect(late.results[0]?.error).toMatchObject({ type: 'VALIDATION', code: 'attachment_not_uploaded' });
    expect(onlyField(late.results[0]?.error ?? null)).toMatchObject({ field: 'attachmentIds', type: 'VALIDATION' });
    expect(late.results[1]?.error).toBeNull();
    expect(timed.snapshot().threads[0]?.messages.map((m) => m.externalId)).toEqual(['m-1', 'm-3']);
  });
});
