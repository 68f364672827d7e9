/**
 * Building an on-disk index of one source: every record with its key (or group values) goes into a SQLite
 * table, in source order, in batched transactions: as its place in the file for a groupBy index of a
 * `.jsonl` read as it is (see record-bytes.ts), else as JSON text; the lookup index is created afterwards
 * (one sort instead of a B-tree insert per row). Problems are kept as diagnostics (capped) in the file, so a
 * reused index reports the same problems as the run that built it. A large groupBy `.jsonl` source may be
 * parsed in chunks by other threads (index-chunks.ts): this thread then only writes their rows.
 */
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';
import { PmError } from '../core/errors.js';
import { sourceLabel, type Expr, type FileSourceDecl, type SourceDecl } from '../manifest/types.js';
import type { SnapshotStore } from '../state/types.js';
import { addressOf, messageOf, rethrow } from './diagnostics.js';
import { isThenable, keyEvaluator, keysOf } from './key.js';
import { chunkRanges, type ChunkRange, type ChunkResult } from './index-chunks.js';
import { readJsonlRangeSync, type JsonlItem } from './jsonl.js';
import { hasGzipMagic, statSource } from './open.js';
import { readSourceItems } from './read.js';
import { RecordBytes } from './record-bytes.js';
import type { RecordLocation } from './types.js';

/** Bump when the file layout or the meaning of its contents changes: older cache files are then ignored. */
export const INDEX_FORMAT_VERSION = 3;
/** Diagnostics kept per index; the rest are only counted. */
export const MAX_DIAGNOSTICS = 100;
const BATCH_ROWS = 10_000;
const ROWS_PER_INSERT = 50;

export const SCHEMA = `
CREATE TABLE meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE recs (id INTEGER PRIMARY KEY, k TEXT NOT NULL, line INTEGER, idx INTEGER NOT NULL, json TEXT, off INTEGER, len INTEGER);
CREATE TABLE diag (seq INTEGER PRIMARY KEY, code TEXT NOT NULL, message TEXT NOT NULL, file TEXT, line INTEGER,
  col INTEGER, address TEXT, path TEXT, hint TEXT);
`;

/** A record's JSON text (`json`), or where it is in the source file (`off`, `len`: a .jsonl read as it is). */
type Row = [k: string, line: number | null, idx: number, json: string | null, off: number | null, len: number | null];

export interface BuildStats {
  /** Records read from the source (ok items). */
  readonly records: number;
  /** Rows in the index (a record in several groups counts once per group). */
  readonly rows: number;
  readonly errorCount: number;
  readonly ms: number;
}

class Diagnostics {
  readonly kept: PmError[] = [];
  count = 0;
  add(e: PmError): void {
    this.count++;
    if (this.kept.length < MAX_DIAGNOSTICS) this.kept.push(e);
  }
}

function recordError(code: string, message: string, loc: RecordLocation, expr: Expr): PmError {
  return new PmError(code, message, { location: { file: loc.file, line: loc.line }, address: addressOf(loc), path: expr.path });
}

interface DupRow {
  k: string;
  line: number | null;
  idx: number;
  fline: number | null;
  fidx: number;
}

