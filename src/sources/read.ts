/** `readSource`: the one entry point that turns a source declaration into a stream of records. */
import type { SourceDecl } from '../manifest/types.js';
import type { SnapshotStore } from '../state/types.js';
import type { FileSourceDecl } from '../manifest/types.js';
import { declError } from './diagnostics.js';
import { readJsonl, type JsonlItem } from './jsonl.js';
import { readLive } from './live/read.js';
import type { SourceItem } from './types.js';

// The .json and .csv readers are loaded by the first source of their format: their parsers (stream-json,
// csv-parse) are not loaded by a command whose sources are all .jsonl (about 40 ms of its start).
async function* readJson(decl: FileSourceDecl, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  yield* (await import('./json.js')).readJson(decl, signal);
}
async function* readCsv(decl: FileSourceDecl, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  yield* (await import('./csv.js')).readCsv(decl, signal);
}

export interface ReadOptions {
  /** Aborting rejects the pending `next()` with the signal's reason and closes the file. */
  signal?: AbortSignal;
  /** Where live sources' records are (the state's snapshot). */
  snapshot?: SnapshotStore;
}

/**
 * The records of a source, in file order, one at a time (memory does not grow with the file).
 * Records that cannot be read are `{ok: false}` items and the stream goes on (json: it ends, as nothing
 * after a syntax error can be read). A missing file, a bad declaration or an I/O failure throws a PmError
 * from the first (or the failing) `next()`.
 */
export function readSource(decl: SourceDecl, opts: ReadOptions = {}): AsyncIterable<SourceItem> {
  return readSourceItems(decl, opts);
}

/** Internal: as readSource; with `raw`, jsonl items also carry their line's JSON text (see JsonlItem). */
export function readSourceItems(decl: SourceDecl, opts: ReadOptions & { raw?: boolean } = {}): AsyncIterable<JsonlItem> {
  return {
    [Symbol.asyncIterator]: () => {
      if (decl.kind === 'live') return readLive(decl, opts.snapshot, opts.signal);
      switch (decl.format) {
        case 'jsonl':
          return readJsonl(decl, opts.signal, opts.raw ?? false);
        case 'json':
          return readJson(decl, opts.signal);
        case 'csv':
          return readCsv(decl, opts.signal);
        default: {
          const format: never = decl.format;
          throw declError(decl, 'source.format-unsupported', `source "${decl.name}": unsupported format "${String(format)}"`, 'path', 'use .jsonl, .ndjson, .json or .csv, each optionally .gz');
        }
      }
    },
  };
}
