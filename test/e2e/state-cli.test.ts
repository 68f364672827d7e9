/** init, validate --sample, state errors, force-unlock: as a user runs them. */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startPlainEmulator, type PlainEmulator } from '../../src/emulators/plain/index.js';
import { cli } from './cli.js';
import { AGENTS, LABELS, makeWorkspace } from './workspace.js';

let emu: PlainEmulator;
beforeAll(async () => {
  emu = await startPlainEmulator({ seed: { users: AGENTS, labelTypes: LABELS } });
});
afterAll(async () => {
  await emu?.close();
});

describe('init', () => {
  it('writes a starter manifest (and the schema beside it) that validates, and refuses to overwrite', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pm-init-'));
    const r = await cli(['init', '--from', 'freshdesk'], { cwd: dir });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(join(dir, 'plain-migrate.yaml'), 'utf8')).toMatch(/^# yaml-language-server: \$schema=\.\/plain-migrate\.schema\.json/);
    expect(existsSync(join(dir, 'plain-migrate.schema.json'))).toBe(true);
    const v = await cli(['validate'], { cwd: dir });
    expect(v.exitCode, v.stderr).toBe(0);
    const again = await cli(['init'], { cwd: dir });
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already exists.*\n.*--force/);
    const bad = await cli(['init', '--from', 'zendeks', '-f', 'x.yaml'], { cwd: dir });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/--from must be one of zendesk, freshdesk/);
  });
});

describe('validate --sample', () => {
  it('prints what the first records map to, with diagnostics next to their fields', async () => {
    const ws = makeWorkspace({ tickets: 4, noEmail: [2] });
    const r = await cli(['validate', '--sample', '3', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(r.exitCode, r.stderr).toBe(0);
    const doc = parse(r.stdout) as { records: Array<{ verdict: string }> };
    expect(doc.records.map((x) => x.verdict)).toEqual(['import', 'invalid', 'import']);
    expect(r.stdout).toMatch(/email: null # ✗ threads\.customer\.email is required/);
    expect(r.stderr).toMatch(/is valid/);
  });
});

describe('state errors', () => {
  it('lists failed addresses with Plain’s error and invalid records with reasons; --json; exit 1 when any', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 5, noEmail: [3] });
    writeFileSync(ws.manifest, readFileSync(ws.manifest, 'utf8').replace('_default: u_01HB924PME9C0YWKW1N4AK3B03', '_default: u_01HB924PME9C0YWKW1N4AK3B99'));
    await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    const r = await cli(['state', 'errors', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toMatch(/^FAILED (thread|message)\[.*\] \(\d+ attempts\): .+\[input_validation\]/m);
    expect(r.stdout).toMatch(/^INVALID thread\["zd-3"\]/m);
    expect(r.stdout).toMatch(/threads\.customer\.email is required/);
    const j = await cli(['state', 'errors', '--json', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    const parsed = JSON.parse(j.stdout) as { failed: Array<{ error: { code: string } }>; invalid: unknown[] };
    expect(parsed.failed.length).toBeGreaterThan(0);
    expect(parsed.failed[0]!.error.code).toBe('input_validation');
    expect(parsed.invalid).toHaveLength(1);
    // fixed in the source: the invalid record is gone from the errors after the next complete apply
    const users = readFileSync(join(ws.dir, 'export/users.jsonl'), 'utf8').replace('"email":null', '"email":"fixed@example.test"');
    writeFileSync(join(ws.dir, 'export/users.jsonl'), users);
    await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    const after = await cli(['state', 'errors', '--json', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect((JSON.parse(after.stdout) as { invalid: unknown[] }).invalid).toHaveLength(0);
  });
});

describe('force-unlock', () => {
  it('removes the lock of a run that is gone, only with its LOCK_ID', async () => {
    emu.reset();
    const ws = makeWorkspace({ tickets: 2 });
    await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    // a lock left by a run on another machine
    const db = new Database(join(ws.dir, '.plain-migrate', 'state.db'));
    db.prepare("INSERT INTO runs (id, command, pid, host, started_at) VALUES (41, 'apply e2e', 1234, 'other-host', '2026-01-01T00:00:00.000Z')").run();
    db.prepare("INSERT INTO lock (id, pid, host, started_at, command, run_id) VALUES (1, 1234, 'other-host', '2026-01-01T00:00:00.000Z', 'apply e2e', 41)").run();
    db.close();
    const locked = await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(locked.exitCode).toBe(1);
    expect(locked.stderr).toMatch(/locked by 'apply e2e' \(lock ID 41: pid 1234 on other-host/);
    expect(locked.stderr).toMatch(/force-unlock 41/);
    const wrong = await cli(['force-unlock', '40', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(wrong.exitCode).toBe(1);
    expect(wrong.stderr).toMatch(/lock ID 41, not 40/);
    const ok = await cli(['force-unlock', '41', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect((await cli(['apply', '--auto-approve', '-f', ws.manifest], { cwd: ws.dir, endpoint: emu.graphqlUrl })).exitCode).toBe(0);
  });
});
