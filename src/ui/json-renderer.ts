/**
 * The JSON renderer: one NDJSON line per event, written to the stream it is given (the CLI gives it
 * stdout), and between `start` and `done` a `progress` record every `heartbeatMs` (the plain
 * renderer's heartbeat, same interval and grid) with the view model's figures: requests/min over the
 * time elapsed (up to a minute), counts per phase, ETA. Every line has `format_version: 1`, `type`
 * (the event's type, or `progress`) and `timestamp` (ISO time the line was written); the fields follow
 * in snake_case, times as ISO strings with `_ms` epoch twins. The format is documented in
 * docs/json-output.md: change both together, and bump format_version only for changes that break a
 * consumer (adding fields or types does not).
 */
import type { ApplyEvent } from '../apply/events.js';
import type { RecordedError } from '../state/types.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from './heartbeat.js';
import { ApplyViewModel, type ApplyView } from './view-model.js';

export const JSON_FORMAT_VERSION = 1;

export interface Writer {
  write(s: string): unknown;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };
/** A record's type: an event's, or `progress` (written by the renderer, not an apply event). */
export type JsonRecordType = ApplyEvent['type'] | 'progress';
export type JsonRecord = { format_version: number; type: JsonRecordType; timestamp: string } & { [k: string]: Json | undefined };

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

/**
 * The `progress` record for a view: the same figures as the plain heartbeat line. `eta_ms` and
 * `waiting_until` are left out when unknown / not waiting; phases the target does not have
 * (customers, when each thread's import carries its contact) are left out of `phases`.
 */
export function progressRecord(v: ApplyView, now: number): JsonRecord {
  const phases: { [k: string]: Json } = {};
  for (const p of v.phaseNames) {
    const x = v.phases[p];
    phases[p] = { done: x.done, total: x.total, percent: x.percent, CREATED: x.CREATED, NOOP: x.NOOP, UPDATED: x.UPDATED, FAILED: x.FAILED };
  }
  const waiting = v.limiter.waitingUntil;
  return {
    format_version: JSON_FORMAT_VERSION,
    type: 'progress',
    timestamp: iso(now),
    requests_per_minute: v.requestsPerMinute,
    requests_per_minute_limit: v.limit,
    phases,
    retries: v.retries,
    invalid: v.invalid,
    elapsed_ms: v.elapsedMs,
    eta_ms: v.etaMs,
    waiting_until: waiting === undefined ? undefined : iso(waiting),
    waiting_until_ms: waiting,
  };
}

export interface JsonRendererOptions {
  readonly now?: () => number;
  /** Interval of the `progress` records; 0 turns them off. Default 10 000 (as the plain heartbeat). */
  readonly heartbeatMs?: number;
}

export class JsonRenderer {
  private readonly now: () => number;
  private readonly vm: ApplyViewModel;
  /** Runs between `start` and `done`. */
  private readonly heartbeat: Heartbeat;
  private startAt?: number;
  private closed = false;

  constructor(
    private readonly out: Writer,
    opts: JsonRendererOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.vm = new ApplyViewModel({ now: this.now });
    this.heartbeat = new Heartbeat(opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, this.now, () => this.progress());
  }

  on = (e: ApplyEvent): void => {
    if (e.type === 'start') this.startAt = e.at;
    this.vm.apply(e);
    this.vm.takeFinished(); // the events say it all: keep no finished lines
    this.write(toJsonRecord(e, this.now(), this.startAt));
    if (e.type === 'start' && !this.closed) this.heartbeat.start();
    if (e.type === 'done') this.heartbeat.stop();
    this.heartbeat.check();
  };

  /** Stops the `progress` records (no last one: the stream is the run's events, `done` ends it). */
  close(): Promise<void> {
    this.closed = true;
    this.heartbeat.stop();
    return Promise.resolve();
  }

  private progress(): void {
    this.write(progressRecord(this.vm.view(), this.now()));
  }

  private write(r: JsonRecord): void {
    this.out.write(`${JSON.stringify(r)}\n`);
  }
}
