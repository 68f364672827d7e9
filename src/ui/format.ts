/** Text formatting shared by the plain-line renderer and the plan printer. Pure functions, no I/O. */
import type { Counts } from '../apply/events.js';
import type { InvalidRecord } from '../mapping/map.js';
import type { UnresolvedAgent } from '../mapping/resolve.js';
import { showValue } from '../plan/diff.js';
import type { Listed, PlanSummary } from '../plan/types.js';

export { showValue };
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

const LISTED = 20;

/** 18332 → "18,332": the summary line's numbers. */
export function n(x: number): string {
  return x.toLocaleString('en-US');
}

export interface PlanFormatOptions {
  /** List every item instead of the first 20 of each group. */
  readonly verbose?: boolean;
  /** The target's name ("Plain", "There There"); default Plain. */
  readonly target?: string;
}

function group<T>(lines: string[], title: string, list: Listed<T>, line: (x: T) => string[], o: PlanFormatOptions): void {
  if (list.items.length === 0) return;
  lines.push(title);
  const shown = o.verbose ? list.items : list.items.slice(0, LISTED);
  for (const x of shown) lines.push(...line(x));
  const more = list.items.length - shown.length + list.more;
  if (more > 0) lines.push(`  … and ${n(more)} more${o.verbose ? '' : ' (--verbose lists them all)'}`);
  lines.push('');
}

/** Updates are listed per change; show them per thread, one attribute a line. */
function byThread(list: PlanSummary['updates']): Listed<{ address: string; changes: string[] }> {
  const out: Array<{ address: string; changes: string[] }> = [];
  for (const { address, change: c } of list.items) {
    const line = `${c.attribute}: ${showValue(c.from)} → ${showValue(c.to)}`;
    const last = out[out.length - 1];
    if (last && last.address === address) last.changes.push(line);
    else out.push({ address, changes: [line] });
  }
  return { items: out, more: list.more };
}

const msgs = (k: number): string => `${n(k)} ${k === 1 ? 'message' : 'messages'}`;

/**
 * The one summary line, frozen as an interface (scripts and reviews read it):
 * `Plan: 1,204 threads to import (18,332 messages), 3 to update, 15 to append (212 messages), 7 invalid, 0 orphaned, 9,880 unchanged.`
 */
export function planSummaryLine(s: PlanSummary): string {
  const t = s.threads;
  const m = s.messages;
  return (
    `Plan: ${n(t.create)} threads to import (${msgs(m.create)}), ${n(t.update)} to update, ` +
    `${n(t.appendTo)} to append (${msgs(m.append)}), ${n(t.invalid + m.invalid)} invalid, ${n(t.orphan + m.orphan)} orphaned, ${n(t.noop)} unchanged.`
  );
}

/** What the plan does with the threads and messages of an agent who is not a user of the target. */
export function unresolvedAgentLine(a: UnresolvedAgent): string {
  const why = a.reason.startsWith(`${a.email} `) ? a.reason.slice(a.email.length + 1) : a.reason;
  if (a.fallback) {
    const uses = [a.threads > 0 ? plural(a.threads, 'thread') : '', a.messages > 0 ? plural(a.messages, 'message') : ''].filter(Boolean).join(' and ');
    return `${why} → the agents table's _default ${a.fallback} for ${uses}`;
  }
  const what = [
    ...(a.threads > 0 ? [`${plural(a.threads, 'thread')} imported unassigned`] : []),
    ...(a.messages > 0 ? [`${plural(a.messages, 'message')} invalid (a message needs an author: add a row to the agents table, or a _default)`] : []),
  ];
  return `${why} → ${what.join(', ')}`;
}

