/**
 * Versioned state schema. Each migration moves the database from version i to i+1 inside one
 * transaction; `PRAGMA user_version` records where a file stands. A file written by a newer
 * plain-migrate is refused rather than guessed at.
 */
import type Database from 'better-sqlite3';
import { PmError } from '../core/errors.js';

const MIGRATIONS: ReadonlyArray<string> = [
  // 0 → 1: the first schema.
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE resources (
     address     TEXT PRIMARY KEY,
     kind        TEXT NOT NULL CHECK (kind IN ('customer', 'thread', 'message')),
     parent      TEXT,
     external_id TEXT NOT NULL,
     target_id   TEXT,
     input_hash  TEXT,
     status      TEXT NOT NULL CHECK (status IN ('applied', 'failed')),
     result      TEXT CHECK (result IN ('CREATED', 'NOOP', 'UPDATED')),
     last_error  TEXT,
     attempts    INTEGER NOT NULL DEFAULT 0,
     created_at  TEXT NOT NULL,
     updated_at  TEXT NOT NULL,
     run_id      INTEGER
   ) WITHOUT ROWID;
   CREATE INDEX resources_parent ON resources (parent) WHERE parent IS NOT NULL;
   CREATE INDEX resources_run ON resources (run_id);
   CREATE TABLE runs (
     id          INTEGER PRIMARY KEY AUTOINCREMENT,
     command     TEXT NOT NULL,
     pid         INTEGER NOT NULL,
     host        TEXT NOT NULL,
     started_at  TEXT NOT NULL,
     finished_at TEXT,
     outcome     TEXT,
     counts      TEXT
   );
   CREATE TABLE lock (
     id         INTEGER PRIMARY KEY CHECK (id = 1),
     pid        INTEGER NOT NULL,
     host       TEXT NOT NULL,
     started_at TEXT NOT NULL,
     command    TEXT NOT NULL,
     run_id     INTEGER NOT NULL
   );`,
  // 1 → 2: the last-applied attributes of a thread (JSON), for per-attribute updates.
  `ALTER TABLE resources ADD COLUMN applied TEXT;`,
  // 2 → 3: invalid records seen by the last runs (for `state errors`), and failures by status.
  `CREATE TABLE invalid (
     address    TEXT PRIMARY KEY,
     where_     TEXT NOT NULL,
     reasons    TEXT NOT NULL,
     run_id     INTEGER NOT NULL,
     updated_at TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE INDEX resources_status ON resources (status);`,
  // 3 → 4: tenants, memberships, label types and attachments are resources too (SQLite cannot
  // widen a CHECK in place: the table is copied); users found by email are remembered.
  `CREATE TABLE resources4 (
     address     TEXT PRIMARY KEY,
     kind        TEXT NOT NULL CHECK (kind IN ('customer', 'thread', 'message', 'tenant', 'membership', 'label_type', 'attachment')),
     parent      TEXT,
     external_id TEXT NOT NULL,
     target_id   TEXT,
     input_hash  TEXT,
     status      TEXT NOT NULL CHECK (status IN ('applied', 'failed')),
     result      TEXT CHECK (result IN ('CREATED', 'NOOP', 'UPDATED')),
     last_error  TEXT,
     attempts    INTEGER NOT NULL DEFAULT 0,
     created_at  TEXT NOT NULL,
     updated_at  TEXT NOT NULL,
     run_id      INTEGER,
     applied     TEXT
   ) WITHOUT ROWID;
   INSERT INTO resources4 (address, kind, parent, external_id, target_id, input_hash, status, result, last_error, attempts, created_at, updated_at, run_id, applied)
     SELECT address, kind, parent, external_id, target_id, input_hash, status, result, last_error, attempts, created_at, updated_at, run_id, applied FROM resources;
   DROP TABLE resources;
   ALTER TABLE resources4 RENAME TO resources;
   CREATE INDEX resources_parent ON resources (parent) WHERE parent IS NOT NULL;
   CREATE INDEX resources_run ON resources (run_id);
   CREATE INDEX resources_status ON resources (status);
   CREATE TABLE identities (
     kind       TEXT NOT NULL,
     key        TEXT NOT NULL,
     value      TEXT NOT NULL,
     updated_at TEXT NOT NULL,
     PRIMARY KEY (kind, key)
   ) WITHOUT ROWID;`,
  // 5: the snapshot of live sources: records by stream and id (ord: first-pulled order; seq: the snapshot
  // version of their last change) and each stream's cursor.
  `CREATE TABLE snapshot_records (
     stream  TEXT NOT NULL,
     id      TEXT NOT NULL,
     ord     INTEGER NOT NULL,
     seq     INTEGER NOT NULL,
     deleted INTEGER NOT NULL DEFAULT 0,
     data    TEXT NOT NULL,
     PRIMARY KEY (stream, id)
   ) WITHOUT ROWID;
   CREATE INDEX snapshot_records_ord ON snapshot_records (stream, ord);
   CREATE INDEX snapshot_records_seq ON snapshot_records (stream, seq);
   CREATE TABLE snapshot_streams (
     stream    TEXT PRIMARY KEY,
     cursor    TEXT,
     complete  INTEGER NOT NULL DEFAULT 0,
     records   INTEGER NOT NULL DEFAULT 0,
     deleted   INTEGER NOT NULL DEFAULT 0,
     next_ord  INTEGER NOT NULL DEFAULT 1,
     seq       INTEGER NOT NULL DEFAULT 0,
     pulled_at TEXT
   ) WITHOUT ROWID;`,
  // 5 → 6: a thread's messages counted from the index alone (childrenSummary, which a re-plan asks
  // of every recorded thread): the parent index carries their status and update time.
  `DROP INDEX resources_parent;
   CREATE INDEX resources_parent ON resources (parent, status, updated_at) WHERE parent IS NOT NULL;`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

export function migrate(db: Database.Database): void {
  const current = Number(db.pragma('user_version', { simple: true }));
  if (current > SCHEMA_VERSION) {
    throw new PmError(
      'state.too-new',
      `the state file was written by a newer plain-migrate (schema ${current}; this one knows ${SCHEMA_VERSION})`,
      { hint: 'upgrade plain-migrate' },
    );
  }
  for (let v = current; v < SCHEMA_VERSION; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]!);
      db.pragma(`user_version = ${v + 1}`);
    }).immediate();
  }
}
