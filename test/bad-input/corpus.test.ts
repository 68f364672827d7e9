/**
 * The bad-input corpus: every directory under cases/ is one broken input (a manifest, its data and a
 * case.yaml saying what the CORRECT reaction is). Each case is copied into a temp directory, set up,
 * run through the built CLI (bin/plain-migrate.js → dist/, so `npm run build` first) against an
 * in-process Plain emulator, and checked: exit code, regexes on stderr/stdout, never a stack trace or
 * an internal error, and (untouched) nothing sent to the target and no state created or changed.
 * See README.md in this folder for the case format.
 *
 * The cases are independent (a temp directory each), so CASES_AT_ONCE of them run at a time, each with
 * emulators to itself: it takes one of the kind it needs from a pool and resets it, as it reset the one
 * emulator of that kind when the cases ran one after another.
 */
import { createHash } from 'node:crypto';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const CASES = join(HERE, 'cases');
const BIN = fileURLToPath(new URL('../../bin/plain-migrate.js', import.meta.url));

/** The key the runner passes as PLAIN_API_KEY unless a case says otherwise. */
const API_KEY = 'bad-input-test-key';
const USERS = [
  { id: 'u_01HB924PME9C0YWKW1N4AK3B01', email: 'sara@acme.test', fullName: 'Sara Agent' },
  { id: 'u_01HB924PME9C0YWKW1N4AK3B02', email: 'tom@acme.test', fullName: 'Tom Agent' },
];
const LABEL_TYPES = [
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZA', name: 'billing' },
  { id: 'lt_01HB924PME9C0YWKW1N4AK3BZB', name: 'bug' },
];
const ALL_PERMISSIONS = [
  'attachment:create', 'customer:create', 'customer:edit', 'customer:read', 'customerTenantMembership:create',
  'label:create', 'label:delete', 'labelType:create', 'labelType:read', 'tenant:create', 'tenant:read',
  'thread:assign', 'thread:edit', 'thread:delete', 'thread:import', 'thread:read', 'thread:unassign', 'user:read',
];

type Endpoint = 'emulator' | 'emulator-401' | 'emulator-403' | 'refused' | 'unknown-host';
type Setup = 'corrupt-state' | 'foreign-state' | 'unreadable-state' | 'applied-state' | 'big-message' | 'deep-nesting' | 'long-line-gz';

interface Case {
  description: string;
  command: (string | number)[];
  env?: Record<string, string | null>;
  endpoint?: Endpoint;
  exit: number;
  stderr?: string[];
  stdout?: string[];
  /** regexes that must match stdout + stderr together (when either place is right) */
  output?: string[];
  /** regexes that must match neither stdout nor stderr (e.g. a secret) */
  absent?: string[];
  untouched?: boolean;
  /** weaker than untouched: the target received no mutation (a state file may be written) */
  nothing_sent?: boolean;
  setup?: Setup | Setup[];
  /** what the emulator must hold afterwards; longestMessage: the length of the longest message text */
  target?: { threads?: number; messages?: number; customers?: number; longestMessage?: number };
  /** seconds the CLI may take (default 40) */
  timeout?: number;
}

const STACK = /\n\s+at .+:\d+:\d+/;
const INTERNAL = /internal error/;
const STATE_DB = '.plain-migrate/state.db';

function loadCases(): { name: string; dir: string; spec: Case }[] {
  return readdirSync(CASES)
    .filter((d) => existsSync(join(CASES, d, 'case.yaml')))
    .sort()
    .map((name) => ({ name, dir: join(CASES, name), spec: parseYaml(readFileSync(join(CASES, name, 'case.yaml'), 'utf8')) as Case }));
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((res) => srv.close(() => res()));
  return port;
}

