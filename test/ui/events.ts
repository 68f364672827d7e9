/** Event builders for the UI tests. */
import type { ApplyEvent, Counts, Outcome, RunInfo, Totals } from '../../src/apply/events.js';
import { emptyCounts } from '../../src/apply/events.js';
import type { RecordedError, ResourceKind } from '../../src/state/types.js';

export const T0 = Date.UTC(2026, 10, 22, 0, 57, 23);

export const INFO: RunInfo = {
  migration: 'zendesk-to-plain',
  target: 'plain http://127.0.0.1:4849/graphql/v1',
  runId: 7,
  requestsPerMinute: 450,
  concurrency: 4,
};

export function start(totals: Totals = { customers: 10, threads: 20, messages: 100 }, at = T0): ApplyEvent {
  return { type: 'start', info: INFO, totals, at };
}

export function request(at: number, ok = true, operation = 'importThread'): ApplyEvent {
  return { type: 'request', operation, ok, at };
}

export const VALIDATION: RecordedError = {
  code: 'input_validation',
  message: 'Input validation failed',
  type: 'VALIDATION',
  fields: [{ field: 'title', message: 'must be at most 200 characters', type: 'VALIDATION' }],
};

export function resource(kind: ResourceKind, outcome: Outcome, n = 1, error?: RecordedError): ApplyEvent {
  return {
    type: 'resource',
    kind,
    address: `${kind}.zendesk["${n}"]`,
    outcome,
    attempts: 1,
    ...(outcome === 'FAILED' ? { error: error ?? VALIDATION } : {}),
  };
}

export function done(counts: Counts, outcome: Extract<ApplyEvent, { type: 'done' }>['outcome'] = 'completed', at = T0 + 60_000): ApplyEvent {
  return { type: 'done', outcome, counts, requests: { upsertCustomer: 10, importThread: 20, importThreadMessages: 5 }, invalid: 2, at };
}

export function counts(set: Partial<Record<ResourceKind, Partial<Record<Outcome, number>>>>): Counts {
  const c = emptyCounts();
  for (const [k, v] of Object.entries(set)) Object.assign(c[k as ResourceKind], v);
  return c;
}

/** One of every event type. */
export function everyEvent(): ApplyEvent[] {
  return [
    start(),
    request(T0 + 10),
    resource('customer', 'CREATED'),
    resource('thread', 'FAILED', 2),
    { type: 'invalid', invalid: { address: 'thread["zd-5"]', where: 'export/tickets.jsonl:5', reasons: ['subject is missing'] } },
    { type: 'unchanged', address: 'thread["zd-6"]', messages: 4 },
    { type: 'orphan', address: 'thread["zd-13"]' },
    { type: 'deleted', address: 'thread["zd-14"]' },
    { type: 'not-applied', address: 'thread["zd-2"]', reason: 'title was also changed in the target since the last apply' },
    { type: 'retry', operation: 'importThread', address: 'thread["zd-3"]', attempt: 1, delayMs: 1200, error: { code: 'http_429', message: 'Too many requests', type: 'TRANSPORT' } },
    { type: 'rate-limit-wait', untilMs: T0 + 20_000 },
    { type: 'stopping', reason: 'the API key was rejected (HTTP 401)' },
    done(counts({ customer: { CREATED: 1 }, thread: { FAILED: 1 } }), 'failed'),
  ];
}
