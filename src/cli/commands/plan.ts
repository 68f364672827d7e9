import { formatNotYetApplied } from '../../plan/support.js';
import { formatPlan } from '../../ui/format.js';
import type { Io } from '../io.js';
import { hasChanges } from '../../plan/tally.js';
import type { RemoteSnapshot } from '../../refresh/refresh.js';
import { loadFromArgs, openStateForPlan, refreshRemote, summarisePlan } from '../session.js';

export interface PlanFlags {
  file?: string;
  strict?: boolean;
  detailedExitcode?: boolean;
  refresh?: boolean;
  overwriteConflicts?: boolean;
}

export async function planCommand(io: Io, opts: PlanFlags): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  const state = openStateForPlan(manifest);
  let remote: RemoteSnapshot | undefined;
  try {
    remote = opts.refresh ? await refreshRemote(io, manifest, state, new AbortController().signal) : undefined;
    const s = await summarisePlan(manifest, state, { remote: remote?.get, overwriteConflicts: opts.overwriteConflicts });
    io.out.write(`${formatNotYetApplied(manifest)}${formatPlan(s)}\n`);
    const invalid = s.threads.invalid + s.messages.invalid;
    if (opts.strict && invalid > 0) {
      io.err.write(`Error: --strict: ${invalid} invalid record(s); fix them or drop --strict.\n`);
      return 1;
    }
    if (opts.detailedExitcode && hasChanges(s)) return 2;
    return 0;
  } finally {
    remote?.close();
    state.close();
  }
}
