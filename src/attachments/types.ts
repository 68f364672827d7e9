/**
 * Shared types of the attachments module: what a message's file looks like before it is fetched
 * (AttachmentSpec), the two Plain attachment types an import message can carry, and the one error
 * class every fetch and upload failure is reported with (AttachmentError). Error messages name a
 * URL without its query string or fragment, never a request header value.
 */
import type { MessageType } from '../core/model.js';

export type { MessageType };

/**
 * One file of a message, as the mapping gives it. Exactly one of `url` (http or https) and `path`
 * (relative to the manifest's directory, and inside it). `size` is a hint: the bytes fetched decide.
 * `contentId` is the MIME Content-ID that `cid:` image sources refer to (angle brackets optional).
 */
export interface AttachmentSpec {
  url?: string;
  path?: string;
  fileName: string;
  contentType?: string;
  size?: number;
  inline?: boolean;
  contentId?: string;
}

/** The attachment types import messages use: CUSTOM_TIMELINE_ENTRY for INBOUND/OUTBOUND, NOTE for NOTE. */
export type AttachmentType = 'CUSTOM_TIMELINE_ENTRY' | 'NOTE';

export type AttachmentErrorCode =
  /** 404/410, or a `path` that does not exist. Not retryable. */
  | 'not_found'
  /** Any other non-2xx answer (download or upload). Retryable for 408, 429 and 5xx. */
  | 'http_error'
  /** More than maxBytes arrived (or Content-Length announced more). Not retryable. */
  | 'too_large'
  /** The fetched file has no bytes: Plain needs a positive fileSizeBytes. Not retryable. */
  | 'empty'
  /** A `path` that is not a regular file, or cannot be read. Not retryable. */
  | 'unreadable'
  /** A `path` that resolves (after symlinks) outside the manifest's directory. Not retryable. */
  | 'outside_manifest_dir'
  /** Neither or both of url/path, a URL that is not http(s), a URL with credentials. Not retryable. */
  | 'bad_source'
  /** The file to upload does not have the size the upload form was made for. Not retryable. */
  | 'size_mismatch'
  /** No progress for timeoutMs (or the whole download took longer than totalTimeoutMs). Retryable. */
  | 'timeout'
  /** Connection refused/reset, DNS failure, a body cut short. Retryable. */
  | 'network'
  /** The caller's AbortSignal fired. Not retryable (the run is stopping). */
  | 'aborted';

export interface AttachmentErrorOptions {
  retryable: boolean;
  /** HTTP status, when the failure is an HTTP answer. */
  status?: number;
  /** The storage's own error code (S3 XML <Code>), when the answer carried one. */
  remoteCode?: string;
  /** 429/503 with Retry-After: wait at least this long before trying again. */
  retryAfterMs?: number;
}

export class AttachmentError extends Error {
  readonly code: AttachmentErrorCode;
  readonly retryable: boolean;
  readonly status?: number;
  readonly remoteCode?: string;
  readonly retryAfterMs?: number;

  constructor(code: AttachmentErrorCode, message: string, opts: AttachmentErrorOptions) {
    super(message);
    this.name = 'AttachmentError';
    this.code = code;
    this.retryable = opts.retryable;
    if (opts.status !== undefined) this.status = opts.status;
    if (opts.remoteCode !== undefined) this.remoteCode = opts.remoteCode;
    if (opts.retryAfterMs !== undefined) this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isAttachmentError(e: unknown): e is AttachmentError {
  return e instanceof AttachmentError;
}
