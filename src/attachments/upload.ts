/**
 * The second step of Plain's upload: POST the file to the uploadFormUrl that
 * createAttachmentUploadUrl returned, as multipart/form-data with every uploadFormData field in
 * order and then the file as the part named `file` (S3 ignores fields after the file). The file is
 * streamed from disk (fs.openAsBlob). Success is any 2xx (S3 answers 204); a failure is an
 * AttachmentError carrying S3's XML <Code>/<Message> when the answer has them. The form values
 * (policy, signature, session token) never appear in errors.
 */
import { openAsBlob } from 'node:fs';
import { AttachmentError } from './types.js';
import { networkCode, parseRetryAfter, redactUrl } from '../http/net.js';

export interface UploadFormInput {
  readonly uploadFormUrl: string;
  readonly uploadFormData: ReadonlyArray<{ readonly key: string; readonly value: string }>;
  /** The file to send (e.g. FetchedFile.file). */
  readonly file: string;
  readonly fileName: string;
  /** Content type of the file part; default application/octet-stream. */
  readonly contentType?: string;
  /** The fileSizeBytes the upload URL was created with: a file of another size is not sent. */
  readonly size: number;
  readonly signal?: AbortSignal;
  /** The whole upload may take at most this long; default no limit of its own. */
  readonly timeoutMs?: number;
}

/** Longest S3 <Message> kept in an error. */
const MAX_REMOTE_MESSAGE = 300;

export async function uploadToForm(input: UploadFormInput): Promise<void> {
  const shown = redactUrl(input.uploadFormUrl);
  const what = `upload of ${JSON.stringify(input.fileName)} to ${shown}`;
  if (input.signal?.aborted) throw new AttachmentError('aborted', `${what}: stopped`, { retryable: false });
  let blob: Blob;
  try {
    blob = await openAsBlob(input.file, { type: input.contentType || 'application/octet-stream' });
  } catch (e) {
    throw new AttachmentError('unreadable', `${what}: the file cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
  }
  if (blob.size !== input.size) {
    throw new AttachmentError('size_mismatch', `${what}: the file has ${blob.size} bytes but the upload URL was made for ${input.size}`, { retryable: false });
  }
  const form = new FormData();
  for (const { key, value } of input.uploadFormData) form.append(key, value);
  form.append('file', blob, input.fileName);

  const controller = new AbortController();
  let timedOut = false;
  const onAbort = (): void => controller.abort();
  input.signal?.addEventListener('abort', onAbort, { once: true });
  const timer = input.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), controller.abort()), input.timeoutMs);
  try {
    const res = await fetch(input.uploadFormUrl, { method: 'POST', body: form, signal: controller.signal });
    const body = await readLimited(res, 64 * 1024);
    if (res.ok) return;
    const code = xmlElement(body, 'Code');
    const message = xmlElement(body, 'Message');
    const retryable = res.status === 408 || res.status === 429 || res.status >= 500;
    const retryAfterMs = retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
    const detail = code !== undefined ? `: ${code}${message !== undefined ? `: ${truncate(message)}` : ''}` : '';
    throw new AttachmentError('http_error', `${what}: HTTP ${res.status}${detail}`, {
      retryable,
      status: res.status,
      ...(code === undefined ? {} : { remoteCode: code }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  } catch (e) {
    if (e instanceof AttachmentError) throw e;
    if (input.signal?.aborted) throw new AttachmentError('aborted', `${what}: stopped`, { retryable: false });
    if (timedOut) throw new AttachmentError('timeout', `${what}: took longer than ${input.timeoutMs} ms`, { retryable: true });
    const code = networkCode(e);
    throw new AttachmentError('network', `${what}: network error${code ? ` (${code})` : ''}`, { retryable: true });
  } finally {
    clearTimeout(timer);
    input.signal?.removeEventListener('abort', onAbort);
  }
}

/** The body as text, at most `max` bytes of it (the rest is discarded). */
async function readLimited(res: Response, max: number): Promise<string> {
  if (res.body === null) return '';
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n < max) chunks.push(value.subarray(0, max - n));
    n += value.length;
    if (n >= max) {
      await reader.cancel().catch(() => undefined);
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Text of the first <name>…</name> in an S3 XML answer, entities decoded. */
export function xmlElement(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  if (!m) return undefined;
  const text = decodeXmlEntities(m[1] ?? '').trim();
  return text === '' ? undefined : text;
}

function decodeXmlEntities(s: string): string {
  return s.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (all, dec?: string, hex?: string, named?: string) => {
    if (dec !== undefined || hex !== undefined) {
      const cp = dec !== undefined ? Number(dec) : parseInt(hex as string, 16);
      return cp <= 0x10ffff ? String.fromCodePoint(cp) : all;
    }
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[named as 'amp'];
  });
}

function truncate(s: string): string {
  const one = s.replace(/\s+/g, ' ');
  return one.length > MAX_REMOTE_MESSAGE ? `${one.slice(0, MAX_REMOTE_MESSAGE)}…` : one;
}
