import { plural } from '../../ui/format.js';
import type { Io } from '../io.js';
import { positiveInt, type GlobalFlags } from '../options.js';
import { sampleMapping } from '../sample/index.js';
import { loadFromArgs, openStateForPlan } from '../session.js';

export interface ValidateFlags extends GlobalFlags {
  sample?: string;
}

export async function validateCommand(io: Io, opts: ValidateFlags): Promise<number> {
  const m = await loadFromArgs(io, opts.file);
  const n = positiveInt('sample', opts.sample);
  if (n !== undefined) {
    // A live source is sampled from the snapshot as the last pull left it (validate never pulls).
    const { state } = await openStateForPlan(m);
    try {
      io.out.write(await sampleMapping(m, n, { snapshot: state.snapshot }));
    } finally {
      await state.close();
    }
  }
  (n !== undefined ? io.err : io.out).write(
    `The manifest ${m.file} is valid: migration '${m.name}', ${plural(Object.keys(m.sources).length, 'source')}, ${plural(Object.keys(m.tables).length, 'table')}, target ${m.target.kind}.\n`,
  );
  return 0;
}
