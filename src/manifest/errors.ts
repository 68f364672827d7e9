/** The error thrown by `loadManifest`: every problem found in one pass. */
import { PmError } from '../core/errors.js';

export class ManifestError extends PmError {
  readonly problems: readonly PmError[];

  constructor(file: string, problems: readonly PmError[]) {
    const n = problems.length;
    super('manifest.invalid', `the manifest has ${n} problem${n === 1 ? '' : 's'}`, {
      location: { file },
      hint: 'each problem names its place as file:line:col; `plain-migrate validate` checks the manifest without touching the target',
    });
    this.name = 'ManifestError';
    this.problems = sortProblems(problems);
  }
}

/** By line, then column; problems without a line come first (they concern the whole file). */
export function sortProblems(problems: readonly PmError[]): PmError[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => {
      const la = a.p.location?.line ?? 0;
      const lb = b.p.location?.line ?? 0;
      if (la !== lb) return la - lb;
      const ca = a.p.location?.col ?? 0;
      const cb = b.p.location?.col ?? 0;
      return ca !== cb ? ca - cb : a.i - b.i;
    })
    .map(({ p }) => p);
}
