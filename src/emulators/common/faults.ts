/**
 * Fault injection shared by the emulators. Rules are evaluated in order for each authenticated,
 * in-budget request. Every rule whose `operation` matches counts the request (`seen`); the first
 * matching rule whose `every`, `times` and `probability` conditions all hold fires (`fired`), and only
 * that one. Each emulator names its own operations and its actions besides `status:<400..599>`.
 */

/** A rule as POST /__emulator/faults takes it; `A` is the emulator's action names. */
export interface FaultRuleOf<A extends string = string> {
  /** The emulator's name for the request (Plain: a root field or the operationName). Absent: every request. */
  operation?: string;
  /** Fire on every Nth matching request (N, 2N, …). */
  every?: number;
  /** Fire at most this many times. */
  times?: number;
  /** Chance (0..1) to fire once the other conditions hold. */
  probability?: number;
  /**
   * For `rate-limit` / `status:429`: the Retry-After (and x-ratelimit-reset) the 429 announces.
   * Absent: the time left in the current window, as a real spent budget would say.
   */
  retryAfterSeconds?: number;
  /** For `rate-limit` / `status:429`: send no Retry-After header, only x-ratelimit-reset. */
  omitRetryAfter?: boolean;
  action: A;
}

export type FaultRuleStateOf<R> = R & { seen: number; fired: number };

export interface RequestIdentity {
  rootFields: readonly string[];
  operationName: string | null;
}

const RULE_KEYS = ['operation', 'every', 'times', 'probability', 'retryAfterSeconds', 'omitRetryAfter', 'action'];

/** mulberry32: a tiny seedable PRNG, so `probability` is deterministic under a given faultSeed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function statusOf(action: string): number | undefined {
  const m = /^status:(\d{3})$/.exec(action);
  return m ? Number(m[1]) : undefined;
}

export type ParsedFaults<A extends string> = { ok: true; rules: FaultRuleOf<A>[]; seed: number | undefined } | { ok: false; message: string };

/**
 * Validates a POST /__emulator/faults body: `{rules: FaultRule[], faultSeed?: number}`.
 * `simpleActions` are the emulator's actions besides `status:<400..599>`; `rate-limit` among them
 * (or status:429) admits `retryAfterSeconds` and `omitRetryAfter`.
 */
export function parseFaultBody<A extends string>(body: unknown, simpleActions: readonly A[]): ParsedFaults<A> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, message: 'body must be an object {"rules":[...]}' };
  const b = body as Record<string, unknown>;
  for (const k of Object.keys(b)) if (k !== 'rules' && k !== 'faultSeed') return { ok: false, message: `unknown key "${k}" (allowed: rules, faultSeed)` };
  if (!Array.isArray(b.rules)) return { ok: false, message: '"rules" must be a list' };
  let seed: number | undefined;
  if (b.faultSeed !== undefined) {
    if (typeof b.faultSeed !== 'number' || !Number.isInteger(b.faultSeed)) return { ok: false, message: '"faultSeed" must be an integer' };
    seed = b.faultSeed;
  }
  const rules: FaultRuleOf<A>[] = [];
  for (const [i, raw] of b.rules.entries()) {
    const p = `rules[${i}]`;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, message: `${p} must be an object` };
    const r = raw as Record<string, unknown>;
    for (const k of Object.keys(r)) if (!RULE_KEYS.includes(k)) return { ok: false, message: `${p} has unknown key "${k}" (allowed: ${RULE_KEYS.join(', ')})` };
    const action = r.action;
    const status = typeof action === 'string' ? statusOf(action) : undefined;
    const simple = (simpleActions as readonly unknown[]).includes(action);
    if (typeof action !== 'string' || (!simple && (status === undefined || status < 400 || status > 599))) {
      return { ok: false, message: `${p}.action must be one of status:<400..599>, ${simpleActions.join(', ')}` };
    }
    const rule: FaultRuleOf<A> = { action: action as A };
    if (r.operation !== undefined) {
      if (typeof r.operation !== 'string' || r.operation === '') return { ok: false, message: `${p}.operation must be a non-empty string` };
      rule.operation = r.operation;
    }
    for (const k of ['every', 'times'] as const) {
      const v = r[k];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !Number.isInteger(v) || v < (k === 'every' ? 1 : 0)) {
        return { ok: false, message: `${p}.${k} must be an integer ≥ ${k === 'every' ? 1 : 0}` };
      }
      rule[k] = v;
    }
    if (r.probability !== undefined) {
      if (typeof r.probability !== 'number' || !(r.probability >= 0 && r.probability <= 1)) return { ok: false, message: `${p}.probability must be between 0 and 1` };
      rule.probability = r.probability;
    }
    if (r.retryAfterSeconds !== undefined) {
      if (typeof r.retryAfterSeconds !== 'number' || !Number.isInteger(r.retryAfterSeconds) || r.retryAfterSeconds < 0) {
        return { ok: false, message: `${p}.retryAfterSeconds must be an integer ≥ 0` };
      }
      if (action !== 'rate-limit' && status !== 429) return { ok: false, message: `${p}.retryAfterSeconds goes with the rate-limit action` };
      rule.retryAfterSeconds = r.retryAfterSeconds;
    }
    if (r.omitRetryAfter !== undefined) {
      if (typeof r.omitRetryAfter !== 'boolean') return { ok: false, message: `${p}.omitRetryAfter must be true or false` };
      if (action !== 'rate-limit' && status !== 429) return { ok: false, message: `${p}.omitRetryAfter goes with the rate-limit action` };
      rule.omitRetryAfter = r.omitRetryAfter;
    }
    rules.push(rule);
  }
  return { ok: true, rules, seed };
}

export class FaultInjector<R extends FaultRuleOf = FaultRuleOf> {
  private rules: FaultRuleStateOf<R>[] = [];
  private random: () => number = prng(Date.now());

  replace(rules: R[], seed?: number): void {
    this.rules = rules.map((r) => ({ ...r, seen: 0, fired: 0 }));
    this.random = prng(seed ?? Math.floor(Math.random() * 2 ** 32));
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRuleStateOf<R>[] {
    return this.rules.map((r) => ({ ...r }));
  }

  /** The rule to apply to this request, or null. */
  decide(req: RequestIdentity): R | null {
    let chosen: R | null = null;
    for (const rule of this.rules) {
      if (rule.operation !== undefined && !req.rootFields.includes(rule.operation) && rule.operation !== req.operationName) continue;
      rule.seen++;
      if (chosen !== null) continue;
      if (rule.every !== undefined && rule.seen % rule.every !== 0) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      if (rule.probability !== undefined && !(this.random() < rule.probability)) continue;
      rule.fired++;
      chosen = rule;
    }
    return chosen;
  }
}
