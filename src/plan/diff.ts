/**
 * Per-attribute, three-way comparison of a recorded thread: the value last applied (state), the value
 * the manifest now produces (desired) and, after a refresh, the value in the target today (remote).
 */
import { canonicalJson } from '../core/hash.js';
import type { Assignee, Thread, ThreadFieldValue, ThreadStatus, ThreadStatusDetail } from '../core/model.js';

/** Every attribute a target may be able to change after import (each target declares its own). */
export const UPDATABLE = ['title', 'priority', 'status', 'labels', 'assignee', 'fields'] as const;
export type UpdatableAttribute = (typeof UPDATABLE)[number];

/** Attributes a target may fix at import: a change is reported, never applied and never faked. */
export const FROZEN = ['customer', 'createdAt', 'externalUrl', 'description', 'tenant', 'title', 'closedAt'] as const;
export type FrozenAttribute = (typeof FROZEN)[number];

/** Which attributes a target updates and which it fixes at import (its adapter declares them). */
export interface AttributeRules {
  readonly updatable: readonly UpdatableAttribute[];
  readonly frozen: readonly FrozenAttribute[];
  /**
   * Fixed at import, but cleared by the target itself when another attribute changes (There There's
   * closedAt, when a ticket reopens): a change is reported only when the export gives a value.
   */
  readonly frozenWhenSet?: readonly FrozenAttribute[];
  /** Labels are names the target matches in any case (There There's tags): compared without case. */
  readonly labelsIgnoreCase?: boolean;
}

/** A label as compared: as it is, or lower-cased for a target that ignores case. */
export function labelKey(rules: Pick<AttributeRules, 'labelsIgnoreCase'>): (label: string) => string {
  return rules.labelsIgnoreCase ? (l) => l.toLowerCase() : (l) => l;
}

/** Plain's: everything but what importThread fixes. */
export const PLAIN_ATTRIBUTES: AttributeRules = {
  updatable: ['title', 'priority', 'status', 'labels', 'assignee', 'fields'],
  frozen: ['customer', 'createdAt', 'externalUrl', 'description', 'tenant'],
};

export interface ThreadStatusValue {
  /** The target's status value (Plain: TODO | SNOOZED | DONE; There There: open | waiting | closed | spam). */
  readonly status: ThreadStatus | string;
  readonly statusDetail: ThreadStatusDetail | string | null;
}

/** The updatable attributes as they are in the target (after a refresh). */
export interface RemoteAttributes {
  readonly title: string;
  /** Absent for a target without priorities. */
  readonly priority?: number;
  readonly status: ThreadStatusValue;
  /** Label type ids, sorted. */
  readonly labels: readonly string[];
  readonly assignee: Assignee | null;
  /** Thread fields by key (absent in rows recorded before thread fields existed). */
  readonly fields?: Readonly<Record<string, ThreadFieldValue>>;
}

/** What state records as applied for a thread. */
export interface AppliedAttributes extends RemoteAttributes {
  readonly customer: string;
  readonly createdAt: string;
  readonly externalUrl: string | null;
  readonly description: string | null;
  /** The tenant's externalId (absent: none). */
  readonly tenant?: string;
  /** There There: when a closed ticket was closed (absent: not given). */
  readonly closedAt?: string;
}

export function appliedOf(t: Thread): AppliedAttributes {
  return {
    title: t.title,
    ...(t.priority !== undefined ? { priority: t.priority } : {}),
    status: { status: t.status, statusDetail: t.statusDetail ?? null },
    labels: [...t.labelTypeIds].sort(),
    assignee: t.assignee ?? null,
    customer: t.customer.email.toLowerCase(),
    createdAt: t.createdAt,
    externalUrl: t.externalUrl ?? null,
    description: t.description ?? null,
    // Present only when set, so that threads recorded before these attributes existed compare equal.
    ...(t.tenant ? { tenant: t.tenant.externalId } : {}),
    ...(t.closedAt ? { closedAt: t.closedAt } : {}),
    ...(t.fields && Object.keys(t.fields).length > 0 ? { fields: { ...t.fields } } : {}),
  };
}

