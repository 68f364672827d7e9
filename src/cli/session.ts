/** Wires manifest → state → source indexes for plan and apply. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadManifest } from '../manifest/index.js';
import type { Manifest } from '../manifest/types.js';
import { openIndexes, Planner, PlanTally } from '../plan/plan.js';
import type { PlanSummary } from '../plan/types.js';
import { SqliteStateStore } from '../state/sqlite.js';
import type { Io } from './io.js';

export const DEFAULT_MANIFEST = 'plain-migrate.yaml';

export async function loadFromArgs(io: Io, file: string | undefined): Promise<Manifest> {
  return loadManifest(resolve(io.cwd, file ?? DEFAULT_MANIFEST), { env: io.env });
}

/** State for reading: the recorded file if there is one, else an empty database in memory (plan never creates state). */
export function openStateForPlan(manifest: Manifest): SqliteStateStore {
  if (existsSync(manifest.statePath)) return SqliteStateStore.open(manifest.statePath, { manifestName: manifest.name, create: false });
  return SqliteStateStore.open(':memory:', { manifestName: manifest.name });
}

export function openStateForApply(manifest: Manifest): SqliteStateStore {
  return SqliteStateStore.open(manifest.statePath, { manifestName: manifest.name, create: true });
}

/** Run the whole plan once to count what it would do (no network, no writes). */
export async function summarisePlan(manifest: Manifest, state: SqliteStateStore, signal?: AbortSignal): Promise<PlanSummary> {
  const indexes = await openIndexes(manifest);
  try {
    const planner = new Planner({ manifest, state, indexes, signal });
    const tally = new PlanTally(manifest.batching.messagesPerRequest);
    for await (const item of planner.items()) tally.add(item);
    return tally.summary(planner.filtered, planner.unmapped());
  } finally {
    indexes.close();
  }
}
