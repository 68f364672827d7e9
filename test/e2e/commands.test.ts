/** The emulator and demo commands, run as a user would. */
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BIN } from './cli.js';

describe('plain-migrate emulator', () => {
  it('serves on loopback with a seed, answers GraphQL and inspection, and stops cleanly on SIGTERM', async () => {
    const child = execa(process.execPath, [BIN, 'emulator', '--port', '0', '--seed', 'examples/quickstart/emulator-seed.yaml', '--rate-limit', '100', '--latency', '5'], {
      cwd: new URL('../..', import.meta.url).pathname,
      reject: false,
    });
    const url = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout!.on('data', (d: Buffer) => {
        buf += d.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/graphql\/v1/.exec(buf);
        if (m) resolve(m[1]!);
      });
      setTimeout(() => reject(new Error(`no URL in: ${buf}`)), 15_000);
    });
    const state = (await (await fetch(`${url}/__emulator/state`)).json()) as { users: Array<{ email: string }> };
    const seed = readFileSync(new URL('../../examples/quickstart/emulator-seed.yaml', import.meta.url), 'utf8');
    for (const u of state.users) expect(seed).toContain(u.email);
    const res = await fetch(`${url}/graphql/v1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
      body: JSON.stringify({ query: 'query q($e: String!) { userByEmail(email: $e) { id } }', variables: { e: state.users[0]!.email } }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-ratelimit-limit')).toBe('100');
    child.kill('SIGTERM');
    const r = await child;
    expect(r.exitCode).toBe(0);
  });

  it('refuses a non-loopback address', async () => {
    const r = await execa(process.execPath, [BIN, 'emulator', '--host', '0.0.0.0'], { reject: false });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/loopback only/);
  });
});

describe('plain-migrate demo', () => {
  it('plans and applies the quickstart into the embedded emulator; run again, it has nothing to do', async () => {
    const first = await execa(process.execPath, [BIN, 'demo', '--reset'], { reject: false });
    expect(first.stderr).toBe('');
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toMatch(/Plan: 38 threads to import \(186 messages\)/);
    expect(first.stdout).toMatch(/Apply completed: customers: 14 created.*threads: 38 created.*messages: 186 created/);
    expect(first.stdout).toMatch(/The emulator now holds 14 customers, 38 threads and 186 messages/);
    const second = await execa(process.execPath, [BIN, 'demo'], { reject: false });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toMatch(/Plan: 0 threads to import \(0 messages\), 0 to update, 0 to append \(0 messages\), 1 invalid, 0 orphaned, 38 unchanged\./);
    expect(second.stdout).toMatch(/Nothing to do/);
  });
});
