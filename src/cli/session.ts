/** Wires manifest → state → source indexes for plan and apply. */
import { resolve } from 'node:path';
import { Stopped } from '../http/runner.js';
import { PmError } from '../core/errors.js';
import { isLoopbackUrl, loadManifest } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { PlanCache } from '../plan/cache.js';
import type { PlanSpool } from '../plan/spool.js';
import { indexCacheDir, openIndexes, Planner } from '../plan/plan.js';
import { TargetIdentities } from '../plan/identities.js';
import { MappingPool } from '../plan/pool.js';
import { PlanTally } from '../plan/tally.js';
import type { PlanSummary } from '../plan/types.js';
import type { RemoteAttributes } from '../plan/diff.js';
import { RemoteSnapshot } from '../refresh/refresh.js';
import { liveKinds } from '../sources/live/registry.js';
import { openState, type OpenedState } from '../state/open.js';
import type { RecordedError, StateStore } from '../state/types.js';
import { adapterFor } from '../targets/registry.js';
import { TargetError, type Target } from '../targets/types.js';
import type { Io } from './io.js';

export const DEFAULT_MANIFEST = 'plain-migrate.yaml';

export async function loadFromArgs(io: Io, file: string | undefined): Promise<Manifest> {
  return loadManifest(resolve(io.cwd, file ?? DEFAULT_MANIFEST), { env: io.env, liveKinds });
}

/** State for reading: the recorded state if there is one, else an empty one in memory (plan never creates state). */
export function openStateForPlan(manifest: Manifest): Promise<OpenedState> {
  return openState(manifest, 'read');
}

/** State for apply and pull: created when missing. */
export function openStateForApply(manifest: Manifest): Promise<OpenedState> {
  return openState(manifest, 'write');
}

/** The target as printed in headers and plan files: kind and endpoint, never a key. */
export function targetLabel(manifest: Manifest): string {
  return `${manifest.target.kind} ${adapterFor(manifest.target).endpoint}`;
}

/** The target's name in messages ("Plain", "There There"). */
export function targetName(manifest: Manifest): string {
  return adapterFor(manifest.target).capabilities.displayName;
}

export function makeTarget(manifest: Manifest, env: NodeJS.ProcessEnv = process.env): Target {
  const adapter = adapterFor(manifest.target);
  // Node would skip certificate checks for every HTTPS request: never for a real target.
  if (env.NODE_TLS_REJECT_UNAUTHORIZED === '0' && !isLoopbackUrl(adapter.endpoint)) {
    throw new PmError(
      'target.tls-disabled',
      `NODE_TLS_REJECT_UNAUTHORIZED=0 turns off TLS certificate checks; plain-migrate will not send support history to ${adapter.endpoint} without them`,
      { hint: 'unset NODE_TLS_REJECT_UNAUTHORIZED (for a corporate proxy, add its CA with NODE_EXTRA_CA_CERTS=/path/to/ca.pem)' },
    );
  }
  return adapter.create({ requestTimeoutMs: manifest.batching.requestTimeoutMs });
}

/** How a plan ran (plan --json: `cache` and `mapping`). */
export interface PlanRunStats {
  /** Threads the plan cache found unchanged, spared from mapping. */
  readonly cacheHits: number;
  /** Worker threads that mapped records (0: the main thread mapped them all). */
  readonly workers: number;
  /** Records mapped by those workers. */
  readonly mappedInWorkers: number;
  /** The workers were started while the indexes were built (a large source to index; see EARLY_POOL_BYTES). */
  readonly startedWhileIndexing: boolean;
}

export interface PlanRunOptions {
  readonly signal?: AbortSignal;
  readonly remote?: (address: string) => RemoteAttributes | null | undefined;
  readonly overwriteConflicts?: boolean;
  readonly targets?: readonly string[];
  readonly limit?: number;
  /** Keep every item for apply to carry out without planning again. */
  readonly spool?: PlanSpool;
  /** Told how many threads the plan cache spared from mapping, and how the records were mapped (for plan --json and tests). */
  readonly onStats?: (stats: PlanRunStats) => void;
  /** Where the API key comes from when the plan must look up label types, users or thread fields. */
  readonly env?: NodeJS.ProcessEnv;
  /** Do not stop when an expression fails alike on the first records (plan/apply --keep-going). */
  readonly keepGoing?: boolean;
  /** Threads that map records (--workers; default 1: the main thread only). */
  readonly workers?: number;
}

