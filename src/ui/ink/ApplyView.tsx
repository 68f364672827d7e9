/**
 * Thin Ink views over the apply view model: pure functions of props, no state, no timers.
 * `ApplyApp` = finished lines in `<Static>` (printed once, above) + a live region of fixed height
 * (6 lines while running; every line truncates instead of wrapping, so the height never changes),
 * replaced by the final summary after `done`.
 */
import { Box, Static, Text } from 'ink';
import type { ReactNode } from 'react';
import type { Outcome } from '../../apply/events.js';
import {
  formatDuration,
  formatInt,
  formatLimiter,
  formatSummaryTail,
  PHASES,
  type ApplyView,
  type FinishedKind,
  type FinishedLine,
  type PhaseView,
} from '../view-model.js';

type Color = 'red' | 'green' | 'yellow' | 'cyan' | 'gray' | 'blue';

interface PaintProps {
  readonly on: boolean;
  readonly color?: Color;
  readonly bold?: boolean;
  readonly children: ReactNode;
}

/** Styled text when colors are on; bare text (no escape codes at all) when they are off. */
function Paint({ on, color, bold, children }: PaintProps) {
  return on ? (
    <Text color={color} bold={bold}>
      {children}
    </Text>
  ) : (
    <Text>{children}</Text>
  );
}

export const BAR_WIDTH = 20;

/** The bar's width for a terminal width: 20 from 95 columns, narrower below (at least 8). */
export function barWidth(columns: number): number {
  return Math.max(8, Math.min(BAR_WIDTH, columns - 75));
}

export function bar(p: PhaseView, width = BAR_WIDTH): { filled: string; empty: string } {
  const n = p.total > 0 ? Math.min(width, Math.floor((p.done * width) / p.total)) : width;
  return { filled: '█'.repeat(n), empty: '░'.repeat(width - n) };
}

const OUTCOME_COLOR: Record<Outcome, Color> = { CREATED: 'green', NOOP: 'gray', UPDATED: 'cyan', FAILED: 'red' };

/** `14 created · 0 noop · 0 failed`, with `· n updated` when there are any (as formatCounts). */
function Outcomes({ p, color }: { p: Readonly<Record<Outcome, number>>; color: boolean }) {
  const part = (o: Outcome, label: string) => (
    <Paint on={color && (o !== 'FAILED' || p[o] > 0)} color={OUTCOME_COLOR[o]}>
      {formatInt(p[o])} {label}
    </Paint>
  );
  return (
    <>
      {part('CREATED', 'created')} · {part('NOOP', 'noop')}
      {p.UPDATED > 0 ? <> · {part('UPDATED', 'updated')}</> : null} · {part('FAILED', 'failed')}
    </>
  );
}

function Header({ view, color }: { view: ApplyView; color: boolean }) {
  const h = view.header!;
  return (
    <Text wrap="truncate-end">
      <Paint on={color} bold>
        plain-migrate apply
      </Paint>{' '}
      · {h.migration} → {h.target} · run #{h.runId}
    </Text>
  );
}

/** A phase the target does not have (its line is kept, so the live region keeps its height). */
function Inline({ phase, color }: { phase: (typeof PHASES)[number]; color: boolean }) {
  return (
    <Text wrap="truncate-end">
      {phase.padEnd(10)}
      <Paint on={color} color="gray">
        carried by each thread's import
      </Paint>
    </Text>
  );
}

function PhaseLine({ view, phase, color, columns }: { view: ApplyView; phase: (typeof PHASES)[number]; color: boolean; columns: number }) {
  const p = view.phases[phase];
  const widest = Math.max(...PHASES.map((x) => formatInt(view.phases[x].total).length));
  const b = bar(p, barWidth(columns));
  return (
    <Text wrap="truncate-end">
      {phase.padEnd(10)}
      <Paint on={color} color={p.FAILED > 0 ? 'yellow' : 'green'}>
        {b.filled}
      </Paint>
      <Paint on={color} color="gray">
        {b.empty}
      </Paint>{' '}
      {`${formatInt(p.done)}/${formatInt(p.total)}`.padEnd(widest * 2 + 1)} {`${p.percent}%`.padStart(4)}
      {'  '}
      <Outcomes p={p} color={color} />
    </Text>
  );
}

function RequestsLine({ view, color }: { view: ApplyView; color: boolean }) {
  const limiter = formatLimiter(view);
  return (
    <Text wrap="truncate-end">
      requests/min: {formatInt(view.requestsPerMinute)} / {formatInt(view.limit)} · retries: {formatInt(view.retries)} ·{' '}
      <Paint on={color && limiter !== 'sending'} color={view.stopping !== undefined ? 'red' : 'yellow'}>
        {limiter}
      </Paint>
    </Text>
  );
}

