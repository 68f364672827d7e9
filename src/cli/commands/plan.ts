import { relative, resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import { fingerprintSources, PLAN_FORMAT, PLAN_VERSION, writePlanFile, type PlanFile } from '../../plan/planfile.js';
import { hasChanges, strictFailures } from '../../plan/tally.js';
import type { RemoteSnapshot } from '../../refresh/refresh.js';
import { formatPlan } from '../../ui/format.js';
import { formatPlanMarkdown } from '../../ui/plan-markdown.js';
import type { Io } from '../io.js';
import { outputMode, positiveInt, workerCount, type GlobalFlags, type PlanningFlags } from '../options.js';
import { loadFromArgs, openStateForApply, openStateForPlan, refreshRemote, summarisePlan, targetName, type PlanRunStats } from '../session.js';
import { hasLiveSources, interruptOnce, pullStep } from './pull.js';

export interface PlanFlags extends GlobalFlags, PlanningFlags {
  detailedExitcode?: boolean;
  out?: string;
  json?: boolean;
  /** text (default) or markdown (for a pull-request comment). */
  format?: string;
  verbose?: boolean;
}

export async function planCommand(io: Io, opts: PlanFlags): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  const json = opts.json || opts.output === 'json';
  const markdown = opts.format === 'markdown';
  if (markdown && json) throw new PmError('cli.bad-flag', '--format markdown and JSON output (--json, --output json) exclude each other');
  // Only the plan itself on stdout when it is JSON or Markdown: progress and notes go to stderr.
  const human = json || markdown ? io.err : io.out;
  const limit = positiveInt('limit', opts.limit);
  const live = hasLiveSources(manifest);
  // Live sources are pulled first (into the state's snapshot, so the state is created), under the lock.
  const { state, isNew } = live && !opts.offline ? await openStateForApply(manifest) : await openStateForPlan(manifest);
  let remote: RemoteSnapshot | undefined;
  try {
    if (live && !opts.offline) {
      const lock = await state.acquireLock(`pull ${manifest.name}`);
      let outcome = 'failed';
      const interrupt = interruptOnce(io);
      try {
        io.err.write('Pulling the live sources (plan --offline plans on the snapshot as it is)…\n');
        await pullStep(io, manifest, state, outputMode(opts.output === 'json' || json ? 'plain' : opts.output), io.err, interrupt.signal);
        outcome = 'pulled';
      } finally {
        interrupt.dispose();
        await state.releaseLock(lock.runId, outcome, {});
      }
      io.err.write('\n');
    }
    remote = opts.refresh ? await refreshRemote(io, manifest, state, new AbortController().signal) : undefined;
    // Taken before planning: the snapshot the plan reads (a pull meanwhile makes apply PLANFILE refuse it).
    const sources = opts.out ? await fingerprintSources(manifest, state.snapshot) : [];
    let stats: PlanRunStats = { cacheHits: 0, workers: 0, mappedInWorkers: 0, startedWhileIndexing: false };
    const s = await summarisePlan(manifest, state, {
      onStats: (x) => (stats = x),
      remote: remote?.get,
      overwriteConflicts: opts.overwriteConflicts,
      targets: opts.target,
      limit,
      env: io.env,
      keepGoing: !!opts.keepGoing,
      workers: workerCount(opts.workers),
    });
    if (json) {
      const cache = { unchangedNotRemapped: stats.cacheHits };
      const mapping = { workers: stats.workers, recordsMappedInWorkers: stats.mappedInWorkers, startedWhileIndexing: stats.startedWhileIndexing };
      io.out.write(`${JSON.stringify({ format_version: 1, plan: s, cache, mapping })}\n`);
    } else if (markdown) {
      io.out.write(
        formatPlanMarkdown(s, {
          migration: manifest.name,
          target: targetName(manifest),
          manifestFile: relative(io.cwd, manifest.file) || manifest.file,
          ...(opts.out ? { savedTo: opts.out } : {}),
          ...(opts.verbose ? { maxPerKind: 100 } : {}),
        }),
      );
    } else io.out.write(`${formatPlan(s, { verbose: opts.verbose, target: targetName(manifest) })}\n`);
    if (opts.out) {
      const meta = await state.meta();
      const pf: PlanFile = {
        format: PLAN_FORMAT,
        version: PLAN_VERSION,
        createdAt: new Date().toISOString(),
        migration: manifest.name,
        manifest: { file: manifest.file, sha256: manifest.sourceHash },
        state: { lineage: isNew ? null : meta.lineage, serial: isNew ? 0 : meta.serial },
        sources,
        options: { targets: opts.target ?? [], limit: limit ?? null, refresh: !!opts.refresh, overwriteConflicts: !!opts.overwriteConflicts },
        summary: s,
      };
      const out = resolve(io.cwd, opts.out);
      await writePlanFile(out, pf);
      human.write(`\nSaved this plan to ${out}. To carry out exactly this plan: plain-migrate apply ${opts.out}\n`);
    }
    const strict = strictFailures(s, targetName(manifest));
    if (opts.strict && strict.problems.length > 0) {
      throw new PmError('plan.strict', `--strict: ${strict.problems.join(', ')}`, { hint: strict.hint });
    }
    if (opts.detailedExitcode && hasChanges(s)) return 2;
    return 0;
  } finally {
    remote?.close();
    await state.close();
  }
}
