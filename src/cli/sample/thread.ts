/**
 * One record of `threads.source` in `validate --sample`: its thread's fields, each checked by the
 * rules and commented where it stands, then its customer and messages, then its verdict (and the
 * count of verdicts for the summary).
 */
import { Pair, Scalar, YAMLMap } from 'yaml';
import { optionalString, pastTime, requiredString, show, tenantOf, type Reasons } from '../../mapping/rules.js';
import { isEmpty, truthy, type Evaluated, type SampleContext } from './context.js';
import { sampleCustomer } from './customer.js';
import { sampleMessages, type SampledMessages } from './messages.js';
import { fmt, oneLine, ordinal, plural } from './text.js';

export type Verdict = 'import' | 'invalid' | 'filtered';

/** The verdicts and message counts of the records sampled so far (the summary). */
export interface Tally {
  records: number;
  import: number;
  invalid: number;
  filtered: number;
  messages: number;
  invalidMessages: number;
}

/** Samples the records of `threads.source` one by one, as the Mapper and the planner would take them. */
export class ThreadSampler {
  /** Thread externalIds seen so far → the record that produced them first (as the planner checks). */
  private readonly seen = new Map<string, string>();

  constructor(private readonly cx: SampleContext) {}

  async record(record: unknown, where: string, tally: Tally): Promise<YAMLMap> {
    const cx = this.cx;
    const t = cx.manifest.threads;
    const rules = cx.rules;
    const wording = rules.sample ?? {};
    const out = new YAMLMap();
    out.add(new Pair('record', where));
    const b = cx.bindings;
    const reasons: Reasons = [];
    const errs = (ev: Evaluated): void => {
      if (ev.error !== undefined) reasons.push(ev.error);
    };

    if (t.where) {
      const ev = await cx.eval(t.where, record, b);
      const n = cx.put(out, 'where', ev);
      if (ev.error !== undefined) {
        return this.verdict(out, 'invalid', `invalid: ${ev.error}`, tally);
      }
      if (!truthy(ev.value)) {
        cx.comments.info(n, [`threads.where (${oneLine(t.where.text)}) is false for this record`]);
        return this.verdict(out, 'filtered', 'filtered out by threads.where: not imported', tally);
      }
    }

    const th = new YAMLMap();
    out.add(new Pair('thread', th));

    // externalId, description, externalUrl: strings; title: the target's rule (which may cut it).
    let ev = await cx.eval(t.externalId, record, b);
    errs(ev);
    const idNode = cx.put(th, 'externalId', ev);
    const externalId = cx.rule(idNode, reasons, (r) => requiredString(ev.value, 'threads.externalId', r));
    if (externalId !== undefined && externalId !== ev.value) cx.comments.norm(idNode, fmt(externalId));

    ev = await cx.eval(t.title, record, b);
    errs(ev);
    const titleNode = cx.put(th, 'title', ev);
    const titleValue = ev.value;
    const title = cx.rule(titleNode, reasons, (r) => rules.title(titleValue, r));
    if (title !== undefined && title.value !== ev.value) cx.comments.norm(titleNode, fmt(title.value));
    if (title?.note !== undefined) cx.comments.info(titleNode, [title.note]);

    for (const key of ['description', 'externalUrl'] as const) {
      const e = t[key];
      if (!e) continue;
      const v = await cx.eval(e, record, b);
      errs(v);
      const n = cx.put(th, key, v);
      const s = cx.rule(n, reasons, (r) => optionalString(v.value, `threads.${key}`, r));
      if (s !== undefined && s !== v.value) cx.comments.norm(n, fmt(s));
    }

    ev = await cx.eval(t.createdAt, record, b);
    errs(ev);
    const createdNode = cx.put(th, 'createdAt', ev);
    const createdValue = ev.value;
    const createdAt = cx.rule(createdNode, reasons, (r) => pastTime(createdValue, 'threads.createdAt', r, cx.now, rules.target, true));
    if (createdAt !== undefined && createdAt !== ev.value) cx.comments.norm(createdNode, createdAt);

    // closedAt is shown here and checked once the status is known (it depends on it).
    const closedEv = t.closedAt ? await cx.eval(t.closedAt, record, b) : undefined;
    const closedNode = closedEv ? cx.put(th, 'closedAt', closedEv) : undefined;

    // status and statusDetail: one rule for both; each reason goes next to the field it names.
    const sv = t.status ? await cx.eval(t.status, record, b) : undefined;
    if (sv) errs(sv);
    const statusNode = sv ? cx.put(th, 'status', sv) : undefined;
    const dv = t.statusDetail ? await cx.eval(t.statusDetail, record, b) : undefined;
    if (dv) errs(dv);
    const detailNode = dv ? cx.put(th, 'statusDetail', dv) : undefined;
    const r: Reasons = [];
    const st = rules.status(sv?.value, dv?.value, r);
    for (const reason of r) {
      const at = reason.startsWith('threads.statusDetail') ? (detailNode ?? statusNode) : (statusNode ?? detailNode);
      if (at) cx.comments.bad(at, [reason]);
    }
    reasons.push(...r);
    const statusAt = statusNode ?? detailNode;
    if (st && statusAt) {
      const raw = sv?.value;
      const same =
        raw !== null && typeof raw === 'object' && !Array.isArray(raw) && !dv
          ? (raw as Record<string, unknown>).status === st.status && (raw as Record<string, unknown>).statusDetail === st.statusDetail
          : raw === st.status && dv?.value === st.statusDetail;
      if (!same) cx.comments.norm(statusAt, st.statusDetail !== undefined ? `${st.status} · ${st.statusDetail}` : st.status);
    }

    // As the Mapper: closedAt is checked only with a valid status (the target may take it for some statuses only).
    if (closedEv && closedNode && st) {
      errs(closedEv);
      const before = reasons.length;
      const closedAt = cx.rule(closedNode, reasons, (r) => rules.closedAt(closedEv.value, st, r, cx.now));
      if (closedAt !== undefined && closedAt !== closedEv.value) cx.comments.norm(closedNode, closedAt);
      else if (closedAt === undefined && reasons.length === before && closedEv.error === undefined && !isEmpty(closedEv.value)) {
        cx.comments.norm(closedNode, `not sent: ${rules.target} takes none with status ${st.status}`);
      }
    }

    let priorityInvalid = false;
    if (t.priority) {
      const v = await cx.eval(t.priority, record, b);
      errs(v);
      const n = cx.put(th, 'priority', v);
      const p = cx.rule(n, reasons, (r) => rules.priority(v.value, r));
      if (p === 'invalid') priorityInvalid = true;
      else if (p !== undefined && p !== v.value) cx.comments.norm(n, `${p}${v.value === undefined || v.value === null ? ' (the default)' : ''}`);
    } else {
      priorityInvalid = cx.rule(undefined, reasons, (r) => rules.priority(undefined, r)) === 'invalid';
    }

    if (t.labels) {
      const v = await cx.eval(t.labels, record, b);
      errs(v);
      const n = cx.put(th, 'labels', v);
      const asked = cx.ask();
      const l = await cx.ruleAsync(n, reasons, (r) => rules.labels(v.value, r, cx.rulesContext));
      const labels = [...l.ids, ...l.create];
      if (JSON.stringify(labels) !== JSON.stringify(v.value)) cx.comments.norm(n, show(labels));
      if (asked.labels.length > 0) {
        const names = asked.labels.map((x) => JSON.stringify(x)).join(', ');
        cx.comments.info(n, [`${wording.labelNames ?? 'label names'}, looked up in ${rules.target} by plan: ${names}`]);
      } else if (labels.length > 0 && wording.labels !== undefined) cx.comments.info(n, [wording.labels]);
    } else {
      await cx.ruleAsync(undefined, reasons, (r) => rules.labels(undefined, r, cx.rulesContext));
    }

    if (t.assignee) {
      const v = await cx.eval(t.assignee, record, b);
      errs(v);
      const n = cx.put(th, 'assignee', v);
      const asked = cx.ask();
      await cx.ruleAsync(n, reasons, (r) => rules.assignee(v.value, r, cx.rulesContext));
      if (asked.users.length > 0) cx.comments.info(n, [wording.assigneeByEmail ?? `a user by email, looked up in ${rules.target} by plan (one who is not a user leaves the thread unassigned; plan lists them)`]);
    } else {
      await cx.ruleAsync(undefined, reasons, (r) => rules.assignee(undefined, r, cx.rulesContext));
    }

    if (t.tenant) {
      const v = await cx.eval(t.tenant, record, b);
      errs(v);
      const n = cx.put(th, 'tenant', v);
      const tenant = cx.rule(n, reasons, (r) => tenantOf(v.value, r));
      if (tenant && JSON.stringify(tenant) !== JSON.stringify(v.value)) cx.comments.norm(n, show(tenant));
    }
    if (t.fields && Object.keys(t.fields).length > 0) {
      const fm = new YAMLMap();
      th.add(new Pair('fields', fm));
      for (const [k, e] of Object.entries(t.fields)) {
        const v = await cx.eval(e, record, b);
        errs(v);
        cx.put(fm, k, v);
      }
      cx.comments.info(fm, ["checked against the workspace's thread field schemas by plan"]);
    }

    const customerOk = await sampleCustomer(cx, th, record, reasons);

    // As the Mapper: the thread's own fields first; then, for a thread whose fields are valid, its
    // messages (a list that cannot be read, or too few valid messages for the target, make it invalid
    // with that reason alone); then the planner's uniqueness check over the records sampled so far.
    let threadReasons: readonly string[] = reasons;
    let valid =
      reasons.length === 0 && externalId !== undefined && title !== undefined && createdAt !== undefined && st !== undefined && !priorityInvalid && customerOk;
    const msgs: SampledMessages = t.messages ? await sampleMessages(cx, th, t.messages, record) : { sent: [], invalid: 0, filtered: 0 };
    if (valid && msgs.threadReasons) {
      valid = false;
      threadReasons = msgs.threadReasons;
    }
    if (valid) {
      const count: Reasons = [];
      rules.messageCount(msgs.sent.length, count);
      if (count.length > 0) {
        cx.comments.bad(msgs.node ?? th, count);
        valid = false;
        threadReasons = count;
      }
    }
    if (externalId !== undefined) {
      const first = this.seen.get(externalId);
      if (first === undefined) this.seen.set(externalId, where);
      else if (valid) {
        const dup = `threads.externalId ${JSON.stringify(externalId)} is also produced by ${first}; it must be unique across the manifest`;
        cx.comments.bad(idNode, [dup]);
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
}
