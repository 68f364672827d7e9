/** Text formatting shared by the plain-line renderer and the plan printer. Pure functions, no I/O. */
import type { Counts } from '../apply/events.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { PlanSummary } from '../plan/types.js';
import type { RecordedError } from '../state/types.js';

export function plural(n: number, word: string, many = `${word}s`): string {
  return `${n} ${n === 1 ? word : many}`;
}

export function formatInvalid(r: InvalidRecord): string {
  const head = r.address === r.where ? r.address : `${r.address} (${r.where})`;
  return [`  ! ${head}`, ...r.reasons.map((x) => `      - ${x}`)].join('\n');
}

export function formatRecordedError(e: RecordedError): string {
  const fields = (e.fields ?? []).map((f) => `${f.field}: ${f.message} (${f.type})`).join('; ');
  return `${e.message} [${e.code}]${fields ? ` — ${fields}` : ''}`;
}

export function formatPlan(s: PlanSummary): string {
  const lines: string[] = [];
  if (s.invalid.length > 0) {
    lines.push('Invalid records (not sent):');
    for (const r of s.invalid) lines.push(formatInvalid(r));
    if (s.invalidTruncated > 0) lines.push(`  … and ${s.invalidTruncated} more`);
    lines.push('');
  }
  if (s.unmapped.length > 0) {
    lines.push('Unmapped table values:');
    for (const u of s.unmapped) {
      lines.push(`  ${u.table}[${JSON.stringify(u.value)}] × ${u.count} → ${u.defaulted ? '_default' : 'record invalid (no _default)'}`);
    }
    lines.push('');
  }
  if (s.threads.changed > 0) {
    lines.push(`Note: ${plural(s.threads.changed, 'recorded thread')} changed in the source since it was imported; updating imported threads is not supported yet, so they are left as they are.`);
    lines.push('');
  }
  const t = s.threads;
  const m = s.messages;
  lines.push(
    `Plan: ${t.create} to create, ${t.append} to append to, ${t.noop} unchanged, ${t.invalid} invalid` +
      `${t.filtered ? `, ${t.filtered} filtered out by where` : ''} (threads); ` +
      `${m.create + m.append} messages to import (${m.noop} already imported, ${m.invalid} invalid); ` +
      `${plural(s.customers.upsert, 'customer')} to upsert.`,
  );
  return lines.join('\n');
}

export function formatCounts(c: Counts): string {
  const part = (label: string, x: Counts[keyof Counts]) =>
    `${label}: ${x.CREATED} created, ${x.NOOP} noop${x.UPDATED ? `, ${x.UPDATED} updated` : ''}, ${x.FAILED} failed`;
  return [part('customers', c.customer), part('threads', c.thread), part('messages', c.message)].join(' | ');
}
