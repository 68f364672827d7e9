import { createInterface } from 'node:readline/promises';
import { resolve } from 'node:path';
import type { ApplyEvent } from '../../apply/events.js';
import { applyPlan } from '../../apply/executor.js';
import { PmError } from '../../core/errors.js';
import { hashOf } from '../../core/hash.js';
import { PlanCache } from '../../plan/cache.js';
import { indexCacheDir, isQuiet } from '../../plan/plan.js';
import { PlanSpool } from '../../plan/spool.js';
import { hasLiveSources, pullStep } from './pull.js';
import { connectionFetchRules } from '../../sources/live/pull.js';
import { fingerprintSources, readPlanFile, staleReasons, type PlanFile } from '../../plan/planfile.js';
import { hasChanges, strictFailures } from '../../plan/tally.js';
import type { PlanSummary, ThreadPlanItem } from '../../plan/types.js';
import type { RemoteSnapshot } from '../../refresh/refresh.js';
import { formatInvalid, formatPlan, planSummaryLine, unresolvedAgentLine } from '../../ui/format.js';
import { createRenderer } from '../../ui/renderer.js';
import type { Io } from '../io.js';
import { outputMode, positiveInt, workerCount, type GlobalFlags, type PlanningFlags } from '../options.js';
import { loadFromArgs, makeTarget, openStateForApply, refreshRemote, summarisePlan, targetLabel, targetName, type PlanRunOptions } from '../session.js';

export interface ApplyFlags extends GlobalFlags, PlanningFlags {
  autoApprove?: boolean;
  verbose?: boolean;
}

export interface ApplySignals {
  /** Stop scheduling; in-flight requests finish and are committed. */
  stop: AbortSignal;
  /** Cancel in-flight requests too. */
  cancel: AbortSignal;
  /** Where interrupt notices go; apply points it at the renderer while one is showing. */
  say?: (message: string) => void;
}

async function confirm(io: Io, toStderr: boolean): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: toStderr ? process.stderr : process.stdout });
  try {
    const answer = await rl.question('\nDo you want to perform these actions? Only "yes" will be accepted: ');
    return answer.trim() === 'yes';
  } finally {
    rl.close();
    io.out.write('\n');
  }
}

/**
 * Install SIGINT handling: the first Ctrl-C stops scheduling, the second cancels requests in flight.
 * What it says goes to stderr until a renderer takes over (`say`), so a live view is not broken.
 */
