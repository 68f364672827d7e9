/** What the plan and the workers of its mapping pool say to each other, and the work both sides do alike. */
import type { PmError, PmErrorOptions } from '../core/errors.js';
import { hashOf } from '../core/hash.js';
import type { Thread } from '../core/model.js';
import type { SourceIndexes } from '../mapping/bindings.js';
import type { MapOutput } from '../mapping/map.js';
import type { ChunkRange } from '../sources/index-chunks.js';
import type { RecordLocation } from '../sources/types.js';
import { PlanCache, type ResolvedLookup } from './cache.js';

export interface PoolInit {
  readonly manifestFile: string;
  /** The manifest the plan loaded: a worker that reads another one stops the plan. */
  readonly sourceHash: string;
  /** Where ${VAR} reads from (the plan's). */
  readonly env: Record<string, string | undefined>;
  /** The plan's clock when it was given one (tests). */
  readonly nowMs?: number;
  /** The BroadcastChannel the plan's resolver answers on. */
  readonly channel: string;
  /**
   * Digest every mapped thread's look-ups for the plan cache (apply), not only unchanged ones. Without
   * it (a plan, which counts what it would send and never sends it), messages come back without their
   * text (see withoutTexts).
   */
  readonly memoAll: boolean;
}

/** Index files by source: [source, file]. */
export interface PoolIndexFiles {
  readonly key: ReadonlyArray<readonly [string, string]>;
  readonly groupBy: ReadonlyArray<readonly [string, string]>;
}

export interface PoolTask {
  readonly records: ReadonlyArray<{ readonly record: unknown; readonly location: RecordLocation }>;
  /**
   * The indexes to look records up in (the same in every task): sent with the tasks because a pool may
   * start while they are being built (MappingPool.create), so that its workers load meanwhile.
   */
  readonly indexes: PoolIndexFiles;
}

/** A chunk of a groupBy source's file for a worker to parse while the plan builds its index (index-chunks.ts). */
export interface IndexChunkTask {
  readonly source: string;
  readonly range: ChunkRange;
}

export type PoolTaskResult =
  | { readonly outputs: MappedRecord[]; readonly fatal?: undefined }
  | { readonly outputs?: undefined; readonly fatal: { readonly message?: string; readonly stack?: string; readonly resolverError?: number; readonly pm?: PmErrorData } };

/** A PmError as it crosses threads (the plan throws it again as one, printed without a stack). */
export interface PmErrorData {
  readonly code: string;
  readonly message: string;
  readonly options: PmErrorOptions;
}

export function pmErrorData(e: PmError): PmErrorData {
  return { code: e.code, message: e.message, options: { location: e.location, address: e.address, path: e.path, hint: e.hint } };
}

export interface ResolverCall {
  readonly t: 'call';
  readonly id: string;
  readonly method: 'labelType' | 'user' | 'fieldSchema';
  readonly arg: string;
}

export interface ResolverReply {
  readonly t: 'reply';
  readonly id: string;
  readonly value?: unknown;
  /** The plan's number for the error it keeps (errors do not cross threads whole). */
  readonly error?: number;
}

/** The hashes plan compares with the state: the thread's own input, and each message's. */
export interface ThreadHashes {
  readonly thread: string;
  readonly messages: readonly string[];
}

/** A mapped record with what the plan needs of it that can be computed where it was mapped. */
export interface MappedRecord extends MapOutput {
  readonly hashes?: ThreadHashes;
  /** The look-ups with a digest of what they found (PlanCache.resolve), when asked for (memoAll). */
  readonly resolved?: ResolvedLookup[] | null;
}

/** The thread's own input (what importThread sends), without messages: its hash detects changes. */
export function threadInputHash(t: Thread): string {
  const { messages: _messages, ...rest } = t;
  return hashOf(rest);
}

export function threadHashes(t: Thread): ThreadHashes {
  return { thread: threadInputHash(t), messages: t.messages.map((m) => hashOf(m)) };
}

/** The same in a worker and in the plan's own thread, so that both give the same plan. */
export function digestOutput(out: MapOutput, indexes: SourceIndexes, memoAll: boolean): MappedRecord {
  if (out.result.kind !== 'thread') return out;
  const hashes = threadHashes(out.result.thread);
  if (!memoAll || out.result.unresolvedAgents) return { ...out, hashes };
  return { ...out, hashes, resolved: PlanCache.resolve(out.effects.lookups, indexes) ?? null };
}

/**
 * A plan's mapped record as a worker sends it back: its messages' text left out (emptied in place). The
 * plan compares, counts and digests a message by its hash, computed from the text before; only apply
 * sends the text. Most of a result's bytes are text, which the plan's thread would otherwise copy in,
 * hold and collect: measured with 100,000 × 10, about a tenth of the plan's CPU.
 */
export function withoutTexts(out: MappedRecord): MappedRecord {
  if (out.result.kind !== 'thread') return out;
  for (const m of out.result.thread.messages) (m as { text: string }).text = '';
  return out;
}
