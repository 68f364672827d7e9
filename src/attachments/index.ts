/**
 * Attachments: the policy Plain applies to files (checked at plan time), fetching a file from the
 * old helpdesk or the manifest's directory into a temporary file, the S3-style form upload, and
 * turning inline images of a message's text into attachments. The executor calls these; nothing
 * here talks GraphQL.
 */
export { AttachmentError, isAttachmentError } from './types.js';
export type { AttachmentErrorCode, AttachmentErrorOptions, AttachmentSpec, AttachmentType, MessageType } from './types.js';
export {
  BANNED_EXTENSIONS,
  DEFAULT_MAX_BYTES,
  TYPE_MAX_BYTES,
  attachmentTypeFor,
  checkAttachment,
  effectiveMaxBytes,
  extensionOf,
  formatBytes,
  sizeProblem,
  skipNote,
  withSkipNotes,
  type BodyFormat,
  sourceProblem,
} from './policy.js';
export type { PolicyOptions, PolicyReason, PolicyReasonCode } from './policy.js';
export { fetchToTempFile } from './fetch.js';
export type { FetchOptions, FetchedFile } from './fetch.js';
export { uploadToForm } from './upload.js';
export type { UploadFormInput } from './upload.js';
export { extractInlineImages, IMAGE_MARKER } from './inline.js';
export type { InlineMarker, InlineResult, InlineSource } from './inline.js';
export { matchFetchRule, redactUrl } from '../http/net.js';
export type { FetchRule } from '../http/net.js';
