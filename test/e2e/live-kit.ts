/**
 * What the live-source e2e tests share: a workspace (a manifest in a temporary directory) bound to a
 * helpdesk emulator and run by the built CLI with the connection's variables; the snapshot as data; the
 * emulator's requests by operation; the proof that no secret is written to an output or a workspace file;
 * and the SIGKILL routine (killed pulls resume to the snapshot of one uninterrupted pull, and a plan after a
 * killed pull sees no record as gone).
 */
import Database from 'better-sqlite3';
import type { ResultPromise } from 'execa';
import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PlainEmulator } from '../../src/emulators/plain/index.js';
import { loadManifest } from '../../src/manifest/load.js';
import { pullLive } from '../../src/sources/live/pull.js';
import { liveKinds } from '../../src/sources/live/registry.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import { cli } from './cli.js';

/** examples/<kind>-api */
export const exampleDir = (kind: string): string => join(import.meta.dirname, '../../examples', `${kind}-api`);

/** The example's manifest, paced for a test: the emulators have no limit here (every requestsPerMinute at its maximum). */
export function exampleManifest(kind: string): string {
  return readFileSync(join(exampleDir(kind), 'plain-migrate.yaml'), 'utf8').replace(/requestsPerMinute: \d+/g, 'requestsPerMinute: 100000');
}

/** What the tests use of a helpdesk emulator. */
export interface LiveEmulator {
  readonly url: string;
  requests(): readonly object[];
  configure(patch: { latencyMs?: number }): void;
  close(): Promise<void>;
}

export interface Live<E extends LiveEmulator> {
  readonly dir: string;
  readonly manifest: string;
  readonly emu: E;
  /** The connection's variables, with `secret` in place of the right one when given. */
  env(secret?: string): Record<string, string>;
  /** The built CLI on this workspace's manifest, against `plain`. */
  run(args: string[], plain: PlainEmulator, secret?: string): ResultPromise;
}

/** A new workspace holding `manifest` (its text), bound to `emu` through the variables `env` gives. */
export function liveWorkspace<E extends LiveEmulator>(emu: E, manifest: string, env: (secret?: string) => Record<string, string>, prefix = 'pm-live-'): Live<E> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'plain-migrate.yaml');
  writeFileSync(file, manifest);
  return {
    dir,
    manifest: file,
    emu,
    env,
    run: (args, plain, secret) => cli([...args, '-f', file], { cwd: dir, endpoint: plain.graphqlUrl, extraEnv: env(secret) }),
  };
}

/** The snapshot of the workspace's state as data: every stream's records (id, deleted, text), sorted. */
export function snapshotDump(dir: string): unknown {
  const db = new Database(join(dir, '.plain-migrate/state.db'), { readonly: true });
  try {
    return db.prepare('SELECT stream, id, deleted, data FROM snapshot_records ORDER BY stream, id').all();
  } finally {
    db.close();
  }
}

/**
 * The snapshot one uninterrupted pull of the workspace's manifest makes, pulled in process (as `pull` does)
 * into a state of its own, as snapshotDump gives it.
 */
export async function uninterruptedSnapshot(live: Live<LiveEmulator>): Promise<unknown> {
  // The target's variables only need to be set: this pull does not reach Plain.
  const env = { PLAIN_API_KEY: 'test-key', PLAIN_ENDPOINT: 'http://127.0.0.1:9/graphql/v1', ...live.env() };
  const manifest = await loadManifest(live.manifest, { env, liveKinds });
  const dir = mkdtempSync(join(tmpdir(), 'pm-live-ref-'));
  const state = SqliteStateStore.open(join(dir, '.plain-migrate/state.db'), { manifestName: manifest.name });
  try {
    await pullLive({ manifest, snapshot: state.snapshot, env, signal: new AbortController().signal });
  } finally {
    await state.close();
  }
  return snapshotDump(dir);
}

/** The emulator's requests (from the `from`-th on) counted by operation. */
export function operations(emu: LiveEmulator, from = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of (emu.requests() as Array<{ operation?: string }>).slice(from)) out[r.operation ?? '?'] = (out[r.operation ?? '?'] ?? 0) + 1;
  return out;
}

/** Every file under dir, recursively. */
export function files(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? files(p) : [p];
  });
}

/** None of `secrets` is in any of `outputs` or in any file of the workspace `dir`. */
export function expectNoSecrets(outputs: string[], dir: string, secrets: string[]): void {
  for (const o of outputs) for (const s of secrets) expect(o).not.toContain(s);
  for (const f of files(dir)) {
    const bytes = readFileSync(f);
    for (const s of secrets) expect(bytes.includes(s), f).toBe(false);
  }
}

/** Installs the emulator's fault rules. */
export async function injectFaults(emu: LiveEmulator, rules: object[]): Promise<void> {
  await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `pull` and SIGKILLs it once the emulator has answered `after` more requests (the pull is then under
 * way, its pages being committed); true when the kill landed before the pull ended.
 */
async function killedPull(live: Live<LiveEmulator>, plain: PlainEmulator, after: number): Promise<boolean> {
  const from = live.emu.requests().length;
  const p = live.run(['pull', '--output', 'plain'], plain);
  let exited = false;
  void p.finally(() => (exited = true)).catch(() => undefined);
  while (!exited && live.emu.requests().length - from < after) await sleep(5);
  const killed = p.kill('SIGKILL');
  await p;
  return killed;
}

export interface KillRoutine {
  /** The emulator's latency while a pull is to be killed (so that it is killed in its middle). */
  latencyMs: number;
  /** One killed pull per entry, each killed after that many requests. */
  killAfter: number[];
  /** The account changes many records (after a full apply), the change the killed pull is reading. */
  change(): void | Promise<void>;
  /** The second kill lands after this many requests. */
  killChangeAfter: number;
  /** What plan --offline says after the killed pull (no orphans). */
  offline: RegExp;
  /** What the plan that pulls the rest says. */
  plan: RegExp;
}

/**
 * A pull killed (SIGKILL) and run again ends in the snapshot of one uninterrupted pull; applied in full, then
 * the account changes and the next pull is killed half-way: a plan sees no record as gone.
 */
export async function killedPullsResume(live: Live<LiveEmulator>, plain: PlainEmulator, o: KillRoutine): Promise<void> {
  const want = await uninterruptedSnapshot(live);
  live.emu.configure({ latencyMs: o.latencyMs });
  let killed = 0;
  for (const after of o.killAfter) if (await killedPull(live, plain, after)) killed++;
  expect(killed).toBeGreaterThan(0);
  live.emu.configure({ latencyMs: 0 });
  const done = await live.run(['pull'], plain);
  expect(done.exitCode, done.stderr).toBe(0);
  expect(snapshotDump(live.dir)).toEqual(want);

  expect((await live.run(['apply', '--auto-approve', '--offline'], plain)).exitCode).toBe(0);
  await o.change();
  live.emu.configure({ latencyMs: o.latencyMs });
  await killedPull(live, plain, o.killChangeAfter);
  live.emu.configure({ latencyMs: 0 });
  const offline = await live.run(['plan', '--offline'], plain);
  expect(offline.exitCode, offline.stderr).toBe(0);
  expect(offline.stdout).toMatch(o.offline);
  const plan = await live.run(['plan'], plain);
  expect(plan.stdout).toMatch(o.plan);
}
