/**
 * `plain-migrate state migrate --from PATH|URL`: copy a state (a SQLite file, or another PostgreSQL
 * state of the same migration name) into the backend the manifest declares: every resource, run,
 * invalid record, identity, the live sources' snapshot, lineage and serial. Both states are locked
 * while it copies. A destination holding another lineage is refused (Terraform's rule for state
 * push); a SQLite source is marked as moved, so that a manifest still pointing at it is refused.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { PmError } from '../../core/errors.js';
import type { Manifest } from '../../manifest/types.js';
import { openState, pgStore } from '../../state/open.js';
import { describePgUrl } from '../../state/postgres-connect.js';
import { SqliteStateStore } from '../../state/sqlite.js';
import type { TransferableState, TransferTable } from '../../state/transfer.js';
import type { StateStore } from '../../state/types.js';
import { plural } from '../../ui/format.js';
import type { Io } from '../io.js';
import type { GlobalFlags } from '../options.js';
import { loadFromArgs } from '../session.js';

export interface StateMigrateFlags extends GlobalFlags {
  from?: string;
  fromSchema?: string;
}

const NOUNS: Record<TransferTable, [string, string]> = {
  runs: ['run', 'runs'],
  resources: ['resource', 'resources'],
  invalid: ['invalid record', 'invalid records'],
  identities: ['identity', 'identities'],
  snapshot_streams: ['snapshot stream', 'snapshot streams'],
  snapshot_records: ['pulled record', 'pulled records'],
};

type Source = { store: StateStore & TransferableState; label: string; sqlite?: SqliteStateStore };

async function openSource(io: Io, manifest: Manifest, from: string, schema: string): Promise<Source> {
  if (/^postgres(ql)?:\/\//.test(from)) {
    const store = await (await pgStore()).open({ url: from, schema, manifestName: manifest.name, create: false });
    if (!store) throw new PmError('state.missing', `there is no state for '${manifest.name}' in schema ${schema} of ${describePgUrl(from)}`, { hint: 'check the URL and --from-schema' });
    return { store, label: store.path };
  }
  const path = resolve(io.cwd, from);
  if (!existsSync(path)) throw new PmError('state.missing', `there is no state file at ${path}`, { hint: 'give the path of the SQLite state (default .plain-migrate/state.db beside the manifest)' });
  const store = SqliteStateStore.open(path, { manifestName: manifest.name, create: false });
  return { store, label: path, sqlite: store };
}

function same(a: string, b: string): boolean {
  return a === b;
}

export async function stateMigrateCommand(io: Io, opts: StateMigrateFlags): Promise<number> {
  const manifest = await loadFromArgs(io, opts.file);
  if (!opts.from) throw new PmError('cli.bad-flag', 'state migrate needs --from PATH|URL: the state to copy', { hint: 'e.g. plain-migrate state migrate --from .plain-migrate/state.db' });
  const src = await openSource(io, manifest, opts.from, opts.fromSchema ?? 'plain_migrate');
  let dst: (StateStore & TransferableState) | undefined;
  const locks: Array<{ store: StateStore; runId: number }> = [];
  try {
    if (src.sqlite?.movedTo()) {
      const m = src.sqlite.movedTo()!;
      throw new PmError('state.moved', `the state at ${src.label} was already copied to ${m.to} on ${m.at}`, { hint: 'nothing to do: the manifest’s backend holds it' });
    }
    if (manifest.state.backend === 'sqlite' && src.sqlite && same(resolve(src.label), manifest.statePath)) {
      throw new PmError('state.same', `--from names the manifest's own state ${manifest.statePath}`, { hint: 'set state.backend: postgres in the manifest first, then copy the file into it' });
    }
    dst = (await openMigrationTarget(manifest)) as StateStore & TransferableState;
    if (dst.path === src.store.path) throw new PmError('state.same', `--from names the manifest's own state ${dst.path}`);
    // Nothing may write either state while it is copied.
    const srcLock = await src.store.acquireLock(`state migrate to ${dst.path}`);
    locks.push({ store: src.store, runId: srcLock.runId });
    const dstLock = await dst.acquireLock(`state migrate from ${src.label}`);
    locks.push({ store: dst, runId: dstLock.runId });
    const from = await src.store.transferMeta();
    const to = await dst.transferMeta();
    const dstEmpty = await dst.isEmpty(dstLock.runId);
    if (!dstEmpty && to.lineage !== from.lineage) {
      throw new PmError('state.lineage-mismatch', `the destination ${dst.path} already holds another state of '${manifest.name}' (lineage ${to.lineage}), not a copy of ${src.label} (lineage ${from.lineage}); nothing was copied`, {
        hint: 'a migration has one state: if the destination is the one to keep, drop the --from file; to replace it, remove that state from the database first',
      });
    }
    if (!dstEmpty && to.serial > from.serial) {
      throw new PmError('state.destination-ahead', `the destination ${dst.path} has moved on since (serial ${to.serial}, the source has ${from.serial}); nothing was copied`, {
        hint: 'the destination is the newer state: keep using it',
      });
    }
    const counts = await dst.importState(from, src.store.exportState(srcLock.runId), dstLock.runId);
    src.sqlite?.markMoved(dst.path);
    const shown = (Object.entries(counts) as Array<[TransferTable, number]>)
      .map(([t, n]) => {
        const [one, many] = NOUNS[t];
        return plural(n, one, many);
      })
      .join(', ');
    io.out.write(`Copied the state of '${manifest.name}' from ${src.label} to ${dst.path}: ${shown}; lineage ${from.lineage}, serial ${from.serial}.\n`);
    if (src.sqlite) io.out.write(`The file is marked as moved: a manifest that still keeps the state there is refused. Keep it as a backup, or delete it.\n`);
    return 0;
  } finally {
    for (const l of locks.reverse()) await l.store.releaseLock(l.runId, 'migrated', {}).catch(() => undefined);
    await dst?.close();
    await src.store.close();
  }
}

async function openMigrationTarget(manifest: Manifest): Promise<StateStore> {
  if (manifest.state.backend === 'postgres') {
    const s = await (await pgStore()).open({ url: manifest.state.url, schema: manifest.state.schema, manifestName: manifest.name, create: true });
    return s!;
  }
  return (await openState(manifest, 'write')).state;
}
