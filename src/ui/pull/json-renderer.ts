/**
 * The pull's JSON renderer: NDJSON on the stream it is given, in apply's conventions (json-renderer.ts,
 * docs/json-output.md): every line has `format_version: 1`, `type` and `timestamp`; fields in
 * snake_case; times as ISO strings with `_ms` epoch twins; fields that do not apply are left out.
 *
 *   pull-stream   a stream started (`status: "started"`, `total` when known) or is done
 *                 (`status: "done"`, its `records`, `added`, `updated`, `elapsed_ms`)
 *   pull-page     one per page committed (a page is up to 1,000 records; one ticket's comments for
 *                 ticket_comments): `stream`, `records`, `added`, `updated`, `total`, and the
 *                 stream's `records_so_far`
 *   pull-retry    `connection`, `url` (origin and path only), `attempt`, `delay_ms`, `reason`
 *   pull-wait     a rate-limit pause began or was extended: `connection`, `until`, `until_ms`
 *   pull-note     `stream`, `message`
 *   progress      every `heartbeatMs` from the first event to `close()`: the view model's figures
 *   pull-summary  on `close(summary)`: `outcome`, `reason`, the totals, per stream, requests
 *
 * `request` events are not written one by one: `progress` and `pull-summary` count them.
 */
import type { PullEvent } from '../../sources/live/types.js';
import { DEFAULT_HEARTBEAT_MS, Heartbeat } from '../heartbeat.js';
import { JSON_FORMAT_VERSION } from '../json-renderer.js';
import { safeUrl, totals, type PullSummaryLine } from './format.js';
import { PullViewModel, type PullStreamView, type PullView } from './view-model.js';

export interface Writer {
  write(s: string): unknown;
}

type Json = string | number | boolean | null | Json[] | { [k: string]: Json | undefined };
export type PullJsonRecordType = 'pull-stream' | 'pull-page' | 'pull-retry' | 'pull-wait' | 'pull-note' | 'progress' | 'pull-summary';
export type PullJsonRecord = { format_version: number; type: PullJsonRecordType; timestamp: string } & { [k: string]: Json | undefined };

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function record(type: PullJsonRecordType, now: number, fields: { [k: string]: Json | undefined }): PullJsonRecord {
  return { format_version: JSON_FORMAT_VERSION, type, timestamp: iso(now), ...fields };
}

/** A stream's figures as `progress` and `pull-summary` give them. */
function streamFields(s: PullStreamView): { [k: string]: Json | undefined } {
  return { records: s.records, added: s.added, updated: s.updated, pages: s.pages, total: s.total, done: s.done, percent: s.pct, eta_ms: s.etaMs, elapsed_ms: s.elapsedMs };
}

function streamsObject(v: PullView): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  for (const s of v.streams) out[s.stream] = streamFields(s);
  return out;
}

/** The record for one event at `now`, or undefined for events written only as counts (`request`). */
export function toPullJsonRecord(e: PullEvent, now: number, vm: PullViewModel): PullJsonRecord | undefined {
  switch (e.type) {
    case 'stream-start':
      return record('pull-stream', now, { stream: e.stream, status: 'started', total: e.total });
    case 'stream-done': {
      const s = vm.view().streams.find((x) => x.stream === e.stream);
      return record('pull-stream', now, { stream: e.stream, status: 'done', records: s?.records, added: s?.added, updated: s?.updated, elapsed_ms: s?.elapsedMs });
    }
    case 'page': {
      const s = vm.view().streams.find((x) => x.stream === e.stream);
      return record('pull-page', now, { stream: e.stream, records: e.records, added: e.added, updated: e.updated, total: e.total, records_so_far: s?.records });
    }
    case 'retry':
      return record('pull-retry', now, { connection: e.connection, url: safeUrl(e.url), attempt: e.attempt, delay_ms: e.delayMs, reason: e.reason });
    case 'rate-limit-wait':
      return record('pull-wait', now, { connection: e.connection, until: iso(e.untilMs), until_ms: e.untilMs });
    case 'note':
      return record('pull-note', now, { stream: e.stream, message: e.message });
    case 'request':
      return undefined;
    default: {
      const never: never = e;
      return never;
    }
  }
}

/** The `progress` record: the same figures as the plain heartbeat line. */
export function pullProgressRecord(v: PullView, now: number): PullJsonRecord {
  const t = totals(v);
  return record('progress', now, {
    records: t.records,
    added: t.added,
    updated: t.updated,
    streams: streamsObject(v),
    requests: v.requests,
    failed_requests: v.failedRequests,
    requests_per_minute: v.requestsPerMinute,
    retries: v.retries,
    rate_limit_waits: v.rateLimitWaits,
    elapsed_ms: v.elapsedMs,
    waiting_until: v.waitingUntilMs === undefined ? undefined : iso(v.waitingUntilMs),
    waiting_until_ms: v.waitingUntilMs,
  });
}

/** The `pull-summary` record; the per-connection counts come from the summary (PullResult), when it has them. */
export function pullSummaryRecord(v: PullView, s: PullSummaryLine, now: number): PullJsonRecord {
  const t = totals(v);
  return record('pull-summary', now, {
    outcome: s.outcome,
    reason: s.reason,
    records: t.records,
    added: t.added,
    updated: t.updated,
    streams: streamsObject(v),
    requests: v.requests,
    requests_by_connection: s.requests ? { ...s.requests } : undefined,
    rate_limited_by_connection: s.rateLimited ? { ...s.rateLimited } : undefined,
    failed_requests: v.failedRequests,
    retries: v.retries,
    rate_limit_waits: v.rateLimitWaits,
    elapsed_ms: v.elapsedMs,
  });
}

export class PullJsonRenderer {
  readonly vm: PullViewModel;
  private readonly now: () => number;
  private readonly heartbeat: Heartbeat;
  private closed = false;

  constructor(
    private readonly out: Writer,
    opts: { readonly heartbeatMs?: number; readonly now?: () => number } = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.vm = new PullViewModel({ now: this.now });
    this.heartbeat = new Heartbeat(opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS, this.now, () => this.write(pullProgressRecord(this.vm.view(), this.now())));
  }

  on = (e: PullEvent): void => {
    if (this.closed) return;
    this.vm.apply(e);
    if (!this.heartbeat.running) this.heartbeat.start();
    const r = toPullJsonRecord(e, this.now(), this.vm);
    if (r) this.write(r);
    this.heartbeat.check();
  };

  /** Stops the `progress` records and writes `pull-summary` when given one. */
  close(summary?: PullSummaryLine): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.heartbeat.stop();
    if (summary) this.write(pullSummaryRecord(this.vm.view(), summary, this.now()));
    return Promise.resolve();
  }

  private write(r: PullJsonRecord): void {
    this.out.write(`${JSON.stringify(r)}\n`);
  }
}
