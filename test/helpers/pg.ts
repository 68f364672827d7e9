/** A fresh database on the test run's PostgreSQL (see pg-global.ts), one per call. */
import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export function pgAdminUrl(): string {
  return inject('pgAdminUrl');
}

/** CREATE DATABASE with a random name; returns its URL (with the password, as a user's environment would hold it). */
export async function freshDatabase(prefix = 't'): Promise<string> {
  const admin = pgAdminUrl();
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  const u = new URL(admin);
  u.pathname = `/${name}`;
  return u.toString();
}

/** A query on the given database, outside any store (to look at what a test left there). */
export async function sql<R extends pg.QueryResultRow = pg.QueryResultRow>(url: string, text: string, values?: unknown[]): Promise<R[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<R>(text, values)).rows;
  } finally {
    await c.end();
  }
}
