import { plural } from '../../ui/format.js';
import type { Io } from '../io.js';
import { loadFromArgs } from '../session.js';

export async function validateCommand(io: Io, opts: { file?: string }): Promise<number> {
  const m = await loadFromArgs(io, opts.file);
  io.out.write(
    `The manifest ${m.file} is valid: migration '${m.name}', ${plural(Object.keys(m.sources).length, 'source')}, ${plural(Object.keys(m.tables).length, 'table')}, target ${m.target.kind}.\n`,
  );
  return 0;
}
