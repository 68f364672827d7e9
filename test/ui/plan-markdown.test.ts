import { describe, expect, it } from 'vitest';
import type { Customer, Thread } from '../../src/core/model.js';
import type { InvalidRecord, MappingNote } from '../../src/mapping/map.js';
import type { UnresolvedAgent } from '../../src/mapping/resolve.js';
import type { AppliedAttributes } from '../../src/plan/diff.js';
import { PlanTally } from '../../src/plan/tally.js';
import type { PlanItem, PlanSummary, ThreadAction, ThreadPlanItem, UnmappedValue } from '../../src/plan/types.js';
import { formatPlan, n, planSummaryLine } from '../../src/ui/format.js';
import { codeSpan, formatPlanMarkdown, GITHUB_COMMENT_LIMIT } from '../../src/ui/plan-markdown.js';

// ---------------------------------------------------------------- summaries, made by the real tally

const ANN: Customer = { email: 'ann@example.com', fullName: 'Ann' };

function model(id: string, messages: number): Thread {
  return {
    externalId: id,
    title: `Ticket ${id}`,
    createdAt: '2024-01-01T00:00:00Z',
    status: 'TODO',
    labelTypeIds: [],
    customer: ANN,
    messages: Array.from({ length: messages }, (_, i) => ({
      externalId: `c${i}`,
      type: 'INBOUND' as const,
      text: 'hello',
      createdAt: '2024-01-01T00:00:00Z',
      author: { kind: 'customer' as const },
    })),
  };
}

const DESIRED: AppliedAttributes = {
  title: 't',
  status: { status: 'TODO', statusDetail: 'IN_PROGRESS' },
  labels: [],
  assignee: null,
  customer: ANN.email,
  createdAt: '2024-01-01T00:00:00Z',
  externalUrl: null,
  description: null,
};

/** A thread item as the planner makes it; `address` is the thread's address as given (any text). */
function thread(address: string, action: ThreadAction, o: Partial<ThreadPlanItem> & { messages?: number } = {}): ThreadPlanItem {
  const t = model(address, o.messages ?? 2);
  const send = action === 'noop' ? [] : t.messages.map((m, i) => ({ message: m, address: `${address}/m${i}`, hash: `h${i}` }));
  return {
    kind: 'thread',
    action,
    address,
    thread: t,
    hash: `hash-${address}`,
    desired: DESIRED,
    targetId: action === 'create' ? undefined : `th_${address}`,
    send,
    recordedMessages: action === 'create' ? 0 : 3,
    updates: [],
    conflicts: [],
    frozen: [],
    changedMessages: [],
    orphanMessages: [],
    newCustomers: [],
    invalidMessages: [],
    notes: [],
    newLabelTypes: [],
    newTenants: [],
    newMemberships: [],
    ...o,
  };
}

const invalid = (address: string, reasons: string[] = ['threads.customer.email is required']): PlanItem => ({
  kind: 'invalid',
  invalid: { address, where: `export/tickets.jsonl:${address.length}`, reasons },
});

function summarise(items: Iterable<PlanItem>, o: { filtered?: number; unmapped?: UnmappedValue[]; agents?: UnresolvedAgent[] } = {}): PlanSummary {
  const tally = new PlanTally(25, 1);
  for (const item of items) tally.add(item);
  return tally.summary(o.filtered ?? 0, o.unmapped ?? [], o.agents ?? []);
}

const ids = (prefix: string, k: number): string[] => Array.from({ length: k }, (_, i) => `thread["${prefix}-${i + 1}"]`);

