/**
 * The PostgreSQL state's tables, in one schema per database (manifest `state.schema`), each row keyed by
 * the state it belongs to (one state per manifest name). Versioned like the SQLite file: each migration
 * runs in one transaction and is recorded in `schema_migrations`; a schema written by a newer
 * plain-migrate is refused. Concurrent first runs are serialised by a transaction-level advisory lock
 * on the schema's name, so nothing is left locked if a run dies while migrating.
 *
 * Addresses and stream ids are `COLLATE "C"`: byte order, as in SQLite, so that paging by `address > $after`
 * and prefix look-ups (`LIKE 'thread[%'`) behave the same on both backends and use the index.
 */
import type { PoolClient } from 'pg';
import { PmError } from '../core/errors.js';
import { advisoryKey } from './postgres-key.js';

const MIGRATIONS: ReadonlyArray<(s: string) => string> = [
  // 1: the whole state, as SQLite's schema 5 has it.
  (s) => `
  CREATE TABLE ${s}.states (
    id           bigserial PRIMARY KEY,
    name         text NOT NULL UNIQUE,
    lineage      text NOT NULL,
    serial       bigint NOT NULL DEFAULT 0,
    snapshot_seq bigint NOT NULL DEFAULT 0,
    lock_key     bigint NOT NULL,
    created_at   text NOT NULL
  );
  CREATE TABLE ${s}.resources (
    state_id    bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    address     text COLLATE "C" NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('customer', 'thread', 'message', 'tenant', 'membership', 'label_type', 'attachment')),
    parent      text COLLATE "C",
    external_id text NOT NULL,
    target_id   text,
    input_hash  text,
    applied     text,
    status      text NOT NULL CHECK (status IN ('applied', 'failed')),
    result      text CHECK (result IN ('CREATED', 'NOOP', 'UPDATED')),
    last_error  text,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  text NOT NULL,
    updated_at  text NOT NULL,
    run_id      bigint,
    PRIMARY KEY (state_id, address)
  );
  CREATE INDEX resources_kind ON ${s}.resources (state_id, kind, address);
  CREATE INDEX resources_parent ON ${s}.resources (state_id, parent) WHERE parent IS NOT NULL;
  CREATE INDEX resources_run ON ${s}.resources (state_id, run_id);
  CREATE INDEX resources_failed ON ${s}.resources (state_id, address) WHERE status = 'failed' OR last_error IS NOT NULL;
  CREATE TABLE ${s}.runs (
    id          bigserial PRIMARY KEY,
    state_id    bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    command     text NOT NULL,
    pid         integer NOT NULL,
    host        text NOT NULL,
    who         text,
    started_at  text NOT NULL,
    finished_at text,
    outcome     text,
    counts      text
  );
  CREATE INDEX runs_state ON ${s}.runs (state_id, id);
  CREATE TABLE ${s}.locks (
    state_id    bigint PRIMARY KEY REFERENCES ${s}.states (id) ON DELETE CASCADE,
    run_id      bigint NOT NULL,
    pid         integer NOT NULL,
    host        text NOT NULL,
    who         text NOT NULL,
    command     text NOT NULL,
    started_at  text NOT NULL,
    backend_pid integer NOT NULL
  );
  CREATE TABLE ${s}.invalid (
    state_id   bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    address    text COLLATE "C" NOT NULL,
    where_     text NOT NULL,
    reasons    text NOT NULL,
    run_id     bigint NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (state_id, address)
  );
  CREATE TABLE ${s}.identities (
    state_id   bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    kind       text NOT NULL,
    key        text NOT NULL,
    value      text NOT NULL,
    updated_at text NOT NULL,
    PRIMARY KEY (state_id, kind, key)
  );
  CREATE TABLE ${s}.snapshot_records (
    state_id bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    stream   text COLLATE "C" NOT NULL,
    id       text COLLATE "C" NOT NULL,
    ord      bigint NOT NULL,
    seq      bigint NOT NULL,
    deleted  boolean NOT NULL DEFAULT false,
    data     text NOT NULL,
    PRIMARY KEY (state_id, stream, id)
  );
  CREATE INDEX snapshot_records_ord ON ${s}.snapshot_records (state_id, stream, ord);
  CREATE INDEX snapshot_records_seq ON ${s}.snapshot_records (state_id, stream, seq, ord);
  CREATE TABLE ${s}.snapshot_streams (
    state_id  bigint NOT NULL REFERENCES ${s}.states (id) ON DELETE CASCADE,
    stream    text COLLATE "C" NOT NULL,
    cursor    text,
    complete  boolean NOT NULL DEFAULT false,
    records   bigint NOT NULL DEFAULT 0,
    deleted   bigint NOT NULL DEFAULT 0,
    next_ord  bigint NOT NULL DEFAULT 1,
    seq       bigint NOT NULL DEFAULT 0,
    pulled_at text,
    PRIMARY KEY (state_id, stream)
  );`,
  // 2: a thread's messages counted from the index alone (childrenSummary, which a re-plan asks of every
  // recorded thread): the parent index carries their status and update time.
  (s) => `
  DROP INDEX ${s}.resources_parent;
  CREATE INDEX resources_parent ON ${s}.resources (state_id, parent) INCLUDE (status, updated_at) WHERE parent IS NOT NULL;`,
];

