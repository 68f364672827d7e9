/** Reading a live source: its records in the snapshot, in the order they were first pulled. */
import { PmError } from '../../core/errors.js';
import type { LiveSourceDecl } from '../../manifest/types.js';
import type { SnapshotStore } from '../../state/types.js';
import type { SourceItem } from '../types.js';

const PAGE = 1000;

/** The snapshot the live source reads, or a PmError saying what to run first. */
export async function pulledStream(decl: LiveSourceDecl, snapshot: SnapshotStore | undefined) {
  const info = await snapshot?.stream(decl.snapshotStream);
  if (!snapshot || !info) {
    throw new PmError('source.not-pulled', `source "${decl.name}": nothing has been pulled from ${decl.snapshotStream} yet`, {
      location: decl.location,
      path: `sources.${decl.name}`,
      hint: 'run plain-migrate pull (plan pulls first unless --offline)',
    });
  }
  return { snapshot, info };
}

export async function* readLive(decl: LiveSourceDecl, snapshot: SnapshotStore | undefined, signal?: AbortSignal): AsyncGenerator<SourceItem> {
  const { snapshot: snap } = await pulledStream(decl, snapshot);
  let after = 0;
  let index = 0;
  for (;;) {
    signal?.throwIfAborted();
    // Pages by position, no cursor held open: the state store stays free for the plan's own reads.
    const rows = await snap.page(decl.snapshotStream, after, PAGE);
    if (rows.length === 0) return;
    for (const r of rows) {
      after = r.ord;
      yield { ok: true, record: JSON.parse(r.json) as unknown, location: { file: decl.snapshotStream, index: index++, id: r.id } };
    }
  }
}