/** `key`: the first record wins; each later record with the same key is a diagnostic. */
function reportDuplicates(db: Database.Database, decl: SourceDecl, expr: Expr, diags: Diagnostics): void {
  const dupCount = db
    .prepare('SELECT COALESCE(SUM(c - 1), 0) FROM (SELECT COUNT(*) AS c FROM recs GROUP BY k HAVING c > 1)')
    .pluck()
    .get() as number;
  if (dupCount === 0) return;
  const rows = db.prepare(
    `SELECT r.k AS k, r.line AS line, r.idx AS idx, f.line AS fline, f.idx AS fidx
     FROM recs r
     JOIN (SELECT k, MIN(id) AS fid FROM recs GROUP BY k HAVING COUNT(*) > 1) d ON r.k = d.k
     JOIN recs f ON f.id = d.fid
     WHERE r.id <> d.fid ORDER BY r.id LIMIT ?`,
  );
  const room = Math.max(0, MAX_DIAGNOSTICS - diags.kept.length);
  const file = sourceLabel(decl);
  for (const r of rows.iterate(room) as IterableIterator<DupRow>) {
    const loc: RecordLocation = { file, line: r.line ?? undefined, index: r.idx };
    const first = addressOf({ file, line: r.fline ?? undefined, index: r.fidx });
    diags.kept.push(
      recordError(
        'source.duplicate-key',
        `duplicate key ${JSON.stringify(r.k)} in source "${decl.name}" (key: ${expr.text}): the first record, at ${first}, is used and this one is ignored`,
        loc,
        expr,
      ),
    );
  }
  diags.count += dupCount;
}

/**
 * `groupBy`: each group's digest (sha1 of its records' JSON, each followed by a newline, in source
 * order), so that the plan cache checks a group with one row instead of reading and hashing all of it.
 *
 * Exports usually hold a group's records together (a ticket's comments one after another). While
 * that holds, each digest is computed as the records are read and written with them; the first record
 * that returns to a group already closed (or belongs to several groups) ends that, and the digests are
 * then computed by `saveGroupDigests` once every record is in. Both give the same bytes (tested).
 */
class GroupDigests {
  /** Every group so far has been one run of records, each record in one group. */
  contiguous = true;
  private key: string | undefined;
  private hash = createHash('sha1');
  /** Closed groups not written yet: written with the next batch of records. */
  private done: Array<[string, string]> = [];

  constructor(private readonly insert: Database.Statement<[string, string]>) {}

  add(keys: readonly string[], json: string): void {
    if (!this.contiguous) return;
    if (keys.length !== 1) {
      this.stop();
      return;
    }
    const k = keys[0]!;
    if (k !== this.key) {
      this.close();
      this.key = k;
      this.hash = createHash('sha1');
    }
    this.hash.update(json).update('\n');
  }

  private close(): void {
    if (this.key !== undefined) this.done.push([this.key, this.hash.digest('hex')]);
    this.key = undefined;
  }

  /** A run of one group's records, whole, digested elsewhere (see index-chunks.ts). */
  closedRun(key: string, digest: string): void {
    if (!this.contiguous) return;
    this.close();
    this.done.push([key, digest]);
  }

  stop(): void {
    this.contiguous = false;
    this.done = [];
    this.key = undefined;
  }

  /** Writes the closed groups (inside the caller's transaction); a group seen twice ends the inline digests. */
  write(last = false): void {
    if (last) this.close();
    for (const [k, d] of this.done) {
      if (!this.contiguous) break;
      if (this.insert.run(k, d).changes === 0) this.stop();
    }
    this.done = [];
  }
}

/**
 * The digests of every group, read back in key order: for a source whose groups are not contiguous.
 * `bytes`: the source file, for the records the index keeps by place.
 */
function saveGroupDigests(db: Database.Database, bytes: RecordBytes | undefined): void {
  db.exec('DELETE FROM digests');
  const ins = db.prepare('INSERT INTO digests (k, d) VALUES (?, ?)');
  const rows = db.prepare<[], [string, string | null, number | null, number | null]>('SELECT k, json, off, len FROM recs ORDER BY k, id').raw();
  // Writing the digests while reading the records (another table): safe in SQLite, refused by
  // better-sqlite3 unless asked; holding them all in memory instead would grow with the groups.
  db.unsafeMode(true);
  try {
    db.transaction(() => {
      let key: string | undefined;
      let h = createHash('sha1');
      for (const [k, json, off, len] of rows.iterate()) {
        if (k !== key) {
          if (key !== undefined) ins.run(key, h.digest('hex'));
          key = k;
          h = createHash('sha1');
        }
        h.update(json ?? bytes!.read(off!, len!)).update('\n');
      }
      if (key !== undefined) ins.run(key, h.digest('hex'));
    })();
  } finally {
    db.unsafeMode(false);
  }
}

