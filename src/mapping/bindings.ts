/**
 * The functions bound into every expression: $record, $records, $table, $htmlToText,
 * $htmlToMarkdown, $toISO. `$thread` is bound per thread for message expressions.
 */
import type { Manifest } from '../manifest/types.js';
import type { SourceIndex } from '../sources/types.js';
import { keyToString } from '../sources/index.js';
import { htmlToMarkdown, htmlToText, toISO } from './convert.js';

export interface SourceIndexes {
  key: ReadonlyMap<string, SourceIndex>;
  groupBy: ReadonlyMap<string, SourceIndex>;
}

/** Table values with no row, counted across a plan: `${table}\u0000${value}` → count. */
export class UnmappedCounter {
  readonly counts = new Map<string, { table: string; value: string; count: number; defaulted: boolean }>();
  add(table: string, value: string, defaulted: boolean, count = 1): void {
    const k = `${table}\u0000${value}`;
    const e = this.counts.get(k);
    if (e) e.count += count;
    else this.counts.set(k, { table, value, count, defaulted });
  }
}

export type Bindings = Record<string, unknown>;

/** What a mapping looked up, so that a cached result can be checked against the sources later. */
export interface LookupTracker {
  track(source: string, kind: 'one' | 'all', key: string): void;
}

export function makeBindings(manifest: Manifest, indexes: SourceIndexes, unmapped: UnmappedCounter, tracker?: LookupTracker): Bindings {
  const tableRow = (name: string, value: unknown): unknown => {
    const table = manifest.tables[name];
    if (!table) throw new Error(`$table: there is no table '${name}' under tables:`);
    const k = value === undefined || value === null ? 'null' : typeof value === 'object' ? JSON.stringify(value) : String(value);
    if (table.rows.has(k)) return table.rows.get(k);
    if (table.hasDefault) {
      unmapped.add(name, k, true);
      return table.defaultValue;
    }
    unmapped.add(name, k, false);
    throw new Error(`$table('${name}'): no row for ${JSON.stringify(k)} and the table has no _default`);
  };
  return {
    record: (source: unknown, key: unknown): unknown => {
      const idx = indexes.key.get(String(source));
      if (!idx) throw new Error(`$record: source '${String(source)}' has no key: declare one under sources.${String(source)}.key`);
      const k = keyToString(key);
      if (k === undefined) return undefined;
      tracker?.track(String(source), 'one', k);
      return idx.get(k);
    },
    records: (source: unknown, key: unknown): unknown[] => {
      const idx = indexes.groupBy.get(String(source));
      if (!idx) throw new Error(`$records: source '${String(source)}' has no groupBy: declare one under sources.${String(source)}.groupBy`);
      const k = keyToString(key);
      if (k === undefined) return [];
      tracker?.track(String(source), 'all', k);
      return idx.getAll(k);
    },
    table: (name: unknown, value: unknown): unknown => {
      // JSONata's convention: nothing in, nothing out (an unassigned ticket stays unassigned).
      // A JSON null is a value, and takes its row or _default.
      if (value === undefined) return undefined;
      if (Array.isArray(value)) {
        return value.map((v) => tableRow(String(name), v)).filter((v) => v !== null && v !== undefined);
      }
      return tableRow(String(name), value);
    },
    htmlToText,
    htmlToMarkdown,
    toISO,
  };
}
