/** Saved plans and exit codes: plan --out FILE, apply FILE, stale detection, --detailed-exitcode. */
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { AGENTS, LABELS, makeWorkspace, type Workspace } from './workspace.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu?.close();
});
beforeEach(() => emu.reset());

const run = (ws: Workspace, args: string[]) => cli([...args, '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });

describe('plan --detailed-exitcode', () => {
  it('is 2 while there are changes, 0 once applied', async () => {
    const ws = makeWorkspace({ tickets: 4 });
    expect((await run(ws, ['plan', '--detailed-exitcode'])).exitCode).toBe(2);
    expect((await run(ws, ['apply', '--auto-approve'])).exitCode).toBe(0);
    expect((await run(ws, ['plan', '--detailed-exitcode'])).exitCode).toBe(0);
  });
});

describe('saved plans', () => {
  it('apply FILE carries out exactly the saved plan, without asking, from a non-terminal', async () => {
    const ws = makeWorkspace({ tickets: 5 });
    const p = await run(ws, ['plan', '--out', 'plan.json']);
    expect(p.exitCode).toBe(0);
    expect(p.stdout).toContain('Saved this plan to');
    const file = join(ws.dir, 'plan.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.format).toBe('plain-migrate-plan');
    expect(readFileSync(file, 'utf8')).not.toContain('test-key');
    const a = await run(ws, ['apply', 'plan.json']);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(emu.snapshot().threads).toHaveLength(5);
    // the state moved on: the same plan is now stale
    const again = await run(ws, ['apply', 'plan.json']);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/stale: the state changed since the plan was made \(serial 0 → 1\)|stale: the plan was made with no state/);
  });

  it('refuses as stale after a manifest change, saying why', async () => {
    const ws = makeWorkspace({ tickets: 3 });
    expect((await run(ws, ['plan', '--out', 'plan.json'])).exitCode).toBe(0);
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('concurrency: 4', 'concurrency: 3'));
    const a = await run(ws, ['apply', 'plan.json']);
    expect(a.exitCode).toBe(1);
    expect(a.stderr).toMatch(/stale: the manifest .* changed since the plan was made/);
    expect(emu.requests()).toHaveLength(0);
  });

  it('refuses as stale after a source change, naming the source', async () => {
    const ws = makeWorkspace({ tickets: 3 });
    expect((await run(ws, ['apply', '--auto-approve'])).exitCode).toBe(0);
    expect((await run(ws, ['plan', '--out', 'plan.json'])).exitCode).toBe(0);
    appendFileSync(join(ws.dir, 'export/comments.jsonl'), JSON.stringify({ id: 77_001, ticket_id: 1, author_id: 1, public: true, html_body: '<p>new</p>', created_at: '2024-05-01T00:00:00.000Z' }) + '\n');
    const before = emu.requests().length;
    const a = await run(ws, ['apply', 'plan.json']);
    expect(a.exitCode).toBe(1);
    expect(a.stderr).toMatch(/stale: source 'comments' \(export\/comments\.jsonl\) changed since the plan was made/);
    expect(emu.requests().length).toBe(before);
  });

  it('refuses a file that is not a plan', async () => {
    const ws = makeWorkspace({ tickets: 1 });
    writeFileSync(join(ws.dir, 'x.json'), '{"hello": 1}');
    const a = await run(ws, ['apply', 'x.json']);
    expect(a.exitCode).toBe(1);
    expect(a.stderr).toMatch(/not a plain-migrate plan file/);
  });
});

describe('--target and --limit', () => {
  it('--target limits the plan and the apply to matching addresses', async () => {
    const ws = makeWorkspace({ tickets: 6 });
    const p = await run(ws, ['plan', '--target', 'thread["zd-2"]', '--target', 'thread["zd-5"]']);
    expect(p.stdout).toMatch(/Plan: 2 threads to import/);
    const a = await run(ws, ['apply', '--auto-approve', '--target', 'thread["zd-2"]']);
    expect(a.exitCode).toBe(0);
    expect(emu.snapshot().threads.map((t) => t.externalId)).toEqual(['zd-2']);
  });

  it('--limit takes the first N threads, and a later full apply does the rest', async () => {
    const ws = makeWorkspace({ tickets: 6 });
    expect((await run(ws, ['apply', '--auto-approve', '--limit', '2'])).exitCode).toBe(0);
    expect(emu.snapshot().threads.map((t) => t.externalId).sort()).toEqual(['zd-1', 'zd-2']);
    const p = await run(ws, ['plan']);
    expect(p.stdout).toMatch(/Plan: 4 threads to import .* 0 orphaned, 2 unchanged\./);
  });
});

describe('the plan grammar', () => {
  it('groups by kind with + > ~ - ! and one frozen summary line; --verbose lists all', async () => {
    const ws = makeWorkspace({ tickets: 30, noEmail: [4] });
    const p = await run(ws, ['plan']);
    expect(p.stdout).toMatch(/^Threads to import:$/m);
    expect(p.stdout).toMatch(/^ {2}\+ thread\["zd-1"\] \(\d+ messages?\)$/m);
    expect(p.stdout).toMatch(/^ {2}! thread\["zd-4"\]/m);
    expect(p.stdout).toMatch(/… and \d+ more \(--verbose lists them all\)/);
    expect(p.stdout).toMatch(/^Plan: 28 threads to import \(\d+ messages\), 0 to update, 0 to append \(0 messages\), 1 invalid, 0 orphaned, 0 unchanged\.$/m);
    const v = await run(ws, ['plan', '--verbose']);
    expect(v.stdout).not.toMatch(/--verbose lists them all/);
    const j = await run(ws, ['plan', '--json']);
    const parsed = JSON.parse(j.stdout);
    expect(parsed.format_version).toBe(1);
    expect(parsed.plan.threads.create).toBe(28);
  });
});