/** The plan in Terraform's grammar: + import, > append, ~ update, - orphan, ! invalid or not applied. */
export function formatPlan(s: PlanSummary, o: PlanFormatOptions = {}): string {
  const lines: string[] = [];
  const target = o.target ?? 'Plain';
  group(lines, 'Invalid records (not sent):', s.invalid, (r) => formatInvalid(r).split('\n'), o);
  if (s.unmapped.length > 0) {
    lines.push('Unmapped table values:');
    for (const u of s.unmapped) {
      lines.push(`  ${u.table}[${JSON.stringify(u.value)}] × ${n(u.count)} → ${u.defaulted ? '_default' : 'record invalid (no _default)'}`);
    }
    lines.push('');
  }
  if (s.unresolvedAgents.length > 0) {
    lines.push(`Agents given by email who are not ${target} users (people who left, mostly):`);
    for (const a of s.unresolvedAgents) lines.push(`  ! ${a.email}: ${unresolvedAgentLine(a)}`);
    lines.push('');
  }
  group(lines, 'Notes on attachments, inline images, subjects and messages not carried (reported; the threads are imported):', s.notes, (x) => [`  ! ${x.address}: ${x.note}`], o);
  group(lines, `Label types to create (${n(s.labelTypes.create)}):`, s.newLabelTypes, (a) => [`  + label_type[${JSON.stringify(a)}]`], o);
  group(lines, `Customers to upsert (${n(s.customers.upsert)}):`, s.newCustomers, (a) => [`  + customer[${JSON.stringify(a)}]`], o);
  group(lines, 'Threads to import:', s.creates, (c) => [`  + ${c.address} (${plural(c.messages, 'message')})`], o);
  group(lines, 'Threads to update:', byThread(s.updates), (u) => [`  ~ ${u.address}`, ...u.changes.map((c) => `      ${c}`)], o);
  group(lines, 'Threads to append to:', s.appends, (a) => [`  > ${a.address} (+${plural(a.messages, 'message')})`], o);
  group(
    lines,
    `Conflicts (changed in the source and in ${target} since the last apply; left as they are in ${target}, --overwrite-conflicts to replace):`,
    s.conflicts,
    ({ address, change: c }) => [`  ! ${address} ${c.attribute}: last applied ${showValue(c.from)}, ${target} now ${showValue(c.plain)}, source now ${showValue(c.to)}`],
    o,
  );
  group(
    lines,
    'Cannot be changed after import (reported, not applied):',
    s.frozenList,
    ({ address, change: c }) => [`  ! ${address} ${c.attribute}: imported ${c.from === null ? 'none' : showValue(c.from)}, source now ${c.to === null ? 'none' : showValue(c.to)}`],
    o,
  );
  group(lines, 'Imported messages changed in the source (text, author and time cannot be changed after import):', s.changedMessages, (a) => [`  ! ${a}`], o);
  group(lines, `Orphans (recorded, but their source record is gone; kept in ${target}, never deleted):`, s.orphans, (a) => [`  - ${a}`], o);
  group(lines, `Deleted in ${target} (found by --refresh; not re-created; \`state rm\` them to import again):`, s.deleted, (a) => [`  - ${a}`], o);
  const attrs = Object.entries(s.attributes);
  if (attrs.length > 0) lines.push(`Changes by attribute: ${attrs.map(([a, k]) => `${a} on ${plural(k, 'thread')}`).join(', ')}.`);
  const frozen = Object.entries(s.frozen);
  if (frozen.length > 0) lines.push(`Not updatable: ${frozen.map(([a, k]) => `${a} on ${plural(k, 'thread')}`).join(', ')}.`);
  const extra: string[] = [];
  if (s.threads.deleted) extra.push(`${n(s.threads.deleted)} deleted in ${target}`);
  if (s.threads.filtered) extra.push(`${n(s.threads.filtered)} filtered out by where`);
  if (s.messages.skipped) extra.push(`${plural(s.messages.skipped, 'message')} not carried (appendAs: skip)`);
  if (s.messages.changed) extra.push(`${n(s.messages.changed)} imported messages changed in the source`);
  if (s.attachments.upload) extra.push(`${plural(s.attachments.upload, 'attachment')} to upload`);
  if (s.tenants.upsert + s.tenants.join) extra.push(`${plural(s.tenants.upsert, 'tenant')} to upsert, ${plural(s.tenants.join, 'customer')} to add to tenants`);
  if (extra.length > 0) lines.push(`Also: ${extra.join(', ')}.`);
  if (attrs.length + frozen.length + extra.length > 0) lines.push('');
  lines.push(planSummaryLine(s));
  return lines.join('\n');
}

/** `customers: false`: the target has no customer phase (its import carries the contact). */
export function formatCounts(c: Counts, o: { readonly customers?: boolean } = {}): string {
  const part = (label: string, x: Counts[keyof Counts]) =>
    `${label}: ${x.CREATED} created, ${x.NOOP} noop${x.UPDATED ? `, ${x.UPDATED} updated` : ''}, ${x.FAILED} failed`;
  const parts = [...(o.customers === false ? [] : [part('customers', c.customer)]), part('threads', c.thread), part('messages', c.message)];
  const a = c.attachment;
  if (a && a.CREATED + a.FAILED > 0) parts.push(`attachments: ${a.CREATED} uploaded, ${a.FAILED} not carried`);
  return parts.join(' | ');
}