/** plan --refresh / apply --refresh: what the target has today for every recorded thread. */
export async function refreshRemote(io: Io, manifest: Manifest, state: StateStore, signal: AbortSignal): Promise<RemoteSnapshot> {
  const target = makeTarget(manifest, io.env);
  const name = targetName(manifest);
  io.err.write(`Refreshing: reading the recorded threads from ${name}…\n`);
  try {
    const snap = await RemoteSnapshot.read({ state, target, batching: manifest.batching, stop: signal, cancel: signal, emit: () => undefined });
    // Requests by the client's own operation names: all of a refresh's requests are reads.
    const reads = Object.values(target.requestCounts()).reduce((a, b) => a + b, 0);
    io.err.write(`Refreshed ${snap.threads} threads in ${reads} requests (${snap.missing} no longer in ${name}).\n\n`);
    return snap;
  } catch (e) {
    if (e instanceof TargetError || (e as { recorded?: RecordedError }).recorded) {
      const rec = e instanceof TargetError ? e.recorded : (e as { recorded: RecordedError }).recorded;
      const auth = /UNAUTHENTICATED|FORBIDDEN|forbidden/.test(rec.code);
      throw new PmError('refresh.failed', `the refresh could not read the threads from ${name}: ${rec.message}`, {
        hint: auth ? 'check the API key or token (it needs to read threads), or plan without --refresh' : `check target.${manifest.target.kind}'s address, or plan without --refresh`,
      });
    }
    if (e instanceof Stopped) throw new PmError('refresh.interrupted', 'the refresh was interrupted; nothing was planned');
    throw e;
  }
}

/**
 * A source this large to index makes the plan start its mapping pool at once, so that the workers load
 * (about a second each) while the index is built instead of after: an export of some thousands of
 * tickets. Smaller plans start it only if they reach POOL_AFTER records to map, as before.
 */
const EARLY_POOL_BYTES = 16 * 1024 * 1024;
const EARLY_POOL_RECORDS = 20_000;

/** Run the whole plan once to count what it would do (no writes; no network unless given a refresh). */
export async function summarisePlan(manifest: Manifest, state: StateStore, o: PlanRunOptions = {}): Promise<PlanSummary> {
  const { spool, onStats, env, ...planOpts } = o;
  const { rules, capabilities: caps } = adapterFor(manifest.target);
  const resolver = new TargetIdentities({ manifest, state, target: () => makeTarget(manifest, env ?? process.env), signal: o.signal, displayName: caps.displayName });
  // A large source to index first: the mapping pool's workers start now and load while it is built.
  let pool: MappingPool | undefined;
  const onBuild = (size: { bytes?: number; records?: number }): void => {
    if (pool || (o.workers ?? 1) < 2) return;
    if ((size.bytes ?? 0) < EARLY_POOL_BYTES && (size.records ?? 0) < EARLY_POOL_RECORDS) return;
    pool = MappingPool.create({ manifest, workers: o.workers!, resolver, env: env ?? process.env, memoAll: !!spool });
  };
  let indexes: Awaited<ReturnType<typeof openIndexes>>;
  try {
    // The pool's workers, started for the build, also parse a large groupBy source's chunks for it.
    indexes = await openIndexes(manifest, state.snapshot, onBuild, () => pool);
  } catch (e) {
    await pool?.close();
    throw e;
  }
  const cache = PlanCache.open(indexCacheDir(manifest));
  try {
    const planner = new Planner({ manifest, state, indexes, cache, memoAll: !!spool, resolver, rules, capabilities: caps, env: env ?? process.env, ...planOpts, ...(pool ? { pool } : {}) });
    const tally = new PlanTally(Math.min(manifest.batching.messagesPerRequest, caps.messagesPerAppend ?? Infinity), caps.messagesInImport);
    for await (const item of planner.items()) {
      tally.add(item);
      spool?.add(item);
    }
    onStats?.({ cacheHits: cache?.hits ?? 0, workers: planner.poolWorkers, mappedInWorkers: planner.mappedInWorkers, startedWhileIndexing: pool !== undefined });
    return tally.summary(planner.filtered, planner.unmapped(), planner.unresolvedAgents());
  } finally {
    cache?.close();
    indexes.close();
    await pool?.close();
  }
}
