/** `state:`: the SQLite file (default) or a PostgreSQL database whose password stays in the environment. */
import { describe, expect, it } from 'vitest';
import { BASE, ENV, load, problemsOf, problemText } from './helpers.js';

const withState = (state: string) => `${BASE}state:\n${state}`;
const PG_ENV = { ...ENV, PLAIN_MIGRATE_DATABASE_URL: 'postgres://migrator:s3cret-pw@db.internal:5432/support?sslmode=verify-full' };

describe('state', () => {
  it('is a SQLite file beside the manifest by default', async () => {
    const m = await load(BASE);
    expect(m.state).toEqual({ backend: 'sqlite', path: m.statePath });
    expect(m.statePath.endsWith('.plain-migrate/state.db')).toBe(true);
  });

  it('backend postgres takes the URL from the environment and a schema (default plain_migrate); the URL never shows', async () => {
    const m = await load(withState('  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n'), { env: PG_ENV });
    expect(m.state).toMatchObject({ backend: 'postgres', url: PG_ENV.PLAIN_MIGRATE_DATABASE_URL, schema: 'plain_migrate' });
    expect(JSON.stringify(m)).not.toContain('s3cret-pw');
    const custom = await load(withState('  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n  schema: support_2026\n'), { env: PG_ENV });
    expect(custom.state).toMatchObject({ schema: 'support_2026' });
  });

  it('refuses a password written into the manifest, without repeating it', async () => {
    const problems = await problemsOf(withState('  backend: postgres\n  url: postgres://migrator:hunter2@db.internal/support\n'), { env: ENV });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/state\.url holds a password written into the manifest/);
    expect(problemText(problems)).not.toContain('hunter2');
    // Without a password (PGPASSWORD, a .pgpass or trust on loopback) it may be written as it is.
    const m = await load(withState('  backend: postgres\n  url: postgres://ci@127.0.0.1:5432/migrations\n'));
    expect(m.state).toMatchObject({ backend: 'postgres' });
  });

  it.each([
    ['  backend: postgres\n', /needs state\.url/],
    ['  backend: postgres\n  url: mysql://db/x\n', /must be a postgres:\/\/ URL/],
    ['  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n  path: x.db\n', /state\.path is the SQLite file/],
    ['  url: ${PLAIN_MIGRATE_DATABASE_URL}\n', /state\.url is for the postgres backend/],
    ['  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n  schema: Bad-Name\n', /schema/],
    ['  backend: mysql\n', /backend/],
  ])('refuses %j', async (state, message) => {
    const problems = await problemsOf(withState(state), { env: PG_ENV });
    expect(problems.map((p) => p.message).join('\n')).toMatch(message);
    expect(problemText(problems)).not.toContain('s3cret-pw');
  });

  it('a missing variable is named, and nothing of the URL is shown', async () => {
    const problems = await problemsOf(withState('  backend: postgres\n  url: ${PLAIN_MIGRATE_DATABASE_URL}\n'), { env: ENV });
    expect(problems.map((p) => p.message).join('\n')).toMatch(/PLAIN_MIGRATE_DATABASE_URL/);
  });
});
