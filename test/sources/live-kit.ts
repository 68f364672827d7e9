/**
 * What the live adapters' tests share: their connection and source declarations, a pull of a kind into a
 * state through an HttpSourceClient, the snapshot's records and its dump, the emulator's requests by
 * operation and its faults, a failed pullLive's error, and the pull stopped at any page that must resume to
 * the snapshot of an uninterrupted one.
 */
import { expect } from 'vitest';
import { HttpSourceClient } from '../../src/http/client.js';
import type { ConnectionDecl, LiveSourceDecl, Manifest } from '../../src/manifest/types.js';
import { pullLive } from '../../src/sources/live/pull.js';
import type { LiveKind, PullEvent } from '../../src/sources/live/types.js';
import { SqliteStateStore } from '../../src/state/sqlite.js';
import type { StateStore } from '../../src/state/types.js';

/** A connection declaration as the manifest builds it. */
export function connectionDecl(name: string, kind: string, baseUrl: string, auth: Record<string, string>, more: Partial<ConnectionDecl> = {}): ConnectionDecl {
  return { name, kind, baseUrl, auth, headers: {}, location: { file: 't' }, ...more } as ConnectionDecl;
}

/** A live source of `adapter` on connection `connection`, its snapshot stream `<connection>.<stream>`. */
export function liveSource(adapter: string, connection: string, name: string, stream: string, options: Record<string, unknown> = {}): LiveSourceDecl {
  return { kind: 'live', name, adapter, connection, stream, snapshotStream: `${connection}.${stream}`, options, exprs: {}, env: {}, location: { file: 't' } };
}

export interface PullOpts {
  signal?: AbortSignal;
  events?: { push(e: PullEvent): void };
  now?: () => number;
  /** The HTTP client's headers; default the kind's auth headers. */
  headers?: Record<string, string>;
  /** What the HTTP client keeps out of its errors. */
  secrets?: string[];
}

/** `kind` pulls `sources` of `conn` into `state` (no pacing, no jitter); the HTTP client it used. */
export async function pullKind(kind: LiveKind, conn: ConnectionDecl, sources: LiveSourceDecl[], state: StateStore, o: PullOpts = {}): Promise<HttpSourceClient> {
  const signal = o.signal ?? new AbortController().signal;
  const http = new HttpSourceClient({
    name: conn.name,
    baseUrl: conn.baseUrl,
    headers: o.headers ?? kind.authHeaders!(conn),
    requestsPerMinute: 100_000,
    signal,
    random: () => 0,
    ...(o.secrets ? { secrets: o.secrets } : {}),
  });
  await kind.pull({ connection: conn, sources, http, snapshot: state.snapshot, emit: (e) => o.events?.push(e), signal, env: {}, cwd: '.', now: o.now ?? Date.now });
  return http;
}

/** A new in-memory state. */
export const memoryState = (): SqliteStateStore => SqliteStateStore.open(':memory:', { manifestName: 't' });

/** The records of a snapshot stream, parsed. */
export async function records(state: StateStore, stream: string): Promise<Array<Record<string, any>>> {
  return (await state.snapshot.page(stream, 0, 1_000_000)).map((r) => JSON.parse(r.json) as Record<string, any>);
}

/** The snapshot as comparable data: every stream's [id, deleted, text] sorted, the text through `scrub`. */
export async function dump(state: StateStore, scrub: (json: string) => string = (j) => j): Promise<unknown> {
  const out: Array<[string, unknown]> = [];
  for (const s of await state.snapshot.streams()) out.push([s.stream, (await state.snapshot.page(s.stream, 0, 1_000_000)).map((r) => [r.id, r.deleted, scrub(r.json)]).sort()]);
  return Object.fromEntries(out);
}

/** The emulator's requests (from the `from`-th on) counted by operation. */
export function operations(emu: { requests(): readonly object[] }, from = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of (emu.requests() as Array<{ operation?: string }>).slice(from)) out[r.operation ?? '?'] = (out[r.operation ?? '?'] ?? 0) + 1;
  return out;
}

/** Installs the emulator's fault rules. */
export async function injectFaults(emu: { readonly url: string }, rules: object[]): Promise<void> {
  await fetch(`${emu.url}/__emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rules }) });
}

/** What pullLive throws for a manifest of `connection` and `sources`. */
export async function pullLiveError(connection: ConnectionDecl, sources: LiveSourceDecl[], state: StateStore): Promise<Error & { hint?: string }> {
  const manifest = { dir: '.', connections: { [connection.name]: connection }, sources: Object.fromEntries(sources.map((s) => [s.name, s])) } as unknown as Manifest;
  return (await pullLive({ manifest, snapshot: state.snapshot, env: {}, signal: new AbortController().signal }).catch((e: unknown) => e)) as Error & { hint?: string };
}

/**
 * A pull stopped (aborted) after each of `stops` pages and run again ends in the snapshot of an uninterrupted
 * pull, each into a new state of `open`.
 */
export async function stoppedPullsResume(
  pull: (state: StateStore, o: PullOpts) => Promise<unknown>,
  stops: number[],
  o: { open?: () => StateStore; dump?: (state: StateStore) => Promise<unknown> } = {},
): Promise<void> {
  const open = o.open ?? memoryState;
  const dumpOf = o.dump ?? ((s: StateStore) => dump(s));
  const whole = open();
  await pull(whole, {});
  const expected = await dumpOf(whole);
  await whole.close();
  for (const stopAfter of stops) {
    const state = open();
    const ac = new AbortController();
    let pages = 0;
    await expect(pull(state, { signal: ac.signal, events: { push: (e) => (e.type === 'page' && ++pages >= stopAfter ? ac.abort() : undefined) } })).rejects.toThrow();
    await pull(state, {});
    expect(await dumpOf(state)).toEqual(expected);
    await state.close();
  }
}
