/**
 * `plain-migrate pull`: brings the snapshot of the manifest's live sources up to date (under the state's
 * lock). `plan` and `apply` run the same step first unless --offline; `apply PLANFILE` never does.
 */
import { PmError } from '../../core/errors.js';
import type { Manifest } from '../../manifest/types.js';
import { liveSources, pullLive, type PullResult } from '../../sources/live/pull.js';
import type { StateStore } from '../../state/types.js';
import { createPullRenderer } from '../../ui/pull/renderer.js';
import type { PullSummaryLine } from '../../ui/pull/format.js';
import { outputMode } from '../options.js';
import type { OutputMode } from '../../ui/renderer.js';
import type { Io, OutStream } from '../io.js';
import { plural } from '../../ui/format.js';
import { loadFromArgs, openStateForApply } from '../session.js';
import type { GlobalFlags } from '../options.js';

export type PullFlags = GlobalFlags;

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || e.name === 'TimeoutError') && !(e instanceof PmError);
}

/** One line per stream: what the snapshot holds now. */
export async function snapshotLines(manifest: Manifest, state: StateStore): Promise<string[]> {
  const lines: string[] = [];
  const seen = new Set<string>();
  for (const s of liveSources(manifest)) {
    if (seen.has(s.snapshotStream)) continue;
    seen.add(s.snapshotStream);
    const info = await state.snapshot.stream(s.snapshotStream);
    if (!info) lines.push(`  ${s.snapshotStream}: nothing pulled yet`);
    else lines.push(`  ${s.snapshotStream}: ${plural(info.records, 'record')}${info.deleted ? ` (${info.deleted} deleted in the helpdesk)` : ''}${info.complete ? '' : ' — not yet pulled to its end'}`);
  }
  return lines;
}

/**
 * Pull every live source of the manifest into `state`'s snapshot, showing progress on `out`. The caller
 * holds the state's lock. An interrupted or failed pull keeps every page it committed.
 */
export async function pullStep(io: Io, manifest: Manifest, state: StateStore, mode: OutputMode, out: OutStream, interrupt: AbortSignal): Promise<PullResult> {
  // A lost state lock (PostgreSQL: its connection died) stops the pull like Ctrl-C, with its own reason.
  const signal = AbortSignal.any([interrupt, state.lockLost]);
  const renderer = createPullRenderer(mode, { stdout: out, stderr: io.err, env: io.env });
  let summary: PullSummaryLine = { outcome: 'failed' };
  try {
    const result = await pullLive({ manifest, snapshot: state.snapshot, env: io.env, signal, emit: (e) => renderer.on(e) });
    summary = { outcome: 'completed', requests: result.requests, rateLimited: result.rateLimited };
    return result;
  } catch (e) {
    if (state.lockLost.aborted) {
      summary = { outcome: 'failed', reason: (state.lockLost.reason as Error).message };
      throw state.lockLost.reason;
    }
    if (signal.aborted && isAbort(e)) {
      summary = { outcome: 'interrupted', reason: 'interrupted; every committed page is kept' };
      throw new PmError('pull.interrupted', 'the pull was interrupted; every page it committed is kept', { hint: 'run it again: it resumes from the last committed page of each stream' });
    }
    summary = { outcome: 'failed', reason: e instanceof Error ? e.message : String(e) };
    throw e;
  } finally {
    await renderer.close(summary);
  }
}

/** Ctrl-C (SIGINT/SIGTERM) aborts `signal` until `dispose()` (plan's pull step). */
export function interruptOnce(io: Io): { signal: AbortSignal; dispose(): void } {
  const ac = new AbortController();
  const onSig = () => {
    io.err.write('\nInterrupt: stopping the pull (every committed page is kept)…\n');
    ac.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  return {
    signal: ac.signal,
    dispose: () => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    },
  };
}

export function hasLiveSources(manifest: Manifest): boolean {
  return liveSources(manifest).length > 0;
}

export async function pullCommand(io: Io, opts: PullFlags, signal: AbortSignal): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  if (!hasLiveSources(manifest)) {
    throw new PmError('pull.nothing', `the manifest ${manifest.file} has no live sources: every source is a file`, {
      hint: 'a source with connection: (and a connections: entry) or command: is pulled; files are read as they are',
    });
  }
  const mode = outputMode(opts.output);
  const { state } = await openStateForApply(manifest);
  let lock: { runId: number } | undefined;
  try {
    lock = await state.acquireLock(`pull ${manifest.name}`);
    const result = await pullStep(io, manifest, state, mode, io.out, signal);
    const requests = Object.values(result.requests).reduce((a, b) => a + b, 0);
    const human = mode === 'json' ? io.err : io.out;
    human.write(`\nThe snapshot now holds:\n${(await snapshotLines(manifest, state)).join('\n')}\n`);
    await state.releaseLock(lock.runId, 'pulled', { requests });
    lock = undefined;
    return 0;
  } finally {
    if (lock) await state.releaseLock(lock.runId, signal.aborted ? 'interrupted' : 'failed', {});
    await state.close();
  }
}
