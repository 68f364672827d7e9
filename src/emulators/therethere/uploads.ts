/**
 * POST /api/attachments: multipart/form-data with the file in field `file` (≤ 25 MB, Laravel's
 * `required|file|max:25600`, in kilobytes). 201 {data: {token, filename, mime_type, size, expires_at}}:
 * a single-use upload token of this workspace and API token, usable until expires_at.
 */
import { createHash } from 'node:crypto';
import { multipartBoundary, parseMultipart, type Part } from '../common/multipart.js';
import { iso } from './store.js';
import type { Answer, RequestContext } from './rules.js';
import { Validator } from './validate.js';

export const MAX_FILE_KILOBYTES = 25_600;
/** How long an unattached upload lives. There There documents an expiry but not its length: the emulator's choice. */
export const UPLOAD_TTL_MS = 24 * 60 * 60 * 1000;

/** The `file` part of an upload body, when it is multipart and has one. */
export function filePart(raw: Buffer, contentType: string | undefined): Part | undefined {
  const boundary = multipartBoundary(contentType);
  const parts = boundary === undefined ? undefined : parseMultipart(raw, boundary);
  return parts?.find((p) => p.name === 'file');
}

export function uploadFile(ctx: RequestContext, raw: Buffer, contentType: string | undefined): Answer {
  const v = new Validator(ctx.nowMs);
  const part = filePart(raw, contentType);
  // A part with an empty filename is PHP's "no file uploaded".
  if (part === undefined || part.filename === '') v.fail('file', 'The file field is required.');
  else if (part.filename === undefined) v.fail('file', 'The file field must be a file.');
  else if (part.data.length / 1024 > MAX_FILE_KILOBYTES) v.fail('file', `The file field must not be greater than ${MAX_FILE_KILOBYTES} kilobytes.`);
  if (!v.ok || part === undefined) return { status: 422, body: v.body() };

  const { store } = ctx;
  const token = `upl_${store.workspace.slug}_${store.ulid.next().toLowerCase()}`;
  const upload = {
    token,
    apiToken: ctx.token.token,
    filename: part.filename ?? 'file',
    mimeType: part.contentType ?? 'application/octet-stream',
    size: part.data.length,
    sha256: createHash('sha256').update(part.data).digest('hex'),
    expiresAt: ctx.nowMs + UPLOAD_TTL_MS,
    used: false,
  };
  store.uploads.set(token, upload);
  return { status: 201, body: { data: { token, filename: upload.filename, mime_type: upload.mimeType, size: upload.size, expires_at: iso(upload.expiresAt) } } };
}
