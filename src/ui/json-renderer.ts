/**
 * The JSON renderer: one NDJSON line per event, written to the stream it is given (the CLI gives it
 * stdout). Every line has `format_version: 1`, `type` (the event's type) and `timestamp` (ISO time the
 * line was written); the event's fields follow in snake_case, times as ISO strings with `_ms` epoch
 * twins. The format is documented in docs/json-output.md: change both together, and bump
 * format_version only for changes that break a consumer (adding fields or types does not).
 */
import type { ApplyEvent } from '../apply/events.js';
import type { RecordedError } from '../state/types.js';

export const JSON_FORMAT_VERSION = 1;

export interface Writer {
  write(s: string): unknown;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };
export type JsonRecord = { format_version: number; type: ApplyEvent['type']; timestamp: string } & { [k: string]: Json | undefined };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function error(e: RecordedError): Json {
  return {
    code: e.code,
    message: e.message,
    type: e.type,
    fields: e.fields?.map((f) => ({ field: f.field, message: f.message, type: f.type })),
  };
}

/** The fields of one event, in the documented shape (without the envelope). */
function fields(e: ApplyEvent, startAt: number | undefined): { [k: string]: Json | undefined } {
  switch (e.type) {
    case 'start':
      return {
        migration: e.info.migration,
        target: e.info.target,
        run_id: e.info.runId,
        requests_per_minute: e.info.requestsPerMinute,
        concurrency: e.info.concurrency,
        totals: { customers: e.totals.customers, threads: e.totals.threads, messages: e.totals.messages },
        at: iso(e.at),
        at_ms: e.at,
      };
    case 'request':
      return { operation: e.operation, ok: e.ok, at: iso(e.at), at_ms: e.at };
    case 'resource':
      return { kind: e.kind, address: e.address, outcome: e.outcome, attempts: e.attempts, error: e.error ? error(e.error) : undefined };
    case 'invalid':
      return { address: e.invalid.address, where: e.invalid.where, reasons: [...e.invalid.reasons] };
    case 'unchanged':
      return { address: e.address, messages: e.messages };
    case 'orphan':
    case 'deleted':
      return { address: e.address };
    case 'not-applied':
      return { address: e.address, reason: e.reason };
    case 'retry':
      return { operation: e.operation, address: e.address, attempt: e.attempt, delay_ms: e.delayMs, error: error(e.error) };
    case 'rate-limit-wait':
      return { until: iso(e.untilMs), until_ms: e.untilMs };
    case 'stopping':
      return { reason: e.reason };
    case 'done': {
      const counts: { [k: string]: Json } = {};
      for (const [kind, c] of Object.entries(e.counts)) counts[kind] = { CREATED: c.CREATED, NOOP: c.NOOP, UPDATED: c.UPDATED, FAILED: c.FAILED };
      return {
        outcome: e.outcome,
        counts,
        requests: { ...e.requests },
        invalid: e.invalid,
        at: iso(e.at),
        at_ms: e.at,
        elapsed_ms: startAt === undefined ? undefined : Math.max(0, e.at - startAt),
      };
    }
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** One event as its JSON record. `startAt` (the `start` event's time) adds `elapsed_ms` to `done`. */
export function toJsonRecord(e: ApplyEvent, now: number, startAt?: number): JsonRecord {
  return { format_version: JSON_FORMAT_VERSION, type: e.type, timestamp: iso(now), ...fields(e, startAt) };
}

export class JsonRenderer {
  private readonly now: () => number;
  private startAt?: number;

  constructor(
    private readonly out: Writer,
    opts: { now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
  }

  on = (e: ApplyEvent): void => {
    if (e.type === 'start') this.startAt = e.at;
    this.out.write(`${JSON.stringify(toJsonRecord(e, this.now(), this.startAt))}\n`);
  };

  close(): Promise<void> {
    return Promise.resolve();
  }
}
