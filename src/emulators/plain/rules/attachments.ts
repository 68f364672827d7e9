/**
 * createAttachmentUploadUrl: Plain's two-step upload. The emulator hands out an upload URL on
 * itself (POST /__emulator/uploads/<att_id>, multipart/form-data like S3); an attachment referenced
 * before its file arrives fails with attachment_not_uploaded.
 */
import type { PlainStore } from '../store.js';
import type { AttachmentRecord, AttachmentType, MutationFieldError } from '../types.js';
import { isBlank } from './common.js';
import { codedValidationError, fail, fieldError, ok, validationError, type RuleResult } from './errors.js';

/** Upload URLs are valid 2 h (Plain's attachment guide; expiresAt = created + 2 h in its sample). */
export const UPLOAD_URL_TTL_MS = 2 * 60 * 60 * 1000;
/**
 * "Uploaded attachments that are never referenced are deleted after 24 h" (Plain's attachment guide).
 * Referencing one later fails like a file that never arrived: attachment_not_uploaded (Plain names no
 * code for it). Counted from createAttachmentUploadUrl; seeded attachments never expire.
 */
export const UNREFERENCED_ATTACHMENT_TTL_MS = 24 * 60 * 60 * 1000;
/** "Max 100 attachments per message" (Plain's attachment guide, current docs; older docs said 25). */
export const MAX_ATTACHMENTS_PER_MESSAGE = 100;

/** Whether an unreferenced attachment has been deleted by Plain's 24 h clean-up at `nowMs`. */
export function attachmentExpired(a: AttachmentRecord, nowMs: number): boolean {
  return !a.seeded && !a.referenced && nowMs - a.createdAt > UNREFERENCED_ATTACHMENT_TTL_MS;
}

/** Banned extensions, from Plain's attachment_file_type_not_allowed. */
export const BANNED_EXTENSIONS = new Set(
  'bat bin chm com cpl crt exe hlp hta inf ins isp jse lnk mdb msc msi msp mst pcd pif reg scr sct shs vba vbe vbs wsf wsh wsl'.split(' '),
);

const MB = 1_000_000;
/** Per-file size limits by attachment type (6 MB where Plain's docs give no newer figure). */
export const MAX_BYTES: Readonly<Record<AttachmentType, number>> = {
  EMAIL: 6 * MB,
  CUSTOM_TIMELINE_ENTRY: 6 * MB,
  CHAT: 100 * MB,
  SLACK: 50 * MB,
  THREAD_DISCUSSION: 50 * MB,
  MS_TEAMS: 50 * MB,
  DISCORD: 50 * MB,
  NOTE: 50 * MB,
};

export interface CreateAttachmentUploadUrlInput {
  customerId: string;
  fileName: string;
  fileSizeBytes: number;
  attachmentType: AttachmentType;
}

export function extensionOf(fileName: string): string | null {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(dot + 1).toLowerCase() : null;
}

export function createAttachmentUploadUrl(store: PlainStore, input: CreateAttachmentUploadUrlInput, nowMs: number): RuleResult<AttachmentRecord> {
  const errors: MutationFieldError[] = [];
  if (!store.customers.has(input.customerId)) errors.push(fieldError('customerId', 'NOT_FOUND', `No customer found with id "${input.customerId}"`));
  if (isBlank(input.fileName)) errors.push(fieldError('fileName', 'REQUIRED', 'fileName is required and must not be empty'));
  if (!Number.isInteger(input.fileSizeBytes) || input.fileSizeBytes <= 0) errors.push(fieldError('fileSizeBytes', 'VALIDATION', 'fileSizeBytes must be a positive integer'));
  if (errors.length > 0) return fail(validationError(errors));

  const ext = extensionOf(input.fileName);
  if (ext !== null && BANNED_EXTENSIONS.has(ext)) {
    return fail(codedValidationError('attachment_file_type_not_allowed', `Files of type .${ext} are not allowed`, [fieldError('fileName', 'VALIDATION', `.${ext} files are not allowed`)]));
  }
  const max = MAX_BYTES[input.attachmentType];
  if (input.fileSizeBytes > max) {
    return fail(
      codedValidationError('attachment_file_size_too_large', `The file exceeds the limit (${max / MB}MB) for ${input.attachmentType} attachments`, [
        fieldError('fileSizeBytes', 'VALIDATION', `at most ${max} bytes`),
      ]),
    );
  }
  const record: AttachmentRecord = {
    id: store.ids.next('att'),
    fileName: input.fileName,
    sizeBytes: input.fileSizeBytes,
    type: input.attachmentType,
    customerId: input.customerId,
    uploaded: false,
    expiresAt: nowMs + UPLOAD_URL_TTL_MS,
    createdAt: nowMs,
    sha256: null,
    referenced: false,
    seeded: false,
  };
  store.attachments.set(record.id, record);
  return ok(record);
}