const isMutation = (q: string | null) => !!q && /^\s*(#[^\n]*\n\s*)*mutation\b/.test(q);

function fileDigest(p: string): string | null {
  if (!existsSync(p)) return null;
  const st = statSync(p);
  if (st.isDirectory()) return `dir:${readdirSync(p).sort().join(',')}`;
  try {
    return createHash('sha256').update(readFileSync(p)).digest('hex');
  } catch {
    return `unreadable:${st.size}:${st.mtimeMs}`;
  }
}

/** How many cases run at once (one CLI process each at a time; most of a case is that process starting). */
const CASES_AT_ONCE = 3;
// For this file only (vitest resets it after the file): no case waits for an emulator with its timeout running.
vi.setConfig({ maxConcurrency: CASES_AT_ONCE });

const SEEDS = {
  emulator: { users: USERS, labelTypes: LABEL_TYPES },
  // 401: the key the runner sends is not one of the workspace's keys.
  'emulator-401': { users: USERS, labelTypes: LABEL_TYPES, apiKeys: [{ key: 'some-other-key', permissions: ALL_PERMISSIONS }] },
  // 403: the runner's key lacks thread:import.
  'emulator-403': { users: USERS, labelTypes: LABEL_TYPES, apiKeys: [{ key: API_KEY, permissions: ALL_PERMISSIONS.filter((p) => p !== 'thread:import') }] },
};
type EmulatorKind = keyof typeof SEEDS;

/** Emulators of one kind, each taken by one case at a time (first come, first served) and given back. */
class EmulatorPool {
  private readonly waiting: ((e: PlainEmulator) => void)[] = [];
  constructor(private readonly free: PlainEmulator[]) {}
  take(): Promise<PlainEmulator> {
    const e = this.free.pop();
    return e ? Promise.resolve(e) : new Promise((resolve) => this.waiting.push(resolve));
  }
  give(e: PlainEmulator): void {
    const next = this.waiting.shift();
    if (next) next(e);
    else this.free.push(e);
  }
}

const emulators: PlainEmulator[] = [];
const pools = {} as Record<EmulatorKind, EmulatorPool>;
let refusedUrl: string;
const workdirs: string[] = [];

beforeAll(async () => {
  const cases = loadCases();
  for (const kind of Object.keys(SEEDS) as EmulatorKind[]) {
    // As many as can be in use at once (a good one per running case, as its server or for its set-up apply).
    const wanted = kind === 'emulator' ? CASES_AT_ONCE : Math.min(CASES_AT_ONCE, cases.filter((c) => c.spec.endpoint === kind).length);
    const started = await Promise.all(Array.from({ length: Math.max(1, wanted) }, () => startPlainEmulator({ seed: SEEDS[kind] })));
    emulators.push(...started);
    pools[kind] = new EmulatorPool(started);
  }
  // Only once every emulator listens, so that none of them can be given this port.
  refusedUrl = `http://127.0.0.1:${await closedPort()}/graphql/v1`;
});

/**
 * Runs `body` with this case's emulators, reset: `server` of the kind its endpoint names (a good one for
 * refused/unknown-host, whose mutation count must stay 0), and `emu`, a good one for the set-up applies
 * (server itself when that is a good one).
 */
async function withEmulators(spec: Case, body: (server: PlainEmulator, emu: PlainEmulator) => Promise<void>): Promise<void> {
  const kind: EmulatorKind = spec.endpoint === 'emulator-401' || spec.endpoint === 'emulator-403' ? spec.endpoint : 'emulator';
  const setups = spec.setup === undefined ? [] : Array.isArray(spec.setup) ? spec.setup : [spec.setup];
  const applies = setups.some((s) => s === 'foreign-state' || s === 'unreadable-state' || s === 'applied-state');
  const server = await pools[kind].take();
  const emu = kind !== 'emulator' && applies ? await pools.emulator.take() : server;
  try {
    server.reset();
    emu.reset();
    await body(server, emu);
  } finally {
    pools[kind].give(server);
    if (emu !== server) pools.emulator.give(emu);
  }
}

afterAll(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  for (const d of workdirs) {
    try {
      chmodSync(join(d, STATE_DB), 0o600);
    } catch {
      /* not there */
    }
    rmSync(d, { recursive: true, force: true });
  }
});

