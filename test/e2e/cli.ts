import { execa, type Options, type ResultPromise } from 'execa';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/plain-migrate.js', import.meta.url));

export interface CliEnv {
  cwd: string;
  endpoint?: string;
  apiKey?: string;
  extraEnv?: Record<string, string>;
}

export function cli(args: string[], e: CliEnv, opts: Options = {}): ResultPromise {
  return execa(process.execPath, [BIN, ...args], {
    cwd: e.cwd,
    reject: false,
    stdin: 'ignore',
    env: {
      PLAIN_API_KEY: e.apiKey ?? 'test-key',
      ...(e.endpoint ? { PLAIN_ENDPOINT: e.endpoint } : {}),
      ...e.extraEnv,
    },
    extendEnv: false,
    ...opts,
  });
}