function TimeLine({ view }: { view: ApplyView }) {
  const extras: string[] = [`invalid: ${formatInt(view.invalid)}`];
  if (view.unchanged.threads) extras.push(`unchanged: ${formatInt(view.unchanged.threads)}`);
  if (view.orphans) extras.push(`orphans: ${formatInt(view.orphans)}`);
  if (view.deleted) extras.push(`deleted: ${formatInt(view.deleted)}`);
  if (view.notApplied) extras.push(`not applied: ${formatInt(view.notApplied)}`);
  const eta = view.etaMs === undefined ? 'estimating…' : formatDuration(view.etaMs);
  return (
    <Text wrap="truncate-end">
      elapsed: {formatDuration(view.elapsedMs)} · ETA: {eta} · {extras.join(' · ')}
    </Text>
  );
}

export interface ScreenProps {
  readonly view: ApplyView;
  readonly color: boolean;
  /** The terminal's width (sizes the bars). Default 100. */
  readonly columns?: number;
}

/** The live region while a run goes on: always LIVE_HEIGHT lines. */
export function LiveRegion({ view, color, columns = 100 }: ScreenProps) {
  if (!view.header) {
    return <Text>plain-migrate apply · starting…</Text>;
  }
  return (
    <Box flexDirection="column">
      <Header view={view} color={color} />
      {PHASES.map((p) =>
        view.phaseNames.includes(p) ? <PhaseLine key={p} view={view} phase={p} color={color} columns={columns} /> : <Inline key={p} phase={p} color={color} />,
      )}
      <RequestsLine view={view} color={color} />
      <TimeLine view={view} />
    </Box>
  );
}

export const LIVE_HEIGHT = 6;

const HEADLINE_COLOR = { completed: 'green', 'completed-with-failures': 'yellow', interrupted: 'yellow', failed: 'red' } as const;

/** The final frame after `done`. */
export function Summary({ view, color }: { view: ApplyView; color: boolean }) {
  const d = view.done!;
  const kinds = { customers: d.counts.customer, threads: d.counts.thread, messages: d.counts.message };
  return (
    <Box flexDirection="column">
      <Text>
        <Paint on={color} color={HEADLINE_COLOR[d.outcome]} bold>
          Apply {d.outcome}
        </Paint>{' '}
        in {formatDuration(d.elapsedMs)}
        {view.header ? ` · ${view.header.migration} → ${view.header.target} · run #${view.header.runId}` : ''}
      </Text>
      {PHASES.map((p) =>
        view.phaseNames.includes(p) ? (
          <Text key={p}>
            {'  '}
            {p.padEnd(10)}
            <Outcomes p={kinds[p]} color={color} />
          </Text>
        ) : null,
      )}
      <Text>{formatSummaryTail(d)}</Text>
    </Box>
  );
}

export function ApplyScreen({ view, color, columns }: ScreenProps) {
  return view.done ? <Summary view={view} color={color} /> : <LiveRegion view={view} color={color} columns={columns} />;
}

const FINISHED_COLOR: Record<FinishedKind, Color> = {
  failed: 'red',
  invalid: 'yellow',
  stopping: 'red',
  orphan: 'gray',
  deleted: 'gray',
  note: 'blue',
  overflow: 'gray',
};

/** One finished line: its leading word (FAILED, INVALID, …) colored, the rest as is. */
export function FinishedLineView({ line, color }: { line: FinishedLine; color: boolean }) {
  const cut = line.text.indexOf(' ');
  const head = cut < 0 ? line.text : line.text.slice(0, cut);
  const rest = cut < 0 ? '' : line.text.slice(cut);
  return (
    <Text>
      <Paint on={color} color={FINISHED_COLOR[line.kind]} bold={line.kind === 'failed' || line.kind === 'stopping'}>
        {head}
      </Paint>
      {rest}
    </Text>
  );
}

export interface ApplyAppProps extends ScreenProps {
  /** Finished lines of the current `<Static>` generation (cumulative within it). */
  readonly finished: readonly FinishedLine[];
  /** Bumped to start a fresh `<Static>` (and a fresh `finished` array) so neither grows without bound. */
  readonly generation: number;
}

export function ApplyApp({ view, color, columns, finished, generation }: ApplyAppProps) {
  return (
    <>
      <Static key={generation} items={finished as FinishedLine[]}>
        {(line) => <FinishedLineView key={line.id} line={line} color={color} />}
      </Static>
      <ApplyScreen view={view} color={color} columns={columns} />
    </>
  );
}
