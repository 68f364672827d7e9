/**
 * `validate --sample N`: what the first N records of `threads.source` map to, field by field.
 *
 * The output is YAML (built with the `yaml` Document API so that comments can sit next to values): per
 * record its location, the value every declared field's expression gave, `# → …` the value after the
 * rules normalise it, `# ✗ …` every reason the field makes the record (or message) invalid, `# ℹ …`
 * notes (a table value that took `_default`), then the
 * messages in the order they would be sent, then the verdict.
 *
 * Nothing is re-implemented: expressions go through `evaluate` with the planner's bindings, and every
 * field is checked as the Mapper checks it: by rules.ts for what means the same on every target, and
 * by the manifest target's MappingRules (adapterFor(target).rules) for everything else, each rule
 * called with a fresh reasons array so that each reason can be put next to the field it concerns.
 * Nothing asks the target: the rules get PASSTHROUGH's answers (names and emails kept as they are),
 * and what they would have looked up is said in a note.
 */
import path from 'node:path';
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';
import { DEFAULT_MAX_BYTES, extractInlineImages } from '../attachments/index.js';
import type { MessageAttachment, MessageType } from '../core/model.js';
import type { Expr, Manifest, MessagesDecl } from '../manifest/types.js';
import { openIndexes } from '../plan/plan.js';
import { readSource } from '../sources/index.js';
import { adapterFor } from '../targets/registry.js';
import { makeBindings, UnmappedCounter, type Bindings, type SourceIndexes } from './bindings.js';
import { evaluate, EvalError } from './evaluate.js';
import { recordWhere } from './map.js';
import { PASSTHROUGH, type IdentityResolver } from './resolve.js';
import { attachmentsOf, optionalString, pastTime, requiredString, show, tenantOf, type Reasons } from './rules.js';
import type { MappingRules, RulesContext } from './target-rules.js';

export interface SampleOptions {
  /** The clock for "not in the future" (default Date.now). */
  now?: () => number;
}

/** Strings longer than this are cut in the output (the rules still see the whole value). */
const MAX_SHOWN_CHARS = 2000;

/** As map.ts: what `where` must give for a record to be kept. */
function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