export const PG_SCHEMA_VERSION = MIGRATIONS.length;

/** `"name"`: the schema as an SQL identifier (the manifest allows only [a-z0-9_], quoted anyway). */
export function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

async function schemaExists(c: PoolClient, schema: string): Promise<boolean> {
  const r = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]);
  return r.rows[0]!.n > 0;
}

async function versionOf(c: PoolClient, schema: string): Promise<number> {
  const t = await c.query<{ t: string | null }>('SELECT to_regclass($1) AS t', [`${ident(schema)}.schema_migrations`]);
  if (t.rows[0]!.t === null) return 0;
  const r = await c.query<{ v: number | null }>(`SELECT max(version)::int AS v FROM ${ident(schema)}.schema_migrations`);
  return r.rows[0]!.v ?? 0;
}

/**
 * Bring the schema to the current version. `create: false` (plan) creates nothing: it answers false
 * when there is no schema yet. Returns true when the tables are there.
 */
export async function migratePg(c: PoolClient, schema: string, create: boolean): Promise<boolean> {
  const s = ident(schema);
  const known = await versionOf(c, schema);
  if (known > PG_SCHEMA_VERSION) throw tooNew(schema, known);
  if (known === PG_SCHEMA_VERSION) return true;
  if (known === 0 && !create) return false;
  await c.query('BEGIN');
  try {
    // One migrating run at a time per schema; a transaction lock ends with the transaction, even if we die.
    await c.query('SELECT pg_advisory_xact_lock($1::bigint)', [advisoryKey('schema', schema)]);
    if (!(await schemaExists(c, schema))) await c.query(`CREATE SCHEMA ${s}`);
    await c.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
    const v = await versionOf(c, schema);
    if (v > PG_SCHEMA_VERSION) throw tooNew(schema, v);
    for (let i = v; i < PG_SCHEMA_VERSION; i++) {
      await c.query(MIGRATIONS[i]!(s));
      await c.query(`INSERT INTO ${s}.schema_migrations (version) VALUES ($1)`, [i + 1]);
    }
    await c.query('COMMIT');
    return true;
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    if (e instanceof PmError) throw e;
    const code = (e as { code?: string }).code;
    throw new PmError('state.open-failed', `cannot create the state tables in schema ${schema}: ${(e as Error).message}`, {
      hint:
        code === '42501'
          ? `the database user needs CREATE on the database (or an administrator creates the schema: CREATE SCHEMA ${schema} AUTHORIZATION <user>)`
          : 'check the database user’s rights on that schema',
    });
  }
}

function tooNew(schema: string, v: number): PmError {
  return new PmError('state.too-new', `the state schema ${schema} was written by a newer plain-migrate (schema ${v}; this one knows ${PG_SCHEMA_VERSION})`, {
    hint: 'upgrade plain-migrate',
  });
}
