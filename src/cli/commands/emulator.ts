import { resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import { loadPlainSeed, startPlainEmulator } from '../../emulators/plain/index.js';
import { DEFAULT_IMPORT_RATE_LIMIT, loadThereThereSeed, startThereThereEmulator } from '../../emulators/therethere/index.js';
import { DEFAULT_INCREMENTAL_PER_MINUTE, DEFAULT_REQUESTS_PER_MINUTE, loadZendeskSeed, startZendeskEmulator } from '../../emulators/zendesk/index.js';
import type { Io } from '../io.js';

export const EMULATOR_KINDS = ['plain', 'therethere', 'zendesk'] as const;
export type EmulatorKind = (typeof EMULATOR_KINDS)[number];

export interface EmulatorFlags {
  kind?: string;
  port?: string;
  host?: string;
  seed?: string;
  rateLimit?: string;
  apiRateLimit?: string;
  latency?: string;
  incrementalLimit?: string;
}

function intFlag(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new PmError('cli.bad-flag', `--${name} must be a whole number ≥ 0, not ${JSON.stringify(v)}`);
  return n;
}

interface Running {
  banner: string[];
  close(): Promise<void>;
}

async function startPlain(io: Io, host: string, opts: EmulatorFlags): Promise<Running> {
  if (opts.apiRateLimit !== undefined) throw new PmError('cli.bad-flag', '--api-rate-limit goes with --kind therethere (Plain has one rate limit: --rate-limit)');
  const seed = opts.seed ? await loadPlainSeed(resolve(io.cwd, opts.seed)) : undefined;
  const emulator = await startPlainEmulator({
    host,
    port: intFlag('port', opts.port, 4849),
    seed,
    rateLimitPerMinute: intFlag('rate-limit', opts.rateLimit, 0),
    latencyMs: intFlag('latency', opts.latency, 0),
  });
  return {
    banner: [`Plain emulator listening on ${emulator.graphqlUrl}`, `Inspect: GET ${emulator.url}/__emulator/state · GET ${emulator.url}/__emulator/requests · Ctrl-C to stop`],
    close: () => emulator.close(),
  };
}

async function startThereThere(io: Io, host: string, opts: EmulatorFlags): Promise<Running> {
  const seed = opts.seed ? await loadThereThereSeed(resolve(io.cwd, opts.seed)) : undefined;
  const emulator = await startThereThereEmulator({
    host,
    port: intFlag('port', opts.port, 4849),
    seed,
    importRateLimitPerMinute: intFlag('rate-limit', opts.rateLimit, DEFAULT_IMPORT_RATE_LIMIT),
    apiRateLimitPerMinute: intFlag('api-rate-limit', opts.apiRateLimit, 0),
    latencyMs: intFlag('latency', opts.latency, 0),
  });
  return {
    banner: [`There There emulator listening on ${emulator.url}/api`, `Inspect: GET ${emulator.url}/__emulator/state · GET ${emulator.url}/__emulator/requests · Ctrl-C to stop`],
    close: () => emulator.close(),
  };
}

async function startZendesk(io: Io, host: string, opts: EmulatorFlags): Promise<Running> {
  if (opts.apiRateLimit !== undefined) throw new PmError('cli.bad-flag', '--api-rate-limit goes with --kind therethere (Zendesk has --rate-limit and --incremental-limit)');
  const seed = opts.seed ? await loadZendeskSeed(resolve(io.cwd, opts.seed)) : undefined;
  const emulator = await startZendeskEmulator({
    host,
    port: intFlag('port', opts.port, 4851),
    seed,
    requestsPerMinute: intFlag('rate-limit', opts.rateLimit, DEFAULT_REQUESTS_PER_MINUTE),
    incrementalPerMinute: intFlag('incremental-limit', opts.incrementalLimit, DEFAULT_INCREMENTAL_PER_MINUTE),
    latencyMs: intFlag('latency', opts.latency, 0),
  });
  return {
    banner: [
      `Zendesk emulator listening on ${emulator.url}`,
      'Auth: Basic admin@acme.test/token:zd-emulator-token · Bearer zd-emulator-oauth',
      `Inspect: GET ${emulator.url}/__emulator/state · GET ${emulator.url}/__emulator/requests · POST ${emulator.url}/__emulator/account · Ctrl-C to stop`,
    ],
    close: () => emulator.close(),
  };
}

export async function emulatorCommand(io: Io, opts: EmulatorFlags): Promise<number> {
  const kind = opts.kind ?? 'plain';
  if (!(EMULATOR_KINDS as readonly string[]).includes(kind)) throw new PmError('cli.bad-flag', `--kind must be ${EMULATOR_KINDS.join(' or ')}, not ${JSON.stringify(kind)}`);
  const host = opts.host ?? '127.0.0.1';
  if (!/^(127\.\d+\.\d+\.\d+|localhost|::1|\[::1\])$/.test(host)) {
    throw new PmError('cli.bad-flag', `the emulator listens on loopback only; --host ${host} is not a loopback address`);
  }
  if (kind !== 'zendesk' && opts.incrementalLimit !== undefined) throw new PmError('cli.bad-flag', '--incremental-limit goes with --kind zendesk');
  const running =
    kind === 'therethere' ? await startThereThere(io, host, opts) : kind === 'zendesk' ? await startZendesk(io, host, opts) : await startPlain(io, host, opts);
  for (const line of running.banner) io.out.write(`${line}\n`);
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}
