/**
 * `state:` — where the migration records what it did: a SQLite file (the default) or a PostgreSQL
 * database shared by a team and CI. The database URL's password comes from the environment only.
 */
import path from 'node:path';
import type { BuildContext } from './context.js';
import { isObj, problem, str } from './context.js';
import { redactWhenShown } from './redact.js';
import type { StateDecl } from './types.js';

export const DEFAULT_STATE_PATH = '.plain-migrate/state.db';
export const DEFAULT_PG_SCHEMA = 'plain_migrate';
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The state declaration (undefined when a problem was pushed). `statePath` is the SQLite file, or the local work file beside it. */
export function buildState(ctx: BuildContext, v: unknown): { state: StateDecl; statePath: string } | undefined {
  const o = isObj(v) ? v : {};
  const backend = str(o, 'backend') ?? 'sqlite';
  const statePath = path.resolve(ctx.dir, str(o, 'path') ?? DEFAULT_STATE_PATH);
  if (backend === 'sqlite') {
    for (const k of ['url', 'schema']) {
      if (o[k] !== undefined) problem(ctx, 'manifest.state', `state.${k} is for the postgres backend; this state is a SQLite file`, ['state', k], { at: 'key', hint: `remove state.${k}, or set state.backend: postgres` });
    }
    return { state: { backend: 'sqlite', path: statePath }, statePath };
  }
  if (o['path'] !== undefined) {
    problem(ctx, 'manifest.state', 'state.path is the SQLite file; with state.backend: postgres the state is in the database', ['state', 'path'], {
      at: 'key',
      hint: 'remove state.path (plain-migrate state migrate --from PATH copies a SQLite state into the database)',
    });
  }
  const url = str(o, 'url');
  if (url === undefined) {
    problem(ctx, 'manifest.state', 'state.backend: postgres needs state.url', ['state'], { at: 'key', hint: 'add url: ${PLAIN_MIGRATE_DATABASE_URL} and set that variable to postgres://user:password@host:5432/db?sslmode=verify-full' });
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The value may hold a password: never repeat it.
    problem(ctx, 'manifest.state', 'state.url is not a URL', ['state', 'url'], { hint: 'write it as postgres://user@host:5432/database?sslmode=verify-full' });
    return undefined;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    problem(ctx, 'manifest.state', `state.url must be a postgres:// URL, not ${parsed.protocol}//…`, ['state', 'url'], { hint: 'write it as postgres://user@host:5432/database?sslmode=verify-full' });
    return undefined;
  }
  const interpolated = ctx.nodes.get(['state', 'url'])?.interpolated ?? false;
  if (parsed.password !== '' && !interpolated) {
    problem(ctx, 'manifest.state', 'state.url holds a password written into the manifest, which is kept in git', ['state', 'url'], {
      hint: 'write url: ${PLAIN_MIGRATE_DATABASE_URL} and put the URL with its password in that environment variable (or leave the password out and set PGPASSWORD)',
    });
  }
  const schema = str(o, 'schema') ?? DEFAULT_PG_SCHEMA;
  if (!SCHEMA_NAME.test(schema)) {
    problem(ctx, 'manifest.state', `state.schema must be a lower-case PostgreSQL name (letters, digits, _), not ${JSON.stringify(schema)}`, ['state', 'schema'], { hint: `e.g. schema: ${DEFAULT_PG_SCHEMA}` });
  }
  const state = redactWhenShown({ backend: 'postgres' as const, url, schema }, ['url']);
  return { state, statePath };
}
