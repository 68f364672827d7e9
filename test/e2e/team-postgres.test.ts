/**
 * The team workflow end to end: the built CLI in two working directories (two people, or a laptop
 * and a CI runner) sharing one PostgreSQL state, against the Plain emulator. The lock refuses the
 * second apply naming the holder; a SIGKILLed holder frees it without force-unlock and the next run
 * ends in exactly the store an uninterrupted run gives; a plan saved in one directory is applied from
 * the other, and refused once the state moved on; `state migrate` moves a half-applied SQLite state
 * without re-sending an import; the database password never shows.
 */
import { copyFileSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { prng } from '../reliability/harness.js';
import { freshDatabase, sql } from '../helpers/pg.js';
import { cli } from './cli.js';
import { normalize } from './normalize.js';
import { AGENTS, LABELS, MANIFEST, makeWorkspace, type Workspace } from './workspace.js';

const PG_STATE = 'state:\n  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n  schema: team\n';
const PG_MANIFEST = MANIFEST.replace('maxAttempts: 8', 'maxAttempts: 15') + PG_STATE;

let emu: PlainEmulator;
let reference: ReturnType<typeof normalize>;
let dbUrl = '';
let password = '';

/** Two working directories with the same export and manifest (two clones of one repository). */
function twoClones(manifest = PG_MANIFEST): [Workspace, Workspace] {
  const a = makeWorkspace({ tickets: 40, maxExtraComments: 33, manifest });
  const b = makeWorkspace({ tickets: 40, maxExtraComments: 33, manifest });
  return [a, b];
}

const run = (ws: Workspace, args: string[], url = dbUrl) =>
  cli([...args, '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl, extraEnv: { PLAIN_MIGRATE_DATABASE_URL: url } });
const apply = (ws: Workspace, url = dbUrl) => run(ws, ['apply', '--auto-approve', '--output', 'plain'], url);
const post = (path: string, body: unknown) => fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const imports = () => emu.requests().filter((r) => r.operationName === 'importThread').length;

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** What the tests must never see: the database password. */
function expectNoPassword(...texts: string[]): void {
  for (const t of texts) expect(t).not.toContain(password);
}

beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
  // The reference: one uninterrupted run with the default SQLite state.
  const solo = makeWorkspace({ tickets: 40, maxExtraComments: 33 });
  const r = await cli(['apply', '-f', solo.manifest, '--auto-approve'], { cwd: solo.dir, endpoint: emu.graphqlUrl });
  expect(r.exitCode, r.stderr).toBe(0);
  reference = normalize(emu.snapshot());
});

afterAll(async () => {
  await emu?.close();
});

describe('two working directories on one PostgreSQL state', () => {
  it('refuses the second apply naming the holder; after a SIGKILL the other proceeds without force-unlock and ends in the reference store', async () => {
    emu.reset();
    dbUrl = await freshDatabase('team');
    password = decodeURIComponent(new URL(dbUrl).password);
    const [a, b] = twoClones();
    // Slow answers: the first run is still sending while the second starts (about 8 s of work).
    await post('/__emulator/config', { latencyMs: 250 });
    const first = apply(a);
    await until('the first apply to send', () => imports() >= 3);
    const refused = await apply(b);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(new RegExp(`locked by 'apply e2e' \\(lock ID \\d+: .+@.+, pid ${first.pid} on .+, since \\d{4}-`));
    expect(refused.stderr).toContain('force-unlock');
    first.kill('SIGKILL');
    await first;
    const sent = imports();
    expect(sent).toBeLessThan(40);
    await post('/__emulator/config', { latencyMs: 0 });
    // No force-unlock: the dead holder's session took its lock along.
    const second = await apply(b);
    expect(second.exitCode, second.stdout + second.stderr).toBe(0);
    expect(second.stderr + second.stdout, second.stderr).toContain(`pid ${first.pid}`); // "the previous run … ended without releasing the state"
    expect(normalize(emu.snapshot())).toEqual(reference);
    // The first directory sees the shared state: nothing to do.
    const plan = await run(a, ['plan', '--detailed-exitcode']);
    expect(plan.exitCode, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/Plan: 0 threads to import .*, 0 to update, 0 to append/);
    const runs = await sql<{ outcome: string }>(dbUrl, 'SELECT outcome FROM team.runs ORDER BY id');
    expect(runs.map((r) => r.outcome)).toEqual(['crashed', 'completed']);
    expectNoPassword(refused.stdout, refused.stderr, second.stdout, second.stderr, plan.stdout, plan.stderr);
  });

  it('a plan saved in one directory is applied from the other, and refused as stale once the state moved on', async () => {
    const [a, b] = twoClones();
    // The same clones as before would do; these share the database of the previous test (already applied).
    const newComment = (ws: Workspace, id: number, ticket: number) =>
      ws.addComment({ id, ticket_id: ticket, author_id: 1, public: true, html_body: `<p>later ${id}</p>`, created_at: '2024-06-01T00:00:00Z' });
    for (const ws of [a, b]) newComment(ws, 90_001, 2);
    // As CI posts it: the Markdown alone on stdout, the note about the saved file on stderr.
    const saved = await run(a, ['plan', '--format', 'markdown', '--out', 'plan.json']);
    expect(saved.exitCode, saved.stderr).toBe(0);
    expect(saved.stdout.startsWith('### plain-migrate plan: `e2e` → Plain')).toBe(true);
    expect(saved.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 0 to update, 1 to append \(1 message\)/);
    expect(saved.stdout).toContain('thread["zd-2"]');
    expect(saved.stdout).not.toContain('Saved this plan');
    expect(saved.stderr).toContain('Saved this plan');
    const planText = readFileSync(join(a.dir, 'plan.json'), 'utf8');
    expectNoPassword(saved.stdout, saved.stderr, planText);
    copyFileSync(join(a.dir, 'plan.json'), join(b.dir, 'plan.json'));
    const applied = await run(b, ['apply', 'plan.json', '--output', 'plain']);
    expect(applied.exitCode, applied.stdout + applied.stderr).toBe(0);
    expect(emu.snapshot().threads.find((t) => t.externalId === 'zd-2')!.messages.some((m) => m.externalId === 'zd-comment-90001')).toBe(true);
    // A plan saved in A; then B applies something else; A's plan is stale wherever it is applied.
    for (const ws of [a, b]) newComment(ws, 90_002, 3);
    expect((await run(a, ['plan', '--out', 'plan.json'])).exitCode).toBe(0);
    copyFileSync(join(a.dir, 'plan.json'), join(b.dir, 'plan.json'));
    for (const ws of [a, b]) newComment(ws, 90_003, 4);
    const moved = await apply(b);
    expect(moved.exitCode, moved.stderr).toBe(0);
    const stale = await run(b, ['apply', 'plan.json']);
    expect(stale.exitCode).not.toBe(0);
    expect(stale.stderr).toMatch(/stale/);
    const staleHere = await run(a, ['apply', 'plan.json']);
    expect(staleHere.exitCode).not.toBe(0);
    expect(staleHere.stderr).toMatch(/stale/);
  });

  it('force-unlock ends a hung holder’s session: it stops sending; the next run completes', async () => {
    emu.reset();
    dbUrl = await freshDatabase('team');
    const [a, b] = twoClones();
    // Slow answers: the first run is still sending when force-unlock ends its session (about 19 s of
    // work; with 8 s, a loaded machine sometimes finished it before the second run and force-unlock had
    // started: "is not locked").
    await post('/__emulator/config', { latencyMs: 600 });
    const first = apply(a);
    await until('the first apply to send', () => imports() >= 3);
    const locked = await apply(b);
    const id = /lock ID (\d+)/.exec(locked.stderr)?.[1];
    expect(id, `${locked.exitCode} ${locked.stdout} ${locked.stderr}`).toBeDefined();
    const unlocked = await run(b, ['force-unlock', id!]);
    expect(unlocked.exitCode, unlocked.stderr).toBe(0);
    expect(unlocked.stdout).toMatch(/ended the holder's database session \(backend pid \d+\)/);
    const ended = await first;
    expect(ended.exitCode).not.toBe(0);
    expect(ended.stderr).toMatch(/lock on .* was lost|lock-lost|lost/);
    const sentByFirst = imports();
    await new Promise((r) => setTimeout(r, 300));
    expect(imports()).toBe(sentByFirst); // it sent nothing more
    await post('/__emulator/config', { latencyMs: 0 });
    const done = await apply(b);
    expect(done.exitCode, done.stdout + done.stderr).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
  });
});

describe('the crash suite on PostgreSQL', () => {
  it('an apply killed with SIGKILL at random points ends, after re-runs, in the reference store; a further run sends nothing', async () => {
    emu.reset();
    dbUrl = await freshDatabase('crash');
    const [a] = twoClones();
    await post('/__emulator/config', { latencyMs: 15 });
    const rand = prng(20261206);
    const schedule: number[] = [];
    for (let i = 0; i < 5; i++) {
      const child = apply(a);
      const delay = 600 + Math.floor(rand() * 1200);
      schedule.push(delay);
      await new Promise((r) => setTimeout(r, delay));
      child.kill('SIGKILL');
      await child;
    }
    await post('/__emulator/config', { latencyMs: 0 });
    const final = await apply(a);
    expect(final.exitCode, `kill schedule ${schedule.join(',')}: ${final.stdout}${final.stderr}`).toBe(0);
    expect(normalize(emu.snapshot())).toEqual(reference);
    const after = emu.requests().length;
    expect((await apply(a)).exitCode).toBe(0);
    expect(emu.requests().length).toBe(after);
  });
});

describe('state migrate', () => {
  it('moves a half-applied SQLite state; the run that follows re-sends no import', async () => {
    emu.reset();
    dbUrl = await freshDatabase('moved');
    const ws = makeWorkspace({ tickets: 40, maxExtraComments: 33 });
    const half = await cli(['apply', '-f', ws.manifest, '--auto-approve', '--limit', '15'], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(half.exitCode, half.stderr).toBe(0);
    const importedBefore = new Set(emu.requests().filter((r) => r.operationName === 'importThread').map((r) => (r.variables?.['input'] as { externalId?: string })?.externalId));
    expect(importedBefore.size).toBe(15);
    // The manifest now keeps its state in PostgreSQL: refused until the file is moved.
    writeFileSync(ws.manifest, PG_MANIFEST);
    const refused = await apply(ws);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toContain('plain-migrate state migrate --from');
    const moved = await run(ws, ['state', 'migrate', '--from', '.plain-migrate/state.db']);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(moved.stdout).toMatch(/Copied the state of 'e2e' .* 1 run, \d+ resources/);
    const lineage = (await sql<{ lineage: string; serial: string }>(dbUrl, "SELECT lineage, serial FROM team.states WHERE name = 'e2e'"))[0]!;
    expect(lineage.serial).toBe('1');
    const before = emu.requests().length;
    const rest = await apply(ws);
    expect(rest.exitCode, rest.stdout + rest.stderr).toBe(0);
    const resent = emu.requests().slice(before).filter((r) => r.operationName === 'importThread' && importedBefore.has((r.variables?.['input'] as { externalId?: string })?.externalId));
    expect(resent).toEqual([]);
    expect(normalize(emu.snapshot())).toEqual(reference);
    // Copying again is refused (the file says where it went); so is a manifest still pointing at the file.
    const again = await run(ws, ['state', 'migrate', '--from', '.plain-migrate/state.db']);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/already copied/);
    // Another migration's history (another lineage) is not copied over this one.
    const other = makeWorkspace({ tickets: 3 });
    expect((await cli(['apply', '-f', other.manifest, '--auto-approve'], { cwd: other.dir, endpoint: emu.graphqlUrl })).exitCode).toBe(0);
    const foreign = await run(ws, ['state', 'migrate', '--from', join(other.dir, '.plain-migrate/state.db')]);
    expect(foreign.exitCode).not.toBe(0);
    expect(foreign.stderr).toMatch(/already holds another state of 'e2e' \(lineage/);
    expect((await sql<{ lineage: string }>(dbUrl, "SELECT lineage FROM team.states WHERE name = 'e2e'"))[0]!.lineage).toBe(lineage.lineage);
  });
});

describe('the password', () => {
  it('is in no output, plan file or workspace file; a refused password is not repeated', async () => {
    const [a] = twoClones();
    const planned = await run(a, ['plan', '--out', 'p.json']);
    expect(planned.exitCode, planned.stderr).toBe(0);
    const files = readdirSync(a.dir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    for (const f of files) expect(readFileSync(join(f.parentPath, f.name)).toString('latin1')).not.toContain(password);
    const wrong = new URL(dbUrl);
    wrong.password = 'not-the-Secret-42';
    const refused = await run(a, ['plan'], wrong.toString());
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/cannot use the state database postgres:\/\/postgres@127\.0\.0\.1:\d+\//);
    expect(refused.stderr + refused.stdout).not.toContain('not-the-Secret-42');
    rmSync(join(a.dir, 'p.json'));
  });
});
