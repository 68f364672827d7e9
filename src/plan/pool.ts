/**
 * The plan's mapping pool: records are mapped (JSONata, HTML conversion, hashing) by worker threads,
 * in batches, through piscina. The plan submits batches in record order and takes their results in
 * the same order, with a bounded number in flight, so memory stays flat and the plan comes out the same
 * as when its own thread maps every record (tested). Workers ask the plan's resolver what they cannot
 * know (users, label types, thread fields) over a BroadcastChannel.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { BroadcastChannel } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { PmError } from '../core/errors.js';
import type { Manifest } from '../manifest/types.js';
import type { IdentityResolver } from '../mapping/resolve.js';
import type { SourceIndexes } from '../mapping/bindings.js';
import type { DiskSourceIndex } from '../sources/index.js';
import type { ChunkParser } from '../sources/index-build.js';
import type { ChunkRange, ChunkResult } from '../sources/index-chunks.js';
import type { RecordLocation } from '../sources/types.js';
import type { IndexChunkTask, MappedRecord, PoolIndexFiles, PoolInit, PoolTask, PoolTaskResult, ResolverCall, ResolverReply } from './pool-protocol.js';

/**
 * V8's heap growing factor while the pool runs, in percent (V8's own default is dynamic, up to 4×).
 * A worker's live heap is small (about 25 MB in a heap snapshot at 10k tickets × 10 comments), but V8
 * lets garbage grow each worker's old space to 130 MB or more before it collects. A hard limit per
 * worker (resourceLimits) would bound it too, but a single allocation past it (one record of tens of
 * MB) aborts the whole process; a smaller growing factor only makes collections more frequent.
 * Measured at 10k × 10 with 2 workers: peak RSS about 570 → 500 MB, in the same time (28 s).
 */
const POOL_HEAP_GROWING_PERCENT = 20;

export interface PoolOptions {
  readonly manifest: Manifest;
  readonly workers: number;
  readonly resolver: IdentityResolver;
  readonly env: Record<string, string | undefined>;
  readonly nowMs?: number;
  readonly memoAll: boolean;
}

/** The worker's compiled file. Under the tests (src/*.ts), the built one in dist/. */
function workerFile(): string | undefined {
  const here = fileURLToPath(import.meta.url);
  const js = here.endsWith('.ts') ? here.replace(/([\\/])src([\\/])plan([\\/])pool\.ts$/, '$1dist$2plan$3pool-worker.js') : here.replace(/pool\.js$/, 'pool-worker.js');
  return existsSync(js) ? js : undefined;
}

function indexFiles(m: ReadonlyMap<string, unknown>): Array<[string, string]> | undefined {
  const out: Array<[string, string]> = [];
  for (const [name, idx] of m) {
    const file = (idx as Partial<DiskSourceIndex>).file;
    if (typeof file !== 'string') return undefined;
    out.push([name, file]);
  }
  return out;
}

export class MappingPool implements ChunkParser {
  private readonly piscina: Piscina;
  private readonly channel: BroadcastChannel;
  /** Errors of the resolver, by the number a worker reports: thrown as they are. */
  private readonly errors = new Map<number, unknown>();
  private files: PoolIndexFiles | undefined;
  private closed = false;

  private constructor(
    o: PoolOptions,
    file: string,
    init: PoolInit,
    /** The number of worker threads. */
    readonly workers: number,
  ) {
    this.channel = new BroadcastChannel(init.channel);
    this.channel.unref();
    this.channel.onmessage = (ev: unknown) => void this.answer((ev as { data: ResolverCall | ResolverReply }).data, o.resolver);
    setFlagsFromString(`--heap-growing-percent=${POOL_HEAP_GROWING_PERCENT}`);
    // piscina (CommonJS) is loaded by the first pool, not by every plan: a re-plan that the plan cache
    // answers, or a small plan, starts none.
    const { Piscina } = createRequire(import.meta.url)('piscina') as typeof import('piscina');
    this.piscina = new Piscina({
      filename: file,
      minThreads: o.workers,
      maxThreads: o.workers,
      concurrentTasksPerWorker: 1,
      idleTimeout: 60_000,
      workerData: init,
    });
  }

  /**
   * A pool whose workers start now and load the manifest (before the indexes they will read exist:
   * see `attach`), or undefined when workers cannot be used here (fewer than 2, no built worker).
   */
  static create(o: PoolOptions): MappingPool | undefined {
    const file = workerFile();
    if (!file || o.workers < 2) return undefined;
    const init: PoolInit = {
      manifestFile: o.manifest.file,
      sourceHash: o.manifest.sourceHash,
      env: { ...o.env },
      ...(o.nowMs !== undefined ? { nowMs: o.nowMs } : {}),
      channel: `plain-migrate-plan-${randomUUID()}`,
      memoAll: o.memoAll,
    };
    return new MappingPool(o, file, init, o.workers);
  }

  /** The indexes the workers look records up in; false when one has no file (the pool cannot be used). */
  attach(indexes: SourceIndexes): boolean {
    const key = indexFiles(indexes.key);
    const groupBy = indexFiles(indexes.groupBy);
    if (!key || !groupBy) return false;
    this.files = { key, groupBy };
    return true;
  }

  private async answer(m: ResolverCall | ResolverReply, resolver: IdentityResolver): Promise<void> {
    if (m.t !== 'call' || this.closed) return;
    let reply: ResolverReply;
    try {
      const value = await resolver[m.method](m.arg);
      reply = { t: 'reply', id: m.id, value };
    } catch (e) {
      const n = this.errors.size + 1;
      this.errors.set(n, e);
      reply = { t: 'reply', id: m.id, error: n };
    }
    if (!this.closed) this.channel.postMessage(reply);
  }

  /** Chunks of an index build in flight at once: enough to keep every worker busy while results are taken in order. */
  get inFlight(): number {
    return this.workers * 2;
  }

  /** ChunkParser: one chunk of a groupBy source's file, parsed by a worker (see index-chunks.ts). */
  async parse(source: string, range: ChunkRange): Promise<ChunkResult> {
    if (this.closed) return { clean: false };
    return (await this.piscina.run({ source, range } satisfies IndexChunkTask, { name: 'indexChunk' })) as ChunkResult;
  }

  /** The batch's results in order. A mapping that fails in the worker fails the plan as it would here. */
  async map(records: ReadonlyArray<{ readonly record: unknown; readonly location: RecordLocation }>): Promise<MappedRecord[]> {
    if (!this.files) throw new Error('MappingPool.map before attach');
    const r = (await this.piscina.run({ records, indexes: this.files } satisfies PoolTask)) as PoolTaskResult;
    if (r.fatal) {
      if (r.fatal.resolverError !== undefined && this.errors.has(r.fatal.resolverError)) throw this.errors.get(r.fatal.resolverError);
      if (r.fatal.pm) throw new PmError(r.fatal.pm.code, r.fatal.pm.message, r.fatal.pm.options);
      const e = new Error(`a worker of the plan failed: ${r.fatal.message ?? 'unknown error'}`);
      if (r.fatal.stack) e.stack = r.fatal.stack;
      throw e;
    }
    return r.outputs;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channel.close();
    await this.piscina.destroy();
    setFlagsFromString('--heap-growing-percent=0'); // V8's default again, for the rest of the command
  }
}