/**
 * The value of an attribute for comparison. Fields: absent is {}; the target's fields are seen only
 * for the keys this migration sets (fields an agent or Plain's AI filled in are not ours to compare).
 */
function valueOf(a: UpdatableAttribute | FrozenAttribute, v: Partial<AppliedAttributes> | RemoteAttributes, keys?: ReadonlySet<string>, key?: (l: string) => string): unknown {
  const x = (v as Record<string, unknown>)[a];
  if (a === 'labels' && key && Array.isArray(x)) return [...new Set((x as string[]).map(key))].sort();
  if (a !== 'fields') return x;
  const f = (x ?? {}) as Record<string, unknown>;
  if (!keys) return f;
  return Object.fromEntries(Object.entries(f).filter(([k]) => keys.has(k)));
}

export interface AttributeChange {
  readonly attribute: UpdatableAttribute;
  readonly from: unknown;
  readonly to: unknown;
  /** Set when the target's value also changed since the last apply (someone edited it there). */
  readonly plain?: unknown;
}

export interface FrozenChange {
  readonly attribute: FrozenAttribute;
  readonly from: unknown;
  readonly to: unknown;
}

export interface ThreadDiff {
  /** Planned updates (conflicts included when overwriting them). */
  readonly updates: AttributeChange[];
  /** Attributes changed both in the source and in the target since the last apply, left alone. */
  readonly conflicts: AttributeChange[];
  /** Changes to attributes that cannot be updated after import. */
  readonly frozen: FrozenChange[];
}

const same = (a: unknown, b: unknown): boolean => canonicalJson(a) === canonicalJson(b);

export function isAppliedAttributes(v: unknown): v is AppliedAttributes {
  return typeof v === 'object' && v !== null && 'title' in v && 'status' in v && 'labels' in v;
}

export function diffThread(
  applied: AppliedAttributes,
  desired: AppliedAttributes,
  remote: RemoteAttributes | undefined,
  overwriteConflicts: boolean,
  rules: AttributeRules = PLAIN_ATTRIBUTES,
): ThreadDiff {
  const updates: AttributeChange[] = [];
  const conflicts: AttributeChange[] = [];
  const fieldKeys = new Set([...Object.keys(applied.fields ?? {}), ...Object.keys(desired.fields ?? {})]);
  const key = rules.labelsIgnoreCase ? labelKey(rules) : undefined;
  for (const a of rules.updatable) {
    const from = valueOf(a, applied, undefined, key);
    const to = valueOf(a, desired, undefined, key);
    if (same(from, to)) continue;
    if (remote) {
      const now = valueOf(a, remote, fieldKeys, key);
      // Already what we want: nothing to send.
      if (same(now, to)) continue;
      if (!same(now, from)) {
        const c: AttributeChange = { attribute: a, from, to, plain: now };
        if (overwriteConflicts) updates.push(c);
        else conflicts.push(c);
        continue;
      }
    }
    updates.push({ attribute: a, from, to });
  }
  const frozen: FrozenChange[] = [];
  for (const a of rules.frozen) {
    if (!same(applied[a] ?? null, desired[a] ?? null)) frozen.push({ attribute: a, from: applied[a] ?? null, to: desired[a] ?? null });
  }
  for (const a of rules.frozenWhenSet ?? []) {
    const to = desired[a] ?? null;
    if (to !== null && !same(applied[a] ?? null, to)) frozen.push({ attribute: a, from: applied[a] ?? null, to });
  }
  return { updates, conflicts, frozen };
}

/** A planned value as a person reads it: DONE/DONE_MANUALLY_SET, u_…, a member's email, [lt_…, lt_…], nobody. */
export function showValue(v: unknown): string {
  if (v === null || v === undefined) return 'nobody';
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('status' in o) return o.statusDetail ? `${String(o.status)}/${String(o.statusDetail)}` : String(o.status);
    if ('userId' in o) return String(o.userId);
    if ('machineUserId' in o) return String(o.machineUserId);
    if ('email' in o) return String(o.email);
    return JSON.stringify(v);
  }
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}
