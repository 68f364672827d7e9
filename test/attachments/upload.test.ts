/** uploadToForm against the Plain emulator's S3-style upload endpoint, and against a local server that records the form. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { AttachmentError, uploadToForm } from '../../src/attachments/index.js';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { parseMultipart } from '../../src/emulators/plain/uploads.js';
import { failure, startServer, type TestServer } from './server.js';

const CUSTOMER = `c_01J${'0'.repeat(22)}1`;
const KEY = 'test-key';

let emu: PlainEmulator;
let srv: TestServer;
let dir: string;

beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { customers: [{ id: CUSTOMER, email: 'ann@example.com', fullName: 'Ann Example' }] } });
  srv = await startServer();
});
afterAll(async () => {
  await emu.close();
  await srv.close();
});
beforeEach(async () => {
  emu.reset();
  dir = await mkdtemp(join(tmpdir(), 'pm-upload-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface UploadUrl {
  attachment: { id: string; fileName: string };
  uploadFormUrl: string;
  uploadFormData: { key: string; value: string }[];
}

async function gql<T>(query: string, variables: Record<string, unknown>): Promise<T> {
  const res = await fetch(emu.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (res.status !== 200 || !body.data) throw new Error(`GraphQL → HTTP ${res.status} ${JSON.stringify(body)}`);
  return body.data;
}

async function uploadUrl(fileName: string, fileSizeBytes: number, attachmentType = 'CUSTOM_TIMELINE_ENTRY'): Promise<UploadUrl> {
  const data = await gql<{ createAttachmentUploadUrl: { attachmentUploadUrl: UploadUrl | null; error: unknown } }>(
    `mutation($input: CreateAttachmentUploadUrlInput!) {
      createAttachmentUploadUrl(input: $input) {
        attachmentUploadUrl { attachment { id fileName } uploadFormUrl uploadFormData { key value } }
        error { message code }
      }
    }`,
    { input: { customerId: CUSTOMER, fileName, fileSizeBytes, attachmentType } },
  );
  const u = data.createAttachmentUploadUrl.attachmentUploadUrl;
  if (!u) throw new Error(`createAttachmentUploadUrl failed: ${JSON.stringify(data.createAttachmentUploadUrl.error)}`);
  return u;
}

/** Imports a thread with one INBOUND message referencing the attachment: Plain refuses files that were never uploaded. */
async function referenceAttachment(attachmentId: string): Promise<{ result: string | null; error: { code: string } | null }> {
  const t = await gql<{ importThread: { thread: { id: string } | null; error: unknown } }>(
    `mutation($input: ImportThreadInput!) { importThread(input: $input) { thread { id } error { message code } } }`,
    { input: { customerIdentifier: { customerId: CUSTOMER }, title: 'Files', priority: 2, externalId: `t-${attachmentId}`, status: 'TODO', statusDetail: { type: 'IN_PROGRESS' }, createdAt: '2024-06-15T10:32:00Z' } },
  );
  const threadId = t.importThread.thread?.id;
  if (!threadId) throw new Error(`importThread failed: ${JSON.stringify(t.importThread.error)}`);
  const m = await gql<{ importThreadMessages: { results: { result: string | null; error: { code: string } | null }[] } }>(
    `mutation($input: ImportThreadMessagesInput!) { importThreadMessages(input: $input) { results { result error { code } } error { code } } }`,
    {
      input: {
        threadId,
        threadMessages: [{ author: { customerId: CUSTOMER }, text: 'see file', createdAt: '2024-06-15T10:33:00Z', type: 'INBOUND', externalId: 'm-1', attachmentIds: [attachmentId] }],
      },
    },
  );
  return m.importThreadMessages.results[0] ?? { result: null, error: null };
}