function ordinal(n: number): string {
  const t = n % 100;
  return `${n}${t >= 11 && t <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** A value in a comment: strings as they are, anything else as JSON. */
function fmt(v: unknown): string {
  if (typeof v === 'string') return v.length > 120 ? `${JSON.stringify(v.slice(0, 117))}...` : JSON.stringify(v);
  return show(v);
}

function oneLine(s: string): string {
  return s.replace(/\s*\n\s*/g, ' ');
}

/** JSON-safe copy of an expression's result (functions and undefined members dropped, as JSON would). */
function jsonSafe(v: unknown): unknown {
  try {
    const s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? '[function]' : x));
    return s === undefined ? null : (JSON.parse(s) as unknown);
  } catch {
    return String(v);
  }
}

interface Evaluated {
  readonly value: unknown;
  /** The evaluation error, as the planner reports it. */
  readonly error?: string;
  /** `$table` values with no row that took `_default` during this evaluation. */
  readonly notes: string[];
}

/**
 * Comment pieces for one node, rendered as one line: `→ …`, then `✗ …`, then `ℹ …`. A value whose
 * expression failed shows no normalised value (it would only be the default), and "gave nothing" is
 * left out when a reason already says so.
 */
class Comments {
  private readonly byNode = new Map<Node, { norm: string[]; bad: string[]; info: string[]; nothing: boolean; failed: boolean }>();
  private entry(n: Node) {
    let e = this.byNode.get(n);
    if (!e) {
      e = { norm: [], bad: [], info: [], nothing: false, failed: false };
      this.byNode.set(n, e);
    }
    return e;
  }
  norm(n: Node, s: string): void {
    this.entry(n).norm.push(`→ ${oneLine(s)}`);
  }
  bad(n: Node, reasons: readonly string[]): void {
    for (const r of reasons) this.entry(n).bad.push(`✗ ${oneLine(r)}`);
  }
  info(n: Node, notes: readonly string[]): void {
    for (const r of notes) this.entry(n).info.push(`ℹ ${oneLine(r)}`);
  }
  /** The expression gave nothing (undefined). */
  nothing(n: Node): void {
    this.entry(n).nothing = true;
  }
  /** The expression failed: its error is among `bad`. */
  failed(n: Node, error: string): void {
    this.entry(n).failed = true;
    this.bad(n, [error]);
  }
  apply(): void {
    for (const [n, e] of this.byNode) {
      const info = e.nothing && e.bad.length === 0 ? ['ℹ the expression gave nothing', ...e.info] : e.info;
      const parts = [...(e.failed ? [] : e.norm), ...e.bad, ...info];
      if (parts.length > 0) n.comment = ` ${parts.join(' · ')}`;
    }
  }
}

type Verdict = 'import' | 'invalid' | 'filtered';

interface Tally {
  records: number;
  import: number;
  invalid: number;
  filtered: number;
  messages: number;
  invalidMessages: number;
}

/** What the rules asked the target's directory during one rule call (names and emails, in order). */
interface Asked {
  readonly labels: string[];
  readonly users: string[];
}

/** A thread's messages as shown: the list's node, the valid ones in send order, and the counts. */
interface SampledMessages {
  readonly node?: YAMLSeq;
  readonly sent: readonly YAMLMap[];
  readonly invalid: number;
  readonly filtered: number;
  /** Why the thread cannot be imported as it is (its list of messages could not be read). */
  readonly threadReasons?: readonly string[];
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

class Sampler {
  readonly unmapped = new UnmappedCounter();
  readonly bindings: Bindings;
  readonly comments = new Comments();
  /** Thread externalIds seen so far → the record that produced them first (as the planner checks). */
  private readonly seen = new Map<string, string>();
  /** The rules' context: PASSTHROUGH's answers, and a record of what was asked (see `ask`). */
  private readonly ctx: RulesContext;
  private asked: Asked = { labels: [], users: [] };
  private readonly maxBytes: number;
  private readonly onSkip: 'note' | 'fail';

  constructor(
    private readonly manifest: Manifest,
    private readonly doc: Document,
    indexes: SourceIndexes,
    private readonly now: number,
    /** The target's rules (default: those of the manifest's target), as the Mapper takes them. */
    private readonly rules: MappingRules = adapterFor(manifest.target).rules,
  ) {
    this.bindings = makeBindings(manifest, indexes, this.unmapped);
    this.maxBytes = manifest.attachments?.maxBytes ?? DEFAULT_MAX_BYTES;
    this.onSkip = manifest.attachments?.onSkip ?? 'note';
    // Nothing asks the target: names and emails are kept as they are, and noted as what plan looks up.
    const resolver: IdentityResolver = {
      ...PASSTHROUGH,
      labelType: (name) => {
        this.asked.labels.push(name);
        return PASSTHROUGH.labelType(name);
      },
    };
    this.ctx = {
      resolver,
      userByEmail: async (email, at, reasons) => {
        this.asked.users.push(email);
        const a = await resolver.user(email);
        if ('reason' in a) {
          reasons.push(`${at}: ${a.reason}`);
          return undefined;
        }
        return a.id;
      },
    };
  }

  /** Starts a fresh record of what the rules ask the directory; returns it. */
  private ask(): Asked {
    this.asked = { labels: [], users: [] };
    return this.asked;
  }

  private async eval(expr: Expr | undefined, input: unknown, b: Bindings): Promise<Evaluated> {
    const before = new Map<string, number>();
    for (const [k, e] of this.unmapped.counts) before.set(k, e.count);
    let value: unknown;
    let error: string | undefined;
    try {
      value = await evaluate(expr, input, b);
    } catch (e) {
      error = e instanceof EvalError ? e.message : String(e);
    }
    const notes: string[] = [];
    for (const [k, e] of this.unmapped.counts) {
      if (e.defaulted && e.count > (before.get(k) ?? 0)) {
        notes.push(`$table('${e.table}') has no row for ${JSON.stringify(e.value)}: took _default (${show(this.manifest.tables[e.table]?.defaultValue)})`);
      }
    }
    return error === undefined ? { value, notes } : { value, error, notes };
  }

  /** The node showing a value as the expression gave it. */
  node(v: unknown): Node {
    if (v === undefined || v === null) return new Scalar(null);
    if (typeof v === 'string') {
      if (v.length <= MAX_SHOWN_CHARS) return new Scalar(v);
      const s = new Scalar(`${v.slice(0, MAX_SHOWN_CHARS)}…`);
      this.comments.info(s, [`cut here for display: ${v.length} characters in all`]);
      return s;
    }
    if (typeof v !== 'object') return new Scalar(typeof v === 'function' ? '[function]' : v);
    return this.doc.createNode(jsonSafe(v), { flow: true }) as Node;
  }

  /** Adds `key: value` to `map` with the evaluation's error and notes as comments; returns the value node. */
  private put(map: YAMLMap, key: string, ev: Evaluated): Node {
    const n = this.node(ev.value);
    map.add(new Pair(new Scalar(key), n));
    if (ev.error !== undefined) this.comments.failed(n, ev.error);
    else if (ev.value === undefined) this.comments.nothing(n);
    this.comments.info(n, ev.notes);
    return n;
  }

  /** Runs one rule with a fresh reasons array, puts its reasons next to `n` (when given), and adds them to `all`. */
  private rule<T>(n: Node | undefined, all: Reasons, f: (r: Reasons) => T): T {
    const r: Reasons = [];
    const out = f(r);
    if (n) this.comments.bad(n, r);
    all.push(...r);
    return out;
  }

  /** `rule` for a rule that answers later (one that may ask the target's directory). */
  private async ruleAsync<T>(n: Node | undefined, all: Reasons, f: (r: Reasons) => Promise<T>): Promise<T> {
    const r: Reasons = [];
    const out = await f(r);
    if (n) this.comments.bad(n, r);
    all.push(...r);
    return out;
  }

  async record(record: unknown, where: string, tally: Tally): Promise<YAMLMap> {
    const t = this.manifest.threads;
    const rules = this.rules;
    const wording = rules.sample ?? {};
    const out = new YAMLMap();
    out.add(new Pair('record', where));
    const b = this.bindings;
    const reasons: Reasons = [];
    const errs = (ev: Evaluated): void => {
      if (ev.error !== undefined) reasons.push(ev.error);
    };

    if (t.where) {
      const ev = await this.eval(t.where, record, b);
      const n = this.put(out, 'where', ev);
      if (ev.error !== undefined) {
        return this.verdict(out, 'invalid', `invalid: ${ev.error}`, tally);
      }
      if (!truthy(ev.value)) {
        this.comments.info(n, [`threads.where (${oneLine(t.where.text)}) is false for this record`]);
        return this.verdict(out, 'filtered', 'filtered out by threads.where: not imported', tally);
      }
    }

    const th = new YAMLMap();
    out.add(new Pair('thread', th));

    // externalId, description, externalUrl: strings; title: the target's rule (which may cut it).
    let ev = await this.eval(t.externalId, record, b);
    errs(ev);
    const idNode = this.put(th, 'externalId', ev);
    const externalId = this.rule(idNode, reasons, (r) => requiredString(ev.value, 'threads.externalId', r));
    if (externalId !== undefined && externalId !== ev.value) this.comments.norm(idNode, fmt(externalId));

    ev = await this.eval(t.title, record, b);
    errs(ev);
    const titleNode = this.put(th, 'title', ev);
    const titleValue = ev.value;
    const title = this.rule(titleNode, reasons, (r) => rules.title(titleValue, r));
    if (title !== undefined && title.value !== ev.value) this.comments.norm(titleNode, fmt(title.value));
    if (title?.note !== undefined) this.comments.info(titleNode, [title.note]);

    for (const key of ['description', 'externalUrl'] as const) {
      const e = t[key];
      if (!e) continue;
      const v = await this.eval(e, record, b);
      errs(v);
      const n = this.put(th, key, v);
      const s = this.rule(n, reasons, (r) => optionalString(v.value, `threads.${key}`, r));
      if (s !== undefined && s !== v.value) this.comments.norm(n, fmt(s));
    }

    ev = await this.eval(t.createdAt, record, b);
    errs(ev);
    const createdNode = this.put(th, 'createdAt', ev);
    const createdValue = ev.value;
    const createdAt = this.rule(createdNode, reasons, (r) => pastTime(createdValue, 'threads.createdAt', r, this.now, rules.target, true));
    if (createdAt !== undefined && createdAt !== ev.value) this.comments.norm(createdNode, createdAt);

    // closedAt is shown here and checked once the status is known (it depends on it).
    const closedEv = t.closedAt ? await this.eval(t.closedAt, record, b) : undefined;
    const closedNode = closedEv ? this.put(th, 'closedAt', closedEv) : undefined;

    // status and statusDetail: one rule for both; each reason goes next to the field it names.
    const sv = t.status ? await this.eval(t.status, record, b) : undefined;
    if (sv) errs(sv);
    const statusNode = sv ? this.put(th, 'status', sv) : undefined;
    const dv = t.statusDetail ? await this.eval(t.statusDetail, record, b) : undefined;
    if (dv) errs(dv);
    const detailNode = dv ? this.put(th, 'statusDetail', dv) : undefined;
    const r: Reasons = [];
    const st = rules.status(sv?.value, dv?.value, r);
    for (const reason of r) {
      const at = reason.startsWith('threads.statusDetail') ? (detailNode ?? statusNode) : (statusNode ?? detailNode);
      if (at) this.comments.bad(at, [reason]);
    }
    reasons.push(...r);
    const statusAt = statusNode ?? detailNode;
    if (st && statusAt) {
      const raw = sv?.value;
      const same =
        raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !dv
          ? (raw as Record<string, unknown>).status === st.status && (raw as Record<string, unknown>).statusDetail === st.statusDetail
          : raw === st.status && dv?.value === st.statusDetail;
      if (!same) this.comments.norm(statusAt, st.statusDetail !== undefined ? `${st.status} · ${st.statusDetail}` : st.status);
    }

    // As the Mapper: closedAt is checked only with a valid status (the target may take it for some statuses only).
    if (closedEv && closedNode && st) {
      errs(closedEv);
      const before = reasons.length;
      const closedAt = this.rule(closedNode, reasons, (r) => rules.closedAt(closedEv.value, st, r, this.now));
      if (closedAt !== undefined && closedAt !== closedEv.value) this.comments.norm(closedNode, closedAt);
      else if (closedAt === undefined && reasons.length === before && closedEv.error === undefined && !isEmpty(closedEv.value)) {
        this.comments.norm(closedNode, `not sent: ${rules.target} takes none with status ${st.status}`);
      }
    }

    let priorityInvalid = false;
    if (t.priority) {
      const v = await this.eval(t.priority, record, b);
      errs(v);
      const n = this.put(th, 'priority', v);
      const p = this.rule(n, reasons, (r) => rules.priority(v.value, r));
      if (p === 'invalid') priorityInvalid = true;
      else if (p !== undefined && p !== v.value) this.comments.norm(n, `${p}${v.value === undefined || v.value === null ? ' (the default)' : ''}`);
    } else {
      priorityInvalid = this.rule(undefined, reasons, (r) => rules.priority(undefined, r)) === 'invalid';
    }

    if (t.labels) {
      const v = await this.eval(t.labels, record, b);
      errs(v);
      const n = this.put(th, 'labels', v);
      const asked = this.ask();
      const l = await this.ruleAsync(n, reasons, (r) => rules.labels(v.value, r, this.ctx));
      const labels = [...l.ids, ...l.create];
      if (JSON.stringify(labels) !== JSON.stringify(v.value)) this.comments.norm(n, show(labels));
      if (asked.labels.length > 0) {
        const names = asked.labels.map((x) => JSON.stringify(x)).join(', ');
        this.comments.info(n, [`${wording.labelNames ?? 'label names'}, looked up in ${rules.target} by plan: ${names}`]);
      } else if (labels.length > 0 && wording.labels !== undefined) this.comments.info(n, [wording.labels]);
    } else {
      await this.ruleAsync(undefined, reasons, (r) => rules.labels(undefined, r, this.ctx));
    }

    if (t.assignee) {
      const v = await this.eval(t.assignee, record, b);
      errs(v);
      const n = this.put(th, 'assignee', v);
      const asked = this.ask();
      await this.ruleAsync(n, reasons, (r) => rules.assignee(v.value, r, this.ctx));
      if (asked.users.length > 0) this.comments.info(n, [wording.assigneeByEmail ?? `a user by email, looked up in ${rules.target} by plan (one who is not a user leaves the thread unassigned; plan lists them)`]);
    } else {
      await this.ruleAsync(undefined, reasons, (r) => rules.assignee(undefined, r, this.ctx));
    }

    if (t.tenant) {
      const v = await this.eval(t.tenant, record, b);
      errs(v);
      const n = this.put(th, 'tenant', v);
      const tenant = this.rule(n, reasons, (r) => tenantOf(v.value, r));
      if (tenant && JSON.stringify(tenant) !== JSON.stringify(v.value)) this.comments.norm(n, show(tenant));
    }
    if (t.fields && Object.keys(t.fields).length > 0) {
      const fm = new YAMLMap();
      th.add(new Pair('fields', fm));
      for (const [k, e] of Object.entries(t.fields)) {
        const v = await this.eval(e, record, b);
        errs(v);
        this.put(fm, k, v);
      }
      this.comments.info(fm, ["checked against the workspace's thread field schemas by plan"]);
    }

    const customerOk = await this.customer(th, record, reasons);

    // As the Mapper: the thread's own fields first; then, for a thread whose fields are valid, its
    // messages (a list that cannot be read, or too few valid messages for the target, make it invalid
    // with that reason alone); then the planner's uniqueness check over the records sampled so far.
    let threadReasons: readonly string[] = reasons;
    let valid =
      reasons.length === 0 && externalId !== undefined && title !== undefined && createdAt !== undefined && st !== undefined && !priorityInvalid && customerOk;
    const msgs: SampledMessages = t.messages ? await this.messages(th, t.messages, record) : { sent: [], invalid: 0, filtered: 0 };
    if (valid && msgs.threadReasons) {
      valid = false;
      threadReasons = msgs.threadReasons;
    }
    if (valid) {
      const count: Reasons = [];
      rules.messageCount(msgs.sent.length, count);
      if (count.length > 0) {
        this.comments.bad(msgs.node ?? th, count);
        valid = false;
        threadReasons = count;
      }
    }
    if (externalId !== undefined) {
      const first = this.seen.get(externalId);
      if (first === undefined) this.seen.set(externalId, where);
      else if (valid) {
        const dup = `threads.externalId ${JSON.stringify(externalId)} is also produced by ${first}; it must be unique across the manifest`;
        this.comments.bad(idNode, [dup]);
        valid = false;
        threadReasons = [dup];
      }
    }
    msgs.sent.forEach((node, k) => {
      node.comment = valid
        ? ` → sent ${ordinal(k + 1)} of ${msgs.sent.length}`
        : ` → valid, ${ordinal(k + 1)} of ${msgs.sent.length} (not sent: the thread is invalid)`;
    });

    if (!valid) {
      return this.verdict(out, 'invalid', `invalid: ${threadReasons.map(oneLine).join(' · ')}`, tally);
    }
    tally.messages += msgs.sent.length;
    tally.invalidMessages += msgs.invalid;
    let text = `would be imported with ${plural(msgs.sent.length, 'message')}`;
    if (msgs.invalid > 0) text += `; ${plural(msgs.invalid, 'message')} invalid (not sent)`;
    if (msgs.filtered > 0) text += `; ${plural(msgs.filtered, 'message')} filtered out by messages.where`;
    return this.verdict(out, 'import', text, tally);
  }

  private verdict(out: YAMLMap, v: Verdict, text: string, tally: Tally): YAMLMap {
    const n = new Scalar(v);
    n.comment = ` → ${text}`;
    out.add(new Pair('verdict', n));
    tally[v]++;
    return out;
  }

  /** threads.customer: each sub-field shown and evaluated on its own; the target's rule checks them together. */
  private async customer(th: YAMLMap, record: unknown, reasons: Reasons): Promise<boolean> {
    const c = this.manifest.threads.customer;
    const b = this.bindings;
    const r: Reasons = [];
    if (c.kind === 'expr') {
      const ev = await this.eval(c.expr, record, b);
      const n = this.put(th, 'customer', ev);
      if (ev.error !== undefined) {
        reasons.push(ev.error);
        return false;
      }
      const v = ev.value;
      const value = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { email: v };
      const cust = this.rules.customer(value, 'threads.customer', r);
      this.comments.bad(n, r);
      reasons.push(...r);
      if (cust) this.comments.norm(n, show(cust));
      return r.length === 0;
    }
    const cm = new YAMLMap();
    th.add(new Pair('customer', cm));
    const nodes = new Map<string, Node>();
    const value: Record<string, unknown> = {};
    let evalFailed = false;
    for (const key of ['email', 'fullName', 'externalId'] as const) {
      const e = c[key];
      if (!e) continue;
      const ev = await this.eval(e, record, b);
      nodes.set(key, this.put(cm, key, ev));
      value[key] = ev.value;
      if (ev.error !== undefined) {
        reasons.push(ev.error);
        evalFailed = true;
      }
    }
    // As the planner: an expression that fails makes the customer invalid with that reason alone.
    if (evalFailed) return false;
    const cust = this.rules.customer(value, 'threads.customer', r);
    for (const reason of r) {
      const key = /^threads\.customer\.(email|fullName|externalId)\b/.exec(reason)?.[1] ?? 'email';
      let n = nodes.get(key);
      if (!n) {
        n = new Scalar(null);
        cm.add(new Pair(key, n));
        this.comments.info(n, [`threads.customer.${key} is not declared`]);
      }
      this.comments.bad(n, [reason]);
    }
    reasons.push(...r);
    if (cust) {
      const fn = nodes.get('fullName');
      // A name the mapping does not give is "" to a target that sends none.
      if (cust.fullName !== (value.fullName ?? '')) {
        const named = typeof value.fullName === 'string' && value.fullName.trim() !== '';
        const local = cust.email.slice(0, cust.email.indexOf('@'));
        const name =
          cust.fullName === '' ? 'no name' : !named && cust.fullName === local ? `${fmt(cust.fullName)} (the email's local part)` : fmt(cust.fullName);
        if (fn) this.comments.norm(fn, name);
        else this.comments.norm(nodes.get('email')!, `fullName ${name}`);
      }
      if (cust.email !== value.email) this.comments.norm(nodes.get('email')!, fmt(cust.email));
      const xn = nodes.get('externalId');
      if (xn && cust.externalId !== value.externalId) this.comments.norm(xn, cust.externalId === undefined ? 'none' : fmt(cust.externalId));
    }
    return r.length === 0;
  }

  /**
   * As the Mapper: inline images in the text become files of the message, and each file is checked
   * against the target's limits; a file it would refuse is a note (onSkip: note) or a reason (fail).
   */
  private files(textNode: Node, filesNode: Node, text: string, raw: MessageAttachment[], type: MessageType, reasons: Reasons): void {
    const inline = extractInlineImages(text, raw, (a, i, source) => this.rules.inlineImage(a, i, source));
    this.comments.info(textNode, inline.problems);
    const notes: string[] = [];
    for (const [i, a] of inline.attachments.entries()) {
      const why = this.rules.checkAttachment(a, i, type, this.maxBytes);
      if (!why) continue;
      if (this.onSkip === 'fail') this.rule(filesNode, reasons, (r) => r.push(`messages.attachments: ${a.fileName}: ${why.message} (attachments.onSkip: fail)`));
      else notes.push(`attachment ${a.fileName} skipped: ${why.message}`);
    }
    this.comments.info(filesNode, notes);
  }

  /**
   * The thread's messages, valid ones first in the order they would be sent (returned, for the caller
   * to label once it knows whether the thread is sent), then the others; `threadReasons` when the
   * list itself cannot be read.
   */
  private async messages(
    th: YAMLMap,
    m: MessagesDecl,
    threadRecord: unknown,
  ): Promise<SampledMessages> {
    const rules = this.rules;
    const wording = rules.sample ?? {};
    const b: Bindings = { ...this.bindings, thread: threadRecord };
    const seq = new YAMLSeq();
    // Shown as `[]` with its comments on the same line while it holds no message.
    seq.flow = true;
    th.add(new Pair('messages', seq));
    const each = await this.eval(m.each, threadRecord, b);
    this.comments.info(seq, each.notes);
    if (each.error !== undefined) {
      this.comments.failed(seq, each.error);
      return { node: seq, sent: [], invalid: 0, filtered: 0, threadReasons: [each.error] };
    }
    const items = each.value;
    const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
    if (list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
      const reason = `messages.each must give a list of records (objects); the expression gave ${show(items)}`;
      this.comments.bad(seq, [reason]);
      return { node: seq, sent: [], invalid: 0, filtered: 0, threadReasons: [reason] };
    }
    const seen = new Set<string>();
    const sent: Array<{ node: YAMLMap; order: number; ms: number }> = [];
    const rest: Array<{ node: YAMLMap; text: string }> = [];
    let filtered = 0;
    for (let i = 0; i < list.length; i++) {
      const rec = list[i];
      const mm = new YAMLMap();
      const idx = new Scalar(i);
      mm.add(new Pair('index', idx));
      const reasons: Reasons = [];
      const errs = (ev: Evaluated): void => {
        if (ev.error !== undefined) reasons.push(ev.error);
      };
      if (m.where) {
        const ev = await this.eval(m.where, rec, b);
        errs(ev);
        const n = this.put(mm, 'where', ev);
        if (ev.error === undefined && !truthy(ev.value)) {
          this.comments.info(n, [`messages.where (${oneLine(m.where.text)}) is false for this message`]);
          filtered++;
          rest.push({ node: mm, text: 'filtered out by messages.where: not sent' });
          continue;
        }
      }
      let ev = await this.eval(m.externalId, rec, b);
      errs(ev);
      const idNode = this.put(mm, 'externalId', ev);
      const idValue = ev.value;
      const externalId = this.rule(idNode, reasons, (r) => requiredString(idValue, 'messages.externalId', r));
      if (externalId !== undefined && externalId !== ev.value) this.comments.norm(idNode, fmt(externalId));
      if (externalId !== undefined) {
        if (seen.has(externalId)) {
          const dup = `messages.externalId ${show(externalId)} appears twice in this thread; it must be unique within its thread`;
          this.comments.bad(idNode, [dup]);
          reasons.push(dup);
        }
        seen.add(externalId);
      }

      // Evaluated in the planner's order (text, createdAt, author, type), shown in the manifest's.
      const tv = await this.eval(m.text, rec, b);
      errs(tv);
      const cv = await this.eval(m.createdAt, rec, b);
      errs(cv);
      const av = m.author ? await this.eval(m.author, rec, b) : { value: undefined, notes: [] };
      errs(av);
      const yv = m.type ? await this.eval(m.type, rec, b) : { value: undefined, notes: [] };
      errs(yv);

      let typeNode: Node;
      if (m.type) typeNode = this.put(mm, 'type', yv);
      else {
        typeNode = new Scalar(null);
        mm.add(new Pair('type', typeNode));
      }
      const textNode = this.put(mm, 'text', tv);
      const createdNode = this.put(mm, 'createdAt', cv);
      const authorNode = m.author ? this.put(mm, 'author', av) : undefined;

      const text = this.rule(textNode, reasons, (r) => requiredString(tv.value, 'messages.text', r));
      const createdAt = this.rule(createdNode, reasons, (r) => pastTime(cv.value, 'messages.createdAt', r, this.now, rules.target, true));
      if (createdAt !== undefined && createdAt !== cv.value) this.comments.norm(createdNode, createdAt);
      const type = this.rule(typeNode, reasons, (r) => rules.messageType(yv.value, av.value, r));
      if (type) {
        // The type as the target writes it: a value the target takes as it is is not a change.
        const name = wording.messageTypeName?.(type) ?? type;
        if (isEmpty(yv.value)) {
          const why = wording.defaultMessageTypeWhy?.(av.value);
          this.comments.norm(typeNode, `${name} (the default${why !== undefined ? `: ${why}` : ''})`);
        } else if (yv.value !== name) this.comments.norm(typeNode, name);
      }

      let authorOk = false;
      const aNode = authorNode ?? typeNode;
      if (type === 'OUTBOUND' || type === 'NOTE') {
        authorOk = (await this.ruleAsync(aNode, reasons, (r) => rules.agentAuthor(av.value, type, r, this.ctx))) !== undefined;
      } else if (type === 'INBOUND') {
        if (av.value === undefined || av.value === null) {
          authorOk = true;
          if (authorNode) this.comments.norm(authorNode, "the thread's customer");
        } else {
          const v = typeof av.value === 'object' ? (av.value as Record<string, unknown>) : { email: av.value };
          const c = this.rule(aNode, reasons, (r) => rules.customer(v, 'messages.author', r));
          authorOk = c !== undefined;
          if (c) this.comments.norm(aNode, `customer ${show(c)}`);
        }
      }

      if (m.attachments) {
        const v = await this.eval(m.attachments, rec, b);
        errs(v);
        const n = this.put(mm, 'attachments', v);
        const files = this.rule(n, reasons, (r) => attachmentsOf(v.value, r));
        if (files.length > 0) this.comments.info(n, [`${files.length === 1 ? '1 file' : `${files.length} files`}, checked against ${rules.target}'s limits and uploaded by apply`]);
        if (text !== undefined && type) this.files(textNode, n, text, files, type, reasons);
      }

      if (reasons.length > 0 || !externalId || !text || !createdAt || !type || !authorOk) {
        rest.push({ node: mm, text: `invalid, not sent: ${reasons.map(oneLine).join(' · ')}` });
        continue;
      }
      sent.push({ node: mm, order: i, ms: Date.parse(createdAt) });
    }
    sent.sort((a, z) => a.ms - z.ms || a.order - z.order);
    seq.flow = list.length === 0;
    for (const s of sent) seq.add(s.node);
    for (const r of rest) {
      r.node.comment = ` → ${r.text}`;
      seq.add(r.node);
    }
    return { node: seq, sent: sent.map((s) => s.node), invalid: rest.length - filtered, filtered };
  }
}