/** A plan with something of every kind. */
function mixed(): PlanSummary {
  const note: MappingNote = { address: 'message["zd-1/c0"]', note: 'setup.exe: a type Plain refuses; not migrated' };
  const badMessage: InvalidRecord = { address: 'message["zd-u1/c9"]', where: 'export/comments.jsonl:9', reasons: ['text is empty'] };
  return summarise(
    [
      ...ids('zd', 25).map((a, i) =>
        thread(a, 'create', {
          messages: 1 + (i % 3),
          newCustomers: i < 4 ? [{ email: `Customer${i}@Example.com`, fullName: 'C' }] : [],
          newLabelTypes: i === 0 ? ['VIP'] : [],
          notes: i === 0 ? [note] : [],
        }),
      ),
      ...ids('zd-u', 3).map((a, i) =>
        thread(a, 'update', {
          messages: i === 0 ? 1 : 0,
          updates: [
            { attribute: 'status', from: { status: 'TODO', statusDetail: null }, to: { status: 'DONE', statusDetail: 'DONE_MANUALLY_SET' } },
            { attribute: 'labels', from: [], to: ['lt_1'] },
          ],
          invalidMessages: i === 0 ? [badMessage] : [],
          conflicts: i === 1 ? [{ attribute: 'title', from: 'a', to: 'b', plain: 'c' }] : [],
          frozen: i === 2 ? [{ attribute: 'createdAt', from: '2020-01-01', to: '2021-01-01' }] : [],
          changedMessages: i === 2 ? ['message["zd-u3/c1"]'] : [],
        }),
      ),
      ...ids('zd-a', 12).map((a) => thread(a, 'append', { messages: 2, orphanMessages: a.endsWith('-1"]') ? ['message["zd-a-1/c7"]'] : [] })),
      ...ids('zd-n', 4).map((address) => ({ kind: 'unchanged' as const, address, messages: 5 })),
      thread('thread["zd-n-5"]', 'noop'),
      invalid('thread["zd-123"]'),
      invalid('thread["zd-124"]', ['a', 'b']),
      { kind: 'orphan', address: 'thread["zd-gone-1"]', targetId: 'th_1' },
      { kind: 'orphan', address: 'thread["zd-gone-2"]', targetId: null },
      { kind: 'deleted', address: 'thread["zd-del-1"]', targetId: 'th_9' },
    ],
    {
      filtered: 1,
      unmapped: [
        { table: 'labels', value: 'mobile', count: 3, defaulted: true },
        { table: 'status', value: 'weird', count: 1, defaulted: false },
      ],
      agents: [{ email: 'leo@acme.com', reason: 'leo@acme.com is not a Plain user', fallback: null, threads: 2, messages: 0 }],
    },
  );
}

// ---------------------------------------------------------------- reading the Markdown back

interface Parsed {
  /** Every line outside fenced code blocks. */
  readonly outside: string[];
  /** The lines of each fenced code block. */
  readonly blocks: string[][];
}

