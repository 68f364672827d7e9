/**
 * The storage side of createAttachmentUploadUrl: POST /__emulator/uploads/<att_id> with
 * multipart/form-data (every uploadFormData field, then the file as field "file"), answered like S3:
 * 204 on success, an XML <Error> otherwise. The file's size must equal the declared fileSizeBytes.
 * The SHA-256 of the accepted bytes is kept for the state snapshot (a later upload replaces it, as S3 would).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { multipartBoundary, parseMultipart } from '../common/multipart.js';
import { BodyTooLarge, readBodyBuffer } from './http.js';
import type { EmulatorRuntime } from './runtime.js';
import type { AttachmentRecord } from './types.js';

export { parseMultipart } from '../common/multipart.js';

export const UPLOAD_PATH = '/__emulator/uploads/';
const MAX_UPLOAD_BYTES = 120 * 1024 * 1024;

export function uploadFormData(a: AttachmentRecord): { key: string; value: string }[] {
  const policy = { expiration: new Date(a.expiresAt).toISOString(), conditions: [['content-length-range', a.sizeBytes, a.sizeBytes], { key: `uploads/${a.id}` }] };
  return [
    { key: 'key', value: `uploads/${a.id}` },
    { key: 'Content-Type', value: 'application/octet-stream' },
    { key: 'Policy', value: Buffer.from(JSON.stringify(policy)).toString('base64') },
  ];
}

function s3Error(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.destroyed || res.writableEnded) return;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': String(Buffer.byteLength(xml)) });
  res.end(xml);
}

export async function handleUpload(rt: EmulatorRuntime, id: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'POST') return s3Error(res, 405, 'MethodNotAllowed', 'Uploads are POST multipart/form-data');
  let body: Buffer;
  try {
    body = await readBodyBuffer(req, MAX_UPLOAD_BYTES);
  } catch (e) {
    if (e instanceof BodyTooLarge) return s3Error(res, 400, 'EntityTooLarge', e.message);
    throw e;
  }
  const a = rt.store.attachments.get(decodeURIComponent(id));
  if (!a) return s3Error(res, 404, 'NoSuchUpload', `No upload URL was created for "${id}"`);
  if (rt.now().getTime() > a.expiresAt) return s3Error(res, 403, 'AccessDenied', 'Invalid according to Policy: Policy expired.');
  const boundary = multipartBoundary(req.headers['content-type']);
  const parts = boundary !== undefined ? parseMultipart(body, boundary) : undefined;
  if (!parts) return s3Error(res, 400, 'MalformedPOSTRequest', 'The body of your POST request is not well-formed multipart/form-data.');
  const fileIndex = parts.findIndex((p) => p.name === 'file');
  const file = parts[fileIndex];
  if (!file) return s3Error(res, 400, 'InvalidArgument', 'POST requires exactly one file upload per request.');
  const key = parts.slice(0, fileIndex).find((p) => p.name === 'key')?.data.toString('utf8');
  if (key !== `uploads/${a.id}`) return s3Error(res, 403, 'AccessDenied', 'Invalid according to Policy: Policy Condition failed: ["eq", "$key"]');
  if (file.data.length > a.sizeBytes) return s3Error(res, 400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size');
  if (file.data.length < a.sizeBytes) return s3Error(res, 400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size');
  a.uploaded = true;
  a.sha256 = createHash('sha256').update(file.data).digest('hex');
  res.writeHead(204);
  res.end();
}
