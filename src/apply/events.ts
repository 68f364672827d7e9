/** apply emits typed events; renderers (plain lines, JSON, Ink) subscribe. The core never prints. */
import type { RequestEvent } from '../http/runner.js';
import type { InvalidRecord } from '../mapping/map.js';
import { RESOURCE_KINDS, type RecordedError, type ResourceKind } from '../state/types.js';

export type Outcome = 'CREATED' | 'NOOP' | 'UPDATED' | 'FAILED';

/** What a run is, for headers. */
export interface RunInfo {
  readonly migration: string;
  /** e.g. `plain https://core-api.uk.plain.com/graphql/v1` (never a key). */
  readonly target: string;
  readonly runId: number;
  readonly requestsPerMinute: number;
  readonly concurrency: number;
  /** The target's import carries each thread's contact (There There): there is no customer phase. */
  readonly customersInline?: boolean;
}

/** How much the plan says this run will do, per phase. */
export interface Totals {
  readonly customers: number;
  readonly threads: number;
  readonly messages: number;
}

export type ApplyEvent =
  /** First event of a run. `at` is epoch ms. */
  | { readonly type: 'start'; readonly info: RunInfo; readonly totals: Totals; readonly at: number }
  /** request, retry, rate-limit-wait and stopping: see http/runner.ts. */
  | RequestEvent
  /** Last event of a run. */
  | {
      readonly type: 'done';
      readonly outcome: 'completed' | 'completed-with-failures' | 'interrupted' | 'failed';
      readonly counts: Counts;
      readonly requests: Readonly<Record<string, number>>;
      readonly invalid: number;
      readonly at: number;
    }
  | { readonly type: 'resource'; readonly kind: ResourceKind; readonly address: string; readonly outcome: Outcome; readonly error?: RecordedError; readonly attempts: number }
  | { readonly type: 'invalid'; readonly invalid: InvalidRecord }
  | { readonly type: 'unchanged'; readonly address: string; readonly messages: number }
  /** A recorded resource whose source record is gone: listed, never deleted in the target. */
  | { readonly type: 'orphan'; readonly address: string }
  /** A recorded thread the target no longer has. */
  | { readonly type: 'deleted'; readonly address: string }
  /** Something the plan found and deliberately does not do (conflict, non-updatable attribute). */
  | { readonly type: 'not-applied'; readonly address: string; readonly reason: string };

export type Counts = Record<ResourceKind, Record<Outcome, number>>;

export function emptyCounts(): Counts {
  const z = (): Record<Outcome, number> => ({ CREATED: 0, NOOP: 0, UPDATED: 0, FAILED: 0 });
  return Object.fromEntries(RESOURCE_KINDS.map((k) => [k, z()])) as Counts;
}
