import { formatNotYetApplied } from '../../plan/support.js';
import { formatPlan } from '../../ui/format.js';
import type { Io } from '../io.js';
import { loadFromArgs, openStateForPlan, summarisePlan } from '../session.js';

export interface PlanFlags {
  file?: string;
  strict?: boolean;
  detailedExitcode?: boolean;
}

export async function planCommand(io: Io, opts: PlanFlags): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  const state = openStateForPlan(manifest);
  try {
    const s = await summarisePlan(manifest, state);
    io.out.write(`${formatNotYetApplied(manifest)}${formatPlan(s)}\n`);
    const invalid = s.threads.invalid + s.messages.invalid;
    if (opts.strict && invalid > 0) {
      io.err.write(`Error: --strict: ${invalid} invalid record(s); fix them or drop --strict.\n`);
      return 1;
    }
    if (opts.detailedExitcode && s.threads.create + s.threads.append > 0) return 2;
    return 0;
  } finally {
    state.close();
  }
}
