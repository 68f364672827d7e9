/** A thread's customer in `validate --sample`: `threads.customer`, shown and checked by the target's rule. */
import { Pair, Scalar, YAMLMap, type Node } from 'yaml';
import { show, type Reasons } from '../../mapping/rules.js';
import type { SampleContext } from './context.js';
import { fmt } from './text.js';

/** threads.customer: each sub-field shown and evaluated on its own; the target's rule checks them together. */
export async function sampleCustomer(cx: SampleContext, th: YAMLMap, record: unknown, reasons: Reasons): Promise<boolean> {
  const c = cx.manifest.threads.customer;
  const b = cx.bindings;
  const r: Reasons = [];
  if (c.kind === 'expr') {
    const ev = await cx.eval(c.expr, record, b);
    const n = cx.put(th, 'customer', ev);
    if (ev.error !== undefined) {
      reasons.push(ev.error);
      return false;
    }
    const v = ev.value;
    const value = v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : { email: v };
    const cust = cx.rules.customer(value, 'threads.customer', r);
    cx.comments.bad(n, r);
    reasons.push(...r);
    if (cust) cx.comments.norm(n, show(cust));
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
    const ev = await cx.eval(e, record, b);
    nodes.set(key, cx.put(cm, key, ev));
    value[key] = ev.value;
    if (ev.error !== undefined) {
      reasons.push(ev.error);
      evalFailed = true;
    }
  }
  // As the planner: an expression that fails makes the customer invalid with that reason alone.
  if (evalFailed) return false;
  const cust = cx.rules.customer(value, 'threads.customer', r);
  for (const reason of r) {
    const key = /^threads\.customer\.(email|fullName|externalId)\b/.exec(reason)?.[1] ?? 'email';
    let n = nodes.get(key);
    if (!n) {
      n = new Scalar(null);
      cm.add(new Pair(key, n));
      cx.comments.info(n, [`threads.customer.${key} is not declared`]);
    }
    cx.comments.bad(n, [reason]);
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
      if (fn) cx.comments.norm(fn, name);
      else cx.comments.norm(nodes.get('email')!, `fullName ${name}`);
    }
    if (cust.email !== value.email) cx.comments.norm(nodes.get('email')!, fmt(cust.email));
    const xn = nodes.get('externalId');
    if (xn && cust.externalId !== value.externalId) cx.comments.norm(xn, cust.externalId === undefined ? 'none' : fmt(cust.externalId));
  }
  return r.length === 0;
}
