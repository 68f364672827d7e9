import { resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import { DEFAULT_REQUESTS_PER_MINUTE as FRESHDESK_REQUESTS_PER_MINUTE, loadFreshdeskSeed, startFreshdeskEmulator } from '../../emulators/freshdesk/index.js';
import { DEFAULT_CLIENT_ID as HELPSCOUT_CLIENT_ID, DEFAULT_CLIENT_SECRET as HELPSCOUT_CLIENT_SECRET, DEFAULT_REQUESTS_PER_MINUTE as HELPSCOUT_REQUESTS_PER_MINUTE, loadHelpScoutSeed, startHelpScoutEmulator } from '../../emulators/helpscout/index.js';
import { DEFAULT_REQUESTS_PER_MINUTE as FRONT_REQUESTS_PER_MINUTE, DEFAULT_TOKEN as FRONT_TOKEN, loadFrontSeed, startFrontEmulator } from '../../emulators/front/index.js';
import { DEFAULT_REQUESTS_PER_MINUTE as INTERCOM_REQUESTS_PER_MINUTE, DEFAULT_TOKEN as INTERCOM_TOKEN, loadIntercomSeed, startIntercomEmulator } from '../../emulators/intercom/index.js';
import { DEFAULT_TOKEN as HELPSPOT_TOKEN, DEFAULT_USERNAME as HELPSPOT_USERNAME, DEFAULT_PASSWORD as HELPSPOT_PASSWORD, loadHelpSpotSeed, startHelpSpotEmulator } from '../../emulators/helpspot/index.js';
import { loadPlainSeed, startPlainEmulator } from '../../emulators/plain/index.js';
import { DEFAULT_IMPORT_RATE_LIMIT, loadThereThereSeed, startThereThereEmulator } from '../../emulators/therethere/index.js';
import { DEFAULT_INCREMENTAL_PER_MINUTE, DEFAULT_REQUESTS_PER_MINUTE, loadZendeskSeed, startZendeskEmulator } from '../../emulators/zendesk/index.js';
import type { Io } from '../io.js';
import { EMULATOR_KINDS } from './emulator-kinds.js';

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

/** An emulated helpdesk API (a live source's): what differs between them; startSource does the rest. */
interface SourceEmulator {
  readonly title: string;
  readonly port: number;
  readonly requestsPerMinute: number;
  /** Why --api-rate-limit does not apply (what it has instead). */
  readonly rateNote: string;
  start(io: Io, o: { host: string; port: number; requestsPerMinute: number; latencyMs: number }, seedDir: string | undefined): Promise<{ url: string; close(): Promise<void>; lines: string[] }>;
}

const SOURCE_EMULATORS: Readonly<Record<string, SourceEmulator>> = {
  freshdesk: {
    title: 'Freshdesk',
    port: 4852,
    requestsPerMinute: FRESHDESK_REQUESTS_PER_MINUTE,
    rateNote: 'Freshdesk has --rate-limit',
    async start(io, o, seedDir) {
      const e = await startFreshdeskEmulator({ ...o, seed: seedDir ? await loadFreshdeskSeed(resolve(io.cwd, seedDir)) : undefined });
      return { url: e.url, close: () => e.close(), lines: [`Freshdesk emulator listening on ${e.url}`, 'Auth: Basic fd-emulator-key:X (the API key as the user name)'] };
    },
  },
  helpscout: {
    title: 'Help Scout',
    port: 4853,
    requestsPerMinute: HELPSCOUT_REQUESTS_PER_MINUTE,
    rateNote: 'Help Scout has --rate-limit',
    async start(io, o, seedDir) {
      const e = await startHelpScoutEmulator({ ...o, seed: seedDir ? await loadHelpScoutSeed(resolve(io.cwd, seedDir)) : undefined });
      return {
        url: e.url,
        close: () => e.close(),
        lines: [
          `Help Scout emulator listening on ${e.url}/v2`,
          `Auth: POST ${e.url}/v2/oauth2/token with client_id ${HELPSCOUT_CLIENT_ID}, client_secret ${HELPSCOUT_CLIENT_SECRET} (grant_type client_credentials)`,
        ],
      };
    },
  },
  intercom: {
    title: 'Intercom',
    port: 4854,
    requestsPerMinute: INTERCOM_REQUESTS_PER_MINUTE,
    rateNote: 'Intercom has --rate-limit',
    async start(io, o, seedDir) {
      const e = await startIntercomEmulator({ ...o, seed: seedDir ? await loadIntercomSeed(resolve(io.cwd, seedDir)) : undefined });
      return { url: e.url, close: () => e.close(), lines: [`Intercom emulator listening on ${e.url}`, `Auth: Bearer ${INTERCOM_TOKEN} (with Intercom-Version; /conversations/deleted needs 2.16)`] };
    },
  },
  front: {
    title: 'Front',
    port: 4855,
    requestsPerMinute: FRONT_REQUESTS_PER_MINUTE,
    rateNote: 'Front has --rate-limit',
    async start(io, o, seedDir) {
      const e = await startFrontEmulator({ ...o, seed: seedDir ? await loadFrontSeed(resolve(io.cwd, seedDir)) : undefined });
      return { url: e.url, close: () => e.close(), lines: [`Front emulator listening on ${e.url} (its links and attachments: ${e.companyUrl})`, `Auth: Bearer ${FRONT_TOKEN}`] };
    },
  },
  helpspot: {
    title: 'HelpSpot',
    port: 4856,
    // HelpSpot's API has no rate limit: --rate-limit puts one in front of it.
    requestsPerMinute: 0,
    rateNote: 'HelpSpot has none; --rate-limit puts one in front of it',
    async start(io, o, seedDir) {
      const e = await startHelpSpotEmulator({ ...o, seed: seedDir ? await loadHelpSpotSeed(resolve(io.cwd, seedDir)) : undefined });
      return {
        url: e.url,
        close: () => e.close(),
        lines: [`HelpSpot emulator listening on ${e.url}/api/index.php`, `Auth: Bearer ${HELPSPOT_TOKEN} · Basic ${HELPSPOT_USERNAME}:${HELPSPOT_PASSWORD}`],
      };
    },
  },
};

async function startSource(io: Io, host: string, opts: EmulatorFlags, spec: SourceEmulator): Promise<Running> {
  if (opts.apiRateLimit !== undefined) throw new PmError('cli.bad-flag', `--api-rate-limit goes with --kind therethere (${spec.rateNote})`);
  const e = await spec.start(
    io,
    { host, port: intFlag('port', opts.port, spec.port), requestsPerMinute: intFlag('rate-limit', opts.rateLimit, spec.requestsPerMinute), latencyMs: intFlag('latency', opts.latency, 0) },
    opts.seed,
  );
  return {
    banner: [...e.lines, `Inspect: GET ${e.url}/__emulator/state · GET ${e.url}/__emulator/requests · POST ${e.url}/__emulator/account · Ctrl-C to stop`],
    close: () => e.close(),
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
  const source = SOURCE_EMULATORS[kind];
  const running = source
    ? await startSource(io, host, opts, source)
    : kind === 'therethere'
      ? await startThereThere(io, host, opts)
      : kind === 'zendesk'
        ? await startZendesk(io, host, opts)
        : await startPlain(io, host, opts);
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