describe('against the Plain emulator', () => {
  test('the file is accepted (204): a message referencing it fails before the upload and is created after', async () => {
    const data = randomBytes(300_000);
    const file = join(dir, 'report.pdf');
    await writeFile(file, data);
    const u = await uploadUrl('report.pdf', data.length);
    expect(u.uploadFormUrl.startsWith(emu.url)).toBe(true);
    expect((await referenceAttachment(u.attachment.id)).error?.code).toBe('attachment_not_uploaded');
    await uploadToForm({ uploadFormUrl: u.uploadFormUrl, uploadFormData: u.uploadFormData, file, fileName: 'report.pdf', contentType: 'application/pdf', size: data.length });
    expect(await referenceAttachment(u.attachment.id)).toEqual({ result: 'CREATED', error: null });
  });

  test('a NOTE attachment (50 MB type) uploads too', async () => {
    const data = randomBytes(7_000_000);
    const file = join(dir, 'big.zip');
    await writeFile(file, data);
    const u = await uploadUrl('big.zip', data.length, 'NOTE');
    await expect(uploadToForm({ uploadFormUrl: u.uploadFormUrl, uploadFormData: u.uploadFormData, file, fileName: 'big.zip', size: data.length })).resolves.toBeUndefined();
  });

  test('a file smaller than the size the URL was made for: AttachmentError with the S3 code, not retryable', async () => {
    const file = join(dir, 'small.txt');
    await writeFile(file, 'abc');
    const u = await uploadUrl('small.txt', 4);
    const e = await failure(uploadToForm({ uploadFormUrl: u.uploadFormUrl, uploadFormData: u.uploadFormData, file, fileName: 'small.txt', size: 3 }));
    expect(e).toMatchObject({ code: 'http_error', status: 400, remoteCode: 'EntityTooSmall', retryable: false });
    expect(e.message).toContain('EntityTooSmall');
    expect(e.message).toContain('smaller than the minimum allowed size');
    const policy = u.uploadFormData.find((f) => f.key === 'Policy')?.value ?? '';
    expect(policy.length).toBeGreaterThan(8);
    expect(e.message).not.toContain(policy);
    expect((await referenceAttachment(u.attachment.id)).error?.code).toBe('attachment_not_uploaded');
  });

  test('a larger file: EntityTooLarge', async () => {
    const file = join(dir, 'big.txt');
    await writeFile(file, 'abcdef');
    const u = await uploadUrl('big.txt', 5);
    const e = await failure(uploadToForm({ uploadFormUrl: u.uploadFormUrl, uploadFormData: u.uploadFormData, file, fileName: 'big.txt', size: 6 }));
    expect(e).toMatchObject({ code: 'http_error', remoteCode: 'EntityTooLarge', retryable: false });
  });

  test('a form without its fields (no key) is refused with the S3 code', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    const u = await uploadUrl('a.txt', 3);
    const e = await failure(uploadToForm({ uploadFormUrl: u.uploadFormUrl, uploadFormData: [], file, fileName: 'a.txt', size: 3 }));
    expect(e).toMatchObject({ code: 'http_error', status: 403, remoteCode: 'AccessDenied', retryable: false });
  });

  test('a file whose size differs from `size` is not sent', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    const before = emu.requests().length;
    const e = await failure(uploadToForm({ uploadFormUrl: `${emu.url}/__emulator/uploads/att_x`, uploadFormData: [], file, fileName: 'a.txt', size: 4 }));
    expect(e).toMatchObject({ code: 'size_mismatch', retryable: false });
    expect(emu.requests().length).toBe(before);
  });
});