function saveDiagnostics(db: Database.Database, diags: Diagnostics): void {
  const ins = db.prepare('INSERT INTO diag (code, message, file, line, col, address, path, hint) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (const e of diags.kept) {
      ins.run(e.code, e.message, e.location?.file ?? null, e.location?.line ?? null, e.location?.col ?? null, e.address ?? null, e.path ?? null, e.hint ?? null);
    }
  })();
}

/** The diagnostics stored in an index file, plus one summary entry when some were only counted. */
export function loadDiagnostics(db: Database.Database, errorCount: number, file: string): PmError[] {
  interface DiagRow {
    code: string;
    message: string;
    file: string | null;
    line: number | null;
    col: number | null;
    address: string | null;
    path: string | null;
    hint: string | null;
  }
  const rows = db.prepare('SELECT code, message, file, line, col, address, path, hint FROM diag ORDER BY seq').all() as DiagRow[];
  const out = rows.map(
    (r) =>
      new PmError(r.code, r.message, {
        location: r.file !== null ? { file: r.file, line: r.line ?? undefined, col: r.col ?? undefined } : undefined,
        address: r.address ?? undefined,
        path: r.path ?? undefined,
        hint: r.hint ?? undefined,
      }),
  );
  if (errorCount > out.length) {
    out.push(new PmError('source.index-errors-truncated', `${errorCount - out.length} more problems in ${file} are counted but not listed`));
  }
  return out;
}

/** Parses chunks of a source on other threads (the plan's mapping pool): see index-chunks.ts. */
export interface ChunkParser {
  /** Parse one chunk of the named source's file (a groupBy source: its expression is the manifest's). */
  parse(source: string, range: ChunkRange): Promise<ChunkResult>;
  /** Chunks asked for at once (results are taken in order). */
  readonly inFlight: number;
  /** A source smaller than this is read here (default MIN_CHUNKED_BYTES). */
  readonly minBytes?: number;
  /** About how many bytes a chunk is (default CHUNK_BYTES). */
  readonly chunkBytes?: number;
}

/**
 * A record's text from its bytes, as the reader gave it to be digested: a BOM at the start of a line
 * is dropped by the decoder there too (the bytes are valid UTF-8, checked when the chunk was read).
 */
const LINE_TEXT = new TextDecoder('utf-8');

/**
 * Below this, a source is read by the building thread alone: the pool's workers take about a second to
 * start, about what reading 64 MiB takes here.
 */
export const MIN_CHUNKED_BYTES = 64 * 1024 * 1024;
/** A chunk: about 10,000 records of 1.5 KB, small enough for the other threads to keep busy. */
export const CHUNK_BYTES = 16 * 1024 * 1024;

/** The chunks of a source that the parser can read elsewhere: a large .jsonl file read as it is. */
async function chunkedSource(
  decl: SourceDecl,
  parser: ChunkParser | undefined,
): Promise<{ decl: FileSourceDecl; parser: ChunkParser; ranges: ChunkRange[] } | undefined> {
  if (!parser || decl.kind === 'live' || decl.format !== 'jsonl') return undefined;
  const { size } = await statSource(decl);
  if (size < (parser.minBytes ?? MIN_CHUNKED_BYTES) || (await hasGzipMagic(decl))) return undefined;
  return { decl, parser, ranges: await chunkRanges(decl.path, size, parser.chunkBytes ?? CHUNK_BYTES) };
}

/**
 * Build the index of `decl` by `expr` into a new SQLite file at `dbFile` (which must not exist).
 * `chunker`: where a large groupBy source may be parsed on other threads (see ChunkParser).
 */
