import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LiveSourceDecl } from '../../../src/manifest/types.js';
import { commandKind } from '../../../src/sources/command/index.js';
import type { PullEvent } from '../../../src/sources/live/types.js';
import type { SqliteStateStore } from '../../../src/state/sqlite.js';
import { caught, liveDecl, makeJob, openSnapshot, records } from '../http-api/helpers.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const NODE = process.execPath;

let store: SqliteStateStore;
let dir: string;

beforeEach(() => {
  store = openSnapshot();
  dir = mkdtempSync(path.join(tmpdir(), 'pm-command-test-'));
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function source(name: string, options: Record<string, unknown>, more: { exprs?: Record<string, string>; env?: Record<string, string>; stream?: string; key?: string } = {}): LiveSourceDecl {
  return liveDecl({ name, adapter: 'command', options, ...more });
}

async function pull(decl: LiveSourceDecl, o: { env?: NodeJS.ProcessEnv; signal?: AbortSignal; onEvent?: (e: PullEvent) => void } = {}) {
  const { job, events } = makeJob({ store, sources: [decl], cwd: FIXTURES, ...o });
  await commandKind.pull(job);
  return events;
}

function writeJson(name: string, v: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(v));
  return p;
}

const ticketRows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: i + 1, subject: `t${i + 1}`, updated_at: `2024-01-0${i + 1}T00:00:00Z` }));

