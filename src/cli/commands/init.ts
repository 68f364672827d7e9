import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PmError } from '../../core/errors.js';
import { defaultInitFile, INIT_SOURCES, starterManifest, type InitSource } from '../../init/templates.js';
import type { Io } from '../io.js';
import type { GlobalFlags } from '../options.js';

export interface InitFlags extends GlobalFlags {
  from?: string;
  force?: boolean;
}

/** `init [--from HELPDESK]`: write a commented starter manifest. */
export function initCommand(io: Io, opts: InitFlags): number {
  const from = (opts.from ?? 'zendesk') as InitSource;
  if (!INIT_SOURCES.includes(from)) {
    throw new PmError('cli.bad-flag', `--from must be one of ${INIT_SOURCES.join(', ')}, not ${JSON.stringify(opts.from)}`);
  }
  const file = resolve(io.cwd, opts.file ?? defaultInitFile());
  if (existsSync(file) && !opts.force) {
    throw new PmError('init.exists', `${file} already exists`, { hint: 'pass --force to overwrite it, or -f another path' });
  }
  writeFileSync(file, starterManifest(from));
  // The manifest's first line points editors at ./plain-migrate.schema.json: put it there.
  const schema = join(dirname(file), 'plain-migrate.schema.json');
  if (!existsSync(schema)) copyFileSync(fileURLToPath(new URL('../../../plain-migrate.schema.json', import.meta.url)), schema);
  io.out.write(
    `Wrote a starter manifest for ${from} to ${file}.\nNext: put the export files where its sources say, fill the tables, then\n  plain-migrate validate --sample 3\n  plain-migrate plan\n`,
  );
  return 0;
}
