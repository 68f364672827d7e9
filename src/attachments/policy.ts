/**
 * What Plain will refuse, decided before anything is fetched (plan time) and again once the bytes
 * are known: banned file extensions, the per-type size limit (CUSTOM_TIMELINE_ENTRY for INBOUND and
 * OUTBOUND, NOTE for NOTE) and the manifest's attachments.maxBytes (the smaller limit applies), and
 * sources that cannot be fetched at all. Also the line a message gets when a file is skipped.
 *
 * These constants are the engine's own copy of Plain's documented rules; a test asserts they equal
 * the emulator's (src/emulators/plain/rules/attachments.ts) so the two cannot drift apart.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { AttachmentError, type AttachmentSpec, type AttachmentType, type MessageType } from './types.js';
import { escapeHtmlText } from '../core/html.js';

/** Plain's attachment_file_type_not_allowed list. */
export const BANNED_EXTENSIONS: ReadonlySet<string> = new Set(
  'bat bin chm com cpl crt exe hlp hta inf ins isp jse lnk mdb msc msi msp mst pcd pif reg scr sct shs vba vbe vbs wsf wsh wsl'.split(' '),
);

const MB = 1_000_000;

/**
 * Per-file limits of the attachment types import messages use. CUSTOM_TIMELINE_ENTRY is not in
 * Plain's current limits table; the older docs' 6 MB per file is the safe figure. NOTE: 50 MB.
 */
export const TYPE_MAX_BYTES: Readonly<Record<AttachmentType, number>> = {
  CUSTOM_TIMELINE_ENTRY: 6 * MB,
  NOTE: 50 * MB,
};

/** attachments.maxBytes when the manifest does not set it. */
export const DEFAULT_MAX_BYTES = 6 * MB;

export type PolicyReasonCode = 'banned_extension' | 'too_large' | 'bad_source';

export interface PolicyReason {
  readonly code: PolicyReasonCode;
  /** A phrase fit for a message note and a plan diagnostic; names no URL. */
  readonly message: string;
}

export interface PolicyOptions {
  /** attachments.maxBytes; default DEFAULT_MAX_BYTES. */
  readonly maxBytes?: number;
  readonly messageType: MessageType;
  /** When given, a `path` that lexically leaves this directory is a bad_source (symlinks are checked at fetch). */
  readonly manifestDir?: string;
}

export function attachmentTypeFor(messageType: MessageType): AttachmentType {
  return messageType === 'NOTE' ? 'NOTE' : 'CUSTOM_TIMELINE_ENTRY';
}

/** The largest file a message of this type may carry: the smaller of Plain's limit and maxBytes. */
export function effectiveMaxBytes(messageType: MessageType, maxBytes: number = DEFAULT_MAX_BYTES): number {
  return Math.min(TYPE_MAX_BYTES[attachmentTypeFor(messageType)], maxBytes);
}

/** The extension Plain checks: after the last dot, lower case; none for "name", ".hidden" or "name.". */
export function extensionOf(fileName: string): string | null {
  const dot = fileName.lastIndexOf('.');
  return dot > 0 && dot < fileName.length - 1 ? fileName.slice(dot + 1).toLowerCase() : null;
}

/** "6 MB", "7.2 MB", "512 bytes". */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  if (n < MB) return `${trimNumber(n / 1000)} kB`;
  return `${trimNumber(n / MB)} MB`;
}

function trimNumber(x: number): string {
  return String(Math.round(x * 10) / 10);
}

