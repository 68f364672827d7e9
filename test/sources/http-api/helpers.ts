/** Shared by the http and command source tests: hand-built decls, a job on an in-memory snapshot. */
import jsonata from 'jsonata';
import type { ConnectionDecl, Expr, LiveSourceDecl } from '../../../src/manifest/types.js';
import type { PullEvent, PullJob } from '../../../src/sources/live/types.js';
import { SqliteStateStore } from '../../../src/state/sqlite.js';
import type { HttpSourceClient } from '../../../src/http/client.js';

export function expr(text: string, path: string): Expr {
  return { text, location: { file: 't' }, path, compiled: jsonata(text) };
}

export interface DeclInput {
  readonly name: string;
  readonly adapter: 'http' | 'command';
  readonly connection?: string;
  readonly stream?: string;
  /** The source's own keys as written (request, command, protocol…). */
  readonly options: Record<string, unknown>;
  /** JSONata keys (records, next, cursor, id) as written. */
  readonly exprs?: Record<string, string>;
  readonly key?: string;
  readonly env?: Record<string, string>;
}

export function liveDecl(d: DeclInput): LiveSourceDecl {
  const exprs: Record<string, Expr> = {};
  for (const [k, v] of Object.entries(d.exprs ?? {})) exprs[k] = expr(v, `sources.${d.name}.${k}`);
  return {
    kind: 'live',
    name: d.name,
    adapter: d.adapter,
    ...(d.connection ? { connection: d.connection } : {}),
    stream: d.stream ?? d.name,
    snapshotStream: d.connection ? `${d.connection}.${d.name}` : `command.${d.name}`,
    options: d.options,
    exprs,
    env: d.env ?? {},
    ...(d.key ? { key: expr(d.key, `sources.${d.name}.key`) } : {}),
    location: { file: 't', line: 1, col: 1 },
  };
}

export function openSnapshot() {
  return SqliteStateStore.open(':memory:', { manifestName: 't' });
}

export interface JobInput {
  readonly store: SqliteStateStore;
  readonly sources: LiveSourceDecl[];
  readonly connection?: ConnectionDecl;
  readonly http?: HttpSourceClient;
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly onEvent?: (e: PullEvent) => void;
}

export function makeJob(j: JobInput): { job: PullJob; events: PullEvent[] } {
  const events: PullEvent[] = [];
  const job: PullJob = {
    ...(j.connection ? { connection: j.connection } : {}),
    sources: j.sources,
    ...(j.http ? { http: j.http } : {}),
    snapshot: j.store.snapshot,
    emit: (e) => {
      events.push(e);
      j.onEvent?.(e);
    },
    signal: j.signal ?? new AbortController().signal,
    env: j.env ?? process.env,
    cwd: j.cwd ?? process.cwd(),
    now: () => Date.now(),
  };
  return { job, events };
}

/** Every record of a stream in snapshot order, parsed. */
export async function records(store: SqliteStateStore, stream: string): Promise<Array<{ id: string; record: Record<string, unknown> }>> {
  return (await store.snapshot.page(stream, 0, 100_000)).map((r) => ({ id: r.id, record: JSON.parse(r.json) as Record<string, unknown> }));
}

/** What a call threw (for assertions on PmError fields). */
export async function caught(p: Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { code?: string; hint?: string };
  }
  throw new Error('expected a failure');
}
