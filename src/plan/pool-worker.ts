/**
 * A worker of the plan's mapping pool (see pool.ts). It loads the same manifest, opens the source
 * indexes the plan already built (read-only, by file) and maps batches of records with its own Mapper;
 * what a mapping did besides its result (unmapped values, agents, the watch's evaluations, look-ups)
 * travels back with it, to be added up by the plan in record order. Questions for the target (users,
 * label types, thread fields) go to the plan's resolver over a BroadcastChannel and are remembered here.
 */
import { BroadcastChannel, threadId, workerData } from 'node:worker_threads';
import { PmError } from '../core/errors.js';
import { loadManifest } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { Mapper } from '../mapping/map.js';
import type { IdentityResolver } from '../mapping/resolve.js';
import type { SourceIndexes } from '../mapping/bindings.js';
import { openIndexFile } from '../sources/index.js';
import { parseChunk, type ChunkResult } from '../sources/index-chunks.js';
import type { SourceIndex } from '../sources/types.js';
import { liveKinds } from '../sources/live/registry.js';
import { adapterFor } from '../targets/registry.js';
import { digestOutput, pmErrorData, withoutTexts, type IndexChunkTask, type PoolIndexFiles, type PoolInit, type PoolTask, type PoolTaskResult, type ResolverCall, type ResolverReply } from './pool-protocol.js';

interface Ready {
  readonly mapper: Mapper;
  readonly indexes: SourceIndexes;
  readonly manifest: Manifest;
}

const init = workerData as PoolInit;
/**
 * A worker's share of the plan's memory: each worker has its own caches, so they are smaller than the
 * main thread's (the OS page cache still serves the index files to all of them).
 */
const WORKER_INDEX_MEMORY = { cacheWeight: 1_000, pageCacheMb: 2 };
let ready: Promise<Ready> | undefined;

/** The first resolver failure, by the plan's number for it: the task reports it, the plan throws its own error object. */
class ResolverFailed extends Error {
  constructor(readonly ref: number) {
    super('the resolver failed');
  }
}

function resolverProxy(): IdentityResolver {
  const channel = new BroadcastChannel(init.channel);
  channel.unref();
  const waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  const answers = new Map<string, Promise<unknown>>();
  let n = 0;
  channel.onmessage = (ev: unknown) => {
    const m = (ev as { data: ResolverReply | ResolverCall }).data;
    if (m.t !== 'reply') return;
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.error !== undefined) w.reject(new ResolverFailed(m.error));
    else w.resolve(m.value);
  };
  const ask = <T>(method: ResolverCall['method'], arg: string): Promise<T> => {
    const key = `${method}\u0000${arg}`;
    let p = answers.get(key);
    if (!p) {
      const id = `${threadId}:${++n}`;
      p = new Promise<unknown>((resolve, reject) => waiting.set(id, { resolve, reject }));
      answers.set(key, p);
      channel.postMessage({ t: 'call', id, method, arg } satisfies ResolverCall);
    }
    return p as Promise<T>;
  };
  return {
    labelType: (name) => ask('labelType', name),
    user: (email) => ask('user', email),
    fieldSchema: (key) => ask('fieldSchema', key),
  };
}

/**
 * The manifest, loaded as soon as the worker starts: a pool may start while the plan still builds the
 * indexes (MappingPool.create), and this part of a worker's start then costs the plan nothing.
 */
const manifestLoaded: Promise<Manifest> = loadManifest(init.manifestFile, { env: init.env, liveKinds }).then((manifest) => {
  if (manifest.sourceHash !== init.sourceHash) {
    throw new Error(`${init.manifestFile} changed while the plan was running; plan again`);
  }
  return manifest;
});
manifestLoaded.catch(() => undefined); // reported by the first task

async function start(files: PoolIndexFiles): Promise<Ready> {
  const manifest = await manifestLoaded;
  const open = (list: PoolIndexFiles['key']): Map<string, SourceIndex> => {
    const m = new Map<string, SourceIndex>();
    for (const [name, file] of list) {
      // The label names the source in an index's own problems, which only the plan reports.
      const idx = openIndexFile(file, name, WORKER_INDEX_MEMORY);
      if (!idx) throw new Error(`the index of source "${name}" (${file}) disappeared while the plan was running; plan again`);
      m.set(name, idx);
    }
    return m;
  };
  const indexes: SourceIndexes = { key: open(files.key), groupBy: open(files.groupBy) };
  const nowMs = init.nowMs;
  const mapper = new Mapper(manifest, indexes, adapterFor(manifest.target).rules, nowMs === undefined ? Date.now : () => nowMs, resolverProxy());
  return { mapper, indexes, manifest };
}

/**
 * One chunk of a groupBy source's file, parsed for the plan's index build (see index-chunks.ts). A
 * worker that cannot (its manifest failed to load, a source not what the plan has) answers `clean:
 * false`, and the plan reads that chunk itself.
 */
export async function indexChunk(task: IndexChunkTask): Promise<ChunkResult> {
  let manifest: Manifest;
  try {
    manifest = await manifestLoaded;
  } catch {
    return { clean: false };
  }
  const decl = manifest.sources[task.source];
  if (!decl || decl.kind === 'live' || !decl.groupBy) return { clean: false };
  return parseChunk(decl, decl.groupBy, task.range);
}

export default async function mapBatch(task: PoolTask): Promise<PoolTaskResult> {
  let r: Ready;
  try {
    ready ??= start(task.indexes);
    r = await ready;
  } catch (e) {
    return { fatal: { message: (e as Error).message ?? String(e) } };
  }
  const outputs: PoolTaskResult['outputs'] = [];
  for (const { record, location } of task.records) {
    try {
      const out = await r.mapper.mapRecord(record, location);
      const digested = digestOutput(out, r.indexes, init.memoAll);
      outputs.push(init.memoAll ? digested : withoutTexts(digested));
    } catch (e) {
      if (e instanceof ResolverFailed) return { fatal: { resolverError: e.ref } };
      if (e instanceof PmError) return { fatal: { pm: pmErrorData(e) } };
      return { fatal: { message: (e as Error).message ?? String(e), stack: (e as Error).stack } };
    }
  }
  return { outputs };
}
