/** Opening a source file as a byte stream: existence checks, gzip (by flag or magic bytes), BOM. */
import { createReadStream, type Stats } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { addAbortSignal, pipeline, Transform, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { PmError } from '../core/errors.js';
import type { FileSourceDecl } from '../manifest/types.js';
import { messageOf } from './diagnostics.js';

export const READ_CHUNK = 256 * 1024;

function errnoCode(e: unknown): string | undefined {
  if (typeof e === 'object' && e !== null && 'code' in e) {
    const c = (e as { code: unknown }).code;
    return typeof c === 'string' ? c : undefined;
  }
  return undefined;
}

function notFound(decl: FileSourceDecl, e: unknown): PmError {
  const code = errnoCode(e);
  const what =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? 'file not found'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : code === 'EISDIR'
          ? 'is a directory, not a file'
          : `cannot be read (${messageOf(e)})`;
  const hint =
    code === 'ENOENT' || code === 'ENOTDIR'
      ? `relative paths are resolved against the manifest's directory; this one resolved to ${decl.path}`
      : `check that ${decl.path} is a readable file`;
  return new PmError('source.not-found', `source "${decl.name}": ${decl.pathAsWritten}: ${what}`, {
    location: decl.location,
    path: `sources.${decl.name}.path`,
    hint,
  });
}

/** stat() the source file, turning ENOENT and friends into a PmError that names the path as written. */
export async function statSource(decl: FileSourceDecl): Promise<Stats> {
  let st: Stats;
  try {
    st = await stat(decl.path);
  } catch (e) {
    throw notFound(decl, e);
  }
  if (st.isDirectory()) {
    const err = Object.assign(new Error('EISDIR'), { code: 'EISDIR' });
    throw notFound(decl, err);
  }
  return st;
}

/** The first two bytes of the file are gzip's magic (1f 8b). */
export async function hasGzipMagic(decl: FileSourceDecl): Promise<boolean> {
  let fh;
  try {
    fh = await open(decl.path, 'r');
  } catch (e) {
    throw notFound(decl, e);
  }
  try {
    const buf = Buffer.alloc(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } catch (e) {
    throw notFound(decl, e);
  } finally {
    await fh.close();
  }
}

/** Drops a UTF-8 byte order mark at the very start of a byte stream. */
class StripBom extends Transform {
  private started = false;
  private head: Buffer | undefined;

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    if (this.started) return cb(null, chunk);
    const buf = this.head ? Buffer.concat([this.head, chunk]) : chunk;
    if (buf.length < 3) {
      this.head = buf;
      return cb();
    }
    this.started = true;
    this.head = undefined;
    cb(null, buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf ? buf.subarray(3) : buf);
  }

  override _flush(cb: TransformCallback): void {
    if (this.head && this.head.length > 0) this.push(this.head);
    cb();
  }
}

export interface OpenOptions {
  signal?: AbortSignal;
  /** Drop a leading UTF-8 BOM (for parsers that do not). */
  stripBom?: boolean;
}

/**
 * The decompressed bytes of a source. Throws PmError('source.not-found') for a missing or unreadable file and
 * PmError('source.not-gzip') when the declaration says gzip but the file is not. A file that starts with
 * gzip's magic bytes is decompressed even without the `.gz` suffix.
 * Errors later in the stream (truncated gzip, I/O) surface when the stream is read.
 */
export async function openSourceStream(decl: FileSourceDecl, opts: OpenOptions = {}): Promise<Readable> {
  return (await openSourceBytes(decl, opts)).stream;
}

/**
 * As openSourceStream, saying also whether the stream is the file's own bytes (`direct`: not decompressed,
 * no BOM dropped), so that an offset in it is an offset in the file.
 */
export async function openSourceBytes(decl: FileSourceDecl, opts: OpenOptions = {}): Promise<{ stream: Readable; direct: boolean }> {
  opts.signal?.throwIfAborted();
  await statSource(decl);
  const gz = await hasGzipMagic(decl);
  if (decl.gzip && !gz) {
    throw new PmError('source.not-gzip', `source "${decl.name}": ${decl.pathAsWritten} is not gzip-compressed`, {
      location: decl.location,
      path: `sources.${decl.name}.path`,
      hint: 'its name ends in .gz but it does not start with gzip\'s magic bytes (1f 8b); rename it without .gz, or compress it',
    });
  }
  const file = createReadStream(decl.path, { highWaterMark: READ_CHUNK });
  if (opts.signal) addAbortSignal(opts.signal, file);
  const stages: Array<Readable | Transform> = [file];
  if (gz) stages.push(createGunzip({ chunkSize: READ_CHUNK }));
  if (opts.stripBom) stages.push(new StripBom());
  if (stages.length === 1) return { stream: file, direct: true };
  // pipeline destroys every stage with the error, so iterating the last one rethrows it.
  return { stream: pipeline(stages, () => undefined) as unknown as Readable, direct: false };
}
