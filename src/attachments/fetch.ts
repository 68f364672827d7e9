/**
 * Fetches one attachment's bytes into a private temporary file, computing its sha256 and size while
 * streaming (never holding the whole file in memory) and stopping as soon as more than maxBytes
 * have arrived: the bytes decide, not the size hint.
 *
 * - `url` (http/https): GET with the headers of the FIRST attachments.fetch rule whose prefix
 *   matches. Redirects are followed by hand (at most maxRedirects) and the headers are sent only to
 *   the original URL's origin. `Accept-Encoding: identity`, so the file arrives as stored.
 * - `path`: resolved against the manifest's directory; refused if, after symlinks, it is outside
 *   that directory or is not a regular file. It is copied, so the returned file cannot change
 *   between hashing and uploading.
 *
 * Every failure of the file is an AttachmentError. Messages name the URL without its query string,
 * or the path as written; request header values never appear anywhere. A temporary file that cannot
 * be written (no such tmpDir, disk full) is not the file's fault: PmError attachments.tmp-unwritable.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { PmError } from '../core/errors.js';
import { formatBytes, sourceProblem } from './policy.js';
import { AttachmentError, type AttachmentSpec } from './types.js';
import { matchFetchRule, networkCode, parseRetryAfter, redactUrl, type FetchRule } from '../http/net.js';

export interface FetchOptions {
  /** Absolute directory of the manifest: `path` sources resolve against it and must stay inside it. */
  readonly manifestDir: string;
  /** attachments.fetch: request headers per URL prefix; the first matching prefix wins. */
  readonly fetchRules?: readonly FetchRule[];
  /** More bytes than this: too_large. */
  readonly maxBytes: number;
  /** No progress (response headers, or the next chunk) for this long: timeout. */
  readonly timeoutMs: number;
  /** The whole download may take at most this long. Default 10 × timeoutMs. */
  readonly totalTimeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Where the temporary directory is made. Default os.tmpdir(). */
  readonly tmpDir?: string;
  /** Default 10. */
  readonly maxRedirects?: number;
}

export interface FetchedFile {
  /** A private temporary file holding exactly the fetched bytes. */
  readonly file: string;
  readonly size: number;
  /** Hex sha256 of the bytes. */
  readonly sha256: string;
  /** Removes the temporary file; safe to call more than once. */
  cleanup(): Promise<void>;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

export async function fetchToTempFile(spec: AttachmentSpec, o: FetchOptions): Promise<FetchedFile> {
  const bad = sourceProblem(spec);
  if (bad !== null) throw new AttachmentError('bad_source', `${spec.fileName || '(no file name)'}: ${bad}`, { retryable: false });
  if (o.signal?.aborted) throw aborted(spec);
  return spec.url !== undefined && spec.url !== '' ? fetchUrl(spec.url, o) : copyPath(spec.path as string, o);
}

// ---------------------------------------------------------------- url

/** Aborts `controller` on the caller's signal, after timeoutMs without progress, or after the total timeout. */
class Deadline {
  readonly controller = new AbortController();
  timedOut = false;
  private idle?: NodeJS.Timeout;
  private readonly total: NodeJS.Timeout;
  private readonly onAbort = (): void => this.controller.abort();

  constructor(
    private readonly idleMs: number,
    totalMs: number,
    private readonly external?: AbortSignal,
  ) {
    external?.addEventListener('abort', this.onAbort, { once: true });
    this.total = setTimeout(() => this.expire(), totalMs);
    this.progress();
  }

  get externallyAborted(): boolean {
    return this.external?.aborted === true;
  }

  progress(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => this.expire(), this.idleMs);
  }

  private expire(): void {
    if (this.controller.signal.aborted) return;
    this.timedOut = true;
    this.controller.abort();
  }

  /** Stops the timers and aborts whatever is still open (a no-op after a completed response). */
  close(): void {
    clearTimeout(this.idle);
    clearTimeout(this.total);
    this.external?.removeEventListener('abort', this.onAbort);
    this.controller.abort();
  }
}

