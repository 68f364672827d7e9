/** A resource row as both backends store it (the same columns), and what reading it back needs. */
import type { RecordedError, ResourceKind, ResourceRow, ResourceStatus, TargetResult } from './types.js';

export interface RawResourceRow {
  address: string;
  kind: ResourceKind;
  parent: string | null;
  external_id: string;
  target_id: string | null;
  input_hash: string | null;
  applied: string | null;
  status: ResourceStatus;
  result: TargetResult | null;
  last_error: string | null;
  attempts: number;
  created_at: string;
  updated_at: string;
}

export function toResourceRow(r: RawResourceRow): ResourceRow {
  return {
    address: r.address,
    kind: r.kind,
    parent: r.parent,
    externalId: r.external_id,
    targetId: r.target_id,
    inputHash: r.input_hash,
    applied: r.applied ? (JSON.parse(r.applied) as unknown) : null,
    status: r.status,
    result: r.result,
    lastError: r.last_error ? (JSON.parse(r.last_error) as RecordedError) : null,
    attempts: r.attempts,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** An address pattern's literal prefix as a LIKE pattern (escape `\`), so that a look-up uses the index. */
export function likePrefix(pattern: string): string {
  const star = pattern.indexOf('*');
  const prefix = star === -1 ? pattern : pattern.slice(0, star);
  return prefix.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
}