/** Why this source can never be fetched, or null. Shared with fetch so plan and apply agree. */
export function sourceProblem(spec: AttachmentSpec, manifestDir?: string): string | null {
  const hasUrl = typeof spec.url === 'string' && spec.url !== '';
  const hasPath = typeof spec.path === 'string' && spec.path !== '';
  if (hasUrl === hasPath) return hasUrl ? 'the attachment has both a url and a path' : 'the attachment has neither a url nor a path';
  if (typeof spec.fileName !== 'string' || spec.fileName.trim() === '') return 'the attachment has no file name';
  if (hasUrl) {
    let u: URL;
    try {
      u = new URL(spec.url as string);
    } catch {
      return 'the attachment url is not a valid URL';
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return `the attachment url is not http(s) (${u.protocol})`;
    if (u.username !== '' || u.password !== '') return 'the attachment url carries credentials; put them in attachments.fetch headers instead';
    return null;
  }
  if ((spec.path as string).includes('\0')) return 'the attachment path contains a NUL character';
  if (manifestDir !== undefined) {
    const rel = relative(resolve(manifestDir), resolve(manifestDir, spec.path as string));
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) return "the attachment path is outside the manifest's directory";
  }
  return null;
}

/**
 * Null when the file may be sent, else why not. Checks, in order: the source, the extension, and
 * the size hint against the effective limit (a missing or invalid hint passes: the bytes decide).
 */
export function checkAttachment(spec: AttachmentSpec, opts: PolicyOptions): PolicyReason | null {
  const bad = sourceProblem(spec, opts.manifestDir);
  if (bad !== null) return { code: 'bad_source', message: bad };
  const ext = extensionOf(spec.fileName);
  if (ext !== null && BANNED_EXTENSIONS.has(ext)) return { code: 'banned_extension', message: `.${ext} files are not allowed by Plain` };
  const size = spec.size;
  if (typeof size === 'number' && Number.isFinite(size) && size >= 0) {
    const reason = sizeProblem(size, opts.messageType, opts.maxBytes);
    if (reason !== null) return reason;
  }
  return null;
}

/** Null when `size` bytes fit the effective limit, else a too_large reason naming the limit that bites. */
export function sizeProblem(size: number, messageType: MessageType, maxBytes: number = DEFAULT_MAX_BYTES): PolicyReason | null {
  const type = attachmentTypeFor(messageType);
  const plainMax = TYPE_MAX_BYTES[type];
  const limit = Math.min(plainMax, maxBytes);
  if (size <= limit) return null;
  const whose = maxBytes < plainMax ? 'attachments.maxBytes' : `Plain's limit for ${messageType === 'NOTE' ? 'notes' : 'messages'}`;
  return { code: 'too_large', message: `the file is ${formatBytes(size)}, more than ${whose} (${formatBytes(limit)})` };
}

const NOTE_REASONS: Readonly<Record<AttachmentError['code'], string>> = {
  not_found: 'the file was not found at its source',
  http_error: 'the file could not be downloaded',
  too_large: 'the file is larger than the size limit',
  empty: 'the file is empty',
  unreadable: 'the file could not be read',
  outside_manifest_dir: "the file is outside the manifest's directory",
  bad_source: 'the file has no usable source',
  size_mismatch: 'the file changed while it was being migrated',
  timeout: 'the download timed out',
  network: 'the download failed',
  aborted: 'the migration was stopped',
};

/**
 * The line appended to a message's text when one of its files is skipped, e.g.
 * `[Attachment not migrated: invoice.exe — .exe files are not allowed by Plain]`. An AttachmentError
 * is described by its code only: its message names a URL, which must not end up in Plain.
 */
export function skipNote(fileName: string, reason: PolicyReason | AttachmentError | string): string {
  const why = typeof reason === 'string' ? reason : reason instanceof AttachmentError ? NOTE_REASONS[reason.code] : reason.message;
  return `[Attachment not migrated: ${oneLine(fileName)} — ${oneLine(why)}]`;
}

/** How a target's message bodies are written: plain text (Markdown) or HTML. */
export type BodyFormat = 'text' | 'html';

/**
 * A message's text with the skip notes after it: lines after a blank line in a text body, paragraphs
 * (escaped) in an HTML body, where bare lines would run into the last paragraph.
 */
export function withSkipNotes(text: string, notes: readonly string[], bodies: BodyFormat): string {
  if (notes.length === 0) return text;
  if (bodies === 'html') return `${text}${notes.map((n) => `<p>${escapeHtmlText(n)}</p>`).join('')}`;
  return `${text}\n\n${notes.join('\n')}`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim();
}
