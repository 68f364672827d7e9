/**
 * `openSourceIndex`: the on-disk index behind `$record` (key) and `$records` (groupBy).
 *
 * One SQLite file per (source path, size, mtime, inode, format options, kind, expression) in `cacheDir`,
 * named `<source>.<kind>.<path hash>.<fingerprint hash>.sqlite`. A complete file is reused as is by a later
 * `plan`/`apply`; a missing, incomplete or unreadable one is (re)built into a temporary file and renamed into
 * place, so readers never see a half-built index. Older files for the same source and kind are removed
 * after a successful build. Lookups are synchronous (prepared statements), parsed results are kept in a
 * small LRU, and records are never all held in memory.
 */
import { createHash, hash, randomBytes } from 'node:crypto';
import { existsSync, unlinkSync } from 'node:fs';
import { mkdir, readdir, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PmError } from '../core/errors.js';
import { sourceLabel, type Expr, type LiveSourceDecl, type SourceDecl } from '../manifest/types.js';
import type { SnapshotStore } from '../state/types.js';
import { messageOf } from './diagnostics.js';
import { buildIndex, INDEX_FORMAT_VERSION, loadDiagnostics, type ChunkParser } from './index-build.js';
import { MAX_DEPTH, recordLimit } from './limits.js';
import { Lru } from './lru.js';
import { pulledStream } from './live/read.js';
import { statSource } from './open.js';
import { RecordBytes, sameVersion, type FileVersion } from './record-bytes.js';
import type { SourceIndex } from './types.js';

/** How much one open index keeps in memory: parsed records (not bytes) in its LRU, and SQLite's page cache. */
export interface IndexMemory {
  readonly cacheWeight: number;
  readonly pageCacheMb: number;
}

/** Fingerprints an index remembers: about 2 MB. */
const FINGERPRINTS_KEPT = 20_000;
/** Records (not bytes) held by the lookup cache of one index. */
const CACHE_WEIGHT = 4_000;
/** Temporary files of crashed builds older than this are removed. */
const STALE_TMP_MS = 24 * 60 * 60 * 1000;

export interface OpenIndexOptions {
  /** Directory for index files (created when missing). */
  cacheDir: string;
  signal?: AbortSignal;
  /** Where live sources' records are (the state's snapshot). */
  snapshot?: SnapshotStore;
  /** Told before an index is built (not when a cached one is reused): the source's size, as far as known. */
  onBuild?: (size: { readonly bytes?: number; readonly records?: number }) => void;
  /** Where a large groupBy source may be parsed on other threads, asked once its build starts (see ChunkParser). */
  chunker?: () => ChunkParser | undefined;
}

/** What `openSourceIndex` returns: a SourceIndex plus facts for diagnostics and tests. */
export interface DiskSourceIndex extends SourceIndex {
  /** Total problems found while indexing (`errors` lists at most the first 100, plus a summary entry). */
  readonly errorCount: number;
  /** Records read from the source when the index was built. */
  readonly recordCount: number;
  /** true when this open built the index; false when a complete cached file was reused. */
  readonly built: boolean;
  /** The index file. */
  readonly file: string;
}

function sha(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40) || 'source';
}

function exprFingerprint(expr: Expr): unknown {
  return expr.constant ? { constant: expr.constant.value ?? null } : { text: expr.text };
}

type RecRow = [json: string | null, off: number | null, len: number | null];

class SqliteSourceIndex implements DiskSourceIndex {
  private readonly one: Database.Statement<[string], RecRow>;
  private readonly all: Database.Statement<[string], RecRow>;
  /** A groupBy index's digest of each group (index-build's saveGroupDigests). */
  private readonly digest: Database.Statement<[string], string> | undefined;
  private readonly cacheOne: Lru<unknown>;
  private readonly cacheAll: Lru<unknown[]>;
  /** Fingerprints by kind and key (see fingerprint). */
  private readonly prints = new Lru<string>(FINGERPRINTS_KEPT);
  /** Where records kept by place are read (opened at the first such look-up). */
  private bytes: RecordBytes | undefined;
  private open = true;