/**
 * What the first `n` records of `threads.source` map to, as commented YAML text (see the module comment).
 * Opens and closes the source indexes itself and stops reading the source after `n` records.
 */
export async function sampleMapping(manifest: Manifest, n: number, opts: SampleOptions = {}): Promise<string> {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`--sample takes a whole number of records; got ${String(n)}`);
  const now = (opts.now ?? Date.now)();
  const decl = manifest.sources[manifest.threads.source];
  if (!decl) throw new Error(`threads.source names '${manifest.threads.source}', which is not a declared source`);

  const doc = new Document(new YAMLMap());
  const root = doc.contents as YAMLMap;
  const tally: Tally = { records: 0, import: 0, invalid: 0, filtered: 0, messages: 0, invalidMessages: 0 };
  const records = new YAMLSeq();
  const header = [
    ` plain-migrate validate --sample ${n}: the first ${plural(n, 'record')} of source "${decl.name}" (${decl.pathAsWritten}),`,
    ` mapped by ${path.basename(manifest.file)} field by field. Each field shows the value its expression gave, and`,
    ' after it "→" the value once the rules normalise it, "✗" why the record (or message) is invalid, "ℹ" a note.',
    ' Messages are listed in the order they would be sent (index: their position in what threads.messages.each',
    ' gave), then those that would not be sent.',
  ];
  let exhausted = true;

  if (n > 0) {
    const indexes = await openIndexes(manifest);
    try {
      const sampler = new Sampler(manifest, doc, indexes, now);
      const indexProblems = [...indexes.key.values(), ...indexes.groupBy.values()].flatMap((i) => i.errors.map((e) => e.message));
      for (const p of indexProblems.slice(0, 5)) header.push(` ✗ ${oneLine(p)}`);
      if (indexProblems.length > 5) header.push(` ✗ … and ${indexProblems.length - 5} more problems in keyed or grouped sources (see plan)`);

      for await (const item of readSource(decl)) {
        tally.records++;
        const where = recordWhere(item.location);
        if (!item.ok) {
          const out = new YAMLMap();
          out.add(new Pair('record', where));
          const v = new Scalar('invalid');
          v.comment = ` → invalid: ${oneLine(item.error.message)}`;
          out.add(new Pair('verdict', v));
          tally.invalid++;
          records.add(out);
        } else {
          records.add(await sampler.record(item.record, where, tally));
        }
        if (tally.records >= n) {
          exhausted = false;
          break; // closes the source: nothing after the n-th record is read
        }
      }
      sampler.comments.apply();
    } finally {
      indexes.close();
    }
  }

  doc.commentBefore = header.join('\n');
  root.add(new Pair('manifest', manifest.name));
  root.add(new Pair('source', `${decl.name} (${decl.pathAsWritten})`));
  root.add(new Pair('records', records));
  const summary = doc.createNode({
    records: tally.records,
    import: tally.import,
    invalid: tally.invalid,
    filtered: tally.filtered,
    messages: tally.messages,
    invalidMessages: tally.invalidMessages,
  }) as YAMLMap;
  summary.comment = n === 0
    ? ' --sample 0: nothing read'
    : exhausted
    ? ` the source has ${plural(tally.records, 'record')}${n > tally.records ? `, fewer than --sample ${n}` : ''}`
    : ` stopped after ${plural(tally.records, 'record')}; plan reads them all`;
  root.add(new Pair('summary', summary));
  return doc.toString({ lineWidth: 0 });
}