describe('the request itself', () => {
  test('multipart/form-data: every form field in order, then the file part named `file` with the exact bytes', async () => {
    const data = randomBytes(2 * 1024 * 1024);
    const file = join(dir, 'photo.jpg');
    await writeFile(file, data);
    let seen: { contentType: string; contentLength: string | undefined; parts: { name: string; data: Buffer }[] } | undefined;
    srv.route('/bucket', async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const contentType = req.headers['content-type'] ?? '';
      const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
      seen = { contentType, contentLength: req.headers['content-length'], parts: parseMultipart(Buffer.concat(chunks), boundary?.[1] ?? boundary?.[2] ?? '') ?? [] };
      res.writeHead(204).end();
    });
    const fields = [
      { key: 'key', value: 'ws/pending/att_1' },
      { key: 'Content-Type', value: 'application/octet-stream' },
      { key: 'X-Amz-Signature', value: 'sig' },
      { key: 'Policy', value: 'cG9saWN5' },
    ];
    await uploadToForm({ uploadFormUrl: `${srv.url}/bucket`, uploadFormData: fields, file, fileName: 'photo.jpg', contentType: 'image/jpeg', size: data.length });
    expect(seen?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(seen?.contentLength).toBeDefined(); // S3 POST needs a length, not chunked encoding
    expect(seen?.parts.map((p) => p.name)).toEqual(['key', 'Content-Type', 'X-Amz-Signature', 'Policy', 'file']);
    expect(seen?.parts.slice(0, 4).map((p) => p.data.toString())).toEqual(fields.map((f) => f.value));
    const sent = seen?.parts[4]?.data ?? Buffer.alloc(0);
    expect(createHash('sha256').update(sent).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
  });

  test('5xx with an S3 error body is retryable and parsed (entities decoded)', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    srv.route('/busy', (_req, res) =>
      res.writeHead(503, { 'content-type': 'application/xml', 'retry-after': '3' }).end('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate &amp; retry</Message></Error>'),
    );
    const e = await failure(uploadToForm({ uploadFormUrl: `${srv.url}/busy?X-Amz-Security-Token=TOKEN`, uploadFormData: [], file, fileName: 'a.txt', size: 3 }));
    expect(e).toMatchObject({ code: 'http_error', status: 503, remoteCode: 'SlowDown', retryable: true, retryAfterMs: 3000 });
    expect(e.message).toContain('Please reduce your request rate & retry');
    expect(e.message).not.toContain('TOKEN');
  });

  test('an error without an XML body still fails with the status', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    srv.route('/plain', (_req, res) => res.writeHead(400).end('nope'));
    const e = await failure(uploadToForm({ uploadFormUrl: `${srv.url}/plain`, uploadFormData: [], file, fileName: 'a.txt', size: 3 }));
    expect(e).toMatchObject({ code: 'http_error', status: 400, retryable: false });
    expect(e.remoteCode).toBeUndefined();
  });

  test('a refused connection is a retryable network error; a missing file is unreadable', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    const gone = await startServer();
    await gone.close();
    const e = await failure(uploadToForm({ uploadFormUrl: `${gone.url}/x`, uploadFormData: [], file, fileName: 'a.txt', size: 3 }));
    expect(e).toMatchObject({ code: 'network', retryable: true });
    const missing = await failure(uploadToForm({ uploadFormUrl: `${srv.url}/x`, uploadFormData: [], file: join(dir, 'nope'), fileName: 'n', size: 3 }));
    expect(missing).toMatchObject({ code: 'unreadable', retryable: false });
  });

  test('timeoutMs bounds a hung upload (retryable); the caller signal aborts it (not retryable)', async () => {
    const file = join(dir, 'a.txt');
    await writeFile(file, 'abc');
    srv.route('/hang', () => undefined);
    const t = await failure(uploadToForm({ uploadFormUrl: `${srv.url}/hang`, uploadFormData: [], file, fileName: 'a.txt', size: 3, timeoutMs: 200 }));
    expect(t).toMatchObject({ code: 'timeout', retryable: true });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const a = await failure(uploadToForm({ uploadFormUrl: `${srv.url}/hang`, uploadFormData: [], file, fileName: 'a.txt', size: 3, signal: ac.signal }));
    expect(a).toMatchObject({ code: 'aborted', retryable: false });
  });
});