  constructor(
    private readonly db: Database.Database,
    readonly errors: ReadonlyArray<PmError>,
    readonly errorCount: number,
    readonly recordCount: number,
    readonly built: boolean,
    readonly file: string,
    cacheWeight: number,
    /** The source file of records kept by place, the version indexed, and its name for errors. */
    private readonly spans: { readonly file: string; readonly version: FileVersion; readonly label: string } | undefined,
  ) {
    this.cacheOne = new Lru<unknown>(cacheWeight);
    this.cacheAll = new Lru<unknown[]>(cacheWeight);
    this.one = db.prepare<[string], RecRow>('SELECT json, off, len FROM recs WHERE k = ? ORDER BY id LIMIT 1').raw();
    this.all = db.prepare<[string], RecRow>('SELECT json, off, len FROM recs WHERE k = ? ORDER BY id').raw();
    const hasDigests = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'digests'").pluck().get() !== undefined;
    this.digest = hasDigests ? db.prepare<[string], string>('SELECT d FROM digests WHERE k = ?').pluck() : undefined;
  }

  private recordBytes(): RecordBytes {
    if (!this.spans) throw new Error(`index ${this.file} has records kept by place but no source file`);
    this.bytes ??= RecordBytes.open(this.spans.file, this.spans.version, this.spans.label);
    return this.bytes;
  }

  /** The rows' JSON texts, in order: stored ones as they are, the others read from the source file. */
  private texts(rows: readonly RecRow[]): string[] {
    if (rows.every((r) => r[0] !== null)) return rows.map((r) => r[0]!);
    const placed = rows.filter((r) => r[0] === null);
    const read = this.recordBytes().texts(
      placed.map((r) => r[1]!),
      placed.map((r) => r[2]!),
    );
    let i = 0;
    return rows.map((r) => r[0] ?? read[i++]!);
  }

  private parse(rows: readonly RecRow[]): unknown[] {
    const texts = this.texts(rows);
    return texts.map((t, i) => (rows[i]![0] !== null ? (JSON.parse(t) as unknown) : this.recordBytes().parse(t, rows[i]![1]!)));
  }

  get(key: string): unknown | undefined {
    const hit = this.cacheOne.get(key);
    if (hit) return hit.value;
    const row = this.one.get(key);
    const value: unknown = row === undefined ? undefined : this.parse([row])[0];
    this.cacheOne.set(key, value);
    return value;
  }

  fingerprint(key: string, kind: 'one' | 'all'): string {
    // An index file never changes once built: a key's fingerprint is remembered (the same agents and
    // customers are looked up by thread after thread, and a re-plan fingerprints every look-up).
    const memo = `${kind}\u0000${key}`;
    const hit = this.prints.get(memo);
    if (hit) return hit.value;
    let print: string;
    if (kind === 'one') {
      const row = this.one.get(key);
      print = hash('sha1', row === undefined ? '\u0000none' : this.texts([row])[0]!, 'hex');
    } else {
      // The digest the build stored (the same hash of the same bytes), or, without one, the group's records.
      const stored = this.digest?.get(key);
      if (stored !== undefined) print = stored;
      else {
        const h = createHash('sha1');
        if (!this.digest) for (const json of this.texts(this.all.all(key))) h.update(json).update('\n');
        print = h.digest('hex');
      }
    }
    this.prints.set(memo, print);
    return print;
  }

  getAll(key: string): unknown[] {
    const hit = this.cacheAll.get(key);
    if (hit) return hit.value.slice();
    const values = this.parse(this.all.all(key));
    this.cacheAll.set(key, values, Math.max(1, values.length));
    return values.slice();
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.cacheOne.clear();
    this.cacheAll.clear();
    this.prints.clear();
    this.bytes?.close();
    this.db.close();
  }
}

