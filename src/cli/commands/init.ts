import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PmError } from '../../core/errors.js';
import { defaultInitFile, INIT_API_SOURCES, INIT_SOURCES, INIT_TARGETS, isInitSource, isInitTarget, starterManifest } from '../../init/templates.js';
import type { Io } from '../io.js';
import type { GlobalFlags } from '../options.js';

export interface InitFlags extends GlobalFlags {
  from?: string;
  /** plain (default) or therethere. */
  target?: string;
  force?: boolean;
  /** Pull from the helpdesk's API (a connection) instead of reading export files. */
  api?: boolean;
}

const TARGET_NAMES = { plain: 'Plain', therethere: 'There There' } as const;
const SECRET_STEP = { plain: 'export PLAIN_API_KEY=…', therethere: 'export THERETHERE_TOKEN=…' } as const;

/** `init [--from HELPDESK] [--target plain|therethere]`: write a commented starter manifest. */
export function initCommand(io: Io, opts: InitFlags): number {
  const from = opts.from ?? 'zendesk';
  if (!isInitSource(from)) {
    throw new PmError('cli.bad-flag', `--from must be one of ${INIT_SOURCES.join(', ')}, not ${JSON.stringify(opts.from)}`);
  }
  const target = opts.target ?? 'plain';
  if (!isInitTarget(target)) {
    throw new PmError('cli.bad-flag', `--target must be ${INIT_TARGETS.join(' or ')}, not ${JSON.stringify(opts.target)}`);
  }
  if (opts.api && !(INIT_API_SOURCES as readonly string[]).includes(from)) {
    throw new PmError('cli.bad-flag', `--api is available for ${INIT_API_SOURCES.join(', ')} (not yet ${from}): use --from ${from} without --api and export its data to files`);
  }
  const file = resolve(io.cwd, opts.file ?? defaultInitFile());
  if (existsSync(file) && !opts.force) {
    throw new PmError('init.exists', `${file} already exists`, { hint: 'pass --force to overwrite it, or -f another path' });
  }
  const text = starterManifest(from, target, { api: !!opts.api });
  writeFileSync(file, text);
  // The manifest's first line points editors at ./plain-migrate.schema.json: put it there.
  const schema = join(dirname(file), 'plain-migrate.schema.json');
  if (!existsSync(schema)) copyFileSync(fileURLToPath(new URL('../../../plain-migrate.schema.json', import.meta.url)), schema);
  io.out.write(
    opts.api
      ? `Wrote a starter manifest for ${from} (pulled from its API) → ${TARGET_NAMES[target]} to ${file}.\nNext: set the connection's baseUrl, export ${connectionSecrets(text).map((v) => `${v}=…`).join(' ')}, fill the tables (every # replace), ${SECRET_STEP[target]}, then\n  plain-migrate pull\n  plain-migrate validate --sample 3\n  plain-migrate plan\n`
      : `Wrote a starter manifest for ${from} → ${TARGET_NAMES[target]} to ${file}.\nNext: put the export files where its sources say, fill the tables (every # replace), ${SECRET_STEP[target]}, then\n  plain-migrate validate --sample 3\n  plain-migrate plan\n`,
  );
  return 0;
}

/** The environment variables the starter's (uncommented) lines read, the target's own aside: the connection's credentials. */
function connectionSecrets(text: string): string[] {
  const names = text
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('#'))
    .flatMap((l) => [...l.replace(/\s#.*$/, '').matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]!));
  return [...new Set(names)].filter((v) => v !== 'PLAIN_API_KEY' && v !== 'THERETHERE_TOKEN');
}
