/** Text formatting shared by the plain-line renderer and the plan printer. Pure functions, no I/O. */
import type { Counts } from '../apply/events.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { Listed, PlanSummary } from '../plan/types.js';
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

/** A planned value as a person reads it: DONE/DONE_MANUALLY_SET, u_…, [lt_…, lt_…], nobody. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'nobody';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('status' in o) return o.statusDetail ? `${String(o.status)}/${String(o.statusDetail)}` : String(o.status);
    if ('userId' in o) return String(o.userId);
    if ('machineUserId' in o) return String(o.machineUserId);
    return JSON.stringify(v);
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const LISTED = 20;

function section<T>(lines: string[], title: string, list: Listed<T>, line: (x: T) => string): void {
  if (list.items.length === 0) return;
  lines.push(title);
  for (const x of list.items.slice(0, LISTED)) lines.push(line(x));
  const more = list.items.length - Math.min(list.items.length, LISTED) + list.more;
  if (more > 0) lines.push(`  … and ${more} more`);
  lines.push('');
}

export function formatPlan(s: PlanSummary): string {
  const lines: string[] = [];
  if (s.invalid.items.length > 0) {
    lines.push('Invalid records (not sent):');
    for (const r of s.invalid.items) lines.push(formatInvalid(r));
    if (s.invalid.more > 0) lines.push(`  … and ${s.invalid.more} more`);
    lines.push('');
  }
  if (s.unmapped.length > 0) {
    lines.push('Unmapped table values:');
    for (const u of s.unmapped) {
      lines.push(`  ${u.table}[${JSON.stringify(u.value)}] × ${u.count} → ${u.defaulted ? '_default' : 'record invalid (no _default)'}`);
    }
    lines.push('');
  }
  section(lines, 'Updates:', s.updates, ({ address, change: c }) => `  ~ ${address} ${c.attribute}: ${showValue(c.from)} → ${showValue(c.to)}`);
  section(
    lines,
    'Conflicts (changed in the source and in Plain since the last apply; left as they are in Plain, --overwrite-conflicts to replace):',
    s.conflicts,
    ({ address, change: c }) => `  ! ${address} ${c.attribute}: last applied ${showValue(c.from)}, Plain now ${showValue(c.plain)}, source now ${showValue(c.to)}`,
  );
  section(
    lines,
    'Cannot be changed after import (reported, not applied):',
    s.frozenList,
    ({ address, change: c }) => `  ! ${address} ${c.attribute}: imported ${showValue(c.from)}, source now ${showValue(c.to)}`,
  );
  section(lines, 'Imported messages changed in the source (text, author and time cannot be changed after import):', s.changedMessages, (a) => `  ! ${a}`);
  section(lines, 'Orphans (recorded, but their source record is gone; kept in Plain, never deleted):', s.orphans, (a) => `  - ${a}`);
  section(lines, 'Deleted in Plain (found by --refresh; not re-created; `state rm` them to import again):', s.deleted, (a) => `  - ${a}`);
  const attrs = Object.entries(s.attributes);
  if (attrs.length > 0) {
    lines.push(`Changes by attribute: ${attrs.map(([a, n]) => `${a} on ${plural(n, 'thread')}`).join(', ')}.`);
  }
  const frozen = Object.entries(s.frozen);
  if (frozen.length > 0) {
    lines.push(`Not updatable: ${frozen.map(([a, n]) => `${a} on ${plural(n, 'thread')}`).join(', ')}.`);
  }
  if (attrs.length + frozen.length > 0) lines.push('');
  const t = s.threads;
  const m = s.messages;
  lines.push(
    `Plan: ${t.create} to create, ${t.update} to update, ${t.append} to append to, ${t.noop} unchanged, ${t.invalid} invalid, ${t.orphan} orphaned` +
      `${t.deleted ? `, ${t.deleted} deleted in Plain` : ''}${t.filtered ? `, ${t.filtered} filtered out by where` : ''} (threads); ` +
      `${m.create + m.append} messages to import (${m.noop} already imported, ${m.invalid} invalid` +
      `${m.changed ? `, ${m.changed} changed` : ''}${m.orphan ? `, ${m.orphan} orphaned` : ''}); ` +
      `${plural(s.customers.upsert, 'customer')} to upsert.`,
  );
  return lines.join('\n');
}

export function formatCounts(c: Counts): string {
  const part = (label: string, x: Counts[keyof Counts]) =>
    `${label}: ${x.CREATED} created, ${x.NOOP} noop${x.UPDATED ? `, ${x.UPDATED} updated` : ''}, ${x.FAILED} failed`;
  return [part('customers', c.customer), part('threads', c.thread), part('messages', c.message)].join(' | ');
}