/** The source file and version of an index whose records are kept by place (meta `spans` > 0). */
function spansOf(meta: ReadonlyMap<string, string>, label: string): { file: string; version: FileVersion; label: string } | undefined {
  if (Number(meta.get('spans') ?? 0) === 0) return undefined;
  const source = meta.get('source');
  const f = JSON.parse(meta.get('fingerprint') ?? '{}') as Partial<FileVersion>;
  if (!source || typeof f.size !== 'number' || typeof f.mtimeMs !== 'number' || typeof f.ino !== 'number') throw new Error('an index with records kept by place names no source file');
  return { file: source, version: { size: f.size, mtimeMs: f.mtimeMs, ino: f.ino }, label };
}

/** Open a complete index file read-only; undefined (and the file removed) when it is incomplete or unreadable. */
interface TryOpen {
  /** This open follows its build. */
  readonly built?: boolean;
  readonly memory?: IndexMemory;
  /** Leave an incomplete or unreadable file where it is (a reader that did not build it: a worker). */
  readonly keepBad?: boolean;
}

function tryOpen(file: string, srcFile: string, o: TryOpen = {}): SqliteSourceIndex | undefined {
  const memory = o.memory ?? { cacheWeight: CACHE_WEIGHT, pageCacheMb: 16 };
  const built = !!o.built;
  if (!existsSync(file)) return undefined;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    // No memory map: mapped pages count in the process's RSS and grow with the index file (measured in
    // bench/RESULTS.md); plain reads still go through the OS page cache, and SQLite keeps 16 MB of its own.
    db.pragma('mmap_size = 0');
    db.pragma(`cache_size = -${Math.round(memory.pageCacheMb * 1024)}`);
    // A complete index file is never written again (a rebuild writes another file), so this reader keeps
    // its shared lock from its first read on. Otherwise SQLite takes and drops the lock, and looks for a
    // hot journal and a changed file, around every look-up: ~13 of ~16 µs per look-up, measured on a
    // users index of 33,346 records.
    db.pragma('locking_mode = EXCLUSIVE');
    const rows = db.prepare('SELECT k, v FROM meta').all() as Array<{ k: string; v: string }>;
    const meta = new Map(rows.map((r) => [r.k, r.v]));
    if (meta.get('complete') === '1' && meta.get('format_version') === String(INDEX_FORMAT_VERSION)) {
      const errorCount = Number(meta.get('error_count') ?? 0);
      const errors = loadDiagnostics(db, errorCount, srcFile);
      return new SqliteSourceIndex(db, errors, errorCount, Number(meta.get('records') ?? 0), built, file, memory.cacheWeight, spansOf(meta, srcFile));
    }
  } catch {
    // corrupt or foreign file: rebuilt below
  }
  db?.close();
  if (o.keepBad) return undefined;
  try {
    unlinkSync(file);
  } catch {
    // another process may have replaced it already
  }
  return undefined;
}

/**
 * A complete index file that `openSourceIndex` built, opened read-only again (by a worker of the plan's
 * pool); undefined when it is gone or incomplete.
 */
export function openIndexFile(file: string, label: string, memory?: IndexMemory): DiskSourceIndex | undefined {
  return tryOpen(file, label, { keepBad: true, ...(memory ? { memory } : {}) });
}

/** Remove index files of older versions of the same source and kind, and abandoned temporary files. */
async function removeStale(dir: string, prefix: string, keep: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix) || name === keep) continue;
    const full = path.join(dir, name);
    try {
      if (name.includes('.tmp-')) {
        const st = await stat(full);
        if (now - st.mtimeMs < STALE_TMP_MS) continue;
      } else if (!name.endsWith('.sqlite')) {
        continue;
      }
      await unlink(full);
    } catch {
      // best effort
    }
  }
}

/**
 * The index of `decl` by its `key` or `groupBy` expression, reusing a complete cached index when the source
 * file and the declaration are unchanged. Throws PmError for a missing file, a missing expression or a
 * source that changes while it is being indexed; per-record problems are in `errors`.
 */
