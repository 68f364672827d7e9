/**
 * Saved plans (`plan --out FILE`, `apply FILE`). A plan file is bound to what it was made from: the
 * state's lineage and serial, the manifest's bytes and every source file's bytes (sha256), and the
 * planning options. `apply FILE` re-derives the plan from the same inputs and checks the digest of
 * every planned action, so it carries out exactly what was reviewed or refuses, saying why.
 * The file holds no secret (the manifest is hashed before ${VAR} interpolation) and is written 0600.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { PmError } from '../core/errors.js';
import type { SnapshotStore } from '../state/types.js';
import type { Manifest } from '../manifest/types.js';
import type { StateMeta } from '../state/types.js';
import type { PlanSummary } from './types.js';

export const PLAN_FORMAT = 'plain-migrate-plan';
export const PLAN_VERSION = 1;

export interface SourceFingerprint {
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
}

export interface PlanOptionsRecord {
  readonly targets: readonly string[];
  readonly limit: number | null;
  readonly refresh: boolean;
  readonly overwriteConflicts: boolean;
}

export interface PlanFile {
  readonly format: typeof PLAN_FORMAT;
  readonly version: typeof PLAN_VERSION;
  readonly createdAt: string;
  readonly migration: string;
  readonly manifest: { readonly file: string; readonly sha256: string };
  /** null lineage: there was no state yet. */
  readonly state: { readonly lineage: string | null; readonly serial: number };
  readonly sources: readonly SourceFingerprint[];
  readonly options: PlanOptionsRecord;
  readonly summary: PlanSummary;
}

async function sha256File(path: string): Promise<{ size: number; sha256: string }> {
  const h = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    size += (chunk as Buffer).length;
    h.update(chunk as Buffer);
  }
  return { size, sha256: h.digest('hex') };
}

/**
 * Each source's fingerprint: a file's bytes; a live source's version in the snapshot (the snapshot only
 * changes by a pull, and `apply PLANFILE` never pulls), as `snapshot:<seq>` with its record count.
 */
export async function fingerprintSources(m: Manifest, snapshot?: SnapshotStore): Promise<SourceFingerprint[]> {
  const out: SourceFingerprint[] = [];
  for (const s of Object.values(m.sources)) {
    if (s.kind === 'live') {
      const info = await snapshot?.stream(s.snapshotStream);
      out.push({ name: s.name, path: s.snapshotStream, size: info?.records ?? 0, sha256: `snapshot:${info?.seq ?? 0}` });
      continue;
    }
    const f = await sha256File(s.path);
    out.push({ name: s.name, path: s.pathAsWritten, ...f });
  }
  return out;
}

export async function writePlanFile(path: string, pf: PlanFile): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    await writeFile(tmp, JSON.stringify(pf, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'its directory does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new PmError('plan.file-unwritable', `cannot write the plan file ${path}: ${why}`, { hint: 'name a file in a directory that exists and is writable' });
  }
}

export async function readPlanFile(path: string): Promise<PlanFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'it does not exist' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
    throw new PmError('plan.file-unreadable', `cannot read the plan file ${path}: ${why}`, {
      hint: 'make one with: plain-migrate plan --out FILE',
    });
  }
  let pf: PlanFile;
  try {
    pf = JSON.parse(text) as PlanFile;
  } catch {
    throw new PmError('plan.file-invalid', `${path} is not a plan file (not JSON)`, { hint: 'make one with: plain-migrate plan --out FILE' });
  }
  if (pf?.format !== PLAN_FORMAT || pf.version !== PLAN_VERSION || !pf.summary?.digest) {
    throw new PmError('plan.file-invalid', `${path} is not a plain-migrate plan file of version ${PLAN_VERSION}`, {
      hint: 'make a new one with: plain-migrate plan --out FILE',
    });
  }
  return pf;
}

/** Why a saved plan no longer applies; empty when it does. */
export function staleReasons(
  pf: PlanFile,
  now: { manifest: Manifest; state: StateMeta; stateIsNew: boolean; sources: readonly SourceFingerprint[] },
): string[] {
  const why: string[] = [];
  if (pf.migration !== now.manifest.name) why.push(`the plan is for the migration '${pf.migration}', not '${now.manifest.name}'`);
  if (pf.manifest.sha256 !== now.manifest.sourceHash) why.push(`the manifest ${now.manifest.file} changed since the plan was made`);
  if (pf.state.lineage === null) {
    if (!now.stateIsNew && now.state.serial > 0) why.push(`the plan was made with no state, and ${now.state.serial} apply run(s) have changed the state since`);
  } else if (pf.state.lineage !== now.state.lineage) {
    why.push(`the state is another one (lineage ${now.state.lineage}, the plan was made on ${pf.state.lineage})`);
  } else if (pf.state.serial !== now.state.serial) {
    why.push(`the state changed since the plan was made (serial ${pf.state.serial} → ${now.state.serial})`);
  }
  const before = new Map(pf.sources.map((s) => [s.name, s]));
  for (const s of now.sources) {
    const b = before.get(s.name);
    if (!b) why.push(`source '${s.name}' is new since the plan was made`);
    else if (b.sha256 !== s.sha256) why.push(`source '${s.name}' (${s.path}) changed since the plan was made`);
    before.delete(s.name);
  }
  for (const name of before.keys()) why.push(`source '${name}' is no longer in the manifest`);
  return why;
}