describe('command source: jsonl', () => {
  it('reads a record a line, keeps the largest cursor, and passes it back as {{cursor}}', async () => {
    const data = writeJson('tickets.json', ticketRows(3));
    const argsFile = path.join(dir, 'args.json');
    const decl = source('tickets', { command: [NODE, 'jsonl-export.mjs', data, '--since', '{{cursor}}'] }, { exprs: { cursor: 'updated_at' }, env: { ARGS_FILE: argsFile } });
    const events = await pull(decl);
    expect((await records(store, 'command.tickets')).map((r) => r.id)).toEqual(['1', '2', '3']);
    expect(JSON.parse(readFileSync(argsFile, 'utf8'))).toEqual([data, '--since', '']);
    expect(await store.snapshot.stream('command.tickets')).toMatchObject({ complete: true, cursor: { cursor: '2024-01-03T00:00:00Z' } });
    expect(events.map((e) => e.type)).toEqual(['stream-start', 'page', 'stream-done']);

    writeFileSync(data, JSON.stringify([...ticketRows(3).map((t) => (t.id === 2 ? { ...t, subject: 'edited', updated_at: '2024-02-01T00:00:00Z' } : t)), { id: 9, subject: 't9', updated_at: '2024-02-02T00:00:00Z' }]));
    const again = await pull(decl);
    expect(JSON.parse(readFileSync(argsFile, 'utf8'))).toEqual([data, '--since', '2024-01-03T00:00:00Z']);
    expect(again.find((e) => e.type === 'page')).toMatchObject({ records: 2, added: 1, updated: 1 });
    expect((await records(store, 'command.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '9']);
    expect((await store.snapshot.stream('command.tickets'))!.cursor).toEqual({ cursor: '2024-02-02T00:00:00Z' });
  });

  it('commits pages of 500 records; a pull stopped by its signal kills the program and keeps what it read', async () => {
    const controller = new AbortController();
    const decl = source('many', { command: [NODE, 'hang.mjs'] });
    const started = Date.now();
    const err = await caught(
      pull(decl, {
        signal: controller.signal,
        onEvent: (e) => {
          if (e.type === 'page') controller.abort(new Error('stopped by the test'));
        },
      }),
    );
    expect(err.message).toBe('stopped by the test');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await records(store, 'command.many')).toHaveLength(600);
    expect(await store.snapshot.stream('command.many')).toMatchObject({ complete: false, cursor: { cursor: null } });
  });

  it('the program sees only the declared environment, PATH, HOME and the locale', async () => {
    const decl = source('env', { command: [NODE, 'env-dump.mjs'] }, { env: { DECLARED: 'yes' } });
    await pull(decl, { env: { ...process.env, OUTSIDE_SECRET: 'must-not-pass', PATH: process.env['PATH'] ?? '/usr/bin', LANG: 'C.UTF-8' } });
    const env = (await records(store, 'command.env'))[0]!.record['env'] as Record<string, string>;
    expect(env['DECLARED']).toBe('yes');
    expect(env['OUTSIDE_SECRET']).toBeUndefined();
    expect(env['LANG']).toBe('C.UTF-8');
    expect(env['PATH']).toBe(process.env['PATH'] ?? '/usr/bin');
    expect(Object.keys(env).every((k) => ['DECLARED', 'PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ'].includes(k))).toBe(true);
  });

  it('a non-zero exit fails with the code and the last stderr lines, never an env value; its records stay', async () => {
    const decl = source('failing', { command: [NODE, 'fail.mjs'] }, { env: { TOKEN: 'sk-live-abcdef123456' } });
    const err = await caught(pull(decl));
    expect(err.code).toBe('pull.command-failed');
    expect(err.message).toBe('source "failing": node exited with code 3');
    expect(err.hint).toContain('progress 24');
    expect(err.hint).not.toContain('progress 4\n');
    expect(err.hint!.split('\n').filter((l) => l.startsWith('    '))).toHaveLength(20);
    expect(err.hint).toContain('auth failed with token ***');
    expect(`${err.message}${err.hint}`).not.toContain('sk-live-abcdef123456');
    expect((await records(store, 'command.failing')).map((r) => r.id)).toEqual(['1', '2']);
    expect((await store.snapshot.stream('command.failing'))!.complete).toBe(false);
  });

  it('a line that is not JSON stops the pull with its line number and kills the program', async () => {
    const decl = source('bad', { command: [NODE, 'bad-line.mjs'] });
    const started = Date.now();
    const err = await caught(pull(decl));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('pull.command-failed');
    expect(err.message).toMatch(/^source "bad": node output line 12 is not JSON: /);
    expect(await records(store, 'command.bad')).toHaveLength(11);
  });

  it('a record without an id stops the pull', async () => {
    const data = writeJson('rows.json', [{ id: 1, updated_at: 'a' }, { subject: 'no id', updated_at: 'b' }]);
    const err = await caught(pull(source('noid', { command: [NODE, 'jsonl-export.mjs', data, '--since', ''] })));
    expect(err.code).toBe('pull.record-without-id');
    expect(err.message).toContain('line 3');
    expect(err.hint).toContain('id:');
  });

  it('a program that cannot be started says so', async () => {
    const err = await caught(pull(source('missing', { command: ['./no-such-program'] })));
    expect(err.code).toBe('pull.command-failed');
    expect(err.message).toContain('could not be started (ENOENT)');
  });
});

describe('command source: singer', () => {
  const data = () => writeJson('singer.json', { tickets: ticketRows(5).map(({ id, ...t }) => ({ ticket_id: id, ...t })), users: [{ id: 1, updated_at: 'x' }] });

  it('takes its stream’s RECORDs (id from SCHEMA key_properties), commits at each STATE, and gives the state back via {{state}}', async () => {
    const seen = path.join(dir, 'seen.json');
    const config = data();
    const decl = source('tickets', { command: [NODE, 'singer-tap.mjs', '--config', config, '--state', '{{state}}'], protocol: 'singer' }, { env: { SEEN_FILE: seen } });
    const events = await pull(decl);
    expect((await records(store, 'command.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    expect(events.filter((e) => e.type === 'page').map((e) => (e.type === 'page' ? e.records : 0))).toEqual([2, 2, 1, 0]);
    const first = JSON.parse(readFileSync(seen, 'utf8')) as { state: unknown; mode: number; path: string };
    expect(first.state).toEqual({});
    expect(first.mode).toBe(0o600);
    expect(existsSync(first.path)).toBe(false);
    const stored = { state: { bookmarks: { tickets: { updated_at: '2024-01-05T00:00:00Z' } } } };
    expect(await store.snapshot.stream('command.tickets')).toMatchObject({ complete: true, cursor: stored });

    const again = await pull(decl);
    expect((JSON.parse(readFileSync(seen, 'utf8')) as { state: unknown }).state).toEqual(stored.state);
    expect(again.filter((e) => e.type === 'page').every((e) => e.type === 'page' && e.records === 0)).toBe(true);
  });

  it('a failed run keeps the records, with the last STATE as the cursor; the next run resumes from it', async () => {
    const config = data();
    const seen = path.join(dir, 'seen.json');
    const cmd = [NODE, 'singer-tap.mjs', '--config', config, '--state', '{{state}}'];
    const err = await caught(pull(source('tickets', { command: cmd, protocol: 'singer' }, { env: { FAIL_AFTER_STATES: '1' } })));
    expect(err.message).toBe('source "tickets": node exited with code 2');
    expect(err.hint).toContain('tap-zendesk: ERROR connection reset by peer');
    expect((await records(store, 'command.tickets')).map((r) => r.id)).toEqual(['1', '2', '3']);
    expect((await store.snapshot.stream('command.tickets'))!.cursor).toEqual({ state: { bookmarks: { tickets: { updated_at: '2024-01-02T00:00:00Z' } } } });

    const events = await pull(source('tickets', { command: cmd, protocol: 'singer' }, { env: { SEEN_FILE: seen } }));
    expect((JSON.parse(readFileSync(seen, 'utf8')) as { state: unknown }).state).toEqual({ bookmarks: { tickets: { updated_at: '2024-01-02T00:00:00Z' } } });
    expect((await records(store, 'command.tickets')).map((r) => r.id)).toEqual(['1', '2', '3', '4', '5']);
    const pages = events.filter((e): e is Extract<PullEvent, { type: 'page' }> => e.type === 'page');
    expect(pages.reduce((n, p) => n + p.added, 0)).toBe(2);
    expect(pages.reduce((n, p) => n + p.records, 0)).toBe(3);
  });

  it('stream: chooses whose records are taken', async () => {
    await pull(source('people', { command: [NODE, 'singer-tap.mjs', '--config', data()], protocol: 'singer' }, { stream: 'users' }));
    expect((await records(store, 'command.people')).map((r) => r.id)).toEqual(['1']);
  });
});

describe('command source: airbyte', () => {
  const data = () =>
    writeJson('airbyte.json', {
      tickets: ticketRows(3),
      users: [{ id: 'u1', updated_at: '2024-01-01T00:00:00Z' }],
    });

  it('takes RECORD data of its stream, keeps per-stream STATEs, and gives them back as a list', async () => {
    const seen = path.join(dir, 'seen.json');
    const cmd = [NODE, 'airbyte-source.mjs', 'read', '--config', data(), '--catalog', 'c.json', '--state', '{{state}}', '--cursor', '{{cursor}}'];
    const decl = source('tickets', { command: cmd, protocol: 'airbyte' }, { env: { SEEN_FILE: seen } });
    await pull(decl);
    expect((await records(store, 'command.tickets')).map((r) => r.record)).toEqual(ticketRows(3));
    expect(JSON.parse(readFileSync(seen, 'utf8'))).toEqual({ states: [], cursorArg: '' });
    const state = (await store.snapshot.stream('command.tickets'))!.cursor as { state: unknown[] };
    expect(state.state).toHaveLength(2);
    expect(state.state[0]).toEqual({ type: 'STREAM', stream: { stream_descriptor: { name: 'tickets' }, stream_state: { updated_at: '2024-01-03T00:00:00Z' } } });

    await pull(decl);
    const given = JSON.parse(readFileSync(seen, 'utf8')) as { states: unknown[]; cursorArg: string };
    expect(given.states).toEqual(state.state);
    expect(JSON.parse(given.cursorArg)).toEqual(state.state);
  });

  it('a TRACE error is in the failure', async () => {
    const decl = source('tickets', { command: [NODE, 'airbyte-source.mjs', 'read', '--config', data()], protocol: 'airbyte' }, { env: { AIRBYTE_FAIL: '1' } });
    const err = await caught(pull(decl));
    expect(err.message).toBe('source "tickets": node exited with code 1: Unauthorized: the API key was refused');
    expect(await records(store, 'command.tickets')).toHaveLength(3);
  });
});

describe('command source: checks', () => {
  it('checkSource reports unknown placeholders and cursor: on singer/airbyte sources', () => {
    expect(commandKind.checkSource!(source('s', { command: ['tap', '--state', '{{state}}'] }))).toEqual([expect.objectContaining({ path: ['command', '2'] })]);
    expect(commandKind.checkSource!(source('s', { command: ['tap', '--state', '{{state}}'], protocol: 'singer' }))).toEqual([]);
    expect(commandKind.checkSource!(source('s', { command: ['tap'], protocol: 'airbyte' }, { exprs: { cursor: 'x' } }))[0]!.path).toEqual(['cursor']);
  });

  it('the kind declares its keys', () => {
    expect(commandKind).toMatchObject({ kind: 'command', usesConnection: false, auth: [], defaultRequestsPerMinute: 0, requiredSourceKeys: ['command'] });
    expect(commandKind.sourceKeys).toEqual(['command', 'protocol', 'stream', 'env', 'cursor', 'id']);
  });
});
