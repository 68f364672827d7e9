/**
 * Parts of the manifest contract that this version accepts but does not carry out yet. plan and
 * apply say so up front, so that nobody believes a tenant or an attachment was imported when it
 * was not.
 */
import type { Manifest } from '../manifest/types.js';

export function notYetApplied(m: Manifest): string[] {
  const out: string[] = [];
  const t = m.threads;
  if (t.closedAt && m.target.kind === 'plain') out.push('threads.closedAt (used by the There There target only)');
  return out;
}

export function formatNotYetApplied(m: Manifest): string {
  const list = notYetApplied(m);
  if (list.length === 0) return '';
  return `Warning: this version of plain-migrate reads but does not apply:\n${list.map((x) => `  - ${x}`).join('\n')}\n\n`;
}