async function fetchUrl(raw: string, o: FetchOptions): Promise<FetchedFile> {
  const origin = new URL(raw);
  const shown = redactUrl(origin);
  const rule = matchFetchRule(origin, o.fetchRules);
  const headers = buildHeaders(rule, shown);
  const maxRedirects = o.maxRedirects ?? 10;
  const deadline = new Deadline(o.timeoutMs, o.totalTimeoutMs ?? o.timeoutMs * 10, o.signal);
  let tmp: TempTarget | undefined;
  try {
    let url = origin;
    let res: Response;
    for (let hop = 0; ; hop++) {
      res = await fetch(url, {
        method: 'GET',
        headers: url.origin === origin.origin ? headers.withSecrets : headers.plain,
        redirect: 'manual',
        signal: deadline.controller.signal,
      });
      deadline.progress();
      const location = res.headers.get('location');
      if (!REDIRECTS.has(res.status) || location === null) break;
      await res.body?.cancel().catch(() => undefined);
      if (hop >= maxRedirects) throw new AttachmentError('http_error', `GET ${shown}: more than ${maxRedirects} redirects`, { retryable: false, status: res.status });
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new AttachmentError('http_error', `GET ${redactUrl(url)}: redirected to an invalid URL`, { retryable: false, status: res.status });
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        throw new AttachmentError('http_error', `GET ${redactUrl(url)}: redirected to a non-http(s) URL (${next.protocol})`, { retryable: false, status: res.status });
      }
      url = next;
    }
    const where = url.href === origin.href ? shown : `${shown} (redirected to ${redactUrl(url)})`;
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw httpError(res, where, rule);
    }
    const announced = Number(res.headers.get('content-length'));
    if (res.headers.has('content-length') && Number.isFinite(announced) && announced > o.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw tooLarge(where, o.maxBytes, `Content-Length is ${formatBytes(announced)}`);
    }
    tmp = await makeTemp(o.tmpDir);
    const body = res.body === null ? Readable.from([]) : Readable.fromWeb(res.body as unknown as NodeReadableStream<Uint8Array>);
    // base64 in JSON takes 4 bytes for every 3 of the file, and a few more for the braces.
    const wrapped = rule?.body === 'json-base64' && url.origin === origin.origin;
    const limit = wrapped ? Math.ceil(o.maxBytes / 3) * 4 + 64 : o.maxBytes;
    let { size, sha256 } = await streamTo(body, tmp.file, limit, () => deadline.progress(), where);
    if (wrapped) ({ size, sha256 } = await unwrapJsonBase64(tmp.file, o.maxBytes, where));
    if (size === 0) throw new AttachmentError('empty', `GET ${where}: the file is empty`, { retryable: false });
    return { file: tmp.file, size, sha256, cleanup: tmp.cleanup };
  } catch (e) {
    await tmp?.cleanup();
    if (e instanceof AttachmentError || e instanceof PmError) throw e;
    if (deadline.externallyAborted) throw new AttachmentError('aborted', `GET ${shown}: stopped`, { retryable: false });
    if (deadline.timedOut) throw new AttachmentError('timeout', `GET ${shown}: no progress for ${o.timeoutMs} ms (or over the total time limit)`, { retryable: true });
    const code = networkCode(e);
    throw new AttachmentError('network', `GET ${shown}: network error${code ? ` (${code})` : ''}`, { retryable: true });
  } finally {
    deadline.close();
  }
}

interface RequestHeaders {
  /** For the original origin: the rule's headers too. */
  readonly withSecrets: Headers;
  readonly plain: Headers;
}

function buildHeaders(rule: FetchRule | undefined, shown: string): RequestHeaders {
  const plain = new Headers({ 'accept-encoding': 'identity' });
  const withSecrets = new Headers(plain);
  for (const [name, value] of Object.entries(rule?.headers ?? {})) {
    try {
      withSecrets.set(name, value);
    } catch {
      // The platform's message quotes the value: say which header, never what it holds.
      throw new AttachmentError('bad_source', `GET ${shown}: attachments.fetch header "${safeName(name)}" of prefix ${redactUrl(rule?.prefix ?? '')} is not a valid HTTP header`, {
        retryable: false,
      });
    }
  }
  return { withSecrets, plain };
}

function safeName(name: string): string {
  return /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}$/.test(name) ? name : '(invalid name)';
}

