/**
 * Thin Ink views over the pull view model: pure functions of props. `PullApp` = finished lines (streams
 * done, notes) in `<Static>`, printed once above a live region: a header, one line per stream under
 * way (a bar and % where its total is known), the requests line and, after a retry, the last one.
 * Every line truncates instead of wrapping. With a summary (`close(summary)`) the live region gives way
 * to the summary lines.
 */
import { Box, Static, Text } from 'ink';
import type { ReactNode } from 'react';
import { formatDuration, formatInt } from '../view-model.js';
import { count, formatDelay, recordsText, safeUrl, summaryLines, totals, waitingText, type PullSummaryLine } from './format.js';
import type { PullStreamView, PullView } from './view-model.js';

type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'blue';

/** Styled text when colors are on; bare text (no escape codes at all) when they are off. */
function Paint({ on, color, bold, children }: { on: boolean; color?: Color; bold?: boolean; children: ReactNode }) {
  return on ? (
    <Text color={color} bold={bold}>
      {children}
    </Text>
  ) : (
    <Text>{children}</Text>
  );
}

/** The bar's width for a terminal width: 20 from 100 columns, narrower below (at least 8). */
export function pullBarWidth(columns: number): number {
  return Math.max(8, Math.min(20, columns - 80));
}

function Bar({ s, width, color }: { s: PullStreamView; width: number; color: boolean }) {
  const n = Math.min(width, Math.floor(((s.pct ?? 0) * width) / 100));
  return (
    <>
      <Paint on={color} color="green">
        {'█'.repeat(n)}
      </Paint>
      <Paint on={color} color="gray">
        {'░'.repeat(width - n)}
      </Paint>{' '}
    </>
  );
}

function StreamLine({ s, nameWidth, color, columns }: { s: PullStreamView; nameWidth: number; color: boolean; columns: number }) {
  const counts = (
    <>
      <Paint on={color} color="green">
        {formatInt(s.added)} new
      </Paint>{' '}
      ·{' '}
      <Paint on={color} color="cyan">
        {formatInt(s.updated)} changed
      </Paint>
    </>
  );
  if (s.total === undefined) {
    return (
      <Text wrap="truncate-end">
        {s.stream.padEnd(nameWidth)} {count(s.records, 'record')} · {counts}
      </Text>
    );
  }
  const eta = s.etaMs === undefined ? 'estimating…' : formatDuration(s.etaMs);
  return (
    <Text wrap="truncate-end">
      {s.stream.padEnd(nameWidth)} <Bar s={s} width={pullBarWidth(columns)} color={color} />
      {`${formatInt(s.records)}/${formatInt(s.total)}`} {`${s.pct}%`.padStart(4)} · {counts} · ETA {eta}
    </Text>
  );
}

function RequestsLine({ view, now, color }: { view: PullView; now: number; color: boolean }) {
  const waiting = waitingText(view, now);
  const failed = view.failedRequests ? ` (${formatInt(view.failedRequests)} failed)` : '';
  return (
    <Text wrap="truncate-end">
      requests: {formatInt(view.requests)}
      {failed} · {formatInt(view.requestsPerMinute)}/min · retries: {formatInt(view.retries)} · waits: {formatInt(view.rateLimitWaits)} ·{' '}
      <Paint on={color && waiting !== undefined} color="yellow">
        {waiting ?? 'sending'}
      </Paint>
    </Text>
  );
}

export interface PullScreenProps {
  readonly view: PullView;
  /** The clock (countdowns). */
  readonly now: number;
  readonly color: boolean;
  /** The terminal's width (sizes the bars). Default 100. */
  readonly columns?: number;
  /** Set by `close(summary)`: the final frame. */
  readonly summary?: PullSummaryLine;
}

export function PullLive({ view, now, color, columns = 100 }: PullScreenProps) {
  const active = view.streams.filter((s) => !s.done);
  const nameWidth = Math.max(0, ...active.map((s) => s.stream.length));
  const r = view.lastRetry;
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">
        <Paint on={color} bold>
          plain-migrate pull
        </Paint>{' '}
        · elapsed {formatDuration(view.elapsedMs)} · {recordsText(totals(view))}
      </Text>
      {active.map((s) => (
        <StreamLine key={s.stream} s={s} nameWidth={nameWidth} color={color} columns={columns} />
      ))}
      <RequestsLine view={view} now={now} color={color} />
      {r ? (
        <Text wrap="truncate-end">
          last retry ({formatDuration(now - r.at)} ago): {r.connection} {r.reason}, attempt {r.attempt}, waited {formatDelay(r.delayMs)} — {safeUrl(r.url)}
        </Text>
      ) : null}
    </Box>
  );
}

const OUTCOME_COLOR = { completed: 'green', interrupted: 'yellow', failed: 'red' } as const;

export function PullSummary({ view, color, summary }: PullScreenProps & { summary: PullSummaryLine }) {
  const [head, ...rest] = summaryLines(view, summary);
  const cut = head!.indexOf(' ', 'Pull '.length);
  return (
    <Box flexDirection="column">
      <Text>
        <Paint on={color} color={OUTCOME_COLOR[summary.outcome]} bold>
          {head!.slice(0, cut)}
        </Paint>
        {head!.slice(cut)}
      </Text>
      {rest.map((l, i) => (
        <Text key={i}>{l}</Text>
      ))}
    </Box>
  );
}

export function PullScreen(p: PullScreenProps) {
  return p.summary ? <PullSummary {...p} summary={p.summary} /> : <PullLive {...p} />;
}

/** A line printed once above the live region: a stream done, or a note. */
export interface PullFinishedLine {
  readonly id: number;
  readonly kind: 'done' | 'note';
  readonly text: string;
}

export function PullApp(p: PullScreenProps & { finished: readonly PullFinishedLine[]; generation: number }) {
  return (
    <>
      <Static key={p.generation} items={p.finished as PullFinishedLine[]}>
        {(l) => (
          <Text key={l.id}>
            <Paint on={p.color} color={l.kind === 'done' ? 'green' : 'blue'}>
              {l.kind === 'done' ? '✓' : 'NOTE'}
            </Paint>{' '}
            {l.text}
          </Text>
        )}
      </Static>
      <PullScreen {...p} />
    </>
  );
}
