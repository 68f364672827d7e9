/**
 * What the parts of an apply share: the target, the state, the request runner, the run's events, and
 * `commit`, the one way an acknowledged result is recorded, counted and reported. Also the keys a
 * thread's and a message's state rows are written under.
 */
import type { RequestRunner } from '../http/runner.js';
import type { PlannedMessage, ThreadPlanItem } from '../plan/types.js';
import type { ApplyOutcome, StateStore } from '../state/types.js';
import type { Target } from '../targets/types.js';
import type { ApplyEvent, Counts } from './events.js';

export interface ApplyContext {
  readonly target: Target;
  readonly state: StateStore;
  readonly runId: number;
  readonly requests: RequestRunner;
  readonly emit: (e: ApplyEvent) => void;
  /** Records the outcomes in state, then (once durable) counts each and emits its `resource` event. */
  readonly commit: (outcomes: ApplyOutcome[]) => Promise<void>;
  /** The run's counts, for a result recorded in several writes and counted once (a thread's updates). */
  readonly counts: Counts;
}

/** What identifies a thread's state row. */
export function threadBase(item: ThreadPlanItem) {
  return { address: item.address, kind: 'thread' as const, externalId: item.thread.externalId, inputHash: item.hash };
}

/** What identifies a message's state row. */
export function messageBase(item: ThreadPlanItem, p: PlannedMessage) {
  return { address: p.address, kind: 'message' as const, parent: item.address, externalId: p.message.externalId, inputHash: p.hash };
}
