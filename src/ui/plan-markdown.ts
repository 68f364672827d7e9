/**
 * The plan as GitHub-flavoured Markdown, for a pull-request comment (`plan --format markdown`). Pure, no I/O.
 *
 * The same counts and wording as `formatPlan` (format.ts), shorter: the first few items of each kind, and the
 * whole comment kept under GitHub's 65,536-character limit however big the plan. Data from the sources and the
 * manifest (addresses, reasons, values, emails) is only ever written inside code blocks and code spans whose
 * fences are longer than any run of backticks in it, with control and bidi characters replaced by spaces: it
 * cannot close them, start HTML, mention anyone or add lines of its own. None of it goes into a table cell.
 */
import type { InvalidRecord } from '../mapping/map.js';
import type { AttributeChange } from '../plan/diff.js';
import { hasChanges } from '../plan/tally.js';
import type { Listed, PlanSummary } from '../plan/types.js';
import { n, planSummaryLine, plural, showValue, unresolvedAgentLine } from './format.js';

/** GitHub's limit on the body of an issue or pull-request comment, in characters. */
export const GITHUB_COMMENT_LIMIT = 65_536;

export interface PlanMarkdownOptions {
  /** The target's name ("Plain", "There There"). */
  readonly target: string;
  /** The manifest's `name`. */
  readonly migration: string;
  /** The manifest, as the reader knows it (a path relative to the repository). */
  readonly manifestFile?: string;
  /** Where `--out` saved the plan, as given on the command line. */
  readonly savedTo?: string;
  /** Items listed of each kind; default 10. */
  readonly maxPerKind?: number;
}

/** What the comment is kept under, leaving room for what a workflow adds (a sticky comment's marker, a footer). */
const MAX_CHARS = 60_000;
/** Kept free for the headings, the lines after the lists and the footer, whatever the lists took. */
const RESERVE = 8_000;
const MAX_VALUE = 300;
const MAX_REASON = 500;
const MAX_REASONS = 5;

/** Characters that would break a line or a code span, or reorder what is shown (bidi controls). */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

interface Run {
  readonly perKind: number;
  readonly budget: number;
  length: number;
  /** Some value was cut to its first characters. */
  clipped: boolean;
  /** Some list was cut short to keep the comment under the limit. */
  cut: boolean;
  /** Some list had more items than listed. */
  capped: boolean;
}

/** One line of user data: unsafe characters replaced, at most `max` characters (the rest counted). */
function clip(s: string, max: number, run: Run): string {
  const t = s.replace(UNSAFE, ' ');
  if (t.length <= max) return t;
  let end = max;
  const c = t.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--; // never half a surrogate pair
  run.clipped = true;
  return `${t.slice(0, end)}… [${n(t.length - end)} more characters]`;
}

