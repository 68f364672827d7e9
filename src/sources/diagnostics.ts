/** Small helpers shared by the readers: addresses, error messages and the PmErrors they build. */
import { PmError } from '../core/errors.js';
import type { FileSourceDecl } from '../manifest/types.js';
import type { RecordLocation, SourceItem } from './types.js';

/** `tickets.jsonl:35` for line formats, `tickets.json[12]` for json elements, `zendesk.tickets[id=101]` for a live source's record. */
export function addressOf(loc: RecordLocation): string {
  if (loc.id !== undefined) return `${loc.file}[id=${loc.id}]`;
  return loc.line !== undefined ? `${loc.file}:${loc.line}` : `${loc.file}[${loc.index}]`;
}

/** The message of anything thrown (JSONata throws plain objects with a message). */
export function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

/** An item for a record that could not be read. The reader goes on (or ends, where the format cannot resync). */
export function malformedItem(loc: RecordLocation, message: string, col?: number, hint?: string): SourceItem {
  const error = new PmError('source.malformed-record', message, {
    location: { file: loc.file, line: loc.line, col },
    address: addressOf(loc),
    hint,
  });
  return { ok: false, error, location: loc };
}

/** A configuration problem with a source declaration (bad select, csv without columns, …). */
export function declError(decl: FileSourceDecl, code: string, message: string, field: string, hint?: string): PmError {
  return new PmError(code, message, { location: decl.location, path: `sources.${decl.name}.${field}`, hint });
}

/** An I/O failure in the middle of a file (truncated gzip, read error): the file as a whole is unusable. */
export function readFailed(decl: FileSourceDecl, e: unknown): PmError {
  const msg = messageOf(e);
  const gz = decl.gzip || /header check|unexpected end of file|invalid (?:block|distance|code)/i.test(msg);
  return new PmError('source.read-failed', `could not read ${decl.pathAsWritten}: ${msg}`, {
    location: { file: decl.pathAsWritten },
    path: `sources.${decl.name}.path`,
    hint: gz ? 'the compressed file looks truncated or corrupt; re-export or re-download it' : undefined,
    cause: e,
  });
}

/** Rethrow aborts and PmErrors as they are; wrap anything else as a read failure. */
export function rethrow(decl: FileSourceDecl, e: unknown, signal: AbortSignal | undefined): never {
  if (signal?.aborted) throw signal.reason;
  if (e instanceof PmError) throw e;
  if (e instanceof Error && e.name === 'AbortError') throw e;
  throw readFailed(decl, e);
}
