/**
 * Text shared by the pull renderers (plain lines and the Ink view), and the summary the command hands
 * to `close()`. Pure functions of the view model's `PullView`.
 */
import { timestamp } from '../plain-renderer.js';
import { formatDuration, formatInt } from '../view-model.js';
import type { PullRetryView, PullStreamView, PullView } from './view-model.js';

/** How the pull ended, for the last lines (`close(summary)`); the figures come from the view model. */
export interface PullSummaryLine {
  /** `interrupted`: stopped by a signal; `failed`: an error stopped it (`reason`). */
  readonly outcome: 'completed' | 'interrupted' | 'failed';
  /** One sentence: why it stopped. */
  readonly reason?: string;
  /** Requests sent per connection (PullResult.requests); without it, the events' count. */
  readonly requests?: Readonly<Record<string, number>>;
  /** 429s met per connection (PullResult.rateLimited). */
  readonly rateLimited?: Readonly<Record<string, number>>;
}

/** `3 retries`, `1 retry`, `1,200 records` */
export function count(n: number, word: string, many = `${word}s`): string {
  return `${formatInt(n)} ${n === 1 ? word : many}`;
}

/** The URL without query or fragment: the events carry redacted URLs already; this is a second guard. */
export function safeUrl(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

/** `250 ms`, `1.5 s`, `12 s`, `1m 05s` */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  return ms < 10_000 ? `${(ms / 1000).toFixed(1).replace(/\.0$/, '')} s` : formatDuration(ms);
}

/** `1,200 records (1,180 new, 20 changed)` */
export function recordsText(x: { records: number; added: number; updated: number }): string {
  return `${count(x.records, 'record')} (${formatInt(x.added)} new, ${formatInt(x.updated)} changed)`;
}

export function streamStartText(stream: string, total?: number): string {
  return `${stream}: pulling${total === undefined ? '' : ` (total ${formatInt(total)})`}`;
}

/** `zendesk.tickets: 1,200 records (1,180 new, 20 changed)` */
export function streamDoneText(s: PullStreamView): string {
  return `${s.stream}: ${recordsText(s)}`;
}

export function retryText(r: Omit<PullRetryView, 'at'>): string {
  return `RETRY ${r.connection}: ${r.reason} on ${safeUrl(r.url)} (attempt ${r.attempt}); again in ${formatDelay(r.delayMs)}`;
}

export function waitText(connection: string, untilMs: number, now: number): string {
  return `RATE-LIMITED ${connection}: waiting ${formatDuration(untilMs - now)} for the rate-limit window (until ${timestamp(untilMs)})`;
}

/** `rate-limited — resuming in 12 s`, or undefined while sending. */
export function waitingText(v: PullView, now: number): string | undefined {
  if (v.waitingUntilMs === undefined) return undefined;
  return `rate-limited — resuming in ${Math.max(1, Math.ceil((v.waitingUntilMs - now) / 1000))} s`;
}

/** All streams together. */
export function totals(v: PullView): { records: number; added: number; updated: number } {
  const t = { records: 0, added: 0, updated: 0 };
  for (const s of v.streams) {
    t.records += s.records;
    t.added += s.added;
    t.updated += s.updated;
  }
  return t;
}

/** `zendesk.tickets 1,200/3,000 40% ETA 1m 30s` or `zendesk.users 2,400` */
export function streamProgressText(s: PullStreamView): string {
  if (s.total === undefined) return `${s.stream} ${formatInt(s.records)}`;
  const eta = s.etaMs === undefined ? '' : ` ETA ${formatDuration(s.etaMs)}`;
  return `${s.stream} ${formatInt(s.records)}/${formatInt(s.total)} ${s.pct}%${eta}`;
}

/** The heartbeat line: all records, the streams under way, requests, rate, retries, waits, elapsed. */
export function progressText(v: PullView, now: number): string {
  const parts = [`progress: ${recordsText(totals(v))}`];
  for (const s of v.streams) if (!s.done) parts.push(streamProgressText(s));
  parts.push(
    `${count(v.requests, 'request')}${v.failedRequests ? ` (${formatInt(v.failedRequests)} failed)` : ''}`,
    `${formatInt(v.requestsPerMinute)} requests/min`,
    count(v.retries, 'retry', 'retries'),
    count(v.rateLimitWaits, 'rate-limit wait'),
    `elapsed ${formatDuration(v.elapsedMs)}`,
  );
  const waiting = waitingText(v, now);
  if (waiting) parts.push(waiting);
  return parts.join(' · ');
}

/** `zendesk 480 (3 rate-limited), other 12`, or the events' count without per-connection figures. */
export function requestsText(v: PullView, s?: PullSummaryLine): string {
  if (!s?.requests) return formatInt(v.requests);
  const each = Object.entries(s.requests).map(([c, n]) => {
    const limited = s.rateLimited?.[c] ?? 0;
    return `${c} ${formatInt(n)}${limited ? ` (${formatInt(limited)} rate-limited)` : ''}`;
  });
  return each.join(', ') || 'none';
}

/**
 * The last lines: `Pull completed in 1m 10s: 3,600 records (3,500 new, 100 changed) from 5 streams`,
 * the reason when there is one, and `Requests sent: zendesk 480 (3 rate-limited); 2 retries, 1 rate-limit wait.`
 */
export function summaryLines(v: PullView, s: PullSummaryLine): string[] {
  const when = `${s.outcome === 'completed' ? 'in' : 'after'} ${formatDuration(v.elapsedMs)}`;
  const lines = [`Pull ${s.outcome} ${when}: ${recordsText(totals(v))} from ${count(v.streams.length, 'stream')}`];
  if (s.reason) lines.push(`Reason: ${s.reason}`);
  const extra = [v.retries ? count(v.retries, 'retry', 'retries') : '', v.rateLimitWaits ? count(v.rateLimitWaits, 'rate-limit wait') : ''].filter(Boolean);
  lines.push(`Requests sent: ${requestsText(v, s)}${extra.length ? `; ${extra.join(', ')}` : ''}.`);
  return lines;
}