function longestBacktickRun(s: string): number {
  let best = 0;
  for (const m of s.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}

/** A code span that shows `s` as it is, whatever backticks it holds (CommonMark: a longer fence, padded). */
export function codeSpan(s: string): string {
  const t = s.replace(UNSAFE, ' ');
  if (t === '') return '*(empty)*';
  const fence = '`'.repeat(longestBacktickRun(t) + 1);
  const pad = /^[ `]|[ `]$/.test(t) ? ' ' : '';
  return `${fence}${pad}${t}${pad}${fence}`;
}

/** A fenced code block no line of which can close it. Lines must already be free of line breaks. */
function codeBlock(lines: readonly string[], lang = 'diff'): string {
  let longest = 0;
  for (const l of lines) longest = Math.max(longest, longestBacktickRun(l));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return [`${fence}${lang}`, ...lines, fence].join('\n');
}

/** Our own words (the target's name, attribute names) as Markdown text: punctuation that means something escaped. */
function text(s: string): string {
  return s.replace(UNSAFE, ' ').replace(/[\\`*_[\]<>|#~!&]/g, (c) => `\\${c}`);
}

function push(out: string[], run: Run, s: string): void {
  out.push(s);
  run.length += s.length + 1;
}

/**
 * A titled list, like format.ts's `group`: the first `perKind` items in a code block, then "… and K more".
 * An item is listed only while the comment stays under its budget.
 */
function group<T>(out: string[], run: Run, title: string, list: Listed<T>, item: (x: T) => string[]): void {
  const total = list.items.length + list.more;
  if (total === 0) return;
  const lines: string[] = [];
  let used = title.length + 40;
  let shown = 0;
  for (const x of list.items) {
    if (shown >= run.perKind) break;
    const clipped = run.clipped;
    const these = item(x);
    const size = these.reduce((k, l) => k + l.length + 1, 0);
    if (run.length + used + size + RESERVE > run.budget) {
      run.clipped = clipped; // not listed after all
      run.cut = true;
      break;
    }
    lines.push(...these);
    used += size;
    shown++;
  }
  const more = total - shown;
  if (more > 0) {
    run.capped = true;
    lines.push(`… and ${n(more)} more`);
  }
  push(out, run, `**${title}**`);
  push(out, run, '');
  push(out, run, codeBlock(lines));
  push(out, run, '');
}

/** Updates are listed per change; shown per thread, one attribute a line (as formatPlan does). */
function byThread(list: PlanSummary['updates']): Listed<{ address: string; changes: AttributeChange[] }> {
  const out: Array<{ address: string; changes: AttributeChange[] }> = [];
  for (const { address, change } of list.items) {
    const last = out[out.length - 1];
    if (last && last.address === address) last.changes.push(change);
    else out.push({ address, changes: [change] });
  }
  return { items: out, more: list.more };
}

function invalidLines(r: InvalidRecord, run: Run): string[] {
  const address = clip(r.address, MAX_VALUE, run);
  const head = r.address === r.where ? address : `${address} (${clip(r.where, MAX_VALUE, run)})`;
  const reasons = r.reasons.slice(0, MAX_REASONS).map((x) => `    - ${clip(x, MAX_REASON, run)}`);
  if (r.reasons.length > MAX_REASONS) reasons.push(`    - … and ${n(r.reasons.length - MAX_REASONS)} more reasons`);
  return [`! ${head}`, ...reasons];
}

/** The counts of the plan, as tables: numbers and our own words only. */
function tables(s: PlanSummary, target: string): string[] {
  const t = s.threads;
  const m = s.messages;
  const row = (label: string, threads: number | null, messages: number | null) =>
    `| ${label} | ${threads === null ? '' : n(threads)} | ${messages === null ? '' : n(messages)} |`;
  const rows = [
    '| | Threads | Messages |',
    '|:--|--:|--:|',
    row('to import (`+`)', t.create, m.create),
    row('to update (`~`)', t.update, null),
    row('to append to (`>`)', t.appendTo, m.append),
    row('invalid, not sent (`!`)', t.invalid, m.invalid),
    row('orphaned, kept (`-`)', t.orphan, m.orphan),
    row('unchanged', t.noop, m.noop),
  ];
  if (t.deleted) rows.push(row(`deleted in ${text(target)} (found by --refresh)`, t.deleted, null));
  if (t.filtered) rows.push(row('filtered out by `where`', t.filtered, null));
  if (m.changed) rows.push(row('imported, changed in the source (reported)', null, m.changed));
  if (m.skipped) rows.push(row('not carried (appendAs: skip)', null, m.skipped));
  const other: Array<[string, number]> = [
    ['customers to upsert', s.customers.upsert],
    ['label types to create', s.labelTypes.create],
    ['tenants to upsert', s.tenants.upsert],
    ['customers to add to tenants', s.tenants.join],
    ['attachments to upload', s.attachments.upload],
    [`conflicts, left as they are in ${text(target)}`, s.conflicts.items.length + s.conflicts.more],
    ['changes that cannot be made after import (reported)', s.frozenList.items.length + s.frozenList.more],
  ];
  const shown = other.filter(([, k]) => k > 0);
  if (shown.length > 0) {
    rows.push('', '| Also | Count |', '|:--|--:|');
    for (const [label, k] of shown) rows.push(`| ${label} | ${n(k)} |`);
  }
  return rows;
}

function render(s: PlanSummary, o: PlanMarkdownOptions, perKind: number): { text: string; run: Run } {
  const run: Run = { perKind, budget: MAX_CHARS, length: 0, clipped: false, cut: false, capped: false };
  // Names given by the command (not plan data): cut short too, without the note about cut values.
  const name = (x: string, max: number) => clip(x, max, { ...run });
  const target = name(o.target, 100);
  const out: string[] = [];
  push(out, run, `### plain-migrate plan: ${codeSpan(name(o.migration, 200))} → ${text(target)}`);
  push(out, run, '');
  if (!hasChanges(s)) {
    push(out, run, `**No changes.** Nothing to import, update or append in ${text(target)}.`);
    push(out, run, '');
  }
  push(out, run, planSummaryLine(s));
  push(out, run, '');
  for (const r of tables(s, target)) push(out, run, r);
  push(out, run, '');

  const lists = out.length;
  group(out, run, 'Threads to import', s.creates, (c) => [`+ ${clip(c.address, MAX_VALUE, run)} (${plural(c.messages, 'message')})`]);
  group(out, run, 'Threads to update', byThread(s.updates), (u) => [
    `~ ${clip(u.address, MAX_VALUE, run)}`,
    ...u.changes.map((c) => `    ${c.attribute}: ${clip(showValue(c.from), MAX_VALUE, run)} → ${clip(showValue(c.to), MAX_VALUE, run)}`),
  ]);
  group(out, run, 'Threads to append to', s.appends, (a) => [`> ${clip(a.address, MAX_VALUE, run)} (+${plural(a.messages, 'message')})`]);
  group(out, run, `Customers to upsert (${n(s.customers.upsert)})`, s.newCustomers, (a) => [`+ customer[${clip(JSON.stringify(a), MAX_VALUE, run)}]`]);
  group(out, run, `Label types to create (${n(s.labelTypes.create)})`, s.newLabelTypes, (a) => [`+ label_type[${clip(JSON.stringify(a), MAX_VALUE, run)}]`]);
  group(
    out,
    run,
    `Conflicts (changed in the source and in ${text(target)} since the last apply; left as they are in ${text(target)}, --overwrite-conflicts to replace)`,
    s.conflicts,
    ({ address, change: c }) => [
      `! ${clip(address, MAX_VALUE, run)} ${c.attribute}: last applied ${clip(showValue(c.from), MAX_VALUE, run)}, ${target} now ${clip(showValue(c.plain), MAX_VALUE, run)}, source now ${clip(showValue(c.to), MAX_VALUE, run)}`,
    ],
  );
  group(out, run, 'Cannot be changed after import (reported, not applied)', s.frozenList, ({ address, change: c }) => [
    `! ${clip(address, MAX_VALUE, run)} ${c.attribute}: imported ${c.from === null ? 'none' : clip(showValue(c.from), MAX_VALUE, run)}, source now ${c.to === null ? 'none' : clip(showValue(c.to), MAX_VALUE, run)}`,
  ]);
  group(out, run, 'Imported messages changed in the source (text, author and time cannot be changed after import)', s.changedMessages, (a) => [`! ${clip(a, MAX_VALUE, run)}`]);
  group(out, run, `Orphans (recorded, but their source record is gone; kept in ${text(target)}, never deleted)`, s.orphans, (a) => [`- ${clip(a, MAX_VALUE, run)}`]);
  group(out, run, `Deleted in ${text(target)} (found by --refresh; not re-created; \`state rm\` them to import again)`, s.deleted, (a) => [`- ${clip(a, MAX_VALUE, run)}`]);
  group(out, run, 'Invalid records (not sent)', s.invalid, (r) => invalidLines(r, run));
  group(out, run, 'Unmapped table values', { items: s.unmapped, more: 0 }, (u) => [
    `! ${clip(`${u.table}[${JSON.stringify(u.value)}]`, MAX_VALUE, run)} × ${n(u.count)} → ${u.defaulted ? '_default' : 'record invalid (no _default)'}`,
  ]);
  group(out, run, `Agents given by email who are not ${text(target)} users (people who left, mostly)`, { items: s.unresolvedAgents, more: 0 }, (a) => [
    `! ${clip(a.email, MAX_VALUE, run)}: ${clip(unresolvedAgentLine(a), MAX_REASON, run)}`,
  ]);
  group(out, run, 'Notes on attachments, inline images, subjects and messages not carried (reported; the threads are imported)', s.notes, (x) => [
    `! ${clip(x.address, MAX_VALUE, run)}: ${clip(x.note, MAX_REASON, run)}`,
  ]);
  if (out.length > lists && perKind > 0) {
    const heading = `#### The first ${n(perKind)} of each kind`;
    out.splice(lists, 0, heading, '');
    run.length += heading.length + 2;
  }

  const attrs = Object.entries(s.attributes);
  if (attrs.length > 0) push(out, run, `Changes by attribute: ${attrs.map(([a, k]) => `${text(a)} on ${plural(k ?? 0, 'thread')}`).join(', ')}.`);
  const frozen = Object.entries(s.frozen);
  if (frozen.length > 0) push(out, run, `Not updatable: ${frozen.map(([a, k]) => `${text(a)} on ${plural(k, 'thread')}`).join(', ')}.`);
  // (formatPlan's "Also:" line is left out: the tables above give each of its counts.)
  if (attrs.length + frozen.length > 0) push(out, run, '');

  const said: string[] = [];
  if (run.cut) said.push(`Lists were cut short to keep this comment under GitHub's ${n(GITHUB_COMMENT_LIMIT)}-character limit.`);
  if (run.capped) said.push('`plain-migrate plan --verbose` lists every item.');
  if (run.clipped) said.push(`Values longer than ${MAX_VALUE} characters (reasons and notes: ${MAX_REASON}) are cut, with the number of characters left out.`);
  if (said.length > 0) {
    push(out, run, `<sub>${said.join(' ')}</sub>`);
    push(out, run, '');
  }
  if (o.savedTo) {
    const file = name(o.savedTo, 200);
    push(
      out,
      run,
      `Saved as ${codeSpan(file)}: ${codeSpan(`plain-migrate apply ${file}`)} carries out exactly this plan, or refuses it if the manifest, the state or the sources have changed since.`,
    );
    push(out, run, '');
  }
  const where = o.manifestFile ? `Manifest ${codeSpan(name(o.manifestFile, 200))} · ` : '';
  push(out, run, `${where}plan digest ${codeSpan(s.digest)}`);
  return { text: `${out.join('\n')}\n`, run };
}

/**
 * The plan as a pull-request comment: a heading naming the migration and target, the counts as tables, the
 * first `maxPerKind` (10) items of each kind with "… and K more", the invalid records with their reasons,
 * unmapped values, agents who are not users of the target, notes; never longer than GitHub allows.
 */
export function formatPlanMarkdown(s: PlanSummary, o: PlanMarkdownOptions): string {
  const perKind = Math.max(0, Math.floor(o.maxPerKind ?? 10));
  const full = render(s, o, perKind).text;
  if (full.length <= MAX_CHARS) return full;
  // Not reached with the reserve above (every value is clipped, every list counted against the budget); if it
  // ever is, the counts alone still make a comment.
  return render(s, o, 0).text;
}
