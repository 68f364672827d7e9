import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted, so that equal values always hash equally. Written with loops rather
 * than map/filter/join: it runs for every message of every plan (a few percent of a plan's time).
 */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i > 0 ? ',' : '') + canonicalJson(v[i]);
    return `${s}]`;
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += `${first ? '' : ','}${JSON.stringify(k)}:${canonicalJson(x)}`;
    first = false;
  }
  return `${s}}`;
}

export function hashOf(v: unknown): string {
  return createHash('sha256').update(canonicalJson(v)).digest('hex');
}
