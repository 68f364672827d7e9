import { createInterface } from 'node:readline/promises';
import { applyPlan } from '../../apply/executor.js';
import { PmError } from '../../core/errors.js';
import { openIndexes, Planner } from '../../plan/plan.js';
import { formatNotYetApplied } from '../../plan/support.js';
import { formatCounts, formatPlan } from '../../ui/format.js';
import { PlainRenderer } from '../../ui/plain-renderer.js';
import type { Io } from '../io.js';
import type { RemoteSnapshot } from '../../refresh/refresh.js';
import { loadFromArgs, makeTarget, openStateForApply, refreshRemote, summarisePlan } from '../session.js';

export interface ApplyFlags {
  file?: string;
  autoApprove?: boolean;
  strict?: boolean;
  refresh?: boolean;
  overwriteConflicts?: boolean;
}

export interface ApplySignals {
  /** Stop scheduling; in-flight requests finish and are committed. */
  stop: AbortSignal;
  /** Cancel in-flight requests too. */
  cancel: AbortSignal;
}

async function confirm(io: Io): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = await rl.question('\nDo you want to perform these actions? Only "yes" will be accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
    io.out.write('\n');
  }
}

/** Install SIGINT handling: the first Ctrl-C stops scheduling, the second cancels requests in flight. */
export function interruptSignals(io: Io): ApplySignals & { interrupted(): boolean; dispose(): void } {
  const stop = new AbortController();
  const cancel = new AbortController();
  const onSigint = () => {
    if (!stop.signal.aborted) {
      io.err.write('\nInterrupt: finishing the requests in flight and saving state (Ctrl-C again to cancel them)…\n');
      stop.abort();
    } else {
      io.err.write('\nInterrupt: cancelling the requests in flight…\n');
      cancel.abort();
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    stop: stop.signal,
    cancel: cancel.signal,
    interrupted: () => stop.signal.aborted,
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    },
  };
}

export async function applyCommand(io: Io, opts: ApplyFlags, signals: ApplySignals): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  if (!opts.autoApprove && !io.stdinIsTTY) {
    throw new PmError('apply.needs-approval', 'apply asks for confirmation, but standard input is not a terminal', {
      hint: 'run it in a terminal to review the plan and type yes, or pass --auto-approve (CI, scripts)',
    });
  }
  const target = makeTarget(manifest);
  io.err.write(formatNotYetApplied(manifest));
  const state = openStateForApply(manifest);
  let lock: { runId: number } | undefined;
  let remote: RemoteSnapshot | undefined;
  try {
    const taken = state.acquireLock(`apply ${manifest.name}`);
    lock = taken;
    if (taken.tookOverFrom) {
      io.err.write(
        `Note: the previous run (pid ${taken.tookOverFrom.pid}, started ${taken.tookOverFrom.startedAt}) ended without releasing the state; resuming from what it recorded.\n`,
      );
    }
    remote = opts.refresh ? await refreshRemote(io, manifest, state, signals.stop) : undefined;
    const planOpts = { signal: signals.stop, remote: remote?.get, overwriteConflicts: opts.overwriteConflicts };
    if (!opts.autoApprove || opts.strict) {
      const s = await summarisePlan(manifest, state, planOpts);
      if (!opts.autoApprove) io.out.write(`${formatPlan(s)}\n`);
      if (opts.strict && s.threads.invalid + s.messages.invalid > 0) {
        io.err.write(`Error: --strict: ${s.threads.invalid + s.messages.invalid} invalid record(s); nothing was sent.\n`);
        state.releaseLock(taken.runId, 'refused', {});
        lock = undefined;
        return 1;
      }
      if (!opts.autoApprove && !(await confirm(io))) {
        io.out.write('Apply cancelled.\n');
        state.releaseLock(taken.runId, 'cancelled', {});
        lock = undefined;
        return 1;
      }
    }
    const renderer = new PlainRenderer(io.out);
    const indexes = await openIndexes(manifest);
    let result;
    try {
      const planner = new Planner({ manifest, state, indexes, ...planOpts });
      result = await applyPlan({
        items: planner.items(),
        target,
        state,
        runId: taken.runId,
        batching: manifest.batching,
        stop: signals.stop,
        cancel: signals.cancel,
        emit: renderer.on,
        overwriteConflicts: opts.overwriteConflicts,
      });
    } finally {
      indexes.close();
    }
    const failed = result.counts.customer.FAILED + result.counts.thread.FAILED + result.counts.message.FAILED;
    const outcome = result.fatal ? 'failed' : result.stopped ? 'interrupted' : failed > 0 ? 'completed-with-failures' : 'completed';
    const flat: Record<string, number> = {};
    for (const [kind, c] of Object.entries(result.counts)) for (const [k, v] of Object.entries(c)) flat[`${kind}.${k}`] = v;
    for (const [op, n] of Object.entries(result.requests)) flat[`requests.${op}`] = n;
    state.releaseLock(taken.runId, outcome, flat);
    lock = undefined;
    const requests = Object.entries(result.requests).map(([op, n]) => `${op} ${n}`).join(', ') || 'none';
    io.out.write(`\nApply ${outcome}: ${formatCounts(result.counts)}\n`);
    io.out.write(`Invalid records skipped: ${renderer.invalid}. Requests sent: ${requests}${renderer.retries ? ` (${renderer.retries} retries)` : ''}.\n`);
    if (result.fatal) {
      io.err.write(`Error: the run stopped: ${result.fatal.message}\n`);
      return 1;
    }
    if (result.stopped) return 130;
    return failed > 0 ? 1 : 0;
  } finally {
    if (lock) state.releaseLock(lock.runId, 'error', {});
    remote?.close();
    state.close();
  }
}
