/**
 * What one `validate --sample` run shares between the thread, its customer and its messages: the
 * manifest, the YAML document and its comments, the planner's bindings, the target's rules and the
 * context they are called with, and the few steps every field goes through (evaluate, show, check).
 */
import { Pair, Scalar, type Document, type Node, type YAMLMap } from 'yaml';
import { DEFAULT_MAX_BYTES } from '../../attachments/index.js';
import type { Expr, Manifest } from '../../manifest/types.js';
import { makeBindings, UnmappedCounter, type Bindings, type SourceIndexes } from '../../mapping/bindings.js';
import { evaluate, EvalError } from '../../mapping/evaluate.js';
import { PASSTHROUGH, type IdentityResolver } from '../../mapping/resolve.js';
import { show, type Reasons } from '../../mapping/rules.js';
import type { MappingRules, RulesContext } from '../../mapping/target-rules.js';
import { adapterFor } from '../../targets/registry.js';
import { Comments } from './comments.js';
import { jsonSafe } from './text.js';

/** Strings longer than this are cut in the output (the rules still see the whole value). */
const MAX_SHOWN_CHARS = 2000;

/** As map.ts: what `where` must give for a record to be kept. */
export function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  return v !== undefined && v !== null && v !== false && v !== 0 && v !== '';
}

export const isEmpty = (v: unknown): boolean => v === undefined || v === null || v === '';

export interface Evaluated {
  readonly value: unknown;
  /** The evaluation error, as the planner reports it. */
  readonly error?: string;
  /** `$table` values with no row that took `_default` during this evaluation. */
  readonly notes: string[];
}

/** What the rules asked the target's directory during one rule call (names and emails, in order). */
export interface Asked {
  readonly labels: string[];
  readonly users: string[];
}

/** One sample run's shared state and steps, which the thread, customer and messages samplers are given. */
export class SampleContext {
  readonly unmapped = new UnmappedCounter();
  readonly bindings: Bindings;
  readonly comments = new Comments();
  /** The rules' context: PASSTHROUGH's answers, and a record of what was asked (see `ask`). */
  readonly rulesContext: RulesContext;
  private asked: Asked = { labels: [], users: [] };
  readonly maxBytes: number;
  readonly onSkip: 'note' | 'fail';

  constructor(
    readonly manifest: Manifest,
    private readonly doc: Document,
    indexes: SourceIndexes,
    readonly now: number,
    /** The target's rules (default: those of the manifest's target), as the Mapper takes them. */
    readonly rules: MappingRules = adapterFor(manifest.target).rules,
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
    this.rulesContext = {
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
  ask(): Asked {
    this.asked = { labels: [], users: [] };
    return this.asked;
  }

  /** Evaluates one expression as the planner does; its error and `_default` notes come back with the value. */
  async eval(expr: Expr | undefined, input: unknown, b: Bindings): Promise<Evaluated> {
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
  put(map: YAMLMap, key: string, ev: Evaluated): Node {
    const n = this.node(ev.value);
    map.add(new Pair(new Scalar(key), n));
    if (ev.error !== undefined) this.comments.failed(n, ev.error);
    else if (ev.value === undefined) this.comments.nothing(n);
    this.comments.info(n, ev.notes);
    return n;
  }

  /** Runs one rule with a fresh reasons array, puts its reasons next to `n` (when given), and adds them to `all`. */
  rule<T>(n: Node | undefined, all: Reasons, f: (r: Reasons) => T): T {
    const r: Reasons = [];
    const out = f(r);
    if (n) this.comments.bad(n, r);
    all.push(...r);
    return out;
  }

  /** `rule` for a rule that answers later (one that may ask the target's directory). */
  async ruleAsync<T>(n: Node | undefined, all: Reasons, f: (r: Reasons) => Promise<T>): Promise<T> {
    const r: Reasons = [];
    const out = await f(r);
    if (n) this.comments.bad(n, r);
    all.push(...r);
    return out;
  }
}