function httpError(res: Response, where: string, rule: FetchRule | undefined): AttachmentError {
  const status = res.status;
  const head = `GET ${where}: HTTP ${status}${res.statusText ? ` ${res.statusText}` : ''}`;
  if (status === 404 || status === 410) return new AttachmentError('not_found', head, { retryable: false, status });
  const retryable = status === 408 || status === 429 || status >= 500;
  let hint = '';
  if (status === 401 || status === 403) {
    hint = rule
      ? ` (the headers of attachments.fetch prefix ${redactUrl(rule.prefix)} were sent)`
      : ' (no attachments.fetch prefix matches this URL, so no headers were sent)';
  }
  const retryAfterMs = retryable ? parseRetryAfter(res.headers.get('retry-after')) : undefined;
  return new AttachmentError('http_error', head + hint, { retryable, status, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

// ---------------------------------------------------------------- path

async function copyPath(path: string, o: FetchOptions): Promise<FetchedFile> {
  const shown = JSON.stringify(path);
  let dir: string;
  try {
    dir = await realpath(o.manifestDir);
  } catch {
    throw new AttachmentError('unreadable', `attachment path ${shown}: the manifest directory cannot be read`, { retryable: false });
  }
  let real: string;
  try {
    real = await realpath(resolve(o.manifestDir, path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new AttachmentError('not_found', `attachment path ${shown}: no such file in the manifest's directory`, { retryable: false });
    throw new AttachmentError('unreadable', `attachment path ${shown}: cannot be resolved (${code ?? 'error'})`, { retryable: false });
  }
  const rel = relative(dir, real);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
    throw new AttachmentError('outside_manifest_dir', `attachment path ${shown} is outside the manifest's directory (symlinks are followed)`, { retryable: false });
  }
  const notFile = new AttachmentError('unreadable', `attachment path ${shown} is not a regular file`, { retryable: false });
  // stat before open: opening a FIFO would block.
  let isFile: boolean;
  try {
    isFile = (await stat(real)).isFile();
  } catch (e) {
    throw new AttachmentError('unreadable', `attachment path ${shown}: cannot be read (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
  }
  if (!isFile) throw notFile;
  let fh;
  try {
    fh = await open(real, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    throw new AttachmentError('unreadable', `attachment path ${shown}: cannot be opened (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
  }
  let tmp: TempTarget | undefined;
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw notFile;
    if (st.size > o.maxBytes) throw tooLarge(shown, o.maxBytes, `the file is ${formatBytes(st.size)}`);
    if (st.size === 0) throw new AttachmentError('empty', `attachment path ${shown}: the file is empty`, { retryable: false });
    tmp = await makeTemp(o.tmpDir);
    const { size, sha256 } = await streamTo(fh.createReadStream({ autoClose: false, signal: o.signal }), tmp.file, o.maxBytes, () => undefined, shown);
    if (size === 0) throw new AttachmentError('empty', `attachment path ${shown}: the file is empty`, { retryable: false });
    return { file: tmp.file, size, sha256, cleanup: tmp.cleanup };
  } catch (e) {
    await tmp?.cleanup();
    if (e instanceof AttachmentError || e instanceof PmError) throw e;
    if (o.signal?.aborted) throw new AttachmentError('aborted', `attachment path ${shown}: stopped`, { retryable: false });
    throw new AttachmentError('unreadable', `attachment path ${shown}: read failed (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------- shared

interface TempTarget {
  readonly file: string;
  cleanup(): Promise<void>;
}

async function makeTemp(tmpDir: string | undefined): Promise<TempTarget> {
  const parent = tmpDir ?? tmpdir();
  let dir: string;
  try {
    dir = await mkdtemp(join(parent, 'pm-attachment-'));
  } catch (e) {
    throw tempUnwritable(parent, e);
  }
  return { file: join(dir, 'file'), cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function tempUnwritable(where: string, e: unknown): PmError {
  const code = (e as NodeJS.ErrnoException).code ?? 'error';
  return new PmError('attachments.tmp-unwritable', `cannot write a temporary file for an attachment in ${where} (${code})`, {
    hint: 'check that the temporary directory exists, is writable and has free space',
  });
}

function tooLarge(where: string, maxBytes: number, detail: string): AttachmentError {
  return new AttachmentError('too_large', `${where}: ${detail}, more than the limit of ${formatBytes(maxBytes)}`, { retryable: false });
}

/** Pipes `body` into a new file, hashing and counting; fails with too_large once more than maxBytes arrived. */
/** The answer `{"data": "<base64>"}` in `file` replaced by the decoded bytes (the file itself). */
async function unwrapJsonBase64(file: string, maxBytes: number, where: string): Promise<{ size: number; sha256: string }> {
  let data: unknown;
  try {
    data = (JSON.parse(await readFile(file, 'utf8')) as { data?: unknown }).data;
  } catch {
    throw new AttachmentError('http_error', `GET ${where}: the answer is not JSON (expected {"data": "<base64>"})`, { retryable: false });
  }
  if (typeof data !== 'string' || !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(data)) {
    throw new AttachmentError('http_error', `GET ${where}: the answer has no base64 "data"`, { retryable: false });
  }
  const bytes = Buffer.from(data, 'base64');
  if (bytes.length > maxBytes) throw tooLarge(where, maxBytes, `the decoded file is ${formatBytes(bytes.length)}`);
  await writeFile(file, bytes);
  return { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

async function streamTo(body: Readable, file: string, maxBytes: number, onChunk: () => void, where: string): Promise<{ size: number; sha256: string }> {
  const hash: Hash = createHash('sha256');
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > maxBytes) return cb(tooLarge(where, maxBytes, `more than ${formatBytes(maxBytes)} arrived`));
      hash.update(chunk);
      onChunk();
      cb(null, chunk);
    },
  });
  const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
  // Which stream failed first: a failed write is local (disk full), not the download's fault.
  let first: 'body' | 'file' | undefined;
  body.once('error', () => (first ??= 'body'));
  out.once('error', () => (first ??= 'file'));
  try {
    await pipeline(body, meter, out);
  } catch (e) {
    if (!(e instanceof AttachmentError) && first === 'file') throw tempUnwritable(file, e);
    throw e;
  }
  return { size, sha256: hash.digest('hex') };
}

function aborted(spec: AttachmentSpec): AttachmentError {
  return new AttachmentError('aborted', `${spec.url !== undefined ? redactUrl(spec.url) : JSON.stringify(spec.path)}: stopped`, { retryable: false });
}
