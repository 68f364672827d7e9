import { resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import { loadPlainSeed, startPlainEmulator } from '../../emulators/plain/index.js';
import type { Io } from '../io.js';

export interface EmulatorFlags {
  port?: string;
  host?: string;
  seed?: string;
  rateLimit?: string;
  latency?: string;
}

function intFlag(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new PmError('cli.bad-flag', `--${name} must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}

export async function emulatorCommand(io: Io, opts: EmulatorFlags): Promise<number> {
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/.test(host)) {
    throw new PmError('cli.bad-flag', `the emulator listens on loopback only; --host ${host} is not a loopback address`);
  }
  const seed = opts.seed ? await loadPlainSeed(resolve(io.cwd, opts.seed)) : undefined;
  const emulator = await startPlainEmulator({
    host,
    port: intFlag('port', opts.port, 4849),
    seed,
    rateLimitPerMinute: intFlag('rate-limit', opts.rateLimit, 0),
    latencyMs: intFlag('latency', opts.latency, 0),
  });
  io.out.write(`Plain emulator listening on ${emulator.graphqlUrl}\n`);
  io.out.write(`Inspect: GET ${emulator.url}/__emulator/state · GET ${emulator.url}/__emulator/requests · Ctrl-C to stop\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await emulator.close();
  return 0;
}