function run(args: string[], cwd: string, env: Record<string, string>, timeoutMs: number) {
  return execa(process.execPath, [BIN, ...args], { cwd, env, extendEnv: false, reject: false, stdin: 'ignore', timeout: timeoutMs, forceKillAfterDelay: 1000 });
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;

describe('bad input', { concurrent: true }, () => {
  const cases = loadCases();
  it('has at least 50 cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(50);
  });

  for (const { name, dir, spec } of cases) {
    const timeoutS = spec.timeout ?? 40;
    it(`${name}: ${spec.description}`, { timeout: (timeoutS + 20) * 1000 }, ({ expect }) => withEmulators(spec, async (server, emu) => {
      const work = mkdtempSync(join(tmpdir(), 'pm-bad-'));
      workdirs.push(work);
      cpSync(dir, work, { recursive: true });
      rmSync(join(work, 'case.yaml'));

      const endpoint =
        spec.endpoint === 'refused' ? refusedUrl : spec.endpoint === 'unknown-host' ? 'http://nonexistent.invalid/graphql/v1' : server.graphqlUrl;
      const env: Record<string, string> = { PLAIN_API_KEY: API_KEY, PLAIN_ENDPOINT: endpoint, PLAIN_MIGRATE_HEARTBEAT_MS: '0', NO_COLOR: '1' };
      for (const [k, v] of Object.entries(spec.env ?? {})) {
        if (v === null) delete env[k];
        else env[k] = String(v);
      }
      const manifest = 'plain-migrate.yaml';
      const statePath = join(work, STATE_DB);

      // ---- set-ups
      const setups = spec.setup === undefined ? [] : Array.isArray(spec.setup) ? spec.setup : [spec.setup];
      for (const s of setups) {
        if (s === 'corrupt-state') {
          mkdirSync(join(work, '.plain-migrate'), { recursive: true });
          writeFileSync(statePath, Buffer.concat([Buffer.from('this is not a database\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + 7) % 256))]));
        } else if (s === 'foreign-state' || s === 'unreadable-state' || s === 'applied-state') {
          // A real state: apply once against the (good) emulator (foreign-state: under another migration name).
          let m = manifest;
          if (s === 'foreign-state') {
            m = 'other-migration.yaml';
            writeFileSync(join(work, m), readFileSync(join(work, manifest), 'utf8').replace(/^name:.*$/m, 'name: another-migration'));
          }
          const pre = await run(['apply', '--auto-approve', '-f', m], work, { ...env, PLAIN_ENDPOINT: emu.graphqlUrl }, 30_000);
          expect(pre.exitCode, `set-up apply failed:\n${pre.stdout}\n${pre.stderr}`).toBe(0);
          expect(existsSync(statePath), 'set-up apply created no state').toBe(true);
          if (s === 'foreign-state') rmSync(join(work, m));
          if (s === 'unreadable-state') {
            if (isRoot) {
              // chmod does not stop root from reading: put a directory where the state file is.
              rmSync(statePath);
              for (const x of readdirSync(join(work, '.plain-migrate'))) if (x.startsWith('state.db')) rmSync(join(work, '.plain-migrate', x), { recursive: true });
              mkdirSync(statePath);
              writeFileSync(join(statePath, 'not-a-database'), 'x');
            } else {
              chmodSync(statePath, 0o000);
            }
          }
        } else if (s === 'big-message') {
          // A 2 MB message body on a new ticket (kept out of the repository).
          const body = 'A very long log paste. '.repeat(Math.ceil((2 * 1024 * 1024) / 23)).slice(0, 2 * 1024 * 1024 - 1) + '.';
          const t = { id: 9, subject: 'Huge log attached', created_at: '2023-03-01T10:00:00Z', email: 'huge@example.com', comments: [{ id: 91, body, created_at: '2023-03-01T10:00:00Z' }] };
          writeFileSync(join(work, 'tickets.jsonl'), readFileSync(join(work, 'tickets.jsonl'), 'utf8') + JSON.stringify(t) + '\n');
        } else if (s === 'deep-nesting') {
          // A ticket nesting 100,000 arrays, inserted as line 2 of tickets.jsonl (kept out of the repository).
          const lines = readFileSync(join(work, 'tickets.jsonl'), 'utf8').split('\n');
          const deep = `{"id":2,"subject":"Deep","created_at":"2023-01-01T10:00:00Z","email":"deep@example.com","comments":[],"x":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
          lines.splice(1, 0, deep);
          writeFileSync(join(work, 'tickets.jsonl'), lines.join('\n'));
        } else if (s === 'long-line-gz') {
          // tickets.jsonl.gz: a 70 MB first line (over the 64 MiB default limit), then the lines of tickets.jsonl,
          // which is removed. About 70 KB compressed, made here rather than kept in the repository.
          const head = Buffer.from('{"id":1,"subject":"');
          const tail = Buffer.from('","created_at":"2023-01-01T10:00:00Z","email":"long@example.com","comments":[]}\n');
          const long = Buffer.alloc(70_000_000, 0x61);
          const rest = readFileSync(join(work, 'tickets.jsonl'));
          writeFileSync(join(work, 'tickets.jsonl.gz'), gzipSync(Buffer.concat([head, long, tail, rest]), { level: 9 }));
          rmSync(join(work, 'tickets.jsonl'));
        } else {
          throw new Error(`unknown setup ${String(s)}`);
        }
      }

      const stateBefore = fileDigest(statePath);
      const mutationsBefore = server.requests().filter((r) => isMutation(r.query)).length;

      // ---- run
      const args = spec.command.map(String);
      if (!args.includes('-f') && !args.includes('--file')) args.push('-f', manifest);
      const started = Date.now();
      const r = await run(args, work, env, timeoutS * 1000);
      const took = Date.now() - started;
      const stdout = String(r.stdout ?? '');
      const stderr = String(r.stderr ?? '');
      const report = `$ plain-migrate ${args.join(' ')}   (exit ${r.exitCode}${r.timedOut ? ', TIMED OUT' : ''}, ${took} ms)\n--- stdout\n${stdout.slice(0, 3000)}\n--- stderr\n${stderr.slice(0, 3000)}`;

      if (process.env.BAD_INPUT_VERBOSE) console.log(`[${name}]\n${report}\n`);
      const failures: string[] = [];
      if (r.timedOut) failures.push(`did not finish within ${timeoutS} s`);
      if (r.exitCode !== spec.exit) failures.push(`exit ${r.exitCode}, expected ${spec.exit}`);
      for (const re of spec.stderr ?? []) if (!new RegExp(re).test(stderr)) failures.push(`stderr does not match /${re}/`);
      for (const re of spec.stdout ?? []) if (!new RegExp(re).test(stdout)) failures.push(`stdout does not match /${re}/`);
      for (const re of spec.output ?? []) if (!new RegExp(re).test(`${stdout}\n${stderr}`)) failures.push(`output does not match /${re}/`);
      for (const re of spec.absent ?? []) if (new RegExp(re).test(`${stdout}\n${stderr}`)) failures.push(`output matches /${re}/, which must not appear`);
      for (const [label, text] of [['stdout', stdout], ['stderr', stderr]] as const) {
        if (STACK.test(text)) failures.push(`${label} contains a stack trace`);
        if (INTERNAL.test(text)) failures.push(`${label} contains "internal error"`);
      }
      if (spec.untouched || spec.nothing_sent) {
        const sent = server.requests().filter((x) => isMutation(x.query)).length - mutationsBefore;
        if (sent > 0) failures.push(`the target received ${sent} mutation(s)`);
      }
      if (spec.untouched) {
        const after = fileDigest(statePath);
        if (after !== stateBefore) failures.push(stateBefore === null ? `${STATE_DB} was created` : `${STATE_DB} was changed`);
      }
      if (spec.target) {
        const snap = server.snapshot();
        const got = {
          threads: snap.threads.length,
          messages: snap.threads.reduce((n, t) => n + t.messages.length, 0),
          customers: snap.customers.length,
          longestMessage: Math.max(0, ...snap.threads.flatMap((t) => t.messages.map((m) => m.text.length))),
        };
        for (const k of ['threads', 'messages', 'customers', 'longestMessage'] as const) {
          if (spec.target[k] !== undefined && spec.target[k] !== got[k]) failures.push(`the target holds ${got[k]} ${k}, expected ${spec.target[k]}`);
        }
      }
      expect(failures, report).toEqual([]);
    }));
  }
});