/** Splits the comment the way CommonMark does: a fence closes only with at least as many backticks. */
function parse(md: string): Parsed {
  const outside: string[] = [];
  const blocks: string[][] = [];
  let open: { fence: number; lines: string[] } | null = null;
  for (const line of md.split('\n')) {
    if (open) {
      const close = /^ {0,3}(`+)\s*$/.exec(line);
      if (close && close[1]!.length >= open.fence) {
        blocks.push(open.lines);
        open = null;
      } else open.lines.push(line);
      continue;
    }
    const start = /^ {0,3}(`{3,})([^`]*)$/.exec(line);
    if (start) open = { fence: start[1]!.length, lines: [] };
    else outside.push(line);
  }
  expect(open, 'every code block is closed').toBeNull();
  return { outside, blocks };
}

/** A line with its code spans taken out (CommonMark: a run of N backticks closes at the next run of exactly N). */
function withoutCodeSpans(line: string): string {
  let out = '';
  let i = 0;
  while (i < line.length) {
    if (line[i] !== '`') {
      out += line[i++];
      continue;
    }
    const run = /^`+/.exec(line.slice(i))![0];
    let j = i + run.length;
    let end = -1;
    while (j < line.length) {
      const m = /`+/.exec(line.slice(j));
      if (!m) break;
      if (m[0].length === run.length) {
        end = j + m.index + run.length;
        break;
      }
      j += m.index + m[0].length;
    }
    if (end < 0) {
      out += run;
      i += run.length;
    } else {
      out += '␣';
      i = end;
    }
  }
  return out;
}

/** The lines of the block under a bold title. */
function block(md: string, title: string): string[] {
  const lines = md.split('\n');
  const at = lines.indexOf(`**${title}**`);
  expect(at, title).toBeGreaterThanOrEqual(0);
  const rest = parse(lines.slice(at + 2).join('\n'));
  return rest.blocks[0]!;
}

/** The table row with this label, as cells. */
function row(md: string, label: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${label} |`));
  expect(line, label).toBeDefined();
  return line!.split('|').slice(2, -1).map((c) => c.trim());
}

const O = { target: 'Plain', migration: 'zendesk-to-plain' };

// ---------------------------------------------------------------- the tests

describe('formatPlanMarkdown', () => {
  it("the tables give the summary's counts, and the summary line is formatPlan's", () => {
    const s = mixed();
    const md = formatPlanMarkdown(s, O);
    expect(md.split('\n')[0]).toBe('### plain-migrate plan: `zendesk-to-plain` → Plain');
    expect(md).toContain(`\n${planSummaryLine(s)}\n`);
    expect(md).not.toContain('No changes');
    expect(s.threads).toMatchObject({ create: 25, update: 3, appendTo: 13, invalid: 2, orphan: 2, noop: 5, deleted: 1, filtered: 1 });
    const t = s.threads;
    const m = s.messages;
    expect(row(md, 'to import (`+`)')).toEqual([n(t.create), n(m.create)]);
    expect(row(md, 'to update (`~`)')).toEqual([n(t.update), '']);
    expect(row(md, 'to append to (`>`)')).toEqual([n(t.appendTo), n(m.append)]);
    expect(row(md, 'invalid, not sent (`!`)')).toEqual([n(t.invalid), n(m.invalid)]);
    expect(row(md, 'orphaned, kept (`-`)')).toEqual([n(t.orphan), n(m.orphan)]);
    expect(row(md, 'unchanged')).toEqual([n(t.noop), n(m.noop)]);
    expect(row(md, 'deleted in Plain (found by --refresh)')).toEqual([n(t.deleted), '']);
    expect(row(md, 'filtered out by `where`')).toEqual([n(t.filtered), '']);
    expect(row(md, 'imported, changed in the source (reported)')).toEqual(['', n(m.changed)]);
    expect(row(md, 'customers to upsert')).toEqual([n(s.customers.upsert)]);
    expect(row(md, 'label types to create')).toEqual([n(s.labelTypes.create)]);
    expect(row(md, 'conflicts, left as they are in Plain')).toEqual(['1']);
    expect(row(md, 'changes that cannot be made after import (reported)')).toEqual(['1']);
    // Rows of nothing are left out of the second table.
    expect(md).not.toContain('| tenants to upsert |');
    // Every table row has its columns (nothing in a cell adds a pipe).
    for (const l of md.split('\n').filter((x) => x.startsWith('|'))) expect(l.split('|').length === 5 || l.split('|').length === 4, l).toBe(true);
    expect(md).toContain(`plan digest \`${s.digest}\``);
  });

  it("lists formatPlan's groups under its titles, with its lines, the first 10 of each kind, then '… and K more'", () => {
    const s = mixed();
    const md = formatPlanMarkdown(s, O);
    const terminal = formatPlan(s, { target: 'Plain' }).split('\n');
    const titles = terminal.filter((l) => /^[A-Z].*:$/.test(l)).map((l) => l.slice(0, -1));
    expect(titles.length).toBeGreaterThanOrEqual(12);
    for (const title of titles) expect(md, title).toContain(`\n**${title}**\n`);
    // The first ten of the 25 imports, as formatPlan writes them (without the indent), then the rest counted.
    const imports = block(md, 'Threads to import');
    const first = terminal.slice(terminal.indexOf('Threads to import:') + 1).slice(0, 10).map((l) => l.slice(2));
    expect(imports).toEqual([...first, '… and 15 more']);
    expect(block(md, 'Threads to append to')).toHaveLength(11);
    expect(block(md, 'Threads to append to')[10]).toBe('… and 3 more');
    expect(block(md, 'Threads to update').slice(0, 3)).toEqual(['~ thread["zd-u-1"]', '    status: TODO → DONE/DONE_MANUALLY_SET', '    labels: [] → [lt_1]']);
    expect(block(md, 'Invalid records (not sent)')).toEqual([
      '! message["zd-u1/c9"] (export/comments.jsonl:9)',
      '    - text is empty',
      '! thread["zd-123"] (export/tickets.jsonl:16)',
      '    - threads.customer.email is required',
      '! thread["zd-124"] (export/tickets.jsonl:16)',
      '    - a',
      '    - b',
    ]);
    expect(block(md, 'Unmapped table values')).toEqual(['! labels["mobile"] × 3 → _default', '! status["weird"] × 1 → record invalid (no _default)']);
    expect(block(md, 'Agents given by email who are not Plain users (people who left, mostly)')).toEqual([
      '! leo@acme.com: is not a Plain user → 2 threads imported unassigned',
    ]);
    expect(md).toContain('`plain-migrate plan --verbose` lists every item.');
    // Three of each kind when asked.
    const three = formatPlanMarkdown(s, { ...O, maxPerKind: 3 });
    expect(three).toContain('#### The first 3 of each kind');
    expect(block(three, 'Threads to import')).toEqual([...first.slice(0, 3), '… and 22 more']);
    expect(block(three, 'Orphans (recorded, but their source record is gone; kept in Plain, never deleted)')).toEqual([
      '- message["zd-a-1/c7"]',
      '- thread["zd-gone-1"]',
      '- thread["zd-gone-2"]',
    ]);
  });

  it('says where the plan was saved and how to apply exactly it, and names the manifest and the target', () => {
    const s = summarise([thread('thread["x"]', 'create')]);
    const md = formatPlanMarkdown(s, { target: 'There There', migration: 'zd', manifestFile: 'migration/plain-migrate.yaml', savedTo: 'plan.json' });
    expect(md.split('\n')[0]).toBe('### plain-migrate plan: `zd` → There There');
    expect(md).toContain('Saved as `plan.json`: `plain-migrate apply plan.json` carries out exactly this plan');
    expect(md).toContain('Manifest `migration/plain-migrate.yaml` · plan digest');
    expect(md).not.toContain('--verbose'); // nothing left unlisted
  });

  it('an empty plan: "No changes", the summary line, and no lists', () => {
    const s = summarise([]);
    const md = formatPlanMarkdown(s, O);
    expect(md).toContain('**No changes.** Nothing to import, update or append in Plain.');
    expect(md).toContain('Plan: 0 threads to import (0 messages), 0 to update, 0 to append (0 messages), 0 invalid, 0 orphaned, 0 unchanged.');
    expect(md).not.toContain('####');
    expect(parse(md).blocks).toEqual([]);
    expect(md.length).toBeLessThan(1_500);
    // Nothing to do but invalid records to report: still "No changes", with the records listed.
    const bad = formatPlanMarkdown(summarise([{ kind: 'unchanged', address: 'thread["a"]', messages: 1 }, invalid('thread["b"]')]), O);
    expect(bad).toContain('**No changes.**');
    expect(block(bad, 'Invalid records (not sent)')[0]).toBe('! thread["b"] (export/tickets.jsonl:11)');
  });

  it('addresses and reasons with pipes, backticks, HTML, line breaks and mentions stay inside their code block', () => {
    const evil = [
      'thread["a|b|c"]',
      'thread["```"]',
      'thread["````\n# Injected heading"]',
      'thread["<script>alert(1)</script>"]',
      'thread["@octocat <img src=x onerror=alert(1)>"]',
      'thread["\u202eevil"]',
    ];
    const reason = '| broken | table |\n\n<script>alert("reason")</script> ``` @octocat';
    const s = summarise([...evil.map((a) => thread(a, 'create')), ...evil.map((a) => invalid(a, [reason]))]);
    const md = formatPlanMarkdown(s, { ...O, migration: 'my`mig |<b>x</b>', savedTo: 'out`.json' });
    const { outside, blocks } = parse(md);
    // Nothing of the data outside a code block or span: no HTML, no mention, no heading of its own.
    const prose = outside.map(withoutCodeSpans).join('\n');
    expect(prose).not.toMatch(/<script|<img|<b>|@octocat|alert/);
    expect(prose.split('\n').filter((l) => l.startsWith('#'))).toEqual(['### plain-migrate plan: ␣ → Plain', '#### The first 10 of each kind']);
    // The data is shown as it is (line breaks and bidi controls as spaces), one line each.
    const imports = blocks.find((b) => b[0]?.startsWith('+ '))!;
    expect(imports).toEqual(evil.map((a) => `+ ${a.replace(/[\n\u202e]/g, ' ')} (2 messages)`));
    const invalids = block(md, 'Invalid records (not sent)');
    expect(invalids.filter((l) => l.startsWith('    - '))).toEqual(evil.map(() => `    - ${reason.replace(/\n/g, ' ')}`));
    // The heading's code span shows the name as it is (a longer fence around its backtick).
    expect(md.split('\n')[0]).toBe('### plain-migrate plan: ``my`mig |<b>x</b>`` → Plain');
    expect(md).toContain('Saved as ``out`.json``: ``plain-migrate apply out`.json``');
    // The tables are intact.
    for (const l of outside.filter((x) => x.startsWith('|'))) expect([4, 5], l).toContain(l.split('|').length);
  });

  it('code spans: any backticks, leading and trailing ones, and empty text', () => {
    expect(codeSpan('plain')).toBe('`plain`');
    expect(codeSpan('a`b')).toBe('``a`b``');
    expect(codeSpan('``x')).toBe('``` ``x ```');
    expect(codeSpan(' x ')).toBe('`  x  `');
    expect(codeSpan('a\nb')).toBe('`a b`');
    expect(codeSpan('')).toBe('*(empty)*');
  });

  it(`stays under GitHub's ${n(GITHUB_COMMENT_LIMIT)} characters with 100,000 invalid records, long reasons and long addresses`, () => {
    const long = 'x'.repeat(1_000);
    const items = function* (): Generator<PlanItem> {
      for (let i = 0; i < 100_000; i++) yield invalid(`thread["${i}-${long}"]`, [`reason ${i} ${long}`, 'b', 'c', 'd', 'e', 'f', 'g']);
    };
    const s = summarise(items());
    expect(s.invalid.items.length + s.invalid.more).toBe(100_000);
    const md = formatPlanMarkdown(s, O);
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(row(md, 'invalid, not sent (`!`)')).toEqual(['100,000', '0']);
    const listed = block(md, 'Invalid records (not sent)');
    expect(listed.filter((l) => l.startsWith('! '))).toHaveLength(10);
    expect(listed.at(-1)).toBe('… and 99,990 more');
    expect(listed).toContain('    - … and 2 more reasons');
    expect(listed[0]).toBe(`! thread["0-${'x'.repeat(290)}… [712 more characters] (export/tickets.jsonl:1012)`);
    expect(md).toContain('Values longer than 300 characters');

    // Asked to list them all: the list stops where the comment would grow too long, and says so.
    const all = formatPlanMarkdown(s, { ...O, maxPerKind: 1_000_000, savedTo: 'p'.repeat(100_000), migration: 'm'.repeat(100_000) });
    expect(all.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    const some = block(all, 'Invalid records (not sent)');
    const shown = some.filter((l) => l.startsWith('! ')).length;
    expect(shown).toBeGreaterThan(10);
    expect(some.at(-1)).toBe(`… and ${n(100_000 - shown)} more`);
    expect(all).toContain("Lists were cut short to keep this comment under GitHub's 65,536-character limit.");
    expect(parse(all).blocks.length).toBeGreaterThan(0); // and every block closed
  });

  it('stays under the limit with every kind at once, each listing as much as it can', () => {
    const k = 30_000;
    const pad = 'y'.repeat(400);
    const items = function* (): Generator<PlanItem> {
      for (let i = 0; i < k; i++) {
        yield thread(`thread["c${i}${pad}"]`, 'create', { messages: 1, newCustomers: [{ email: `${i}${pad}@x.com`, fullName: 'x' }], notes: [{ address: `message["c${i}/0"]`, note: pad }] });
        yield thread(`thread["u${i}${pad}"]`, 'update', { messages: 1, updates: [{ attribute: 'title', from: pad, to: `${pad}!` }], orphanMessages: [`message["u${i}${pad}/9"]`] });
        yield invalid(`thread["i${i}${pad}"]`, [pad]);
      }
    };
    const unmapped = Array.from({ length: 5_000 }, (_, i) => ({ table: 'labels', value: `${i}${pad}`, count: 1, defaulted: true }));
    const agents = Array.from({ length: 5_000 }, (_, i) => ({ email: `${i}${pad}@acme.com`, reason: pad, fallback: null, threads: 1, messages: 0 }));
    const s = summarise(items(), { unmapped, agents });
    const md = formatPlanMarkdown(s, { ...O, maxPerKind: 100_000 });
    expect(md.length).toBeLessThan(GITHUB_COMMENT_LIMIT);
    expect(md).toContain("Lists were cut short to keep this comment under GitHub's 65,536-character limit.");
    expect(md).toContain(`\n${planSummaryLine(s)}\n`);
    expect(block(md, 'Threads to import').length).toBeGreaterThan(10);
    // A list that got nothing still says how many it holds.
    expect(block(md, 'Unmapped table values')).toEqual(['… and 5,000 more']);
  });
});