export function interruptSignals(io: Io): ApplySignals & { interrupted(): boolean; dispose(): void; say: (message: string) => void } {
  const stop = new AbortController();
  const cancel = new AbortController();
  const handle: { say: (message: string) => void } = {
    say: (message) => void io.err.write(`\n${message}\n`),
  };
  const onSigint = () => {
    if (!stop.signal.aborted) {
      handle.say('Interrupt: finishing the requests in flight and saving state (Ctrl-C again to cancel them)…');
      stop.abort();
    } else {
      handle.say('Interrupt: cancelling the requests in flight…');
      cancel.abort();
    }
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  return {
    get say() {
      return handle.say;
    },
    set say(fn: (message: string) => void) {
      handle.say = fn;
    },
    stop: stop.signal,
    cancel: cancel.signal,
    interrupted: () => stop.signal.aborted,
    dispose: () => {
      process.off('SIGINT', onSigint);
      process.off('SIGTERM', onSigint);
    },
  };
}

function heartbeatMs(env: NodeJS.ProcessEnv): number | undefined {
  const v = env.PLAIN_MIGRATE_HEARTBEAT_MS;
  const n = v === undefined ? NaN : Number(v);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

export async function applyCommand(io: Io, planFile: string | undefined, opts: ApplyFlags, signals: ApplySignals): Promise<number> {
  const saved: PlanFile | undefined = planFile ? await readPlanFile(resolve(io.cwd, planFile)) : undefined;
  const manifest = await loadFromArgs(io, opts.file ?? saved?.manifest.file);
  const mode = outputMode(opts.output);
  // With JSON on stdout, everything for people goes to stderr.
  const human = mode === 'json' ? io.err : io.out;
  if (!saved && !opts.autoApprove && !io.stdinIsTTY) {
    throw new PmError('apply.needs-approval', 'apply asks for confirmation, but standard input is not a terminal', {
      hint: 'run it in a terminal to review the plan and type yes, pass --auto-approve (CI, scripts), or apply a saved plan: plan --out FILE, then apply FILE',
    });
  }
  const planning = saved
    ? { targets: saved.options.targets, limit: saved.options.limit ?? undefined, refresh: saved.options.refresh, overwriteConflicts: saved.options.overwriteConflicts }
    : { targets: opts.target, limit: positiveInt('limit', opts.limit), refresh: !!opts.refresh, overwriteConflicts: !!opts.overwriteConflicts };
  const target = makeTarget(manifest, io.env);
  const { state, isNew } = await openStateForApply(manifest);
  let lock: { runId: number } | undefined;
  let remote: RemoteSnapshot | undefined;
  let spool: PlanSpool | undefined;
  try {
    const taken = await state.acquireLock(`apply ${manifest.name}`);
    lock = taken;
    if (taken.tookOverFrom) {
      const t = taken.tookOverFrom;
      io.err.write(
        `Note: the previous run ('${t.command}', pid ${t.pid} on ${t.host}, started ${t.startedAt}) ended without releasing the state; resuming from what it recorded.\n`,
      );
    }
    // A lost lock (PostgreSQL: its connection died) stops the run as Ctrl-C does: nothing more is sent.
    const stop = AbortSignal.any([signals.stop, state.lockLost]);
    const refuse = async (outcome: string, message: string, hint?: string): Promise<never> => {
      await state.releaseLock(taken.runId, outcome, {});
      lock = undefined;
      throw new PmError(`apply.${outcome}`, message, { hint });
    };
    if (saved) {
      const why = staleReasons(saved, { manifest, state: await state.meta(), stateIsNew: isNew, sources: await fingerprintSources(manifest, state.snapshot) });
      if (why.length > 0) {
        await refuse('stale-plan', `the saved plan ${planFile} is stale: ${why.join('; ')}`, 'make a new plan: plain-migrate plan --out FILE');
      }
    }
    // A saved plan is bound to the snapshot it was made from: apply PLANFILE never pulls.
    if (!saved && !opts.offline && hasLiveSources(manifest)) {
      human.write('Pulling the live sources (apply --offline applies the snapshot as it is)…\n');
      await pullStep(io, manifest, state, mode === 'json' ? 'plain' : mode, mode === 'json' ? io.err : human, signals.stop);
      human.write('\n');
    }
    remote = planning.refresh ? await refreshRemote(io, manifest, state, stop) : undefined;
    const planOpts: PlanRunOptions = {
      signal: stop,
      remote: remote?.get,
      overwriteConflicts: planning.overwriteConflicts,
      targets: planning.targets,
      limit: planning.limit,
      env: io.env,
      workers: workerCount(opts.workers),
      // A saved plan was made in full: planning it again must not stop half-way (a timeout is a matter of luck).
      keepGoing: !!saved || !!opts.keepGoing,
    };
    spool = new PlanSpool();
    const s: PlanSummary = await summarisePlan(manifest, state, { ...planOpts, spool });
    if (saved && s.digest !== saved.summary.digest) {
      await refuse('stale-plan', `the saved plan ${planFile} is stale: what apply would do now differs from the saved plan (e.g. the target changed since its --refresh)`, 'make a new plan: plain-migrate plan --out FILE');
    }
    if (!opts.autoApprove && !saved) human.write(`${formatPlan(s, { verbose: opts.verbose, target: targetName(manifest) })}\n`);
    else human.write(`${planSummaryLine(s)}\n`);
    const strict = strictFailures(s, targetName(manifest));
    if (opts.strict && strict.problems.length > 0) {
      for (const r of s.invalid.items) io.err.write(`${formatInvalid(r)}\n`);
      if (s.invalid.more > 0) io.err.write(`  … and ${s.invalid.more} more\n`);
      for (const a of s.unresolvedAgents) io.err.write(`  ! ${a.email}: ${unresolvedAgentLine(a)}\n`);
      await refuse('refused', `--strict: ${strict.problems.join(', ')}; nothing was sent`, strict.hint);
    }
    if (!saved && !opts.autoApprove) {
      if (!hasChanges(s)) human.write('\nNothing to do.\n');
      else if (!(await confirm(io, mode === 'json'))) {
        await state.releaseLock(taken.runId, 'cancelled', {});
        lock = undefined;
        human.write('Apply cancelled.\n');
        return 1;
      }
    }
    const renderer = createRenderer(mode, {
      stdout: io.out,
      stderr: io.err,
      color: opts.color !== false && !io.env.NO_COLOR,
      heartbeatMs: heartbeatMs(io.env),
      env: io.env,
    });
    const emit = (e: ApplyEvent) => renderer.on(e);
    const previousSay = signals.say;
    signals.say = (reason) => emit({ type: 'stopping', reason });
    emit({
      type: 'start',
      info: {
        migration: manifest.name,
        target: targetLabel(manifest),
        runId: taken.runId,
        requestsPerMinute: manifest.batching.requestsPerMinute,
        concurrency: manifest.batching.concurrency,
        ...(target.capabilities.customers === 'inline' ? { customersInline: true } : {}),
      },
      totals: {
        customers: s.customers.upsert,
        // threads that only receive messages report message events only
        threads: s.threads.create + s.threads.update,
        messages: s.messages.create + s.messages.append,
      },
      at: Date.now(),
    });
    // A thread done in full is remembered by the plan cache, so the next plan need not map it again.
    const cache = PlanCache.open(indexCacheDir(manifest));
    const onThreadDone = async (item: ThreadPlanItem) => {
      if (!cache || !item.memo || !isQuiet(item)) return;
      const row = await state.get(item.address);
      // Only a thread that now has exactly what the plan wanted (every update made, every message in).
      if (!row || row.status !== 'applied' || row.lastError || hashOf(row.applied) !== hashOf(item.desired)) return;
      if (item.send.length > 0) {
        const children = new Map((await state.children(item.address)).map((c) => [c.address, c]));
        if (!item.send.every((m) => children.get(m.address)?.status === 'applied')) return;
      }
      const stamp = await PlanCache.stamp(state, item.address);
      if (stamp) cache.remember(item.memo.recordKey, item.address, item.memo.lookups, stamp, item.recordedMessages + item.send.length);
    };
    // The items the summary planned (and checked) are carried out as they are: no second mapping pass.
    const result = await applyPlan({
      onThreadDone,
      items: spool.items(),
      target,
      state,
      runId: taken.runId,
      batching: manifest.batching,
      stop,
      cancel: signals.cancel,
      emit,
      overwriteConflicts: planning.overwriteConflicts,
      attachments: {
        ...manifest.attachments,
        // The manifest's own rules first; then each connection's credentials for URLs on its origin.
        fetch: [...(manifest.attachments?.fetch ?? []), ...connectionFetchRules(manifest)],
        manifestDir: manifest.dir,
        timeoutMs: manifest.batching.requestTimeoutMs,
      },
    }).finally(() => cache?.close());
    // A file that could not be carried is reported on its message (onSkip: note), or fails it (fail).
    const failed = Object.entries(result.counts).reduce((n, [kind, c]) => n + (kind === 'attachment' ? 0 : c.FAILED), 0);
    const outcome = result.fatal ? 'failed' : result.stopped ? 'interrupted' : failed > 0 ? 'completed-with-failures' : 'completed';
    emit({ type: 'done', outcome, counts: result.counts, requests: result.requests, invalid: result.invalid, at: Date.now() });
    await renderer.close();
    if (previousSay) signals.say = previousSay;
    if (state.lockLost.aborted) {
      // The lock went with its connection: how the run ended is recorded if the database still answers.
      await state.releaseLock(taken.runId, 'lock-lost', {}).catch(() => undefined);
      lock = undefined;
      throw state.lockLost.reason;
    }
    if (!result.stopped && !planning.targets?.length && planning.limit === undefined) await state.forgetInvalidNotSeenIn(taken.runId);
    const flat: Record<string, number> = {};
    for (const [kind, c] of Object.entries(result.counts)) for (const [k, v] of Object.entries(c)) flat[`${kind}.${k}`] = v;
    for (const [op, n] of Object.entries(result.requests)) flat[`requests.${op}`] = n;
    await state.releaseLock(taken.runId, outcome, flat);
    lock = undefined;
    if (result.fatal) {
      io.err.write(`Error: the run stopped: ${result.fatal.message}\n`);
      return 1;
    }
    if (result.stopped) return 130;
    return failed > 0 ? 1 : 0;
  } finally {
    if (lock) await state.releaseLock(lock.runId, 'error', {}).catch(() => undefined);
    remote?.close();
    spool?.close();
    await state.close();
  }
}
