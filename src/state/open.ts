/**
 * Opening the manifest's state, whichever backend it declares. Plan reads and creates nothing; apply,
 * pull and `state migrate` create what is missing. A state left behind by a backend change is refused
 * rather than silently started afresh: that would import every conversation a second time.
 */
import { existsSync } from 'node:fs';
import { PmError } from '../core/errors.js';
import type { Manifest } from '../manifest/types.js';
import { SqliteStateStore } from './sqlite.js';
import type { StateStore } from './types.js';

/** The PostgreSQL state, loaded only for a manifest that uses it (pg and its code: about 0.1 s per command). */
export async function pgStore(): Promise<typeof import('./postgres.js').PgStateStore> {
  return (await import('./postgres.js')).PgStateStore;
}

export interface OpenedState {
  readonly state: StateStore;
  /** No state was recorded before this open (a plan file made now binds to no lineage). */
  readonly isNew: boolean;
}

export type OpenMode = 'read' | 'write';

function openSqliteFile(manifest: Manifest, create: boolean): SqliteStateStore {
  const s = SqliteStateStore.open(manifest.statePath, { manifestName: manifest.name, create });
  const moved = s.movedTo();
  if (moved) {
    s.closeNow();
    throw new PmError('state.moved', `the state at ${manifest.statePath} was copied to ${moved.to} on ${moved.at} (plain-migrate state migrate); this manifest still keeps it in that file`, {
      hint: 'set state.backend: postgres (with the url and schema it was copied to) in the manifest, so that every run uses the shared state',
    });
  }
  return s;
}

/** A SQLite state that a manifest switched to PostgreSQL without moving. */
function refuseUnmoved(manifest: Manifest): void {
  if (!existsSync(manifest.statePath)) return;
  let s: SqliteStateStore | undefined;
  try {
    s = SqliteStateStore.open(manifest.statePath, { manifestName: manifest.name, create: false });
  } catch {
    return; // another migration's file, or unreadable: not this state
  }
  try {
    if (s.movedTo() || !s.hasHistory()) return;
  } finally {
    s.closeNow();
  }
  throw new PmError(
    'state.not-migrated',
    `this migration's state is in ${manifest.statePath}, but the manifest now keeps it in PostgreSQL, which has no state for '${manifest.name}' yet`,
    { hint: `copy it there first, so that nothing is imported twice: plain-migrate state migrate --from ${manifest.statePath}` },
  );
}

export async function openState(manifest: Manifest, mode: OpenMode): Promise<OpenedState> {
  const decl = manifest.state;
  if (decl.backend === 'sqlite') {
    if (mode === 'read' && !existsSync(manifest.statePath)) {
      return { state: SqliteStateStore.open(':memory:', { manifestName: manifest.name }), isNew: true };
    }
    const isNew = !existsSync(manifest.statePath);
    return { state: openSqliteFile(manifest, mode === 'write'), isNew };
  }
  const existing = await (await pgStore()).open({ url: decl.url, schema: decl.schema, manifestName: manifest.name, create: false });
  if (existing) return { state: existing, isNew: false };
  refuseUnmoved(manifest);
  if (mode === 'read') return { state: SqliteStateStore.open(':memory:', { manifestName: manifest.name }), isNew: true };
  const created = await (await pgStore()).open({ url: decl.url, schema: decl.schema, manifestName: manifest.name, create: true });
  return { state: created!, isNew: true };
}

/** The recorded state for `state …` commands and force-unlock: refused when there is none. */
export async function openExistingState(manifest: Manifest): Promise<StateStore> {
  const decl = manifest.state;
  if (decl.backend === 'sqlite') {
    if (!existsSync(manifest.statePath)) throw new PmError('state.missing', `there is no state at ${manifest.statePath} yet`, { hint: 'run plain-migrate apply first' });
    return openSqliteFile(manifest, false);
  }
  const s = await (await pgStore()).open({ url: decl.url, schema: decl.schema, manifestName: manifest.name, create: false });
  if (!s) {
    refuseUnmoved(manifest);
    throw new PmError('state.missing', `there is no state for '${manifest.name}' in schema ${decl.schema} of the state database yet`, { hint: 'run plain-migrate apply first' });
  }
  return s;
}