export async function openSourceIndex(decl: SourceDecl, kind: 'key' | 'groupBy', opts: OpenIndexOptions): Promise<DiskSourceIndex> {
  const expr = kind === 'key' ? decl.key : decl.groupBy;
  if (!expr) {
    throw new PmError('source.not-indexed', `source "${decl.name}" has no \`${kind}:\` expression, so it cannot be looked up by ${kind}`, {
      location: decl.location,
      path: `sources.${decl.name}`,
      hint: `add \`${kind}: <expression>\` under sources.${decl.name}`,
    });
  }
  if (decl.kind === 'live') return openLiveIndex(decl, kind, expr, opts);
  const st = await statSource(decl);
  const fingerprint = JSON.stringify({
    v: INDEX_FORMAT_VERSION,
    path: decl.path,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
    format: decl.format,
    gzip: decl.gzip,
    select: decl.select ?? null,
    csv: decl.csv ?? null,
    // Which records are indexed depends on the limits: a changed limit rebuilds the index.
    limits: { bytes: recordLimit(decl), depth: MAX_DEPTH },
    kind,
    expr: exprFingerprint(expr),
  });
  return cachedIndex(decl, kind, expr, fingerprint, decl.path, { bytes: st.size }, opts, async () => {
    const after = await statSource(decl);
    if (!sameVersion(after, st)) {
      throw new PmError('source.changed', `source "${decl.name}": ${decl.pathAsWritten} changed while it was being indexed`, {
        location: decl.location,
        path: `sources.${decl.name}.path`,
        hint: 'wait until the export is complete, then run again',
      });
    }
  });
}

/** A live source's index: fingerprinted by its stream's version in the snapshot, rebuilt when a pull changed it. */
async function openLiveIndex(decl: LiveSourceDecl, kind: 'key' | 'groupBy', expr: Expr, opts: OpenIndexOptions): Promise<DiskSourceIndex> {
  const { info } = await pulledStream(decl, opts.snapshot);
  const fingerprint = JSON.stringify({ v: INDEX_FORMAT_VERSION, stream: decl.snapshotStream, seq: info.seq, records: info.records, kind, expr: exprFingerprint(expr) });
  return cachedIndex(decl, kind, expr, fingerprint, decl.snapshotStream, { records: info.records }, opts, async () => undefined);
}

/** The index file named by the fingerprint: reused when present, else built (atomically) and older ones removed. */
async function cachedIndex(
  decl: SourceDecl,
  kind: 'key' | 'groupBy',
  expr: Expr,
  fingerprint: string,
  origin: string,
  /** The source's size, as far as known (told to onBuild). */
  size: Parameters<NonNullable<OpenIndexOptions['onBuild']>>[0],
  opts: OpenIndexOptions,
  checkUnchanged: () => Promise<void>,
): Promise<DiskSourceIndex> {
  const label = sourceLabel(decl);
  const prefix = `${safeName(decl.name)}.${kind}.${sha(origin).slice(0, 8)}.`;
  const name = `${prefix}${sha(fingerprint).slice(0, 20)}.sqlite`;
  const dir = path.resolve(opts.cacheDir);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new PmError('source.cache-unwritable', `cannot create the index cache directory ${opts.cacheDir}: ${messageOf(e)}`, { cause: e });
  }
  const file = path.join(dir, name);
  const cached = tryOpen(file, label);
  if (cached) return cached;

  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    const meta = { source: origin, kind, expression: expr.text, fingerprint };
    opts.onBuild?.(size);
    await buildIndex(decl, kind, expr, tmp, meta, opts.signal, opts.snapshot, opts.chunker);
    await checkUnchanged();
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    // The directory gone under the build (a clean-up that ran meanwhile): said as such, not as a crash.
    if (!(e instanceof PmError) && !existsSync(dir)) {
      throw new PmError('source.cache-unwritable', `the index cache directory ${opts.cacheDir} was removed while the index of source "${decl.name}" was being built`, {
        hint: 'leave .plain-migrate/cache alone while a command runs, then run it again',
        cause: e,
      });
    }
    throw e;
  }
  await removeStale(dir, prefix, name);
  const opened = tryOpen(file, label, { built: true });
  if (!opened) throw new PmError('source.cache-unreadable', `the index just built for source "${decl.name}" (${file}) cannot be opened`);
  return opened;
}
