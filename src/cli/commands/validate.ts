import { plural } from '../../ui/format.js';
import type { Io } from '../io.js';
import { positiveInt, type GlobalFlags } from '../options.js';
import { sampleMapping } from '../sample/index.js';
import { loadFromArgs } from '../session.js';

export interface ValidateFlags extends GlobalFlags {
  sample?: string;
}

export async function validateCommand(io: Io, opts: ValidateFlags): Promise<number> {
  const m = await loadFromArgs(io, opts.file);
  const n = positiveInt('sample', opts.sample);
  if (n !== undefined) io.out.write(await sampleMapping(m, n));
  (n !== undefined ? io.err : io.out).write(
    `The manifest ${m.file} is valid: migration '${m.name}', ${plural(Object.keys(m.sources).length, 'source')}, ${plural(Object.keys(m.tables).length, 'table')}, target ${m.target.kind}.\n`,
  );
  return 0;
}
