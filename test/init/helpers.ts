/** Helpers for the init tests: write a starter manifest next to sample exports and map them end to end. */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Message, Thread } from '../../src/core/model.js';
import { starterManifest, type InitSource } from '../../src/init/templates.js';
import { loadManifest, type Manifest } from '../../src/manifest/index.js';
import { Mapper, recordWhere, type InvalidRecord } from '../../src/mapping/map.js';
import { openIndexes } from '../../src/plan/plan.js';
import { readSource } from '../../src/sources/index.js';

export const INIT_FIXTURES = path.resolve(import.meta.dirname, '../fixtures/init');
export const NOW = Date.parse('2025-06-01T00:00:00Z');

/** A temp dir holding the starter manifest as plain-migrate.yaml and the source's sample export. */
export function workspace(from: InitSource): string {
  const dir = mkdtempSync(path.join(tmpdir(), `pm-init-${from}-`));
  cpSync(path.join(INIT_FIXTURES, from), dir, { recursive: true });
  const file = path.join(dir, 'plain-migrate.yaml');
  writeFileSync(file, starterManifest(from));
  return file;
}

export interface Mapped {
  readonly manifest: Manifest;
  /** Valid threads by externalId. */
  readonly threads: Map<string, Thread>;
  readonly invalid: InvalidRecord[];
  readonly invalidMessages: InvalidRecord[];
  /** file:line of the records `where` left out. */
  readonly filtered: string[];
  readonly indexErrors: string[];
  readonly unmapped: Array<{ table: string; value: string; count: number }>;
}

export async function mapWorkspace(from: InitSource): Promise<Mapped> {
  const manifest = await loadManifest(workspace(from), { env: { PLAIN_API_KEY: 'k' } });
  const indexes = await openIndexes(manifest);
  try {
    const mapper = new Mapper(manifest, indexes, () => NOW);
    const out: Mapped = {
      manifest,
      threads: new Map(),
      invalid: [],
      invalidMessages: [],
      filtered: [],
      indexErrors: [...indexes.key.values(), ...indexes.groupBy.values()].flatMap((i) => i.errors.map((e) => e.message)),
      unmapped: [],
    };
    for await (const item of readSource(manifest.sources[manifest.threads.source]!)) {
      if (!item.ok) throw item.error;
      const r = await mapper.map(item.record, item.location);
      if (r.kind === 'filtered') out.filtered.push(recordWhere(item.location));
      else if (r.kind === 'invalid') out.invalid.push(r.invalid);
      else {
        out.threads.set(r.thread.externalId, r.thread);
        out.invalidMessages.push(...r.invalidMessages);
      }
    }
    for (const u of mapper.unmapped.counts.values()) out.unmapped.push({ table: u.table, value: u.value, count: u.count });
    return out;
  } finally {
    indexes.close();
  }
}

/** A thread in short: what the tests compare. */
export function brief(t: Thread): Record<string, unknown> {
  return {
    title: t.title,
    createdAt: t.createdAt,
    status: `${t.status}/${t.statusDetail}`,
    priority: t.priority,
    labels: t.labelTypeIds,
    assignee: t.assignee && 'userId' in t.assignee ? t.assignee.userId : undefined,
    customer: `${t.customer.fullName} <${t.customer.email}>${t.customer.externalId ? ` ${t.customer.externalId}` : ''}`,
    messages: t.messages.map(briefMessage),
  };
}

export function briefMessage(m: Message): string {
  const who =
    m.author.kind === 'user' ? m.author.userId : m.author.customer ? `${m.author.customer.fullName} <${m.author.customer.email}>` : 'customer';
  return `${m.createdAt} ${m.type} ${m.externalId} by ${who}: ${m.text}`;
}