export async function buildIndex(
  decl: SourceDecl,
  kind: 'key' | 'groupBy',
  expr: Expr,
  dbFile: string,
  meta: Readonly<Record<string, string>>,
  signal?: AbortSignal,
  snapshot?: SnapshotStore,
  chunker?: () => ChunkParser | undefined,
): Promise<BuildStats> {
  const started = performance.now();
  const evaluate = keyEvaluator(expr);
  const db = new Database(dbFile);
  try {
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('locking_mode = EXCLUSIVE');
    // The page cache is the build's own memory, part of a plan's peak: 64 MB held the whole index of
    // 100k tickets × 10 (+20 MB of RSS over 10k). Records in key order need few pages at a time: the
    // same build time with 16 MB; 600k records in random key order build 15-25% slower, 40-70 MB
    // smaller.
    db.pragma('cache_size = -16384');
    db.exec(SCHEMA);
    if (kind === 'groupBy') db.exec('CREATE TABLE digests (k TEXT PRIMARY KEY, d TEXT NOT NULL) WITHOUT ROWID');
    const digests = kind === 'groupBy' ? new GroupDigests(db.prepare('INSERT OR IGNORE INTO digests (k, d) VALUES (?, ?)')) : undefined;
    const insert = db.prepare('INSERT INTO recs (k, line, idx, json, off, len) VALUES (?, ?, ?, ?, ?, ?)');
    // Many rows per statement: fewer calls across the native boundary (about a third faster).
    const insertMany = db.prepare(`INSERT INTO recs (k, line, idx, json, off, len) VALUES ${Array(ROWS_PER_INSERT).fill('(?, ?, ?, ?, ?, ?)').join(', ')}`);
    let spans = 0;
    const flush = db.transaction((rows: Row[], last: boolean) => {
      let i = 0;
      for (; i + ROWS_PER_INSERT <= rows.length; i += ROWS_PER_INSERT) insertMany.run(rows.slice(i, i + ROWS_PER_INSERT).flat());
      for (; i < rows.length; i++) insert.run(rows[i]!);
      digests?.write(last);
    });
    const diags = new Diagnostics();
    let batch: Row[] = [];
    let records = 0;
    let rows = 0;
    const push = (row: Row): void => {
      batch.push(row);
      if (batch.length >= BATCH_ROWS) {
        flush(batch, false);
        batch = [];
      }
    };
    const addItem = async (item: JsonlItem): Promise<void> => {
      if (!item.ok) {
        diags.add(item.error);
        return;
      }
      records++;
      let value: unknown;
      try {
        value = evaluate(item.record);
        if (isThenable(value)) value = await value;
      } catch (e) {
        diags.add(recordError('source.key-error', `${kind} expression \`${expr.text}\` failed: ${messageOf(e)}; the record is not indexed`, item.location, expr));
        return;
      }
      const keys = keysOf(value, kind);
      if (!keys.ok) {
        diags.add(recordError('source.key-not-scalar', `${kind} expression \`${expr.text}\` ${keys.reason}; the record is not indexed`, item.location, expr));
        return;
      }
      if (keys.keys.length === 0) return;
      const json = item.raw ?? JSON.stringify(item.record);
      const line = item.location.line ?? null;
      // groupBy only: a key index is looked up one record at a time (a read of the export each, where a
      // copy is in SQLite's page cache), and a re-plan fingerprints every look-up: measured, a re-plan of
      // 2,000 threads spent 0.15 s of its 1.3 s in such reads. Grouped records are read together.
      const span = kind === 'groupBy' ? item.span : undefined;
      if (span) spans++;
      digests?.add(keys.keys, json);
      rows += keys.keys.length;
      for (const k of keys.keys) push(span ? [k, line, item.location.index, null, span.offset, span.length] : [k, line, item.location.index, json, null, null]);
    };
    const chunks = kind === 'groupBy' ? await chunkedSource(decl, chunker?.()) : undefined;
    /** Chunks parsed elsewhere, of all. */
    let parsedElsewhere = 0;
    if (chunks) {
      // Parsed by other threads, chunk by chunk; this one writes the rows in file order.
      const { parser, ranges } = chunks;
      const bytes = RecordBytes.open(chunks.decl.path, undefined, sourceLabel(decl));
      try {
        const inFlight: Array<Promise<ChunkResult>> = [];
        let next = 0;
        let linesBefore = 0;
        let itemsBefore = 0;
        for (const range of ranges) {
          while (next < ranges.length && inFlight.length < parser.inFlight) {
            // A chunk that cannot be parsed there (a worker that failed) is read here instead.
            inFlight.push(parser.parse(decl.name, ranges[next++]!).catch((): ChunkResult => ({ clean: false })));
          }
          const res = await inFlight.shift()!;
          signal?.throwIfAborted();
          if (!res.clean) {
            // Problems, or a chunk not parsed: read here, as a whole file is, to report them alike.
            const counts = { lines: linesBefore };
            let items = 0;
            try {
              for (const item of readJsonlRangeSync(chunks.decl, { ...range, linesBefore, itemsBefore }, counts)) {
                items++;
                await addItem(item);
                signal?.throwIfAborted();
              }
            } catch (e) {
              rethrow(chunks.decl, e, signal);
            }
            linesBefore = counts.lines;
            itemsBefore += items;
            continue;
          }
          parsedElsewhere++;
          const n = res.keys.length;
          records += res.items;
          rows += n;
          spans += res.grouped;
          if (res.multi) digests!.stop();
          const runs = res.runStarts.length;
          for (let j = 0; j < runs; j++) {
            const from = res.runStarts[j]!;
            const to = j + 1 < runs ? res.runStarts[j + 1]! : n;
            // The first and last runs may go on in the chunks around: their records are digested here,
            // where a run is followed across chunks; the others are whole.
            if (j === 0 || j === runs - 1) {
              for (let r = from; r < to; r++) digests!.add([res.keys[r]!], LINE_TEXT.decode(bytes.read(res.offset[r]!, res.length[r]!)));
            } else digests!.closedRun(res.keys[from]!, res.runDigests[j]!);
          }
          for (let r = 0; r < n; r++) push([res.keys[r]!, linesBefore + res.line[r]!, itemsBefore + res.index[r]!, null, res.offset[r]!, res.length[r]!]);
          linesBefore += res.lines;
          itemsBefore += res.items;
        }
      } finally {
        bytes.close();
      }
    } else {
      for await (const item of readSourceItems(decl, { signal, raw: true, ...(snapshot ? { snapshot } : {}) })) await addItem(item);
    }
    flush(batch, true);
    db.exec('CREATE INDEX recs_k ON recs (k)');
    if (kind === 'key') reportDuplicates(db, decl, expr, diags);
    else if (!digests!.contiguous) {
      const bytes = spans > 0 && decl.kind !== 'live' ? RecordBytes.open(decl.path, undefined, sourceLabel(decl)) : undefined;
      try {
        saveGroupDigests(db, bytes);
      } finally {
        bytes?.close();
      }
    }
    saveDiagnostics(db, diags);
    const ms = performance.now() - started;
    const all: Record<string, string> = {
      ...meta,
      format_version: String(INDEX_FORMAT_VERSION),
      records: String(records),
      rows: String(rows),
      error_count: String(diags.count),
      build_ms: String(Math.round(ms)),
      ...(digests ? { digests: digests.contiguous ? 'inline' : 'pass' } : {}),
      // Rows kept by their place in the source file, which the index then reads (see RecordBytes).
      spans: String(spans),
      // The chunks parsed on other threads, of all (see index-chunks.ts).
      ...(chunks ? { chunks: `${parsedElsewhere}/${chunks.ranges.length}` } : {}),
      complete: '1',
    };
    const setMeta = db.prepare('INSERT OR REPLACE INTO meta (k, v) VALUES (?, ?)');
    db.transaction(() => {
      for (const [k, v] of Object.entries(all)) setMeta.run(k, v);
    })();
    return { records, rows, errorCount: diags.count, ms };
  } finally {
    db.close();
  }
}
